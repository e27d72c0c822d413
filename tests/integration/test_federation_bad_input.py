"""Bad input to the signed inbox (issue 4, bad-input section), on the real middleware, view,
services and database through Django's test client: forged provenance, relays that claim to be
the originator, disclosure facts naming agreements that do not cover the receiver, oversized
pushes (and what the sender's outbox does with a 413), malformed envelopes.

This node is node-self (NL). Two peers are registered: node-peer (DE), the sender, and
node-third (FR), a third node whose objects node-peer may relay. Every refusal must come back
with a reason in the TAXII status or error, be audited, and leave nothing stored. What
``tests/integration/test_peers_transport.py`` already covers (tampered, unsigned, a stranger's
key, an object claiming this node's identity, the signature checks of the middleware) is not
repeated here. The defects these tests found are fixed (docs/federation.md, "Fault tests").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.test import Client, override_settings
from tests.agreements import bilateral

from accord.engine.signing import sign_object, sign_request
from accord.federation.delivery import deliver_pending
from accord.federation.models import OutboxItem, Peer, peer_identity_id
from accord.federation.services import add_peer, enqueue
from accord.intel.factories import person_object
from accord.intel.models import Record
from accord.intel.services import ingest_objects
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db

TAXII = "application/taxii+json;version=2.1"
INBOX = "/federation/inbox/"
KEY_SELF = Ed25519PrivateKey.from_private_bytes(bytes(range(40, 72)))
KEY_PEER = Ed25519PrivateKey.from_private_bytes(bytes(range(41, 73)))
KEY_THIRD = Ed25519PrivateKey.from_private_bytes(bytes(range(42, 74)))
KEY_STRANGER = Ed25519PrivateKey.from_private_bytes(bytes(range(43, 75)))
PURPOSE = "counter-terrorism"


def _pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _agreement(agreement_id: str, parties: list[str]) -> dict[str, Any]:
    return bilateral(agreement_id, parties, purposes=(PURPOSE,))


@pytest.fixture
def nodes(db: Any) -> dict[str, Peer]:
    """This node (node-self, NL, key in the data directory), peers node-peer (DE) and
    node-third (FR), and two agreements in force: NL-DE and FR-DE (none between NL and FR)."""
    from accord.agreement.services import save_agreement
    from accord.node.models import NodeIdentity

    (Path(settings.DATA_DIR) / "node_ed25519.pem").write_bytes(
        KEY_SELF.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    NodeIdentity.objects.create(
        node_id="node-self",
        jurisdiction="NL",
        name="Self",
        identity_id=peer_identity_id("node-self"),
        public_key_pem=_pem(KEY_SELF),
    )
    peers = {
        node: add_peer(
            None,
            node_id=node,
            url=f"http://{host}:9/",
            jurisdiction=cc,
            public_key_pem=_pem(key),
        )
        for node, cc, key, host in (
            ("node-peer", "DE", KEY_PEER, "127.0.0.2"),
            ("node-third", "FR", KEY_THIRD, "127.0.0.3"),
        )
    }
    save_agreement(None, _agreement("nl-de-ct", ["NL", "DE"]))
    save_agreement(None, _agreement("fr-de-ct", ["FR", "DE"]))
    return peers


def _object(n: int, node: str, *, key: Ed25519PrivateKey, keyid: str | None = None,
            modified: str = "2026-01-02T03:04:05.000Z") -> dict[str, Any]:  # fmt: skip
    """Person ``n`` created by ``node`` and signed with ``key`` under ``keyid`` (default: the
    creating node's id)."""
    obj = person_object(n, created_by_ref=peer_identity_id(node), modified=modified)
    return sign_object(obj, keyid or node, key)


def _post(
    body: bytes | dict[str, Any],
    *,
    content_type: str = TAXII,
    keyid: str = "node-peer",
    key: Ed25519PrivateKey = KEY_PEER,
) -> Any:
    """POST ``body`` (an envelope, or raw bytes) to the inbox, signed by ``keyid``."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    signed = sign_request("POST", f"http://testserver{INBOX}", {"Content-Type": content_type},
                          raw, keyid=keyid, private_key=key)  # fmt: skip
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signed.items()
             if k.lower() != "content-type"}  # fmt: skip
    return Client().post(INBOX, data=raw, content_type=content_type, **extra)


def _denied_reasons() -> dict[str, str]:
    """object id -> reason, over every ``peer.object`` (denied) audit entry."""
    out: dict[str, str] = {}
    for event in AuditEvent.objects.filter(action="peer.object", outcome="denied"):
        for refused in event.detail["refused"]:
            out[refused["id"]] = refused["reason"]
    return out


# --------------------------------------------------------------------------------------------
# Forged provenance and relays


def test_object_of_a_third_node_signed_with_the_senders_own_key_is_forged(nodes):
    """node-peer sends an object whose created_by_ref is node-third, signed with its own key
    (honestly under its own keyid, or pretending to be node-third's signature)."""
    own_key = _object(1, "node-third", key=KEY_PEER, keyid="node-peer")
    posing = _object(2, "node-third", key=KEY_PEER, keyid="node-third")
    unknown = _object(3, "node-nowhere", key=KEY_PEER, keyid="node-peer")
    response = _post({"objects": [own_key, posing, unknown]})
    assert response.status_code == 202, response.content
    status = response.json()
    assert (status["success_count"], status["failure_count"]) == (0, 3)
    reasons = {f["id"]: f["message"] for f in status["failures"]}
    assert (
        "forged provenance: created by node node-third but signed by node node-peer"
        in (reasons[own_key["id"]])
    )
    assert "bad signature" in reasons[posing["id"]]
    assert "is not a known node" in reasons[unknown["id"]]
    assert _denied_reasons() == reasons  # audited with the same reasons
    ids = [own_key["id"], posing["id"], unknown["id"]]
    assert not Record.objects.filter(stix_id__in=ids).exists()


def test_a_relay_keeps_the_originator_and_cannot_pose_as_it(nodes):
    """node-peer relays node-third's object with node-third's signature: stored with origin
    node-third (the relaying sender is recorded as the source, not as the originator). The
    same object with the relay's identity written into created_by_ref, or with the signature's
    keyid rewritten to the relay, no longer verifies; re-signed by the relay as its own
    version of node-third's record, the store refuses it (only the originator writes new
    versions). Nothing of the refused ones is stored."""
    original = _object(10, "node-third", key=KEY_THIRD)
    relayed = _post({"objects": [original]})
    assert relayed.json()["success_count"] == 1, relayed.json()
    record = Record.objects.get(stix_id=original["id"])
    assert record.origin_node == "node-third"
    assert record.owner == nodes["node-peer"].user
    assert record.versions.get().source == "peer:node-peer"

    claimed = {**original, "created_by_ref": peer_identity_id("node-peer")}
    keyid = {**original, "x_accord_signature": {**original["x_accord_signature"],
                                                "keyid": "node-peer"}}  # fmt: skip
    newer = "2026-02-01T00:00:00.000Z"
    resigned = sign_object(
        {**{k: v for k, v in original.items() if k != "x_accord_signature"},
         "created_by_ref": peer_identity_id("node-peer"), "modified": newer, "name": "Changed"},
        "node-peer", KEY_PEER,
    )  # fmt: skip
    response = _post({"objects": [claimed, keyid, resigned]})
    status = response.json()
    assert status["success_count"] == 0, status
    messages = [f["message"] for f in status["failures"]]
    assert "bad signature" in messages[0] and "bad signature" in messages[1]
    # Another node's record: refused in the same words whatever holds the id (no oracle).
    assert "belongs to a record you may not change" in messages[2], messages[2]
    record.refresh_from_db()
    assert record.versions.count() == 1 and json.loads(record.data)["name"] == original["name"]
    assert record.origin_node == "node-third"


def test_a_store_refusal_of_a_relay_is_audited_with_its_reason(nodes):
    original = _object(11, "node-third", key=KEY_THIRD)
    assert _post({"objects": [original]}).json()["success_count"] == 1
    resigned = sign_object(
        {**{k: v for k, v in original.items() if k != "x_accord_signature"},
         "created_by_ref": peer_identity_id("node-peer"),
         "modified": "2026-02-01T00:00:00.000Z"},
        "node-peer", KEY_PEER,
    )  # fmt: skip
    assert _post({"objects": [resigned]}).json()["failure_count"] == 1
    reasons = _denied_reasons()
    assert resigned["id"] in reasons
    assert "belongs to a record you may not change" in reasons[resigned["id"]]


# --------------------------------------------------------------------------------------------
# Disclosure facts (provenance on the wire)


def _facts(obj: dict[str, Any], agreement: str) -> dict[str, Any]:
    return {"id": obj["id"], "version": obj["modified"], "purpose": PURPOSE,
            "agreements": [{"id": agreement, "version": 1}], "max_retention_days": 730,
            "dissemination": "d-1"}  # fmt: skip


def test_disclosure_facts_naming_the_agreement_in_force_are_recorded(nodes):
    """Control for the test below: node-peer (DE) discloses under nl-de-ct, which covers
    this node (NL): stored, with its provenance row."""
    from accord.dissemination.models import ReceivedDisclosure

    obj = _object(20, "node-peer", key=KEY_PEER)
    response = _post({"objects": [obj], "x_accord_disclosures": [_facts(obj, "nl-de-ct")]})
    assert response.json()["success_count"] == 1
    row = ReceivedDisclosure.objects.get(stix_id=obj["id"])
    assert (row.sender_node, row.purpose) == ("node-peer", PURPOSE)
    assert row.agreements == [{"id": "nl-de-ct", "version": 1}]


@pytest.mark.parametrize(
    ("changes", "word"),
    [
        ({"agreements": [{"id": "no-such-agreement", "version": 1}]}, "no-such-agreement"),
        ({"agreements": [{"id": "fr-de-ct", "version": 1}]}, "fr-de-ct"),
        ({"purpose": "immigration-control"}, "immigration-control"),
        ({"max_retention_days": 3650}, "retention"),
    ],
    ids=["unknown-agreement", "agreement-not-covering-us", "purpose", "retention"],
)
def test_disclosure_facts_the_agreements_do_not_support_are_refused(nodes, changes, word):
    from accord.dissemination.models import ReceivedDisclosure

    obj = _object(21, "node-peer", key=KEY_PEER)
    facts = {**_facts(obj, "nl-de-ct"), **changes}
    response = _post({"objects": [obj], "x_accord_disclosures": [facts]})
    status = response.json()
    refused = {f["id"]: f["message"] for f in status.get("failures", [])}
    stored = Record.objects.filter(stix_id=obj["id"]).exists()
    recorded = ReceivedDisclosure.objects.filter(stix_id=obj["id"]).exists()
    assert word in refused.get(obj["id"], ""), status
    assert (stored, recorded) == (False, False)
    assert obj["id"] in _denied_reasons()


@pytest.mark.parametrize(
    ("changes", "word"),
    [
        ({"agreements": "nl-de-ct"}, "name no agreement"),
        ({"agreements": []}, "name no agreement"),
        ({"agreements": [{"version": 1}]}, "malformed agreement"),
        ({"purpose": None}, "no purpose"),
        ({"max_retention_days": None}, "maximum retention"),
        ({"max_retention_days": "730"}, "maximum retention"),
        ({"agreements": [{"id": "nl-de-ct", "version": 1}, {"id": "fr-de-ct", "version": 1}]},
         "does not cover NL"),
    ],
    ids=["agreements-not-a-list", "no-agreement", "agreement-without-id", "no-purpose",
         "no-retention", "retention-not-a-number", "one-of-two-not-covering"],
)  # fmt: skip
def test_malformed_disclosure_facts_are_refused_and_the_rest_of_the_envelope_is_stored(
    nodes, changes, word
):
    """A fact the checks cannot read is refused like one they reject; the object beside it,
    with sound facts, is stored with its provenance in the same envelope."""
    from accord.dissemination.models import ReceivedDisclosure

    bad, good = _object(22, "node-peer", key=KEY_PEER), _object(23, "node-peer", key=KEY_PEER)
    facts = [{**_facts(bad, "nl-de-ct"), **changes}, _facts(good, "nl-de-ct")]
    status = _post({"objects": [bad, good], "x_accord_disclosures": facts}).json()
    assert status["successes"] == [{"id": good["id"], "version": good["modified"]}], status
    (failure,) = status["failures"]
    assert failure["id"] == bad["id"] and word in failure["message"], failure
    assert not Record.objects.filter(stix_id=bad["id"]).exists()
    assert not ReceivedDisclosure.objects.filter(stix_id=bad["id"]).exists()
    assert ReceivedDisclosure.objects.filter(stix_id=good["id"]).exists()
    assert word in _denied_reasons()[bad["id"]]


def test_disclosure_facts_under_a_suspended_agreement_are_refused(nodes):
    from accord.agreement.services import save_agreement

    save_agreement(None, {**_agreement("nl-de-ct", ["NL", "DE"]), "version": 2,
                          "status": "suspended"})  # fmt: skip
    obj = _object(24, "node-peer", key=KEY_PEER)
    status = _post({"objects": [obj], "x_accord_disclosures": [_facts(obj, "nl-de-ct")]}).json()
    assert status["success_count"] == 0
    assert "not in force" in status["failures"][0]["message"], status


# --------------------------------------------------------------------------------------------
# Oversized pushes


LIMIT = 4096


def _big(n: int) -> dict[str, Any]:
    obj = person_object(n, created_by_ref=peer_identity_id("node-peer"))
    obj["description"] = "x" * (LIMIT + 100)
    return sign_object(obj, "node-peer", KEY_PEER)


@override_settings(ACCORD_TAXII_MAX_CONTENT_LENGTH=LIMIT)
def test_oversized_push_is_refused_with_413_naming_the_limit(nodes):
    obj = _big(30)
    response = _post({"objects": [obj]})
    assert response.status_code == 413
    error = response.json()
    assert error["http_status"] == "413" and f"at most {LIMIT} bytes" in error["description"]
    assert not Record.objects.filter(stix_id=obj["id"]).exists()
    # The limit is on the body, not the count: a small push still passes.
    small = _object(31, "node-peer", key=KEY_PEER)
    assert _post({"objects": [small]}).status_code == 202


@override_settings(ACCORD_TAXII_MAX_CONTENT_LENGTH=LIMIT)
def test_oversized_push_is_audited(nodes):
    before = AuditEvent.objects.count()
    assert _post({"objects": [_big(32)]}).status_code == 413
    events = list(AuditEvent.objects.order_by("pk")[before:])
    assert any(e.outcome == "denied" and "413" in json.dumps(e.detail) for e in events)
    (event,) = [e for e in events if e.action == "peer.request"]
    assert event.detail["reason"].startswith("payload too large: ")
    assert event.detail["reason"].endswith(f" > {LIMIT} bytes")
    assert (event.detail["keyid"], event.detail["path"]) == ("node-peer", INBOX)


def _to_this_node(request: httpx.Request) -> httpx.Response:
    """Hand a delivery to this process's own inbox through the test client (the receiver's
    size check runs before its signature check, so the 413 is real)."""
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.headers.items()
               if k.lower() not in ("content-type", "content-length", "host")}  # fmt: skip
    answer = Client().post(request.url.path, data=request.content,
                           content_type=request.headers["content-type"], **headers)  # fmt: skip
    return httpx.Response(answer.status_code, content=answer.content,
                          headers={"content-type": answer["Content-Type"]})  # fmt: skip


# Transactional: the receiving side runs in the outbox's sending thread, on its own database
# connection, and now writes (the audited 413) while the test's data must be visible to it.
@pytest.mark.django_db(transaction=True)
@override_settings(ACCORD_TAXII_MAX_CONTENT_LENGTH=LIMIT)
def test_outbox_does_not_retry_an_object_the_peer_refuses_as_too_large(nodes):
    obj = person_object(33, created_by_ref=peer_identity_id("node-self"))
    obj["description"] = "x" * (LIMIT + 100)
    assert ingest_objects(None, [obj], source="test").ok
    enqueue(Record.objects.filter(stix_id=obj["id"]), nodes["node-peer"], deliver_now=False)
    with httpx.Client(transport=httpx.MockTransport(_to_this_node)) as client:
        deliver_pending(client=client)
        item = OutboxItem.objects.get()
        assert "413" in item.last_error
        deliver_pending(client=client, force=True)
    item.refresh_from_db()
    assert (item.status, item.attempts) == ("rejected", 1), (item.status, item.attempts)


def _peer_with_a_limit(sizes: list[int]) -> Callable[[httpx.Request], httpx.Response]:
    """A peer inbox that answers 413 (a TAXII error naming its limit) to a body over LIMIT
    and otherwise stores every object; ``sizes`` collects the size of each body it got."""

    def answer(request: httpx.Request) -> httpx.Response:
        sizes.append(len(request.content))
        if len(request.content) > LIMIT:
            error = {"title": "Payload Too Large", "description": f"at most {LIMIT} bytes",
                     "http_status": "413"}  # fmt: skip
            return httpx.Response(413, json=error)
        objects = json.loads(request.content)["objects"]
        ok = [{"id": o["id"], "version": o["modified"]} for o in objects]
        return httpx.Response(202, json={"successes": ok, "failures": []})

    return answer


@override_settings(ACCORD_TAXII_MAX_CONTENT_LENGTH=LIMIT)
def test_outbox_splits_an_envelope_the_peer_refuses_as_too_large(nodes):
    """Three objects over the limit together: the envelope is halved (and a half again) in the
    same pass until each part fits; the one object too large alone is rejected with the
    peer's reason, the others are delivered, nothing is left to retry."""
    objects = []
    for n, size in ((34, 1200), (35, LIMIT + 100), (36, 1200)):
        obj = person_object(n, created_by_ref=peer_identity_id("node-self"))
        obj["description"] = "x" * size
        objects.append(obj)
    assert ingest_objects(None, objects, source="test").ok
    enqueue(Record.objects.filter(stix_id__in=[o["id"] for o in objects]), nodes["node-peer"],
            deliver_now=False)  # fmt: skip
    sizes: list[int] = []
    with httpx.Client(transport=httpx.MockTransport(_peer_with_a_limit(sizes))) as client:
        report = deliver_pending(client=client)
    assert (report.delivered, report.rejected, report.failed) == (2, 1, 0), report
    assert len(sizes) > 2 and sizes[0] > LIMIT
    statuses = dict(OutboxItem.objects.values_list("stix_id", "status"))
    assert statuses == {objects[0]["id"]: "delivered", objects[1]["id"]: "rejected",
                        objects[2]["id"]: "delivered"}  # fmt: skip
    rejected = OutboxItem.objects.get(stix_id=objects[1]["id"])
    assert "413" in rejected.last_error and f"at most {LIMIT} bytes" in rejected.last_error
    event = AuditEvent.objects.filter(action="peer.deliver", outcome="failed").latest("pk")
    assert objects[1]["id"] in event.object_ids and event.detail["rejected"] == 1


# --------------------------------------------------------------------------------------------
# Malformed envelopes


NESTED = b'{"objects": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (b"\xff\xfe not json", TAXII, 400, "not UTF-8"),
        (b"   ", TAXII, 400, "not valid JSON"),
        (b'{"objects": []}', "application/json", 415, "taxii+json"),
        (b'{"objects": []}', "application/taxii+json;version=2.0", 415, "taxii+json"),
        (b'{"objects": null}', TAXII, 400, "'objects' list"),
        (b'{"more": true}', TAXII, 400, "'objects' list"),
        (b'"objects"', TAXII, 400, "'objects' list"),
        (NESTED, TAXII, 400, "too deeply"),
        (b'{"objects": [' + b"[" * 10_000 + b"]" * 10_000 + b"]}", TAXII, 400, "too deeply"),
        (b'{"objects": [' + b"[" * 100 + b"]" * 100 + b"]}", TAXII, 400, "more than 64 levels"),
    ],
    ids=[
        "binary",
        "blank",
        "json",
        "taxii-2.0",
        "null",
        "no-objects",
        "string",
        "nested",
        "nested-object",
        "nested-past-the-limit",
    ],
)
def test_malformed_envelope_is_refused_with_a_taxii_error(nodes, body, content_type, status,
                                                          words):  # fmt: skip
    before = Record.objects.count()
    response = _post(body, content_type=content_type)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/taxii+json")
    error = response.json()
    assert error["http_status"] == str(status) and words in error["description"]
    assert Record.objects.count() == before
    good = _object(40, "node-peer", key=KEY_PEER)
    assert _post({"objects": [good]}).json()["success_count"] == 1  # still healthy


def test_objects_that_are_not_json_objects_are_refused_one_by_one(nodes):
    good = _object(41, "node-peer", key=KEY_PEER)
    response = _post({"objects": [1, "identity", None, [good], good]})
    status = response.json()
    assert (status["success_count"], status["failure_count"]) == (1, 4)
    assert {f["message"] for f in status["failures"]} == {"not a JSON object"}
    assert Record.objects.filter(stix_id=good["id"]).exists()
