"""The record store's REST operations, mounted under ``/api/`` by :mod:`accord.api.root`.

Records: ``/api/records`` (write one, search), ``/api/records/{id}`` (read, versions) and
``/api/export`` (a STIX 2.1 bundle). Every call goes through ``accord.intel.services``, which
restricts what the caller sees and writes the audit entry; a record the caller may not see is
answered exactly like a missing one (404).

Imports: ``POST /api/imports`` queues a file (multipart: ``file``, ``format``, ``purpose``) and
answers 202 with the job's address; ``GET /api/imports/{id}`` reports status, progress and, once
done, the import report. Only the job's owner sees it."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field, ValidationInfo, field_validator

from accord.engine.json_input import MAX_JSON_DEPTH
from accord.engine.stix.limits import (
    MAX_LIST_ITEMS,
    MAX_NAME_LENGTH,
    MAX_OBJECT_BYTES,
    MAX_PROPERTY_NAME_LENGTH,
    MAX_SHORT_TEXT_LENGTH,
    MAX_TEXT_LENGTH,
)
from accord.engine.stix.markings import HANDLING_CODES, TLP_IDS, TLP_LEVELS
from accord.engine.stix.schemas import IDENTIFIER_PATTERN, TYPE_PATTERN
from accord.http.context import DEFAULT_PURPOSE, request_context
from accord.http.problems import ProblemError, read_json_body, upload_errors
from accord.http.requests import ApiRequest
from accord.http.schemas import (
    JSON_VALUE,
    NO_CONTROL_CHARACTERS,
    ProblemSchema,
    file_job_out,
    stix_id_path,
)
from accord.intel.schemas import (
    ImportAcceptedSchema,
    ImportJobSchema,
    RecordSchema,
    SearchPageSchema,
    VersionSchema,
    record_out,
    summary_out,
)
from accord.intel.search import MAX_PAGE
from accord.intel.search import MAX_TEXT_LENGTH as MAX_SEARCH_TEXT

if TYPE_CHECKING:
    from accord.accounts.models import User
    from accord.intel.models import Case
    from accord.intel.services import Refusal

__all__ = [
    "APPROVAL_HEADER",
    "IMPORT_FORMATS",
    "MAX_PER_PAGE",
    "STIX_MEDIA_TYPE",
    "STIX_OBJECT_EXAMPLE",
    "STIX_OBJECT_SCHEMA",
    "router",
]

router = Router(tags=["records"])
_T = TypeVar("_T")

MAX_PER_PAGE = 200
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
_JSON_TYPES = ("application/json", "application/stix+json")

_ERRORS: dict[int | tuple[int, ...], Any] = {
    (400, 401, 403, 404, 413, 415, 422): ProblemSchema,
}

#: One STIX 2.1 object, with the limits every write path holds it to (engine.stix.limits).
STIX_OBJECT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "One STIX 2.1 object (SDO, SRO, SCO, marking definition or extension definition), "
        "validated as STIX 2.1 and against the node's markings. Size limits: a name (`name`, "
        f"`aliases`, person-extension names) at most {MAX_NAME_LENGTH:,} characters; other "
        f"short strings (vocabulary values, labels, kill-chain phases, places) at most "
        f"{MAX_SHORT_TEXT_LENGTH:,}; any other string (descriptions, patterns, custom "
        f"properties) at most {MAX_TEXT_LENGTH:,}, binary (`*_bin`) values excepted; a "
        f"property name at most {MAX_PROPERTY_NAME_LENGTH}; a list at most {MAX_LIST_ITEMS:,} "
        f"entries; the whole object at most {MAX_OBJECT_BYTES:,} bytes as compact JSON; "
        f"nesting at most {MAX_JSON_DEPTH} levels. A refusal names the property and the limit."
    ),
    "required": ["type", "id"],
    "properties": {
        "type": {"type": "string", "minLength": 3, "maxLength": 250, "pattern": TYPE_PATTERN},
        "id": {"type": "string", "pattern": IDENTIFIER_PATTERN},
        "spec_version": {"const": "2.1"},
        "name": {"type": "string", "maxLength": MAX_NAME_LENGTH},
        "description": {"type": "string", "maxLength": MAX_TEXT_LENGTH},
    },
    "additionalProperties": JSON_VALUE,
}
#: A valid object (an organisation, TLP:GREEN): what a request that the node stores looks like.
STIX_OBJECT_EXAMPLE: dict[str, Any] = {
    "type": "identity",
    "spec_version": "2.1",
    "id": "identity--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061",
    "created": "2026-01-01T00:00:00.000Z",
    "modified": "2026-01-01T00:00:00.000Z",
    "name": "Example organisation",
    "identity_class": "organization",
    "object_marking_refs": [TLP_IDS["green"]],
}
_STIX_BODY = {
    "requestBody": {
        "required": True,
        "description": STIX_OBJECT_SCHEMA["description"],
        "content": {
            media: {"schema": STIX_OBJECT_SCHEMA, "example": STIX_OBJECT_EXAMPLE}
            for media in ("application/json", STIX_MEDIA_TYPE)
        },
    }
}


#: A supervisor's reason for a version that lowers a record's protection.
APPROVAL_HEADER = "X-Accord-Approval-Reason"
_APPROVAL_PARAMETER = {
    "in": "header",
    "name": APPROVAL_HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": 500},
    "description": (
        "A supervisor's reason for writing a version that lowers the record's protection "
        "(TLP, handling code, purposes, releasability). Without it such a version is refused."
    ),
}


def _refusal_errors(refusals: Iterable[Refusal]) -> list[dict[str, str]]:
    return [{"path": r.path or "", "message": r.message} for r in refusals]


def _read_object(request: HttpRequest) -> dict[str, Any]:
    media = request.content_type or ""
    if media not in _JSON_TYPES:
        raise ProblemError(415, f"Send one STIX 2.1 object as {' or '.join(_JSON_TYPES)}.")
    obj = read_json_body(request)
    if not isinstance(obj, dict):
        raise ProblemError(
            422,
            "The body must be one STIX object.",
            errors=[{"path": "", "message": "expected a JSON object"}],
        )
    return obj


def _case_for(user: User, reference: str) -> Case | None:
    if not reference:
        return None
    from accord.intel.models import Case

    case = Case.objects.filter(reference=reference, members=user).first()
    if case is None:
        raise ProblemError(
            422,
            "The declared case is unknown or you are not one of its members.",
            errors=[{"path": "header:X-Accord-Case", "message": "no such case for you"}],
        )
    return case


@router.post(
    "/records",
    response={201: RecordSchema, **_ERRORS},
    openapi_extra={**_STIX_BODY, "parameters": [_APPROVAL_PARAMETER]},
    summary="Store one STIX object (a new record, or a new version of one you created)",
)
def create(request: ApiRequest) -> Any:
    """A new version of a stored record is written only by those who may change it, and never
    lowers the record's protection unless a supervisor gives the reason in
    ``X-Accord-Approval-Reason`` (audited as ``record.protection_lowered``)."""
    from accord.intel.services import ProtectionApproval, RecordRefused, create_record

    obj = _read_object(request)
    purpose, case_ref = request_context(request)
    # HTTP header values arrive as ISO 8859-1 (RFC 9110 section 5.5); a reason written in
    # UTF-8 is read back as such, so that the audit trail keeps the supervisor's words.
    raw = request.headers.get(APPROVAL_HEADER, "")
    try:
        reason = raw.encode("latin-1").decode("utf-8").strip()
    except (UnicodeEncodeError, UnicodeDecodeError):
        reason = raw.strip()
    if len(reason) > 500:
        raise ProblemError(
            422,
            "The approval reason is too long: give it in at most 500 characters.",
            errors=[{"path": f"header:{APPROVAL_HEADER}", "message": "at most 500 characters"}],
        )
    try:
        record = create_record(
            request.auth,
            obj,
            purpose=purpose,
            case=_case_for(request.auth, case_ref),
            approval=ProtectionApproval(reason) if reason else None,
        )
    except RecordRefused as exc:
        raise ProblemError(
            422,
            "The object was refused; nothing was stored.",
            title="STIX object refused",
            errors=_refusal_errors(exc.refusals),
        ) from exc
    return Status(201, record_out(record))


_TLP_PATTERN = "|".join(re.escape(level) for level in TLP_LEVELS)
_PARAMETER_FORMS = {
    "q": NO_CONTROL_CHARACTERS,
    "identifier": NO_CONTROL_CHARACTERS,
    "type": r"^( *[a-z0-9-]{1,250} *(, *[a-z0-9-]{1,250} *)*)?$",
    "tlp": rf"^( *({_TLP_PATTERN}) *(, *({_TLP_PATTERN}) *)*)?$",
    "handling": rf"^({'|'.join(HANDLING_CODES)})?$",
}


def _form(name: str) -> dict[str, Any]:
    return {"pattern": _PARAMETER_FORMS[name]}


class SearchParams(Schema):
    """The search's query parameters; each is checked here, in the form the OpenAPI document
    gives (a pattern), with a message that says what is accepted."""

    q: str = Field(
        "",
        max_length=MAX_SEARCH_TEXT,
        json_schema_extra=_form("q"),
        description="names (any script), free text",
    )
    identifier: str = Field(
        "",
        max_length=MAX_SEARCH_TEXT,
        json_schema_extra=_form("identifier"),
        description="document, phone, e-mail or reference number",
    )
    type: str = Field(
        "", json_schema_extra=_form("type"), description="STIX type(s), comma-separated"
    )
    tlp: str = Field(
        "",
        json_schema_extra=_form("tlp"),
        description=f"TLP 2.0 colour(s), comma-separated: {', '.join(TLP_LEVELS)}",
    )
    handling: str = Field(
        "",
        json_schema_extra=_form("handling"),
        description=f"Europol handling code: {', '.join(HANDLING_CODES)}",
    )
    birth_year: int | None = Field(None, ge=1, le=9999)
    page: int = Field(1, ge=1, le=MAX_PAGE, description=f"1 to {MAX_PAGE:,}")
    per_page: int = Field(50, ge=1, le=MAX_PER_PAGE)

    @field_validator("q", "identifier", "type", "tlp", "handling")
    @classmethod
    def _in_form(cls, value: str, info: ValidationInfo) -> str:
        if re.fullmatch(_PARAMETER_FORMS[str(info.field_name)], value):
            return value
        if info.field_name == "tlp":
            wrong = [t.strip() for t in value.split(",") if t.strip() not in TLP_LEVELS]
            raise ValueError(
                f"unknown TLP level {wrong[0][:32]!r}; use one of {', '.join(TLP_LEVELS)}"
            )
        raise ValueError(_PARAMETER_HELP[str(info.field_name)])


_PARAMETER_HELP = {
    "q": "remove the control characters",
    "identifier": "remove the control characters",
    "type": "STIX type names (a-z, 0-9, hyphens), comma-separated",
    "handling": f"one of {', '.join(HANDLING_CODES)}",
}


@router.get("/records", response={200: SearchPageSchema, **_ERRORS}, summary="Search records")
def search(request: ApiRequest, params: Query[SearchParams]) -> Any:
    from accord.intel.services import SearchError, SearchQuery, search_records

    purpose, case = request_context(request)
    query = SearchQuery(
        text=params.q,
        identifier=params.identifier,
        stix_type=params.type,
        tlp=tuple(t.strip() for t in params.tlp.split(",") if t.strip()),
        handling_code=params.handling,
        birth_year=params.birth_year,
    )
    try:
        page = search_records(
            request.auth, query, purpose=purpose, case=case,
            page=params.page, per_page=params.per_page,
        )  # fmt: skip
    except SearchError as exc:
        raise ProblemError(422, str(exc), errors=[{"path": "query", "message": str(exc)}]) from exc
    return {
        "results": [summary_out(r) for r in page.results],
        "total": page.total,
        "total_capped": getattr(page, "total_capped", False),
        "page": page.page,
        "per_page": params.per_page,
        "has_next": page.has_next,
    }


def _visible(request: ApiRequest, stix_id: str, read: Callable[..., _T]) -> _T:
    """What ``read`` (a record service) gives of the record under the request's purpose and
    case; a 404 alike for a record that does not exist and one hidden from the caller."""
    from accord.intel.services import RecordNotFound

    purpose, case = request_context(request)
    try:
        return read(request.auth, stix_id, purpose=purpose, case=case)
    except RecordNotFound as exc:
        raise ProblemError(404, "No such record, or it is not visible to you.") from exc


@router.get(
    "/records/{stix_id}", response={200: RecordSchema, **_ERRORS}, summary="Read one record"
)
def read(request: ApiRequest, stix_id: str = stix_id_path()) -> Any:
    from accord.intel.services import get_record

    return record_out(_visible(request, stix_id, get_record))


@router.get(
    "/records/{stix_id}/versions",
    response={200: list[VersionSchema], **_ERRORS},
    summary="Every stored version of one record, oldest first",
)
def versions(request: ApiRequest, stix_id: str = stix_id_path()) -> Any:
    from accord.intel.services import record_versions

    rows = _visible(request, stix_id, record_versions)
    return [
        {
            "modified": v.modified,
            "sha256": v.sha256,
            "added_at": v.added_at,
            "source": v.source,
            "object": json.loads(v.data),
        }
        for v in rows
    ]


#: Pieces of the bundle read from the database in one step when served over ASGI.
_ASGI_BATCH = 256


def _streamed(
    request: HttpRequest, chunks: Iterator[bytes]
) -> Iterator[bytes] | AsyncIterator[bytes]:
    """The bundle as the server streams it: under ASGI (``accord serve``) an asynchronous
    iterator that reads a batch of pieces at a time on the request's thread (Django reads a
    synchronous iterator whole into memory before it sends a byte); under WSGI the pieces as
    they come."""
    if not isinstance(request, ASGIRequest):
        return chunks
    take = sync_to_async(lambda: list(islice(chunks, _ASGI_BATCH)), thread_sensitive=True)

    async def pieces() -> AsyncIterator[bytes]:
        while batch := await take():
            yield b"".join(batch)

    return pieces()


@router.get(
    "/export",
    response=_ERRORS,
    summary="A STIX 2.1 bundle of every record you may export",
    openapi_extra={
        "responses": {
            "200": {
                "description": "STIX 2.1 bundle",
                "content": {STIX_MEDIA_TYPE: {"schema": {"type": "object"}}},
            }
        }
    },
)
def export(request: ApiRequest, format: Literal["stix"] = "stix") -> Any:
    from accord.intel.services import iter_export

    purpose, _case = request_context(request)
    chunks = iter_export(request.auth, purpose=purpose)
    response = StreamingHttpResponse(_streamed(request, chunks), content_type=STIX_MEDIA_TYPE)
    response["Content-Disposition"] = 'attachment; filename="accord-export.json"'
    return response


# --------------------------------------------------------------------------------------------
# Imports

IMPORT_FORMATS = ("stix", "ftm", "un-xml")


def _content(upload: UploadedFile[Any]) -> bytes | str:
    """The upload as bytes when held in memory, else the path of Django's temporary file
    (``start_import`` copies it into the data directory before the request ends)."""
    temporary = getattr(upload, "temporary_file_path", None)
    return temporary() if temporary is not None else upload.read()


_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "format"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The file (gzip or single-file zip accepted).",
                        },
                        "format": {"type": "string", "enum": list(IMPORT_FORMATS)},
                        "purpose": {
                            "type": "string",
                            "maxLength": 64,
                            "pattern": NO_CONTROL_CHARACTERS,
                            "description": f"Why the records are imported (default "
                            f"{DEFAULT_PURPOSE}).",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/imports",
    url_name="create",
    tags=["imports"],
    response={202: ImportAcceptedSchema, **_ERRORS},
    summary="Queue a file for import (STIX 2.1 bundle, FollowTheMoney, UN list XML)",
    openapi_extra=_BODY,
)
def import_create(request: ApiRequest, response: HttpResponse) -> Any:
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise ProblemError(415, "Send the file as multipart/form-data (fields file, format).")
    file = request.FILES.get("file")
    format = request.POST.get("format", "")
    purpose = request.POST.get("purpose", "")
    errors = upload_errors(request, IMPORT_FORMATS)
    if len(purpose) > 64 or not re.fullmatch(NO_CONTROL_CHARACTERS, purpose):
        errors.append(
            {"path": "form:purpose", "message": "at most 64 characters, no control characters"}
        )
    if errors or file is None:
        raise ProblemError(422, "The import request is incomplete.", errors=errors)
    if file.size is not None and file.size > settings.ACCORD_MAX_UPLOAD_BYTES:
        raise ProblemError(
            413,
            f"The file is larger than this node accepts "
            f"({settings.ACCORD_MAX_UPLOAD_BYTES} bytes).",
        )
    from accord.intel.tasks import ImportFailed, start_import

    try:
        job = start_import(
            request.auth,
            filename=Path(file.name or "upload").name,
            data_or_path=_content(file),
            format=format,
            purpose=purpose.strip() or DEFAULT_PURPOSE,
        )
    except ImportFailed as exc:
        raise ProblemError(422, str(exc)) from exc
    location = f"/api/imports/{job.pk}"
    response["Location"] = location
    return Status(202, {"id": job.pk, "status": job.status, "location": location})


@router.get(
    "/imports/{job_id}",
    url_name="read",
    tags=["imports"],
    response={200: ImportJobSchema, **_ERRORS},
    summary="An import",
)
def import_read(request: ApiRequest, job_id: int) -> Any:
    from accord.intel.models import ImportJob

    job = ImportJob.objects.filter(pk=job_id, user=request.auth).first()
    if job is None:
        raise ProblemError(404, "No such import job of yours.")
    return {
        **file_job_out(job),
        "progress": round(job.done / job.total, 4)
        if job.total
        else (1.0 if job.status == "done" else 0.0),
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "report": job.report or {},
    }
