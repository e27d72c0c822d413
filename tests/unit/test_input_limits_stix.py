"""The size limits of a STIX object (engine.stix.limits), enforced by the validator that every
write path calls: each refusal names the property path and the limit, never the value."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from accord.engine.stix.limits import (
    MAX_LIST_ITEMS,
    MAX_NAME_LENGTH,
    MAX_OBJECT_BYTES,
    MAX_SHORT_TEXT_LENGTH,
    MAX_TEXT_LENGTH,
)
from accord.engine.stix.person import PERSON_EXTENSION_ID
from accord.engine.stix.validate import _synthetic_person, validate_object

PERSON = _synthetic_person(1)


def person(**changes: Any) -> dict[str, Any]:
    obj = copy.deepcopy(PERSON)
    obj.update(changes)
    return obj


def only_issue(obj: dict[str, Any]) -> tuple[str, str]:
    issues = validate_object(obj)
    assert len(issues) == 1, issues
    return issues[0].path, issues[0].message


def test_the_limits_leave_room_for_real_records() -> None:
    assert validate_object(PERSON) == []
    at_limits = person(
        name="N" * MAX_NAME_LENGTH,
        description="D" * MAX_TEXT_LENGTH,
        labels=["L" * MAX_SHORT_TEXT_LENGTH],
    )
    assert validate_object(at_limits) == []


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        ({"name": "N" * 50_000_000}, "name", "50,000,000 characters; a name may have at most 500"),
        (
            {"name": "N" * (MAX_NAME_LENGTH + 1)},
            "name",
            "501 characters; a name may have at most 500",
        ),
        ({"description": "D" * (MAX_TEXT_LENGTH + 1)}, "description", "a text may have at most"),
        ({"labels": ["ok", "L" * 1001]}, "labels[1]", "a short string may have at most 1,000"),
        ({"x_notes": {"deep": ["T" * 70_000]}}, "x_notes.deep[0]", "at most 65,536"),
        ({"x_list": list(range(MAX_LIST_ITEMS + 1))}, "x_list", "a list may have at most 100,000"),
        ({"x_map": {"K" * 251: 1}}, "x_map", "property names may have at most 250"),
    ],
)
def test_each_limit_names_the_property_and_the_limit(changes, path, words) -> None:
    found_path, message = only_issue(person(**changes))
    assert found_path == path
    assert words in message
    assert "NNNN" not in message and "TTTT" not in message and "KKKK" not in message


def test_names_in_the_person_extension_and_aliases_are_names() -> None:
    obj = person(aliases=["A" * 600])
    obj["extensions"][PERSON_EXTENSION_ID]["names"][1]["full_name"] = "F" * 501
    issues = {i.path: i.message for i in validate_object(obj)}
    assert "aliases[0]" in issues
    assert f"extensions.{PERSON_EXTENSION_ID}.names[1].full_name" in issues
    assert all("a name may have at most 500" in m for m in issues.values())


def test_the_whole_object_has_a_size_limit_and_binary_only_counts_there() -> None:
    artifact = {
        "type": "artifact",
        "spec_version": "2.1",
        "id": "artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641",
        "mime_type": "application/octet-stream",
        "payload_bin": "QUJD" * 100_000,  # 400,000 characters of base64: allowed
    }
    assert validate_object(artifact) == []
    too_big = person(description="D" * 1000, x_parts=["P" * 60_000] * 150)
    path, message = only_issue(too_big)
    assert path == ""
    assert f"an object may have at most {MAX_OBJECT_BYTES:,}" in message
