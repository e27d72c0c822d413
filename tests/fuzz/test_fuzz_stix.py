"""Fuzz the STIX reader (bundle, array or object) and the store's validator: any input is
either read or refused with :class:`ImportFormatError`; the validator answers every JSON value
with a list of issues; nothing runs past the time bound."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given

from accord.engine.imports import ImportFormatError, parse_stix
from accord.engine.json_input import JsonInputError, parse_json
from accord.engine.stix.markings import TLP_2_0_EXTENSION_ID as _TLP
from accord.engine.stix.validate import ValidationIssue, validate_object
from tests.fuzz.support import (
    PARSER,
    check_refusal,
    check_text,
    hostile_json,
    json_documents,
    seeds,
    time_bound,
    tree_mutated,
)

pytestmark = pytest.mark.fuzz

STIX_FILES = seeds(
    "imports/stix_bundle.json",
    "imports/stix_array.json",
    "imports/stix_single.json",
    "imports/stix_malformed.json",
    "stix/valid_bundle.json",
)


def _objects() -> list[object]:
    out: list[object] = []
    for data in STIX_FILES:
        try:
            value = json.loads(data)
        except ValueError:
            continue
        if isinstance(value, dict) and value.get("type") == "bundle":
            out.extend(value.get("objects", []))
        elif isinstance(value, list):
            out.extend(value)
        else:
            out.append(value)
    return out


OBJECTS = _objects()


@PARSER
@given(json_documents(STIX_FILES))
def test_stix_reader(data):
    with time_bound():
        try:
            result = parse_stix(data)
        except ImportFormatError as exc:
            check_refusal(exc)
            return
    assert all(isinstance(o, dict) for o in result.objects)
    assert result.counts["objects"] == len(result.objects)
    check_text(result.objects)


@PARSER
@given(tree_mutated(OBJECTS) | hostile_json(20))
@example({"type": "marking-definition", "extensions": {_TLP: {"extension_type": [[None]]}}})
@example({"type": "marking-definition", "extensions": {_TLP: {"tlp_2_0": ["red"]}}})
def test_stix_validator_objects(obj):
    with time_bound():
        issues = validate_object(obj)
    assert isinstance(issues, list)
    assert all(isinstance(i, ValidationIssue) and i.message for i in issues)


@PARSER
@given(json_documents([json.dumps(o).encode() for o in OBJECTS]))
def test_stix_validator_from_bytes(data):
    """As the store meets them: bytes read by the shared JSON reader, then validated."""
    with time_bound():
        try:
            obj = parse_json(data, what="object")
        except JsonInputError:
            return
        issues = validate_object(obj)
    assert all(isinstance(i, ValidationIssue) for i in issues)
    if not isinstance(obj, dict):
        assert issues
