# ruff: noqa: RUF001
"""Screening service: watchlist from visible, enabled sources; batches in input order with a
hit across scripts; audit with purpose; hostile input; four-eyes review; sighting stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accord.engine.manifests import Traveller, read_manifest
from accord.engine.stix.markings import TLP_IDS
from accord.engine.stix.person import PERSON_EXTENSION_ID
from accord.intel.models import Record
from accord.intel.services import ingest_objects
from accord.oversight.models import AuditEvent
from accord.screening.models import Hit
from accord.screening.services import review_hit, screen, set_source_enabled
from accord.screening.watchlist import watchlist

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "manifests"
PURPOSE = "counter-terrorism"
CREATOR = "identity--5a1c8f0e-2b7d-4c3e-9f1a-6d2e8b4c7a90"


def person(n, names, *, birth="1981-03-12", tlp="amber", list_name="", action="arrest", **ext):
    """A watch-listed person record (invented)."""
    extension = {
        "extension_type": "property-extension",
        "subject_type": "person",
        "names": [
            {"full_name": name, "name_type": "primary" if i == 0 else "alias"}
            for i, name in enumerate(names)
        ],
        "birth_dates": [{"precision": "exact", "date": birth}],
        "watchlist": {"action": action, **({"list_name": list_name} if list_name else {})},
        **ext,
    }
    if action is None:
        del extension["watchlist"]
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": f"identity--00000000-0000-4000-8000-{n:012d}",
        "created_by_ref": CREATOR,
        "created": "2025-01-01T00:00:00.000Z",
        "modified": "2025-01-01T00:00:00.000Z",
        "name": names[0],
        "identity_class": "individual",
        "object_marking_refs": [TLP_IDS[tlp]],
        "extensions": {PERSON_EXTENSION_ID: extension},
    }


HADDAD = person(1, ["محمد الحداد", "Mohammed al-Haddad"], nationalities=["IQ"])
RED = person(2, ["Anna Maria Tester"], birth="1990-01-01", tlp="red")
PUBLIC = person(3, ["Peter Quietman"], birth="1970-05-05", list_name="UN Security Council ISIL")
PARTNER = person(4, ["Karim Mansour", "كريم منصور"], birth="1988-07-08")
NOT_LISTED = person(5, ["Olga Unlisted"], birth="1966-06-06", action=None)


@pytest.fixture(autouse=True)
def fresh_watchlist():
    watchlist.invalidate()
    yield
    watchlist.invalidate()


@pytest.fixture
def store(node_identity):
    assert ingest_objects(None, [HADDAD, RED, PUBLIC, NOT_LISTED], source="test").ok
    assert ingest_objects(None, [PARTNER], source="taxii:1", origin_node="node-b").ok
    return {o["name"]: o["id"] for o in (HADDAD, RED, PUBLIC, PARTNER, NOT_LISTED)}


@pytest.fixture
def analyst(make_user):
    return make_user("screener", role="analyst")


@pytest.fixture
def supervisor(make_user):
    return make_user("boss", role="supervisor")


def _t(row, *names, **kw):
    return Traveller(row=row, id=f"t{row}", names=tuple(names), **kw)


def test_transliterated_hit_with_every_name_and_explanation(store, analyst):
    (result,) = screen(
        analyst, [_t(1, "MUHAMMAD ALHADDAD", birth_date="1981-03-12")], purpose=PURPOSE
    )
    assert result.hit
    best = result.matches[0]
    assert best.record_id == store["محمد الحداد"]
    assert set(best.names) == {"محمد الحداد", "Mohammed al-Haddad"}
    # the explanation names the parts it aligned
    assert "hadad~hadad" in best.explanation["name_best_coverage"]["reason"]
    assert best.action == "arrest" and best.source == "own"
    assert result.hit_ids and Hit.objects.get(pk=result.hit_ids[0]).status == "pending"


def test_watchlist_only_visible_records(store, analyst):
    """TLP:RED goes to named recipients: the analyst's screening cannot match it."""
    results = screen(
        analyst, [_t(1, "Anna Maria Tester", birth_date="1990-01-01")], purpose=PURPOSE
    )
    assert results[0].matches == [] and not results[0].hit
    # the node itself (user None) sees every record
    (system,) = screen(None, [_t(1, "Anna Maria Tester", birth_date="1990-01-01")], purpose=PURPOSE)
    assert system.hit and system.matches[0].record_id == store["Anna Maria Tester"]


def test_record_without_watchlist_entry_is_not_screened(store, analyst):
    (result,) = screen(analyst, [_t(1, "Olga Unlisted", birth_date="1966-06-06")], purpose=PURPOSE)
    assert result.matches == []


def test_sources_switch_and_are_audited(store, analyst, supervisor):
    people = [
        _t(1, "Peter Quietman", birth_date="1970-05-05"),
        _t(2, "Karim Mansour", birth_date="1988-07-08"),
    ]
    before = screen(analyst, people, purpose=PURPOSE)
    assert [r.hit for r in before] == [True, True]
    assert before[0].matches[0].source == "public"
    assert before[1].matches[0].source == "partner"
    set_source_enabled(supervisor, "public", False)
    set_source_enabled(supervisor, "partner", False)
    after = screen(analyst, people, purpose=PURPOSE)
    assert [r.matches for r in after] == [[], []]
    assert AuditEvent.objects.filter(action="screening.source").count() == 2
    with pytest.raises(PermissionDenied):
        set_source_enabled(analyst, "own", False)
    set_source_enabled(supervisor, "public", True)
    assert screen(analyst, people[:1], purpose=PURPOSE)[0].hit


def test_index_kept_current_without_rebuild(store, analyst):
    screen(analyst, [_t(1, "nobody at all")], purpose=PURPOSE)
    index = watchlist.index
    new = person(
        9,
        ["Ivan Petrovich Sidorov", "Иван Петрович Сидоров"],
        birth="1975-02-03",
        nationalities=["RU"],
    )
    assert ingest_objects(None, [new], source="test").ok
    (result,) = screen(analyst, [_t(1, "Иван Сидоров", birth_date="1975-02-03")], purpose=PURPOSE)
    assert result.hit and watchlist.index is index  # added in place
    revoked = dict(new, modified="2025-02-01T00:00:00.000Z", revoked=True)
    assert ingest_objects(None, [revoked], source="test").ok
    (again,) = screen(analyst, [_t(1, "Иван Сидоров", birth_date="1975-02-03")], purpose=PURPOSE)
    assert again.matches == [] and watchlist.index is index


def test_unchanged_entries_stay_in_place_when_the_store_changes(store, analyst):
    """The look for changes starts at the last ``updated_at`` seen, which every record of one
    import shares: those records, unchanged, are not revoked and added again (with thousands
    of them, screenings waited on the watchlist's lock while it happened)."""
    screen(analyst, [_t(1, "nobody at all")], purpose=PURPOSE)
    index = watchlist.index
    assert index is not None
    slots = {stix_id: list(s) for stix_id, s in watchlist._slots_of.items()}
    assert len(slots) >= 3
    assert ingest_objects(None, [NOT_LISTED | {"id": NOT_LISTED["id"][:-1] + "9"}], source="t").ok
    screen(analyst, [_t(1, "nobody at all")], purpose=PURPOSE)
    assert watchlist.index is index and watchlist._slots_of == slots
    assert len(index) == len(slots)  # nothing revoked
    (result,) = screen(analyst, [_t(1, "Peter Quietman", birth_date="1970-05-05")], purpose=PURPOSE)
    assert result.hit


def test_the_look_for_changes_reads_an_index_not_the_records(store, analyst):
    """Every screening first reads the store's fingerprint (identity records: count, latest
    updated_at), and after a change the records changed since: on SQLite both are searches of
    the (stix_type, updated_at) index, not scans of the records' rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's query plans")
    screen(analyst, [_t(1, "nobody at all")], purpose=PURPOSE)
    assert ingest_objects(None, [NOT_LISTED | {"id": NOT_LISTED["id"][:-1] + "8"}], source="t").ok
    with CaptureQueriesContext(connection) as queries:
        screen(analyst, [_t(1, "nobody at all")], purpose=PURPOSE)
    looks = [q["sql"] for q in queries if '"updated_at"' in q["sql"] and "intel_record" in q["sql"]]
    assert len(looks) >= 2  # the fingerprint and the records changed since
    with connection.cursor() as cursor:
        for sql in looks:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "record_type_updated" in plan, (sql, plan)


def test_batches_in_input_order_with_transliterated_hit(store, analyst):
    for name, fmt in (
        ("batch.csv", "csv"),
        ("batch.jsonl", "json"),
        ("paxlst_una_crlf.edi", "paxlst"),
        ("pnrgov_small.edi", "pnrgov"),
    ):
        travellers = read_manifest((FIXTURES / name).read_bytes(), fmt)
        results = screen(analyst, travellers, purpose=PURPOSE, format=fmt, filename=name)
        assert [r.row for r in results] == list(range(1, len(travellers) + 1)), name
        haddad = [
            r for r, t in zip(results, travellers, strict=True) if "ALHADDAD" in " ".join(t.names)
        ]
        assert haddad and all(r.hit for r in haddad), name
        assert haddad[0].matches[0].record_id == store["محمد الحداد"]
        # Peter Quietman (public list) hits too; Anna is TLP:RED, hidden from the analyst
        assert sum(r.hit for r in results) == len(haddad) + (fmt != "pnrgov"), name
        json.dumps([r.as_dict() for r in results])


def test_audit_names_purpose_and_hits(store, analyst):
    screen(
        analyst,
        [_t(1, "Mohamed Al Haddad", birth_date="1981-03-12"), _t(2, "Nobody Else")],
        purpose="border-control",
        case="",
        format="csv",
        filename="f.csv",
    )
    event = AuditEvent.objects.filter(action="screening.run").latest("pk")
    assert event.purpose == "border-control"
    assert store["محمد الحداد"] in event.object_ids
    assert event.detail["travellers"] == 2 and event.detail["hit_rows"] == [1]


def test_hostile_travellers(store, analyst):
    people = [
        _t(1, "", problem="no name to screen"),
        _t(2, "\x00\u200b\u202e"),
        _t(3, "al bin abu"),
        _t(4, "Мohammed аl-Наddad", birth_date="1981-03-12"),  # Cyrillic look-alikes
        _t(5, "x" * 5000),
    ]
    results = screen(analyst, people, purpose=PURPOSE)
    assert [r.row for r in results] == [1, 2, 3, 4, 5]
    assert results[0].error == "no name to screen" and not results[0].hit
    assert results[3].hit


def test_roles_and_purpose_required(store, make_user, analyst):
    admin = make_user("root", role="admin")
    with pytest.raises(PermissionDenied):
        screen(admin, [_t(1, "Mohammed al-Haddad")], purpose=PURPOSE)
    with pytest.raises(ValidationError):
        screen(analyst, [_t(1, "Mohammed al-Haddad")], purpose="")


def _hit(analyst):
    (result,) = screen(
        analyst,
        [_t(1, "MUHAMMAD ALHADDAD", birth_date="1981-03-12", travel="ZZ123 AMS-CDG")],
        purpose=PURPOSE,
    )
    return Hit.objects.get(pk=result.hit_ids[0])


def test_four_eyes_review(store, analyst, supervisor, make_user):
    hit = _hit(analyst)
    with pytest.raises(PermissionDenied):
        review_hit(analyst, hit, decision="confirmed", reason="looks right")  # not a supervisor
    screening_supervisor = make_user("boss2", role="supervisor")
    own = screen(
        screening_supervisor,
        [_t(1, "Mohammed al-Haddad", birth_date="1981-03-12")],
        purpose=PURPOSE,
    )
    with pytest.raises(PermissionDenied, match="cannot review"):
        review_hit(
            screening_supervisor,
            Hit.objects.get(pk=own[0].hit_ids[0]),
            decision="confirmed",
            reason="my own",
        )
    with pytest.raises(ValidationError):
        review_hit(supervisor, hit, decision="confirmed", reason="  ")
    with pytest.raises(ValidationError):
        review_hit(supervisor, hit, decision="arrest", reason="because")
    review_hit(supervisor, hit, decision="dismissed", reason="different person, other father")
    hit.refresh_from_db()
    assert hit.status == "dismissed" and hit.reviewer == supervisor and not hit.sighting_id
    with pytest.raises(ValidationError, match="already"):
        review_hit(supervisor, hit, decision="confirmed", reason="changed my mind")
    assert AuditEvent.objects.filter(action="screening.review").count() == 1


def test_confirmed_hit_becomes_sighting(store, analyst, supervisor, node_identity):
    hit = _hit(analyst)
    review_hit(supervisor, hit, decision="confirmed", reason="passport and birth date agree")
    hit.refresh_from_db()
    assert hit.status == "confirmed" and hit.sighting_id.startswith("sighting--")
    sighting = json.loads(Record.objects.get(stix_id=hit.sighting_id).data)
    assert sighting["sighting_of_ref"] == store["محمد الحداد"]
    assert sighting["where_sighted_refs"] == [node_identity.identity_id]
    assert sighting["count"] == 1 and sighting["first_seen"] == sighting["last_seen"]
    assert "ZZ123 AMS-CDG" in sighting["description"]
    assert sighting["object_marking_refs"] == [TLP_IDS["amber"]]
    assert hit.notification == "not applicable: this node's own record"
    event = AuditEvent.objects.filter(action="screening.review").latest("pk")
    assert hit.sighting_id in event.object_ids and event.detail["decision"] == "confirmed"


def test_partner_hit_from_an_unknown_originator_is_not_sent(store, analyst, supervisor):
    """node-b is not a registered peer here: nothing is sent, and the refusal is audited
    (the federation leg itself: tests/integration/test_screening_notices.py)."""
    (result,) = screen(analyst, [_t(1, "كريم منصور", birth_date="1988-07-08")], purpose=PURPOSE)
    hit = Hit.objects.get(pk=result.hit_ids[0])
    review_hit(supervisor, hit, decision="confirmed", reason="confirmed at the gate")
    hit.refresh_from_db()
    assert hit.notification == "not sent: node-b is not an enabled peer" and hit.notice is None
    notify = AuditEvent.objects.get(action="screening.notify")
    assert notify.detail["originator"] == "node-b" and notify.outcome == "refused"


def test_only_reportable_candidates_are_explained_with_the_same_results(node_identity, analyst):
    """Candidates are scored on the index's prepared form first and only those that can be
    listed are explained: the matches (scores, explanations, order) are those of explaining
    every visible candidate."""
    from accord.engine.synth.federation import generate_federation_data
    from accord.screening import services

    objects = [
        o
        for o in generate_federation_data(11, 200, created_by_ref=CREATOR)
        if o["type"] in ("identity", "marking-definition")
    ]
    assert ingest_objects(analyst, objects, source="test", purpose=PURPOSE).ok
    travellers = []
    for obj in objects:
        if obj.get("identity_class") != "individual":
            continue
        ext = obj["extensions"][PERSON_EXTENSION_ID]
        birth = (ext.get("birth_dates") or [{}])[0].get("date", "")
        row = len(travellers) + 1
        travellers.append(_t(row, obj["name"], birth_date=birth))
        travellers.append(_t(row + 1, obj["name"][:-1] + "x"))  # a typo, no birth date
    results = screen(analyst, travellers, purpose=PURPOSE)

    wl = watchlist.current()
    assert wl.index is not None and len(wl) > 20
    listed = 0
    for traveller, result in zip(travellers, results, strict=True):
        query = services._query(traveller)
        slots = wl.index.candidates(query, pool=services._POOL)
        entries = [e for s in slots if (e := wl.entry(s)) is not None]
        visible = services._visible(analyst, PURPOSE, {e.record_id for e in entries})
        every = [e for e in entries if e.record_id in visible]
        expected = services._matches(query, every, wl.index.algorithm)
        assert [m.as_dict() for m in result.matches] == [m.as_dict() for m in expected]
        listed += bool(expected)
    assert sum(r.hit for r in results) > 20
    assert listed > sum(r.hit for r in results)  # some listed below the threshold too
