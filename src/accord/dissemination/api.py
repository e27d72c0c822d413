"""Dissemination's REST operations, mounted under ``/api/`` by :mod:`accord.api.root`.

``POST /api/disseminations/preview`` (each recipient's decision, nothing
sent), ``POST /api/disseminations`` (share), ``GET /api/disseminations/{id}`` (its entries and
delivery status), ``POST /api/approvals/{id}`` (a supervisor approves or denies, with a reason),
``POST /api/records/{id}/revoke`` and ``/delete-order`` (the originator, with a reason),
``GET /api/records/{id}/provenance`` (received from whom, under which agreement; orders and
their acknowledgements), ``GET /api/consents`` and ``POST /api/consents/{id}`` (the
originator's liaison officer answers a recipient's onward-share request).

Body of the first two: ``{"records": [stix ids], "recipients": [peer node ids], "purpose":
"...", "assurance_reference": "..."}``. Each entry: ``{"recipient", "record", "decision",
"reasons": [{"code", "message", "source"}], "status"}`` (docs/dissemination.md). Every call goes
through :mod:`accord.dissemination.services`; a record the caller may not see is 404, as
elsewhere; errors are RFC 9457 problems. Response schemas: :mod:`accord.dissemination.schemas`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, field_validator

from accord.dissemination.schemas import (
    ApprovalOutcomeSchema,
    ConsentListSchema,
    ConsentSchema,
    DisseminationSchema,
    PreviewSchema,
    ProvenanceSchema,
    RevocationSchema,
    consent_out,
    dissemination_out,
    entry_out,
    order_out,
    received_out,
)
from accord.engine.stix.markings import PURPOSES
from accord.http.problems import ProblemError
from accord.http.requests import ApiRequest
from accord.http.schemas import (
    MULTILINE_TEXT,
    NO_CONTROL_CHARACTERS,
    ProblemSchema,
    stix_id_path,
)

__all__ = [
    "ApprovalDecisionSchema",
    "ConsentAnswerSchema",
    "RevokeSchema",
    "ShareRequestSchema",
    "router",
]

router = Router(tags=["dissemination"])

_ERRORS: dict[int | tuple[int, ...], Any] = {(400, 401, 403, 404, 409, 422): ProblemSchema}


_LINE = Annotated[str, Field(min_length=1, max_length=300, pattern=NO_CONTROL_CHARACTERS)]


class ShareRequestSchema(Schema):
    records: list[_LINE] = Field(min_length=1, max_length=500)
    recipients: list[_LINE] = Field(min_length=1, max_length=100)
    purpose: str = Field(
        min_length=1,
        max_length=64,
        pattern=NO_CONTROL_CHARACTERS,
        json_schema_extra={"enum": list(PURPOSES)},
        description="The purpose the recipients may use the records for: one of the purposes.",
    )
    assurance_reference: str = Field(default="", max_length=200, pattern=NO_CONTROL_CHARACTERS)

    @field_validator("purpose")
    @classmethod
    def _known_purpose(cls, value: str) -> str:
        if value not in PURPOSES:
            raise ValueError(f"unknown purpose; choose one of {', '.join(PURPOSES)}")
        return value


class ApprovalDecisionSchema(Schema):
    decision: Literal["approve", "deny"]
    reason: str = Field(min_length=1, max_length=2000, pattern=MULTILINE_TEXT)


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from accord.dissemination.services import DisseminationError
    from accord.intel.services import RecordNotFound

    try:
        return fn(*args, **kwargs)
    except RecordNotFound as exc:
        raise ProblemError(404, "No such record, or it is not visible to you.") from exc
    except DisseminationError as exc:
        raise ProblemError(422, str(exc), errors=[{"path": "body", "message": str(exc)}]) from exc
    except PermissionDenied:
        raise


@router.post(
    "/disseminations/preview",
    response={200: PreviewSchema, **_ERRORS},
    summary="Each recipient's decision and reasons (nothing is sent)",
)
def preview_view(request: ApiRequest, payload: ShareRequestSchema) -> Any:
    from accord.dissemination.services import preview

    decisions = _call(
        preview,
        request.user,
        payload.records,
        payload.recipients,
        payload.purpose,
        assurance_reference=payload.assurance_reference,
    )
    return {"purpose": payload.purpose, "entries": [d.to_dict() for d in decisions]}


@router.post(
    "/disseminations",
    response={201: DisseminationSchema, **_ERRORS},
    summary="Share records with peers as the policy allows",
)
def share_view(request: ApiRequest, payload: ShareRequestSchema) -> Any:
    from accord.dissemination.services import share

    d = _call(
        share,
        request.user,
        payload.records,
        payload.recipients,
        payload.purpose,
        assurance_reference=payload.assurance_reference,
    )
    return Status(201, dissemination_out(d))


@router.get("/disseminations/{dissemination_id}", response={200: DisseminationSchema, **_ERRORS})
def dissemination_view(request: ApiRequest, dissemination_id: str) -> Any:
    """A dissemination: its requester, a supervisor or the oversight officer may read it."""
    import uuid

    from accord.dissemination.models import Dissemination

    try:
        key = uuid.UUID(dissemination_id)
    except ValueError as exc:
        raise ProblemError(404, "No such dissemination.") from exc
    visible = Dissemination.objects.restrict(request.user)
    d = visible.filter(pk=key).select_related("requested_by").first()
    if d is None:
        raise ProblemError(404, "No such dissemination, or it is not visible to you.")
    return dissemination_out(d)


@router.post("/approvals/{approval_id}", response={200: ApprovalOutcomeSchema, **_ERRORS})
def approval_view(request: ApiRequest, approval_id: int, payload: ApprovalDecisionSchema) -> Any:
    """A supervisor approves or denies (four-eyes; a reason is required)."""
    from accord.dissemination.models import ApprovalRequest
    from accord.dissemination.services import decide_approval

    if not request.user.can("disclosure.approve"):
        raise PermissionDenied("only a supervisor approves disclosures (disclosure.approve)")
    approval = ApprovalRequest.objects.filter(pk=approval_id).select_related("entry").first()
    if approval is None:
        raise ProblemError(404, "No such approval request.")
    if approval.status != ApprovalRequest.Status.PENDING:
        raise ProblemError(409, f"This request is already {approval.status}.")
    approval = _call(
        decide_approval,
        request.user,
        approval,
        approve=payload.decision == "approve",
        reason=payload.reason,
    )
    entry = approval.entry
    entry.refresh_from_db()
    return {
        "id": approval.pk,
        "status": approval.status,
        "reason": approval.reason,
        "decided_by": request.user.username,
        "entry": entry_out(entry),
    }


# --------------------------------------------------------------------------------------------
# Revocation and deletion orders (the originator), provenance, consent requests


class RevokeSchema(Schema):
    reason: str = Field(min_length=1, max_length=2000, pattern=MULTILINE_TEXT)


class ConsentAnswerSchema(Schema):
    decision: Literal["grant", "refuse"]
    reason: str = Field(min_length=1, max_length=2000, pattern=MULTILINE_TEXT)


def _revoke(request: HttpRequest, stix_id: str, payload: RevokeSchema, delete: bool) -> Any:
    from accord.dissemination.services import revoke
    from accord.http.context import request_context

    purpose, _case = request_context(request)
    orders = _call(revoke, request.user, stix_id, purpose=purpose, delete=delete,
                   reason=payload.reason)  # fmt: skip
    return {
        "record": stix_id,
        "action": "delete" if delete else "revoke",
        "revoked": True,
        "orders": [order_out(o) for o in orders],
    }


@router.post(
    "/records/{stix_id}/revoke",
    response={200: RevocationSchema, **_ERRORS},
    summary="The originator revokes a record it shared (every recipient is told)",
)
def revoke_view(request: ApiRequest, payload: RevokeSchema, stix_id: str = stix_id_path()) -> Any:
    return _revoke(request, stix_id, payload, delete=False)


@router.post(
    "/records/{stix_id}/delete-order",
    response={200: RevocationSchema, **_ERRORS},
    summary="The originator revokes a record and orders every recipient to delete it",
)
def delete_order_view(
    request: ApiRequest, payload: RevokeSchema, stix_id: str = stix_id_path()
) -> Any:
    return _revoke(request, stix_id, payload, delete=True)


@router.get(
    "/records/{stix_id}/provenance",
    response={200: ProvenanceSchema, **_ERRORS},
    exclude_unset=True,
    summary="Where a record came from (received) and where it went (revocation orders)",
)
def provenance_view(request: ApiRequest, stix_id: str = stix_id_path()) -> Any:
    """For a visible record: what this node received of it (sender, agreements, purpose,
    retention deadline, revoked) and, for its originator, the revocation orders with their
    acknowledgements. A purged record's tombstone is shown to users who may share."""
    from accord.dissemination.models import ReceivedDisclosure, RevocationOrder
    from accord.http.context import request_context
    from accord.intel.services import RecordNotFound, get_record

    purpose, case = request_context(request)
    received = ReceivedDisclosure.objects.filter(stix_id=stix_id)
    try:
        record = get_record(request.user, stix_id, purpose=purpose, case=case)
    except RecordNotFound as exc:
        tombstones = [r for r in received if r.deleted_at and r.record_id is None]
        if not (tombstones and request.user.can("record.share")):
            raise ProblemError(404, "No such record, or it is not visible to you.") from exc
        return {"record": stix_id, "present": False, "revoked": True,
                "received": [received_out(r) for r in tombstones], "orders": []}  # fmt: skip
    orders = RevocationOrder.objects.filter(stix_id=stix_id).select_related("peer")
    return {
        "record": stix_id,
        "present": True,
        "revoked": bool(record.revoked),
        "origin": record.origin_node or "",
        "received": [received_out(r) for r in received],
        "orders": [order_out(o) for o in orders],
    }


def _liaison(request: ApiRequest) -> None:
    if not request.user.can("consent.answer"):
        raise PermissionDenied("only a liaison officer answers consent requests (consent.answer)")


@router.get(
    "/consents",
    response={200: ConsentListSchema, **_ERRORS},
    summary="Consent requests from recipients that want to pass this node's records on",
)
def consents_view(
    request: ApiRequest, status: Literal["pending", "granted", "refused", "all"] = "pending"
) -> Any:
    from accord.dissemination.models import ConsentRequest

    _liaison(request)
    rows = ConsentRequest.objects.filter(direction="in").select_related("peer")
    if status != "all":
        rows = rows.filter(status=status)
    return {"items": [consent_out(c) for c in rows[:500]]}


@router.post("/consents/{consent_id}", response={200: ConsentSchema, **_ERRORS})
def consent_answer_view(request: ApiRequest, consent_id: str, payload: ConsentAnswerSchema) -> Any:
    """The originator's liaison officer grants or refuses (a reason is required)."""
    import uuid

    from accord.dissemination.models import ConsentRequest
    from accord.dissemination.services import answer_consent

    _liaison(request)
    try:
        key = uuid.UUID(consent_id)
    except ValueError as exc:
        raise ProblemError(404, "No such consent request.") from exc
    consent = ConsentRequest.objects.filter(pk=key, direction="in").first()
    if consent is None:
        raise ProblemError(404, "No such consent request.")
    if consent.status != ConsentRequest.Status.PENDING:
        raise ProblemError(409, f"This request is already {consent.status}.")
    consent = _call(answer_consent, request.user, consent,
                    grant=payload.decision == "grant", reason=payload.reason)  # fmt: skip
    return consent_out(consent)
