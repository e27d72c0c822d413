"""Size limits of a STIX object, the same on every write path (REST, import, TAXII, federation).

The validator (``validate.py``) refuses an object that passes one of these limits, naming the
property path and the limit; so does the screening input for names (``MAX_NAME_LENGTH``). The
limits are far above what real records hold (the OASIS examples, the UN Consolidated List and
MITRE ATT&CK stay well within them) and keep one object from filling the store or a page:

- a name (``name``, an entry of ``aliases``, a name of the person extension): at most
  :data:`MAX_NAME_LENGTH` characters;
- another short string (open-vocabulary values, labels, kill-chain phases, external-reference
  source names and ids, places): at most :data:`MAX_SHORT_TEXT_LENGTH` characters;
- any other string (descriptions, patterns, notes, custom properties): at most
  :data:`MAX_TEXT_LENGTH` characters; binary properties (``*_bin``, base64) only count towards
  the object's size;
- a property name or dictionary key: at most :data:`MAX_PROPERTY_NAME_LENGTH` characters
  (STIX 2.1 section 3.1);
- a list: at most :data:`MAX_LIST_ITEMS` entries;
- the whole object, serialised as compact UTF-8 JSON: at most :data:`MAX_OBJECT_BYTES` bytes.

Lengths are counted in characters (Unicode code points), sizes in bytes.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = [
    "BOUNDS_SCHEMA",
    "MAX_LIST_ITEMS",
    "MAX_NAME_LENGTH",
    "MAX_OBJECT_BYTES",
    "MAX_PROPERTY_NAME_LENGTH",
    "MAX_SHORT_TEXT_LENGTH",
    "MAX_TEXT_LENGTH",
    "NAME_PROPERTIES",
    "SHORT_TEXT_PROPERTIES",
]

#: A name: of a person, an organisation, a threat actor, a file... (also the longest name the
#: screening forms and batch files accept).
MAX_NAME_LENGTH: Final = 500
#: Other short strings (vocabulary values, labels, places, reference ids).
MAX_SHORT_TEXT_LENGTH: Final = 1000
#: Descriptions and other long texts (64 Ki characters).
MAX_TEXT_LENGTH: Final = 65_536
#: Property names and dictionary keys (STIX 2.1 section 3.1: at most 250 characters).
MAX_PROPERTY_NAME_LENGTH: Final = 250
#: Entries of one list (ATT&CK's collection object lists every object of the matrix).
MAX_LIST_ITEMS: Final = 100_000
#: The whole object as compact UTF-8 JSON (8 MiB).
MAX_OBJECT_BYTES: Final = 8 * 1024 * 1024

#: Properties (at any depth) that hold a name, or a list of names.
NAME_PROPERTIES: Final = frozenset(
    {
        "name",
        "aliases",
        "full_name",
        "given_name",
        "middle_name",
        "family_name",
        "patronymic",
    }
)
#: Properties (at any depth) that hold a short string, or a list of short strings.
SHORT_TEXT_PROPERTIES: Final = frozenset(
    {
        "administrative_area",
        "architecture_execution_envs",
        "authors",
        "capabilities",
        "city",
        "country",
        "extension_type",
        "external_id",
        "goals",
        "identity_class",
        "implementation_languages",
        "indicator_types",
        "infrastructure_types",
        "kill_chain_name",
        "labels",
        "lang",
        "malware_types",
        "pattern_type",
        "pattern_version",
        "personal_motivations",
        "phase_name",
        "postal_code",
        "primary_motivation",
        "region",
        "relationship_type",
        "report_types",
        "resource_level",
        "roles",
        "secondary_motivations",
        "sectors",
        "sophistication",
        "source_name",
        "spec_version",
        "threat_actor_types",
        "tool_types",
        "tool_version",
    }
)


def _bounded(max_length: int | None) -> dict[str, Any]:
    """Any JSON value whose strings are at most ``max_length`` characters (no limit: None),
    with the limits applying again inside it."""
    schema: dict[str, Any] = {"$ref": "#/$defs/value", "maxItems": MAX_LIST_ITEMS}
    if max_length is not None:
        schema["maxLength"] = max_length
        schema["items"] = {"$ref": "#/$defs/value", "maxLength": max_length}
    return schema


#: A JSON Schema (draft 2020-12) of the limits above, applied at every depth of an object.
#: Keywords apply only to their kind of value (``maxLength`` to strings, ``maxItems`` to
#: arrays), so one definition covers every value.
BOUNDS_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$ref": "#/$defs/value",
    "$defs": {
        "value": {
            "maxLength": MAX_TEXT_LENGTH,
            "maxItems": MAX_LIST_ITEMS,
            "propertyNames": {"maxLength": MAX_PROPERTY_NAME_LENGTH},
            "items": {"$ref": "#/$defs/value"},
            "properties": {
                **{p: _bounded(MAX_NAME_LENGTH) for p in sorted(NAME_PROPERTIES)},
                **{p: _bounded(MAX_SHORT_TEXT_LENGTH) for p in sorted(SHORT_TEXT_PROPERTIES)},
            },
            "patternProperties": {"_bin$": {"$ref": "#/$defs/binary"}},
            "additionalProperties": {"$ref": "#/$defs/value"},
        },
        # Base64 content: bounded by the object's size only.
        "binary": {"maxItems": MAX_LIST_ITEMS, "items": {"$ref": "#/$defs/value"}},
    },
}
