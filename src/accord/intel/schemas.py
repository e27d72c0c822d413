"""Response schemas of the record and import operations (documented in the OpenAPI document),
and the functions that fill them from the store's rows."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ninja import Schema

from accord.http.schemas import FileJobSchema

if TYPE_CHECKING:
    from accord.intel.models import Record

__all__ = [
    "ImportAcceptedSchema",
    "ImportJobSchema",
    "MarkingsSchema",
    "RecordSchema",
    "RecordSummarySchema",
    "SearchPageSchema",
    "VersionSchema",
    "markings_of",
    "record_out",
    "summary_out",
]


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


class ImportJobSchema(FileJobSchema):
    progress: float
    created_at: datetime
    finished_at: datetime | None
    report: dict[str, Any]


def markings_of(record: Record) -> dict[str, Any]:
    rows = list(record.marking_rows.values_list("kind", "value"))
    return {
        "tlp": record.tlp,
        "handling_code": record.handling_code,
        "releasable_to": sorted(v for k, v in rows if k == "release"),
        "purposes": sorted(v for k, v in rows if k == "purpose"),
    }


def summary_out(record: Record) -> dict[str, Any]:
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


def record_out(record: Record) -> dict[str, Any]:
    return {**summary_out(record), "object": json.loads(record.data)}
