"""Screening services: every screening, source switch and hit review goes through here.

- ``screen(user, travellers, *, purpose, case="", format="person", filename="", progress=None)
  -> list[ScreeningResult]``: restricted, audited screening in input order; possible matches
  are queued as pending hits.
- ``set_source_enabled(user, kind, enabled) -> WatchlistSource``: switch a watchlist source.
- ``review_hit(user, hit, *, decision, reason) -> Hit``: a supervisor confirms or dismisses.
- ``notify_originator(hit, user) -> str`` (:mod:`accord.screening.notices`): a confirmed hit on
  a partner's record is reported to its originator with only what the agreement allows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import orjson
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accord.engine.manifests import Traveller
from accord.engine.matching import Person
from accord.intel.models import Record
from accord.oversight.services import audit
from accord.screening.models import Hit, Screening, ScreeningJob, WatchlistSource
from accord.screening.notices import notify_originator
from accord.screening.retention import own_hit_dates
from accord.screening.watchlist import Entry, watchlist

__all__ = [
    "MAX_MATCHES",
    "REPORT_FLOOR",
    "Match",
    "ScreeningResult",
    "can_review",
    "can_screen",
    "can_switch_sources",
    "notify_originator",
    "review_hit",
    "screen",
    "set_source_enabled",
]

#: Matches listed per traveller, best first.
MAX_MATCHES: Final = 5
#: Candidates scoring below this are not listed (they are noise, not leads).
REPORT_FLOOR: Final = 0.3
#: Candidates retrieved from the index per traveller before the visibility filter.
_POOL: Final = 24
#: Travellers whose candidates are checked for visibility in one query.
_CHUNK: Final = 500
_ROLES_REVIEW: Final = frozenset({"supervisor"})
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


def can_screen(user: Any) -> bool:
    return user is None or bool(user.can("record.view"))


def can_review(user: Any) -> bool:
    return user is not None and user.is_active and user.role in _ROLES_REVIEW


def can_switch_sources(user: Any) -> bool:
    return user is not None and user.is_active and user.role in _ROLES_SOURCES


def _query(t: Traveller) -> Person:
    return Person(
        names=t.names,
        birth_date=t.birth_date,
        nationalities=t.nationalities,
        gender=t.gender,
        documents=tuple(d.number for d in t.documents),
    )


def _visible(user: Any, purpose: str, record_ids: set[str]) -> dict[str, int]:
    """stix_id -> pk of the records among ``record_ids`` that ``user`` may see."""
    qs = Record.objects.all() if user is None else Record.objects.restrict(user, purpose=purpose)
    out: dict[str, int] = {}
    ids = sorted(record_ids)
    for i in range(0, len(ids), 900):
        out.update(qs.filter(stix_id__in=ids[i : i + 900]).values_list("stix_id", "pk"))
    return out


def _reportable(index: Any, query: Person) -> set[int]:
    """The slots of ``query``'s candidates whose score reaches :data:`REPORT_FLOOR`, scored on
    the index's prepared form of each entry: the same score ``compare`` gives, without the
    per-feature explanation, which costs many times more. Only these candidates are explained
    (:func:`_matches`); the others could not be listed anyway."""
    return {
        c.slot
        for c in index.search(query, limit=_POOL, pool=_POOL)
        if round(c.score, 4) >= REPORT_FLOOR
    }


def _matches(query: Person, entries: list[Entry], algorithm: Any) -> list[Match]:
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
    user: Any,
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
            hit = bool(matches) and matches[0].score >= algorithm.threshold
            result = ScreeningResult(t.row, t.id, hit, matches, error=t.problem)
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


def set_source_enabled(user: Any, kind: str, enabled: bool) -> WatchlistSource:
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


def _sighting(hit: Hit, reviewer: Any, reason: str) -> dict[str, Any]:
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


def review_hit(user: Any, hit: Hit, *, decision: str, reason: str) -> Hit:
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
