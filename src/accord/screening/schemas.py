"""Response schemas of the screening operations (documented in the OpenAPI document), and the
functions that fill them from the stored rows.

Dates are ISO 8601 strings as Python writes them (``2026-01-01T09:30:00.123456+00:00``).
Operations answer with ``exclude_unset``: a member the node does not send (``error`` of a
result without one) is absent, not null.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ninja import Schema
from pydantic import Field
from pydantic.json_schema import JsonDict

from accord.http.schemas import FileJobSchema

if TYPE_CHECKING:
    from accord.screening.models import Hit, IncomingHit

__all__ = [
    "HitOriginatorSchema",
    "HitSchema",
    "IncomingAnswerSchema",
    "IncomingHitListSchema",
    "IncomingHitSchema",
    "MatchSchema",
    "OriginatorAnswerSchema",
    "PendingHitListSchema",
    "PendingHitSchema",
    "ScreeningJobAcceptedSchema",
    "ScreeningJobSchema",
    "ScreeningOutcomeSchema",
    "ScreeningResultSchema",
    "hit_out",
    "incoming_out",
    "pending_hit_out",
]

_DATE: JsonDict = {"format": "date-time"}
_TRAVELLER = (
    "The traveller as screened: row, id, names, birth date, gender, nationalities, documents, "
    "travel (empty once the details were erased for retention)."
)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


# --------------------------------------------------------------------------------------------
# Screening results


class MatchSchema(Schema):
    """A watchlist record the person may be, with the score and why (feature by feature)."""

    record_id: str
    score: float
    names: list[str]
    explanation: dict[str, dict[str, Any]] = Field(
        description="Per feature: its score, weight and the values compared (docs/matching.md)."
    )
    action: str
    source: str


class ScreeningResultSchema(Schema):
    """One line per person screened, in input order; ``hit`` is a lead for a supervisor's
    review, never a decision about the person."""

    row: int
    id: str
    hit: bool
    matches: list[MatchSchema]
    error: str = Field("", description="Why the person could not be screened (only then).")
    review: list[int] = Field([], description="The hits queued for review (only when any).")


class ScreeningOutcomeSchema(Schema):
    format: str
    count: int
    hits: int
    results: list[ScreeningResultSchema]


class ScreeningJobSchema(FileJobSchema):
    """A background screening job: progress, then its report (counts and the rows with
    matches or errors)."""

    screening: int | None
    created_at: str = Field(json_schema_extra=_DATE)
    finished_at: str | None = Field(json_schema_extra=_DATE)
    report: dict[str, Any] | None
    depersonalise_after: str | None = Field(json_schema_extra=_DATE)
    depersonalised_at: str | None = Field(json_schema_extra=_DATE)


class ScreeningJobAcceptedSchema(ScreeningJobSchema):
    location: str = Field(description="Where the job's progress and results are read.")


# --------------------------------------------------------------------------------------------
# This node's hits


class PendingHitSchema(Schema):
    id: int
    record_id: str
    score: float
    row: int
    traveller: dict[str, Any] = Field(description=_TRAVELLER)
    action: str
    screening: int
    created_at: str = Field(json_schema_extra=_DATE)
    depersonalise_after: str | None = Field(json_schema_extra=_DATE)
    depersonalised_at: str | None = Field(json_schema_extra=_DATE)


class PendingHitListSchema(Schema):
    hits: list[PendingHitSchema]


class HitOriginatorSchema(Schema):
    """What was decided about telling the record's originator, and the delivery's state."""

    status: str
    notice: str | None
    delivery: str | None
    level: str | None
    decision: str | None
    reasons: list[dict[str, Any]] = Field(
        description="The policy decision's reasons: code, message, source."
    )


class OriginatorAnswerSchema(Schema):
    """The originator's answer: the action it asks for and its text."""

    action: str
    text: str
    answered_by: str
    answered_at: str | None = Field(json_schema_extra=_DATE)


class HitSchema(PendingHitSchema):
    """A hit with its review, what the originator was told, its answer and the retention
    dates (``depersonalised_at`` once the traveller's details, the explanation's reasons, the
    review's reason and the answer's text were erased)."""

    status: str
    reviewer: str | None
    reason: str
    reviewed_at: str | None = Field(json_schema_extra=_DATE)
    sighting_id: str | None
    retain_until: str | None = Field(json_schema_extra=_DATE)
    originator: HitOriginatorSchema
    answer: OriginatorAnswerSchema | None


def pending_hit_out(h: Hit) -> dict[str, Any]:
    """A hit as the review queue lists it."""
    return {
        "id": h.pk,
        "record_id": h.record_stix_id,
        "score": h.score,
        "row": h.row,
        "traveller": h.traveller,
        "action": h.action,
        "screening": h.screening_id,
        "created_at": h.created_at.isoformat(),
        "depersonalise_after": _iso(h.depersonalise_after),
        "depersonalised_at": _iso(h.depersonalised_at),
    }


def hit_out(h: Hit) -> dict[str, Any]:
    """A hit as the REST API shows it (``originator``: what was decided and sent, and the
    delivery's state; ``answer``: the originator's answer, once it came; the retention dates:
    ``depersonalise_after``, ``retain_until``, and ``depersonalised_at`` once the traveller's
    details, the explanation's reasons, the review's reason and the answer's text were
    erased)."""
    return {
        **pending_hit_out(h),
        "status": h.status,
        "reviewer": h.reviewer.username if h.reviewer is not None else None,
        "reason": h.reason,
        "reviewed_at": _iso(h.reviewed_at),
        "sighting_id": h.sighting_id or None,
        "retain_until": _iso(h.retain_until),
        "originator": {
            "status": h.originator_status,
            "notice": str(h.notice_id) if h.notice_id else None,
            "delivery": h.notice.status if h.notice is not None else None,
            "level": h.disclosure.get("level") if h.disclosure else None,
            "decision": h.disclosure.get("decision") if h.disclosure else None,
            "reasons": h.disclosure.get("reasons", []) if h.disclosure else [],
        },
        "answer": (
            {
                "action": h.answer_action,
                "text": h.answer_text,
                "answered_by": h.answered_by,
                "answered_at": _iso(h.answered_at),
            }
            if h.answered_at
            else None
        ),
    }


# --------------------------------------------------------------------------------------------
# Partners' hits on this node's records


class IncomingAnswerSchema(Schema):
    """This node's answer to a partner's hit: the action to take and the officer's text."""

    action: str
    text: str
    answered_by: str
    answered_at: str | None = Field(json_schema_extra=_DATE)


class IncomingHitSchema(Schema):
    """A partner's hit as the liaison officer sees it: only what the partner sent, until its
    retention ends (``retain_until``, ``retention_basis``); then ``erased_at`` is set and the
    traveller, ``where`` and the answer's text are empty (a tombstone)."""

    id: str
    peer: str
    remote_hit: int
    record_id: str
    level: str
    sighting: dict[str, Any] = Field(description="The partner's STIX sighting of the record.")
    seen_at: str | None
    where: str | None
    traveller: dict[str, Any] | None = Field(description=_TRAVELLER)
    reviewing_agency: dict[str, Any] = Field(description="node, jurisdiction, name")
    reviewed_at: str | None
    purpose: str
    agreements: list[Any]
    conditions: list[Any]
    withheld: list[Any] = Field(description="What the partner's agreement did not let it send.")
    received_at: str = Field(json_schema_extra=_DATE)
    retain_until: str | None = Field(json_schema_extra=_DATE)
    retention_basis: str | None
    erased_at: str | None = Field(json_schema_extra=_DATE)
    status: str
    answer: IncomingAnswerSchema | None


class IncomingHitListSchema(Schema):
    items: list[IncomingHitSchema]


def incoming_out(h: IncomingHit) -> dict[str, Any]:
    """A partner's hit as the liaison officer sees it (:class:`IncomingHitSchema`)."""
    return {
        "id": str(h.pk),
        "peer": h.peer.node_id,
        "remote_hit": h.remote_hit,
        "record_id": h.record_stix_id,
        "level": h.level,
        "sighting": h.sighting,
        "seen_at": h.seen_at or None,
        "where": h.where or None,
        "traveller": h.traveller or None,
        "reviewing_agency": h.reviewing_agency,
        "reviewed_at": h.reviewed_at or None,
        "purpose": h.purpose,
        "agreements": h.agreements,
        "conditions": h.conditions,
        "withheld": h.withheld,
        "received_at": h.received_at.isoformat(),
        "retain_until": _iso(h.retain_until),
        "retention_basis": h.retention_basis or None,
        "erased_at": _iso(h.erased_at),
        "status": h.status,
        "answer": (
            {
                "action": h.answer_action,
                "text": h.answer_text,
                "answered_by": h.answered_by.username if h.answered_by is not None else "",
                "answered_at": _iso(h.answered_at),
            }
            if h.answered_at
            else None
        ),
    }
