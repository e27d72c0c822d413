"""Retention of the traveller's details in partners' hit notices (BRIEF flow 2).

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

This node's own hits (:class:`~accord.screening.models.Hit`) and the results its background
screening jobs keep follow the PNR rule (Directive 2016/681 Art 12: depersonalised after six
months, deleted after five years; docs/screening.md):

- ``ACCORD_HIT_DEPERSONALISE_DAYS`` (default :data:`HIT_DEPERSONALISE_DAYS`) after the
  screening, :func:`depersonalise_own` erases what identifies the traveller: every key of
  ``Hit.traveller`` but :data:`TRAVELLER_KEPT` (names, birth date, gender, nationalities,
  documents, place of birth, the input's identifier), the ``reason`` of each feature of the
  explanation (it quotes the compared names, dates, nationalities and document numbers; the
  numbers stay), and the free texts :data:`OWN_HIT_TEXTS` (the originator's answer, the
  reviewer's reason); in ``ScreeningJob.report["results"]`` the input's ``id`` of each row and
  the explanations' reasons (the counts, rows, scores, records matched stay). Audited as
  ``screening.own_hit_depersonalised`` and ``screening.job_results_depersonalised``.
- ``ACCORD_HIT_RETENTION_DAYS`` (default :data:`HIT_RETENTION_DAYS`) after it,
  :func:`delete_own` deletes the hit (no row refers to a hit), audited as
  ``screening.own_hit_deleted``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from accord.oversight.services import audit
from accord.screening.models import Hit, IncomingHit, ScreeningJob

__all__ = [
    "CHECK_EVERY",
    "ERASED_FIELDS",
    "HIT_DEPERSONALISE_DAYS",
    "HIT_NOTICE_RETENTION_DAYS",
    "HIT_RETENTION_DAYS",
    "OWN_HIT_TEXTS",
    "TRAVELLER_KEPT",
    "Erasure",
    "OwnStep",
    "Retention",
    "apply_hit_retention",
    "apply_own_retention",
    "delete_own",
    "depersonalise_own",
    "erase_expired",
    "extend_after_answer",
    "hit_depersonalise_days",
    "hit_notice_retention_days",
    "hit_retention_days",
    "own_hit_dates",
    "retention_due",
    "retention_for",
]

log = logging.getLogger(__name__)

#: Days after the answer when no agreement named by the notice sets a retention.
HIT_NOTICE_RETENTION_DAYS: Final = 90
#: What an erasure empties: the traveller's details, where they were seen, the answer's text.
ERASED_FIELDS: Final = ("traveller", "where", "answer_text")
#: Days after the screening when this node's own hits lose the traveller's details (six
#: months, as PNR data is depersonalised).
HIT_DEPERSONALISE_DAYS: Final = 183
#: Days after the screening when this node's own hits are deleted (five years, as PNR data).
HIT_RETENTION_DAYS: Final = 1826
#: What a depersonalised hit keeps of the traveller: the row of the input, the role (crew or
#: passenger, only when not a passenger) and the flight or border point as read, which do
#: not identify the person without the passenger list.
TRAVELLER_KEPT: Final = ("row", "role", "travel")
#: The free texts a depersonalisation empties: the originator's answer, the reviewer's reason
#: (either may quote the person; the audit trail keeps them under its own retention).
OWN_HIT_TEXTS: Final = ("answer_text", "reason")
#: How often the worker's schedule looks for what is past its retention (seconds).
CHECK_EVERY: Final = 60.0


def _days(name: str, default: int) -> int:
    """The setting ``name`` in whole days, at least one (``default`` when unset)."""
    return max(int(getattr(settings, name, default)), 1)


def hit_notice_retention_days() -> int:
    """``ACCORD_HIT_NOTICE_RETENTION_DAYS`` (:data:`HIT_NOTICE_RETENTION_DAYS` by default)."""
    return _days("ACCORD_HIT_NOTICE_RETENTION_DAYS", HIT_NOTICE_RETENTION_DAYS)


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
        return {**asdict(self), "fields": list(self.fields)}


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
            # Locked and read again through the same condition (still held, still due).
            hit = _due(now).select_for_update().select_related("peer").filter(pk=pk).first()
            if hit is None or hit.retain_until is None:
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


def hit_depersonalise_days() -> int:
    """``ACCORD_HIT_DEPERSONALISE_DAYS`` (:data:`HIT_DEPERSONALISE_DAYS` by default)."""
    return _days("ACCORD_HIT_DEPERSONALISE_DAYS", HIT_DEPERSONALISE_DAYS)


def hit_retention_days() -> int:
    """``ACCORD_HIT_RETENTION_DAYS`` (:data:`HIT_RETENTION_DAYS` by default)."""
    return _days("ACCORD_HIT_RETENTION_DAYS", HIT_RETENTION_DAYS)


def own_hit_dates(screened_at: datetime) -> tuple[datetime, datetime]:
    """(``depersonalise_after``, ``retain_until``) of a hit of a screening at
    ``screened_at``, from the node's settings at that time."""
    return (
        screened_at + timedelta(days=hit_depersonalise_days()),
        screened_at + timedelta(days=hit_retention_days()),
    )


@dataclass(frozen=True, slots=True)
class OwnStep:
    """One of this node's hits depersonalised or deleted, or a job's results depersonalised
    (or, on a dry run, that would be). ``fields``: what held personal data and was erased."""

    action: str  # "depersonalise" or "delete"
    kind: str  # "own_hit" or "screening_job"
    id: int
    screening: int | None
    record: str
    due: str
    fields: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "fields": list(self.fields)}


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {}, ())


def _traveller_kept(traveller: Any) -> tuple[dict[str, Any], list[str]]:
    """The traveller without what identifies the person, and the keys erased (held ones)."""
    if not isinstance(traveller, dict):
        return {}, ["traveller"] if _filled(traveller) else []
    kept = {k: v for k, v in traveller.items() if k in TRAVELLER_KEPT}
    erased = sorted(
        f"traveller.{k}" for k, v in traveller.items() if k not in TRAVELLER_KEPT and _filled(v)
    )
    return kept, erased


def _explanation_kept(explanation: Any) -> tuple[dict[str, Any], bool]:
    """The explanation with every feature's ``reason`` emptied (the numbers kept); whether a
    reason was held."""
    if not isinstance(explanation, dict):
        return {}, _filled(explanation)
    out: dict[str, Any] = {}
    held = False
    for name, feature in explanation.items():
        if isinstance(feature, dict):
            held = held or _filled(feature.get("reason"))
            out[name] = {**feature, "reason": ""} if "reason" in feature else dict(feature)
        else:
            out[name] = feature
    return out, held


def _results_kept(results: Any) -> tuple[list[Any], list[str]]:
    """A job's result rows without the input's identifier and the explanations' reasons."""
    if not isinstance(results, list):
        return [], ["results"] if _filled(results) else []
    out: list[Any] = []
    erased: set[str] = set()
    for row in results:
        if not isinstance(row, dict):
            continue
        kept = dict(row)
        if _filled(kept.get("id")):
            erased.add("results.id")
        if "id" in kept:
            kept["id"] = ""
        matches = []
        for m in kept.get("matches") or []:
            if isinstance(m, dict) and "explanation" in m:
                explanation, held = _explanation_kept(m["explanation"])
                if held:
                    erased.add("results.matches.explanation.reason")
                m = {**m, "explanation": explanation}
            matches.append(m)
        if "matches" in kept:
            kept["matches"] = matches
        out.append(kept)
    return out, sorted(erased)


def _hit_fields(hit: Hit) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    traveller, fields = _traveller_kept(hit.traveller)
    explanation, reasons = _explanation_kept(hit.explanation)
    if reasons:
        fields.append("explanation.reason")
    fields += [f for f in OWN_HIT_TEXTS if getattr(hit, f)]
    return traveller, explanation, fields


def _own_to_delete(now: datetime) -> Any:
    return Hit.objects.filter(retain_until__lte=now)


def _own_to_depersonalise(now: datetime) -> Any:
    return Hit.objects.filter(depersonalised_at__isnull=True, depersonalise_after__lte=now).exclude(
        retain_until__lte=now
    )


def _jobs_to_depersonalise(now: datetime) -> Any:
    return ScreeningJob.objects.filter(
        depersonalised_at__isnull=True,
        depersonalise_after__lte=now,
        status__in=[ScreeningJob.Status.DONE, ScreeningJob.Status.FAILED],
    )


def _audit_own_hit(event: str, hit: Hit, /, **detail: Any) -> None:
    """Audit ``event``, a retention step on ``hit`` (by the node itself): the record and
    sighting ids, the screening's purpose and case, the hit's and screening's keys, then
    ``detail``."""
    screening = hit.screening
    audit(
        None,
        event,
        object_ids=[hit.record_stix_id] + ([hit.sighting_id] if hit.sighting_id else []),
        purpose=screening.purpose,
        case=screening.case,
        detail={"hit": hit.pk, "screening": hit.screening_id, **detail},
    )


def delete_own(*, now: datetime | None = None, dry_run: bool = False) -> list[OwnStep]:
    """Delete every hit of this node whose ``retain_until`` is past ``now``; oldest first.

    Legal effect: the end of this node's retention of a screening hit (the PNR rule's five
    years). No row refers to a hit, so the row goes; the audit trail keeps the facts
    (``screening.review``, ``screening.notify``, ``screening.hit_answered`` and this
    ``screening.own_hit_deleted``: the hit, screening, record, status, action and dates, and
    the fields that still held the traveller's details, never their content). The STIX
    sighting a confirmed hit stored is a record of the store and stays. ``dry_run``: list.
    """
    now = now or timezone.now()
    out: list[OwnStep] = []
    due = _own_to_delete(now).order_by("retain_until", "pk")
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            hit = _own_to_delete(now).select_for_update().filter(pk=pk).first()
            if hit is None or hit.retain_until is None:
                continue
            fields = [] if hit.depersonalised_at else _hit_fields(hit)[2]
            step = OwnStep(
                "delete",
                "own_hit",
                hit.pk,
                hit.screening_id,
                hit.record_stix_id,
                hit.retain_until.isoformat(),
                tuple(fields),
            )
            out.append(step)
            if dry_run:
                continue
            _audit_own_hit(
                "screening.own_hit_deleted",
                hit,
                created_at=hit.created_at.isoformat(),
                retain_until=hit.retain_until.isoformat(),
                depersonalised_at=(
                    hit.depersonalised_at.isoformat() if hit.depersonalised_at else None
                ),
                status=hit.status,
                action=hit.action,
                answer_action=hit.answer_action,
                fields=list(fields),
            )
            hit.delete()
    return out


def depersonalise_own(*, now: datetime | None = None, dry_run: bool = False) -> list[OwnStep]:
    """Erase what identifies the traveller in every hit of this node, and in every
    background job's results, whose ``depersonalise_after`` is past ``now``; hits first,
    oldest first. Idempotent (``depersonalised_at`` is set).

    Legal effect: after six months (``ACCORD_HIT_DEPERSONALISE_DAYS``) this node no longer
    holds the identity of a person it screened (names, birth date, gender, nationalities,
    documents, place of birth, the input's identifier, the explanation's reasons, the
    answer's and the review's texts); the fact of the hit, the record, score, status, action,
    reviewer, dates, the originator's notification and the flight stay. Audited as
    ``screening.own_hit_depersonalised`` / ``screening.job_results_depersonalised`` with the
    fields erased, never their content. ``dry_run``: list only.
    """
    now = now or timezone.now()
    out: list[OwnStep] = []
    due = _own_to_depersonalise(now).order_by("depersonalise_after", "pk")
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            hit = _own_to_depersonalise(now).select_for_update().filter(pk=pk).first()
            if hit is None or hit.depersonalise_after is None:
                continue
            traveller, explanation, fields = _hit_fields(hit)
            step = OwnStep(
                "depersonalise",
                "own_hit",
                hit.pk,
                hit.screening_id,
                hit.record_stix_id,
                hit.depersonalise_after.isoformat(),
                tuple(fields),
            )
            out.append(step)
            if dry_run:
                continue
            hit.traveller = traveller
            hit.explanation = explanation
            for text in OWN_HIT_TEXTS:
                setattr(hit, text, "")
            hit.depersonalised_at = now
            hit.save(
                update_fields=["traveller", "explanation", *OWN_HIT_TEXTS, "depersonalised_at"]
            )
            _audit_own_hit(
                "screening.own_hit_depersonalised",
                hit,
                depersonalise_after=hit.depersonalise_after.isoformat(),
                retain_until=hit.retain_until.isoformat() if hit.retain_until else None,
                status=hit.status,
                fields=list(fields),
            )
    jobs = _jobs_to_depersonalise(now).order_by("depersonalise_after", "pk")
    for pk in list(jobs.values_list("pk", flat=True)):
        with transaction.atomic():
            job = _jobs_to_depersonalise(now).select_for_update().filter(pk=pk).first()
            if job is None or job.depersonalise_after is None:
                continue
            report = dict(job.report or {})
            results, fields = _results_kept(report.get("results", []))
            step = OwnStep(
                "depersonalise",
                "screening_job",
                job.pk,
                job.screening_id,
                "",
                job.depersonalise_after.isoformat(),
                tuple(fields),
            )
            out.append(step)
            if dry_run:
                continue
            if "results" in report:
                report["results"] = results
            job.report = report
            job.depersonalised_at = now
            job.save(update_fields=["report", "depersonalised_at"])
            audit(
                None,
                "screening.job_results_depersonalised",
                purpose=job.purpose,
                case=job.case,
                detail={
                    "job": job.pk,
                    "screening": job.screening_id,
                    "depersonalise_after": job.depersonalise_after.isoformat(),
                    "rows": len(results),
                    "fields": list(fields),
                },
            )
    return out


def apply_own_retention(*, now: datetime | None = None, dry_run: bool = False) -> list[OwnStep]:
    """This node's own hits and jobs: delete what is past ``retain_until``, then
    depersonalise what is past ``depersonalise_after``."""
    now = now or timezone.now()
    return delete_own(now=now, dry_run=dry_run) + depersonalise_own(now=now, dry_run=dry_run)


def _own_due(now: datetime) -> bool:
    return bool(
        _own_to_delete(now).exists()
        or _own_to_depersonalise(now).exists()
        or _jobs_to_depersonalise(now).exists()
    )


@task()
def apply_hit_retention() -> int:
    """The background task: erase what is past its retention (partners' hit notices, this
    node's own hits and jobs); how many were erased, depersonalised or deleted."""
    return len(erase_expired()) + len(apply_own_retention())


def retention_due(now: datetime | None = None) -> bool:
    """Whether something is past its retention: a partner's hit whose traveller details are to
    be erased, or one of this node's hits or jobs due for depersonalisation or deletion (the
    due-check of the worker's schedule entry ``screening.retention``, which then queues
    :func:`apply_hit_retention`, at most every :data:`CHECK_EVERY` seconds)."""
    current = now or timezone.now()
    return bool(_due(current).exists() or _own_due(current))
