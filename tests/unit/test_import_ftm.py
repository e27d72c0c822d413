"""The FollowTheMoney importer, on an invented file covering every supported schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import stix2
from jsonschema import Draft202012Validator

from accord.engine.imports import ImportFormatError, parse_ftm
from accord.engine.stix.person import PERSON_EXTENSION_ID, PERSON_EXTENSION_SCHEMA

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
NODE = "identity--7d3f3c4e-1b2a-4c5d-8e9f-0a1b2c3d4e5f"
FALLBACK = "2026-01-01T00:00:00.000Z"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
EXTENSION = Draft202012Validator(PERSON_EXTENSION_SCHEMA)


@pytest.fixture(scope="module")
def result():
    data = (FIXTURES / "ftm_entities.jsonl").read_bytes()
    return parse_ftm(data, created_by_ref=NODE, fallback_timestamp=FALLBACK)


def _by_ftm_id(result) -> dict[str, dict]:
    return {o["external_references"][0]["external_id"]: o for o in result.objects}


def _ext(obj: dict) -> dict:
    return obj["extensions"][PERSON_EXTENSION_ID]


def test_counts_and_every_object_valid(result):
    assert result.counts == {
        "persons": 3,
        "organizations": 3,
        "documents": 2,
        "relationships": 3,
        "sanctions": 2,
        "skipped": 1,
        "objects": 9,
    }
    for obj in result.objects:
        assert obj["spec_version"] == "2.1" and obj["created_by_ref"] == NODE
        assert TIMESTAMP.match(obj["created"]) and TIMESTAMP.match(obj["modified"])
        stix2.parse(obj, allow_custom=True)
        if obj["type"] == "identity":
            assert [e.message for e in EXTENSION.iter_errors(_ext(obj))] == []


def test_person_properties(result):
    alpha = _by_ftm_id(result)["p-alpha"]
    ext = _ext(alpha)
    assert alpha["identity_class"] == "individual" and ext["subject_type"] == "person"
    assert alpha["name"] == "Rafiq Haddoumi"
    assert ext["names"][0] == {
        "full_name": "Rafiq Haddoumi",
        "name_type": "primary",
        "script": "Latn",
        "given_name": "Rafiq",
        "middle_name": "Salim",
        "family_name": "Haddoumi",
        "patronymic": "Salim",
    }
    kinds = {(n["full_name"], n["name_type"]) for n in ext["names"]}
    assert {("Rafik Hadoumi", "alias"), ("Abu Nour", "weak_alias")} <= kinds
    assert ext["birth_dates"] == [{"precision": "year", "year": 1975}]
    assert ext["birth_places"] == [{"text": "Invented Town"}]
    assert ext["nationalities"] == ["SY", "TR"]
    assert ext["gender"] == "male"
    assert ext["phones"] == ["+963112234567"]
    assert ext["emails"] == ["rafiq@example.org"]
    assert alpha["created"] == "2019-05-06T08:00:00.000Z"
    assert alpha["modified"] == "2021-02-03T04:05:06.000Z"


def test_partial_birth_dates_and_scripts(result):
    refs = _by_ftm_id(result)
    beta = _ext(refs["p-beta"])
    assert beta["birth_dates"] == [{"precision": "month", "date": "1980-11-01", "year": 1980}]
    assert ("Лейла Морванова", "alias", "Cyrl") in {
        (n["full_name"], n["name_type"], n["script"]) for n in beta["names"]
    }
    assert beta["phones"] == ["+4930901820"]  # national number read with the nationality
    gamma = refs["p-gamma"]
    assert gamma["name"] == "Ivo Petrakis"  # composed from firstName/lastName
    assert _ext(gamma)["birth_dates"] == [{"precision": "exact", "date": "1990-02-14"}]
    assert gamma["created"] == FALLBACK


def test_documents_attach_to_holder_in_any_order(result):
    refs = _by_ftm_id(result)
    # The Passport comes before its holder in the file and merges with passportNumber.
    assert _ext(refs["p-alpha"])["documents"] == [
        {
            "document_type": "Passport",
            "number": "X1234567",
            "issuing_country": "SY",
            "issued_on": "2012-03-04",
            "expires_on": "2022-03-03",
        },
        {"document_type": "Identification", "number": "SY-998877"},
    ]
    assert _ext(refs["p-beta"])["documents"] == [
        {"document_type": "National ID card", "number": "L01X00T47", "issuing_country": "DE"}
    ]


def test_organisations(result):
    refs = _by_ftm_id(result)
    org = refs["o-one"]
    assert org["identity_class"] == "organization"
    assert _ext(org)["subject_type"] == "organization"
    assert _ext(org)["addresses"] == ["1 Invented Square, Nowhere"]
    assert _ext(org)["phones"] == ["+442079460018"]
    company = _ext(refs["c-two"])
    assert ("Harbour Blue Co", "former") in {
        (n["full_name"], n["name_type"]) for n in company["names"]
    }
    assert refs["le-three"]["identity_class"] == "organization"


def test_relationships(result):
    refs = _by_ftm_id(result)
    rels = {
        o["external_references"][0]["external_id"]: o
        for o in result.objects
        if o["type"] == "relationship"
    }
    assert set(rels) == {"m-1", "m-2", "a-1"}
    assert rels["m-1"]["relationship_type"] == "member-of"
    assert rels["m-1"]["source_ref"] == refs["p-alpha"]["id"]
    assert rels["m-1"]["target_ref"] == refs["o-one"]["id"]
    assert rels["m-1"]["description"] == "Treasurer"
    assert rels["m-1"]["start_time"] == "2015-01-01T00:00:00.000Z"
    assert rels["m-2"]["source_ref"] == refs["c-two"]["id"]
    assert rels["a-1"]["relationship_type"] == "associated-with"
    assert (rels["a-1"]["source_ref"], rels["a-1"]["target_ref"]) == (
        refs["p-alpha"]["id"],
        refs["p-beta"]["id"],
    )


def test_sanctions_become_watchlist_entries(result):
    refs = _by_ftm_id(result)
    alpha = _ext(refs["p-alpha"])
    assert alpha["watchlist"] == {
        "action": "freeze_assets",
        "reason": "Fictional Regime; Financing a fictional group",
        "listed_on": "2019-05-06",
        "list_name": "Invented Sanctions Authority Fictional Regime",
        "reference": "QDi.999",
    }
    assert alpha["reference_numbers"] == ["QDi.999"]
    assert _ext(refs["o-one"])["watchlist"]["listed_on"] == "2020-07-01"
    assert "watchlist" not in _ext(refs["p-beta"])


def test_problems_name_entity_and_reason(result):
    problems = {p.where: p.message for p in result.problems}
    assert "Spaceship" in problems["line 17 (id=x-1)"]
    assert "dangling reference" in problems["line 15 (id=m-ghost)"]
    assert "Vessel is not imported" in problems["line 16 (id=v-1)"]
    assert "no name" in problems["line 18 (id=p-noname)"]
    assert "'bogus'" in problems["line 7 (id=le-three)"]
    assert "phone '12345'" in problems["line 2 (id=p-alpha)"]
    assert len(result.problems) == 6


def test_ids_are_deterministic_and_progress_reported():
    data = (FIXTURES / "ftm_entities.jsonl").read_bytes()
    calls = []
    first = parse_ftm(data, created_by_ref=NODE, progress=lambda d, t: calls.append((d, t)))
    second = parse_ftm(data, created_by_ref=NODE)
    assert [o["id"] for o in first.objects] == [o["id"] for o in second.objects]
    assert calls[-1] == (16, 16)  # entities FtM could read, every one reported
    assert [d for d, _ in calls] == list(range(1, 17))


def test_json_array_and_markings():
    data = (FIXTURES / "ftm_array.json").read_bytes()
    result = parse_ftm(data, created_by_ref=NODE, marking_refs=["marking-definition--x"])
    assert [o["type"] for o in result.objects] == ["identity", "identity", "relationship"]
    assert all(o["object_marking_refs"] == ["marking-definition--x"] for o in result.objects)
    assert result.problems == []


def test_invalid_values_rejected_by_ftm_are_reported():
    line = {
        "id": "p-x",
        "schema": "Person",
        "properties": {"name": ["Val Invented"], "birthDate": ["not a date"], "email": ["nope"]},
    }
    result = parse_ftm(json.dumps(line).encode(), created_by_ref=NODE)
    messages = " ".join(p.message for p in result.problems)
    assert "birthDate 'not a date' is not a valid date" in messages
    assert "email 'nope' is not a valid email" in messages
    assert "birth_dates" not in _ext(result.objects[0])


def test_malformed_line_names_the_line():
    with pytest.raises(ImportFormatError, match=r"line 2 column \d+"):
        parse_ftm((FIXTURES / "ftm_malformed.jsonl").read_bytes(), created_by_ref=NODE)


def test_malformed_array_names_line_and_column():
    with pytest.raises(ImportFormatError, match=r"line 1 column 3"):
        parse_ftm(b"[{]", created_by_ref=NODE)


def test_non_objects_and_missing_ids_are_problems():
    data = b'42\n{"schema": "Person", "properties": {"name": ["A"]}}\n'
    result = parse_ftm(data, created_by_ref=NODE)
    assert result.objects == []
    assert [p.where for p in result.problems] == ["line 1", "line 2"]
