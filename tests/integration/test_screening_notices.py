"""The federation leg of a confirmed hit (issue 5 item 6), against a real database and the real
signed notices endpoint: this node is node-a (NL) with the partners of flow 1 (node-b DE full
sharing, node-c KE hit/no-hit, node-d BR no agreement, node-e US death penalty).

Sending: a confirmed hit on a record originated by a partner is queued as a signed
``screening.hit`` notice with only what the policy decision allows (full, hit only, nothing).
Receiving: a hit on this node's own record, delivered to the sender, reaches the liaison
officer's queue; forged, misrouted and malformed notices are refused and audited; the answer
goes back as ``screening.hit_answer`` and shows on the sender's hit. Roles: deny by default."""

from __future__ import annotations

import json
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from tests.integration import test_dissemination_service as base
from tests.integration.test_screening_service import person

from accord.agreement.services import save_agreement
from accord.dissemination.models import FederationNotice
from accord.dissemination.services import share
from accord.engine.manifests import Traveller
from accord.engine.signing import sign_request
from accord.federation.models import OutboxItem, Peer
from accord.intel.models import Record
from accord.intel.services import ingest_objects
from accord.oversight.models import AuditEvent
from accord.screening.models import Hit, IncomingHit
from accord.screening.notices import answer_incoming_hit
from accord.screening.services import incoming_hit, incoming_hits, review_hit, screen
from accord.screening.watchlist import watchlist

pytestmark = pytest.mark.django_db

flow1 = base.flow1  # node-a (NL), its peers and agreements, one person record of node-a
PURPOSE = "counter-terrorism"
NOTICES = "http://testserver/federation/dissemination/notices/"
#: The peers' keys in the flow1 fixture (peer number i has bytes i+1 .. i+32).
KEYS = {
    node: Ed25519PrivateKey.from_private_bytes(bytes(range(i + 1, i + 33)))
    for i, node in enumerate(base.PEERS)
}


@pytest.fixture(autouse=True)
def fresh_watchlist():
    watchlist.invalidate()
    yield
    watchlist.invalidate()


@pytest.fixture
def people(make_user):
    return {
        "ana": make_user("ana", role="analyst"),
        "sam": make_user("sam", role="supervisor"),
        "lia": make_user("lia", role="liaison"),
        "leo": make_user("leo", role="legal"),
    }


def _signed(node: str, kind: str, body: object, notice_id: str = ""):  # type: ignore[no-untyped-def]
    """POST a notice to this node's endpoint, signed by ``node`` (RFC 9421)."""
    raw = json.dumps({"id": notice_id or str(uuid.uuid4()), "kind": kind, "body": body}).encode()
    taxii = "application/taxii+json;version=2.1"
    headers = sign_request("POST", NOTICES, {"Content-Type": taxii, "Accept": taxii}, raw,
                           keyid=node, private_key=KEYS[node])  # fmt: skip
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()
             if k.lower() != "content-type"}  # fmt: skip
    return Client().post(NOTICES, raw, content_type=taxii, **extra)


# --------------------------------------------------------------------------------------------
# Sending: this node screens and confirms a hit on a partner's record


def _partner_record(node: str, n: int, names: list[str], birth: str) -> str:
    peer = Peer.objects.get(node_id=node)
    obj = {**person(n, names, birth=birth), "created_by_ref": peer.identity_id}
    report = ingest_objects(peer.user, [obj], source=f"peer:{node}", origin_node=node)
    assert report.ok, report.refused
    return str(obj["id"])


def _confirmed(people, names: list[str], birth: str) -> Hit:  # type: ignore[no-untyped-def]
    traveller = Traveller(row=1, id="PNR1", names=tuple(names), birth_date=birth,
                          nationalities=("IQ",), travel="LH1234 FRA-AMS 2026-11-28")  # fmt: skip
    (result,) = screen(people["ana"], [traveller], purpose=PURPOSE, format="paxlst")
    assert result.hit, result
    hit = Hit.objects.get(pk=result.hit_ids[0])
    review_hit(people["sam"], hit, decision="confirmed", reason="passport and birth date agree")
    hit.refresh_from_db()
    return hit


def test_confirmed_hit_goes_to_the_originator_with_what_the_agreement_allows(flow1, people):
    sid = _partner_record("node-b", 21, ["Karim Mansour", "كريم منصور"], "1988-07-08")
    hit = _confirmed(people, ["KAREEM MANSOOR"], "1988-07-08")
    assert hit.record_stix_id == sid
    notice = hit.notice
    assert (notice.peer.node_id, notice.kind, notice.direction) == (
        "node-b",
        "screening.hit",
        "out",
    )
    body = notice.body
    assert body["level"] == "full" and body["hit"] == hit.pk and body["record"] == sid
    assert body["sighting"]["id"] == hit.sighting_id
    assert body["sighting"]["sighting_of_ref"] == sid
    stored = json.loads(Record.objects.get(stix_id=hit.sighting_id).data)
    assert {k: body["sighting"][k] for k in ("created", "modified", "first_seen")} == {
        k: stored[k] for k in ("created", "modified", "first_seen")
    }
    assert "description" not in body["sighting"]  # it names the reviewer and the reason
    assert body["sighting"]["object_marking_refs"] == stored["object_marking_refs"]
    assert body["where"] == "LH1234 FRA-AMS 2026-11-28" and body["seen_at"]
    assert body["traveller"]["names"] == ["KAREEM MANSOOR"]
    assert "id" not in body["traveller"] and "row" not in body["traveller"]  # never more
    assert body["reviewing_agency"]["node"] == "node-a"
    assert body["agreements"] == ["nl-de-ct"]
    assert hit.disclosure["decision"] == "ALLOW" and hit.disclosure["level"] == "full"
    assert hit.notification == "sent to node-b (full)"
    assert hit.originator_status == "sent to node-b (full): queued"
    event = AuditEvent.objects.get(action="screening.notify")
    assert event.outcome == "ok" and event.detail["level"] == "full"
    assert event.detail["notice"] == str(notice.pk) and "traveller" in event.detail["fields"]
    assert set(event.object_ids) == {sid, hit.sighting_id}
    # The delivery outcome shows on the hit.
    FederationNotice.objects.filter(pk=notice.pk).update(status="failed", last_error="timeout")
    hit.refresh_from_db()
    assert hit.originator_status == "sent to node-b (full): failed (will retry) (timeout)"


@pytest.mark.parametrize(
    ("node", "decision", "code"),
    [("node-c", "HIT_NO_HIT_ONLY", "agreement.hit_no_hit"),
     ("node-e", "NEEDS_APPROVAL", "safeguard.death_penalty")],
)  # fmt: skip
def test_hit_only_carries_no_personal_details(flow1, people, node, decision, code):
    _partner_record(node, 22, ["Karim Mansour"], "1988-07-08")
    hit = _confirmed(people, ["KARIM MANSOUR"], "1988-07-08")
    body = hit.notice.body
    assert body["level"] == "hit_only" and hit.disclosure["decision"] == decision
    for key in ("traveller", "where", "seen_at", "score", "algorithm"):
        assert key not in body
    assert "first_seen" not in body["sighting"]
    assert code in [w["code"] for w in body["withheld"]]
    event = AuditEvent.objects.get(action="screening.notify")
    assert code in event.detail["reasons"] and event.detail["level"] == "hit_only"


def test_deny_sends_nothing(flow1, people):
    _partner_record("node-d", 23, ["Karim Mansour"], "1988-07-08")
    hit = _confirmed(people, ["KARIM MANSOUR"], "1988-07-08")
    assert hit.notice is None and hit.notification == "not sent to node-d: the policy decided DENY"
    assert not FederationNotice.objects.filter(kind="screening.hit").exists()
    event = AuditEvent.objects.get(action="screening.notify")
    assert event.outcome == "denied" and "agreement.none" in event.detail["reasons"]


def test_answer_from_the_originator_shows_on_the_hit(flow1, people):
    sid = _partner_record("node-b", 24, ["Karim Mansour"], "1988-07-08")
    hit = _confirmed(people, ["KARIM MANSOUR"], "1988-07-08")
    answer = {"hit": hit.pk, "record": sid, "action": "discreet_check", "answered_by": "lia",
              "text": "SIS Art 36 alert; report route and companions"}  # fmt: skip
    # Only the node the hit was sent to answers it.
    r = _signed("node-c", "screening.hit_answer", answer)
    assert r.status_code == 422 and b"no hit of this node" in r.content
    for bad in ({**answer, "action": "shoot"}, {**answer, "hit": "1"}, {**answer, "text": 5},
                {**answer, "record": "not an id"}):  # fmt: skip
        r = _signed("node-b", "screening.hit_answer", bad)
        assert r.status_code == 422 and b"malformed hit answer" in r.content, bad
    hit.refresh_from_db()
    assert hit.answered_at is None
    notice_id = str(uuid.uuid4())
    assert _signed("node-b", "screening.hit_answer", answer, notice_id).status_code == 202
    again = _signed("node-b", "screening.hit_answer", answer, notice_id)
    assert again.status_code == 202 and b"already received" in again.content
    hit.refresh_from_db()
    assert (hit.answer_action, hit.answered_by) == ("discreet_check", "node-b:lia")
    assert hit.answer_text.startswith("SIS Art 36")
    client = Client()
    client.force_login(people["sam"])
    page = client.get(f"/screening/hits/{hit.pk}/").content.decode()
    assert "sent to node-b (full): queued" in page
    assert "Discreet check (do not alert the person)" in page and "SIS Art 36 alert" in page
    changed = _signed("node-b", "screening.hit_answer", {**answer, "action": "arrest"})
    assert changed.status_code == 422 and b"already answered" in changed.content
    outcomes = sorted(AuditEvent.objects.filter(action="screening.hit_answered")
                      .values_list("outcome", flat=True))  # fmt: skip
    assert outcomes == ["ok"] + ["refused"] * 6


# --------------------------------------------------------------------------------------------
# Receiving: this node is the originator


def _delivered(flow1, people, node: str = "node-b") -> None:  # type: ignore[no-untyped-def]
    """Share this node's record with ``node`` and mark the outbox item delivered (the peer's
    inbox is not running here; the functional test delivers for real)."""
    d = share(people["ana"], [flow1], [node], PURPOSE)
    assert d.entries.get().status == "queued"
    OutboxItem.objects.filter(peer__node_id=node, stix_id=flow1).update(status="delivered")


@pytest.mark.parametrize(("status", "code"), [("failed", 202), ("rejected", 422)])
def test_disclosed_means_in_the_outbox_and_not_rejected(flow1, people, status, code):
    """A push that keeps failing may still reach the peer by pull (which serves every outbox
    entry that is not rejected); an entry the peer rejected is no disclosure."""
    share(people["ana"], [flow1], ["node-b"], PURPOSE)
    OutboxItem.objects.filter(peer__node_id="node-b", stix_id=flow1).update(status=status)
    r = _signed("node-b", "screening.hit", _hit_notice(flow1))
    assert r.status_code == code, r.content
    assert IncomingHit.objects.count() == (1 if code == 202 else 0)


def _hit_notice(record: str, *, hit: int = 7, level: str = "full", **extra) -> dict:
    body = {
        "hit": hit,
        "record": record,
        "level": level,
        "sighting": {"type": "sighting", "spec_version": "2.1",
                     "id": "sighting--8a5c1c9e-1f6b-4c8e-9d3a-2b7e4f6a1c01",
                     "sighting_of_ref": record, "count": 1,
                     "first_seen": "2026-11-28T09:00:00.000Z",
                     "last_seen": "2026-11-28T09:00:00.000Z"},
        "reviewed_at": "2026-11-28T10:00:00.000Z",
        "reviewing_agency": {"node": "node-b", "jurisdiction": "DE", "name": "B"},
        "purpose": PURPOSE,
        "agreements": ["nl-de-ct"],
        "conditions": [],
    }  # fmt: skip
    if level == "full":
        body.update(seen_at="2026-11-28T09:00:00.000Z", where="LH1234 FRA-AMS",
                    traveller={"names": ["KAREEM MANSOOR"], "birth_date": "1988-07-08"},
                    score=0.93, algorithm="accord-match@1")  # fmt: skip
    else:
        for key in ("first_seen", "last_seen"):
            body["sighting"].pop(key)
    body.update(extra)
    return body


def test_liaison_receives_reads_and_answers(flow1, people):
    _delivered(flow1, people)
    notice_id = str(uuid.uuid4())
    body = _hit_notice(flow1)
    body["sighting"]["x_extra"] = "dropped: not a sighting property"
    r = _signed("node-b", "screening.hit", body, notice_id)
    assert r.status_code == 202, r.content
    # Idempotent: the same notice again, and the same hit in a new notice, keep one row.
    assert _signed("node-b", "screening.hit", _hit_notice(flow1), notice_id).status_code == 202
    assert _signed("node-b", "screening.hit", _hit_notice(flow1)).status_code == 202
    incoming = IncomingHit.objects.get()
    assert (incoming.peer.node_id, incoming.remote_hit, incoming.level) == ("node-b", 7, "full")
    assert incoming.traveller == {"names": ["KAREEM MANSOOR"], "birth_date": "1988-07-08"}
    assert incoming.where == "LH1234 FRA-AMS" and incoming.withheld == []
    assert "x_extra" not in incoming.sighting and incoming.sighting["count"] == 1
    received = AuditEvent.objects.get(action="screening.hit_received")
    assert received.outcome == "ok" and flow1 in received.object_ids
    # Deny by default: only the liaison officer reads and answers, and each read is audited.
    for who in ("ana", "sam", "leo"):
        with pytest.raises(PermissionDenied):
            incoming_hits(people[who], purpose=PURPOSE)
        with pytest.raises(PermissionDenied):
            answer_incoming_hit(people[who], incoming, action="arrest", text="on the warrant",
                                purpose=PURPOSE)  # fmt: skip
    denied = AuditEvent.objects.filter(action__startswith="screening.", outcome="denied")
    assert denied.count() == 6
    (listed,) = incoming_hits(people["lia"], purpose=PURPOSE)
    assert listed.pk == incoming.pk
    read = AuditEvent.objects.filter(action="screening.incoming_read", outcome="ok").get()
    assert read.purpose == PURPOSE and read.object_ids == [flow1]
    with pytest.raises(IncomingHit.DoesNotExist):
        incoming_hit(people["lia"], uuid.uuid4(), purpose=PURPOSE)
    with pytest.raises(ValidationError):
        answer_incoming_hit(people["lia"], incoming, action="shoot", text="x" * 10,
                            purpose=PURPOSE)  # fmt: skip
    with pytest.raises(ValidationError):
        answer_incoming_hit(people["lia"], incoming, action="arrest", text=" ", purpose=PURPOSE)
    answer_incoming_hit(people["lia"], incoming, action="arrest",
                        text="European arrest warrant NL-2026-17", purpose=PURPOSE)  # fmt: skip
    incoming.refresh_from_db()
    assert incoming.status == "answered" and incoming.answered_by == people["lia"]
    out = FederationNotice.objects.get(kind="screening.hit_answer", direction="out")
    assert out.peer.node_id == "node-b" and out.pk == incoming.answer_notice_id
    assert out.body == {"hit": 7, "record": flow1, "action": "arrest",
                        "text": "European arrest warrant NL-2026-17", "answered_by": "lia",
                        "answered_at": out.body["answered_at"]}  # fmt: skip
    with pytest.raises(ValidationError, match="already answered"):
        answer_incoming_hit(people["lia"], incoming, action="no_action", text="changed mind",
                            purpose=PURPOSE)  # fmt: skip
    assert AuditEvent.objects.get(action="screening.hit_answer", outcome="ok").detail["action"] == (
        "arrest"
    )


def test_forged_or_misrouted_hits_are_refused(flow1, people):
    _delivered(flow1, people)
    own_of_b = _partner_record("node-b", 25, ["Someone Else"], "1970-01-01")
    cases = [
        ("node-c", _hit_notice(flow1)),  # never disclosed to node-c
        ("node-b", _hit_notice("identity--0f0f0f0f-0000-4000-8000-000000000001")),  # unknown
        ("node-b", _hit_notice(own_of_b)),  # node-b's own record, not this node's
    ]
    for node, body in cases:
        r = _signed(node, "screening.hit", body)
        assert r.status_code == 422 and b"forged or misrouted" in r.content, (node, r.content)
    assert not IncomingHit.objects.exists()
    refused = AuditEvent.objects.filter(action="screening.hit_received", outcome="refused")
    assert refused.count() == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hit": -1}, "hit must be a positive integer"),
        ({"hit": True}, "hit must be a positive integer"),
        ({"record": 42}, "record must be a string"),
        ({"record": "identity--nope"}, "record must be a STIX identifier"),
        ({"level": "everything"}, "level must be"),
        ({"sighting": "sighting--x"}, "sighting must be a STIX sighting"),
        ({"sighting": {"type": "sighting", "id": "bad"}}, "sighting.id"),
        ({"where": "x" * 501}, "where is longer than 500"),
        ({"traveller": ["a"]}, "traveller must be an object"),
        ({"agreements": "nl-de-ct"}, "agreements must be a list"),
        ({"reviewing_agency": None}, "reviewing_agency must be an object"),
    ],
)
def test_malformed_hit_notices_are_refused(flow1, people, change, message):
    _delivered(flow1, people)
    r = _signed("node-b", "screening.hit", {**_hit_notice(flow1), **change})
    assert r.status_code == 422 and message.encode() in r.content, r.content
    assert not IncomingHit.objects.exists()
    event = AuditEvent.objects.get(action="screening.hit_received")
    assert event.outcome == "refused" and message in event.detail["why"]


def test_hit_only_notice_with_details_is_refused(flow1, people):
    _delivered(flow1, people)
    body = _hit_notice(flow1, level="hit_only", traveller={"names": ["X"]})
    r = _signed("node-b", "screening.hit", body)
    assert r.status_code == 422 and b"carries no sighting details" in r.content
    assert _signed("node-b", "screening.hit", _hit_notice(flow1, level="hit_only")).status_code == (
        202
    )
    assert IncomingHit.objects.get().traveller == {}


def test_details_beyond_this_nodes_reading_of_the_agreement_are_discarded(flow1, people):
    """The agreement became hit/no-hit after the record was shared: node-b still sends the
    details; this node keeps only the hit and says why."""
    _delivered(flow1, people)
    save_agreement(None, base.agreement("nl-de-ct", ["NL", "DE"], "hit_no_hit", version=2))
    assert _signed("node-b", "screening.hit", _hit_notice(flow1)).status_code == 202
    incoming = IncomingHit.objects.get()
    assert incoming.level == "hit_only" and incoming.traveller == {} and incoming.where == ""
    assert "first_seen" not in incoming.sighting
    codes = [w["code"] for w in incoming.withheld]
    assert codes[0] == "received.details_discarded" and "agreement.hit_no_hit" in codes
    event = AuditEvent.objects.get(action="screening.hit_received")
    assert "received.details_discarded" in event.detail["discarded"]


def test_web_pages_for_liaison_only(flow1, people):
    _delivered(flow1, people)
    assert _signed("node-b", "screening.hit", _hit_notice(flow1)).status_code == 202
    incoming = IncomingHit.objects.get()
    client = Client()
    for who in ("ana", "sam"):
        client.force_login(people[who])
        assert client.get("/screening/incoming/").status_code == 403
        assert client.get(f"/screening/incoming/{incoming.pk}/").status_code == 403
        r = client.post(f"/screening/incoming/{incoming.pk}/",
                        {"action": "arrest", "text": "on the warrant"})  # fmt: skip
        assert r.status_code == 403
    incoming.refresh_from_db()
    assert incoming.status == "new"
    client.force_login(people["lia"])
    page = client.get("/screening/incoming/")
    assert page.status_code == 200 and b"KAREEM MANSOOR" in page.content
    detail = client.get(f"/screening/incoming/{incoming.pk}/")
    assert detail.status_code == 200 and b"LH1234 FRA-AMS" in detail.content
    r = client.post(f"/screening/incoming/{incoming.pk}/", {"action": "arrest", "text": ""})
    assert r.status_code == 400
    r = client.post(f"/screening/incoming/{incoming.pk}/",
                    {"action": "monitor", "text": "report further travel"})  # fmt: skip
    assert r.status_code == 302
    incoming.refresh_from_db()
    assert (incoming.status, incoming.answer_action) == ("answered", "monitor")


def test_rest_incoming_and_answer(flow1, people):
    _delivered(flow1, people)
    assert _signed("node-b", "screening.hit", _hit_notice(flow1)).status_code == 202
    incoming = IncomingHit.objects.get()

    def bearer(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
        from accord.accounts.services import create_token

        token = create_token(None, user, name="t")[0]
        return {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_X_ACCORD_PURPOSE": PURPOSE}

    ana, lia = bearer(people["ana"]), bearer(people["lia"])
    assert Client().get("/api/screenings/incoming", **ana).status_code == 403
    listed = Client().get("/api/screenings/incoming", **lia)
    assert listed.status_code == 200, listed.content
    (item,) = listed.json()["items"]
    assert item["id"] == str(incoming.pk) and item["traveller"]["names"] == ["KAREEM MANSOOR"]
    assert item["peer"] == "node-b" and item["status"] == "new"
    url = f"/api/screenings/incoming/{incoming.pk}/answer"
    answer = json.dumps({"action": "arrest", "text": "EAW NL-2026-17"})
    r = Client().post(url, answer, content_type="application/json", **ana)
    assert r.status_code == 403
    bad = json.dumps({"action": "shoot", "text": "EAW"})
    r = Client().post(url, bad, content_type="application/json", **lia)
    assert r.status_code == 422 and r["Content-Type"] == "application/problem+json"
    missing = f"/api/screenings/incoming/{uuid.uuid4()}/answer"
    assert Client().post(missing, answer, content_type="application/json", **lia).status_code == (
        404
    )
    r = Client().post(url, answer, content_type="application/json", **lia)
    assert r.status_code == 200 and r.json()["status"] == "answered"
    r = Client().post(url, answer, content_type="application/json", **lia)
    assert r.status_code == 409


def test_rest_review_and_hit_with_the_originators_state(flow1, people):
    from accord.accounts.services import create_token

    def bearer(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
        token = create_token(None, user, name="t")[0]
        return {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_X_ACCORD_PURPOSE": PURPOSE}

    _partner_record("node-b", 26, ["Karim Mansour"], "1988-07-08")
    (result,) = screen(people["ana"], [Traveller(row=1, id="x", names=("KARIM MANSOUR",),
                       birth_date="1988-07-08")], purpose=PURPOSE)  # fmt: skip
    url = f"/api/screenings/hits/{result.hit_ids[0]}"
    sam, leo = bearer(people["sam"]), bearer(people["leo"])
    assert Client().get(url, **leo).status_code == 404  # neither supervisor nor screener
    review = json.dumps({"decision": "confirmed", "reason": "documents agree"})
    assert Client().post(url, review, content_type="application/json", **leo).status_code == 403
    short = json.dumps({"decision": "confirmed", "reason": ""})
    assert Client().post(url, short, content_type="application/json", **sam).status_code == 422
    r = Client().post(url, review, content_type="application/json", **sam)
    assert r.status_code == 200, r.content
    got = r.json()
    assert got["status"] == "confirmed" and got["sighting_id"].startswith("sighting--")
    assert got["originator"]["status"] == "sent to node-b (full): queued"
    assert got["originator"]["level"] == "full" and got["answer"] is None
    again = Client().post(url, review, content_type="application/json", **sam)
    assert again.status_code == 409
    shown = Client().get(url, **bearer(people["ana"]))  # the screener
    assert shown.status_code == 200 and shown.json()["originator"]["delivery"] == "queued"
    assert AuditEvent.objects.filter(action="screening.hit_read").count() == 1


def test_incoming_page_with_a_bad_or_unknown_id(flow1, people):
    client = Client()
    client.force_login(people["lia"])
    assert client.get("/screening/incoming/not-a-uuid/").status_code == 404
    assert client.get(f"/screening/incoming/{uuid.uuid4()}/").status_code == 404
    client.force_login(people["ana"])
    assert client.get("/screening/incoming/not-a-uuid/").status_code == 403


def test_a_refused_hit_notice_stays_refused_when_retried(flow1, people):
    """A resend of a notice that got 422 (a sender that retries, or a replay of the same id)
    must be refused again, or the sender's hit would show "delivered" for a refused hit."""
    notice_id = str(uuid.uuid4())
    first = _signed("node-b", "screening.hit", _hit_notice(flow1), notice_id)
    assert first.status_code == 422  # flow1 was never disclosed to node-b
    again = _signed("node-b", "screening.hit", _hit_notice(flow1), notice_id)
    assert again.status_code == 422, again.content
