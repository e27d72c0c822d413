"""Peer services against a real database: registry, outbox back-off, delivery outcomes, nonce
pruning, the signed-request middleware and the inbox (object signatures and provenance).

Delivery runs against an ``httpx.MockTransport`` that either fails like a network does or
forwards the signed request to this node's own Django stack through the test client, so that
the sender's signature and the receiver's checks meet for real in one process.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accord.engine.signing import sign_object, sign_request, verify_object, verify_request
from accord.federation.delivery import backoff_seconds, deliver_pending
from accord.federation.models import OutboxItem, Peer, SeenNonce, peer_identity_id
from accord.federation.services import (
    PeerError,
    add_peer,
    enqueue,
    prune_nonces,
    remember_nonce,
    update_peer,
)
from accord.intel.factories import person_object
from accord.intel.models import Record
from accord.intel.services import ingest_objects
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db

TAXII = "application/taxii+json;version=2.1"
KEY_SELF = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
KEY_PEER = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
KEY_OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(5, 37)))


def _pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture
def me(db):
    """This node (node-self) with its key in the data directory, as ``accord init`` leaves it."""
    from accord.node.models import NodeIdentity

    data = Path(settings.DATA_DIR)
    (data / "node_ed25519.pem").write_bytes(
        KEY_SELF.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return NodeIdentity.objects.create(
        node_id="node-self",
        jurisdiction="NL",
        name="Self",
        identity_id=peer_identity_id("node-self"),
        public_key_pem=_pem(KEY_SELF),
    )


@pytest.fixture
def peer(me):
    return add_peer(
        None,
        node_id="node-peer",
        url="http://127.0.0.1:9/",
        jurisdiction="DE",
        public_key_pem=_pem(KEY_PEER),
    )


def _own(n: int, modified: str = "2026-01-02T03:04:05.000Z") -> dict:
    return person_object(n, created_by_ref=peer_identity_id("node-self"), modified=modified)


def _peers(n: int, modified: str = "2026-01-02T03:04:05.000Z", key=KEY_PEER) -> dict:
    obj = person_object(n, created_by_ref=peer_identity_id("node-peer"), modified=modified)
    return sign_object(obj, "node-peer", key)


# --------------------------------------------------------------------------------------------
# Registry


def test_add_peer_creates_a_password_less_service_user_and_audits(peer):
    user = peer.user
    assert user.username == "peer:node-peer" and user.role == "peer"
    assert not user.has_usable_password()
    assert user.can("record.create") and user.can("record.view")
    assert not user.can("record.export") and not user.can("user.manage")
    assert AuditEvent.objects.get(action="peer.add").object_ids == ["peer:node-peer"]
    update_peer(None, peer, enabled=False)
    peer.user.refresh_from_db()
    assert not peer.user.is_active
    assert AuditEvent.objects.filter(action="peer.update").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"node_id": "node-self"}, "own id"),
        ({"node_id": "bad id"}, "node id"),
        ({"jurisdiction": "XX"}, "not an ISO 3166-1 alpha-2 country code"),
        ({"url": "ftp://x/"}, "http"),
        ({"public_key_pem": "junk"}, "public key: not a PEM public key"),
    ],
)
def test_add_peer_refuses_bad_input(me, changes, message):
    values = {
        "node_id": "node-x",
        "url": "http://127.0.0.1:9/",
        "jurisdiction": "DE",
        "public_key_pem": _pem(KEY_PEER),
        **changes,
    }
    with pytest.raises(PeerError, match=message):
        add_peer(None, **values)
    assert not Peer.objects.exists()


# --------------------------------------------------------------------------------------------
# Outbox


def test_backoff_is_exponential_capped_and_jittered():
    assert backoff_seconds(1, rand=lambda: 0.0) == 1.0
    assert backoff_seconds(1, rand=lambda: 1.0) == 2.0
    assert backoff_seconds(4, rand=lambda: 1.0) == 16.0
    assert backoff_seconds(40, rand=lambda: 1.0) == 3600.0
    delays = {backoff_seconds(5) for _ in range(50)}
    assert all(16.0 <= d <= 32.0 for d in delays) and len(delays) > 1


def _stored(objects, user=None):
    report = ingest_objects(user, objects, source="test")
    assert report.ok, report.refused
    return [Record.objects.get(stix_id=o["id"]) for o in objects]


def test_enqueue_is_idempotent_and_audited(peer):
    records = _stored([_own(1), _own(2)])
    assert len(enqueue(records, peer, deliver_now=False)) == 2
    assert enqueue(records, peer, deliver_now=False) == []
    assert OutboxItem.objects.filter(status="queued").count() == 2
    assert AuditEvent.objects.filter(action="peer.enqueue").count() == 2


def _down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def test_peer_down_then_back_nothing_lost_nothing_duplicated(peer):
    records = _stored([_own(1), _own(2), _own(3)])
    enqueue(records, peer, deliver_now=False)
    with httpx.Client(transport=httpx.MockTransport(_down)) as client:
        report = deliver_pending(client=client)
    assert (report.attempted, report.failed, report.delivered) == (3, 3, 0)
    items = list(OutboxItem.objects.all())
    assert {i.status for i in items} == {"failed"} and {i.attempts for i in items} == {1}
    assert all(i.next_attempt_at > timezone.now() for i in items)
    assert "connection refused" in items[0].last_error
    # In back-off: a pass sends nothing; the next one after the delay does.
    with httpx.Client(transport=httpx.MockTransport(_down)) as client:
        assert deliver_pending(client=client).attempted == 0
    OutboxItem.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    seen: list[dict] = []

    def accept(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append({"headers": dict(request.headers), "body": body, "raw": request.content,
                     "url": str(request.url)})  # fmt: skip
        ok = [{"id": o["id"], "version": o["modified"]} for o in body["objects"]]
        return httpx.Response(202, json={"status": "complete", "successes": ok, "failures": []})

    with httpx.Client(transport=httpx.MockTransport(accept)) as client:
        report = deliver_pending(client=client)
        assert report.delivered == 3
        assert deliver_pending(client=client, force=True).attempted == 0  # nothing twice
    assert {i.status for i in OutboxItem.objects.all()} == {"delivered"}
    (sent,) = seen
    assert sent["url"] == "http://127.0.0.1:9/federation/inbox/"
    assert sent["headers"]["content-type"] == TAXII
    keys = {"node-self": KEY_SELF.public_key()}
    for obj in sent["body"]["objects"]:
        assert verify_object(obj, keys.get).ok
    check = verify_request("POST", sent["url"], sent["headers"], sent["raw"],
                           public_key_for=keys.get, remember_nonce=None)  # fmt: skip
    assert check.ok and check.keyid == "node-self"


def test_status_failures_are_rejected_and_unmentioned_items_retried(peer):
    records = _stored([_own(1), _own(2)])
    enqueue(records, peer, deliver_now=False)
    refused_id = records[0].stix_id

    def partial(request: httpx.Request) -> httpx.Response:
        failures = [{"id": refused_id, "version": "2026-01-02T03:04:05.000Z", "message": "no"}]
        return httpx.Response(202, json={"successes": [], "failures": failures})

    with httpx.Client(transport=httpx.MockTransport(partial)) as client:
        report = deliver_pending(client=client)
    assert (report.rejected, report.failed) == (1, 1)
    by_id = {i.stix_id: i for i in OutboxItem.objects.all()}
    assert by_id[refused_id].status == "rejected" and "no" in by_id[refused_id].last_error
    assert by_id[records[1].stix_id].status == "failed"


def test_a_5xx_answer_is_a_failure(peer):
    enqueue(_stored([_own(1)]), peer, deliver_now=False)
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(503))) as client:
        assert deliver_pending(client=client).failed == 1
    assert "503" in OutboxItem.objects.get().last_error


def test_unsigned_relay_is_not_sent(peer):
    obj = person_object(1, created_by_ref=peer_identity_id("node-x"))
    ingest_objects(None, [obj], source="test", origin_node="node-x")
    enqueue(Record.objects.filter(stix_id=obj["id"]), peer, deliver_now=False)
    with httpx.Client(transport=httpx.MockTransport(_down)) as client:
        assert deliver_pending(client=client).rejected == 1
    assert "cannot relay" in OutboxItem.objects.get().last_error


# --------------------------------------------------------------------------------------------
# Nonces


def test_nonce_replay_and_pruning(me):
    now = int(time.time())
    assert remember_nonce("node-peer", "n1", now)
    assert not remember_nonce("node-peer", "n1", now)
    assert remember_nonce("node-other", "n1", now)  # per key
    assert remember_nonce("node-peer", "old", now - 2000)
    assert prune_nonces(now) == 1
    assert set(SeenNonce.objects.values_list("nonce", flat=True)) == {"n1"}
    assert prune_nonces(now + 3600) == 2


# --------------------------------------------------------------------------------------------
# Receiving: middleware and inbox


def _post(client: Client, objects: list, *, key=KEY_PEER, keyid="node-peer", created=None,
          body: bytes | None = None, headers: dict | None = None):  # fmt: skip
    url = "http://testserver/federation/inbox/"
    raw = json.dumps({"objects": objects}).encode()
    signed = headers or sign_request("POST", url, {"Content-Type": TAXII}, raw, keyid=keyid,
                                     private_key=key, created=created)  # fmt: skip
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signed.items()
             if k.lower() != "content-type"}  # fmt: skip
    response = client.post("/federation/inbox/", data=body if body is not None else raw,
                           content_type=TAXII, **extra)  # fmt: skip
    return response, signed, raw


def test_inbox_stores_signed_objects_with_provenance_read_only(peer):
    client = Client()
    objects = [_peers(1), _peers(2)]
    response, _, _ = _post(client, objects)
    assert response.status_code == 202, response.content
    status = response.json()
    assert (status["success_count"], status["failure_count"]) == (2, 0)
    record = Record.objects.get(stix_id=objects[0]["id"])
    assert record.origin_node == "node-peer" and record.owner == peer.user
    assert record.versions.get().source == "peer:node-peer"
    assert json.loads(record.data)["x_accord_signature"]["keyid"] == "node-peer"
    # Again: idempotent on (id, modified).
    again, _, _ = _post(client, objects)
    assert again.json()["success_count"] == 2 and record.versions.count() == 1
    # A local user cannot write a new version of it under another creator.
    local = _own(1, modified="2026-02-01T00:00:00.000Z")
    local["id"] = objects[0]["id"]
    assert not ingest_objects(None, [local], source="t", all_or_nothing=True).ok


def test_out_of_order_versions_keep_the_newest(peer):
    client = Client()
    new = _peers(1, modified="2026-03-01T00:00:00.000Z")
    old = _peers(1, modified="2026-02-01T00:00:00.000Z")
    assert _post(client, [new])[0].json()["success_count"] == 1
    assert _post(client, [old])[0].json()["success_count"] == 1
    record = Record.objects.get(stix_id=new["id"])
    assert json.loads(record.data)["modified"] == "2026-03-01T00:00:00.000Z"
    assert record.versions.count() == 2


def test_inbox_refuses_tampered_forged_and_unsigned_objects(peer):
    client = Client()
    tampered = _peers(1)
    tampered["name"] = "Someone Else"
    forged = sign_object(  # signed by the peer, but claims to be this node's object
        person_object(2, created_by_ref=peer_identity_id("node-self")), "node-peer", KEY_PEER
    )
    unsigned = person_object(3, created_by_ref=peer_identity_id("node-peer"))
    stranger = _peers(4, key=KEY_OTHER)
    good = _peers(5)
    response, _, _ = _post(client, [tampered, forged, unsigned, stranger, good])
    status = response.json()
    assert status["success_count"] == 1 and status["successes"][0]["id"] == good["id"]
    reasons = [f["message"] for f in status["failures"]]
    assert "bad signature" in reasons[0]
    assert "forged provenance" in reasons[1]
    assert "unsigned" in reasons[2]
    assert "bad signature" in reasons[3]
    assert not Record.objects.filter(stix_id__in=[tampered["id"], forged["id"]]).exists()
    event = AuditEvent.objects.get(action="peer.object")
    assert event.outcome == "denied" and tampered["id"] in event.object_ids


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("unknown", "unknown key"),
        ("replay", "replayed"),
        ("tampered-body", "digest mismatch"),
        ("old", "too old"),
        ("future", "from the future"),
        ("disabled", "unknown key"),
    ],
)
def test_middleware_refuses_and_audits(peer, case, reason):
    client = Client()
    objects = [_peers(1)]
    if case == "unknown":
        response, _, _ = _post(client, objects, key=KEY_OTHER, keyid="node-other")
    elif case == "replay":
        first, signed, _ = _post(client, objects)
        assert first.status_code == 202
        response, _, _ = _post(client, objects, headers=signed)
    elif case == "tampered-body":
        signed = sign_request("POST", "http://testserver/federation/inbox/",
                              {"Content-Type": TAXII}, json.dumps({"objects": objects}).encode(),
                              keyid="node-peer", private_key=KEY_PEER)  # fmt: skip
        response, _, _ = _post(client, objects, headers=signed, body=b'{"objects": []}')
    elif case == "old":
        response, _, _ = _post(client, objects, created=int(time.time()) - 900)
    elif case == "future":
        response, _, _ = _post(client, objects, created=int(time.time()) + 900)
    else:
        update_peer(None, peer, enabled=False)
        response, _, _ = _post(client, objects)
    assert response.status_code == 401
    body = response.json()
    assert body["http_status"] == "401" and reason in body["description"]
    event = AuditEvent.objects.filter(action="peer.request").latest("pk")
    assert event.outcome == "denied" and reason in event.detail["reason"]


def test_clock_skew_of_three_minutes_is_accepted(peer):
    response, _, _ = _post(Client(), [_peers(1)], created=int(time.time()) - 180)
    assert response.status_code == 202


def test_inbox_needs_a_signed_request(peer):
    response = Client().post("/federation/inbox/", data=b'{"objects": []}', content_type=TAXII)
    assert response.status_code == 401 and "signed" in response.json()["description"]


def test_signed_requests_do_not_authenticate_outside_taxii_and_federation(peer):
    url = "http://testserver/api/records"
    signed = sign_request("GET", url, {}, b"", keyid="node-peer", private_key=KEY_PEER)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signed.items()}
    response = Client().get("/api/records", **extra)
    assert response.status_code == 401 and "only on /taxii2/" in response.json()["description"]


def test_signed_taxii_request_acts_as_the_peer_user(peer):
    url = "http://testserver/taxii2/accord/collections/"
    signed = sign_request("GET", url, {"Accept": TAXII}, b"", keyid="node-peer",
                          private_key=KEY_PEER)  # fmt: skip
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signed.items()}
    response = Client().get("/taxii2/accord/collections/", **extra)
    assert response.status_code == 200, response.content
    assert response.json() == {} or response.json().get("collections", []) == []


def test_inbox_takes_self_certifying_handling_definitions_unsigned(peer):
    """An Accord handling definition travels with the record that uses it, unsigned: its id is
    the digest of its content, so an altered one is refused as unknown provenance."""
    from accord.engine.stix.markings import HandlingMarking, handling_marking_definition

    definition = handling_marking_definition(
        HandlingMarking(handling_code="H2", releasable_to=("DE", "NL"))
    )
    person = _peers(7)
    person.pop("x_accord_signature")
    person["object_marking_refs"] = [*person.get("object_marking_refs", []), definition["id"]]
    person = sign_object(person, "node-peer", KEY_PEER)
    response, _, _ = _post(Client(), [definition, person])
    status = response.json()
    assert (status["success_count"], status["failure_count"]) == (2, 0), status
    assert Record.objects.get(stix_id=person["id"]).handling_code == "H2"

    forged = {**definition, "id": "marking-definition--0e7c2a1e-4b8d-5f3a-9c6e-1d2b3a4c5d6e"}
    response, _, _ = _post(Client(), [forged])
    assert response.json()["failure_count"] == 1
    assert not Record.objects.filter(stix_id=forged["id"]).exists()
