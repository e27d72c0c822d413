"""Revocation and deletion orders from the REST API and the record page (confirm step, CSRF),
signed notices sent through the peers delivery schedule, and onward sharing with the
originator's consent (item 7): the recipient's re-share of an H2 record waits for the
originator, the originator's liaison officer answers (page and REST), and the answer, arriving
as a signed notice, releases or denies the share."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client
from django.utils import timezone
from tests.integration import test_dissemination_service as base

from accord.agreement.services import save_agreement
from accord.dissemination.models import (
    ConsentRequest,
    DisseminationEntry,
    FederationNotice,
    RevocationOrder,
)
from accord.dissemination.notices import notices_tick
from accord.dissemination.services import answer_consent, share
from accord.engine.signing import sign_request
from accord.engine.stix.markings import HandlingMarking, handling_marking_definition
from accord.federation.models import OutboxItem, Peer
from accord.federation.services import add_peer
from accord.intel.factories import person_object
from accord.intel.models import Record
from accord.intel.services import ingest_objects
from accord.node.extensions import SCHEDULE, lookup
from accord.node.schedule import run_now
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db

flow1, people = base.flow1, base.people  # the fixtures of the dissemination service tests
_pem, agreement = base._pem, base.agreement

PURPOSE = "counter-terrorism"
#: node-b's key in the flow1 fixture (peer number 0).
KEY_B = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
H2 = handling_marking_definition(HandlingMarking(handling_code="H2"))


def _bearer(user) -> dict[str, str]:
    from accord.accounts.services import create_token

    token = create_token(None, user, name="t")[0]
    return {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_X_ACCORD_PURPOSE": PURPOSE}


def _post(client: Client, path: str, body: dict, headers: dict):  # type: ignore[no-untyped-def]
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def _received_from_b(n: int = 9, tlp: str = "green") -> str:
    """A person record originated by node-b (H2), as received here."""
    b = Peer.objects.get(node_id="node-b")
    if not Record.objects.filter(stix_id=H2["id"]).exists():
        assert ingest_objects(None, [H2], source="test").ok
    obj = person_object(n, tlp=tlp, created_by_ref=b.identity_id, extra_refs=(H2["id"],))
    report = ingest_objects(b.user, [obj], source="peer:node-b", origin_node="node-b")
    assert report.ok, report.refused
    return obj["id"]


# --------------------------------------------------------------------------------------------
# Revocation: REST


def test_rest_revoke_and_delete_order(flow1, people):
    client = Client()
    ana = _bearer(people["ana"])
    second = person_object(2, created_by_ref=Peer.objects.get(node_id="node-b").identity_id)
    own = person_object(4, created_by_ref=_own_identity())
    assert ingest_objects(None, [own], source="test").ok
    share(people["ana"], [flow1, own["id"]], ["node-b"], PURPOSE)
    r = _post(client, f"/api/records/{flow1}/revoke", {"reason": "source withdrew"}, ana)
    assert r.status_code == 200, r.content
    got = r.json()
    assert got["action"] == "revoke" and [o["recipient"] for o in got["orders"]] == ["node-b"]
    assert got["orders"][0]["acknowledged_at"] is None
    assert Record.objects.get(stix_id=flow1).revoked
    r = _post(client, f"/api/records/{own['id']}/delete-order", {"reason": "unlawful"}, ana)
    assert r.status_code == 200 and r.json()["orders"][0]["action"] == "delete"
    assert set(RevocationOrder.objects.values_list("action", flat=True)) == {"revoke", "delete"}
    prov = client.get(f"/api/records/{own['id']}/provenance", **ana).json()
    assert prov["revoked"] and prov["orders"][0]["recipient"] == "node-b"
    assert AuditEvent.objects.filter(action="dissemination.delete_order", outcome="ok").exists()
    # Problems: no reason, unknown record, a role that may not share, not the originator.
    r = _post(client, f"/api/records/{flow1}/revoke", {}, ana)
    assert r.status_code in (400, 422) and r["Content-Type"] == "application/problem+json"
    r = _post(client, "/api/records/identity--nope/revoke", {"reason": "x"}, ana)
    assert r.status_code == 404 and r["Content-Type"] == "application/problem+json"
    r = _post(client, f"/api/records/{flow1}/revoke", {"reason": "x"}, _bearer(people["leo"]))
    assert r.status_code == 403 and r["Content-Type"] == "application/problem+json"
    assert ingest_objects(
        Peer.objects.get(node_id="node-b").user, [second], source="peer:node-b",
        origin_node="node-b",
    ).ok  # fmt: skip
    r = _post(client, f"/api/records/{second['id']}/delete-order", {"reason": "x"}, ana)
    assert r.status_code == 403 and "originator" in r.json()["detail"]
    assert not Record.objects.get(stix_id=second["id"]).revoked


def _own_identity() -> str:
    from accord.federation.models import peer_identity_id

    return peer_identity_id("node-a")


# --------------------------------------------------------------------------------------------
# Revocation: the record page (button, confirm step, CSRF)


def test_record_page_revoke_with_confirm_step_and_csrf(flow1, people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["ana"])
    page = client.get(f"/records/{flow1}/")
    assert page.status_code == 200 and b"Revoke" not in page.content  # not shared yet
    share(people["ana"], [flow1], ["node-b"], PURPOSE)
    page = client.get(f"/records/{flow1}/")
    assert b"Revoke\xe2\x80\xa6" in page.content and b"Order deletion" in page.content
    url = f"/disseminations/revoke/?record={flow1}&action=delete"
    confirm = client.get(url)
    assert confirm.status_code == 200 and b"Confirm" in confirm.content
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', confirm.content)[1]
    form = {"action": "delete", "reason": "court order", "confirm": ""}
    assert client.post(url, {**form, "confirm": "on"}).status_code == 403  # no CSRF token
    form["csrfmiddlewaretoken"] = token.decode()
    del form["confirm"]
    unconfirmed = client.post(url, form)
    assert unconfirmed.status_code == 400 and not Record.objects.get(stix_id=flow1).revoked
    done = client.post(url, {**form, "confirm": "on"})
    assert done.status_code == 302 and done["Location"] == f"/records/{flow1}/"
    assert Record.objects.get(stix_id=flow1).revoked
    order = RevocationOrder.objects.get()
    assert (order.action, order.reason, order.peer.node_id) == ("delete", "court order", "node-b")
    page = client.get(f"/records/{flow1}/")
    assert b"Revoked by its originator" in page.content and b"Order deletion" not in page.content


def test_record_page_offers_no_revoke_to_a_recipient(flow1, people):
    sid = _received_from_b()
    client = Client()
    client.force_login(people["ana"])
    OutboxItem.objects.create(
        peer=Peer.objects.get(node_id="node-c"),
        version=Record.objects.get(stix_id=sid).versions.first(),
        stix_id=sid,
        modified="x",
        next_attempt_at=timezone.now(),
    )
    assert b"Order deletion" not in client.get(f"/records/{sid}/").content
    r = client.post(
        f"/disseminations/revoke/?record={sid}",
        {"action": "revoke", "reason": "x", "confirm": "on"},
    )
    assert r.status_code == 403 and b"only the originator" in r.content


# --------------------------------------------------------------------------------------------
# Notices through the peers delivery schedule


def test_notices_are_sent_by_the_peers_schedule(flow1, monkeypatch):
    entry = lookup(SCHEDULE, "dissemination.notices")
    assert entry is not None and entry.run is notices_tick and entry.interval() == 1.0
    b = Peer.objects.get(node_id="node-b")
    later = timezone.now() + timedelta(hours=1)
    notice = FederationNotice.objects.create(
        direction="out", peer=b, kind="ack", body={"id": "x"}, status="queued",
        next_attempt_at=later,
    )  # fmt: skip
    run_now("dissemination.notices")  # a tick before it is due: nothing is sent
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == ("queued", 0)
    FederationNotice.objects.filter(pk=notice.pk).update(next_attempt_at=timezone.now())
    run_now("dissemination.notices")  # due; the peer is unreachable: failed, back-off
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == ("failed", 1)
    assert notice.next_attempt_at > timezone.now() and "cannot reach node-b" in notice.last_error
    run_now("dissemination.notices")  # still backing off
    notice.refresh_from_db()
    assert notice.attempts == 1
    sent = []

    def fake_post(url, body, **kw):  # type: ignore[no-untyped-def]
        sent.append((url, json.loads(body)))
        return httpx.Response(202, json={"status": "received"})

    monkeypatch.setattr("accord.federation.delivery.signed_post", fake_post)
    FederationNotice.objects.filter(pk=notice.pk).update(next_attempt_at=timezone.now())
    run_now("dissemination.notices")
    notice.refresh_from_db()
    assert notice.status == "delivered" and notice.delivered_at
    assert sent == [(b.url + "federation/dissemination/notices/",
                     {"id": str(notice.id), "kind": "ack", "body": {"id": "x"}})]  # fmt: skip
    assert AuditEvent.objects.filter(action="dissemination.notice", outcome="ok").exists()


# --------------------------------------------------------------------------------------------
# Onward sharing with the originator's consent


@pytest.fixture
def onward(flow1):
    """A third peer node-f (FR) and the DE-FR agreement; node-b (DE) originated a record
    that this node (NL) received."""
    add_peer(None, node_id="node-f", url="http://127.0.0.1:9/node-f/", jurisdiction="FR",
             public_key_pem=_pem(Ed25519PrivateKey.generate()))  # fmt: skip
    save_agreement(None, agreement("de-fr-ct", ["DE", "FR"]))
    return _received_from_b()


def _notice_from_b(kind: str, body: dict):  # type: ignore[no-untyped-def]
    """POST a notice to this node's notices endpoint, signed by node-b (RFC 9421)."""
    import uuid

    url = "http://testserver/federation/dissemination/notices/"
    raw = json.dumps({"id": str(uuid.uuid4()), "kind": kind, "body": body}).encode()
    taxii = "application/taxii+json;version=2.1"
    headers = sign_request("POST", url, {"Content-Type": taxii, "Accept": taxii}, raw,
                           keyid="node-b", private_key=KEY_B)  # fmt: skip
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()
             if k.lower() != "content-type"}  # fmt: skip
    return Client().post(url, raw, content_type=taxii, **extra)


@pytest.mark.parametrize("granted", [True, False])
def test_onward_h2_share_waits_for_the_originators_answer(onward, people, granted):
    d = share(people["ana"], [onward], ["node-f"], PURPOSE)
    entry = d.entries.get()
    assert (entry.decision, entry.status, entry.onward) == ("NEEDS_APPROVAL", "awaiting_consent",
                                                            True)  # fmt: skip
    assert "marking.h2_onward" in [r["code"] for r in entry.reasons]
    assert not OutboxItem.objects.filter(peer__node_id="node-f").exists()
    consent = ConsentRequest.objects.get(direction="out")
    assert (consent.peer.node_id, consent.recipient_node, consent.status) == (
        "node-b", "node-f", "pending")  # fmt: skip
    request = FederationNotice.objects.get(direction="out", kind="consent_request")
    assert request.peer.node_id == "node-b" and request.body["consent"] == str(consent.id)
    # The originator's answer arrives, signed.
    r = _notice_from_b("consent_answer", {"consent": str(consent.id), "id": onward,
                       "granted": granted, "reason": "ok" if granted else "no",
                       "answered_by": "lia"})  # fmt: skip
    assert r.status_code == 202, r.content
    entry.refresh_from_db()
    consent.refresh_from_db()
    if granted:
        assert consent.status == "granted" and entry.status == "queued"
        assert entry.outbox_item.peer.node_id == "node-f"
        # A later share of the same record to the same recipient needs no new request.
        again = share(people["ana"], [onward], ["node-f"], PURPOSE).entries.get()
        assert again.decision == "ALLOW"
    else:
        assert consent.status == "refused" and entry.status == "denied"
        assert not OutboxItem.objects.filter(peer__node_id="node-f").exists()
    assert consent.answered_by == "node-b:lia"
    assert AuditEvent.objects.filter(action="dissemination.consent_answer").exists()


def test_onward_amber_is_denied_without_asking(onward, people):
    sid = _received_from_b(10, tlp="amber")
    entry = share(people["ana"], [sid], ["node-f"], PURPOSE).entries.get()
    assert entry.decision == "DENY" and not ConsentRequest.objects.exists()


def test_originators_liaison_answers_on_the_consents_page_and_rest(flow1, people, make_user):
    lia = make_user("lia", role="liaison")
    r = _notice_from_b("consent_request", {"consent": "6f1c1f43-5d2c-4b51-9a53-0b6f6d4f1a11",
                       "id": flow1, "recipient_node": "node-f", "recipient_jurisdiction": "FR",
                       "purpose": PURPOSE, "requested_by": "bob"})  # fmt: skip
    assert r.status_code == 202, r.content
    consent = ConsentRequest.objects.get(direction="in")
    assert (consent.peer.node_id, consent.stix_id, consent.status) == ("node-b", flow1, "pending")
    # Not ours: refused.
    r = _notice_from_b("consent_request", {"consent": "6f1c1f43-5d2c-4b51-9a53-0b6f6d4f1a12",
                       "id": "identity--nope", "recipient_node": "node-f"})  # fmt: skip
    assert r.status_code == 422
    client = Client()
    client.force_login(people["ana"])
    assert client.get("/disseminations/consents/").status_code == 403
    client.force_login(lia)
    page = client.get("/disseminations/consents/")
    assert page.status_code == 200 and flow1.encode() in page.content
    r = client.post("/disseminations/consents/", {"consent": str(consent.pk),
                                                   "decision": "grant", "reason": ""})  # fmt: skip
    consent.refresh_from_db()
    assert r.status_code == 302 and consent.status == "pending"  # a reason is required
    answer = {"consent": str(consent.pk), "decision": "grant", "reason": "lawful"}
    r = client.post("/disseminations/consents/", answer)
    consent.refresh_from_db()
    assert consent.status == "granted" and consent.answered_by == "lia"
    answer = FederationNotice.objects.get(direction="out", kind="consent_answer")
    assert answer.peer.node_id == "node-b" and answer.body["granted"] is True
    assert AuditEvent.objects.filter(action="dissemination.consent", outcome="ok").exists()
    # REST: listed, then already answered (409); an analyst may not answer (403).
    headers = _bearer(lia)
    listed = Client().get("/api/consents?status=all", **headers).json()["items"]
    assert [c["id"] for c in listed] == [str(consent.pk)] and listed[0]["status"] == "granted"
    r = _post(Client(), f"/api/consents/{consent.pk}", {"decision": "refuse", "reason": "x"},
              headers)  # fmt: skip
    assert r.status_code == 409 and r["Content-Type"] == "application/problem+json"
    r = _post(Client(), f"/api/consents/{consent.pk}", {"decision": "refuse", "reason": "x"},
              _bearer(people["ana"]))  # fmt: skip
    assert r.status_code == 403


def test_rest_consent_answer(flow1, people, make_user):
    lia = make_user("lia", role="liaison")
    b = Peer.objects.get(node_id="node-b")
    consent = ConsentRequest.objects.create(direction="in", peer=b, stix_id=flow1,
                                            recipient_node="node-f", recipient_jurisdiction="FR",
                                            purpose=PURPOSE)  # fmt: skip
    r = _post(Client(), f"/api/consents/{consent.pk}", {"decision": "refuse", "reason": "no"},
              _bearer(lia))  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "refused"
    assert FederationNotice.objects.get(kind="consent_answer").body["granted"] is False
    with pytest.raises(ValueError, match="not waiting"):
        answer_consent(lia, ConsentRequest.objects.get(), grant=True, reason="x")
    assert DisseminationEntry.objects.count() == 0
