"""Screening services: every screening, source switch and hit review goes through here.

- ``screen(user, travellers, *, purpose, case="", format="person", filename="", progress=None)
  -> list[ScreeningResult]``: restricted, audited screening in input order; possible matches
  are queued as pending hits.
- ``set_source_enabled(user, kind, enabled) -> WatchlistSource``: switch a watchlist source.
- ``review_hit(user, hit, *, decision, reason) -> Hit``: a supervisor confirms or dismisses.
- ``notify_originator(hit, user) -> str`` (:mod:`accord.screening.notices`): a confirmed hit on
  a partner's record is reported to its originator with only what the agreement allows.

Every read of traveller data goes through here too, restricted by
:mod:`accord.screening.querysets` and audited with the reader's purpose and case:

- ``review_queue(user, *, purpose, case)``: the hits page (pending and recently decided);
- ``pending_hits(user, *, purpose, case)``: the pending queue (supervisors);
- ``read_hit(user, pk, *, purpose, case)``: one hit (``audit_hit_read`` for a hit already
  looked up with ``visible_hit``);
- ``read_job(user, pk)``: a background screening job and its results;
- ``incoming_hits(user, *, purpose, case, status)``, ``incoming_hit(user, pk, *, purpose,
  case)``: partners' hits on this node's records (liaison officers).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TypeGuard

import orjson
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accord.engine.manifests import Traveller
from accord.engine.matching import Person
from accord.intel.models import Record
from accord.node.chunking import chunks
from accord.oversight.services import Outcome, audit
from accord.screening.models import Hit, IncomingHit, Screening, ScreeningJob, WatchlistSource
from accord.screening.notices import can_answer, notify_originator
from accord.screening.querysets import REVIEW_ROLES
from accord.screening.retention import own_hit_dates
from accord.screening.watchlist import Entry, watchlist

if TYPE_CHECKING:
    from accord.accounts.models import User
    from accord.engine.matching.algorithm import Algorithm
    from accord.engine.matching.index import WatchlistIndex

__all__ = [
    "MAX_MATCHES",
    "REPORT_FLOOR",
    "Match",
    "ScreeningResult",
    "audit_hit_read",
    "can_review",
    "can_screen",
    "can_switch_sources",
    "incoming_hit",
    "incoming_hits",
    "notify_originator",
    "pending_hits",
    "read_hit",
    "read_job",
    "review_hit",
    "review_queue",
    "screen",
    "set_source_enabled",
    "visible_hit",
]

#: Matches listed per traveller, best first.
MAX_MATCHES: Final = 5
#: Candidates scoring below this are not listed (they are noise, not leads).
REPORT_FLOOR: Final = 0.3
#: Candidates retrieved from the index per traveller before the visibility filter.
_POOL: Final = 24
#: Travellers whose candidates are checked for visibility in one query.
_CHUNK: Final = 500
_ROLES_SOURCES: Final = frozenset({"supervisor", "admin"})


@dataclass(frozen=True, slots=True)
class Match:
    record_id: str
    score: float
    names: tuple[str, ...]
    explanation: dict[str, dict[str, float | str]]
    action: str = ""
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "score": self.score,
            "names": list(self.names),
            "explanation": self.explanation,
            "action": self.action,
            "source": self.source,
        }


@dataclass(slots=True)
class ScreeningResult:
    """One line of output per input person, in input order."""

    row: int
    id: str
    hit: bool
    matches: list[Match]
    error: str = ""
    hit_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "row": self.row,
            "id": self.id,
            "hit": self.hit,
            "matches": [m.as_dict() for m in self.matches],
        }
        if self.error:
            out["error"] = self.error
        if self.hit_ids:
            out["review"] = self.hit_ids
        return out


def can_screen(user: User | None) -> bool:
    return user is None or bool(user.can("record.view"))


def can_review(user: User | None) -> TypeGuard[User]:
    return user is not None and user.is_active and user.role in REVIEW_ROLES


def can_switch_sources(user: User | None) -> TypeGuard[User]:
    return user is not None and user.is_active and user.role in _ROLES_SOURCES


def _query(t: Traveller) -> Person:
    return Person(
        names=t.names,
        birth_date=t.birth_date,
        nationalities=t.nationalities,
        gender=t.gender,
        documents=tuple(d.number for d in t.documents),
    )


def _visible(user: User | None, purpose: str, record_ids: set[str]) -> dict[str, int]:
    """stix_id -> pk of the records among ``record_ids`` that ``user`` may see."""
    qs = Record.objects.all() if user is None else Record.objects.restrict(user, purpose=purpose)
    out: dict[str, int] = {}
    ids = sorted(record_ids)
    for chunk in chunks(ids):
        out.update(qs.filter(stix_id__in=chunk).values_list("stix_id", "pk"))
    return out


def _reportable(index: WatchlistIndex, query: Person) -> set[int]:
    """The slots of ``query``'s candidates whose score reaches :data:`REPORT_FLOOR`, scored on
    the index's prepared form of each entry: the same score ``compare`` gives, without the
    per-feature explanation, which costs many times more. Only these candidates are explained
    (:func:`_matches`); the others could not be listed anyway."""
    return {
        c.slot
        for c in index.search(query, limit=_POOL, pool=_POOL)
        if round(c.score, 4) >= REPORT_FLOOR
    }


def _matches(query: Person, entries: list[Entry], algorithm: Algorithm) -> list[Match]:
    best: dict[str, Match] = {}
    for entry in entries:
        result = algorithm.compare(query, entry.person)
        if result.score < REPORT_FLOOR:
            continue
        known = best.get(entry.record_id)
        if known is None or result.score > known.score:
            best[entry.record_id] = Match(
                entry.record_id,
                result.score,
                entry.names,
                result.explanation,
                entry.action,
                entry.kind,
            )
    return sorted(best.values(), key=lambda m: (-m.score, m.record_id))[:MAX_MATCHES]


def screen(
    user: User | None,
    travellers: Sequence[Traveller],
    *,
    purpose: str,
    case: str = "",
    format: str = "person",
    filename: str = "",
    progress: Callable[[int, int], None] | None = None,
    job: ScreeningJob | None = None,
) -> list[ScreeningResult]:
    """Screen people against the watchlist; one result per traveller, in input order.

    Legal effect: a consultation of the watchlist records for ``purpose`` (and ``case``),
    logged as one ``screening.run`` audit entry naming the records hit (LED Art 25). Only the
    records ``user`` may see under ``purpose`` can match (``user`` None is the node itself). A
    result with ``hit`` true is a possible match queued for a supervisor's review: it is a lead,
    not a decision about the person (no automated adverse decision, LED Art 11). ``job``: the
    background job this run belongs to (it is linked to the stored screening).
    """
    if not can_screen(user):
        raise PermissionDenied("this role may not screen people against the watchlist")
    if not purpose:
        raise ValidationError("a purpose is required to screen")
    wl = watchlist.current()
    index = wl.index
    assert index is not None
    algorithm = index.algorithm
    total = len(travellers)
    results: list[ScreeningResult] = []
    pending: list[tuple[Traveller, Match, int]] = []
    for start in range(0, total, _CHUNK):
        chunk = travellers[start : start + _CHUNK]
        queries = [_query(t) for t in chunk]
        candidates: list[list[Entry]] = []
        for t, q in zip(chunk, queries, strict=True):
            found = [] if t.problem or not t.names else index.candidates(q, pool=_POOL)
            reportable = _reportable(index, q) if found else set()
            candidates.append(
                [e for s in found if s in reportable and (e := wl.entry(s)) is not None]
            )
        visible = _visible(user, purpose, {e.record_id for c in candidates for e in c})
        for t, q, entries in zip(chunk, queries, candidates, strict=True):
            matches = _matches(q, [e for e in entries if e.record_id in visible], algorithm)
            is_hit = bool(matches) and matches[0].score >= algorithm.threshold
            result = ScreeningResult(t.row, t.id, is_hit, matches, error=t.problem)
            results.append(result)
            for m in matches:
                if m.score >= algorithm.threshold:
                    pending.append((t, m, visible[m.record_id]))
        if progress is not None:
            progress(min(start + _CHUNK, total), total)
    hit_records = sorted({m.record_id for _, m, _ in pending})
    with transaction.atomic():
        screening = Screening.objects.create(
            user=user,
            purpose=purpose[:64],
            case=case[:64],
            format=format[:16],
            filename=filename[:255],
            algorithm=f"{algorithm.name}@{algorithm.version}",
            travellers=total,
            hits=sum(1 for r in results if r.hit),
        )
        # The hits' and the job's results' retention counts from the screening.
        depersonalise_after, retain_until = own_hit_dates(screening.created_at)
        if job is not None:
            ScreeningJob.objects.filter(pk=job.pk).update(
                screening=screening, depersonalise_after=depersonalise_after
            )
        by_row = {r.row: r for r in results}
        for t, m, pk in pending:
            hit = Hit.objects.create(
                screening=screening,
                row=t.row,
                traveller=t.as_dict(),
                record_id=pk,
                record_stix_id=m.record_id,
                score=m.score,
                explanation=m.explanation,
                action=m.action[:32],
                depersonalise_after=depersonalise_after,
                retain_until=retain_until,
            )
            by_row[t.row].hit_ids.append(hit.pk)
        audit(
            user,
            "screening.run",
            object_ids=hit_records,
            purpose=purpose,
            case=case,
            detail={
                "screening": screening.pk,
                "format": format,
                "filename": filename[:255],
                "travellers": total,
                "hits": screening.hits,
                "hit_rows": [r.row for r in results if r.hit][:1000],
                "algorithm": screening.algorithm,
                "watchlist_entries": len(wl),
            },
        )
    return results


def set_source_enabled(user: User | None, kind: str, enabled: bool) -> WatchlistSource:
    """Switch one watchlist source on or off.

    Legal effect: decides which records this node screens people against from now on (its
    own, partners', public lists); audited as ``screening.source``. Administrators and
    supervisors only.
    """
    if not can_switch_sources(user):
        raise PermissionDenied("only administrators and supervisors switch watchlist sources")
    if kind not in WatchlistSource.Kind.values:
        raise ValidationError(f"unknown watchlist source {kind!r}")
    with transaction.atomic():
        source, _ = WatchlistSource.objects.select_for_update().get_or_create(kind=kind)
        before = source.enabled
        source.enabled = bool(enabled)
        source.changed_by = user
        source.save()
        audit(
            user,
            "screening.source",
            detail={"kind": kind, "enabled": source.enabled, "was": before},
        )
    watchlist.invalidate()
    return source


def _sighting(hit: Hit, reviewer: User | None, reason: str) -> dict[str, Any]:
    from accord.node.models import NodeIdentity

    node = NodeIdentity.current()
    if node is None:
        raise ValidationError("this node has no identity yet: run `accord init` first")
    record = orjson.loads(hit.record.data)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    seen = hit.screening.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    travel = hit.traveller.get("travel", "")
    context = (
        f"Screening hit confirmed by a supervisor ({getattr(reviewer, 'username', 'system')}): "
        f"{hit.screening.format} screening {hit.screening.pk}, row {hit.row}"
        f"{', ' + travel if travel else ''}; score {hit.score:.2f} "
        f"({hit.screening.algorithm}); purpose {hit.screening.purpose}; reason: {reason}"
    )
    sighting: dict[str, Any] = {
        "type": "sighting",
        "spec_version": "2.1",
        "id": f"sighting--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "created_by_ref": node.identity_id,
        "first_seen": seen,
        "last_seen": seen,
        "count": 1,
        "sighting_of_ref": hit.record_stix_id,
        "where_sighted_refs": [node.identity_id],
        "description": context[:5000],
    }
    markings = record.get("object_marking_refs")
    if markings:
        sighting["object_marking_refs"] = list(markings)
    return sighting


def review_hit(user: User | None, hit: Hit, *, decision: str, reason: str) -> Hit:
    """Confirm or dismiss a pending hit, with a mandatory reason (four eyes).

    Legal effect: the human decision on a possible match. A supervisor other than the person who
    ran the screening decides; "confirmed" records that the person was encountered (a STIX
    sighting of the record is stored, and the originator of a partner's record is told what
    the agreement allows, see :func:`accord.screening.notices.notify_originator`); "dismissed"
    records that the match was wrong. Neither is an adverse decision about the person: what
    follows is for officers under their own law. Audited as ``screening.review``.
    """
    if not can_review(user):
        raise PermissionDenied("only supervisors confirm or dismiss hits")
    if decision not in (Hit.Status.CONFIRMED, Hit.Status.DISMISSED):
        raise ValidationError("decide 'confirmed' or 'dismissed'")
    reason = " ".join((reason or "").split())
    if len(reason) < 3:
        raise ValidationError("a reason is required")
    with transaction.atomic():
        hit = Hit.objects.select_for_update().select_related("screening", "record").get(pk=hit.pk)
        if hit.screening.user_id is not None and hit.screening.user_id == user.pk:
            raise PermissionDenied("the person who ran the screening cannot review its hits")
        if hit.status != Hit.Status.PENDING:
            raise ValidationError(f"this hit was already {hit.status}")
        visible = Record.objects.restrict(user, purpose=hit.screening.purpose).filter(
            pk=hit.record_id
        )
        if not visible.exists():
            raise PermissionDenied("you may not see the record of this hit")
        hit.status = decision
        hit.reviewer = user
        hit.reason = reason[:2000]
        hit.reviewed_at = timezone.now()
        if decision == Hit.Status.CONFIRMED:
            from accord.intel.services import RecordRefused, ingest_objects

            sighting = _sighting(hit, user, hit.reason)
            report = ingest_objects(
                user,
                [sighting],
                source=f"screening hit {hit.pk}",
                purpose=hit.screening.purpose,
            )
            if not report.ok:
                raise RecordRefused(report.refused)
            hit.sighting_id = sighting["id"]
        hit.save()
        audit(
            user,
            "screening.review",
            object_ids=[hit.record_stix_id] + ([hit.sighting_id] if hit.sighting_id else []),
            purpose=hit.screening.purpose,
            case=hit.screening.case,
            detail={
                "hit": hit.pk,
                "decision": decision,
                "reason": hit.reason,
                "screening": hit.screening_id,
                "score": hit.score,
            },
        )
        if decision == Hit.Status.CONFIRMED:
            notify_originator(hit, user)
    return hit


# --------------------------------------------------------------------------------------------
# Reads of traveller data: restricted by the querysets, audited with the reader's purpose

#: Hits listed per page or call, newest first; decided hits shown under the pending ones.
QUEUE_LIMIT: Final = 200
DECIDED_LIMIT: Final = 50


def _audit_hits_read(
    user: User | None, hits: Sequence[Hit], purpose: str, case: str, **detail: Any
) -> None:
    audit(
        user,
        "screening.hit_read",
        object_ids=sorted({h.record_stix_id for h in hits}),
        purpose=purpose,
        case=case,
        detail={"hits": [h.pk for h in hits], **detail},
    )


def review_queue(user: User | None, *, purpose: str, case: str = "") -> tuple[list[Hit], list[Hit]]:
    """The hits ``user`` may see under ``purpose``: the pending ones (newest first, 200 at most)
    and the 50 decided last. Supervisors see every hit on a record they may read; anyone else
    the hits of their own screenings.

    Legal effect: a consultation of the travellers' details held on the hits and of the records
    they matched; audited as ``screening.hit_read`` naming the records and the hits listed.
    """
    rows = (
        Hit.objects.restrict(user, purpose=purpose)
        .select_related("screening", "reviewer", "notice")
        .defer("explanation")
    )
    pending = list(rows.filter(status=Hit.Status.PENDING)[:QUEUE_LIMIT])
    decided = list(rows.exclude(status=Hit.Status.PENDING).order_by("-reviewed_at")[:DECIDED_LIMIT])
    _audit_hits_read(user, pending + decided, purpose, case, queue="all")
    return pending, decided


def pending_hits(user: User | None, *, purpose: str, case: str = "") -> list[Hit]:
    """The hits waiting for review on records ``user`` may read under ``purpose``, newest
    first (200 at most); supervisors only (``PermissionDenied`` for anyone else).

    Legal effect: a consultation of the travellers' details held on the hits; audited as
    ``screening.hit_read`` naming the records and the hits listed.
    """
    if not can_review(user):
        raise PermissionDenied("Only supervisors review hits.")
    rows = Hit.objects.restrict(user, purpose=purpose, action="review")
    listed = list(rows.filter(status=Hit.Status.PENDING).defer("explanation")[:QUEUE_LIMIT])
    _audit_hits_read(user, listed, purpose, case, queue="pending")
    return listed


def visible_hit(user: User | None, pk: int, *, purpose: str) -> Hit:
    """Hit ``pk`` if ``user`` may see it under ``purpose`` (``Hit.DoesNotExist`` otherwise, as
    for a missing one). Not audited by itself: a page or answer that shows the hit is
    (:func:`read_hit`, :func:`audit_hit_read`); a review names it in its own entry."""
    return (
        Hit.objects.restrict(user, purpose=purpose)
        .select_related("screening", "reviewer", "notice")
        .get(pk=pk)
    )


def audit_hit_read(user: User | None, hit: Hit, *, purpose: str, case: str = "") -> None:
    """Showing ``hit`` to ``user`` is a consultation of the traveller's details and of the
    record matched: audited as ``screening.hit_read`` with the purpose and case."""
    audit(
        user,
        "screening.hit_read",
        object_ids=[hit.record_stix_id],
        purpose=purpose,
        case=case,
        detail={"hit": hit.pk},
    )


def read_hit(user: User | None, pk: int, *, purpose: str, case: str = "") -> Hit:
    """One hit, with its review, what the originator was told and its answer, for ``user``
    under ``purpose`` (``Hit.DoesNotExist`` for one they may not see).

    Legal effect: a consultation of the traveller's details and of the record matched;
    audited as ``screening.hit_read``.
    """
    hit = visible_hit(user, pk, purpose=purpose)
    audit_hit_read(user, hit, purpose=purpose, case=case)
    return hit


def read_job(user: User | None, pk: int) -> ScreeningJob:
    """A background screening job of ``user``'s (``ScreeningJob.DoesNotExist`` for anyone
    else's): its progress, then its results.

    Legal effect: reading a finished job's results is a consultation of the records matched
    (and of the travellers' rows): audited as ``screening.job_read`` with the job's purpose and
    case. Nothing is audited while the job runs (it holds no results yet).
    """
    job = ScreeningJob.objects.get(pk=pk, user=user)
    results = (job.report or {}).get("results") or []
    if results:
        records = sorted({m["record_id"] for r in results for m in r.get("matches", [])})
        audit(
            user,
            "screening.job_read",
            object_ids=records[:1000],
            purpose=job.purpose,
            case=job.case,
            detail={"job": job.pk, "screening": job.screening_id, "rows": len(results)},
        )
    return job


def _deny(user: User | None, action: str, purpose: str, why: str) -> PermissionDenied:
    audit(user, action, purpose=purpose, outcome=Outcome.DENIED, detail={"why": why})
    return PermissionDenied(why)


def incoming_hits(
    user: User | None, *, purpose: str, case: str = "", status: str = ""
) -> list[IncomingHit]:
    """Partners' hits on this node's records that ``user`` may read, newest first (200 at most).

    Legal effect: a consultation of personal data received from partners (the traveller's
    details) and of this node's records they refer to; liaison officers only, restricted to the
    records the officer may see under ``purpose``; audited as ``screening.incoming_read`` with
    the records listed (a refusal as denied).
    """
    if not can_answer(user):
        raise _deny(user, "screening.incoming_read", purpose, "only liaison officers")
    if status and status not in IncomingHit.Status.values:
        raise ValidationError(f"unknown status {status!r}")
    rows = IncomingHit.objects.restrict(user, purpose=purpose).select_related("peer", "answered_by")
    if status:
        rows = rows.filter(status=status)
    listed = list(rows[:QUEUE_LIMIT])
    audit(
        user,
        "screening.incoming_read",
        object_ids=sorted({h.record_stix_id for h in listed}),
        purpose=purpose,
        case=case,
        detail={"incoming": [str(h.pk) for h in listed], "status": status or "all"},
    )
    return listed


def incoming_hit(user: User | None, pk: Any, *, purpose: str, case: str = "") -> IncomingHit:
    """One partner's hit, read by a liaison officer (audited ``screening.incoming_read``);
    ``IncomingHit.DoesNotExist`` also for one the officer may not see (or ``pk`` None)."""
    if not can_answer(user):
        raise _deny(user, "screening.incoming_read", purpose, "only liaison officers")
    rows = IncomingHit.objects.restrict(user, purpose=purpose)
    hit = rows.select_related("peer", "answered_by").get(pk=pk)
    audit(
        user,
        "screening.incoming_read",
        object_ids=[hit.record_stix_id],
        purpose=purpose,
        case=case,
        detail={"incoming": str(hit.pk), "peer": hit.peer.node_id},
    )
    return hit
