"""Screening's REST operations, mounted under ``/api/`` by :mod:`accord.api.root`.

``POST /api/screenings`` screens one person (a JSON object) or a batch (a
multipart upload: ``file``, ``format`` csv|json|paxlst|pnrgov) against the watchlist and answers
with one result per person, in input order; a batch of more than
:func:`accord.screening.tasks.background_above` people is screened by the background worker
instead (202, ``Location: /api/screenings/jobs/{id}``: progress, then the results).
``GET /api/screenings/hits`` lists the pending
review queue (supervisors); ``GET /api/screenings/hits/{id}`` shows one hit with its review,
what the originator was told and its answer; ``POST /api/screenings/hits/{id}`` confirms or
dismisses it (a supervisor other than the screener, with a reason).

The originator's side (liaison officers): ``GET /api/screenings/incoming?status=new|answered``
lists partners' confirmed hits on this node's records, ``POST
/api/screenings/incoming/{id}/answer`` answers one with the action to take. Every call goes
through :mod:`accord.screening.services` or :mod:`accord.screening.notices`, which restrict
what the caller may see and write the audit entry (every read of traveller data included).
Response schemas: :mod:`accord.screening.schemas`."""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pydantic
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field, model_validator
from pydantic.json_schema import JsonDict, JsonValue

from accord.engine.stix.limits import MAX_NAME_LENGTH
from accord.http.context import request_context
from accord.http.problems import ProblemError, read_json_body, upload_errors
from accord.http.requests import ApiRequest
from accord.http.schemas import JSON_VALUE, MULTILINE_TEXT, ProblemSchema
from accord.screening.schemas import (
    HitSchema,
    IncomingHitListSchema,
    IncomingHitSchema,
    PendingHitListSchema,
    ScreeningJobAcceptedSchema,
    ScreeningJobSchema,
    ScreeningOutcomeSchema,
    hit_out,
    incoming_out,
    pending_hit_out,
)

if TYPE_CHECKING:
    from accord.screening.models import Hit

__all__ = [
    "BATCH_FORMATS",
    "USABLE_NAME",
    "HitAnswerSchema",
    "HitReviewSchema",
    "PersonSchema",
    "router",
]

router = Router(tags=["screening"])
logger = logging.getLogger("accord.api")

BATCH_FORMATS = ("csv", "json", "paxlst", "pnrgov")
_ERRORS: dict[int | tuple[int, ...], Any] = {
    (400, 401, 403, 404, 409, 413, 415, 422): ProblemSchema
}
#: A name with something to screen: one character that is neither white space nor a control,
#: bidi or zero-width character (those are removed from every value before matching).
USABLE_NAME = r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200f\u2028-\u202f\u205f-\u2064\u3000\ufeff]"
_USABLE = re.compile(USABLE_NAME)
_NAME = Annotated[str, Field(max_length=MAX_NAME_LENGTH)]
_VALUE = Annotated[str, Field(max_length=500)]


def _name_required() -> list[JsonValue]:
    one: JsonDict = {"type": "string", "pattern": USABLE_NAME}
    branches: list[JsonValue] = [
        {"required": [key], "properties": {key: one}}
        for key in ("full_name", "first_name", "middle_name", "last_name")
    ]
    branches.append(
        {"required": ["names"], "properties": {"names": {"type": "array", "contains": one}}}
    )
    return branches


class PersonSchema(Schema):
    """One person to screen: ``full_name`` (or ``names``, or ``first_name``/``last_name``)
    with something to screen in it, and what else is known. Other properties are ignored."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"anyOf": _name_required()})

    id: Annotated[str, Field(max_length=100)] | None = None
    full_name: _NAME | None = None
    names: Annotated[list[_NAME], Field(max_length=100)] | None = None
    first_name: _NAME | None = None
    middle_name: _NAME | None = None
    last_name: _NAME | None = None
    gender: _VALUE | None = None
    date_of_birth: _VALUE | None = None
    place_of_birth: _VALUE | None = None
    nationality: _VALUE | Annotated[list[_VALUE], Field(max_length=100)] | None = None
    document_number: _VALUE | Annotated[list[_VALUE], Field(max_length=100)] | None = None

    @model_validator(mode="after")
    def _has_a_name(self) -> PersonSchema:
        names = [self.full_name, self.first_name, self.middle_name, self.last_name]
        names += self.names or []
        if not any(n and _USABLE.search(n) for n in names):
            raise ValueError(
                "a name to screen is required: full_name, names or first_name/last_name"
            )
        return self


_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {**PersonSchema.model_json_schema(), "additionalProperties": JSON_VALUE}
            },
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


def _travellers(request: HttpRequest) -> tuple[list[Any], str, str, bytes]:
    from accord.engine.manifests import ManifestError, read_manifest
    from accord.engine.manifests.csv_jsonl import read_jsonl

    limit = int(settings.ACCORD_MAX_UPLOAD_BYTES)
    media = request.content_type or ""
    if media == "application/json":
        body = read_json_body(request)
        if not isinstance(body, dict):
            raise ProblemError(
                422,
                "Send one person as a JSON object.",
                errors=[{"path": "body", "message": "expected an object"}],
            )
        try:
            PersonSchema.model_validate(body)
        except pydantic.ValidationError as exc:
            raise ProblemError(
                422,
                "The person cannot be screened as given.",
                errors=[
                    {
                        "path": ".".join(["body", *(str(p) for p in e["loc"])]),
                        "message": e["msg"].removeprefix("Value error, "),
                    }
                    for e in exc.errors()
                ],
            ) from None
        travellers = read_jsonl(json.dumps(body).encode())
        if travellers[0].problem:
            raise ProblemError(
                422,
                "The person has no name to screen.",
                errors=[{"path": "body.full_name", "message": "required"}],
            )
        return travellers, "person", "", b""
    if media.startswith("multipart/form-data"):
        upload = request.FILES.get("file")
        fmt = request.POST.get("format", "")
        errors = upload_errors(request, BATCH_FORMATS)
        if errors or upload is None:
            raise ProblemError(422, "The screening request is incomplete.", errors=errors)
        if upload.size is not None and upload.size > limit:
            raise ProblemError(413, f"The file is larger than this node screens ({limit} bytes).")
        name = (upload.name or "upload")[:255]
        raw = upload.read()
        try:
            travellers = read_manifest(raw, fmt, max_bytes=limit)
        except ManifestError as exc:
            logger.info("POST %s: %s file refused: %s", request.path, fmt, exc)
            raise ProblemError(
                422,
                f"The file was refused: {exc}",
                errors=[
                    {"path": f"file:{exc.where}" if exc.where else "file", "message": exc.message}
                ],
            ) from exc
        if not travellers:
            raise ProblemError(
                422,
                "The file was refused: it holds no one to screen.",
                errors=[{"path": "file", "message": "no people in the file"}],
            )
        return travellers, fmt, name, raw
    raise ProblemError(415, "Send one person as application/json or a file as multipart/form-data.")


@router.post(
    "/screenings",
    response={200: ScreeningOutcomeSchema, 202: ScreeningJobAcceptedSchema, **_ERRORS},
    exclude_unset=True,
    summary="Screen one person or a batch against the watchlist (large batches: a job, 202)",
    openapi_extra=_BODY,
)
def create(request: ApiRequest, response: HttpResponse) -> Any:
    from accord.screening.services import screen
    from accord.screening.tasks import background_above, job_out, start_screening_job

    purpose, case = request_context(request)
    travellers, fmt, name, raw = _travellers(request)
    if len(travellers) > background_above():
        try:
            job = start_screening_job(
                request.auth, data=raw, format=fmt, filename=name, purpose=purpose, case=case
            )
        except PermissionDenied as exc:
            raise ProblemError(403, str(exc)) from exc
        location = f"/api/screenings/jobs/{job.pk}"
        response["Location"] = location
        return Status(202, {**job_out(job), "location": location})
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
    response={200: PendingHitListSchema, **_ERRORS},
    summary="Hits waiting for review (supervisors)",
)
def pending_hits(request: ApiRequest) -> Any:
    from accord.screening import services

    if not services.can_review(request.auth):
        raise ProblemError(403, "Only supervisors review hits.")
    purpose, case = request_context(request)
    try:
        hits = services.pending_hits(request.auth, purpose=purpose, case=case)
    except PermissionDenied as exc:
        raise ProblemError(403, str(exc)) from exc
    return {"hits": [pending_hit_out(h) for h in hits]}


@router.get(
    "/screenings/jobs/{job_id}",
    response={200: ScreeningJobSchema, **_ERRORS},
    summary="A background screening job: progress, then the results (its owner only)",
)
def job_view(request: ApiRequest, job_id: int) -> Any:
    from accord.screening.models import ScreeningJob
    from accord.screening.services import read_job
    from accord.screening.tasks import job_out

    try:
        job = read_job(request.auth, job_id)
    except ScreeningJob.DoesNotExist as exc:
        raise ProblemError(404, "No such screening job of yours.") from exc
    return job_out(job)


# --------------------------------------------------------------------------------------------
# One hit: review, what the originator was told, its answer


class HitReviewSchema(Schema):
    decision: Literal["confirmed", "dismissed"]
    reason: str = Field(min_length=3, max_length=2000, pattern=MULTILINE_TEXT)


class HitAnswerSchema(Schema):
    action: Literal[
        "arrest", "specific_check", "inquiry_check", "discreet_check", "monitor", "no_action"
    ]
    text: str = Field(min_length=3, max_length=2000, pattern=MULTILINE_TEXT)


def _visible_hit(request: ApiRequest, hit_id: int) -> Hit:
    """The hit, if the caller may see it (supervisors, or the screener; the record visible
    under the request's purpose); 404 otherwise, as for a missing one. Not audited as a read:
    the review that follows names the hit in its own entry."""
    from accord.screening.models import Hit
    from accord.screening.services import visible_hit

    purpose, _ = request_context(request)
    try:
        return visible_hit(request.auth, hit_id, purpose=purpose)
    except Hit.DoesNotExist as exc:
        raise ProblemError(404, "No such hit.") from exc


@router.get(
    "/screenings/hits/{hit_id}",
    response={200: HitSchema, **_ERRORS},
    summary="One hit: review, what the originator was told, the originator's answer",
)
def hit_view(request: ApiRequest, hit_id: int) -> Any:
    from accord.screening.models import Hit
    from accord.screening.services import read_hit

    purpose, case = request_context(request)
    try:
        hit = read_hit(request.auth, hit_id, purpose=purpose, case=case)
    except Hit.DoesNotExist as exc:
        raise ProblemError(404, "No such hit.") from exc
    return hit_out(hit)


@router.post(
    "/screenings/hits/{hit_id}",
    response={200: HitSchema, **_ERRORS},
    summary="Confirm or dismiss a hit (a supervisor other than the screener, with a reason)",
)
def hit_review(request: ApiRequest, hit_id: int, payload: HitReviewSchema) -> Any:
    from accord.screening.models import Hit
    from accord.screening.services import can_review, review_hit

    if not can_review(request.auth):
        raise ProblemError(403, "Only supervisors confirm or dismiss hits.")
    hit = _visible_hit(request, hit_id)
    if hit.status != Hit.Status.PENDING:
        raise ProblemError(409, f"This hit was already {hit.status}.")
    try:
        review_hit(request.auth, hit, decision=payload.decision, reason=payload.reason)
    except PermissionDenied as exc:
        raise ProblemError(403, str(exc)) from exc
    except ValidationError as exc:
        raise ProblemError(422, "; ".join(exc.messages)) from exc
    return hit_out(_visible_hit(request, hit_id))


# --------------------------------------------------------------------------------------------
# The originator: partners' hits on this node's records


@router.get(
    "/screenings/incoming",
    response={200: IncomingHitListSchema, **_ERRORS},
    summary="Partners' confirmed hits on this node's records (liaison officers)",
)
def incoming_view(
    request: ApiRequest,
    status: Literal["", "new", "answered"] = Query(
        "", description="new (not yet answered), answered, or empty for both"
    ),
) -> Any:
    from accord.screening.services import incoming_hits

    purpose, case = request_context(request)
    try:
        rows = incoming_hits(request.auth, purpose=purpose, case=case, status=status)
    except PermissionDenied as exc:
        raise ProblemError(403, "Only liaison officers read partners' hits.") from exc
    except ValidationError as exc:
        raise ProblemError(
            422,
            "; ".join(exc.messages),
            errors=[{"path": "query:status", "message": "new, answered or empty"}],
        ) from exc
    return {"items": [incoming_out(h) for h in rows]}


@router.post(
    "/screenings/incoming/{incoming_id}/answer",
    response={200: IncomingHitSchema, **_ERRORS},
    summary="Answer a partner's hit with the action to take (liaison officers)",
)
def incoming_answer(request: ApiRequest, incoming_id: str, payload: HitAnswerSchema) -> Any:
    from accord.screening.models import IncomingHit
    from accord.screening.notices import answer_incoming_hit, can_answer
    from accord.screening.services import incoming_hit

    if not can_answer(request.auth):
        raise ProblemError(403, "Only liaison officers answer partners' hits.")
    purpose, case = request_context(request)
    try:
        hit = incoming_hit(request.auth, uuid.UUID(incoming_id), purpose=purpose, case=case)
    except (ValueError, IncomingHit.DoesNotExist) as exc:
        raise ProblemError(404, "No such incoming hit.") from exc
    if hit.status != IncomingHit.Status.NEW:
        raise ProblemError(409, "This hit was already answered.")
    try:
        hit = answer_incoming_hit(
            request.auth, hit, action=payload.action, text=payload.text, purpose=purpose
        )
    except PermissionDenied as exc:
        raise ProblemError(403, str(exc)) from exc
    except ValidationError as exc:
        raise ProblemError(422, "; ".join(exc.messages)) from exc
    return incoming_out(hit)
