"""Sign-in throttling: strangers cannot keep a user out, tokens and sessions keep working, and
unknown users, wrong passwords and paused accounts get the same answer.

Failed password attempts are counted per source address and per account name, in the database
(so every process of the node shares them). Requests come from the addresses the test client
sets as ``REMOTE_ADDR``; each address below is from the documentation ranges (RFC 5737).
"""

from __future__ import annotations

import base64
import re
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accord.accounts.services import create_token
from accord.oversight.models import AuditEvent
from accord.taxii.auth import clear_basic_cache

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery 9"
WRONG = "wrong password 12"
TAXII = "application/taxii+json;version=2.1"
STRANGER = "198.51.100.66"
ALICE_HOME = "192.0.2.10"


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_basic_cache()
    yield
    clear_basic_cache()


@pytest.fixture
def alice(make_user):
    return make_user("alice")


def basic(username: str, password: str, address: str):
    """GET /taxii2/ with HTTP Basic from ``address``."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return Client().get(
        "/taxii2/", HTTP_ACCEPT=TAXII, HTTP_AUTHORIZATION=f"Basic {token}", REMOTE_ADDR=address
    )


def web_login(username: str, password: str, address: str, client: Client | None = None):
    client = client or Client()
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def distributed_attack(name: str, settings, prefix: str = "203.0.113.") -> None:
    """Enough wrong passwords for ``name`` to pause it, each from an address of its own."""
    for i in range(settings.ACCORD_LOGIN_ACCOUNT_FAILURES):
        assert basic(name, WRONG, f"{prefix}{i + 1}").status_code == 401


@pytest.fixture
def fast(settings):
    """A smaller account threshold (each failure costs an Argon2 hash); one source still cannot
    reach it alone."""
    settings.ACCORD_LOGIN_SOURCE_FAILURES = 3
    settings.ACCORD_LOGIN_ACCOUNT_FAILURES = 5
    return settings


# --- a stranger cannot keep alice out -----------------------------------------------------


@pytest.mark.parametrize("attempts", [5, 50])
def test_a_strangers_wrong_basic_attempts_do_not_keep_alice_out(alice, attempts):
    for _ in range(attempts):
        assert basic("alice", WRONG, STRANGER).status_code in (401, 429)
    assert basic("alice", PASSWORD, "192.0.2.200").status_code == 200
    assert web_login("alice", PASSWORD, "192.0.2.201").status_code == 302


@pytest.mark.parametrize("attempts", [5, 50])
def test_a_strangers_wrong_attempts_never_stop_alices_token(alice, attempts):
    raw, _ = create_token(None, alice, name="etl")
    for _ in range(attempts):
        basic("alice", WRONG, STRANGER)
        web_login("alice", WRONG, STRANGER)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "REMOTE_ADDR": STRANGER}
    assert Client().get("/api/records", **bearer).status_code == 200
    assert Client().get("/taxii2/", HTTP_ACCEPT=TAXII, **bearer).status_code == 200


def test_a_paused_password_leaves_the_token_and_the_session_working(alice, fast):
    raw, _ = create_token(None, alice, name="etl")
    session = Client()
    assert web_login("alice", PASSWORD, ALICE_HOME, session).status_code == 302
    distributed_attack("alice", fast)
    assert basic("alice", PASSWORD, "192.0.2.77").status_code == 401  # the password is paused
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert Client().get("/api/records", **bearer).status_code == 200
    assert Client().get("/taxii2/", HTTP_ACCEPT=TAXII, **bearer).status_code == 200
    assert session.get("/", REMOTE_ADDR=ALICE_HOME).status_code == 200
    assert session.get("/api/records", REMOTE_ADDR=ALICE_HOME).status_code == 200


def test_a_paused_account_still_signs_in_from_an_address_it_used_before(alice, fast):
    assert web_login("alice", PASSWORD, ALICE_HOME).status_code == 302
    distributed_attack("alice", fast)
    assert web_login("alice", PASSWORD, "192.0.2.99").status_code == 200  # refused: new address
    assert web_login("alice", PASSWORD, ALICE_HOME).status_code == 302
    assert basic("alice", PASSWORD, ALICE_HOME).status_code == 200


def _time_passes(seconds: float) -> None:
    """Move every throttle's clock back by ``seconds``, as if that much time had passed."""
    from accord.accounts.models import LoginThrottle

    for row in LoginThrottle.objects.all():
        row.expires_at -= timedelta(seconds=seconds)
        if row.blocked_until is not None:
            row.blocked_until -= timedelta(seconds=seconds)
        row.save()


def test_one_source_alone_never_pauses_an_account_with_the_default_settings(alice):
    """A source that tries again whenever its pause ends, for hours, with the defaults."""
    from accord.accounts.models import LoginThrottle

    for _ in range(6):
        while basic("alice", WRONG, STRANGER).status_code == 401:
            pass
        source = LoginThrottle.objects.get(scope="source")
        _time_passes((source.blocked_until - timezone.now()).total_seconds())
    assert LoginThrottle.objects.get(scope="source").strikes == 6
    assert not LoginThrottle.objects.filter(scope="account", blocked_until__isnull=False).exists()
    assert basic("alice", PASSWORD, "192.0.2.202").status_code == 200


# --- the same answer for unknown, wrong and paused ----------------------------------------


def _page(response) -> str:
    """The page without what differs by request: its CSRF token and the name typed."""
    html = response.content.decode().replace(str(response.context["csrf_token"]), "")
    return re.sub(r'(id="id_username"[^>]*value=")[^"]*"', r'\1"', html)


def test_unknown_wrong_and_paused_get_the_same_answer(alice, fast):
    distributed_attack("alice", fast)
    answers = {
        "unknown": basic("nobody", WRONG, "192.0.2.31"),
        "wrong": basic("alice", WRONG, "192.0.2.32"),
        "paused": basic("alice", PASSWORD, "192.0.2.33"),
    }
    first = answers["unknown"]
    assert first.status_code == 401
    for why, answer in answers.items():
        assert answer.status_code == first.status_code, why
        assert answer.content == first.content, why
        assert answer["WWW-Authenticate"] == first["WWW-Authenticate"], why
    pages = {
        "unknown": web_login("nobody", WRONG, "192.0.2.41"),
        "wrong": web_login("alice", WRONG, "192.0.2.42"),
        "paused": web_login("alice", PASSWORD, "192.0.2.43"),
    }
    assert {p.status_code for p in pages.values()} == {200}
    assert len({_page(p) for p in pages.values()}) == 1
    assert "correct username and password" in _page(pages["paused"])
    assert "alice" not in _page(pages["paused"])
    denied = AuditEvent.objects.filter(action="auth.login", actor="alice", outcome="denied")
    assert denied.order_by("-seq").first().detail["why"] == "paused"


def test_paused_and_unknown_take_as_long_as_a_wrong_password(alice, fast):
    """Every refusal hashes a password (Argon2), so the time does not tell them apart."""
    distributed_attack("alice", fast)

    def fastest(username: str, password: str, address: str) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            assert basic(username, password, address).status_code == 401
            times.append(time.perf_counter() - start)
        return min(times)

    wrong = fastest("alice", WRONG, "192.0.2.51")
    for username, password, address in (("nobody", WRONG, "192.0.2.52"),
                                        ("alice", PASSWORD, "192.0.2.53")):  # fmt: skip
        took = fastest(username, password, address)
        assert 0.5 * wrong < took < 2 * wrong, (username, took, wrong)


# --- a source that keeps failing ----------------------------------------------------------


def test_a_source_that_keeps_failing_is_refused_whatever_the_name(alice, fast):
    for i in range(fast.ACCORD_LOGIN_SOURCE_FAILURES):
        assert basic(f"guess{i}", WRONG, STRANGER).status_code == 401
    refused = basic("alice", PASSWORD, STRANGER)
    assert refused.status_code == 429
    assert refused["Content-Type"] == TAXII
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert refused.json()["http_status"] == "429"
    page = web_login("alice", PASSWORD, STRANGER)
    assert page.status_code == 429
    assert "Too many failed sign-ins from your address" in page.content.decode()
    # Everyone else is unaffected.
    assert basic("alice", PASSWORD, "192.0.2.60").status_code == 200
    event = AuditEvent.objects.get(action="auth.throttle", detail__scope="source")
    assert event.detail["address"] == STRANGER
    assert event.detail["failures"] == fast.ACCORD_LOGIN_SOURCE_FAILURES


def test_ipv6_sources_are_counted_per_64_network(alice, fast):
    for i in range(fast.ACCORD_LOGIN_SOURCE_FAILURES):
        assert basic("alice", WRONG, f"2001:db8:1:2::{i + 1:x}").status_code == 401
    assert basic("alice", PASSWORD, "2001:db8:1:2::ffff").status_code == 429
    assert basic("alice", PASSWORD, "2001:db8:1:3::1").status_code == 200


def test_a_trusted_proxy_names_the_client_and_others_cannot(alice, fast):
    fast.ACCORD_TRUSTED_PROXIES = ["127.0.0.1"]
    token = base64.b64encode(f"alice:{WRONG}".encode()).decode()

    def via_proxy(client_address: str, remote: str = "127.0.0.1"):
        return Client().get(
            "/taxii2/", HTTP_ACCEPT=TAXII, HTTP_AUTHORIZATION=f"Basic {token}",
            REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=f"10.9.9.9, {client_address}",
        )  # fmt: skip

    for _ in range(fast.ACCORD_LOGIN_SOURCE_FAILURES):
        assert via_proxy(STRANGER).status_code == 401
    assert via_proxy(STRANGER).status_code == 429  # the client the proxy named is paused
    assert via_proxy("192.0.2.70").status_code == 401  # another client behind it is not
    # A direct client's own X-Forwarded-For is not believed: it is counted as itself.
    for _ in range(fast.ACCORD_LOGIN_SOURCE_FAILURES):
        assert via_proxy("192.0.2.71", remote="192.0.2.72").status_code == 401
    assert via_proxy("192.0.2.71", remote="192.0.2.72").status_code == 429
    assert via_proxy("192.0.2.71").status_code == 401


# --- the account throttle ---------------------------------------------------------------


def test_the_account_pause_doubles_and_ends(alice, fast):
    from accord.accounts.models import LoginThrottle

    distributed_attack("alice", fast)
    row = LoginThrottle.objects.get(scope="account", key="alice")
    first = (row.blocked_until - timezone.now()).total_seconds()
    assert 0 < first <= fast.ACCORD_LOGIN_ACCOUNT_PAUSE_SECONDS
    # The pause ends; the next failure pauses again, twice as long.
    LoginThrottle.objects.filter(pk=row.pk).update(blocked_until=timezone.now())
    assert basic("alice", WRONG, "192.0.2.81").status_code == 401
    second = (LoginThrottle.objects.get(pk=row.pk).blocked_until - timezone.now()).total_seconds()
    assert second > 1.8 * fast.ACCORD_LOGIN_ACCOUNT_PAUSE_SECONDS
    assert second <= 2 * fast.ACCORD_LOGIN_ACCOUNT_PAUSE_SECONDS
    # Once the pause is over the right password works from a new address.
    LoginThrottle.objects.filter(pk=row.pk).update(blocked_until=timezone.now())
    assert basic("alice", PASSWORD, "192.0.2.82").status_code == 200
    events = AuditEvent.objects.filter(action="auth.throttle", detail__scope="account")
    assert [e.detail["address"] for e in events.order_by("seq")] == [
        f"203.0.113.{fast.ACCORD_LOGIN_ACCOUNT_FAILURES}",
        "192.0.2.81",
    ]
    assert all(e.actor == "alice" for e in events)


def test_old_failures_are_forgotten(alice, fast):
    from accord.accounts.models import LoginThrottle

    for i in range(fast.ACCORD_LOGIN_ACCOUNT_FAILURES - 1):
        basic("alice", WRONG, f"203.0.113.{i + 1}")
    LoginThrottle.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    basic("alice", WRONG, "203.0.113.99")
    row = LoginThrottle.objects.get(scope="account", key="alice")
    assert row.failures == 1 and row.blocked_until is None


def test_unknown_names_are_paused_like_real_ones(fast):
    distributed_attack("nobody", fast)
    event = AuditEvent.objects.get(action="auth.throttle", detail__scope="account")
    assert event.actor == "nobody"


def test_a_name_with_a_nul_character_is_refused_like_any_wrong_login(alice):
    response = basic("ali\x00ce", WRONG, "192.0.2.90")
    assert response.status_code == 401
    assert response.content == basic("nobody", WRONG, "192.0.2.91").content
