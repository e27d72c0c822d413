"""The "Record a person" page (issue #4): an analyst records flow 1's suspect without a STIX
file; the record is created by this node's identity (so it can be shared, unlike a foreign
record), carries the chosen TLP, handling code and purposes, and goes through the audited
import path. Bad input is refused next to its field with everything typed kept, nothing is
stored, and the refusal is audited; a role without ``record.create`` is refused."""

from __future__ import annotations

import re
from datetime import date

import orjson
import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from tests.integration import test_dissemination_service as base

from accord.dissemination.person_records import PersonEntry, record_person
from accord.dissemination.services import preview
from accord.engine.stix.person import PERSON_EXTENSION_ID
from accord.federation.models import peer_identity_id
from accord.intel.models import Record
from accord.intel.services import RecordRefused
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db

flow1, people = base.flow1, base.people  # the fixtures of the dissemination service tests

URL = "/disseminations/person/new/"
PURPOSE = "counter-terrorism"
SUSPECT = {
    "name": "Yusuf Al-Rashidi",
    "other_name": "يوسف الراشدي",
    "other_script": "Arab",
    "aliases": "Abu Yahya al-Shami\n\nAbu Yahya al-Shami\n",
    "birth_date": "1987-03-14",
    "nationality": "sy",
    "passport_number": "N04417729",
    "passport_country": "SY",
    "tlp": "amber",
    "handling_code": "H2",
    "purposes": [PURPOSE],
}


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_an_analyst_records_the_suspect_and_goes_on_to_share_it(flow1, people):
    client = _client(people["ana"])
    page = client.get(URL).content.decode()
    for label in ("Name (Latin script)", "Name in another script", "Date of birth", "TLP"):
        assert f">{label}" in page
    assert re.search(rf'value="{PURPOSE}"[^>]*checked', page)  # the working purpose
    done = client.post(URL, SUSPECT)
    assert done.status_code == 302 and done["Location"].startswith("/disseminations/new/?record=")
    record = Record.objects.exclude(stix_id=flow1).get(stix_type="identity", tlp="amber")
    assert done["Location"] == f"/disseminations/new/?record={record.stix_id}"
    assert record.created_by_ref == peer_identity_id("node-a") and record.origin_node == ""
    assert (record.tlp, record.handling_code, record.personal_data) == ("amber", "H2", True)
    assert set(record.marking_rows.filter(kind="purpose").values_list("value", flat=True)) == {
        PURPOSE
    }
    ext = orjson.loads(record.data)["extensions"][PERSON_EXTENSION_ID]
    assert [n["full_name"] for n in ext["names"]] == [
        "Yusuf Al-Rashidi",
        "يوسف الراشدي",
        "Abu Yahya al-Shami",
    ]
    assert ext["birth_dates"] == [{"precision": "exact", "date": "1987-03-14"}]
    assert ext["nationalities"] == ["SY"]
    assert ext["documents"][0]["number"] == "N04417729"
    assert AuditEvent.objects.filter(action="record.import", outcome="ok").exists()
    share_page = client.get(done["Location"]).content.decode()
    assert "Yusuf Al-Rashidi" in share_page and "checked" in share_page
    # Created by this node: it can be signed, so B (full sharing) is allowed.
    decision = preview(people["ana"], [record.stix_id], ["node-b"], PURPOSE)[0]
    assert decision.decision == "ALLOW"


def test_bad_input_is_refused_next_to_its_field_and_audited(flow1, people):
    client = _client(people["ana"])
    before = Record.objects.count()
    bad = {**SUSPECT, "other_script": "", "nationality": "S1", "name": ""}
    page = client.post(URL, bad)
    html = page.content.decode()
    assert page.status_code == 200 and Record.objects.count() == before
    assert "Choose the script of the other name." in html
    assert "Use the two-letter country code" in html
    assert "This field is required." in html
    assert "N04417729" in html and "يوسف الراشدي" in html  # nothing typed is lost
    refused = AuditEvent.objects.filter(action="record.create", outcome="refused").get()
    assert refused.detail["fields"] == ["name", "nationality", "other_script"]
    assert "N04417729" not in str(refused.detail)  # what was typed is not copied to the log


def test_the_store_refusal_comes_back_with_its_reason(flow1, people):
    entry = PersonEntry(name="X", tlp="amber", other_name="Y", other_script="arabic")
    with pytest.raises(RecordRefused) as refused:
        record_person(people["ana"], entry, purpose=PURPOSE)
    assert "script" in str(refused.value)
    assert not Record.objects.filter(display_name="X").exists()
    assert AuditEvent.objects.filter(action="record.import", outcome="refused").exists()


def test_a_role_without_record_create_is_refused(flow1, people):
    entry = PersonEntry(name="X", tlp="amber", birth_date=date(1990, 1, 1))
    with pytest.raises(PermissionDenied):
        record_person(people["leo"], entry, purpose=PURPOSE)
    assert AuditEvent.objects.filter(action="record.create", outcome="denied").exists()
    assert _client(people["leo"]).get(URL).status_code == 403
