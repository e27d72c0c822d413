# ruff: noqa: RUF001
"""Restricted search: names in three scripts, prefixes, accents, identifiers, filters, hostile
input, audit."""

from __future__ import annotations

import re

import pytest

from accord.engine.stix.person import PERSON_EXTENSION_ID
from accord.intel.factories import person_object, synthetic_objects
from accord.intel.models import Record
from accord.intel.services import SearchError, SearchQuery, ingest_objects, search_records
from accord.oversight.models import AuditEvent

pytestmark = pytest.mark.django_db

PURPOSE = "counter-terrorism"


def _person(n, latin, other, *, birth="1980-05-06", doc="P1234567", tlp="amber", **kw):
    obj = person_object(n, tlp=tlp, **kw)
    obj["name"] = latin
    ext = obj["extensions"][PERSON_EXTENSION_ID]
    ext["names"] = [
        {"full_name": latin, "name_type": "primary"},
        {"full_name": other, "name_type": "alias"},
    ]
    ext["birth_dates"] = [{"precision": "exact", "date": birth}]
    ext["documents"] = [{"document_type": "passport", "number": doc}]
    ext["emails"] = [f"person{n}@Example.org"]
    return obj


@pytest.fixture
def analyst(make_user):
    return make_user("searcher", agency="ctu")


@pytest.fixture
def people(analyst):
    objects = [
        _person(1, "José Müller-García", "Хосе Мюллер", birth="1975-01-02", doc="AB 123-456"),
        _person(2, "Karim Mansour", "كريم منصور", birth="1988-07-08", doc="X9988776"),
        _person(
            3, "Dmitri Sokolov", "Дмитрий Соколов", birth="1990-03-04", doc="RU-555", tlp="green"
        ),
        _person(4, "Hidden Redperson", "Скрытый", tlp="red", doc="RED-1"),
    ]
    assert ingest_objects(None, objects, source="people").ok
    filler = list(synthetic_objects(60, start=1000))
    assert ingest_objects(None, filler, source="filler").ok
    return {o["name"]: o["id"] for o in objects}


def _ids(page):
    return {r.stix_id for r in page.results}


def _search(user, per_page=50, **kw):
    return search_records(user, SearchQuery(**kw), purpose=PURPOSE, per_page=per_page)


def test_latin_name_accent_and_case_insensitive(analyst, people):
    for text in ("josé müller", "JOSE MULLER", "Muller-Garcia", "garc"):
        assert people["José Müller-García"] in _ids(_search(analyst, text=text)), text


def test_prefixes_and_semantics(analyst, people):
    assert people["Karim Mansour"] in _ids(_search(analyst, text="kar mans"))
    assert people["Karim Mansour"] not in _ids(_search(analyst, text="karim sokolov"))
    assert _ids(_search(analyst, text="zzqqxx")) == set()


def test_arabic_and_cyrillic_names(analyst, people):
    assert people["Karim Mansour"] in _ids(_search(analyst, text="كريم منصور"))
    assert people["Karim Mansour"] in _ids(_search(analyst, text="منصور"))
    assert people["Dmitri Sokolov"] in _ids(_search(analyst, text="Соколов"))
    # Cyrillic transliterates: a Latin query finds the Cyrillic spelling too.
    assert people["José Müller-García"] in _ids(_search(analyst, text="khose"))


def test_identifier_exact_normalised(analyst, people):
    assert _ids(_search(analyst, identifier="ab123456")) == {people["José Müller-García"]}
    assert _ids(_search(analyst, identifier="AB-123 456")) == {people["José Müller-García"]}
    assert _ids(_search(analyst, identifier="person2@example.ORG")) == {people["Karim Mansour"]}
    assert _ids(_search(analyst, identifier="AB12345")) == set()


def test_type_tlp_and_birth_year_filters(analyst, people):
    green = _search(analyst, stix_type="identity", tlp=["green"], per_page=200)
    assert green.results and all(
        r.tlp == "green" and r.stix_type == "identity" for r in green.results
    )
    assert people["Dmitri Sokolov"] in _ids(green)
    indicators = _search(analyst, stix_type=["indicator"], per_page=200)
    assert indicators.results and {r.stix_type for r in indicators.results} == {"indicator"}
    born = _search(analyst, text="mansour", birth_year=1988)
    assert people["Karim Mansour"] in _ids(born)
    assert people["Karim Mansour"] not in _ids(_search(analyst, text="mansour", birth_year=1989))
    personal = _search(analyst, personal_only=True, per_page=200)
    assert all(r.personal_data for r in personal.results)


def test_restriction_applies_to_search(analyst, people, make_user):
    assert people["Hidden Redperson"] not in _ids(_search(analyst, text="redperson"))
    assert people["Hidden Redperson"] not in _ids(_search(analyst, identifier="RED-1"))
    admin = make_user("adm", role="admin")
    with pytest.raises(Exception):
        _search(admin, text="karim")
    oversight = make_user("ovs", role="oversight")
    assert _search(oversight, text="karim").results == []


@pytest.mark.parametrize(
    "text",
    ["kar mans", "karim sokolov", "كريم منصور", "Дмитрий Соколов", "josé müller", "khose mi"],
)
def test_common_tokens_find_the_same_records(analyst, people, monkeypatch, text):
    """A search whose every token is common (counted past the cap) finds the same records, and
    leaves the total unknown rather than probing every candidate again to count them."""
    from accord.intel import search

    expected = _ids(_search(analyst, text=text))
    monkeypatch.setattr(search, "_RARITY_CAP", 1)  # every token now counts as common
    common = _search(analyst, text=text)
    assert _ids(common) == expected, text
    assert common.total == len(expected) if not common.has_next else common.total is None
    outsider = _search(analyst, text=text, personal_only=True, stix_type="identity")
    assert _ids(outsider) <= expected


def test_paging_and_total(analyst, people):
    first = _search(analyst, stix_type="identity", per_page=10)
    assert len(first.results) == 10 and first.has_next
    assert first.total is not None and first.total > 10
    second = search_records(
        analyst, SearchQuery(stix_type="identity"), purpose=PURPOSE, page=2, per_page=10
    )
    assert not (_ids(first) & _ids(second))


@pytest.mark.parametrize(
    "text",
    [
        "' OR 1=1 --",
        '"; DROP TABLE intel_record; --',
        "<script>alert(1)</script>",
        "%_%",
        "\x00\x01 name",
        "🙂 emoji",
    ],
)
def test_injection_and_markup_are_just_text(analyst, people, text):
    page = _search(analyst, text=text)
    assert people["Karim Mansour"] not in _ids(page)
    assert Record.objects.count() >= 64


def test_huge_query_is_a_clear_error(analyst, people):
    with pytest.raises(SearchError, match="longer than"):
        _search(analyst, text="a" * 100_000)
    with pytest.raises(SearchError):
        _search(analyst, identifier="1" * 100_000)
    with pytest.raises(SearchError):
        _search(analyst, tlp=["purple"])


def test_search_is_audited_with_purpose_and_personal_ids(analyst, people):
    search_records(analyst, SearchQuery(text="karim mansour"), purpose=PURPOSE, case="OP-7")
    event = AuditEvent.objects.filter(action="record.search").order_by("-seq").first()
    assert event.purpose == PURPOSE and event.case == "OP-7"
    assert event.detail["query"] == {"text": "karim mansour"}
    assert people["Karim Mansour"] in event.object_ids
    assert event.detail["results"] >= 1


def test_postgresql_prefix_search_is_an_index_range(analyst, people):
    """On PostgreSQL a name prefix (``LIKE 't%'``) must be an index range on the name-token
    indexes (``varchar_pattern_ops``, migration intel 0008), whatever the database's collation;
    with a language collation and plain indexes it was a scan of every token
    (docs/operations.md)."""
    from django.db import connection

    from accord.intel.search import _matching_ids

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL query plans")
    query = SearchQuery(text="soko")
    ids, _ = _matching_ids(analyst, query, purpose=PURPOSE, action="view", restricted=True)
    assert ids is not None
    sql, params = ids[:51].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a table of 64 records is scanned
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert re.search(r"Index Cond: .*token\)?(::text)? ~>=~ 'soko'", plan), plan


def test_a_page_within_the_count_is_one_query_and_pages_agree(analyst, people):
    """The first pages of a search and its total come from one query (its first COUNT_CAP + 1
    ids); a page past that reach is read on its own and the total counted apart. Either way the
    pages tile the same results and the total is the same."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accord.intel import search

    query = SearchQuery(stix_type="identity")
    with CaptureQueriesContext(connection) as ctx:
        first = search_records(analyst, query, purpose=PURPOSE, page=1, per_page=7)
    reads = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert reads == [], "the total came from the page's own query"
    pages = [first]
    while pages[-1].has_next:
        pages.append(
            search_records(analyst, query, purpose=PURPOSE, page=len(pages) + 1, per_page=7)
        )
    everything = [r.stix_id for p in pages for r in p.results]
    assert len(everything) == len(set(everything)) == first.total
    old_cap = search.COUNT_CAP
    try:
        search.COUNT_CAP = 10  # pages 2 and on now lie past the count's reach
        second = search_records(analyst, query, purpose=PURPOSE, page=2, per_page=7)
    finally:
        search.COUNT_CAP = old_cap
    assert [r.stix_id for r in second.results] == [r.stix_id for r in pages[1].results]
    assert second.total == 10 and second.total_capped


@pytest.mark.django_db(transaction=True)
def test_a_bulk_import_refreshes_the_search_tables_on_postgresql(monkeypatch):
    """After an import of BULK_REFRESH_ROWS records or more, outside a transaction, PostgreSQL
    vacuums and analyses the tables a search reads (so that its index-only scans need not read
    the table); inside a transaction, or on SQLite, nothing runs."""
    from django.db import connection, transaction

    from accord.intel import bulk

    monkeypatch.setattr(bulk, "BULK_REFRESH_ROWS", 5)
    ingest_objects(None, list(synthetic_objects(6)), source="refresh test")
    assert not bulk.refresh_after_bulk_import(4)
    with transaction.atomic():
        assert not bulk.refresh_after_bulk_import(6)
    ran = bulk.refresh_after_bulk_import(6)
    if connection.vendor != "postgresql":
        assert not ran
        return
    assert ran
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE last_vacuum IS NOT NULL "
            "AND last_analyze IS NOT NULL AND relname LIKE 'intel_%%'"
        )
        refreshed = {row[0] for row in cursor.fetchall()}
    assert {"intel_record", "intel_nametoken", "intel_identifier"} <= refreshed


def test_derived_rows_go_with_their_record_and_an_orphan_matches_nothing(analyst, people):
    """Name tokens, identifiers and marking rows have no foreign-key constraint in the database
    (``intel.models.DERIVED_ROWS``): deleting a record through the ORM still deletes them, and
    a row left pointing at no record (written by hand here) is never a search result."""
    from accord.intel.models import Identifier, NameToken, RecordMarking

    record = Record.objects.get(stix_id=people["Karim Mansour"])
    pk = record.pk
    assert NameToken.objects.filter(record_id=pk).exists()
    assert Identifier.objects.filter(record_id=pk).exists()
    record.delete()
    assert not NameToken.objects.filter(record_id=pk).exists()
    assert not Identifier.objects.filter(record_id=pk).exists()
    assert not RecordMarking.objects.filter(record_id=pk).exists()
    missing = pk + 10_000
    NameToken.objects.create(record_id=missing, token="orphanname")
    Identifier.objects.create(record_id=missing, kind="passport", value="ORPHAN1")
    assert _search(analyst, text="orphanname").results == []
    assert _search(analyst, identifier="ORPHAN1").results == []
    assert _search(analyst, text="karim mansour").results == []
