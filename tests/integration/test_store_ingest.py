"""Record store: all-or-nothing import, versions, creators, markings, index rows, audit."""

from __future__ import annotations

import copy
import itertools

import pytest

from accord.engine.stix.markings import (
    HandlingMarking,
    handling_marking_definition,
)
from accord.intel.factories import BENCH_CREATOR, person_object, synthetic_objects
from accord.intel.models import Identifier, NameToken, Record, RecordMarking, RecordVersion
from accord.intel.services import RecordRefused, create_record, ingest_objects
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db


def _persons(count: int, start: int = 0) -> list[dict]:
    return [person_object(n) for n in range(start, start + count)]


def test_valid_batch_is_stored_with_versions_tokens_identifiers_and_one_audit_event():
    objects = list(synthetic_objects(100))
    before = AuditEvent.objects.filter(action="record.import").count()
    report = ingest_objects(None, objects, source="test-batch")
    assert report.ok, report.refused
    assert report.imported == 100
    assert report.by_type == {"identity": 80, "indicator": 10, "relationship": 10}
    assert Record.objects.count() == 100
    assert RecordVersion.objects.count() == 100
    person = Record.objects.get(stix_id=objects[0]["id"])
    assert person.personal_data is True
    assert person.stix_type == "identity"
    assert person.display_name == objects[0]["name"]
    assert (
        person.birth_year_min
        == person.birth_year_max
        == int(
            objects[0]["extensions"][next(iter(objects[0]["extensions"]))]["birth_dates"][0][
                "date"
            ][:4]
        )
    )
    tokens = set(NameToken.objects.filter(record=person).values_list("token", flat=True))
    assert objects[0]["name"].split()[0].lower() in tokens
    assert Identifier.objects.filter(record=person, kind="document", value="P00000000").exists()
    assert Identifier.objects.filter(record=person, kind="phone", value="+447900000000").exists()
    indicator = Record.objects.get(stix_id=objects[8]["id"])
    assert indicator.personal_data is False
    events = AuditEvent.objects.filter(action="record.import")
    assert events.count() == before + 1
    event = events.order_by("-seq").first()
    assert event.detail["source"] == "test-batch"
    assert event.detail["imported"] == 100
    assert set(event.object_ids) == {o["id"] for o in objects}


def test_one_bad_object_in_a_hundred_stores_nothing_and_names_the_property():
    objects = _persons(100)
    del objects[37]["created"]
    objects[61]["object_marking_refs"] = [
        "marking-definition--00000000-0000-4000-8000-000000000000"
    ]
    report = ingest_objects(None, objects, source="bad")
    assert not report.ok
    assert Record.objects.count() == 0
    assert RecordVersion.objects.count() == 0
    assert NameToken.objects.count() == 0
    indexes = {r.index for r in report.refused}
    assert indexes == {37, 61}
    bad = next(r for r in report.refused if r.index == 37)
    assert "created" in bad.path or "created" in bad.message
    unknown = next(r for r in report.refused if r.index == 61)
    assert unknown.path == "object_marking_refs[0]"
    assert unknown.message.startswith("unknown marking definition")
    refused_event = AuditEvent.objects.filter(action="record.import").order_by("-seq").first()
    assert refused_event.outcome == "refused"


def test_new_version_replaces_data_and_keeps_the_old_one():
    v1 = person_object(1)
    ingest_objects(None, [v1], source="v1")
    v2 = copy.deepcopy(v1)
    v2["modified"] = "2026-03-01T00:00:00.000Z"
    v2["name"] = "Renamed Person"
    report = ingest_objects(None, [v2], source="v2")
    assert report.ok and report.new_versions == 1 and report.imported == 0
    record = Record.objects.get(stix_id=v1["id"])
    assert record.version_count == 2
    assert '"Renamed Person"' in record.data
    assert record.display_name == "Renamed Person"
    tokens = set(NameToken.objects.filter(record=record).values_list("token", flat=True))
    assert "renamed" in tokens
    versions = list(RecordVersion.objects.filter(record=record).values_list("modified", flat=True))
    assert sorted(versions) == sorted([v1["modified"], v2["modified"]])


def test_out_of_order_version_is_kept_but_does_not_replace_the_latest():
    new = person_object(2, modified="2026-05-01T00:00:00.000Z")
    old = person_object(2, modified="2026-02-01T00:00:00.000Z")
    old["name"] = "Older Name"
    assert ingest_objects(None, [new], source="new").ok
    report = ingest_objects(None, [old], source="old")
    assert report.ok and report.new_versions == 1
    record = Record.objects.get(stix_id=new["id"])
    assert record.version_count == 2
    assert "Older Name" not in record.data
    assert RecordVersion.objects.filter(record=record).count() == 2


def test_versions_in_one_batch_latest_wins_whatever_the_order():
    a = person_object(3, modified="2026-04-01T00:00:00.000Z")
    b = person_object(3, modified="2026-01-03T00:00:00.000Z")
    b["name"] = "Earlier"
    report = ingest_objects(None, [a, b], source="both")
    assert report.ok and report.imported == 1 and report.new_versions == 1
    record = Record.objects.get(stix_id=a["id"])
    assert record.version_count == 2
    assert "Earlier" not in record.data


def test_identical_reimport_is_unchanged_and_changed_content_same_modified_is_refused():
    objects = _persons(5)
    assert ingest_objects(None, objects, source="first").imported == 5
    again = ingest_objects(None, copy.deepcopy(objects), source="again")
    assert again.ok and again.unchanged == 5 and again.imported == 0 and again.new_versions == 0
    changed = copy.deepcopy(objects[2])
    changed["name"] = "Sneaky Edit"
    report = ingest_objects(None, [changed], source="edit")
    assert not report.ok
    assert report.refused[0].message.startswith("id/modified already stored with other content")
    assert "Sneaky" not in Record.objects.get(stix_id=changed["id"]).data


def test_a_version_by_another_creator_is_refused():
    original = person_object(4)
    ingest_objects(None, [original], source="orig")
    other = copy.deepcopy(original)
    other["modified"] = "2026-06-01T00:00:00.000Z"
    other["created_by_ref"] = "identity--11111111-1111-4111-8111-111111111111"
    report = ingest_objects(None, [other], source="other")
    assert not report.ok
    assert report.refused[0].path == "created_by_ref"
    assert Record.objects.get(stix_id=original["id"]).version_count == 1


def test_marking_columns_and_rows_from_tlp_and_accord_handling(make_user):
    user = make_user("ingrid", agency="ctu")
    handling = HandlingMarking(
        handling_code="H2", releasable_to=("FR", "DE"), purposes=("counter-terrorism",)
    )
    definition = handling_marking_definition(handling)
    obj = person_object(5, tlp="amber+strict", extra_refs=(definition["id"],))
    report = ingest_objects(user, [definition, obj], source="marked")
    assert report.ok, report.refused
    record = Record.objects.get(stix_id=obj["id"])
    assert record.tlp == "amber+strict"
    assert record.handling_code == "H2"
    assert record.owner == user and record.owner_agency == "ctu"
    rows = set(RecordMarking.objects.filter(record=record).values_list("kind", "value"))
    assert rows == {("release", "DE"), ("release", "FR"), ("purpose", "counter-terrorism")}
    # The stored definition now resolves for a later import.
    later = person_object(6, extra_refs=(definition["id"],))
    assert ingest_objects(user, [later], source="later").ok


def test_tlp_1_0_marking_is_known():
    obj = person_object(7)
    obj["object_marking_refs"] = ["marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]
    assert ingest_objects(None, [obj], source="tlp1").ok
    assert Record.objects.get(stix_id=obj["id"]).tlp == "amber"


def test_create_record_refuses_invalid_object_and_audits_creation(make_user):
    user = make_user("carla")
    obj = person_object(8)
    obj["created_by_ref"] = BENCH_CREATOR
    record = create_record(user, obj, purpose="counter-terrorism")
    assert record.stix_id == obj["id"]
    bad = person_object(9)
    bad["type"] = "identity"
    bad["id"] = "not-an-id"
    with pytest.raises(RecordRefused) as err:
        create_record(user, bad, purpose="counter-terrorism")
    assert err.value.refusals
    assert not Record.objects.filter(stix_id="not-an-id").exists()


def test_admin_may_not_import(make_user):
    from django.core.exceptions import PermissionDenied

    admin = make_user("root", role="admin")
    with pytest.raises(PermissionDenied):
        ingest_objects(admin, [person_object(10)], source="x")


def test_progress_is_reported():
    seen: list[tuple[int, int]] = []
    ingest_objects(None, _persons(300), source="p", progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (300, 300)
    assert len(seen) >= 50
    assert all(b[0] >= a[0] for a, b in itertools.pairwise(seen))


@pytest.mark.django_db
def test_partial_ingest_stores_the_valid_objects_and_reports_the_others():
    from accord.intel.models import Record
    from accord.intel.services import ingest_objects

    good = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '198.51.100.1']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }
    bad = {**good, "id": "indicator--1e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "modified": "soon"}
    report = ingest_objects(None, [good, bad], source="taxii", all_or_nothing=False)
    assert [r.path for r in report.refused] == ["modified"]
    assert report.imported == 1
    assert Record.objects.filter(stix_id=good["id"]).exists()
    assert not Record.objects.filter(stix_id=bad["id"]).exists()


@pytest.mark.django_db
def test_nul_characters_are_refused_with_their_path():
    from accord.intel.services import ingest_objects

    obj = {
        "type": "identity",
        "spec_version": "2.1",
        "id": "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": "Ali",
        "identity_class": "individual",
        "labels": ["ok", "a\x00b"],
    }
    report = ingest_objects(None, [obj], source="test")
    assert [(r.path, "NUL" in r.message) for r in report.refused] == [("labels[1]", True)]


@pytest.mark.django_db
def test_received_records_are_read_only_for_local_writers():
    from accord.intel.factories import person_object
    from accord.intel.services import ingest_objects

    received = person_object(42)
    assert ingest_objects(None, [received], source="peer:node-b", origin_node="node-b").ok
    local = {**received, "modified": "2027-01-01T00:00:00.000Z"}  # same creator ref, copied
    report = ingest_objects(None, [local], source="user:ana")
    assert [(r.path, "read-only" in r.message) for r in report.refused] == [("id", True)]
    # The originator (arriving with its origin) still writes new versions.
    assert ingest_objects(None, [local], source="peer:node-b", origin_node="node-b").ok


def test_objects_validated_first_are_stored_like_objects_given_whole(make_user):
    """A TAXII POST validates its envelope before its transaction (validate_objects), then
    stores the batch: the same records and report as one call; the role check still applies."""
    from django.core.exceptions import PermissionDenied

    from accord.intel.services import validate_objects

    objects = _persons(20)
    bad = {**person_object(99), "modified": "soon"}
    whole = ingest_objects(None, [*objects[:10], bad], source="a", all_or_nothing=False)
    batch = validate_objects([*objects[10:], bad], source="b")
    assert [r.path for r in batch.report.refused] == ["modified"]
    assert Record.objects.count() == 10  # validating wrote nothing
    with pytest.raises(PermissionDenied):
        ingest_objects(make_user("root", role="admin"), batch, source="b")
    split = ingest_objects(None, batch, source="b", all_or_nothing=False)
    assert (split.imported, len(split.refused)) == (whole.imported, len(whole.refused)) == (10, 1)
    assert Record.objects.count() == 20
    assert NameToken.objects.filter(record__stix_id=objects[15]["id"]).exists()
    with pytest.raises(ValueError, match="already stored"):
        ingest_objects(None, batch, source="b", all_or_nothing=False)
