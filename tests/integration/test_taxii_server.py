"""TAXII 2.1 server through Django's test client: resources, filters, pagination, versions,
manifest, delete, and the record restrictions applied to every read."""

from __future__ import annotations

import json

import pytest
from tests.integration.taxii_helpers import TAXII, TaxiiClient, make_collection

from accord.engine.stix.markings import HandlingMarking, handling_marking_definition
from accord.intel.factories import person_object, synthetic_objects
from accord.intel.models import Case, CaseMembership, Record, RecordGrant
from accord.intel.services import ingest_objects
from accord.oversight.models import AuditEvent
from accord.taxii.auth import clear_basic_cache
from accord.taxii.models import CollectionEntry
from accord.taxii.services import add_entries

pytestmark = pytest.mark.django_db

ROOT = "/taxii2/accord/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_basic_cache()
    yield
    clear_basic_cache()


@pytest.fixture
def setup(make_user, client):
    writer = make_user("writer", agency="ctu")
    reader = make_user("reader", agency="ctu")
    collection = make_collection((writer, True, True), (reader, True, False))
    return {
        "writer": writer,
        "reader": reader,
        "collection": collection,
        "w": TaxiiClient(client, "writer"),
        "r": TaxiiClient(client, "reader"),
        "objects": f"{ROOT}collections/{collection.pk}/objects/",
        "base": f"{ROOT}collections/{collection.pk}/",
    }


def _post(s, objects):
    response = s["w"].post(s["objects"], {"objects": objects})
    assert response.status_code == 202, response.content
    assert response["Content-Type"] == TAXII
    return response.json()


def test_discovery_api_root_and_collections(setup):
    r = setup["r"]
    found = r.get("/taxii2/")
    assert found.status_code == 200
    assert found["Content-Type"] == TAXII
    body = found.json()
    assert body["default"] == "http://testserver/taxii2/accord/"
    assert body["api_roots"] == ["http://testserver/taxii2/accord/"]
    assert body["title"]
    root = r.get(ROOT).json()
    assert root["versions"] == [TAXII]
    assert root["max_content_length"] == 10 * 1024 * 1024
    listing = r.get(ROOT + "collections/").json()["collections"]
    assert [c["id"] for c in listing] == [str(setup["collection"].pk)]
    assert listing[0]["can_read"] is True
    assert listing[0]["can_write"] is False
    assert listing[0]["media_types"] == ["application/stix+json;version=2.1"]
    one = setup["w"].get(setup["base"]).json()
    assert one["can_write"] is True
    assert one["alias"] == "shared"
    by_alias = setup["w"].get(ROOT + "collections/shared/")
    assert by_alias.json()["id"] == str(setup["collection"].pk)
    assert r.get("/taxii2/other/").status_code == 404


def test_post_then_status_then_get_objects_exactly_as_stored(setup):
    objects = list(synthetic_objects(10))
    status = _post(setup, objects)
    assert status["status"] == "complete"
    assert status["total_count"] == 10
    assert status["success_count"] == 10
    assert status["failure_count"] == 0
    assert status["pending_count"] == 0
    assert {s["id"] for s in status["successes"]} == {o["id"] for o in objects}
    again = setup["w"].get(f"{ROOT}status/{status['id']}/")
    assert again.status_code == 200
    assert again.json() == status
    # Another user may not read the writer's status.
    assert setup["r"].get(f"{ROOT}status/{status['id']}/").status_code == 404
    got = setup["w"].get(setup["objects"])
    assert got.status_code == 200
    envelope = got.json()
    assert envelope["more"] is False
    stored = {r.stix_id: r.data for r in Record.objects.all()}
    # Byte-exact: each object is the stored text.
    for obj in envelope["objects"]:
        assert json.dumps(obj, separators=(",", ":"), ensure_ascii=False) in got.content.decode()
        assert json.loads(stored[obj["id"]]) == obj
    assert got["X-TAXII-Date-Added-First"] <= got["X-TAXII-Date-Added-Last"]


def test_invalid_objects_refused_per_object_rest_stored(setup):
    good = list(synthetic_objects(3))
    bad = dict(person_object(99))
    bad.pop("created")
    status = _post(setup, [good[0], bad, good[1], "not an object", good[2]])
    assert status["success_count"] == 3
    assert status["failure_count"] == 2
    failure = next(f for f in status["failures"] if f["id"] == bad["id"])
    assert "created" in failure["message"]
    ids = {o["id"] for o in setup["w"].get(setup["objects"]).json()["objects"]}
    assert ids == {o["id"] for o in good}
    assert not Record.objects.filter(stix_id=bad["id"]).exists()


def test_duplicates_unchanged_is_success_other_content_is_failure(setup):
    obj = person_object(1)
    _post(setup, [obj])
    same = _post(setup, [obj])
    assert same["success_count"] == 1
    assert CollectionEntry.objects.filter(stix_id=obj["id"]).count() == 1
    changed = {**obj, "name": "Someone Else"}
    status = _post(setup, [changed])
    assert status["failure_count"] == 1
    assert "other content" in status["failures"][0]["message"]


def test_entries_point_at_the_stored_versions_without_reading_them_back(setup):
    """The POST adds entries for the versions the import just stored from the keys the import
    allocated (no read back); entries of records already stored are still looked up. Either
    way each entry names its own stored version and record, with the flags right."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accord.intel.models import RecordVersion

    old_v1 = person_object(31, modified="2026-01-02T03:04:05.000Z")
    unchanged = person_object(32)
    _post(setup, [old_v1, unchanged])
    old_v2 = person_object(31, modified="2026-02-02T03:04:05.000Z")
    new_v1 = person_object(33, modified="2026-01-02T03:04:05.000Z")
    new_v2 = person_object(33, modified="2026-03-02T03:04:05.000Z")
    fresh = list(synthetic_objects(3, start=500))
    with CaptureQueriesContext(connection) as queries:
        status = _post(setup, [new_v2, old_v2, unchanged, new_v1, *fresh])
    assert status["success_count"] == 7
    read_back = [
        q["sql"]
        for q in queries.captured_queries
        if "intel_recordversion v JOIN" in q["sql"].replace('"', "")
    ]
    # One look-up of stored versions, for the two objects that were stored before the POST.
    assert len(read_back) == 1
    named = {o["id"] for o in (new_v1, unchanged, *fresh) if o["id"] in read_back[0]}
    assert named == {unchanged["id"]}
    assert old_v1["id"] in read_back[0]
    stored = {
        (v.record.stix_id, v.modified): v for v in RecordVersion.objects.select_related("record")
    }
    entries = CollectionEntry.objects.filter(collection=setup["collection"])
    assert entries.count() == 8
    for e in entries:
        version = RecordVersion.objects.get(pk=e.version_id)
        assert e.record_id == version.record_id
        assert e.stix_id == version.record.stix_id
        assert e.stix_type == version.record.stix_type
        assert stored[(e.stix_id, version.modified)].pk == e.version_id
    for sid, first, last in (
        (old_v1["id"], old_v1["modified"], old_v2["modified"]),
        (new_v1["id"], new_v1["modified"], new_v2["modified"]),
    ):
        flags = {
            RecordVersion.objects.get(pk=e.version_id).modified: (e.is_first, e.is_latest)
            for e in entries.filter(stix_id=sid)
        }
        assert flags == {first: (True, False), last: (False, True)}


def test_post_audit_refers_to_the_import_entry_instead_of_listing_its_ids_again(setup):
    import hashlib

    unchanged = person_object(41)
    _post(setup, [unchanged])
    fresh = list(synthetic_objects(2, start=700))
    status = _post(setup, [unchanged, *fresh])
    assert status["success_count"] == 3
    post = AuditEvent.objects.filter(action="taxii.post").order_by("-seq").first()
    imported = AuditEvent.objects.get(seq=post.detail["record_import_seq"])
    assert imported.action == "record.import"
    assert imported.seq == post.seq - 1
    assert imported.object_ids == sorted(o["id"] for o in fresh)
    # Only the id the import entry does not list; the digest covers all three.
    assert post.object_ids == [unchanged["id"]]
    every = sorted([unchanged["id"], *(o["id"] for o in fresh)])
    assert post.detail["object_ids_sha256"] == hashlib.sha256("\n".join(every).encode()).hexdigest()
    assert sorted({*post.object_ids, *imported.object_ids}) == every
    # Nothing stored (all unchanged): no import entry to refer to, every id listed.
    _post(setup, [unchanged, *fresh])
    again = AuditEvent.objects.filter(action="taxii.post").order_by("-seq").first()
    assert again.object_ids == every
    assert "record_import_seq" not in again.detail


def test_versions_filters_first_last_all_and_timestamp(setup):
    v1 = person_object(5, modified="2026-01-02T03:04:05.000Z")
    v2 = person_object(5, modified="2026-02-02T03:04:05.000Z")
    v3 = person_object(5, modified="2026-03-02T03:04:05.000Z")
    other = person_object(6)
    _post(setup, [v2, other])
    _post(setup, [v1, v3])
    objects, sid = setup["objects"], v1["id"]
    w = setup["w"]

    def versions_of(params):
        body = w.get(objects, params).json()
        return sorted(o["modified"] for o in body.get("objects", []) if o["id"] == sid)

    assert versions_of({}) == [v3["modified"]]
    assert versions_of({"match[version]": "last"}) == [v3["modified"]]
    assert versions_of({"match[version]": "first"}) == [v1["modified"]]
    assert versions_of({"match[version]": "all"}) == [
        v1["modified"],
        v2["modified"],
        v3["modified"],
    ]
    assert versions_of({"match[version]": "first,last"}) == [v1["modified"], v3["modified"]]
    assert versions_of({"match[version]": "2026-02-02T03:04:05Z"}) == [v2["modified"]]
    listed = w.get(f"{objects}{sid}/versions/").json()
    assert sorted(listed["versions"]) == [v1["modified"], v2["modified"], v3["modified"]]
    one = w.get(f"{objects}{sid}/").json()
    assert [o["modified"] for o in one["objects"]] == [v3["modified"]]
    # match[id] and match[type] (OR within, AND across)
    both = w.get(objects, {"match[id]": f"{sid},{other['id']}"}).json()["objects"]
    assert {o["id"] for o in both} == {sid, other["id"]}
    none = w.get(objects, {"match[id]": sid, "match[type]": "indicator"}).json()
    assert "objects" not in none
    assert w.get(objects, {"match[spec_version]": "2.1"}).json()["objects"]
    assert "objects" not in w.get(objects, {"match[spec_version]": "2.0"}).json()


def test_added_after_and_manifest(setup):
    first = list(synthetic_objects(3))
    _post(setup, first)
    page = setup["w"].get(setup["objects"])
    last = page["X-TAXII-Date-Added-Last"]
    second = list(synthetic_objects(2, start=100))
    _post(setup, second)
    later = setup["w"].get(setup["objects"], {"added_after": last}).json()["objects"]
    assert {o["id"] for o in later} == {o["id"] for o in second}
    manifest = setup["w"].get(setup["base"] + "manifest/")
    assert manifest.status_code == 200
    rows = manifest.json()["objects"]
    assert len(rows) == 5
    assert all(r["media_type"] == "application/stix+json;version=2.1" for r in rows)
    assert {r["version"] for r in rows} == {"2026-01-02T03:04:05.000Z"}
    assert [r["date_added"] for r in rows] == sorted(r["date_added"] for r in rows)
    types = setup["w"].get(setup["base"] + "manifest/", {"match[type]": "identity"}).json()
    assert {r["id"] for r in types["objects"]} == {
        o["id"] for o in first + second if o["type"] == "identity"
    }


def test_pagination_walks_everything_once_and_binds_filters(setup):
    objects = list(synthetic_objects(25))
    _post(setup, objects)
    seen: list[str] = []
    params = {"limit": "7"}
    pages = 0
    while True:
        response = setup["w"].get(setup["objects"], params)
        assert response.status_code == 200
        body = response.json()
        pages += 1
        seen.extend(o["id"] for o in body["objects"])
        assert len(body["objects"]) <= 7
        if not body["more"]:
            assert "next" not in body
            break
        params = {"limit": "7", "next": body["next"]}
    assert pages == 4
    assert sorted(seen) == sorted(o["id"] for o in objects)
    # A token from one filter set is refused for another.
    token = setup["w"].get(setup["objects"], {"limit": "3"}).json()["next"]
    refused = setup["w"].get(setup["objects"], {"match[type]": "identity", "next": token})
    assert refused.status_code == 400
    assert refused.json()["http_status"] == "400"


def test_delete_removes_from_collection_not_from_store(setup):
    obj = person_object(11)
    _post(setup, [obj])
    url = f"{setup['objects']}{obj['id']}/"
    assert setup["r"].delete(url).status_code == 403  # read-only access
    assert setup["w"].delete(url).status_code == 200
    assert setup["w"].get(url).status_code == 404
    assert Record.objects.filter(stix_id=obj["id"]).exists()
    assert AuditEvent.objects.filter(action="taxii.delete", object_ids=[obj["id"]]).exists()
    assert setup["w"].delete(url).status_code == 404


def test_delete_one_version_keeps_flags_right(setup):
    v1 = person_object(12, modified="2026-01-02T03:04:05.000Z")
    v2 = person_object(12, modified="2026-02-02T03:04:05.000Z")
    _post(setup, [v1, v2])
    url = f"{setup['objects']}{v1['id']}/"
    assert setup["w"].delete(url, {"match[version]": "last"}).status_code == 200
    left = setup["w"].get(url).json()["objects"]
    assert [o["modified"] for o in left] == [v1["modified"]]


def test_reads_of_personal_data_are_audited_with_purpose(setup):
    _post(setup, [person_object(21)])
    before = AuditEvent.objects.filter(action="taxii.read").count()
    setup["r"].get(setup["objects"])
    event = AuditEvent.objects.filter(action="taxii.read").order_by("-seq").first()
    assert AuditEvent.objects.filter(action="taxii.read").count() == before + 1
    assert event.actor == "reader"
    assert event.purpose == "counter-terrorism"
    assert event.object_ids == [person_object(21)["id"]]
    assert event.detail["collection"] == str(setup["collection"].pk)
    assert AuditEvent.objects.filter(action="taxii.post", actor="writer").exists()


# --------------------------------------------------------------------------------------------
# Restrictions: a TAXII read never returns what the UI hides.


def _endpoints(s, sid):
    base = s["base"]
    return {
        "objects": lambda c: {
            o["id"]
            for o in c.get(base + "objects/", {"match[version]": "all"}).json().get("objects", [])
        },
        "manifest": lambda c: {
            o["id"] for o in c.get(base + "manifest/").json().get("objects", [])
        },
        "object": lambda c: {sid} if c.get(f"{base}objects/{sid}/").status_code == 200 else set(),
        "versions": lambda c: (
            {sid} if c.get(f"{base}objects/{sid}/versions/").status_code == 200 else set()
        ),
    }


def _hidden_from_reader(s, obj, extra=(), *, seer=None):
    ingest = ingest_objects(s["writer"], [*extra, obj], source="t")
    assert ingest.ok, ingest.refused
    add_entries(s["collection"], [(obj["id"], obj["modified"])])
    for name, read in _endpoints(s, obj["id"]).items():
        assert read(seer or s["w"]) == {obj["id"]}, f"it should be visible in {name}"
        assert read(s["r"]) == set(), f"{name} leaked a hidden object"
        assert Record.objects.restrict(s["reader"], purpose="counter-terrorism").filter(
            stix_id=obj["id"]
        ).exists() is (False)


def test_tlp_red_hidden_unless_granted(setup):
    obj = person_object(31, tlp="red")
    _hidden_from_reader(setup, obj)
    RecordGrant.objects.create(record=Record.objects.get(stix_id=obj["id"]), user=setup["reader"])
    assert setup["r"].get(f"{setup['objects']}{obj['id']}/").status_code == 200


def test_amber_strict_hidden_from_other_agency(make_user, client, setup):
    setup["reader"].agency = "other"
    setup["reader"].save()
    _hidden_from_reader(setup, person_object(32, tlp="amber+strict"))


def test_case_records_hidden_from_non_members(setup):
    case = Case.objects.create(reference="C-1", title="op")
    CaseMembership.objects.create(case=case, user=setup["writer"])
    obj = person_object(33)
    assert ingest_objects(setup["writer"], [obj], source="t", case=case).ok
    add_entries(setup["collection"], [(obj["id"], obj["modified"])])
    for name, read in _endpoints(setup, obj["id"]).items():
        assert read(setup["w"]) == {obj["id"]}, name
        assert read(setup["r"]) == set(), f"{name} leaked a case record"


def test_purpose_restricted_hidden_under_other_purpose(setup, client):
    definition = handling_marking_definition(HandlingMarking(purposes=("border-security",)))
    obj = person_object(34, extra_refs=(definition["id"],))
    writer_border = TaxiiClient(client, "writer", purpose="border-security")
    _hidden_from_reader(setup, obj, extra=(definition,), seer=writer_border)
    border = TaxiiClient(client, "reader", purpose="border-security")
    assert border.get(f"{setup['objects']}{obj['id']}/").status_code == 200


def _plan(queryset):
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return " | ".join(str(row[-1]) for row in cursor.fetchall())


def test_page_queries_walk_the_indexes(setup):
    """A page is one range scan of (collection, date added) with the restriction probed per
    row; an object (match[id], Get An Object) is found through its record, not by a scan."""
    from django.db import connection
    from django.http import QueryDict

    from accord.taxii.filters import parse_filters
    from accord.taxii.services import visible_entries

    if connection.vendor != "sqlite":
        pytest.skip("SQLite query plans")
    objects = list(synthetic_objects(30))
    _post(setup, objects)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    visible = visible_entries(setup["reader"], setup["collection"], "counter-terrorism")

    def page(query):
        filters = parse_filters(QueryDict(query))
        return (
            visible.filter(filters.q())
            .filter(date_added_us__gt=0)
            .order_by("date_added_us")
            .values_list("pk", "date_added_us", "version__data")[:1001]
        )

    walk = _plan(page(""))
    assert "taxii_collectionentry USING INDEX" in walk
    assert "date_added_us>?" in walk
    assert "TEMP B-TREE" not in walk
    assert "SCAN taxii_collectionentry" not in walk
    by_id = _plan(page(f"match[id]={objects[0]['id']}"))
    assert "taxii_entry_record" in by_id
    assert "SCAN taxii_collectionentry" not in by_id
