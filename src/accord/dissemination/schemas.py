"""Response schemas of the dissemination operations (documented in the OpenAPI document), and
the functions that fill them from the stored rows.

Dates are ISO 8601 strings as Python writes them (``2026-01-01T09:30:00.123456+00:00``). The
provenance of a record that is gone (a tombstone) has no ``origin``: operations answer with
``exclude_unset``, so a member the node does not send is absent, not null.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ninja import Schema
from pydantic import Field
from pydantic.json_schema import JsonDict

if TYPE_CHECKING:
    from accord.dissemination.models import (
        ConsentRequest,
        Dissemination,
        DisseminationEntry,
        ReceivedDisclosure,
        RevocationOrder,
    )

__all__ = [
    "ApprovalOutcomeSchema",
    "ConsentListSchema",
    "ConsentSchema",
    "DecisionSchema",
    "DeliverySchema",
    "DisseminationSchema",
    "EntryApprovalSchema",
    "EntrySchema",
    "PreviewSchema",
    "ProvenanceSchema",
    "ReasonSchema",
    "ReceivedSchema",
    "RevocationOrderSchema",
    "RevocationSchema",
    "consent_out",
    "dissemination_out",
    "entry_out",
    "order_out",
    "received_out",
]

_DATE: JsonDict = {"format": "date-time"}
_AGREEMENTS = "The agreements that permitted it: [{id, version}]."


class ReasonSchema(Schema):
    """Why: ``code`` (stable, for machines), ``message`` (for people), ``source`` (the
    agreement clause, the marking or the safeguard with its legal basis)."""

    code: str
    message: str
    source: str


class DecisionSchema(Schema):
    """The policy decision for one record to one recipient, with its reasons (nothing sent)."""

    recipient: str
    record: str
    decision: str
    reasons: list[ReasonSchema]
    status: str
    conditions: list[str]
    agreements: list[dict[str, Any]] = Field(description=_AGREEMENTS)
    max_retention_days: int | None


class PreviewSchema(Schema):
    purpose: str
    entries: list[DecisionSchema]


class DeliverySchema(Schema):
    """The signed delivery of the record's version to the recipient (the outbox)."""

    status: str
    attempts: int
    version: str
    error: str


class EntryApprovalSchema(Schema):
    """The supervisor's approval an entry waits for (four eyes)."""

    id: int
    status: str
    reason: str


class EntrySchema(DecisionSchema):
    """One record to one recipient: the decision, its reasons, the entry's status, the
    delivery and the approval it waits for, if any."""

    delivery: DeliverySchema | None
    approval: EntryApprovalSchema | None


class DisseminationSchema(Schema):
    id: str
    purpose: str
    assurance_reference: str
    requested_by: str
    created_at: str = Field(json_schema_extra=_DATE)
    entries: list[EntrySchema]


class ApprovalOutcomeSchema(Schema):
    """A supervisor's decision on an approval request, and the entry as it now stands."""

    id: int
    status: str
    reason: str
    decided_by: str
    entry: EntrySchema


class RevocationOrderSchema(Schema):
    """An order to a recipient to stop using (revoke) or delete a record, and its
    acknowledgement."""

    id: int
    record: str
    version: str
    recipient: str
    action: str
    reason: str
    ordered_by: str
    created_at: str = Field(json_schema_extra=_DATE)
    delivery: str | None
    acknowledged_at: str | None = Field(json_schema_extra=_DATE)
    acknowledgement: dict[str, Any] | None


class RevocationSchema(Schema):
    record: str
    action: str
    revoked: bool
    orders: list[RevocationOrderSchema]


class ReceivedSchema(Schema):
    """What this node received of a record: from whom, under which agreements, for which
    purpose, until when, and whether it was revoked or deleted."""

    record: str
    sender: str
    originator: str
    version: str
    agreements: list[dict[str, Any]] = Field(description=_AGREEMENTS)
    purpose: str
    max_retention_days: int | None
    received_at: str | None = Field(json_schema_extra=_DATE)
    retention_until: str | None = Field(json_schema_extra=_DATE)
    revoked_at: str | None = Field(json_schema_extra=_DATE)
    deleted_at: str | None = Field(json_schema_extra=_DATE)


class ProvenanceSchema(Schema):
    record: str
    present: bool = Field(description="False: the record was deleted; a tombstone remains.")
    revoked: bool
    origin: str = Field("", description="The originating node (absent for a tombstone).")
    received: list[ReceivedSchema]
    orders: list[RevocationOrderSchema]


class ConsentSchema(Schema):
    """A recipient's request to pass one of this node's records on, and its answer."""

    id: str
    direction: str
    peer: str
    record: str
    recipient: str
    recipient_jurisdiction: str
    purpose: str
    status: str
    answered_by: str
    reason: str
    created_at: str = Field(json_schema_extra=_DATE)
    answered_at: str | None = Field(json_schema_extra=_DATE)


class ConsentListSchema(Schema):
    items: list[ConsentSchema]


def entry_out(entry: DisseminationEntry) -> dict[str, Any]:
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


def dissemination_out(d: Dissemination) -> dict[str, Any]:
    entries = d.entries.select_related("peer", "outbox_item", "approval")
    return {
        "id": str(d.id),
        "purpose": d.purpose,
        "assurance_reference": d.assurance_reference,
        "requested_by": d.requested_by.username,
        "created_at": d.created_at.isoformat(),
        "entries": [entry_out(e) for e in entries],
    }


def order_out(order: RevocationOrder) -> dict[str, Any]:
    return {
        "id": order.pk,
        "record": order.stix_id,
        "version": order.version,
        "recipient": order.peer.node_id,
        "action": order.action,
        "reason": order.reason,
        "ordered_by": order.ordered_by,
        "created_at": order.created_at.isoformat(),
        "delivery": order.outbox_item.status if order.outbox_item is not None else None,
        "acknowledged_at": order.acknowledged_at.isoformat() if order.acknowledged_at else None,
        "acknowledgement": order.acknowledgement or None,
    }


def received_out(row: ReceivedDisclosure) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "record": row.stix_id,
        "sender": row.sender_node,
        "originator": row.originator_node,
        "version": row.version,
        "agreements": row.agreements,
        "purpose": row.purpose,
        "max_retention_days": row.max_retention_days,
        "received_at": iso(row.received_at),
        "retention_until": iso(row.retention_until),
        "revoked_at": iso(row.revoked_at),
        "deleted_at": iso(row.deleted_at),
    }


def consent_out(c: ConsentRequest) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "direction": c.direction,
        "peer": c.peer.node_id,
        "record": c.stix_id,
        "recipient": c.recipient_node,
        "recipient_jurisdiction": c.recipient_jurisdiction,
        "purpose": c.purpose,
        "status": c.status,
        "answered_by": c.answered_by,
        "reason": c.reason,
        "created_at": c.created_at.isoformat(),
        "answered_at": c.answered_at.isoformat() if c.answered_at else None,
    }
