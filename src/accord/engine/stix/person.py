"""The Accord person-of-interest extension: a STIX 2.1 property-extension on ``identity``.

A person (``identity_class: individual``) or an organisation (``identity_class: organization``)
that is of interest carries the extension under
``extensions["extension-definition--0c4ac2c4-...]``. It holds what STIX's ``identity`` lacks for
screening and investigations: name variants by script and language, birth dates with their
precision, places of birth, nationalities, gender, identity documents, phones, e-mail addresses and
a watchlist entry. The JSON Schema below is what the node publishes and what the store validates.
"""

from __future__ import annotations

from typing import Any, Final

from accord.engine.stix.markings import ACCORD_IDENTITY_ID, MARKING_EPOCH

__all__ = [
    "NAME_TYPES",
    "PERSON_EXTENSION_ID",
    "PERSON_EXTENSION_SCHEMA",
    "WATCHLIST_ACTIONS",
    "matching_birth_dates",
    "person_extension",
    "person_extension_definition",
]

PERSON_EXTENSION_ID: Final = "extension-definition--0c4ac2c4-2a4e-4b5f-9c1e-4d0a7e6b5f31"
SCHEMA_URL: Final = "urn:accord:schema:person-of-interest.json"

NAME_TYPES: Final = ("primary", "alias", "weak_alias", "maiden", "former")
BIRTH_DATE_PRECISIONS: Final = ("exact", "month", "year", "approximate", "between")
GENDERS: Final = ("male", "female", "other", "unknown")
#: What an officer is asked to do on a hit (SIS Art 36 checks, INTERPOL notices, UN sanctions).
WATCHLIST_ACTIONS: Final[dict[str, str]] = {
    "arrest": "Arrest (a warrant or Red Notice exists)",
    "discreet_check": "Discreet check: gather information without alerting the person",
    "inquiry_check": "Inquiry check: interview the person",
    "specific_check": "Specific check: search the person, vehicle and items",
    "deny_entry": "Deny entry or boarding (travel ban)",
    "freeze_assets": "Freeze funds and economic resources (sanctions)",
    "notify_originator": "Notify the originator immediately, take no other action",
    "monitor": "Record the encounter only",
}

_date = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_country = {"type": "string", "pattern": r"^[A-Z]{2}$|^[A-Z][A-Z0-9-]{2,15}$"}
_text = {"type": "string", "minLength": 1, "maxLength": 1000}

PERSON_EXTENSION_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_URL,
    "title": "Accord person-of-interest extension",
    "type": "object",
    "required": ["extension_type", "names"],
    "additionalProperties": False,
    "properties": {
        "extension_type": {"const": "property-extension"},
        "subject_type": {"enum": ["person", "organization"]},
        "names": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["full_name", "name_type"],
                "additionalProperties": False,
                "properties": {
                    "full_name": {"type": "string", "minLength": 1, "maxLength": 500},
                    "given_name": {"type": "string", "maxLength": 200},
                    "middle_name": {"type": "string", "maxLength": 200},
                    "family_name": {"type": "string", "maxLength": 200},
                    "patronymic": {"type": "string", "maxLength": 200},
                    "name_type": {"enum": list(NAME_TYPES)},
                    "script": {"type": "string", "pattern": r"^[A-Z][a-z]{3}$"},
                    "lang": {"type": "string", "pattern": r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"},
                },
            },
        },
        "birth_dates": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["precision"],
                "additionalProperties": False,
                "properties": {
                    "precision": {"enum": list(BIRTH_DATE_PRECISIONS)},
                    "date": _date,
                    "year": {"type": "integer", "minimum": 1800, "maximum": 2200},
                    "from_year": {"type": "integer", "minimum": 1800, "maximum": 2200},
                    "to_year": {"type": "integer", "minimum": 1800, "maximum": 2200},
                    "note": _text,
                },
                "allOf": [
                    {
                        "if": {"properties": {"precision": {"const": "exact"}}},
                        "then": {"required": ["date"]},
                    },
                    {
                        "if": {"properties": {"precision": {"enum": ["year", "approximate"]}}},
                        "then": {"anyOf": [{"required": ["year"]}, {"required": ["date"]}]},
                    },
                    {
                        "if": {"properties": {"precision": {"const": "between"}}},
                        "then": {"required": ["from_year", "to_year"]},
                    },
                ],
            },
        },
        "birth_places": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "minProperties": 1,
                "properties": {
                    "city": _text,
                    "region": _text,
                    "country": _country,
                    "text": _text,
                },
            },
        },
        "nationalities": {"type": "array", "items": _country},
        "gender": {"enum": list(GENDERS)},
        "documents": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["document_type", "number"],
                "additionalProperties": False,
                "properties": {
                    "document_type": {"type": "string", "minLength": 1, "maxLength": 100},
                    "number": {"type": "string", "minLength": 1, "maxLength": 100},
                    "issuing_country": _country,
                    "issued_on": _date,
                    "expires_on": _date,
                    "note": _text,
                },
            },
        },
        "phones": {"type": "array", "items": {"type": "string", "pattern": r"^\+[1-9]\d{4,14}$"}},
        "emails": {
            "type": "array",
            "items": {"type": "string", "pattern": r"^[^@\s]+@[^@\s]+$", "maxLength": 320},
        },
        "addresses": {"type": "array", "items": _text},
        "reference_numbers": {"type": "array", "items": {"type": "string", "maxLength": 100}},
        "watchlist": {
            "type": "object",
            "required": ["action"],
            "additionalProperties": False,
            "properties": {
                "action": {"enum": list(WATCHLIST_ACTIONS)},
                "reason": _text,
                "listed_on": _date,
                "review_by": _date,
                "list_name": {"type": "string", "maxLength": 200},
                "reference": {"type": "string", "maxLength": 100},
            },
        },
        "comments": {"type": "string", "maxLength": 10000},
    },
}


def person_extension_definition() -> dict[str, Any]:
    """The ``extension-definition`` object the node publishes for the person extension."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": PERSON_EXTENSION_ID,
        "created_by_ref": ACCORD_IDENTITY_ID,
        "created": MARKING_EPOCH,
        "modified": MARKING_EPOCH,
        "name": "Accord person of interest",
        "description": (
            "Name variants by script and language, birth dates with precision, places of birth, "
            "nationalities, gender, identity documents, phones, e-mail addresses and a watchlist "
            "entry for a person or organisation of interest."
        ),
        "schema": (
            "JSON Schema (draft 2020-12) served by every Accord node at "
            "/schemas/person-of-interest.json; its $id is " + SCHEMA_URL
        ),
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    }


def person_extension(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The person extension of ``obj``, or None when it has none."""
    ext = (obj.get("extensions") or {}).get(PERSON_EXTENSION_ID)
    return ext if isinstance(ext, dict) else None


def matching_birth_dates(ext: dict[str, Any]) -> list[str]:
    """The birth dates of a person extension in the screening matcher's form, each once, in
    order: ``YYYY-MM-DD`` (exact), ``YYYY-MM`` (month), ``YYYY`` (year), ``~YYYY`` (approximate),
    ``YYYY..YYYY`` (between); entries it cannot read are skipped."""
    out: list[str] = []
    for b in ext.get("birth_dates") or ():
        if not isinstance(b, dict):
            continue
        precision, day = b.get("precision"), str(b.get("date", ""))
        year = b.get("year") or (int(day[:4]) if day[:4].isdigit() else None)
        if precision == "exact" and day:
            out.append(day)
        elif precision == "month" and day:
            out.append(day[:7])
        elif precision == "year" and year:
            out.append(str(year))
        elif precision == "approximate" and year:
            out.append(f"~{year}")
        elif precision == "between" and b.get("from_year") and b.get("to_year"):
            out.append(f"{b['from_year']}..{b['to_year']}")
    return list(dict.fromkeys(out))
