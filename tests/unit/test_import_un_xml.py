"""The UN Security Council Consolidated List importer: real 2018 list and invented fixtures."""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

import pytest
import stix2
from jsonschema import Draft202012Validator

from accord.engine.imports import ImportFormatError, parse, parse_un_xml
from accord.engine.stix.markings import TLP_IDS
from accord.engine.stix.person import PERSON_EXTENSION_ID, PERSON_EXTENSION_SCHEMA

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
NODE = "identity--7d3f3c4e-1b2a-4c5d-8e9f-0a1b2c3d4e5f"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
EXTENSION = Draft202012Validator(PERSON_EXTENSION_SCHEMA)


def _check_stix(obj: dict) -> dict:
    """Asserts ``obj`` is a valid STIX 2.1 identity with a valid person extension; returns it."""
    assert obj["spec_version"] == "2.1"
    assert TIMESTAMP.match(obj["created"]) and TIMESTAMP.match(obj["modified"])
    assert obj["modified"] >= obj["created"]
    assert obj["created_by_ref"] == NODE
    stix2.parse(obj, allow_custom=True)
    ext = obj["extensions"][PERSON_EXTENSION_ID]
    errors = [e.message for e in EXTENSION.iter_errors(ext)]
    assert errors == [], (obj["id"], errors)
    return ext


def _by_ref(result) -> dict[str, dict]:
    return {o["external_references"][0]["external_id"]: o for o in result.objects}


@pytest.fixture(scope="module")
def small():
    return parse_un_xml((FIXTURES / "un_small.xml").read_bytes(), created_by_ref=NODE)


def test_fixture_counts_and_validity(small):
    assert small.counts == {"individuals": 2, "entities": 2, "skipped": 0, "objects": 4}
    for obj in small.objects:
        _check_stix(obj)


def test_individual_every_element(small):
    obj = _by_ref(small)["QDi.901"]
    ext = obj["extensions"][PERSON_EXTENSION_ID]
    assert obj["identity_class"] == "individual"
    assert obj["name"] == "KARIM BADR ALDEEN SAMIR QASSOUMI"
    assert ext["subject_type"] == "person"
    names = {(n["full_name"], n["name_type"], n.get("script")) for n in ext["names"]}
    assert ("KARIM BADR ALDEEN SAMIR QASSOUMI", "primary", "Latn") in names
    assert ("كريم بدر الدين سمير القاسومي", "primary", "Arab") in names
    assert ("Karim Badreddine", "alias", "Latn") in names
    assert ("Abu Samir", "weak_alias", "Latn") in names
    assert ("Karim al-Qassoumi", "alias", "Latn") in names
    assert ("Karim Samir", "former", "Latn") in names
    assert ext["birth_dates"][:4] == [
        {"precision": "exact", "date": "1970-06-15"},
        {"precision": "year", "year": 1969},
        {"precision": "approximate", "year": 1968},
        {"precision": "between", "from_year": 1965, "to_year": 1967},
    ]
    assert {k: v for k, v in ext["birth_dates"][4].items() if k != "note"} == {
        "precision": "exact",
        "date": "1971-03-05",
    }
    assert ext["birth_places"][0] == {
        "city": "Hama",
        "region": "Hama Governorate",
        "country": "SY",
    }
    assert {"city": "Latakia", "country": "SY"} in ext["birth_places"]
    assert ext["nationalities"] == ["SY"]
    assert "Nationality as listed: Atlantis" in ext["comments"]
    assert "Title: Sheikh" in ext["comments"] and "Designation: Treasurer" in ext["comments"]
    assert ext["gender"] == "male"
    assert ext["documents"] == [
        {
            "document_type": "Passport",
            "number": "N0001234",
            "issuing_country": "SY",
            "issued_on": "2009-01-20",
            "note": "expired; issued in Damascus",
        },
        {"document_type": "National Identification Number", "number": "77-123-456"},
    ]
    assert ext["addresses"] == [
        "12 Invented Street, Aleppo, Aleppo Governorate, 00000, Syrian Arab Republic"
    ]
    assert ext["reference_numbers"] == ["QDi.901"]
    assert ext["watchlist"] == {
        "action": "freeze_assets",
        "reason": "Al-Qaida: Invented record for tests. Financier of a fictional cell.",
        "listed_on": "2011-04-12",
        "list_name": "UN Security Council Al-Qaida",
        "reference": "QDi.901",
    }
    assert obj["created"] == "2011-04-12T00:00:00.000Z"
    assert obj["modified"] == "2016-09-30T00:00:00.000Z"
    assert obj["external_references"][0]["source_name"] == "UN Security Council Consolidated List"


def test_unresolvable_nationality_is_reported(small):
    messages = [(p.where, p.message) for p in small.problems]
    assert any(
        where == "INDIVIDUAL DATAID=9000001" and "'Atlantis'" in message
        for where, message in messages
    )


def test_markup_in_names_kept_as_text(small):
    obj = _by_ref(small)["KPi.902"]
    assert obj["name"] == '<b>TOMAS</b> & "SON"'
    assert obj["created"] == obj["modified"] == "2017-08-05T00:00:00.000Z"
    ext = obj["extensions"][PERSON_EXTENSION_ID]
    assert set(ext) == {"extension_type", "subject_type", "names", "reference_numbers", "watchlist"}


def test_entities_in_and_out_of_xsd_order(small):
    refs = _by_ref(small)
    first = refs["KPe.903"]
    ext = first["extensions"][PERSON_EXTENSION_ID]
    assert first["identity_class"] == "organization"
    assert ext["subject_type"] == "organization"
    assert [(n["full_name"], n["name_type"]) for n in ext["names"]] == [
        ("NORTHERN LANTERN TRADING COMPANY", "primary"),
        ("NLTC", "alias"),
        ("Lantern Export Bureau", "former"),
    ]
    assert ext["addresses"] == ["Invented Road 5, Pyongyang, Democratic People's Republic of Korea"]
    assert first["modified"] == "2018-01-10T00:00:00.000Z"
    # ENTITY_ADDRESS before ENTITY_ALIAS, an unknown element, no LAST_DAY_UPDATED.
    second = refs["QDe.904"]["extensions"][PERSON_EXTENSION_ID]
    assert [(n["full_name"], n["name_type"]) for n in second["names"]] == [
        ("DESERT FALCON BRIGADE", "primary"),
        ("The Falcons", "weak_alias"),
    ]
    assert second["addresses"] == ["Operates in an invented border region"]
    assert second["watchlist"]["list_name"] == "UN Security Council Al-Qaida"


def test_ids_are_deterministic_per_node_and_markings_applied():
    data = (FIXTURES / "un_small.xml").read_bytes()
    calls = []
    first = parse_un_xml(
        data,
        created_by_ref=NODE,
        marking_refs=[TLP_IDS["clear"]],
        progress=lambda done, total: calls.append((done, total)),
    )
    again = parse("un-xml", data, created_by_ref=NODE)
    other = parse_un_xml(data, created_by_ref="identity--11111111-1111-4111-8111-111111111111")
    assert [o["id"] for o in first.objects] == [o["id"] for o in again.objects]
    assert not {o["id"] for o in first.objects} & {o["id"] for o in other.objects}
    assert all(o["object_marking_refs"] == [TLP_IDS["clear"]] for o in first.objects)
    assert all("object_marking_refs" not in o for o in again.objects)
    assert calls[-1] == (4, 4) and len(calls) == 4


def test_malformed_xml_names_line_and_column():
    with pytest.raises(ImportFormatError, match=r"line 4 column \d+"):
        parse_un_xml((FIXTURES / "un_malformed.xml").read_bytes(), created_by_ref=NODE)


@pytest.mark.parametrize("name", ["un_bomb.xml", "un_xxe.xml"])
def test_entity_declarations_are_refused(name):
    started = time.perf_counter()
    with pytest.raises(ImportFormatError, match="DTD"):
        parse_un_xml((FIXTURES / name).read_bytes(), created_by_ref=NODE)
    assert time.perf_counter() - started < 2


def test_wrong_root_is_refused():
    with pytest.raises(ImportFormatError, match="not the UN Security Council"):
        parse_un_xml(b"<rss><channel/></rss>", created_by_ref=NODE)


def test_records_without_name_or_date_are_skipped_with_a_problem():
    data = (
        b"<CONSOLIDATED_LIST><INDIVIDUALS>"
        b"<INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME/><LISTED_ON>2020-01-01</LISTED_ON></INDIVIDUAL>"
        b"<INDIVIDUAL><DATAID>2</DATAID><FIRST_NAME>X</FIRST_NAME></INDIVIDUAL>"
        b"<INDIVIDUAL><FIRST_NAME>Y</FIRST_NAME><LISTED_ON>2020-01-01</LISTED_ON></INDIVIDUAL>"
        b"</INDIVIDUALS></CONSOLIDATED_LIST>"
    )
    result = parse_un_xml(data, created_by_ref=NODE)
    assert result.objects == []
    assert result.counts["skipped"] == 3
    assert [p.where for p in result.problems] == [
        "INDIVIDUAL DATAID=1",
        "INDIVIDUAL DATAID=2",
        "INDIVIDUAL DATAID=#3",
    ]


# -- the real list ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_list(request):
    shared = request.getfixturevalue("shared_data")
    data = (shared / "un-sc-consolidated" / "consolidated_2018-10-29.xml").read_bytes()
    started = time.perf_counter()
    result = parse_un_xml(data, created_by_ref=NODE, marking_refs=[TLP_IDS["clear"]])
    return result, time.perf_counter() - started


@pytest.fixture(scope="module")
def shared_data():  # module-scoped twin of tests/conftest.py's fixture
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present on this machine")
    return SHARED_DATA


def test_real_list_counts_and_speed(real_list):
    result, seconds = real_list
    assert result.counts["individuals"] == 703
    assert result.counts["entities"] == 390
    assert len(result.objects) == 1093
    assert len({o["id"] for o in result.objects}) == 1093
    assert seconds < 3  # well under a second on a quiet machine


def test_real_list_every_object_valid_and_named(real_list):
    result, _ = real_list
    for obj in result.objects:
        ext = _check_stix(obj)
        assert ext["names"] and obj["name"] == ext["names"][0]["full_name"]
        assert ext["watchlist"]["action"] == "freeze_assets"


def test_real_list_names_dates_and_scripts(real_list):
    result, _ = real_list
    individuals = [o for o in result.objects if o["identity_class"] == "individual"]
    exts = [o["extensions"][PERSON_EXTENSION_ID] for o in individuals]
    name_types = Counter(n["name_type"] for e in exts for n in e["names"])
    assert name_types["weak_alias"] > 300
    precisions = Counter(d["precision"] for e in exts for d in e.get("birth_dates", []))
    assert {"exact", "year", "approximate", "between"} <= set(precisions)
    original = [
        e
        for e in exts
        if any(n["name_type"] == "primary" and n["script"] != "Latn" for n in e["names"])
    ]
    assert len(original) == 371
    assert any(n.get("script") == "Arab" for e in original for n in e["names"])
    nationalities = Counter(c for e in exts for c in e.get("nationalities", []))
    assert nationalities["AF"] > 100 and nationalities["IQ"] > 50
    assert Counter(e.get("gender") for e in exts)["male"] == 57


def test_real_list_low_quality_aliases_become_weak(real_list):
    result, _ = real_list
    abu = [
        n
        for o in result.objects
        for n in o["extensions"][PERSON_EXTENSION_ID]["names"]
        if n["name_type"] == "weak_alias"
    ]
    assert len(abu) >= 500  # 595 Low aliases in the file, a few repeats removed
    formers = [
        n
        for o in result.objects
        for n in o["extensions"][PERSON_EXTENSION_ID]["names"]
        if n["name_type"] == "former"
    ]
    assert 0 < len(formers) <= 15  # f.k.a.


@pytest.mark.parametrize(
    ("value", "names"),
    [
        (
            "Abdul Rehman; Abd Ur-Rehman; Abdur Rahman",
            ["Abdul Rehman", "Abd Ur-Rehman", "Abdur Rahman"],
        ),
        ("عبدالله السندي (Abdullah Sindhi)", ["عبدالله السندي", "Abdullah Sindhi"]),
        ("شيخ الفاتح ، الفاتح", ["شيخ الفاتح", "الفاتح"]),
        ("Kim Jong (Un)", ["Kim Jong (Un)"]),  # same script: part of the name, kept whole
        ("SMITH, John", ["SMITH, John"]),  # a Latin comma orders the parts, it does not split
        ("Ahmed ;; ", ["Ahmed"]),
    ],
)
def test_one_alias_element_holding_several_names(value, names):
    from accord.engine.imports.un_xml import alias_names

    assert alias_names(value) == names


def test_real_list_aliases_split_into_their_names(real_list):
    result, _ = real_list
    names = {
        n["full_name"]
        for o in result.objects
        for n in o["extensions"][PERSON_EXTENSION_ID]["names"]
    }
    assert {"Abdul Rehman", "Abd Ur-Rehman", "Abdur Rahman", "Abdullah Sindhi"} <= names
    aliases = [
        n["full_name"]
        for o in result.objects
        for n in o["extensions"][PERSON_EXTENSION_ID]["names"]
        if n["name_type"] != "primary"
    ]
    assert not any(";" in n for n in aliases)
