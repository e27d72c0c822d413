"""Accounts: Argon2 hashes, sign-in pauses, API tokens stored as digests, secrets kept out of
logs."""

from __future__ import annotations

import hashlib
import io
import logging
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.db import connection
from django.test import Client
from django.utils import timezone

from accord.accounts.middleware import user_for_token
from accord.accounts.models import ApiToken, LoginThrottle, User
from accord.accounts.services import create_token, revoke_token
from accord.node.logging import RedactSecretsFilter
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery 9"


def test_passwords_are_hashed_with_argon2(make_user):
    user = make_user("ana")
    stored = User.objects.get(pk=user.pk).password
    assert stored.startswith("argon2$argon2id$")
    assert PASSWORD not in stored
    assert user.check_password(PASSWORD)


def test_login_succeeds_and_is_audited(make_user):
    make_user("ana")
    assert authenticate(None, username="ana", password=PASSWORD) is not None
    event = AuditEvent.objects.filter(action="auth.login").order_by("-seq").first()
    assert event.actor == "ana" and event.outcome == "ok"


def _login(username: str, password: str):
    return authenticate(None, username=username, password=password)


def test_account_pause_after_threshold_refuses_even_the_right_password(make_user, settings):
    settings.ACCORD_LOGIN_ACCOUNT_FAILURES = 3
    make_user("ana")
    for _ in range(3):
        assert _login("ana", "wrong password!") is None
    assert _login("ana", PASSWORD) is None  # no address: no address the user is known at
    denied = list(
        AuditEvent.objects.filter(action="auth.login", actor="ana", outcome="denied").order_by(
            "seq"
        )
    )
    assert [e.detail["why"] for e in denied] == [
        "bad password", "bad password", "bad password", "paused",
    ]  # fmt: skip
    assert AuditEvent.objects.get(action="auth.throttle").actor == "ana"


def test_pause_ends(make_user, settings):
    settings.ACCORD_LOGIN_ACCOUNT_FAILURES = 2
    make_user("ana")
    _login("ana", "wrong password!")
    _login("ana", "wrong password!")
    assert _login("ana", PASSWORD) is None
    LoginThrottle.objects.update(blocked_until=timezone.now() - timedelta(seconds=1))
    assert _login("ana", PASSWORD) is not None


def test_a_success_does_not_reset_the_failure_count(make_user, settings):
    """Only time resets the counts: otherwise an attacker's own account would reset its
    address's count, and a TAXII client signing in every minute its account's."""
    settings.ACCORD_LOGIN_ACCOUNT_FAILURES = 3
    make_user("ana")
    _login("ana", "wrong password!")
    _login("ana", "wrong password!")
    assert _login("ana", PASSWORD) is not None
    _login("ana", "wrong password!")
    assert LoginThrottle.objects.get(key="ana").blocked_until is not None


def test_unknown_user_is_refused_and_audited():
    assert _login("nobody", "whatever password") is None
    event = AuditEvent.objects.filter(action="auth.login").order_by("-seq").first()
    assert event.actor == "nobody" and event.outcome == "denied"
    assert event.detail == {"why": "unknown"}


def test_a_paused_password_leaves_the_api_session_open(make_user, settings):
    settings.ACCORD_LOGIN_ACCOUNT_FAILURES = 1
    user = make_user("ana")
    client = Client()
    client.force_login(user)
    assert client.get("/api/records").status_code == 200
    _login("ana", "wrong password!")
    assert _login("ana", PASSWORD) is None
    assert client.get("/api/records").status_code == 200


def test_token_is_stored_only_as_its_sha256_digest(make_user):
    user = make_user("ana")
    raw, token = create_token(None, user, name="laptop")
    assert raw.startswith("acc_") and len(raw) > 40
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        rows = cursor.fetchall()
    dumped = repr(rows)
    assert raw not in dumped
    assert raw[10:] not in dumped  # only a short recognisable prefix is kept
    assert token.key_prefix == raw[:10]
    assert user_for_token(raw) == user
    events = AuditEvent.objects.filter(action="token.create")
    assert events.count() == 1 and raw not in repr(events.first().detail)


def test_revoked_and_expired_tokens_are_refused(make_user):
    user = make_user("ana")
    raw, token = create_token(None, user, name="a")
    revoke_token(None, token)
    assert user_for_token(raw) is None
    raw2, _ = create_token(None, user, name="b", expires_at=timezone.now() - timedelta(minutes=1))
    assert user_for_token(raw2) is None
    raw3, _ = create_token(None, user, name="c", expires_at=timezone.now() + timedelta(minutes=1))
    assert user_for_token(raw3) == user
    assert user_for_token("acc_" + "x" * 43) is None
    assert user_for_token(raw3[4:]) is None  # without the prefix


def test_token_use_is_recorded(make_user):
    user = make_user("ana")
    raw, token = create_token(None, user, name="a")
    assert token.last_used_at is None
    Client().get("/api/records", headers={"Authorization": f"Bearer {raw}"})
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


# --- secrets never reach a log line -------------------------------------------------------

PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIAbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghij\n"
    "-----END PRIVATE KEY-----"
)
TOKEN = "acc_" + "Zx9" * 15


@pytest.fixture
def log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecretsFilter())
    logger = logging.getLogger("accord.test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


@pytest.mark.parametrize(
    ("message", "args", "secret"),
    [
        ("login password=%s", ("hunter2hunter2",), "hunter2hunter2"),
        ('payload {"password": "s3cr3t-value"}', (), "s3cr3t-value"),
        ("Authorization: Bearer %s", (TOKEN,), TOKEN),
        ("user add --token printed %s", (TOKEN,), TOKEN),
        ("api_key=%s", ("k-1234567890",), "k-1234567890"),
        ("secret: topsecretvalue", (), "topsecretvalue"),
        ("loaded key %s", (PEM,), "MC4CAQAwBQYDK2VwBCIEIAbCdEfGhIjKlMnOpQrStUvWxYz"),
    ],
)
def test_redact_filter_removes_secrets(log, message, args, secret):
    logger, stream = log
    logger.info(message, *args)
    line = stream.getvalue()
    assert secret not in line
    assert "[REDACTED]" in line


def test_redact_filter_keeps_ordinary_lines(log):
    logger, stream = log
    logger.info("record %s read by %s", "identity--1", "ana")
    assert stream.getvalue().strip() == "record identity--1 read by ana"


def test_node_logging_config_installs_the_filter(settings):
    handler = settings.LOGGING["handlers"]["console"]
    assert "redact" in handler["filters"]
    assert settings.LOGGING["filters"]["redact"]["()"] == "accord.node.logging.RedactSecretsFilter"
