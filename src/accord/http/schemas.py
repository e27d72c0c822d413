"""Schemas and parameter forms every app's router shares: the problem document, text without
control characters, any JSON value within the node's limits, the ``{stix_id}`` path parameter,
a file job's progress.
Each app's own request and response schemas live in its ``api.py`` or ``schemas.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ninja import Path, Schema

from accord.engine.json_input import MAX_JSON_DEPTH, MAX_JSON_INTEGER

if TYPE_CHECKING:
    from accord.intel.models import ImportJob
    from accord.screening.models import ScreeningJob

__all__ = [
    "JSON_VALUE",
    "JSON_VALUE_SCHEMA",
    "MULTILINE_TEXT",
    "NO_CONTROL_CHARACTERS",
    "STIX_ID_PATH_PATTERN",
    "FileJobSchema",
    "ProblemErrorSchema",
    "ProblemSchema",
    "file_job_out",
    "stix_id_path",
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


class FileJobSchema(Schema):
    """A file the background worker reads (an import, a batch screening): what it is, what for,
    and how far it has got (``done`` of ``total``); each app's job schema adds its results."""

    id: int
    status: str
    format: str
    filename: str
    purpose: str
    total: int
    done: int


def file_job_out(job: ImportJob | ScreeningJob) -> dict[str, Any]:
    """The :class:`FileJobSchema` members of a job row (``ImportJob``, ``ScreeningJob``)."""
    return {
        "id": job.pk,
        "status": job.status,
        "format": job.format,
        "filename": job.filename,
        "purpose": job.purpose,
        "total": job.total,
        "done": job.done,
    }


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
