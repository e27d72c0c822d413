"""Accord's own JSON Schemas (draft 2020-12) for STIX 2.1 objects, written from the specification.

STIX 2.1 (OASIS Standard, 10 June 2021) section numbers are cited beside each part. The schemas
carry what JSON Schema says well (required properties, types, enumerations, identifier and
timestamp syntax, the type prefix of references); ``validate.py`` adds the rules that need code
(id prefix equals type, calendar-valid timestamps, ``modified >= created``, co-constraints such as
"exactly one of", extension-definition rules) so that its messages name the rule that failed.

The official OASIS schemas (cti-stix2-json-schemas) are used only by the conformance tests: they
are split over 57 files joined by ``$ref`` and rely on ``oneOf`` chains whose errors are hard to
read, and a few of their rules are laxer or stricter than the specification.
"""

from __future__ import annotations

from typing import Any, Final

from accord.engine.stix.markings import HANDLING_CODES, PURPOSES

__all__ = [
    "BASE64_PATTERN",
    "HANDLING_EXTENSION_SCHEMA",
    "HEX_PATTERN",
    "IDENTIFIER_PATTERN",
    "SCO_TYPES",
    "SDO_TYPES",
    "SPEC_TYPES",
    "SRO_TYPES",
    "TIMESTAMP_MILLIS_PATTERN",
    "TIMESTAMP_PATTERN",
    "TLP_2_0_EXTENSION_SCHEMA",
    "TYPE_PATTERN",
    "UUID_PATTERN",
    "object_schema",
    "timestamp_properties",
]

# --- primitives (section 2) -------------------------------------------------------------------

#: RFC 4122 UUID (versions 1-5, variant 10xx), either case as RFC 4122 reads it (section 2.9).
UUID_PATTERN: Final = (
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
)
#: Type names: a-z, 0-9 and hyphen, no double hyphen, 3 to 250 characters (section 3.1).
TYPE_PATTERN: Final = r"^[a-z0-9]+(-[a-z0-9]+)*-?$"
_TYPE_PART: Final = r"[a-z0-9]+(-[a-z0-9]+)*"
IDENTIFIER_PATTERN: Final = rf"^{_TYPE_PART}--{UUID_PATTERN}$"
#: RFC 3339 in UTC with a literal ``Z`` (section 3.2); seconds may be a leap second.
TIMESTAMP_PATTERN: Final = (
    r"^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?Z$"
)
#: ``created`` and ``modified`` MUST be precise to the nearest millisecond (section 3.2).
TIMESTAMP_MILLIS_PATTERN: Final = (
    r"^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)\.[0-9]{3,}Z$"
)
_HASH_PATTERNS: Final[dict[str, str]] = {
    "MD5": r"^[a-fA-F0-9]{32}$",
    "SHA-1": r"^[a-fA-F0-9]{40}$",
    "SHA-256": r"^[a-fA-F0-9]{64}$",
    "SHA-512": r"^[a-fA-F0-9]{128}$",
    "SHA3-256": r"^[a-fA-F0-9]{64}$",
    "SHA3-512": r"^[a-fA-F0-9]{128}$",
    "SSDEEP": r"^[a-zA-Z0-9/+:.]{1,128}$",
    "TLSH": r"^[a-zA-Z0-9]{70}$",
}

#: Binary (section 2.1) and hex (2.4) property values.
BASE64_PATTERN: Final = (
    r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)$"
)
HEX_PATTERN: Final = r"^([a-fA-F0-9]{2})+$"

STR: Final[dict[str, Any]] = {"type": "string"}
NONEMPTY: Final[dict[str, Any]] = {"type": "string", "minLength": 1}
BOOL: Final[dict[str, Any]] = {"type": "boolean"}
INT: Final[dict[str, Any]] = {"type": "integer"}
TS: Final[dict[str, Any]] = {"type": "string", "pattern": TIMESTAMP_PATTERN}
TS_MILLIS: Final[dict[str, Any]] = {"type": "string", "pattern": TIMESTAMP_MILLIS_PATTERN}
STRS: Final[dict[str, Any]] = {"type": "array", "minItems": 1, "items": STR}
ANY_REF: Final[dict[str, Any]] = {"type": "string", "pattern": IDENTIFIER_PATTERN}
ANY_REFS: Final[dict[str, Any]] = {"type": "array", "minItems": 1, "items": ANY_REF}


def ref(*types: str) -> dict[str, Any]:
    """An identifier whose type is one of ``types`` (section 2.9 and each ``_ref`` property)."""
    return {"type": "string", "pattern": rf"^({'|'.join(types)})--{UUID_PATTERN}$"}


def refs(*types: str) -> dict[str, Any]:
    return {"type": "array", "minItems": 1, "items": ref(*types)}


def ref_not(*types: str) -> dict[str, Any]:
    """An identifier whose type is none of ``types``."""
    return {
        "type": "string",
        "pattern": IDENTIFIER_PATTERN,
        "not": {"pattern": ref(*types)["pattern"]},
    }


HASHES: Final[dict[str, Any]] = {
    # section 2.7 hashes: keys from hashing-algorithm-ov or custom, 3-250 of [a-zA-Z0-9_-].
    "type": "object",
    "minProperties": 1,
    "propertyNames": {"pattern": r"^[a-zA-Z0-9_-]{3,250}$"},
    "additionalProperties": STR,
    "properties": {k: {"type": "string", "pattern": p} for k, p in _HASH_PATTERNS.items()},
}
DICTIONARY: Final[dict[str, Any]] = {
    # section 2.6: keys ASCII, at most 250 characters.
    "type": "object",
    "minProperties": 1,
    "propertyNames": {"pattern": r"^[a-zA-Z0-9_-]{0,250}$"},
    "additionalProperties": {"not": {"type": "null"}},
}
KILL_CHAIN_PHASES: Final[dict[str, Any]] = {
    # section 2.8
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["kill_chain_name", "phase_name"],
        "properties": {"kill_chain_name": NONEMPTY, "phase_name": NONEMPTY},
    },
}
EXTERNAL_REFERENCES: Final[dict[str, Any]] = {
    # section 2.5: source_name plus at least one of description, url, external_id; CVE and CAPEC
    # ids have fixed syntax.
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["source_name"],
        "properties": {
            "source_name": STR,
            "description": STR,
            "url": STR,
            "hashes": HASHES,
            "external_id": STR,
        },
        "anyOf": [
            {"required": ["description"]},
            {"required": ["url"]},
            {"required": ["external_id"]},
        ],
        "allOf": [
            {
                "if": {"properties": {"source_name": {"const": "cve"}}},
                "then": {
                    "properties": {"external_id": {"pattern": r"^CVE-\d{4}-(0\d{3}|[1-9]\d{3,})$"}}
                },
            },
            {
                "if": {"properties": {"source_name": {"const": "capec"}}},
                "then": {"properties": {"external_id": {"pattern": r"^CAPEC-\d+$"}}},
            },
        ],
    },
}
GRANULAR_MARKINGS: Final[dict[str, Any]] = {
    # section 7.2.3: selectors plus exactly one of marking_ref and lang (checked in code).
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["selectors"],
        "properties": {
            "selectors": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "string",
                    "pattern": r"^([a-z0-9_-]{3,250}(\.(\[\d+\]|[a-z0-9_-]{1,250}))*|id)$",
                },
            },
            "lang": STR,
            "marking_ref": ref("marking-definition"),
        },
    },
}
EXTENSION_TYPES: Final = (
    "new-sdo",
    "new-sco",
    "new-sro",
    "property-extension",
    "toplevel-property-extension",
)
EXTENSIONS: Final[dict[str, Any]] = {
    # section 7.3: keyed by extension-definition id (or a predefined ``*-ext`` name for SCOs).
    "type": "object",
    "minProperties": 1,
    "patternProperties": {
        rf"^extension-definition--{UUID_PATTERN}$": {
            "type": "object",
            "required": ["extension_type"],
            "properties": {"extension_type": {"enum": list(EXTENSION_TYPES)}},
        },
        r"^[a-z0-9]+(-[a-z0-9]+)*-ext$": {"type": "object", "minProperties": 1},
    },
    "additionalProperties": False,
}

#: Any top-level property value: no null, no empty list (section 3.1 "empty lists prohibited").
_TOP_VALUE: Final[dict[str, Any]] = {
    "type": ["string", "number", "boolean", "object", "array"],
    "minItems": 1,
}
_RESERVED: Final = ("severity", "action", "username", "phone_numbers")  # section 3.1 reserved names


def _base(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": required,
        "properties": props,
        # Property names: a-z, 0-9, underscore, 3-250 characters ("id" is the one short one).
        "propertyNames": {"pattern": r"^([a-z0-9_]{3,250}|id)$"},
        "patternProperties": {
            "": _TOP_VALUE,
            r"_bin$": {"type": "string", "pattern": BASE64_PATTERN},
            r"_hex$": {"type": "string", "pattern": HEX_PATTERN},
        },
        "not": {"anyOf": [{"required": [name]} for name in _RESERVED]},
    }


# --- common properties (section 3.2) ----------------------------------------------------------

_COMMON: Final[dict[str, Any]] = {
    "type": {"type": "string", "pattern": TYPE_PATTERN, "minLength": 3, "maxLength": 250},
    "spec_version": {"const": "2.1"},
    "id": ANY_REF,
    "created_by_ref": ref("identity"),
    "created": TS_MILLIS,
    "modified": TS_MILLIS,
    "revoked": BOOL,
    "labels": STRS,
    "confidence": {"type": "integer", "minimum": 0, "maximum": 100},
    "lang": STR,
    "external_references": EXTERNAL_REFERENCES,
    "object_marking_refs": refs("marking-definition"),
    "granular_markings": GRANULAR_MARKINGS,
    "extensions": EXTENSIONS,
}
_SDO_REQUIRED: Final = ["type", "spec_version", "id", "created", "modified"]
_SCO_COMMON: Final[dict[str, Any]] = {
    "type": _COMMON["type"],
    "spec_version": {"const": "2.1"},
    "id": ANY_REF,
    "object_marking_refs": refs("marking-definition"),
    "granular_markings": GRANULAR_MARKINGS,
    "defanged": BOOL,
    "extensions": EXTENSIONS,
}
_SCO_REQUIRED: Final = ["type", "id"]

_SRO_ENDPOINT: Final = ref_not(
    "relationship",
    "sighting",
    "bundle",
    "marking-definition",
    "language-content",
    "extension-definition",
)

# --- SDOs (section 4): type -> (properties, extra required) -----------------------------------

_NAMED: Final = {"name": NONEMPTY, "description": STR}
SDO_SPECS: Final[dict[str, tuple[dict[str, Any], list[str]]]] = {
    "attack-pattern": (
        {**_NAMED, "aliases": STRS, "kill_chain_phases": KILL_CHAIN_PHASES},
        ["name"],
    ),
    "campaign": (
        {**_NAMED, "aliases": STRS, "first_seen": TS, "last_seen": TS, "objective": STR},
        ["name"],
    ),
    "course-of-action": ({**_NAMED, "action_type": STR, "os_execution_envs": STRS}, ["name"]),
    "grouping": (
        {**_NAMED, "context": NONEMPTY, "object_refs": ANY_REFS},
        ["context", "object_refs"],
    ),
    "identity": (
        {
            **_NAMED,
            "roles": STRS,
            "identity_class": STR,
            "sectors": STRS,
            "contact_information": STR,
        },
        ["name"],
    ),
    "incident": ({**_NAMED, "kill_chain_phases": KILL_CHAIN_PHASES}, ["name"]),
    "indicator": (
        {
            "name": STR,
            "description": STR,
            "indicator_types": STRS,
            "pattern": NONEMPTY,
            "pattern_type": NONEMPTY,
            "pattern_version": STR,
            "valid_from": TS,
            "valid_until": TS,
            "kill_chain_phases": KILL_CHAIN_PHASES,
        },
        ["pattern", "pattern_type", "valid_from"],
    ),
    "infrastructure": (
        {
            **_NAMED,
            "infrastructure_types": STRS,
            "aliases": STRS,
            "kill_chain_phases": KILL_CHAIN_PHASES,
            "first_seen": TS,
            "last_seen": TS,
        },
        ["name"],
    ),
    "intrusion-set": (
        {
            **_NAMED,
            "aliases": STRS,
            "first_seen": TS,
            "last_seen": TS,
            "goals": STRS,
            "resource_level": STR,
            "primary_motivation": STR,
            "secondary_motivations": STRS,
        },
        ["name"],
    ),
    "location": (
        {
            "name": STR,
            "description": STR,
            "latitude": {"type": "number", "minimum": -90, "maximum": 90},
            "longitude": {"type": "number", "minimum": -180, "maximum": 180},
            "precision": {"type": "number", "minimum": 0},
            "region": STR,
            "country": STR,
            "administrative_area": STR,
            "city": STR,
            "street_address": STR,
            "postal_code": STR,
        },
        [],
    ),
    "malware": (
        {
            "name": STR,
            "description": STR,
            "malware_types": STRS,
            "is_family": BOOL,
            "aliases": STRS,
            "kill_chain_phases": KILL_CHAIN_PHASES,
            "first_seen": TS,
            "last_seen": TS,
            "operating_system_refs": refs("software"),
            "architecture_execution_envs": STRS,
            "implementation_languages": STRS,
            "capabilities": STRS,
            "sample_refs": refs("file", "artifact"),
        },
        ["is_family"],
    ),
    "malware-analysis": (
        {
            "product": NONEMPTY,
            "version": STR,
            "host_vm_ref": ref("software"),
            "operating_system_ref": ref("software"),
            "installed_software_refs": refs("software"),
            "configuration_version": STR,
            "modules": STRS,
            "analysis_engine_version": STR,
            "analysis_definition_version": STR,
            "submitted": TS,
            "analysis_started": TS,
            "analysis_ended": TS,
            "result_name": STR,
            "result": STR,
            "analysis_sco_refs": ANY_REFS,
            "sample_ref": ref("file", "artifact", "network-traffic"),
        },
        ["product"],
    ),
    "note": (
        {"abstract": STR, "content": NONEMPTY, "authors": STRS, "object_refs": ANY_REFS},
        ["content", "object_refs"],
    ),
    "observed-data": (
        {
            "first_observed": TS,
            "last_observed": TS,
            "number_observed": {"type": "integer", "minimum": 1, "maximum": 999999999},
            "objects": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {
                    "type": "object",
                    "required": ["type"],
                    "properties": {"type": {"type": "string", "pattern": TYPE_PATTERN}},
                },
            },
            "object_refs": ANY_REFS,
        },
        ["first_observed", "last_observed", "number_observed"],
    ),
    "opinion": (
        {
            "explanation": STR,
            "authors": STRS,
            "opinion": {
                "enum": ["strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"]
            },
            "object_refs": ANY_REFS,
        },
        ["opinion", "object_refs"],
    ),
    "report": (
        {**_NAMED, "report_types": STRS, "published": TS, "object_refs": ANY_REFS},
        ["name", "published", "object_refs"],
    ),
    "threat-actor": (
        {
            **_NAMED,
            "threat_actor_types": STRS,
            "aliases": STRS,
            "first_seen": TS,
            "last_seen": TS,
            "roles": STRS,
            "goals": STRS,
            "sophistication": STR,
            "resource_level": STR,
            "primary_motivation": STR,
            "secondary_motivations": STRS,
            "personal_motivations": STRS,
        },
        ["name"],
    ),
    "tool": (
        {
            **_NAMED,
            "tool_types": STRS,
            "aliases": STRS,
            "kill_chain_phases": KILL_CHAIN_PHASES,
            "tool_version": STR,
        },
        ["name"],
    ),
    "vulnerability": (_NAMED, ["name"]),
}

# --- SROs (section 5) -------------------------------------------------------------------------

SRO_SPECS: Final[dict[str, tuple[dict[str, Any], list[str]]]] = {
    "relationship": (
        {
            "relationship_type": {"type": "string", "pattern": r"^[a-z0-9-]+$"},
            "description": STR,
            "source_ref": _SRO_ENDPOINT,
            "target_ref": _SRO_ENDPOINT,
            "start_time": TS,
            "stop_time": TS,
        },
        ["relationship_type", "source_ref", "target_ref"],
    ),
    "sighting": (
        {
            "description": STR,
            "first_seen": TS,
            "last_seen": TS,
            "count": {"type": "integer", "minimum": 0, "maximum": 999999999},
            "sighting_of_ref": _SRO_ENDPOINT,
            "observed_data_refs": refs("observed-data"),
            "where_sighted_refs": refs("identity", "location"),
            "summary": BOOL,
        },
        ["sighting_of_ref"],
    ),
}

# --- meta objects (section 7) -----------------------------------------------------------------

_TLP1: Final = {
    "white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}
_MARKING_DEFINITION: Final[dict[str, Any]] = {
    **_base(
        {
            "type": {"const": "marking-definition"},
            "spec_version": {"const": "2.1"},
            "id": ref("marking-definition"),
            "created_by_ref": ref("identity"),
            "created": TS_MILLIS,
            "external_references": EXTERNAL_REFERENCES,
            "object_marking_refs": refs("marking-definition"),
            "granular_markings": GRANULAR_MARKINGS,
            "name": STR,
            "definition_type": NONEMPTY,
            "definition": {"type": "object"},
            "extensions": EXTENSIONS,
        },
        ["type", "spec_version", "id", "created"],
    ),
    "allOf": [
        # 7.2.1: definition_type and definition are required where there are no extensions.
        {"if": {"not": {"required": ["extensions"]}}, "then": {"required": ["definition_type"]}},
        {
            "dependentRequired": {
                "definition_type": ["definition"],
                "definition": ["definition_type"],
            }
        },
        {
            # 7.2.1.3 statement marking
            "if": {
                "properties": {"definition_type": {"const": "statement"}},
                "required": ["definition_type"],
            },
            "then": {
                "properties": {
                    "definition": {
                        "type": "object",
                        "required": ["statement"],
                        "properties": {"statement": NONEMPTY},
                    }
                }
            },
        },
        {
            # 7.2.1.4 TLP 1.0: only the four predefined objects, exactly as published.
            "if": {
                "properties": {"definition_type": {"const": "tlp"}},
                "required": ["definition_type"],
            },
            "then": {
                "properties": {"created": {"const": "2017-01-20T00:00:00.000Z"}},
                "required": ["name"],
                "propertyNames": {
                    "enum": [
                        "type",
                        "spec_version",
                        "id",
                        "created",
                        "name",
                        "definition_type",
                        "definition",
                    ]
                },
                "anyOf": [
                    {
                        "properties": {
                            "id": {"const": mid},
                            "name": {"const": f"TLP:{colour.upper()}"},
                            "definition": {
                                "type": "object",
                                "required": ["tlp"],
                                "properties": {"tlp": {"const": colour}},
                            },
                        }
                    }
                    for colour, mid in _TLP1.items()
                ],
            },
        },
    ],
}
_LANGUAGE_CONTENT: Final = (
    {
        "object_ref": ref_not("bundle", "language-content"),
        "object_modified": TS_MILLIS,
        "contents": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {"type": "object", "minProperties": 1},
        },
    },
    ["object_ref", "contents"],
)
_EXTENSION_DEFINITION: Final = (
    {
        "name": NONEMPTY,
        "description": STR,
        "schema": NONEMPTY,
        "version": NONEMPTY,
        "extension_types": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"enum": list(EXTENSION_TYPES)},
        },
        "extension_properties": STRS,
    },
    ["created_by_ref", "name", "schema", "version", "extension_types"],
)

# --- SCOs (section 6) -------------------------------------------------------------------------

_IPV4: Final = (
    r"^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
    r"(/(3[0-2]|[12]?[0-9]))?$"
)
_MIME_PART: Final = {
    "type": "object",
    "properties": {
        "body": STR,
        "body_raw_ref": ref("artifact", "file"),
        "content_type": STR,
        "content_disposition": STR,
    },
}
SCO_SPECS: Final[dict[str, tuple[dict[str, Any], list[str]]]] = {
    "artifact": (
        {
            "mime_type": STR,
            "payload_bin": {"type": "string"},
            "url": STR,
            "hashes": HASHES,
            "encryption_algorithm": {
                "enum": ["AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated"]
            },
            "decryption_key": STR,
        },
        [],
    ),
    "autonomous-system": ({"number": INT, "name": STR, "rir": STR}, ["number"]),
    "directory": (
        {
            "path": NONEMPTY,
            "path_enc": STR,
            "ctime": TS,
            "mtime": TS,
            "atime": TS,
            "contains_refs": refs("file", "directory"),
        },
        ["path"],
    ),
    "domain-name": (
        {"value": NONEMPTY, "resolves_to_refs": refs("ipv4-addr", "ipv6-addr", "domain-name")},
        ["value"],
    ),
    "email-addr": (
        {"value": NONEMPTY, "display_name": STR, "belongs_to_ref": ref("user-account")},
        ["value"],
    ),
    "email-message": (
        {
            "is_multipart": BOOL,
            "date": TS,
            "content_type": STR,
            "from_ref": ref("email-addr"),
            "sender_ref": ref("email-addr"),
            "to_refs": refs("email-addr"),
            "cc_refs": refs("email-addr"),
            "bcc_refs": refs("email-addr"),
            "message_id": STR,
            "subject": STR,
            "received_lines": STRS,
            "additional_header_fields": DICTIONARY,
            "body": STR,
            "body_multipart": {"type": "array", "minItems": 1, "items": _MIME_PART},
            "raw_email_ref": ref("artifact"),
        },
        ["is_multipart"],
    ),
    "file": (
        {
            "hashes": HASHES,
            "size": {"type": "integer", "minimum": 0},
            "name": STR,
            "name_enc": STR,
            "magic_number_hex": {"type": "string", "pattern": HEX_PATTERN},
            "mime_type": STR,
            "ctime": TS,
            "mtime": TS,
            "atime": TS,
            "parent_directory_ref": ref("directory"),
            "contains_refs": ANY_REFS,
            "content_ref": ref("artifact"),
        },
        [],
    ),
    "ipv4-addr": (
        {
            "value": {"type": "string", "pattern": _IPV4},
            "resolves_to_refs": refs("mac-addr"),
            "belongs_to_refs": refs("autonomous-system"),
        },
        ["value"],
    ),
    "ipv6-addr": (
        {
            "value": NONEMPTY,
            "resolves_to_refs": refs("mac-addr"),
            "belongs_to_refs": refs("autonomous-system"),
        },
        ["value"],
    ),
    "mac-addr": (
        {"value": {"type": "string", "pattern": r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$"}},
        ["value"],
    ),
    "mutex": ({"name": NONEMPTY}, ["name"]),
    "network-traffic": (
        {
            "start": TS,
            "end": TS,
            "is_active": BOOL,
            "src_ref": ref("ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"),
            "dst_ref": ref("ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"),
            "src_port": {"type": "integer", "minimum": 0, "maximum": 65535},
            "dst_port": {"type": "integer", "minimum": 0, "maximum": 65535},
            "protocols": STRS,
            "src_byte_count": {"type": "integer", "minimum": 0},
            "dst_byte_count": {"type": "integer", "minimum": 0},
            "src_packets": {"type": "integer", "minimum": 0},
            "dst_packets": {"type": "integer", "minimum": 0},
            "ipfix": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {"type": ["string", "integer"]},
            },
            "src_payload_ref": ref("artifact"),
            "dst_payload_ref": ref("artifact"),
            "encapsulates_refs": refs("network-traffic"),
            "encapsulated_by_ref": ref("network-traffic"),
        },
        ["protocols"],
    ),
    "process": (
        {
            "is_hidden": BOOL,
            "pid": INT,
            "created_time": TS,
            "cwd": STR,
            "command_line": STR,
            "environment_variables": DICTIONARY,
            "opened_connection_refs": refs("network-traffic"),
            "creator_user_ref": ref("user-account"),
            "image_ref": ref("file"),
            "parent_ref": ref("process"),
            "child_refs": refs("process"),
        },
        [],
    ),
    "software": (
        {
            "name": NONEMPTY,
            "cpe": STR,
            "swid": STR,
            "languages": STRS,
            "vendor": STR,
            "version": STR,
        },
        ["name"],
    ),
    "url": ({"value": NONEMPTY}, ["value"]),
    "user-account": (
        {
            "user_id": STR,
            "credential": STR,
            "account_login": STR,
            "account_type": STR,
            "display_name": STR,
            "is_service_account": BOOL,
            "is_privileged": BOOL,
            "can_escalate_privs": BOOL,
            "is_disabled": BOOL,
            "account_created": TS,
            "account_expires": TS,
            "credential_last_changed": TS,
            "account_first_login": TS,
            "account_last_login": TS,
        },
        [],
    ),
    "windows-registry-key": (
        {
            "key": STR,
            "values": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "name": STR,
                        "data": STR,
                        "data_type": {
                            "enum": [
                                "REG_NONE",
                                "REG_SZ",
                                "REG_EXPAND_SZ",
                                "REG_BINARY",
                                "REG_DWORD",
                                "REG_DWORD_BIG_ENDIAN",
                                "REG_DWORD_LITTLE_ENDIAN",
                                "REG_LINK",
                                "REG_MULTI_SZ",
                                "REG_RESOURCE_LIST",
                                "REG_FULL_RESOURCE_DESCRIPTION",
                                "REG_RESOURCE_REQUIREMENTS_LIST",
                                "REG_QWORD",
                                "REG_INVALID_TYPE",
                            ]
                        },
                    },
                },
            },
            "modified_time": TS,
            "creator_user_ref": ref("user-account"),
            "number_of_subkeys": {"type": "integer", "minimum": 0},
        },
        [],
    ),
    "x509-certificate": (
        {
            "is_self_signed": BOOL,
            "hashes": HASHES,
            "version": STR,
            "serial_number": STR,
            "signature_algorithm": STR,
            "issuer": STR,
            "validity_not_before": TS,
            "validity_not_after": TS,
            "subject": STR,
            "subject_public_key_algorithm": STR,
            "subject_public_key_modulus": STR,
            "subject_public_key_exponent": INT,
            "x509_v3_extensions": {"type": "object", "minProperties": 1},
        },
        [],
    ),
}

SDO_TYPES: Final = frozenset(SDO_SPECS)
SRO_TYPES: Final = frozenset(SRO_SPECS)
SCO_TYPES: Final = frozenset(SCO_SPECS)
META_TYPES: Final = frozenset({"marking-definition", "language-content", "extension-definition"})
SPEC_TYPES: Final = SDO_TYPES | SRO_TYPES | SCO_TYPES | META_TYPES | {"bundle"}


def _typed(type_name: str, props: dict[str, Any]) -> dict[str, Any]:
    return {**props, "type": {"const": type_name}, "id": ref(type_name)}


def object_schema(type_name: str) -> dict[str, Any]:
    """The schema for one object type; unknown (custom) types get the common SDO schema, and
    ``"custom-sco"`` the common SCO schema."""
    if type_name == "marking-definition":
        return _MARKING_DEFINITION
    if type_name in SCO_SPECS:
        props, required = SCO_SPECS[type_name]
        return _base(_typed(type_name, {**_SCO_COMMON, **props}), _SCO_REQUIRED + required)
    if type_name == "custom-sco":
        return _base(_SCO_COMMON, _SCO_REQUIRED)
    spec = SDO_SPECS.get(type_name) or SRO_SPECS.get(type_name)
    if type_name == "language-content":
        spec = _LANGUAGE_CONTENT
    elif type_name == "extension-definition":
        spec = _EXTENSION_DEFINITION
    if spec is None:
        return _base(_COMMON, _SDO_REQUIRED)
    props, required = spec
    return _base(_typed(type_name, {**_COMMON, **props}), _SDO_REQUIRED + required)


def timestamp_properties(type_name: str) -> tuple[str, ...]:
    """Top-level timestamp properties of ``type_name`` (for the calendar check in code)."""
    schema = object_schema(type_name)
    return tuple(
        name
        for name, sub in schema["properties"].items()
        if isinstance(sub, dict)
        and sub.get("pattern") in (TIMESTAMP_PATTERN, TIMESTAMP_MILLIS_PATTERN)
    )


# --- schemas of known extensions --------------------------------------------------------------

#: OASIS TLP 2.0 extension (cti-stix-common-objects, extension-definition--60a3c5c5-...).
TLP_2_0_EXTENSION_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["extension_type", "tlp_2_0"],
    "additionalProperties": False,
    "properties": {
        "extension_type": {"const": "property-extension"},
        "tlp_2_0": {"enum": ["clear", "green", "amber", "amber+strict", "red"]},
    },
}

#: Accord handling marking (markings.py): Europol handling code, free-text restriction,
#: releasability to jurisdictions and permitted purposes. H3 ("other restrictions") needs text.
HANDLING_EXTENSION_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://accord.invalid/schemas/accord-handling-marking.json",
    "title": "Accord handling marking extension",
    "type": "object",
    "required": ["extension_type"],
    "additionalProperties": False,
    "properties": {
        "extension_type": {"const": "property-extension"},
        "handling_code": {"enum": list(HANDLING_CODES)},
        "restriction": {"type": "string", "minLength": 1, "maxLength": 2000},
        "releasable_to": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"type": "string", "pattern": r"^[A-Z]{2}$|^[A-Z][A-Z0-9-]{2,15}$"},
        },
        "purposes": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"enum": list(PURPOSES)},
        },
    },
    "if": {"properties": {"handling_code": {"const": "H3"}}, "required": ["handling_code"]},
    "then": {"required": ["restriction"]},
}
