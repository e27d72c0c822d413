"""Dissemination services and REST API against a real database: BRIEF flow 1 with local peer
rows (B ALLOW -> outbox, C HIT_NO_HIT_ONLY -> nothing queued, D DENY, E NEEDS_APPROVAL ->
supervisor queue), four-eyes, the approval re-check, a withdrawn agreement stopping the next
share, restricted records, roles, provenance and revocation on a recipient, and a property
check that no route (service, REST, web, approval) puts a DENY in the outbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from tests.agreements import bilateral

from accord.agreement.services import save_agreement
from accord.dissemination.handlers import envelope_disclosures, on_received
from accord.dissemination.models import (
    ApprovalRequest,
    DisseminationEntry,
    ReceivedDisclosure,
    RevocationOrder,
)
from accord.dissemination.services import decide_approval, preview, revoke, share
from accord.federation.models import OutboxItem, peer_identity_id
from accord.federation.services import add_peer
from accord.intel.factories import person_object
from accord.intel.models import Record
from accord.intel.services import RecordNotFound, ingest_objects
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db

KEY_SELF = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PEERS = {"node-b": "DE", "node-c": "KE", "node-d": "BR", "node-e": "US"}


def _pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def agreement(ident: str, parties: list[str], mode: str = "full", **extra) -> dict:
    return bilateral(ident, parties, sharing_mode=mode, title=f"Memorandum {ident}", **extra)


@pytest.fixture
def flow1(db):
    """Node A (NL) with peers B (DE, full), C (KE, hit/no-hit), D (BR, none), E (US, full but
    retains the death penalty for terrorism), and one person record originated by A."""
    from accord.node.models import NodeIdentity

    (Path(settings.DATA_DIR) / "node_ed25519.pem").write_bytes(
        KEY_SELF.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    NodeIdentity.objects.create(
        node_id="node-a",
        jurisdiction="NL",
        name="A",
        identity_id=peer_identity_id("node-a"),
        public_key_pem=_pem(KEY_SELF),
    )
    for i, (node, code) in enumerate(PEERS.items()):
        key = Ed25519PrivateKey.from_private_bytes(bytes(range(i + 1, i + 33)))
        add_peer(
            None,
            node_id=node,
            url=f"http://127.0.0.1:9/{node}/",
            jurisdiction=code,
            public_key_pem=_pem(key),
        )
    for a in (
        agreement("nl-de-ct", ["NL", "DE"]),
        agreement("nl-ke-ct", ["NL", "KE"], "hit_no_hit"),
        agreement("nl-us-ct", ["NL", "US"]),
    ):
        save_agreement(None, a)
    obj = person_object(1, created_by_ref=peer_identity_id("node-a"))
    assert ingest_objects(None, [obj], source="test").ok
    return obj["id"]


@pytest.fixture
def people(make_user):
    return {
        "ana": make_user("ana", role="analyst"),
        "sam": make_user("sam", role="supervisor"),
        "sue": make_user("sue", role="supervisor"),
        "leo": make_user("leo", role="legal"),
    }


def _by_recipient(entries):
    return {e["recipient"]: e for e in entries}


def test_flow1_preview_names_each_decision_and_reason(flow1, people):
    decisions = preview(people["ana"], [flow1], list(PEERS), "counter-terrorism")
    got = _by_recipient(d.to_dict() for d in decisions)
    assert {k: v["decision"] for k, v in got.items()} == {
        "node-b": "ALLOW",
        "node-c": "HIT_NO_HIT_ONLY",
        "node-d": "DENY",
        "node-e": "NEEDS_APPROVAL",
    }
    assert got["node-b"]["agreements"] == [{"id": "nl-de-ct", "version": 1}]
    assert "agreement.none" in [r["code"] for r in got["node-d"]["reasons"]]
    assert "safeguard.death_penalty" in [r["code"] for r in got["node-e"]["reasons"]]
    assert all(r["source"] for e in got.values() for r in e["reasons"])
    assert not OutboxItem.objects.exists()
    event = AuditEvent.objects.get(action="dissemination.preview")
    assert event.purpose == "counter-terrorism" and len(event.detail["decisions"]) == 4


def test_flow1_share_queues_b_only_and_holds_e_for_approval(flow1, people):
    d = share(people["ana"], [flow1], list(PEERS), "counter-terrorism")
    entries = {e.peer.node_id: e for e in d.entries.all()}
    assert {k: e.status for k, e in entries.items()} == {
        "node-b": "queued",
        "node-c": "recorded",
        "node-d": "denied",
        "node-e": "awaiting_approval",
    }
    assert list(OutboxItem.objects.values_list("peer__node_id", flat=True)) == ["node-b"]
    assert entries["node-b"].outbox_item is not None
    approval = ApprovalRequest.objects.get()
    assert approval.entry == entries["node-e"]
    # The envelope carries the disclosure's provenance beside the object.
    facts = envelope_disclosures(entries["node-b"].peer, [entries["node-b"].outbox_item])
    (fact,) = facts["x_accord_disclosures"]
    assert fact["id"] == flow1 and fact["purpose"] == "counter-terrorism"
    assert fact["agreements"] == [{"id": "nl-de-ct", "version": 1}]
    assert fact["max_retention_days"] == 730
    assert AuditEvent.objects.filter(action="dissemination.share").count() == 1


def test_four_eyes_and_approval_recheck(flow1, people):
    d = share(people["sam"], [flow1], ["node-e"], "counter-terrorism")
    approval = ApprovalRequest.objects.get(entry__dissemination=d)
    with pytest.raises(PermissionDenied, match="four-eyes"):
        decide_approval(people["sam"], approval, approve=True, reason="ok")
    with pytest.raises(PermissionDenied):
        decide_approval(people["ana"], approval, approve=True, reason="ok")
    with pytest.raises(ValueError, match="reason"):
        decide_approval(people["sue"], approval, approve=True, reason=" ")
    # Approved without an assurance reference: the re-check still needs one -> nothing sent.
    decided = decide_approval(people["sue"], approval, approve=True, reason="urgent threat")
    assert decided.status == "approved" and decided.recheck["decision"] == "NEEDS_APPROVAL"
    assert DisseminationEntry.objects.get(dissemination=d).status == "denied"
    assert not OutboxItem.objects.exists()
    # With an assurance reference the re-check allows and the record is queued.
    d2 = share(
        people["ana"],
        [flow1],
        ["node-e"],
        "counter-terrorism",
        assurance_reference="US-DOJ-2026-17",
    )
    approval2 = ApprovalRequest.objects.get(entry__dissemination=d2)
    decide_approval(people["sue"], approval2, approve=True, reason="assurance on file")
    entry = DisseminationEntry.objects.get(dissemination=d2)
    assert entry.status == "queued" and entry.outbox_item.peer.node_id == "node-e"
    assert AuditEvent.objects.filter(action="dissemination.approve", outcome="ok").count() == 2
    assert AuditEvent.objects.filter(action="dissemination.approve", outcome="denied").count() >= 1


def test_deny_by_supervisor_sends_nothing(flow1, people):
    share(people["ana"], [flow1], ["node-e"], "counter-terrorism", assurance_reference="X-1")
    approval = ApprovalRequest.objects.get()
    decide_approval(people["sam"], approval, approve=False, reason="no assurance accepted")
    assert approval.entry.__class__.objects.get().status == "denied"
    assert not OutboxItem.objects.exists()
    assert AuditEvent.objects.get(action="dissemination.deny").detail["reason"]


def test_withdrawn_agreement_stops_the_next_share(flow1, people):
    share(people["ana"], [flow1], ["node-b"], "counter-terrorism")
    assert OutboxItem.objects.count() == 1
    save_agreement(None, agreement("nl-de-ct", ["NL", "DE"], version=2, status="withdrawn"))
    OutboxItem.objects.all().delete()
    d = share(people["ana"], [flow1], ["node-b"], "counter-terrorism")
    entry = d.entries.get()
    assert entry.decision == "DENY" and entry.status == "denied"
    assert not OutboxItem.objects.exists()


def test_roles_and_restricted_records(flow1, people, make_user):
    with pytest.raises(PermissionDenied):
        share(people["leo"], [flow1], ["node-b"], "counter-terrorism")
    assert AuditEvent.objects.filter(action="dissemination.share", outcome="denied").exists()
    secret = person_object(2, created_by_ref=peer_identity_id("node-a"), tlp="red")
    assert ingest_objects(None, [secret], source="test").ok
    with pytest.raises(RecordNotFound):
        share(people["ana"], [secret["id"]], ["node-b"], "counter-terrorism")
    with pytest.raises(ValueError, match="unknown"):
        share(people["ana"], [flow1], ["node-zz"], "counter-terrorism")
    assert not OutboxItem.objects.exists()


def test_rest_shapes_and_problems(flow1, people):
    from accord.accounts.services import create_token

    client = Client()
    token = create_token(None, people["ana"], name="t")[0]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    body = {"records": [flow1], "recipients": list(PEERS), "purpose": "counter-terrorism"}
    r = client.post(
        "/api/disseminations/preview", json.dumps(body), content_type="application/json", **headers
    )
    assert r.status_code == 200, r.content
    entries = _by_recipient(r.json()["entries"])
    assert set(entries["node-b"]) >= {"recipient", "record", "decision", "reasons", "status"}
    assert entries["node-c"]["status"] == "recorded"
    r = client.post(
        "/api/disseminations", json.dumps(body), content_type="application/json", **headers
    )
    assert r.status_code == 201, r.content
    got = r.json()
    assert _by_recipient(got["entries"])["node-e"]["status"] == "awaiting_approval"
    r = client.get(f"/api/disseminations/{got['id']}", **headers)
    assert r.status_code == 200
    assert _by_recipient(r.json()["entries"])["node-b"]["delivery"]["status"] == "queued"
    approval = _by_recipient(got["entries"])["node-e"]["approval"]["id"]
    r = client.post(
        f"/api/approvals/{approval}",
        json.dumps({"decision": "approve", "reason": "x"}),
        content_type="application/json",
        **headers,
    )
    assert r.status_code == 403 and r["Content-Type"] == "application/problem+json"
    sue = {"HTTP_AUTHORIZATION": f"Bearer {create_token(None, people['sue'], name='t')[0]}"}
    r = client.post(
        f"/api/approvals/{approval}",
        json.dumps({"decision": "deny", "reason": "no"}),
        content_type="application/json",
        **sue,
    )
    assert r.status_code == 200 and r.json()["entry"]["status"] == "denied"
    r = client.post(
        "/api/disseminations",
        json.dumps({**body, "records": ["identity--nope"]}),
        content_type="application/json",
        **headers,
    )
    assert r.status_code == 404 and r["Content-Type"] == "application/problem+json"
    r = client.post(
        "/api/disseminations",
        json.dumps({**body, "purpose": "gossip"}),
        content_type="application/json",
        **headers,
    )
    assert r.status_code == 422


def test_recipient_keeps_provenance_then_revocation_and_deletion(flow1, people):
    """The receiving hook: provenance from the envelope, then a deletion order purges the
    content, keeps a tombstone and queues a signed acknowledgement."""
    from accord.dissemination.models import FederationNotice
    from accord.federation.models import Peer

    sender = Peer.objects.get(node_id="node-b")
    sid = person_object(3, created_by_ref=sender.identity_id)["id"]
    obj = person_object(3, created_by_ref=sender.identity_id)
    assert ingest_objects(sender.user, [obj], source="peer:node-b", origin_node="node-b").ok
    envelope = {
        "x_accord_disclosures": [
            {
                "id": sid,
                "version": obj["modified"],
                "purpose": "counter-terrorism",
                "agreements": [{"id": "nl-de-ct", "version": 1}],
                "max_retention_days": 30,
            }
        ]
    }
    on_received(sender, envelope, [{"id": sid, "version": obj["modified"]}])
    got = ReceivedDisclosure.objects.get(stix_id=sid)
    assert got.sender_node == "node-b" and got.agreements[0]["id"] == "nl-de-ct"
    assert (got.retention_until - got.received_at).days == 30
    revoked = {**obj, "revoked": True, "modified": "2026-02-02T03:04:05.000Z"}
    assert ingest_objects(sender.user, [revoked], source="peer:node-b", origin_node="node-b").ok
    on_received(
        sender,
        {
            "x_accord_disclosures": [
                {"id": sid, "version": revoked["modified"], "notice": "delete", "order": 7}
            ]
        },
        [{"id": sid, "version": revoked["modified"]}],
    )
    got.refresh_from_db()
    assert got.revoked_at and got.deleted_at and got.record is None
    assert not Record.objects.filter(stix_id=sid).exists()
    ack = FederationNotice.objects.get(kind="ack")
    assert ack.peer == sender and ack.body["outcome"] == "deleted"
    assert AuditEvent.objects.filter(action="dissemination.purge").exists()


def test_originator_revokes_to_every_recipient(flow1, people):
    share(people["ana"], [flow1], ["node-b", "node-e"], "counter-terrorism")
    orders = revoke(people["ana"], flow1, purpose="counter-terrorism", delete=True, reason="wrong")
    assert [o.peer.node_id for o in orders] == ["node-b"]
    assert Record.objects.get(stix_id=flow1).revoked
    assert OutboxItem.objects.filter(peer__node_id="node-b").count() == 2
    facts = envelope_disclosures(orders[0].peer, [orders[0].outbox_item])
    assert facts["x_accord_disclosures"][0]["notice"] == "delete"
    assert RevocationOrder.objects.count() == 1
    # A revoked record is never disclosed again.
    d = share(people["ana"], [flow1], ["node-b"], "counter-terrorism")
    assert d.entries.get().decision == "DENY"


@hsettings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    tlp=st.sampled_from(["clear", "green", "amber"]),
    recipient=st.sampled_from(list(PEERS)),
    purpose=st.sampled_from(["counter-terrorism", "border-security", "cyber-defence"]),
    route=st.sampled_from(["service", "rest", "web", "approval"]),
)
def test_no_route_bypasses_a_deny(flow1, people, tlp, recipient, purpose, route):
    from accord.accounts.services import create_token

    OutboxItem.objects.all().delete()  # the database is shared by the examples
    ApprovalRequest.objects.all().delete()
    Record.objects.filter(stix_id=flow1).update(tlp=tlp)
    ana = people["ana"]
    verdict = {d.recipient: d.decision for d in preview(ana, [flow1], [recipient], purpose)}
    body = {
        "records": [flow1],
        "recipients": [recipient],
        "purpose": purpose,
        "assurance_reference": "A-1",
    }
    if route == "rest":
        token = create_token(None, ana, name="p")[0]
        Client().post(
            "/api/disseminations",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    elif route == "web":
        client = Client()
        client.force_login(ana)
        client.post(
            f"/disseminations/new/?record={flow1}",
            {
                "records": [flow1],
                "recipients": [recipient],
                "purpose": purpose,
                "assurance_reference": "A-1",
                "action": "send",
            },
        )
    else:
        share(ana, [flow1], [recipient], purpose, assurance_reference="A-1")
        if route == "approval":
            for approval in ApprovalRequest.objects.filter(status="pending"):
                decide_approval(people["sue"], approval, approve=True, reason="checked")
    if verdict[recipient] == "DENY":
        assert not OutboxItem.objects.filter(peer__node_id=recipient).exists()


def test_a_share_carries_the_handling_definition_the_record_uses(flow1, people):
    from accord.engine.stix.markings import HandlingMarking, handling_marking_definition

    h2 = handling_marking_definition(HandlingMarking(handling_code="H2"))
    obj = person_object(2, created_by_ref=peer_identity_id("node-a"))
    obj["object_marking_refs"] = [*obj["object_marking_refs"], h2["id"]]
    assert ingest_objects(None, [h2, obj], source="test").ok
    share(people["ana"], [obj["id"]], ["node-b"], "counter-terrorism")
    sent = list(OutboxItem.objects.filter(peer__node_id="node-b").order_by("pk"))
    assert [i.stix_id for i in sent] == [h2["id"], obj["id"]]  # the definition first
