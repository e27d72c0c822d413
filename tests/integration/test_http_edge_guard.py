"""The request guard in front of Django (``accord.node.request_guard``), driven as ASGI: the
client's body is a ``receive`` channel that counts how much of it the node asked for, so each
test shows whether a refusal came before the body was read (nothing asked for), while it was
read (just past the limit) or because it came too slowly.

The guard wraps Django's real ASGI handler and looks credentials up in the real database (a
transactional test: the guard's look-ups run on a thread of their own).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from django.core.asgi import get_asgi_application
from django.db import connections
from django.test import Client, override_settings

from accord.accounts.models import ApiToken
from accord.accounts.services import create_token, revoke_token
from accord.node.request_guard import RequestGuard, body_limit
from accord.oversight.models import AuditEvent
from accord.taxii.services import create_collection, grant_access

pytestmark = pytest.mark.django_db(transaction=True)

TAXII = "application/taxii+json;version=2.1"
PROBLEM = "application/problem+json"
HUGE = 10**12


@pytest.fixture(autouse=True)
def _short_lived_connections(monkeypatch) -> None:
    """Connections of the guard's and the handler's threads close after each request, so that
    none outlives the test (PostgreSQL drops the test database at the end)."""
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)


@pytest.fixture(scope="module")
def app() -> RequestGuard:
    return RequestGuard(get_asgi_application())


@pytest.fixture
def ana(make_user):
    user = make_user("ana", agency="ctu")
    raw, _ = create_token(None, user, name="test")
    collection = create_collection(None, title="Edge", alias="edge")
    grant_access(None, collection, user, can_read=True, can_write=True)
    objects = f"/taxii2/accord/collections/{collection.pk}/objects/"
    return {"user": user, "token": raw, "objects": objects}


class BodyClient:
    """The client's side of one request: its body, sent in ``chunks`` (``forever``: the last
    chunk again and again), ``pause`` seconds apart; ``asked`` counts the node's reads."""

    def __init__(self, chunks=(b"",), *, forever=False, pause=0.0):
        self.chunks, self.forever, self.pause = list(chunks), forever, pause
        self.asked = 0
        self.sent = 0

    async def receive(self):
        self.asked += 1
        if self.pause:
            await asyncio.sleep(self.pause)
        if self.asked <= len(self.chunks) or (self.forever and self.chunks):
            chunk = self.chunks[min(self.asked, len(self.chunks)) - 1]
            self.sent += len(chunk)
            more = self.forever or self.asked < len(self.chunks)
            return {"type": "http.request", "body": chunk, "more_body": more}
        await asyncio.sleep(3600)  # the client waits for the answer
        return {"type": "http.disconnect"}


def call(app, method, path, headers, client=None, host="127.0.0.1"):
    """One request through the guard: (status, headers, body as JSON or text, client)."""
    client = client or BodyClient()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000),
        "headers": [(b"host", host.encode())]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip
    sent = []

    async def send(message):
        sent.append(message)

    async def run():
        await asyncio.wait_for(app(scope, client.receive, send), timeout=30)

    asyncio.run(run())
    start = next(m for m in sent if m["type"] == "http.response.start")
    answer = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    kind = answer.get("content-type", "")
    parsed = json.loads(body) if "json" in kind else body.decode()
    return start["status"], answer, parsed, client


def test_anonymous_unsafe_requests_are_401_before_the_body(app, ana):
    status, headers, body, client = call(app, "POST", "/api/records", {
        "content-type": "application/json", "content-length": str(HUGE)})  # fmt: skip
    assert (status, client.asked) == (401, 0)
    assert headers["content-type"] == PROBLEM
    assert headers["connection"] == "close"
    assert body["type"] == "urn:accord:problem:unauthenticated"
    status, headers, body, client = call(app, "PUT", ana["objects"], {
        "content-type": TAXII, "transfer-encoding": "chunked"})  # fmt: skip
    assert (status, client.asked) == (401, 0)
    assert headers["content-type"] == TAXII
    assert headers["www-authenticate"].startswith('Basic realm="Accord TAXII"')
    assert body["http_status"] == "401"
    status, headers, body, client = call(app, "POST", "/federation/inbox/", {
        "content-type": TAXII, "content-length": str(HUGE)})  # fmt: skip
    assert (status, client.asked) == (401, 0)
    assert "signed" in body["description"]


def test_credentials_the_route_does_not_take_are_401_before_the_body(app, ana):
    basic = {"authorization": "Basic YW5hOmFueXRoaW5n", "content-length": "10"}  # ana:anything
    status, _, body, client = call(app, "POST", "/api/records", basic)
    assert (status, client.asked) == (401, 0)
    assert "API token" in body["detail"]
    malformed = {"authorization": "Basic !!!", "content-length": "10"}
    status, _, _, client = call(app, "POST", ana["objects"], malformed)
    assert (status, client.asked) == (401, 0)


def test_wrong_tokens_and_dead_sessions_are_401_before_the_body(app, ana):
    unknown = {"authorization": "Bearer acc_unknown", "content-length": "10"}
    for path in ("/api/records", ana["objects"]):
        status, _, _, client = call(app, "POST", path, unknown)
        assert (status, client.asked) == (401, 0)
    revoke_token(None, ApiToken.objects.get(user=ana["user"]))
    revoked = {"authorization": f"Bearer {ana['token']}", "content-length": "10"}
    status, _, body, client = call(app, "POST", ana["objects"], revoked)
    assert (status, client.asked) == (401, 0)
    assert "revoked" in body["description"]
    dead = {"cookie": "accord_session=no-such-session-key", "content-length": "10"}
    status, _, body, client = call(app, "POST", "/api/records", dead)
    assert (status, client.asked) == (401, 0)
    assert "session" in body["detail"]


def test_a_live_session_passes_on_the_api_and_not_on_taxii(app, ana):
    browser = Client()
    browser.force_login(ana["user"])
    cookie = {"cookie": f"accord_session={browser.cookies['accord_session'].value}"}
    body = BodyClient([b'{"type": "identity"}'])
    status, _, _, client = call(app, "POST", "/api/records", {
        **cookie, "content-type": "application/json", "content-length": "20"}, body)  # fmt: skip
    assert client.asked >= 1  # read: Django decides (here: no CSRF token, 403)
    assert status == 403
    status, _, _, client = call(app, "POST", ana["objects"], {**cookie, "content-length": "20"})
    assert (status, client.asked) == (401, 0)


@override_settings(ACCORD_TAXII_MAX_CONTENT_LENGTH=1000, DATA_UPLOAD_MAX_MEMORY_SIZE=2000,
                   ACCORD_MAX_UPLOAD_BYTES=5000)  # fmt: skip
def test_declared_length_over_the_route_limit_is_413_before_the_body(app, ana):
    auth = {"authorization": f"Bearer {ana['token']}"}
    status, headers, body, client = call(app, "POST", ana["objects"], {
        **auth, "content-type": TAXII, "content-length": "1001"})  # fmt: skip
    assert (status, client.asked) == (413, 0)
    assert headers["content-type"] == TAXII
    assert "ACCORD_TAXII_MAX_CONTENT_LENGTH" in body["description"]
    status, _, body, client = call(app, "POST", "/api/records", {
        **auth, "content-type": "application/json", "content-length": "2001"})  # fmt: skip
    assert (status, client.asked) == (413, 0)
    assert body["type"] == "urn:accord:problem:too-large"
    multipart = "multipart/form-data; boundary=x"
    status, _, _, client = call(app, "POST", "/api/imports", {
        **auth, "content-type": multipart, "content-length": "7001"})  # fmt: skip
    assert (status, client.asked) == (413, 0)
    assert body_limit("api", multipart).limit == 7000  # the file, and the other fields
    # The web UI: no credential check here (the login form is a POST), the limit still holds.
    status, headers, _, client = call(app, "POST", "/login/", {"content-length": str(HUGE)})
    assert (status, client.asked) == (413, 0)
    assert headers["content-type"].startswith("text/plain")


@override_settings(ACCORD_TAXII_MAX_CONTENT_LENGTH=100_000)
def test_chunked_body_is_413_as_soon_as_it_passes_the_limit(app, ana):
    stream = BodyClient([b"x" * 10_000], forever=True)
    status, headers, body, client = call(app, "POST", ana["objects"], {
        "authorization": f"Bearer {ana['token']}", "content-type": TAXII,
        "transfer-encoding": "chunked"}, stream)  # fmt: skip
    assert status == 413
    assert body["http_status"] == "413"
    assert headers["content-type"] == TAXII
    assert 100_000 < client.sent <= 110_000  # read up to the chunk that passed the limit
    assert client.asked == 11


@override_settings(ACCORD_TAXII_MAX_CONTENT_LENGTH=100_000)
def test_signed_request_over_the_limit_is_413_and_audited(app, ana):
    signed = {
        "signature-input": 'sig1=("@method" "@target-uri");keyid="node-far";alg="ed25519"',
        "signature": "sig1=:AAAA:", "content-type": TAXII, "content-length": str(HUGE),
    }  # fmt: skip
    status, _, body, client = call(app, "POST", "/federation/inbox/", signed)
    assert (status, client.asked) == (413, 0)
    assert body["http_status"] == "413"
    event = AuditEvent.objects.filter(action="peer.request").order_by("-seq").first()
    assert event.detail["keyid"] == "node-far"
    assert event.detail["status"] == 413
    assert str(HUGE) in event.detail["reason"]


@override_settings(ACCORD_REQUEST_BODY_TIMEOUT=0.5, ACCORD_REQUEST_BODY_MIN_RATE=0)
def test_body_past_the_deadline_is_408(app, ana):
    slow = BodyClient([b"{"] * 10, pause=0.2)
    status, headers, body, client = call(app, "POST", ana["objects"], {
        "authorization": f"Bearer {ana['token']}", "content-type": TAXII,
        "content-length": "10"}, slow)  # fmt: skip
    assert status == 408
    assert headers["content-type"] == TAXII
    assert "too slowly" in body["description"]
    assert client.sent < 10


@override_settings(ACCORD_REQUEST_BODY_TIMEOUT=30, ACCORD_REQUEST_BODY_MIN_RATE=1000,
                   ACCORD_REQUEST_BODY_GRACE=0.3)  # fmt: skip
def test_body_below_the_minimum_rate_is_408(app, ana):
    trickle = BodyClient([b" "] * 100, pause=0.05)  # 20 bytes/s against at least 1,000
    status, _, body, client = call(app, "POST", "/api/records", {
        "authorization": f"Bearer {ana['token']}", "content-type": "application/json",
        "content-length": "100"}, trickle)  # fmt: skip
    assert status == 408
    assert body["status"] == 408
    assert client.sent < 20


def test_good_requests_reach_django(app, ana):
    envelope = json.dumps({"objects": [{
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2026-01-02T03:04:05.000Z", "modified": "2026-01-02T03:04:05.000Z",
        "name": "edge", "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix", "valid_from": "2026-01-02T03:04:05Z",
    }]}).encode()  # fmt: skip
    half = len(envelope) // 2
    two_parts = BodyClient([envelope[:half], envelope[half:]])
    status, _, body, _ = call(app, "POST", ana["objects"], {
        "authorization": f"Bearer {ana['token']}", "content-type": TAXII, "accept": TAXII,
        "content-length": str(len(envelope))}, two_parts)  # fmt: skip
    assert status == 202, body
    assert body["success_count"] == 1
    # Safe methods are not held up: Django answers (here 401, as a TAXII error).
    status, headers, _, _ = call(app, "GET", "/taxii2/", {"accept": TAXII})
    assert status == 401
    assert headers["content-type"] == TAXII


def test_unknown_host_is_answered_in_the_format_of_the_url(app, ana):
    status, headers, body, _ = call(app, "GET", "/taxii2/", {"accept": TAXII}, host="evil.test")
    assert status == 400
    assert headers["content-type"] == TAXII
    assert "Host" in body["description"]
    status, headers, body, _ = call(app, "GET", "/api/records", {}, host="evil.test")
    assert (status, headers["content-type"]) == (400, PROBLEM)
