"""Serving pulls (``GET /federation/outbox/objects/``) in process: only the requesting peer's
disclosures, never rejected items, only the revoking version of a revoked record, paging with
``next`` without loss at equal dates, disclosure facts beside the objects, an answer signed
with the request's nonce, bad parameters refused with a clear 400 and audited."""

from __future__ import annotations

import json

import httpx
import pytest
from django.test import Client
from tests.integration.test_peers_transport import KEY_OTHER, KEY_PEER, KEY_SELF, _own, _pem, me
from tests.integration.test_peers_transport import peer as peer

from accord.engine.signing import sign_request, verify_object, verify_request
from accord.federation import delivery
from accord.federation.models import OutboxItem, PullCursor
from accord.federation.pull import disclosed_page, pull_from
from accord.federation.services import add_peer, enqueue
from accord.intel.models import Record
from accord.intel.services import ingest_objects
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db
TAXII = "application/taxii+json;version=2.1"
PATH = "/federation/outbox/objects/"

__all__ = ["me"]


def _get(query: str, *, key=KEY_PEER, keyid="node-peer", nonce=None):
    url = f"http://testserver{PATH}{'?' + query if query else ''}"
    signed = sign_request("GET", url, {"Accept": TAXII}, b"", keyid=keyid, private_key=key,
                          nonce=nonce)  # fmt: skip
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signed.items()}
    return Client().get(PATH + ("?" + query if query else ""), **extra), url


def _stored(*numbers: int) -> list[Record]:
    objects = [_own(n) for n in numbers]
    assert ingest_objects(None, objects, source="t").ok
    return list(Record.objects.filter(stix_id__in=[o["id"] for o in objects]).order_by("pk"))


def test_serves_only_this_peers_disclosures_signed_and_audited(peer):
    other = add_peer(None, node_id="node-other", url="http://127.0.0.1:9/", jurisdiction="FR",
                     public_key_pem=_pem(KEY_OTHER))  # fmt: skip
    mine, theirs, refused = _stored(1), _stored(2), _stored(3)
    enqueue(mine + refused, peer, deliver_now=False)
    enqueue(theirs, other, deliver_now=False)
    OutboxItem.objects.filter(stix_id=refused[0].stix_id).update(status="rejected")
    _stored(4)  # held, never disclosed
    response, url = _get("limit=10", nonce="nonce-0123456789abcdef")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [o["id"] for o in body["objects"]] == [mine[0].stix_id] and body["more"] is False
    assert verify_object(body["objects"][0], {"node-self": KEY_SELF.public_key()}.get).ok
    check = verify_request("GET", url, dict(response.headers.items()), response.content,
                           public_key_for={"node-self": KEY_SELF.public_key()}.get,
                           remember_nonce=None)  # fmt: skip
    assert check.ok and check.nonce == "nonce-0123456789abcdef"
    assert response["X-TAXII-Date-Added-Last"].endswith("Z")
    event = AuditEvent.objects.filter(action="peer.serve").latest("pk")
    assert event.object_ids == [mine[0].stix_id] and event.detail["peer"] == "node-peer"


def test_pages_with_next_lose_nothing_at_equal_dates(peer):
    records = _stored(*range(10, 17))
    enqueue(records, peer, deliver_now=False)
    stamp = OutboxItem.objects.first().created_at
    OutboxItem.objects.update(created_at=stamp)  # all queued "at once"
    seen: list[str] = []
    page = disclosed_page(peer, limit=3)
    seen += [o["id"] for o in page.envelope["objects"]]
    while page.envelope["more"]:
        page = disclosed_page(peer, next_token=page.envelope["next"], limit=3)
        seen += [o["id"] for o in page.envelope["objects"]]
    assert sorted(seen) == sorted(r.stix_id for r in records) and len(seen) == 7
    assert disclosed_page(peer, added_after=stamp).envelope["objects"] == []


def test_byte_budget_cuts_a_page(peer, monkeypatch):
    enqueue(_stored(20, 21, 22), peer, deliver_now=False)
    monkeypatch.setattr(delivery, "ENVELOPE_BYTES", 10)
    page = disclosed_page(peer, limit=10)
    assert len(page.envelope["objects"]) == 1 and page.envelope["more"] is True


def test_revoked_record_serves_only_its_revoking_version(peer):
    (record,) = _stored(30)
    enqueue([record], peer, deliver_now=False)
    revoked = {**_own(30), "revoked": True, "modified": "2026-02-02T03:04:05.000Z"}
    assert ingest_objects(None, [revoked], source="t").ok
    enqueue(Record.objects.filter(pk=record.pk), peer, deliver_now=False)
    assert Record.objects.get(pk=record.pk).revoked
    objects = disclosed_page(peer).envelope["objects"]
    assert [(o["id"], o["modified"], o.get("revoked")) for o in objects] == [
        (record.stix_id, "2026-02-02T03:04:05.000Z", True)
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [("added_after=yesterday", "RFC 3339"), ("limit=0", "limit"), ("next=abc", "next token")],
)
def test_bad_parameters_are_a_clear_400_and_audited(peer, query, message):
    response, _ = _get(query)
    assert response.status_code == 400 and message in response.json()["description"]
    event = AuditEvent.objects.filter(action="peer.serve").latest("pk")
    assert event.outcome == "refused"


def test_unsigned_or_unknown_requests_are_refused(peer):
    assert Client().get(PATH).status_code == 401
    response, _ = _get("", key=KEY_OTHER, keyid="node-nobody")
    assert response.status_code == 401 and "unknown key" in response.json()["description"]


def test_undelivered_only_skips_what_the_peer_confirmed(peer):
    records = _stored(40, 41)
    enqueue(records, peer, deliver_now=False)
    OutboxItem.objects.filter(stix_id=records[0].stix_id).update(status="delivered")
    response, _ = _get("x_accord_undelivered=true")
    assert [o["id"] for o in response.json()["objects"]] == [records[1].stix_id]
    response, _ = _get("")
    assert len(response.json()["objects"]) == 2
    response, _ = _get("x_accord_undelivered=maybe")
    assert response.status_code == 400


def _answer(url: str, body: dict, *, key=KEY_PEER, keyid="node-peer", nonce=None, tamper=False):
    """A pull answer as ``node-peer`` would sign it (or not quite)."""
    raw = json.dumps(body).encode()
    headers = sign_request("GET", url, {"Content-Type": TAXII}, raw, keyid=keyid,
                           private_key=key, nonce=nonce)  # fmt: skip
    return httpx.Response(200, headers=headers, content=raw + (b" " if tamper else b""))


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("other key", "signature is refused"),
        ("altered body", "digest mismatch"),
        ("other nonce", "nonce differs"),
        ("not found", "answered 404"),
        ("down", "cannot reach node-peer"),
    ],
)
def test_pull_refuses_answers_that_are_not_the_peers_and_keeps_the_cursor(peer, case, reason):
    PullCursor.objects.create(peer=peer, added_after="2026-01-01T00:00:00.000000Z")

    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        nonce = request.headers["signature-input"].split('nonce="')[1].split('"')[0]
        body = {"more": False, "objects": []}
        if case == "other key":
            return _answer(url, body, key=KEY_OTHER, nonce=nonce)
        if case == "altered body":
            return _answer(url, body, nonce=nonce, tamper=True)
        if case == "other nonce":
            return _answer(url, body, nonce="another-nonce-0123456789")
        if case == "not found":
            return httpx.Response(404, text="no such path")
        raise httpx.ConnectError("connection refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        report = pull_from(peer, client=client)
    assert reason in report.error and report.pages == 0
    cursor = PullCursor.objects.get(peer=peer)
    assert cursor.added_after == "2026-01-01T00:00:00.000000Z" and reason in cursor.last_error
    event = AuditEvent.objects.filter(action="peer.pull").latest("pk")
    assert event.outcome == "failed" and reason in event.detail["error"]


def test_pull_asks_from_the_cursor_minus_the_overlap_and_follows_next(peer, monkeypatch):
    monkeypatch.setenv("ACCORD_PEER_PULL_OVERLAP", "60")
    PullCursor.objects.create(peer=peer, added_after="2026-01-01T00:01:00.000000Z")
    asked: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        asked.append(dict(request.url.params))
        nonce = request.headers["signature-input"].split('nonce="')[1].split('"')[0]
        more = len(asked) == 1
        body = {"more": more, "objects": [], **({"next": "tok"} if more else {})}
        body["x_accord_date_added_last"] = f"2026-01-01T00:0{len(asked) + 1}:00.000000Z"
        response = _answer(url, body, nonce=nonce)
        # An unsigned header does not move the cursor; the signed body member does.
        response.headers["X-TAXII-Date-Added-Last"] = "2030-01-01T00:00:00.000000Z"
        return response

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        report = pull_from(peer, client=client, undelivered_only=True)
    assert report.error == "" and report.pages == 2, report
    assert asked[0]["added_after"] == "2026-01-01T00:00:00.000000Z"
    assert asked[0]["x_accord_undelivered"] == "true"
    assert asked[1]["next"] == "tok" and "added_after" not in asked[1]
    assert PullCursor.objects.get(peer=peer).added_after == "2026-01-01T00:03:00.000000Z"
