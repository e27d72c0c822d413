"""Agreement of Accord's STIX validator with the official OASIS STIX 2.1 JSON Schemas.

Every object of the OASIS examples (cti-documentation, cti-stix2-json-schemas/examples, the
cti-python-stix2 SCO array) and of MITRE ATT&CK for ICS 18.1 is validated by both, unchanged and
after systematic mutations (drop each property, give each a wrong type or null, bad timestamps,
bad ids, id/type mismatch, bad custom property names...). The verdicts (valid or not) must be
equal, except for the documented cases below where the OASIS schemas are laxer than the STIX 2.1
specification; for those the test asserts the documented difference itself (Accord rejects, OASIS
accepts), so that a change on either side shows up.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from accord.engine.stix.validate import StixValidator

#: Mutation -> why Accord rejects what the OASIS schemas accept (STIX 2.1 section).
OASIS_LAXER: dict[str, str] = {
    # The OASIS schemas accept "2.0" everywhere (shared with STIX 2.0); a 2.1 object says "2.1"
    # (3.2 spec_version).
    "spec_version:2.0": "spec_version must be 2.1",
    # A regular expression cannot know month lengths; RFC 3339 (3.2) requires a real date.
    "created:2024-02-30T00:00:00.000Z": "impossible calendar date",
    "modified:2024-02-30T00:00:00.000Z": "impossible calendar date",
    # 3.2: "modified MUST be later than or equal to the value of the created property".
    "modified:before-created": "modified < created",
    # 3.2: created_by_ref MUST be an identity; OASIS core.json accepts any identifier.
    "created_by_ref:wrong-type": "created_by_ref must be identity--",
    # 7.2.2: object_marking_refs point at marking-definition objects; core.json accepts any id.
    "object_marking_refs:wrong-type": "object_marking_refs must be marking-definition--",
}
#: (type, mutation) pairs where only one OASIS schema is laxer.
OASIS_LAXER_FOR_TYPE: dict[tuple[str, str], str] = {
    # marking-definition.json uses timestamp.json for created (no millisecond precision) and does
    # not apply properties.json (custom property names and values), unlike every other object.
    ("marking-definition", "created:2024-01-01T00:00:00Z"): "3.2 millisecond precision",
    ("marking-definition", "custom:X_Custom"): "3.1 property names",
    ("marking-definition", "custom:ab"): "3.1 property names",
    ("marking-definition", "custom:empty-list"): "3.1 no empty lists",
}
#: Custom (x-) types are checked by OASIS core.json, which has no id prefix rule (2.9).
OASIS_LAXER_FOR_CUSTOM: dict[str, str] = {"id:type-mismatch": "id prefix must equal type"}

_OASIS_SCHEMA_NAMES = {
    "core",
    "bundle",
    "identifier",
    "timestamp",
    "properties",
    "extension",
    "dictionary",
}


class OasisSchemas:
    """The official schemas, with their ``$ref`` URLs resolved to the local files."""

    def __init__(self, folder: Path) -> None:
        resources = []
        self.by_type: dict[str, str] = {}
        for path in sorted(folder.rglob("*.json")):
            schema = json.loads(path.read_text())
            resources.append((schema["$id"], schema))
            self.by_type[path.stem] = schema["$id"]
        self.registry = jsonschema_rs.Registry(resources)
        self._validators: dict[str, Any] = {}

    def validator(self, obj: dict[str, Any]) -> Any:
        type_name = obj.get("type")
        uri = None
        if isinstance(type_name, str) and type_name not in _OASIS_SCHEMA_NAMES:
            uri = self.by_type.get(type_name)
        uri = uri or self.by_type["core"]
        if uri not in self._validators:
            self._validators[uri] = jsonschema_rs.Draft202012Validator(
                {"$ref": uri}, registry=self.registry
            )
        return self._validators[uri]

    def is_valid(self, obj: dict[str, Any]) -> bool:
        return bool(self.validator(obj).is_valid(obj))


def _objects_of(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text())
    if isinstance(data, list):  # cti-python-stix2/sco-examples-bundle.json is a bare array
        return data
    if data.get("type") == "bundle":
        return list(data.get("objects", []))
    return [data]


def corpus(shared: Path) -> list[tuple[str, dict[str, Any]]]:
    examples = shared / "stix21-examples"
    files = [
        *sorted((examples / "cti-documentation").glob("*.json")),
        *sorted((examples / "cti-stix2-json-schemas" / "examples").rglob("*.json")),
        examples / "cti-python-stix2" / "sco-examples-bundle.json",
        shared / "mitre-attack-ics" / "ics-attack-18.1.json",
    ]
    return [(path.name, obj) for path in files for obj in _objects_of(path)]


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, int | float):
        return "12"
    if isinstance(value, str):
        return 12
    if isinstance(value, list):
        return "x"
    if isinstance(value, dict):
        return ["x"]
    return None


def _with(obj: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    out = dict(obj)
    out[key] = value
    return out


BAD_TIMESTAMPS = (
    "2024-13-01T00:00:00.000Z",
    "2024-01-01 00:00:00.000Z",
    "2024-01-01T00:00:00.000+01:00",
    "2024-01-01T00:00:00Z",
    "2024-02-30T00:00:00.000Z",
    "",
)


def mutations(obj: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for key in list(obj):
        dropped = dict(obj)
        del dropped[key]
        yield f"drop:{key}", dropped
        yield f"wrong-type:{key}", _with(obj, key, _wrong_type(obj[key]))
        yield f"null:{key}", _with(obj, key, None)
    for key in ("created", "modified"):
        if key in obj:
            for bad in BAD_TIMESTAMPS:
                yield f"{key}:{bad}", _with(obj, key, bad)
    if isinstance(obj.get("id"), str) and "--" in obj["id"]:
        prefix, uuid = obj["id"].split("--", 1)
        yield "id:not-a-uuid", _with(obj, "id", f"{prefix}--not-a-uuid")
        yield "id:uppercase-uuid", _with(obj, "id", f"{prefix}--{uuid.upper()}")
        yield "id:uuid-version-0", _with(obj, "id", f"{prefix}--{uuid[:14]}0{uuid[15:]}")
        other = "malware" if prefix == "indicator" else "indicator"
        yield "id:type-mismatch", _with(obj, "id", f"{other}--{uuid}")
    yield "custom:X_Custom", _with(obj, "X_Custom", "a")
    yield "custom:ab", _with(obj, "ab", "a")
    yield "custom:empty-list", _with(obj, "x_custom", [])
    yield "custom:ok", _with(obj, "x_accord_note", {"a": 1})
    yield "spec_version:2.0", _with(obj, "spec_version", "2.0")
    yield "type:Upper", _with(obj, "type", "Identity")
    if isinstance(obj.get("created_by_ref"), str):
        uuid = obj["created_by_ref"].split("--", 1)[1]
        yield "created_by_ref:wrong-type", _with(obj, "created_by_ref", f"malware--{uuid}")
    if obj.get("object_marking_refs"):
        uuid = obj["object_marking_refs"][0].split("--", 1)[1]
        yield (
            "object_marking_refs:wrong-type",
            _with(obj, "object_marking_refs", [f"identity--{uuid}"]),
        )
    if "created" in obj and "modified" in obj:
        yield "modified:before-created", _with(obj, "modified", "1999-01-01T00:00:00.000Z")


def _documented(type_name: str, mutation: str) -> str | None:
    if mutation in OASIS_LAXER:
        return OASIS_LAXER[mutation]
    if (type_name, mutation) in OASIS_LAXER_FOR_TYPE:
        return OASIS_LAXER_FOR_TYPE[(type_name, mutation)]
    if type_name.startswith("x-") and mutation in OASIS_LAXER_FOR_CUSTOM:
        return OASIS_LAXER_FOR_CUSTOM[mutation]
    return None


@pytest.fixture(scope="module")
def validator() -> StixValidator:
    return StixValidator()


@pytest.fixture
def oasis(shared_data: Path) -> OasisSchemas:
    return OasisSchemas(shared_data / "stix21-examples" / "cti-stix2-json-schemas" / "schemas")


#: Published objects that are not valid STIX: three artifacts of the cti-python-stix2 SCO array
#: carry a payload_bin cut off with " ..." (not base64). Both validators must reject them.
KNOWN_INVALID = {
    "artifact--ca17bcf8-9846-5ab4-8662-75c1bf6e63ee",
    "artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641",
    "artifact--4cce66f8-6eaa-53cb-85d5-3a85fca3a6c5",
}


def test_every_published_object_gets_the_oasis_verdict(shared_data, oasis, validator):
    objects = corpus(shared_data)
    assert len(objects) > 2400  # 635 OASIS examples + 1,826 ATT&CK ICS objects
    ours = {obj["id"] for _, obj in objects if validator.validate(obj)}
    theirs = {obj["id"] for _, obj in objects if not oasis.is_valid(obj)}
    assert ours == theirs == KNOWN_INVALID
    issue = validator.validate(next(o for _, o in objects if o["id"] in KNOWN_INVALID))[0]
    assert issue.path == "payload_bin"
    assert "not valid base64" in issue.message


def test_mutations_get_the_oasis_verdict(shared_data, oasis, validator):
    agreed = documented = 0
    surprises: Counter[tuple[str, str, bool, bool]] = Counter()
    for _, obj in corpus(shared_data):
        type_name = str(obj.get("type"))
        for mutation, mutant in mutations(obj):
            ours = not validator.validate(mutant)
            theirs = oasis.is_valid(mutant)
            # A documented difference must hold as documented: Accord rejects, OASIS accepts.
            if _documented(type_name, mutation) and (ours, theirs) == (False, True):
                documented += 1
                continue
            if ours == theirs:
                agreed += 1
            else:
                surprises[(type_name, mutation.split(":")[0], ours, theirs)] += 1
    print(f"\nOASIS agreement: {agreed} mutants agree, {documented} documented differences")
    assert not surprises, surprises.most_common(20)
    assert agreed > 100_000
    assert documented > 10_000


def test_oasis_harness_sees_errors(oasis):
    """The reference itself must reject what it should, or agreement would prove nothing."""
    assert not oasis.is_valid({"type": "identity", "spec_version": "2.1"})
    assert not oasis.is_valid({"type": "ipv4-addr", "id": "ipv4-addr--x", "value": "1.2.3.4"})
