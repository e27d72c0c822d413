"""Screening: ``POST /api/screenings`` screens one person (a JSON object) or a batch (a
multipart upload: ``file``, ``format`` csv|json|paxlst|pnrgov) against the watchlist and answers
with one result per person, in input order. ``GET /api/screenings/hits`` lists the pending
review queue (supervisors). Every call goes through :mod:`accord.screening.services`, which
restricts the watchlist to what the caller may see and writes the audit entry."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Router

from accord.api.auth import request_context
from accord.api.problems import ProblemError
from accord.api.schemas import ProblemSchema

__all__ = ["BATCH_FORMATS", "router"]

router = Router(tags=["screening"])

BATCH_FORMATS = ("csv", "json", "paxlst", "pnrgov")
_ERRORS: dict[int | tuple[int, ...], Any] = {(400, 401, 403, 413, 415, 422): ProblemSchema}
_PERSON = {
    "type": "object",
    "description": "One person: full_name (or names, or first_name/last_name), date_of_birth, "
    "gender, nationality, document_number, place_of_birth, id.",
    "properties": {
        k: {"type": "string"}
        for k in (
            "id",
            "full_name",
            "first_name",
            "middle_name",
            "last_name",
            "gender",
            "date_of_birth",
            "place_of_birth",
            "nationality",
            "document_number",
        )
    },
}
_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _PERSON},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "format"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "format": {"type": "string", "enum": list(BATCH_FORMATS)},
                    },
                }
            },
        },
    }
}


def _travellers(request: HttpRequest) -> tuple[list[Any], str, str]:
    from accord.engine.manifests import ManifestError, read_manifest
    from accord.engine.manifests.csv_jsonl import read_jsonl

    limit = int(settings.ACCORD_MAX_UPLOAD_BYTES)
    media = request.content_type or ""
    if media == "application/json":
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProblemError(400, f"The body is not valid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise ProblemError(
                422,
                "Send one person as a JSON object.",
                errors=[{"path": "body", "message": "expected an object"}],
            )
        travellers = read_jsonl(json.dumps(body).encode())
        if travellers[0].problem:
            raise ProblemError(
                422,
                "The person has no name to screen.",
                errors=[{"path": "body.full_name", "message": "required"}],
            )
        return travellers, "person", ""
    if media.startswith("multipart/form-data"):
        upload = request.FILES.get("file")
        fmt = request.POST.get("format", "")
        errors = []
        if upload is None:
            errors.append({"path": "form:file", "message": "a file is required"})
        if fmt not in BATCH_FORMATS:
            errors.append(
                {"path": "form:format", "message": f"choose one of {', '.join(BATCH_FORMATS)}"}
            )
        if errors or upload is None:
            raise ProblemError(422, "The screening request is incomplete.", errors=errors)
        if upload.size is not None and upload.size > limit:
            raise ProblemError(413, f"The file is larger than this node screens ({limit} bytes).")
        name = (upload.name or "upload")[:255]
        try:
            return read_manifest(upload.read(), fmt, max_bytes=limit), fmt, name
        except ManifestError as exc:
            raise ProblemError(
                422,
                f"The file was refused: {exc}",
                errors=[
                    {"path": f"file:{exc.where}" if exc.where else "file", "message": exc.message}
                ],
            ) from exc
    raise ProblemError(415, "Send one person as application/json or a file as multipart/form-data.")


@router.post(
    "/screenings",
    response={200: dict[str, Any], **_ERRORS},
    summary="Screen one person or a batch against the watchlist",
    openapi_extra=_BODY,
)
def create(request: HttpRequest) -> Any:
    from accord.screening.services import screen

    purpose, case = request_context(request)
    travellers, fmt, name = _travellers(request)
    try:
        results = screen(
            request.auth, travellers, purpose=purpose, case=case, format=fmt, filename=name
        )
    except PermissionDenied as exc:
        raise ProblemError(403, str(exc)) from exc
    except ValidationError as exc:
        raise ProblemError(422, "; ".join(exc.messages)) from exc
    return {
        "format": fmt,
        "count": len(results),
        "hits": sum(1 for r in results if r.hit),
        "results": [r.as_dict() for r in results],
    }


@router.get(
    "/screenings/hits",
    response={200: dict[str, Any], **_ERRORS},
    summary="Hits waiting for review (supervisors)",
)
def pending_hits(request: HttpRequest) -> Any:
    from accord.intel.models import Record
    from accord.screening.models import Hit
    from accord.screening.services import can_review

    if not can_review(request.auth):
        raise ProblemError(403, "Only supervisors review hits.")
    purpose, _ = request_context(request)
    visible = Record.objects.restrict(request.auth, purpose=purpose).values("pk")
    hits = Hit.objects.filter(status=Hit.Status.PENDING, record__in=visible).select_related(
        "screening"
    )[:200]
    return {
        "hits": [
            {
                "id": h.pk,
                "record_id": h.record_stix_id,
                "score": h.score,
                "row": h.row,
                "traveller": h.traveller,
                "action": h.action,
                "screening": h.screening_id,
                "created_at": h.created_at.isoformat(),
            }
            for h in hits
        ]
    }
