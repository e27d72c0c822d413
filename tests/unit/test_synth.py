"""Synthetic federation data: deterministic, realistic, valid STIX 2.1."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import pytest

from accord.engine.stix.markings import ACCORD_HANDLING_EXTENSION_ID, TLP_BY_ID, TLP_IDS
from accord.engine.stix.person import PERSON_EXTENSION_ID
from accord.engine.synth.federation import (
    HANDLING_MARKINGS,
    federation_bundle,
    generate_federation_data,
    iter_persons,
)

CREATOR = "identity--6f0c2c0e-1a1b-4c5d-9e8f-0a1b2c3d4e5f"
ID_RE = re.compile(
    r"^[a-z][a-z0-9-]+--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
COMMON = {"type", "spec_version", "id", "created", "modified"}
REQUIRED = {
    "identity": COMMON | {"name", "identity_class", "created_by_ref"},
    "threat-actor": COMMON | {"name", "threat_actor_types"},
    "relationship": COMMON | {"relationship_type", "source_ref", "target_ref"},
    "indicator": COMMON | {"pattern", "pattern_type", "valid_from"},
    "marking-definition": {"type", "spec_version", "id", "created"},
}


@pytest.fixture(scope="module")
def data() -> list[dict]:
    return generate_federation_data(42, 600, created_by_ref=CREATOR)


def _persons(objects):
    return [o for o in objects if o["type"] == "identity" and o["identity_class"] == "individual"]


def _scripts(text: str) -> set[str]:
    out = set()
    for ch in text:
        if ch.isalpha():
            out.add(unicodedata.name(ch).split()[0])
    return out


def test_same_seed_same_data_other_seed_other_data(data):
    again = generate_federation_data(42, 600, created_by_ref=CREATOR)
    assert again == data
    other = generate_federation_data(43, 600, created_by_ref=CREATOR)
    person_ids = {o["id"] for o in _persons(data)}
    assert not person_ids & {o["id"] for o in _persons(other)}


def test_counts_and_types(data):
    counts = Counter(o["type"] for o in data)
    assert len(_persons(data)) == 600
    organisations = [o for o in data if o.get("identity_class") == "organization"]
    assert len(organisations) == 600 // 40 == counts["threat-actor"]
    assert counts["indicator"] >= 2
    assert counts["marking-definition"] == len(HANDLING_MARKINGS)
    kinds = Counter(o["relationship_type"] for o in data if o["type"] == "relationship")
    assert kinds["member-of"] > 200
    assert kinds["associated-with"] > 100
    assert kinds["attributed-to"] == counts["threat-actor"]
    assert kinds["indicates"] == counts["indicator"]
    assert len({o["id"] for o in data}) == len(data)


def test_every_object_has_the_required_stix_properties(data):
    for obj in data:
        missing = REQUIRED[obj["type"]] - obj.keys()
        assert not missing, (obj["id"], missing)
        assert obj["spec_version"] == "2.1"
        assert ID_RE.match(obj["id"]) or obj["type"] == "marking-definition", obj["id"]
        assert obj["id"].startswith(obj["type"] + "--")
        for key in ("created", "modified", "valid_from"):
            if key in obj:
                assert TS_RE.match(obj[key]), (obj["id"], key, obj[key])
        if "modified" in obj:
            assert obj["modified"] >= obj["created"]


def test_references_resolve_and_markings_are_known(data):
    ids = {o["id"] for o in data}
    for rel in (o for o in data if o["type"] == "relationship"):
        assert rel["source_ref"] in ids and rel["target_ref"] in ids
        assert rel["source_ref"] != rel["target_ref"]
    for obj in data:
        for ref in obj.get("object_marking_refs", ()):
            assert ref in TLP_BY_ID or ref in ids, ref
    colours = Counter(
        TLP_BY_ID[r] for o in data for r in o.get("object_marking_refs", ()) if r in TLP_BY_ID
    )
    assert {"clear", "green", "amber", "amber+strict"} <= colours.keys()
    assert "red" not in colours
    handled = [
        o for o in _persons(data) if any(r not in TLP_BY_ID for r in o["object_marking_refs"])
    ]
    assert handled, "some persons carry an Accord handling marking"
    definitions = [o for o in data if o["type"] == "marking-definition"]
    assert all(ACCORD_HANDLING_EXTENSION_ID in d["extensions"] for d in definitions)


def test_relationship_is_marked_with_the_stricter_end(data):
    by_id = {o["id"]: o for o in data}
    levels = ["clear", "green", "amber", "amber+strict"]

    def tlp(obj):
        return next(TLP_BY_ID[r] for r in obj["object_marking_refs"] if r in TLP_BY_ID)

    for rel in (o for o in data if o.get("relationship_type") == "member-of"):
        ends = [tlp(by_id[rel["source_ref"]]), tlp(by_id[rel["target_ref"]])]
        assert tlp(rel) == max(ends, key=levels.index)


def test_names_in_arabic_cyrillic_and_latin_with_romanisations(data):
    scripts = Counter()
    arabic_with_aliases = 0
    for person in _persons(data):
        names = person["extensions"][PERSON_EXTENSION_ID]["names"]
        for name in names:
            scripts[name["script"]] += 1
            found = _scripts(name["full_name"])
            expected = {"Arab": "ARABIC", "Cyrl": "CYRILLIC", "Latn": "LATIN"}[name["script"]]
            assert found == {expected}, name
        native = [n for n in names if n["script"] != "Latn"]
        latin = [n for n in names if n["script"] == "Latn"]
        assert latin, "every person has a Latin-script name"
        assert person["name"] == latin[0]["full_name"]
        if native:
            assert 2 <= len(latin) <= 4  # primary romanisation plus 1-3 aliases
            assert len({n["full_name"] for n in latin}) == len(latin)
            if native[0]["script"] == "Arab" and len(latin) > 1:
                arabic_with_aliases += 1
    assert scripts["Arab"] > 100 and scripts["Cyrl"] > 60 and scripts["Latn"] > 600
    assert arabic_with_aliases > 50


def test_known_romanisations_occur():
    people = list(iter_persons(5, 3000, created_by_ref=CREATOR))
    latin = {
        n["given_name"]
        for p in people
        for n in p["extensions"][PERSON_EXTENSION_ID]["names"]
        if n["script"] == "Latn"
    }
    assert {"Mohammed", "Muhammad", "Mohamed"} <= latin
    assert {"Youssef", "Yusuf"} <= latin
    assert {"Abdul Rahman", "Abd al-Rahman"} & latin
    cyrillic_women = [
        n["family_name"]
        for p in people
        for n in p["extensions"][PERSON_EXTENSION_ID]["names"]
        if n["script"] == "Cyrl" and p["extensions"][PERSON_EXTENSION_ID]["gender"] == "female"
    ]
    assert cyrillic_women and all(f.endswith("\u0430") for f in cyrillic_women)


def test_person_details_are_plausible(data):
    precisions = Counter()
    watchlisted = 0
    for person in _persons(data):
        ext = person["extensions"][PERSON_EXTENSION_ID]
        assert ext["gender"] in ("male", "female")
        for birth in ext["birth_dates"]:
            precisions[birth["precision"]] += 1
            year = int(birth.get("date", "0000")[:4]) or birth.get("year") or birth["from_year"]
            assert 1940 < year < 2010
        assert all(re.fullmatch(r"[A-Z]{2}", c) for c in ext["nationalities"])
        assert ext["birth_places"][0]["country"] == ext["nationalities"][0]
        passport = ext["documents"][0]
        assert passport["document_type"] == "passport" and len(passport["number"]) >= 6
        assert passport["issuing_country"] in ext["nationalities"]
        assert passport["expires_on"] > passport["issued_on"]
        assert ext["phones"] and all(E164.match(p) for p in ext["phones"])
        if "watchlist" in ext:
            watchlisted += 1
            assert ext["watchlist"]["action"]
    assert set(precisions) == {"exact", "month", "year", "approximate", "between"}
    assert 30 < watchlisted < 180


def test_iter_persons_streams_with_fixed_markings():
    refs = [TLP_IDS["amber"]]
    people = iter_persons(9, 50, created_by_ref=CREATOR, marking_refs=refs)
    assert iter(people) is people  # a generator, not a list
    batch = list(people)
    assert len(batch) == 50
    assert all(p["object_marking_refs"] == refs for p in batch)
    assert batch == list(iter_persons(9, 50, created_by_ref=CREATOR, marking_refs=refs))


def test_bundle_wraps_the_data():
    bundle = federation_bundle(3, 40, created_by_ref=CREATOR)
    assert bundle["type"] == "bundle" and ID_RE.match(bundle["id"])
    assert bundle["objects"] == generate_federation_data(3, 40, created_by_ref=CREATOR)


def test_objects_pass_accords_validator(data):
    from accord.engine.stix.validate import validate_object

    problems = {o["id"]: validate_object(o) for o in data}
    assert not {k: v for k, v in problems.items() if v}


def test_objects_pass_the_oasis_validator(data):
    from stix2validator import ValidationOptions, validate_instance

    options = ValidationOptions(version="2.1")
    sample = data[:3] + data[3:600:25] + data[600:]
    for obj in sample[:200]:
        result = validate_instance(obj, options)
        assert result.is_valid, (obj["id"], [str(e) for e in result.errors])
