"""Dissemination: ``POST /api/disseminations/preview`` (each recipient's decision, nothing
sent), ``POST /api/disseminations`` (share), ``GET /api/disseminations/{id}`` (its entries and
delivery status), ``POST /api/approvals/{id}`` (a supervisor approves or denies, with a reason).

Body of the first two: ``{"records": [stix ids], "recipients": [peer node ids], "purpose":
"...", "assurance_reference": "..."}``. Each entry: ``{"recipient", "record", "decision",
"reasons": [{"code", "message", "source"}], "status"}`` (docs/dissemination.md). Every call goes
through :mod:`accord.dissemination.services`; a record the caller may not see is 404, as
elsewhere; errors are RFC 9457 problems.
"""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from accord.api.problems import ProblemError
from accord.api.schemas import ProblemSchema

__all__ = ["ApprovalDecisionSchema", "ShareRequestSchema", "entry_out", "router"]

router = Router(tags=["dissemination"])

_ERRORS: dict[int | tuple[int, ...], Any] = {(400, 401, 403, 404, 409, 422): ProblemSchema}


class ShareRequestSchema(Schema):
    records: list[str] = Field(min_length=1, max_length=500)
    recipients: list[str] = Field(min_length=1, max_length=100)
    purpose: str = Field(min_length=1, max_length=64)
    assurance_reference: str = Field(default="", max_length=200)


class ApprovalDecisionSchema(Schema):
    decision: Literal["approve", "deny"]
    reason: str = Field(min_length=1, max_length=2000)


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


def entry_out(entry: Any) -> dict[str, Any]:
    """The REST shape of one stored entry (with its delivery status from the outbox)."""
    item = entry.outbox_item
    approval = getattr(entry, "approval", None) if hasattr(entry, "approval") else None
    return {
        "recipient": entry.peer.node_id,
        "record": entry.stix_id,
        "decision": entry.decision,
        "reasons": entry.reasons,
        "status": entry.status,
        "conditions": entry.conditions,
        "agreements": entry.agreements,
        "max_retention_days": entry.max_retention_days,
        "delivery": (
            {
                "status": item.status,
                "attempts": item.attempts,
                "version": item.modified,
                "error": item.last_error,
            }
            if item is not None
            else None
        ),
        "approval": (
            {"id": approval.pk, "status": approval.status, "reason": approval.reason}
            if approval is not None
            else None
        ),
    }


def dissemination_out(d: Any) -> dict[str, Any]:
    entries = d.entries.select_related("peer", "outbox_item", "approval")
    return {
        "id": str(d.id),
        "purpose": d.purpose,
        "assurance_reference": d.assurance_reference,
        "requested_by": d.requested_by.username,
        "created_at": d.created_at.isoformat(),
        "entries": [entry_out(e) for e in entries],
    }


@router.post(
    "/disseminations/preview",
    response={200: dict, **_ERRORS},
    summary="Each recipient's decision and reasons (nothing is sent)",
)
def preview_view(request: HttpRequest, payload: ShareRequestSchema) -> Any:
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
    response={201: dict, **_ERRORS},
    summary="Share records with peers as the policy allows",
)
def share_view(request: HttpRequest, payload: ShareRequestSchema) -> Any:
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


@router.get("/disseminations/{dissemination_id}", response={200: dict, **_ERRORS})
def dissemination_view(request: HttpRequest, dissemination_id: str) -> Any:
    """A dissemination: its requester, a supervisor or the oversight officer may read it."""
    import uuid

    from accord.dissemination.models import Dissemination

    try:
        key = uuid.UUID(dissemination_id)
    except ValueError as exc:
        raise ProblemError(404, "No such dissemination.") from exc
    d = Dissemination.objects.filter(pk=key).select_related("requested_by").first()
    user = request.user
    if d is None or not (
        d.requested_by_id == user.pk or user.can("disclosure.approve") or user.can("audit.view")
    ):
        raise ProblemError(404, "No such dissemination, or it is not visible to you.")
    return dissemination_out(d)


@router.post("/approvals/{approval_id}", response={200: dict, **_ERRORS})
def approval_view(request: HttpRequest, approval_id: int, payload: ApprovalDecisionSchema) -> Any:
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
