"""The inbox's per-envelope work is done in bulk and stays complete: provenance rows for every
stored object (created, then refreshed on re-delivery), one ``dissemination.receive`` audit
entry per purpose/agreements/retention group listing every object id, and the sender's outbox
claims, signs and settles a multi-envelope batch in order."""

from __future__ import annotations

import json

import httpx
import pytest
from tests.agreements import bilateral
from tests.integration.test_peers_transport import KEY_PEER, _own, me, peer  # noqa: F401

from accord.dissemination.handlers import on_received
from accord.dissemination.models import ReceivedDisclosure
from accord.engine.signing import sign_object
from accord.federation import delivery
from accord.federation.models import OutboxItem, peer_identity_id
from accord.federation.services import enqueue, receive_envelope
from accord.intel.factories import person_object
from accord.intel.models import Record
from accord.intel.services import ingest_objects
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nl_de_agreement(db):
    """The agreement the disclosure facts name: received facts are checked against this
    node's agreements before anything is stored
    (accord.dissemination.handlers.check_disclosures)."""
    from accord.agreement.services import save_agreement

    save_agreement(
        None, bilateral(purposes=("counter-terrorism", "border-security", "serious-crime"))
    )


def _peer_objects(first: int, count: int) -> list[dict]:
    return [
        sign_object(
            person_object(n, created_by_ref=peer_identity_id("node-peer")), "node-peer", KEY_PEER
        )
        for n in range(first, first + count)
    ]


def _facts(objects: list[dict], purpose: str, days: int) -> list[dict]:
    return [
        {
            "id": o["id"],
            "version": o["modified"],
            "purpose": purpose,
            "agreements": [{"id": "nl-de-ct", "version": 1}],
            "max_retention_days": days,
        }
        for o in objects
    ]


def test_provenance_for_every_object_grouped_audit_and_refresh(peer):  # noqa: F811
    objects = _peer_objects(1, 30)
    envelope = {
        "objects": objects,
        "x_accord_disclosures": _facts(objects[:20], "counter-terrorism", 30)
        + _facts(objects[20:], "border-security", 90),
    }
    status = receive_envelope(peer, objects, envelope)
    assert status["success_count"] == 30, status["failures"]
    rows = {r.stix_id: r for r in ReceivedDisclosure.objects.all()}
    assert set(rows) == {o["id"] for o in objects}
    first = rows[objects[0]["id"]]
    assert first.record_id == Record.objects.get(stix_id=objects[0]["id"]).pk
    assert first.originator_node == "node-peer" and first.purpose == "counter-terrorism"
    assert (first.retention_until - first.received_at).days == 30
    assert rows[objects[25]["id"]].max_retention_days == 90
    events = list(AuditEvent.objects.filter(action="dissemination.receive").order_by("pk"))
    assert sorted(e.purpose for e in events) == ["border-security", "counter-terrorism"]
    listed = [i for e in events for i in e.object_ids]
    assert sorted(listed) == sorted(o["id"] for o in objects)
    assert all(e.detail["sender"] == "node-peer" for e in events)

    # Re-delivery with other facts refreshes the rows (one per object and sender), no duplicates.
    again = {
        "objects": objects[:5],
        "x_accord_disclosures": _facts(objects[:5], "serious-crime", 7),
    }
    assert receive_envelope(peer, objects[:5], again)["success_count"] == 5
    assert ReceivedDisclosure.objects.count() == 30
    refreshed = ReceivedDisclosure.objects.get(stix_id=objects[0]["id"])
    assert refreshed.purpose == "serious-crime" and refreshed.max_retention_days == 7


def test_two_versions_in_one_envelope_keep_the_newest_provenance(peer):  # noqa: F811
    old = _peer_objects(40, 1)[0]
    new = sign_object(
        person_object(
            40,
            created_by_ref=peer_identity_id("node-peer"),
            modified="2026-03-01T00:00:00.000Z",
        ),
        "node-peer",
        KEY_PEER,
    )
    facts = _facts([old], "counter-terrorism", 30) + _facts([new], "counter-terrorism", 30)
    receive_envelope(peer, [new, old], {"objects": [new, old], "x_accord_disclosures": facts})
    row = ReceivedDisclosure.objects.get(stix_id=new["id"])
    assert row.version == "2026-03-01T00:00:00.000Z"


def test_no_facts_no_provenance_and_revoked_records_marked(peer):  # noqa: F811
    objects = _peer_objects(50, 3)
    receive_envelope(peer, objects, {"objects": objects})
    assert not ReceivedDisclosure.objects.exists()
    on_received(peer, {}, [])  # nothing stored: nothing to do
    assert not AuditEvent.objects.filter(action="dissemination.receive").exists()


def test_sender_splits_batches_into_ordered_envelopes_within_the_byte_budget(
    peer,  # noqa: F811
    monkeypatch,
):
    objects = [_own(n) for n in range(1, 12)]
    assert ingest_objects(None, objects, source="t").ok
    enqueue(Record.objects.filter(stix_id__in=[o["id"] for o in objects]), peer, deliver_now=False)
    monkeypatch.setattr(delivery, "ENVELOPE_SIZE", 4)
    seen: list[list[str]] = []

    def accept(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append([o["id"] for o in body["objects"]])
        ok = [{"id": o["id"], "version": o["modified"]} for o in body["objects"]]
        return httpx.Response(202, json={"successes": ok, "failures": []})

    with httpx.Client(transport=httpx.MockTransport(accept)) as client:
        report = delivery.deliver_pending(client=client)
    assert report.delivered == 11 and [len(s) for s in seen] == [4, 4, 3]
    order = list(OutboxItem.objects.order_by("pk").values_list("stix_id", flat=True))
    assert [i for s in seen for i in s] == order  # in order, nothing twice
    assert AuditEvent.objects.filter(action="peer.deliver").count() == 3

    # An envelope byte budget smaller than one object: each object goes alone.
    OutboxItem.objects.update(status="queued")
    monkeypatch.setattr(delivery, "ENVELOPE_BYTES", 10)
    seen.clear()
    with httpx.Client(transport=httpx.MockTransport(accept)) as client:
        assert delivery.deliver_pending(client=client).delivered == 11
    assert [len(s) for s in seen] == [1] * 11


def test_unreachable_peer_leaves_every_claimed_item_failed_for_retry(peer, monkeypatch):  # noqa: F811
    objects = [_own(n) for n in range(20, 30)]
    assert ingest_objects(None, objects, source="t").ok
    enqueue(Record.objects.filter(stix_id__in=[o["id"] for o in objects]), peer, deliver_now=False)
    monkeypatch.setattr(delivery, "ENVELOPE_SIZE", 3)
    calls: list[int] = []

    def down(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ConnectError("connection refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(down)) as client:
        report = delivery.deliver_pending(client=client)
    assert (report.failed, report.delivered) == (10, 0)
    # The first failure stops the pass; the envelope already queued behind it is tried too.
    assert len(calls) == 2 and report.attempted == 6
    assert set(OutboxItem.objects.values_list("status", flat=True)) == {"failed"}
    assert set(OutboxItem.objects.values_list("attempts", flat=True)) == {1}
