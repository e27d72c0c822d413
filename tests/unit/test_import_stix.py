"""The STIX 2.1 JSON reader: bundles, arrays and single objects, returned as parsed."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from accord.engine.imports import ImportFormatError, parse_stix

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


def test_bundle_objects_are_returned_unchanged():
    data = (FIXTURES / "stix_bundle.json").read_bytes()
    calls = []
    result = parse_stix(data, progress=lambda done, total: calls.append((done, total)))
    assert result.format == "stix"
    assert result.objects == json.loads(data)["objects"]
    assert result.objects[0]["x_unknown_custom"] == {"nested": [1, 2.5, "three"]}
    assert result.counts == {"identity": 1, "threat-actor": 1, "objects": 2}
    assert result.problems == []
    assert calls == [(1, 2), (2, 2)]


def test_array_skips_non_objects_with_a_problem():
    result = parse_stix((FIXTURES / "stix_array.json").read_bytes())
    assert [o["type"] for o in result.objects] == ["ipv4-addr"]
    assert [(p.where, p.message) for p in result.problems] == [
        ("object 1", "is a JSON int, not a STIX object; skipped.")
    ]


def test_single_object():
    result = parse_stix((FIXTURES / "stix_single.json").read_bytes())
    assert [o["id"] for o in result.objects] == ["note--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"]


def test_empty_bundle_is_an_empty_result():
    result = parse_stix(b'{"type": "bundle", "id": "bundle--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}')
    assert result.objects == [] and result.problems == []
    assert parse_stix(b'{"type": "bundle", "objects": []}').objects == []


def test_malformed_json_names_line_and_column():
    with pytest.raises(ImportFormatError, match=r"line 3 column 28: unexpected control character"):
        parse_stix((FIXTURES / "stix_malformed.json").read_bytes())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"objects": []}', "no 'type'"),
        (b'"bundle"', "JSON str"),
        (b"42", "JSON int"),
        (b'{"type": "bundle", "objects": {"a": 1}}', "not an array"),
        (b"\xff\xfe\x00", "not"),
    ],
)
def test_not_stix_is_a_clear_error(data, message):
    with pytest.raises(ImportFormatError, match=message):
        parse_stix(data)


def test_very_deep_nesting_is_refused():
    with pytest.raises(ImportFormatError, match="too deeply"):
        parse_stix(b"[" * 200_000 + b"]" * 200_000)


def test_duplicate_keys_keep_the_last():
    result = parse_stix(b'{"type": "note", "content": "first", "content": "second"}')
    assert result.objects[0]["content"] == "second"


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("cti-documentation/apt1.json", None),
        ("cti-documentation/poisonivy.json", None),
        ("cti-python-stix2/sco-examples-bundle.json", None),
    ],
)
def test_oasis_examples(shared_data, name, count):
    path = shared_data / "stix21-examples" / name
    if not path.exists():
        matches = sorted((shared_data / "stix21-examples").rglob(Path(name).name))
        assert matches, name
        path = matches[0]
    data = path.read_bytes()
    document = json.loads(data)
    expected = document if isinstance(document, list) else document.get("objects", [document])
    before = copy.deepcopy(expected)
    result = parse_stix(data)
    assert result.objects == before
    assert len(result.objects) > 10
    assert all(isinstance(o.get("type"), str) and "--" in o.get("id", "") for o in result.objects)


def test_attack_ics(shared_data):
    data = (shared_data / "mitre-attack-ics" / "ics-attack-18.1.json").read_bytes()
    result = parse_stix(data)
    assert len(result.objects) == 1826
    assert result.counts["objects"] == 1826
    assert result.counts["attack-pattern"] > 50
    assert result.objects == json.loads(data)["objects"]
