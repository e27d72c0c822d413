"""Records: ``/api/records`` (write one, search), ``/api/records/{id}`` (read, versions) and
``/api/export`` (a STIX 2.1 bundle). Every call goes through ``accord.intel.services``, which
restricts what the caller sees and writes the audit entry; a record the caller may not see is
answered exactly like a missing one (404)."""

from __future__ import annotations

import json
from typing import Any, Literal

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from accord.api.auth import request_context
from accord.api.problems import ProblemError
from accord.api.schemas import (
    ProblemSchema,
    RecordSchema,
    SearchPageSchema,
    VersionSchema,
    record_out,
    summary_out,
)

__all__ = ["MAX_PER_PAGE", "STIX_MEDIA_TYPE", "router"]

router = Router(tags=["records"])

MAX_PER_PAGE = 200
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
_JSON_TYPES = ("application/json", "application/stix+json")

_ERRORS: dict[int | tuple[int, ...], Any] = {
    (400, 401, 403, 404, 413, 415, 422): ProblemSchema,
}

_STIX_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            media: {"schema": {"type": "object", "description": "One STIX 2.1 object."}}
            for media in ("application/json", STIX_MEDIA_TYPE)
        },
    }
}


def _refusal_errors(refusals: Any) -> list[dict[str, str]]:
    return [{"path": r.path or "", "message": r.message} for r in refusals]


def _read_object(request: HttpRequest) -> dict[str, Any]:
    media = request.content_type or ""
    if media not in _JSON_TYPES:
        raise ProblemError(415, f"Send one STIX 2.1 object as {' or '.join(_JSON_TYPES)}.")
    try:
        obj = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProblemError(400, f"The body is not valid JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise ProblemError(
            422,
            "The body must be one STIX object.",
            errors=[{"path": "", "message": "expected a JSON object"}],
        )
    return obj


def _case_for(user: Any, reference: str) -> Any:
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
    openapi_extra=_STIX_BODY,
    summary="Store one STIX object (a new record, or a new version of one you created)",
)
def create(request: HttpRequest) -> Any:
    from accord.intel.services import RecordRefused, create_record

    obj = _read_object(request)
    purpose, case_ref = request_context(request)
    try:
        record = create_record(
            request.auth, obj, purpose=purpose, case=_case_for(request.auth, case_ref)
        )
    except RecordRefused as exc:
        raise ProblemError(
            422,
            "The object was refused; nothing was stored.",
            title="STIX object refused",
            errors=_refusal_errors(exc.refusals),
        ) from exc
    return Status(201, record_out(record))


class SearchParams(Schema):
    q: str = Field("", description="names (any script), free text")
    identifier: str = Field("", description="document, phone, e-mail or reference number")
    type: str = Field("", description="STIX type, e.g. identity")
    tlp: str = Field("", description="TLP 2.0 colour(s), comma-separated")
    handling: str = Field("", description="Europol handling code H0-H3")
    birth_year: int | None = Field(None, ge=1, le=9999)
    page: int = Field(1, ge=1)
    per_page: int = Field(50, ge=1, le=MAX_PER_PAGE)


@router.get("/records", response={200: SearchPageSchema, **_ERRORS}, summary="Search records")
def search(request: HttpRequest, params: Query[SearchParams]) -> Any:
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


@router.get(
    "/records/{stix_id}", response={200: RecordSchema, **_ERRORS}, summary="Read one record"
)
def read(request: HttpRequest, stix_id: str) -> Any:
    from accord.intel.services import RecordNotFound, get_record

    purpose, case = request_context(request)
    try:
        record = get_record(request.auth, stix_id, purpose=purpose, case=case)
    except RecordNotFound as exc:
        raise ProblemError(404, "No such record, or it is not visible to you.") from exc
    return record_out(record)


@router.get(
    "/records/{stix_id}/versions",
    response={200: list[VersionSchema], **_ERRORS},
    summary="Every stored version of one record, oldest first",
)
def versions(request: HttpRequest, stix_id: str) -> Any:
    from accord.intel.services import RecordNotFound, record_versions

    purpose, case = request_context(request)
    try:
        rows = record_versions(request.auth, stix_id, purpose=purpose, case=case)
    except RecordNotFound as exc:
        raise ProblemError(404, "No such record, or it is not visible to you.") from exc
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


@router.get(
    "/export",
    response={200: dict[str, Any], **_ERRORS},
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
def export(request: HttpRequest, format: Literal["stix"] = "stix") -> Any:
    from accord.intel.services import iter_export

    purpose, _case = request_context(request)
    chunks = iter_export(request.auth, purpose=purpose)
    response = StreamingHttpResponse(chunks, content_type=STIX_MEDIA_TYPE)
    response["Content-Disposition"] = 'attachment; filename="accord-export.json"'
    return response
