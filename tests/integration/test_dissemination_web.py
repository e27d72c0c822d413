"""The share, dissemination and approvals pages against a real database (issue #4): several
records in one share, ids pasted to add more (an id the analyst may not see refused exactly like
a missing one, audited, nothing typed lost), each recipient's decision per record in plain words
with peer names, a record this node cannot sign blocked up front (while a received record keeps
the onward path), labelled approval fields and the purpose of the disclosure defaulted from the
working context."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client
from tests.integration import test_dissemination_revoke_consent as consent_tests
from tests.integration import test_dissemination_service as base

from accord.dissemination.models import Dissemination, DisseminationEntry
from accord.dissemination.services import UNSIGNABLE_CODE, preview, share
from accord.federation.models import OutboxItem, Peer, peer_identity_id
from accord.intel.factories import person_object
from accord.intel.models import Record
from accord.intel.services import ingest_objects
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db

flow1, people = base.flow1, base.people  # the fixtures of the dissemination service tests
onward = consent_tests.onward  # a record received from node-b and a peer node-f (FR)

PURPOSE = "counter-terrorism"
URL = "/disseminations/new/"
NAMES = {"node-b": "BKA Germany", "node-c": "ATPU Kenya", "node-d": "PF Brazil", "node-e": "FBI"}


@pytest.fixture
def named(flow1):
    """The flow-1 peers with their human names, and a second person originated by this node."""
    for node_id, name in NAMES.items():
        Peer.objects.filter(node_id=node_id).update(name=name)
    second = person_object(2, created_by_ref=peer_identity_id("node-a"))
    assert ingest_objects(None, [second], source="test").ok
    return flow1, second["id"]


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _name(stix_id: str) -> str:
    return Record.objects.get(stix_id=stix_id).display_name


def _text(response) -> str:  # type: ignore[no-untyped-def]
    """The page's visible text, tags removed and whitespace collapsed."""
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_two_records_previewed_per_record_with_names_then_sent(named, people):
    first, second = named
    client = _client(people["ana"])
    page = client.get(URL, {"record": [first, second]})
    assert page.status_code == 200
    html = page.content.decode()
    for sid in (first, second):  # each chosen record is a ticked checkbox with its name
        assert re.search(rf'value="{re.escape(sid)}"[^>]*checked', html)
        assert _name(sid) in html
    assert "BKA Germany (DE)" in html
    form = {
        "records": [first, second],
        "recipients": ["node-b", "node-d", "node-e"],
        "purpose": PURPOSE,
        "assurance_reference": "",
    }
    shown = client.post(URL, {**form, "action": "preview"})
    text = _text(shown)
    assert shown.status_code == 200 and "Decisions before sending" in text
    assert text.count("Decisions for ") == 2  # one table per record
    assert "BKA Germany (DE)" in text and "FBI (US)" in text and "node-b" not in text
    assert "Allowed" in text and "Refused" in text and "Needs approval" in text
    assert "Queued for delivery" in text and "Awaiting a supervisor's approval" in text
    assert "awaiting_approval" not in text and "ALLOW" not in text
    assert not Dissemination.objects.exists()  # a preview sends nothing

    sent = client.post(URL, {**form, "action": "send"})
    d = Dissemination.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/disseminations/{d.pk}/"
    entries = {(e.stix_id, e.peer.node_id): e.status for e in d.entries.select_related("peer")}
    assert entries == {
        (sid, peer): status
        for sid in (first, second)
        for peer, status in (
            ("node-b", "queued"),
            ("node-d", "denied"),
            ("node-e", "awaiting_approval"),
        )
    }
    assert set(OutboxItem.objects.values_list("stix_id", flat=True)) >= {first, second}
    detail = _text(client.get(sent["Location"]))
    assert _name(first) in detail and _name(second) in detail
    assert "BKA Germany (DE)" in detail and "Allowed" in detail and "Refused" in detail


def test_pasted_ids_are_added_and_a_hidden_one_is_refused_like_a_missing_one(named, people):
    first, second = named
    secret = person_object(3, created_by_ref=peer_identity_id("node-a"), tlp="red")
    assert ingest_objects(None, [secret], source="test").ok  # TLP:RED: ana is no recipient
    missing = "identity--00000000-0000-4000-8000-000000000000"
    client = _client(people["ana"])

    added = client.post(
        URL, {"records": [first], "add_records": f"{second}\n", "purpose": PURPOSE, "action": "add"}
    )
    html = added.content.decode()
    assert added.status_code == 200 and "alert-error" not in html  # no recipient needed to add
    assert re.search(rf'value="{re.escape(second)}"[^>]*checked', html)
    assert 'name="add_records"' in html and f">{second}<" not in html  # the box is emptied

    typed = f"{second}\n{secret['id']}\n{missing}"
    refused = client.post(
        URL,
        {
            "records": [first],
            "add_records": typed,
            "recipients": ["node-b"],
            "purpose": PURPOSE,
            "action": "preview",
        },
    )
    html = refused.content.decode()
    assert refused.status_code == 200 and "Decisions before sending" not in html
    for sid in (secret["id"], missing):  # the same words for the hidden and the missing id
        assert f"No record you may see has the id &#x27;{sid}&#x27;" in html
    assert _name(secret["id"]) not in html  # the hidden record's name is never shown
    assert typed in html  # nothing the analyst typed is lost
    denied = AuditEvent.objects.filter(action="record.read", outcome="denied")
    assert any(secret["id"] in e.object_ids for e in denied)
    sent = client.post(
        URL,
        {
            "records": [first, secret["id"]],
            "recipients": ["node-b"],
            "purpose": PURPOSE,
            "action": "send",
        },
    )
    assert sent.status_code == 400 and not Dissemination.objects.exists()
    assert f"No record you may see has the id &#x27;{secret['id']}&#x27;" in sent.content.decode()

    linked = client.get(URL, {"record": [first, secret["id"]]})
    html = linked.content.decode()
    assert linked.status_code == 200 and "No record you may see" in html
    assert not re.search(rf'value="{re.escape(secret["id"])}"', html)

    empty = client.post(URL, {"recipients": ["node-b"], "purpose": PURPOSE, "action": "send"})
    assert "Choose at least one record to share." in empty.content.decode()
    assert not Dissemination.objects.exists()


def test_a_record_this_node_cannot_sign_is_blocked_before_sending(named, people):
    first, _ = named
    foreign = person_object(4, created_by_ref="identity--6b5b52c2-2d29-4bd7-8a05-9d0a6a4cbf3a")
    assert ingest_objects(None, [foreign], source="file:import").ok  # imported, not received
    ana = people["ana"]
    decided = {
        (d.record, d.recipient): d
        for d in preview(ana, [first, foreign["id"]], ["node-b"], PURPOSE)
    }
    blocked = decided[(foreign["id"], "node-b")]
    assert blocked.decision == "DENY"
    assert [r.code for r in blocked.result.reasons] == [UNSIGNABLE_CODE]
    assert "cannot sign it" in blocked.result.reasons[0].message
    assert decided[(first, "node-b")].decision == "ALLOW"  # its own record is unaffected
    audited = AuditEvent.objects.filter(action="dissemination.preview").latest("pk")
    assert UNSIGNABLE_CODE in str(audited.detail)

    client = _client(ana)
    form = {"records": [first, foreign["id"]], "recipients": ["node-b"], "purpose": PURPOSE}
    text = _text(client.post(URL, {**form, "action": "preview"}))
    assert "This record cannot be sent." in text and "cannot sign it" in text

    client.post(URL, {**form, "action": "send"})
    entry = DisseminationEntry.objects.get(stix_id=foreign["id"])
    assert (entry.decision, entry.status) == ("DENY", "denied")
    assert entry.reasons[0]["code"] == UNSIGNABLE_CODE
    assert not OutboxItem.objects.filter(stix_id=foreign["id"]).exists()  # refused, not queued
    assert OutboxItem.objects.filter(stix_id=first, peer__node_id="node-b").exists()


def test_a_received_record_keeps_the_onward_path(onward, people):
    """``onward``: a TLP:GREEN H2 person node-b originated, received here; node-f (FR) has an
    agreement with DE. Not this node's identity, yet not blocked: it is an onward share."""
    assert Record.objects.get(stix_id=onward).created_by_ref != peer_identity_id("node-a")
    d = preview(people["ana"], [onward], ["node-f"], PURPOSE)[0]
    assert d.onward and UNSIGNABLE_CODE not in [r.code for r in d.result.reasons]
    assert d.status == "awaiting_consent"  # H2: the originator's consent, as before
    entry = share(people["ana"], [onward], ["node-f"], PURPOSE).entries.get()
    assert entry.status == "awaiting_consent" and not OutboxItem.objects.exists()


def test_approvals_fields_are_labelled_and_name_the_recipient(named, people):
    first, _ = named
    share(people["ana"], [first], ["node-e"], PURPOSE, assurance_reference="US-1")
    html = _client(people["sam"]).get("/disseminations/approvals/").content.decode()
    for field in ("decision", "reason"):
        ident = re.search(rf'name="{field}" id="({field}-\d+)"', html)[1]
        assert f'<label for="{ident}">' in html
    assert "FBI (US)" in html and _name(first) in html and 'class="button"' in html


def test_purpose_of_the_disclosure_defaults_to_the_working_purpose(named, people):
    first, _ = named
    client = _client(people["ana"])
    session = client.session
    session["accord_purpose"] = "border-security"
    session.save()
    html = client.get(URL, {"record": first}).content.decode()
    assert "Purpose of this disclosure" in html
    assert re.search(r'<option value="border-security" selected>', html)


def test_a_record_restricted_to_other_purposes_is_refused_next_to_the_purpose(named, people):
    from accord.engine.stix.markings import HandlingMarking, handling_marking_definition

    ct_only = handling_marking_definition(HandlingMarking(purposes=(PURPOSE,)))
    obj = person_object(5, created_by_ref=peer_identity_id("node-a"), extra_refs=(ct_only["id"],))
    assert ingest_objects(None, [ct_only, obj], source="test").ok
    client = _client(people["ana"])  # working purpose: counter-terrorism (the default)
    page = client.post(
        URL,
        {
            "records": [obj["id"]],
            "recipients": ["node-b"],
            "purpose": "border-security",
            "action": "send",
        },
    )
    text = _text(page)
    assert page.status_code == 400 and not Dissemination.objects.exists()
    assert f"The record {obj['id']} may not be used for this purpose" in text
