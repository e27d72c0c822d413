"""Retention of the traveller's details in partners' hit notices (issue 5, BRIEF flow 2).

A ``screening.hit`` notice at level ``full`` brings this node, the originator of the record,
personal data it did not collect: the traveller's names, birth date, nationalities and
documents as the partner screened them, the flight or border point, and the liaison
officer's free-text answer about them. Each :class:`~accord.screening.models.IncomingHit` gets
a ``retain_until`` when it is received:

- the shortest ``max_retention_days`` of the agreements the notice names (those this node
  holds; :func:`accord.agreement.services.current_agreements`), counted from receipt, with the
  agreement's retention clause as the basis (as the policy engine's ``_retention`` keeps the
  shortest retention of the agreements that allowed a disclosure);
- otherwise ``ACCORD_HIT_NOTICE_RETENTION_DAYS`` (default :data:`HIT_NOTICE_RETENTION_DAYS`)
  after the liaison officer's answer; until the answer, counted from receipt.

:func:`erase_expired` (the task :func:`apply_hit_retention`, queued by the worker's schedule,
and ``accord retention apply``) erases the details of every hit past its date and keeps a
tombstone: the fact of the hit, the record, the peer, the sighting's identifiers and dates,
the reviewing agency, the agreements and the action answered. Each erasure is audited as
``screening.hit_erased`` (the fields erased, never their content).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from accord.oversight.services import audit
from accord.screening.models import IncomingHit

__all__ = [
    "ERASED_FIELDS",
    "HIT_NOTICE_RETENTION_DAYS",
    "Erasure",
    "Retention",
    "apply_hit_retention",
    "erase_expired",
    "extend_after_answer",
    "hit_notice_retention_days",
    "retention_for",
    "retention_tick",
]

log = logging.getLogger(__name__)

#: Days after the answer when no agreement named by the notice sets a retention.
HIT_NOTICE_RETENTION_DAYS: Final = 90
#: What an erasure empties: the traveller's details, where they were seen, the answer's text.
ERASED_FIELDS: Final = ("traveller", "where", "answer_text")
#: The worker's schedule looks for expired hits at most this often (seconds).
_TICK_EVERY: Final = 60.0
_last_tick: list[float] = []


def hit_notice_retention_days() -> int:
    """``ACCORD_HIT_NOTICE_RETENTION_DAYS`` (:data:`HIT_NOTICE_RETENTION_DAYS` by default)."""
    days = int(getattr(settings, "ACCORD_HIT_NOTICE_RETENTION_DAYS", HIT_NOTICE_RETENTION_DAYS))
    return max(days, 1)


@dataclass(frozen=True, slots=True)
class Retention:
    """A hit's retention date, why, and whether an agreement set it."""

    until: datetime
    basis: str
    agreed: bool


def _setting(start: datetime, when: str) -> Retention:
    days = hit_notice_retention_days()
    return Retention(
        start + timedelta(days=days),
        f"ACCORD_HIT_NOTICE_RETENTION_DAYS: {days} days after the answer ({when})",
        False,
    )


def retention_for(agreement_ids: list[str], received_at: datetime) -> Retention:
    """The retention of a hit received at ``received_at`` naming ``agreement_ids``: the
    shortest retention of those agreements this node holds, from receipt; else the node
    setting (see the module's docstring)."""
    from accord.agreement.services import current_agreements

    named = {str(a) for a in agreement_ids}
    held = [a for a in current_agreements() if a.id in named] if named else []
    if not held:
        why = "no agreement of this node is named" if named else "the notice names no agreement"
        return _setting(received_at, f"counted from receipt until answered; {why}")
    shortest = min(held, key=lambda a: (a.max_retention_days, a.id))
    days = shortest.max_retention_days
    clause = shortest.clauses.get("retention") or "(retention)"
    return Retention(
        received_at + timedelta(days=days),
        f"agreement {shortest.id} {clause}: {days} days from receipt"[:300],
        True,
    )


def extend_after_answer(incoming: IncomingHit, answered_at: datetime) -> None:
    """On the answer, a hit kept under the node setting is kept that long after the answer
    (an agreement's retention, from receipt, is not moved). Sets the fields; the caller saves."""
    if incoming.retention_agreed or incoming.erased_at is not None:
        return
    kept = _setting(answered_at, f"answered {answered_at.date().isoformat()}")
    if incoming.retain_until is None or kept.until > incoming.retain_until:
        incoming.retain_until = kept.until
        incoming.retention_basis = kept.basis[:300]


@dataclass(frozen=True, slots=True)
class Erasure:
    """One hit whose details were (or, on a dry run, would be) erased."""

    incoming: str
    peer: str
    record: str
    retain_until: str
    fields: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "incoming": self.incoming,
            "peer": self.peer,
            "record": self.record,
            "retain_until": self.retain_until,
            "fields": list(self.fields),
        }


def _held(hit: IncomingHit) -> tuple[str, ...]:
    return tuple(f for f in ERASED_FIELDS if getattr(hit, f))


def _due(now: datetime) -> Any:
    """The partners' hits whose details are still held and whose retention date has passed."""
    return IncomingHit.objects.filter(erased_at__isnull=True, retain_until__lte=now)


def erase_expired(*, now: datetime | None = None, dry_run: bool = False) -> list[Erasure]:
    """Erase the traveller's details of every partner's hit whose ``retain_until`` is past
    ``now`` (the current time by default); the hits erased, oldest date first. Idempotent: an
    erased hit is not touched again.

    Legal effect: this node stops holding personal data a partner sent it once the agreement's
    (or the node's) retention period ends; a tombstone remains (the fact of the hit, the
    record, the peer, the dates, the action answered). Each erasure is audited as
    ``screening.hit_erased`` with the fields erased (never their content), in the same
    transaction. ``dry_run``: only list what would be erased.
    """
    now = now or timezone.now()
    due = _due(now).order_by("retain_until", "pk")
    out: list[Erasure] = []
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            hit = IncomingHit.objects.select_for_update().select_related("peer").get(pk=pk)
            if hit.erased_at is not None or hit.retain_until is None or hit.retain_until > now:
                continue
            erasure = Erasure(
                str(hit.pk),
                hit.peer.node_id,
                hit.record_stix_id,
                hit.retain_until.isoformat(),
                _held(hit),
            )
            out.append(erasure)
            if dry_run:
                continue
            hit.traveller = {}
            hit.where = ""
            hit.answer_text = ""
            hit.erased_at = now
            hit.save(update_fields=[*ERASED_FIELDS, "erased_at"])
            audit(
                None,
                "screening.hit_erased",
                object_ids=[hit.record_stix_id, str(hit.sighting.get("id", ""))],
                purpose=hit.purpose,
                detail={
                    "incoming": str(hit.pk),
                    "peer": hit.peer.node_id,
                    "hit": hit.remote_hit,
                    "retain_until": hit.retain_until.isoformat(),
                    "basis": hit.retention_basis,
                    "fields": list(erasure.fields),
                    "answered": hit.status == IncomingHit.Status.ANSWERED,
                },
            )
    return out


@task()
def apply_hit_retention() -> int:
    """The background task: erase what is past its retention; how many hits were erased."""
    return len(erase_expired())


def retention_tick() -> None:
    """A tick of the worker's schedule (``accord.federation.peers.tasks.SCHEDULE_HOOKS``): at
    most once a minute, queue :func:`apply_hit_retention` when a hit is past its retention."""
    now = time.monotonic()
    if _last_tick and now - _last_tick[0] < _TICK_EVERY:
        return
    _last_tick[:] = [now]
    if _due(timezone.now()).exists():
        apply_hit_retention.enqueue()


def register() -> None:
    """Add :func:`retention_tick` to the worker's schedule (from ``ready``; once)."""
    from accord.federation.peers import tasks

    if retention_tick not in tasks.SCHEDULE_HOOKS:
        tasks.SCHEDULE_HOOKS.append(retention_tick)
