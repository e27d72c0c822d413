"""Response schemas of the REST API (documented in the OpenAPI document)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ninja import Path, Schema

from accord.engine.json_input import MAX_JSON_DEPTH, MAX_JSON_INTEGER

__all__ = [
    "JSON_VALUE",
    "JSON_VALUE_SCHEMA",
    "MULTILINE_TEXT",
    "NO_CONTROL_CHARACTERS",
    "STIX_ID_PATH_PATTERN",
    "ImportAcceptedSchema",
    "ImportJobSchema",
    "MarkingsSchema",
    "ProblemErrorSchema",
    "ProblemSchema",
    "RecordSchema",
    "RecordSummarySchema",
    "SearchPageSchema",
    "VersionSchema",
    "markings_of",
    "record_out",
    "stix_id_path",
    "summary_out",
]

#: A line of text without control characters (C0, DEL, C1): what free-text parameters accept.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f-\x9f]*$"
#: Text of several lines: tabs and line breaks, no other control character.
MULTILINE_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


#: Any JSON value a request body may hold where the document gives no narrower schema (a STIX
#: object's properties, what else is known of a person to screen): every JSON body is read under
#: the limits of :mod:`accord.engine.json_input`, so a number is within the signed 64-bit range
#: (a 400 otherwise) and nesting is at most 64 levels deep.
JSON_VALUE_SCHEMA: dict[str, Any] = {
    "description": (
        f"Any JSON value: numbers within ±{MAX_JSON_INTEGER:,} (integers and decimals), "
        f"arrays and objects nested at most {MAX_JSON_DEPTH} levels deep."
    ),
    "anyOf": [
        {"type": ["null", "boolean", "string"]},
        {"type": "number", "minimum": -MAX_JSON_INTEGER, "maximum": MAX_JSON_INTEGER},
        {"type": "array", "items": {"$ref": "#/components/schemas/JsonValue"}},
        {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/JsonValue"}},
    ],
}
#: A reference to :data:`JSON_VALUE_SCHEMA` (``components/schemas/JsonValue``).
JSON_VALUE: dict[str, str] = {"$ref": "#/components/schemas/JsonValue"}


#: What a ``{stix_id}`` path parameter must look like: ``<type>--<letters, digits, hyphens>``.
#: A well-formed id that names no record (or one the caller may not see) is a 404, as ever.
STIX_ID_PATH_PATTERN = r"^[a-z0-9][a-z0-9-]{0,249}--[0-9A-Za-z-]{1,64}$"


def stix_id_path() -> Any:
    """The ``{stix_id}`` path parameter: shaped like a STIX identifier (``<type>--<UUID>``,
    STIX 2.1 section 2.9); anything else (control characters included) is answered 422
    before any look-up."""
    return Path(
        ..., pattern=STIX_ID_PATH_PATTERN, description="A STIX identifier: '<type>--<UUID>'."
    )


class ProblemErrorSchema(Schema):
    path: str
    message: str


class ProblemSchema(Schema):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[ProblemErrorSchema] | None = None


class MarkingsSchema(Schema):
    """The record's markings as indexed by the store: TLP 2.0 colour, Europol handling code,
    the jurisdictions it may be released to and the purposes it may be used for."""

    tlp: str
    handling_code: str
    releasable_to: list[str]
    purposes: list[str]


class RecordSummarySchema(Schema):
    id: str
    type: str
    display_name: str
    modified: datetime | None
    version_count: int
    personal_data: bool
    origin_node: str
    markings: MarkingsSchema


class RecordSchema(RecordSummarySchema):
    """The latest version of the STIX object, with its markings summary."""

    object: dict[str, Any]


class VersionSchema(Schema):
    modified: str
    sha256: str
    added_at: datetime
    source: str
    object: dict[str, Any]


class SearchPageSchema(Schema):
    results: list[RecordSummarySchema]
    total: int | None
    total_capped: bool
    page: int
    per_page: int
    has_next: bool


class ImportAcceptedSchema(Schema):
    id: int
    status: str
    location: str


class ImportJobSchema(Schema):
    id: int
    status: str
    format: str
    filename: str
    purpose: str
    total: int
    done: int
    progress: float
    created_at: datetime
    finished_at: datetime | None
    report: dict[str, Any]


def markings_of(record: Any) -> dict[str, Any]:
    rows = list(record.marking_rows.values_list("kind", "value"))
    return {
        "tlp": record.tlp,
        "handling_code": record.handling_code,
        "releasable_to": sorted(v for k, v in rows if k == "release"),
        "purposes": sorted(v for k, v in rows if k == "purpose"),
    }


def summary_out(record: Any) -> dict[str, Any]:
    return {
        "id": record.stix_id,
        "type": record.stix_type,
        "display_name": record.display_name,
        "modified": record.modified,
        "version_count": record.version_count,
        "personal_data": record.personal_data,
        "origin_node": record.origin_node,
        "markings": markings_of(record),
    }


def record_out(record: Any) -> dict[str, Any]:
    return {**summary_out(record), "object": json.loads(record.data)}
