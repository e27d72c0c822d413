"""A fast STIX 2.1 validator: Accord's own JSON Schemas compiled once, plus the rules code states.

``StixValidator.validate(obj)`` returns a list of ``ValidationIssue`` (empty when the object is
valid). The per-type schemas live in ``schemas.py`` and are compiled with ``jsonschema_rs``
(draft 2020-12, Rust); a valid object costs one ``is_valid`` call and a handful of dictionary
look-ups, and only an invalid one pays for error collection. Rules checked in code (STIX 2.1
section in brackets):

* the id's type prefix equals ``type`` (2.9); unknown types are custom objects: ``x-`` types
  (deprecated 2.0 style, 11.1) or types declared by a ``new-sdo``/``new-sco``/``new-sro``
  extension (7.3);
* timestamps are real calendar dates (3.2); ``modified >= created`` (3.2), and the ordered pairs
  ``first_seen <= last_seen`` and the like (4.x, 5.x);
* co-constraints: location, malware, malware-analysis, observed-data, artifact, email-message,
  network-traffic, file and the "at least one property" SCOs (sections 4 and 6);
* granular markings carry exactly one of ``marking_ref`` and ``lang`` (7.2.3);
* extensions (7.3): each ``extension-definition--`` entry is validated against the schema of that
  extension when it is known (Accord person, Accord handling, TLP 2.0); a
  ``toplevel-property-extension`` entry carries no other property; ``new-*`` entries only on
  custom types; a TLP 2.0 marking definition has the official OASIS id of its colour.

The STIX patterning grammar is not checked: ``pattern`` only has to be a non-empty string.

Before any of these, an object is held to the size limits of ``limits.py`` (names, short strings,
texts, property names, list entries, the object's serialised size); an object over a limit is
refused for that alone, with the property path and the limit, and its content is never quoted.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import jsonschema_rs
import orjson

from accord.engine.stix.limits import (
    BOUNDS_SCHEMA,
    MAX_NAME_LENGTH,
    MAX_OBJECT_BYTES,
    MAX_PROPERTY_NAME_LENGTH,
    MAX_SHORT_TEXT_LENGTH,
    MAX_TEXT_LENGTH,
)
from accord.engine.stix.markings import (
    ACCORD_HANDLING_EXTENSION_ID,
    TLP_2_0_EXTENSION_ID,
    TLP_IDS,
)
from accord.engine.stix.person import PERSON_EXTENSION_ID, PERSON_EXTENSION_SCHEMA
from accord.engine.stix.schemas import (
    BASE64_PATTERN,
    HANDLING_EXTENSION_SCHEMA,
    HEX_PATTERN,
    IDENTIFIER_PATTERN,
    SPEC_TYPES,
    TIMESTAMP_MILLIS_PATTERN,
    TIMESTAMP_PATTERN,
    TLP_2_0_EXTENSION_SCHEMA,
    TYPE_PATTERN,
    object_schema,
    timestamp_properties,
)

__all__ = [
    "DEFAULT_EXTENSION_SCHEMAS",
    "StixValidator",
    "ValidationIssue",
    "bench_validator",
    "measure_validator_throughput",
    "validate_object",
]

#: Extension-definition id -> JSON Schema of the extension's property object.
DEFAULT_EXTENSION_SCHEMAS: Final[Mapping[str, Mapping[str, Any]]] = {
    PERSON_EXTENSION_ID: PERSON_EXTENSION_SCHEMA,
    ACCORD_HANDLING_EXTENSION_ID: HANDLING_EXTENSION_SCHEMA,
    TLP_2_0_EXTENSION_ID: TLP_2_0_EXTENSION_SCHEMA,
}

#: Pairs (earlier, later) that must be ordered where both are present.
_ORDERED: Final[dict[str, tuple[tuple[str, str, bool], ...]]] = {
    # (earlier, later, strictly later?)
    "campaign": (("first_seen", "last_seen", False),),
    "infrastructure": (("first_seen", "last_seen", False),),
    "intrusion-set": (("first_seen", "last_seen", False),),
    "malware": (("first_seen", "last_seen", False),),
    "threat-actor": (("first_seen", "last_seen", False),),
    "indicator": (("valid_from", "valid_until", True),),
    "observed-data": (("first_observed", "last_observed", False),),
    "relationship": (("start_time", "stop_time", True),),
    "sighting": (("first_seen", "last_seen", False),),
    "malware-analysis": (("analysis_started", "analysis_ended", False),),
    "network-traffic": (("start", "end", False),),
}
_AT_LEAST_ONE_SCOS: Final = frozenset(
    {"process", "user-account", "windows-registry-key", "x509-certificate"}
)
_SCO_COMMON_KEYS: Final = frozenset(
    {"type", "id", "spec_version", "object_marking_refs", "granular_markings", "defanged"}
)
_NEW_OBJECT_EXTENSIONS: Final = frozenset({"new-sdo", "new-sco", "new-sro"})

_FRIENDLY_PATTERNS: Final[dict[str, str]] = {
    TIMESTAMP_PATTERN: "is not a valid RFC 3339 timestamp (UTC, ending in 'Z')",
    TIMESTAMP_MILLIS_PATTERN: (
        "is not a valid RFC 3339 timestamp with millisecond precision "
        "(e.g. '2024-01-31T12:00:00.000Z')"
    ),
    IDENTIFIER_PATTERN: "is not a STIX identifier ('<type>--<RFC 4122 UUID>')",
    BASE64_PATTERN: "is not valid base64 (RFC 4648 section 4)",
    HEX_PATTERN: "is not an even number of hexadecimal digits",
    TYPE_PATTERN: "is not a STIX type name (a-z, 0-9 and single hyphens, 3-250 characters)",
    r"^([a-z0-9_]{3,250}|id)$": (
        "is not a valid property name (custom properties use a-z, 0-9 and '_', 3-250 characters)"
    ),
}
_REF_PATTERN: Final = re.compile(r"^\^\(([a-z0-9|-]+)\)--")


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One reason an object is not valid STIX 2.1: where (a property path) and why."""

    path: str
    message: str


def _format_path(parts: Iterable[str | int]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


_LIMIT_NAMES: Final = {
    MAX_NAME_LENGTH: "a name",
    MAX_SHORT_TEXT_LENGTH: "a short string",
    MAX_TEXT_LENGTH: "a text",
}


def _pattern_words(pattern: str) -> str:
    """What a value that does not match ``pattern`` must be, in words where they are known."""
    friendly = _FRIENDLY_PATTERNS.get(pattern)
    if friendly is None:
        match = _REF_PATTERN.match(pattern)
        if match:
            wanted = " or ".join(f"'{t}--'" for t in match.group(1).split("|"))
            friendly = f"must be an identifier of type {wanted}"
    if friendly is None:
        friendly = f"does not match {pattern!r}"
    return friendly


def _describe_property_name(path: str, inner: Any) -> tuple[str, str]:
    """(path, message) for a property name that is refused (``inner``: the error about it)."""
    prop = str(inner.instance)
    if type(inner.kind).__name__ == "MaxLength":
        return path, (
            f"{path or 'object'}: a property name of {len(prop):,} characters; property "
            f"names may have at most {MAX_PROPERTY_NAME_LENGTH}"
        )
    full = _join(path, prop)
    if type(inner.kind).__name__ == "Pattern":
        friendly = _FRIENDLY_PATTERNS.get(str(inner.kind.pattern), "is not an allowed name")
        return full, f"{full}: {prop!r} {friendly}"
    return full, f"{full}: {inner.message}"


def _describe(error: Any) -> tuple[str, str]:
    """(path, message) for one jsonschema_rs error, in words a person can act on; a value
    over a size limit is measured, never quoted."""
    path = _format_path(error.instance_path)
    kind = error.kind
    name = type(kind).__name__
    if name == "MaxLength" and isinstance(error.instance, str):
        limit = int(kind.limit)
        what = _LIMIT_NAMES.get(limit, "this value")
        return path, (
            f"{path or 'value'}: {len(error.instance):,} characters; {what} may have at most "
            f"{limit:,}"
        )
    if name == "MaxItems" and isinstance(error.instance, list):
        return path, (
            f"{path or 'value'}: {len(error.instance):,} entries; a list may have at most "
            f"{int(kind.limit):,}"
        )
    if name == "Required":
        prop = str(kind.property).strip('"')
        full = _join(path, prop)
        return full, f"{full}: required property is missing"
    if name == "Pattern":
        friendly = _pattern_words(str(kind.pattern))
        return path, f"{path or 'value'}: {_short(error.instance)} {friendly}"
    if name == "PropertyNames":
        return _describe_property_name(path, kind.error)
    if name == "Not" and not path:
        return (
            path,
            "object uses a reserved property name (severity, action, username, phone_numbers)",
        )
    if name == "Not":
        return path, f"{path}: {_short(error.instance)} is not allowed here"
    if name == "MinItems" and isinstance(error.instance, list) and not error.instance:
        return path, f"{path}: empty lists are not allowed; omit the property instead"
    if name == "Type" and error.instance is None:
        return path, f"{path}: null is not allowed; omit the property instead"
    if name == "AdditionalProperties":
        return path, f"{path or 'object'}: {error.message}"
    return path, f"{path or 'object'}: {error.message}"


def _valid_date(ts: str) -> bool:
    try:
        date(int(ts[0:4]), int(ts[5:7]), int(ts[8:10]))
    except ValueError:
        return False
    return True


def _ts_key(ts: str) -> str:
    """A key that orders RFC 3339 'Z' timestamps with any number of fractional digits."""
    head, _, frac = ts[:-1].partition(".")
    return f"{head}.{frac:0<9}"


def _messages(validator: Any, instance: Any, prefix: str) -> list[ValidationIssue]:
    issues = []
    seen: set[tuple[str, str]] = set()
    for error in validator.iter_errors(instance):
        path, message = _describe(error)
        full = _join(prefix, path)
        if prefix:
            message = f"{full}: {message.partition(': ')[2]}" if ": " in message else message
        if (full, message) not in seen:
            seen.add((full, message))
            issues.append(ValidationIssue(full, message))
    return issues


class StixValidator:
    """Validates STIX 2.1 objects; compile once, call ``validate`` many times (thread-safe)."""

    def __init__(self, extension_schemas: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        schemas = dict(DEFAULT_EXTENSION_SCHEMAS)
        if extension_schemas:
            schemas.update(extension_schemas)
        self._extensions: dict[str, Any] = {
            ext_id: jsonschema_rs.Draft202012Validator(dict(schema))
            for ext_id, schema in schemas.items()
        }
        self._bounds = jsonschema_rs.Draft202012Validator(BOUNDS_SCHEMA)
        self._types: dict[str, Any] = {}
        self._timestamps: dict[str, tuple[str, ...]] = {}
        for type_name in (*sorted(SPEC_TYPES - {"bundle"}), "custom-sdo", "custom-sco"):
            self._types[type_name] = jsonschema_rs.Draft202012Validator(object_schema(type_name))
            self._timestamps[type_name] = timestamp_properties(type_name)

    # -- public ----------------------------------------------------------------------------

    def validate(self, obj: Any) -> list[ValidationIssue]:
        """Every problem with ``obj`` as a STIX 2.1 object; ``[]`` when it is valid."""
        if not isinstance(obj, dict):
            return [
                ValidationIssue(
                    "", f"a STIX object must be a JSON object, not {type(obj).__name__}"
                )
            ]
        too_large = self._check_limits(obj)
        if too_large:
            return too_large
        type_name = obj.get("type")
        if not isinstance(type_name, str) or not type_name:
            return [ValidationIssue("type", "type: required property is missing or not a string")]
        if type_name == "bundle":
            return [ValidationIssue("type", "type: a bundle is a container, not a STIX object")]
        issues: list[ValidationIssue] = []
        extensions = obj.get("extensions")
        kind = type_name
        if type_name not in self._types:
            kind = self._custom_kind(obj, type_name, extensions, issues)
        validator = self._types[kind]
        if not validator.is_valid(obj):
            issues.extend(_messages(validator, obj, ""))
        self._check_id(obj, type_name, issues)
        self._check_timestamps(obj, kind, type_name, issues)
        if isinstance(extensions, dict):
            self._check_extensions(obj, type_name, extensions, issues)
        if type_name in _CO_CONSTRAINTS:
            _CO_CONSTRAINTS[type_name](obj, issues)
        granular = obj.get("granular_markings")
        if isinstance(granular, list):
            _check_granular(granular, issues)
        return issues

    # -- parts -----------------------------------------------------------------------------

    def _check_limits(self, obj: dict[str, Any]) -> list[ValidationIssue]:
        """The size limits (``limits.py``): one issue per property over its limit (the
        strictest limit where several apply), else one for the whole object's size."""
        if not self._bounds.is_valid(obj):
            strictest: dict[str, tuple[int, str]] = {}
            for error in self._bounds.iter_errors(obj):
                path, message = _describe(error)
                limit = int(getattr(error.kind, "limit", 0) or 0)
                if path not in strictest or limit < strictest[path][0]:
                    strictest[path] = (limit, message)
            return [ValidationIssue(path, message) for path, (_, message) in strictest.items()]
        try:
            size = len(orjson.dumps(obj))
        except (TypeError, orjson.JSONEncodeError):
            return [ValidationIssue("", "object: holds a value that is not JSON")]
        if size > MAX_OBJECT_BYTES:
            return [
                ValidationIssue(
                    "",
                    f"object: {size:,} bytes as JSON; an object may have at most "
                    f"{MAX_OBJECT_BYTES:,}",
                )
            ]
        return []

    def _custom_kind(
        self, obj: dict[str, Any], type_name: str, extensions: Any, issues: list[ValidationIssue]
    ) -> str:
        declared = set()
        if isinstance(extensions, dict):
            for key, ext in extensions.items():
                if key.startswith("extension-definition--") and isinstance(ext, dict):
                    declared.add(ext.get("extension_type"))
        if "new-sco" in declared:
            return "custom-sco"
        if not (declared & _NEW_OBJECT_EXTENSIONS) and not type_name.startswith("x-"):
            issues.append(
                ValidationIssue(
                    "type",
                    f"type: {_short(type_name)} is not a STIX 2.1 type; a custom object type "
                    "needs a new-sdo/new-sco/new-sro extension or an 'x-' prefix",
                )
            )
        return "custom-sdo"

    @staticmethod
    def _check_id(obj: dict[str, Any], type_name: str, issues: list[ValidationIssue]) -> None:
        ident = obj.get("id")
        if isinstance(ident, str) and "--" in ident:
            prefix = ident.split("--", 1)[0]
            if prefix != type_name:
                issues.append(
                    ValidationIssue(
                        "id",
                        f"id: prefix {prefix!r} does not match type {type_name!r}",
                    )
                )

    def _check_timestamps(
        self, obj: dict[str, Any], kind: str, type_name: str, issues: list[ValidationIssue]
    ) -> None:
        values: dict[str, str] = {}
        for prop in self._timestamps[kind]:
            value = obj.get(prop)
            if isinstance(value, str) and len(value) >= 20 and value[-1] == "Z":
                if _valid_date(value):
                    values[prop] = value
                else:
                    issues.append(
                        ValidationIssue(prop, f"{prop}: {value!r} is not a real calendar date")
                    )
        created, modified = values.get("created"), values.get("modified")
        if created and modified and _ts_key(modified) < _ts_key(created):
            issues.append(
                ValidationIssue(
                    "modified",
                    f"modified: {modified!r} is earlier than created {created!r}",
                )
            )
        for earlier, later, strict in _ORDERED.get(type_name, ()):
            a, b = values.get(earlier), values.get(later)
            if a and b:
                ka, kb = _ts_key(a), _ts_key(b)
                if kb < ka or (strict and kb == ka):
                    relation = "later than" if strict else "the same as or later than"
                    issues.append(
                        ValidationIssue(later, f"{later}: {b!r} must be {relation} {earlier} {a!r}")
                    )

    def _check_extensions(
        self,
        obj: dict[str, Any],
        type_name: str,
        extensions: dict[str, Any],
        issues: list[ValidationIssue],
    ) -> None:
        for key, ext in extensions.items():
            if not key.startswith("extension-definition--") or not isinstance(ext, dict):
                continue
            path = f"extensions.{key}"
            ext_type = str(ext.get("extension_type", ""))
            if ext_type == "toplevel-property-extension" or ext_type in _NEW_OBJECT_EXTENSIONS:
                extra = sorted(set(ext) - {"extension_type"})
                if extra:
                    issues.append(
                        ValidationIssue(
                            path,
                            f"{path}: a {ext_type} entry carries only extension_type; "
                            f"move {', '.join(extra)} to the top level of the object",
                        )
                    )
                if ext_type in _NEW_OBJECT_EXTENSIONS and type_name in SPEC_TYPES:
                    issues.append(
                        ValidationIssue(
                            path,
                            f"{path}: {ext_type} cannot be used on the STIX type {type_name!r}",
                        )
                    )
                continue
            validator = self._extensions.get(key)
            if validator is not None and not validator.is_valid(ext):
                issues.extend(_messages(validator, ext, path))
        if type_name == "marking-definition":
            tlp = extensions.get(TLP_2_0_EXTENSION_ID)
            if isinstance(tlp, dict) and str(tlp.get("tlp_2_0")) in TLP_IDS:
                official = TLP_IDS[str(tlp["tlp_2_0"])]
                if obj.get("id") != official:
                    issues.append(
                        ValidationIssue(
                            "id",
                            f"id: a TLP:{str(tlp['tlp_2_0']).upper()} marking definition must "
                            f"have the official id {official}",
                        )
                    )


# -- co-constraints in code (messages name the rule) -------------------------------------------


def _location(obj: dict[str, Any], issues: list[ValidationIssue]) -> None:
    has_lat, has_lon = "latitude" in obj, "longitude" in obj
    if has_lat != has_lon:
        missing = "longitude" if has_lat else "latitude"
        issues.append(ValidationIssue(missing, f"{missing}: latitude and longitude go together"))
    if "precision" in obj and not (has_lat and has_lon):
        issues.append(ValidationIssue("precision", "precision: needs latitude and longitude"))
    if not ("region" in obj or "country" in obj or (has_lat and has_lon)):
        issues.append(
            ValidationIssue("", "a location needs region, country, or latitude and longitude")
        )


def _malware(obj: dict[str, Any], issues: list[ValidationIssue]) -> None:
    if obj.get("is_family") is True and "name" not in obj:
        issues.append(ValidationIssue("name", "name: required when is_family is true"))


def _malware_analysis(obj: dict[str, Any], issues: list[ValidationIssue]) -> None:
    if "result" not in obj and "analysis_sco_refs" not in obj:
        issues.append(
            ValidationIssue("result", "result: one of result or analysis_sco_refs is required")
        )


def _observed_data(obj: dict[str, Any], issues: list[ValidationIssue]) -> None:
    if ("objects" in obj) == ("object_refs" in obj):
        issues.append(
            ValidationIssue(
                "object_refs", "object_refs: exactly one of object_refs or objects is required"
            )
        )


def _artifact(obj: dict[str, Any], issues: list[ValidationIssue]) -> None:
    if ("payload_bin" in obj) == ("url" in obj):
        issues.append(
            ValidationIssue(
                "payload_bin", "payload_bin: exactly one of payload_bin or url is required"
            )
        )
    if "url" in obj and "hashes" not in obj:
        issues.append(ValidationIssue("hashes", "hashes: required when url is present"))
    if "decryption_key" in obj and "encryption_algorithm" not in obj:
        issues.append(
            ValidationIssue("decryption_key", "decryption_key: needs encryption_algorithm")
        )


def _email_message(obj: dict[str, Any], issues: list[ValidationIssue]) -> None:
    multipart = obj.get("is_multipart")
    if multipart is True and "body" in obj:
        issues.append(ValidationIssue("body", "body: not allowed when is_multipart is true"))
    if multipart is False and "body_multipart" in obj:
        issues.append(
            ValidationIssue("body_multipart", "body_multipart: only when is_multipart is true")
        )


def _network_traffic(obj: dict[str, Any], issues: list[ValidationIssue]) -> None:
    if "src_ref" not in obj and "dst_ref" not in obj:
        issues.append(ValidationIssue("src_ref", "src_ref: one of src_ref or dst_ref is required"))
    if obj.get("is_active") is True and "end" in obj:
        issues.append(ValidationIssue("end", "end: not allowed when is_active is true"))


def _file(obj: dict[str, Any], issues: list[ValidationIssue]) -> None:
    if "hashes" not in obj and "name" not in obj:
        issues.append(ValidationIssue("name", "name: one of hashes or name is required"))


def _at_least_one(obj: dict[str, Any], issues: list[ValidationIssue]) -> None:
    if not (obj.keys() - _SCO_COMMON_KEYS):
        issues.append(
            ValidationIssue("", f"a {obj['type']} needs at least one of its own properties")
        )


_CO_CONSTRAINTS: Final = {
    "location": _location,
    "malware": _malware,
    "malware-analysis": _malware_analysis,
    "observed-data": _observed_data,
    "artifact": _artifact,
    "email-message": _email_message,
    "network-traffic": _network_traffic,
    "file": _file,
    **dict.fromkeys(_AT_LEAST_ONE_SCOS, _at_least_one),
}


def _check_granular(granular: list[Any], issues: list[ValidationIssue]) -> None:
    for i, marking in enumerate(granular):
        if isinstance(marking, dict) and ("marking_ref" in marking) == ("lang" in marking):
            path = f"granular_markings[{i}]"
            issues.append(
                ValidationIssue(path, f"{path}: exactly one of marking_ref or lang is required")
            )


_DEFAULT: StixValidator | None = None


def validate_object(obj: Any) -> list[ValidationIssue]:
    """Validate with the module's default ``StixValidator`` (built on first use)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = StixValidator()
    return _DEFAULT.validate(obj)


# -- throughput --------------------------------------------------------------------------------


def measure_validator_throughput(
    objects: list[Any], repeat: int = 3, validator: StixValidator | None = None
) -> float:
    """Objects validated per second over ``repeat`` passes of ``objects`` (best pass)."""
    check = validator or StixValidator()
    if not objects:
        return 0.0
    best = float("inf")
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        for obj in objects:
            check.validate(obj)
        best = min(best, time.perf_counter() - start)
    return len(objects) / best if best > 0 else float("inf")


def _synthetic_person(i: int) -> dict[str, Any]:
    uid = f"{i:08x}-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": f"identity--{uid}",
        "created": "2026-01-02T03:04:05.000Z",
        "modified": "2026-01-02T03:04:05.000Z",
        "created_by_ref": "identity--4cb0a24a-ea08-4a84-8897-6f32db4f7fc6",
        "name": f"Person {i}",
        "identity_class": "individual",
        "object_marking_refs": ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"],
        "extensions": {
            PERSON_EXTENSION_ID: {
                "extension_type": "property-extension",
                "subject_type": "person",
                "names": [
                    {"full_name": f"Person {i}", "name_type": "primary", "script": "Latn"},
                    {"full_name": "محمد", "name_type": "alias", "script": "Arab", "lang": "ar"},
                ],
                "birth_dates": [{"precision": "exact", "date": "1980-05-17"}],
                "nationalities": ["FR"],
                "documents": [
                    {"document_type": "passport", "number": f"P{i:07d}", "issuing_country": "FR"}
                ],
                "watchlist": {"action": "discreet_check", "listed_on": "2025-12-01"},
            }
        },
    }


def bench_validator(n: int = 10_000) -> float:
    """Objects/s on ``n`` synthetic identity objects carrying the Accord person extension."""
    return measure_validator_throughput([_synthetic_person(i) for i in range(n)], repeat=3)
