"""Feed services: configuring feeds and pulling them. Every write is audited here.

- ``can_configure(user)``, ``can_pull(user)``: node administrators configure feeds (they hold
  ``node.manage``); administrators and supervisors may start a pull and read the runs.
- ``create_feed(user, **fields) -> Feed``, ``update_feed(user, feed, **changes) -> Feed``,
  ``delete_feed(user, feed)``: audited ``feed.create``/``feed.update``/``feed.delete``; the
  secret is stored encrypted and never appears in an audit entry (only whether it was set).
- ``start_pull(user, feed, *, trigger) -> FeedRun``: queue a pull for the background worker.
- ``pull_feed(feed, *, user=None, progress=None, max_pages=None, run=None) -> FeedRun``: the
  pull itself (TAXII 2.1 Get Objects with ``added_after``), page by page, resumable.
- ``enqueue_due_feeds(now=None) -> list[FeedRun]``: the schedule's tick.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accord.engine.stix.markings import PURPOSES, TLP_LEVELS
from accord.feeds.client import FeedClient, FeedError, check_feed_url, inclusive_cursor
from accord.feeds.models import Feed, FeedRun
from accord.feeds.secrets import SecretUnavailable, decrypt_secret, encrypt_secret
from accord.node.chunking import chunks
from accord.oversight.services import Outcome, audit

if TYPE_CHECKING:
    from accord.accounts.models import User

__all__ = [
    "FEED_FIELDS",
    "FeedBusy",
    "can_configure",
    "can_pull",
    "create_feed",
    "delete_feed",
    "enqueue_due_feeds",
    "pull_feed",
    "start_pull",
    "update_feed",
]

log = logging.getLogger(__name__)

#: The fields a feed's configuration may set (besides ``secret``).
FEED_FIELDS = (
    "name",
    "url",
    "api_root",
    "collection_id",
    "username",
    "enabled",
    "interval_minutes",
    "page_size",
    "purpose",
    "default_tlp",
    "origin",
)
#: A running pull that has not reported for this long was interrupted (its process died).
STALE_AFTER = timedelta(minutes=15)
#: Refused objects kept on a run (the count is always complete).
REFUSALS_KEPT = 1000
MAX_PAGE_SIZE = 10_000


class FeedBusy(Exception):
    """A pull of this feed is already running."""


def can_configure(user: User | None) -> bool:
    """Node administrators (``node.manage``) configure feeds; the CLI (None) may too."""
    return user is None or bool(user.can("node.manage"))


def can_pull(user: User | None) -> bool:
    """Administrators and supervisors may start a pull and see runs."""
    if user is None:
        return True
    return bool(user.is_active and (user.can("node.manage") or user.role == "supervisor"))


def _name_problem(name: Any) -> str:
    if not name or len(name) > 64 or not all(c.isalnum() or c in "-_" for c in name):
        return "use 1-64 letters, digits, '-' or '_'"
    return ""


def _collection_problem(collection_id: Any) -> str:
    if not collection_id:
        return "the collection id is required"
    if not all(c.isalnum() or c in "-_." for c in collection_id):
        return "letters, digits, '-', '_' or '.' only"
    return ""


def _purpose_problem(purpose: Any) -> str:
    return "" if purpose in PURPOSES else f"one of {', '.join(PURPOSES)}"


def _tlp_problem(tlp: Any) -> str:
    if tlp and tlp not in TLP_LEVELS:
        return f"one of {', '.join(TLP_LEVELS)} or empty"
    return ""


def _page_size_problem(page_size: Any) -> str:
    return "" if 1 <= int(page_size) <= MAX_PAGE_SIZE else f"between 1 and {MAX_PAGE_SIZE}"


def _interval_problem(minutes: Any) -> str:
    return "" if int(minutes) >= 0 else "0 (on demand only) or more"


#: What is wrong with the value of a feed's field ('' when nothing), per field that is checked,
#: in the order their errors are reported.
_FIELD_CHECKS: dict[str, Callable[[Any], str]] = {
    "name": _name_problem,
    "url": check_feed_url,
    "collection_id": _collection_problem,
    "purpose": _purpose_problem,
    "default_tlp": _tlp_problem,
    "page_size": _page_size_problem,
    "interval_minutes": _interval_problem,
}


def _clean(values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """The feed fields given, stripped and checked (``creating``: the required ones present);
    ``TypeError`` for a name that is no feed field, ``ValidationError`` naming each problem."""
    unknown = set(values) - set(FEED_FIELDS)
    if unknown:
        raise TypeError(f"unknown feed fields: {', '.join(sorted(unknown))}")
    errors: dict[str, list[str]] = {}
    out = dict(values)
    for key in ("name", "url", "api_root", "collection_id", "username", "origin", "default_tlp"):
        if key in out and out[key] is not None:
            out[key] = str(out[key]).strip()
    for key, check in _FIELD_CHECKS.items():
        if key in out:
            problem = check(out[key])
            if problem:
                errors.setdefault(key, []).append(problem)
    if creating:
        for key in ("name", "url", "collection_id"):
            if not out.get(key):
                errors.setdefault(key, []).append("required")
    if errors:
        raise ValidationError(errors)
    return out


def create_feed(user: User | None, *, secret: str = "", **fields: Any) -> Feed:
    """Configure a new feed.

    Legal effect: none on records yet; it authorises this node to fetch the collection from
    that server on its schedule, importing what the server sends (under the purpose set here).
    The password or token is stored encrypted and not recorded in the audit entry.
    """
    if not can_configure(user):
        raise PermissionDenied("only node administrators configure feeds")
    values = _clean(fields, creating=True)
    with transaction.atomic():
        if Feed.objects.filter(name=values["name"]).exists():
            raise ValidationError({"name": [f"a feed named {values['name']!r} exists"]})
        feed = Feed.objects.create(**values, secret_encrypted=encrypt_secret(secret))
        audit(
            user,
            "feed.create",
            detail={
                "feed": feed.name,
                "url": feed.url,
                "collection": feed.collection_id,
                "username": feed.username,
                "secret_set": bool(secret),
                "enabled": feed.enabled,
                "interval_minutes": feed.interval_minutes,
                "purpose": feed.purpose,
            },
        )
    return feed


def update_feed(
    user: User | None, feed: Feed, *, secret: str | None = None, **changes: Any
) -> Feed:
    """Change a feed's configuration. ``secret`` None keeps the stored one, '' removes it.

    Legal effect: as :func:`create_feed`; changing the URL or collection resets the cursor,
    so that the next pull starts from the new collection's beginning.
    """
    if not can_configure(user):
        raise PermissionDenied("only node administrators configure feeds")
    values = _clean(changes, creating=False)
    with transaction.atomic():
        feed = Feed.objects.select_for_update().get(pk=feed.pk)
        if (
            "name" in values
            and values["name"] != feed.name
            and Feed.objects.filter(name=values["name"]).exists()
        ):
            raise ValidationError({"name": [f"a feed named {values['name']!r} exists"]})
        changed = {k: v for k, v in values.items() if getattr(feed, k) != v}
        for key, value in changed.items():
            setattr(feed, key, value)
        detail: dict[str, Any] = {"feed": feed.name, "changed": sorted(changed)}
        if {"url", "api_root", "collection_id"} & set(changed):
            feed.added_after = ""
            feed.resume_inclusive = False
            detail["cursor_reset"] = True
        if secret is not None:
            feed.secret_encrypted = encrypt_secret(secret)
            detail["secret"] = "replaced" if secret else "removed"
        feed.save()
        audit(user, "feed.update", detail=detail)
    return feed


def delete_feed(user: User | None, feed: Feed) -> None:
    """Remove a feed and its run history. Legal effect: the node stops fetching from it; the
    records already pulled stay (with their ``feed:<name>`` provenance)."""
    if not can_configure(user):
        raise PermissionDenied("only node administrators configure feeds")
    with transaction.atomic():
        name = feed.name
        feed.delete()
        audit(user, "feed.delete", detail={"feed": name})


def _actor_name(user: User | None) -> str:
    return str(getattr(user, "username", "") or "system")


def start_pull(user: User | None, feed: Feed, *, trigger: str = FeedRun.Trigger.MANUAL) -> FeedRun:
    """Queue a pull of ``feed`` for the background worker (the returned run is 'queued').

    Legal effect: as :func:`pull_feed` once the worker runs it; the request is audited as
    ``feed.pull.request`` with who asked.
    """
    if not can_pull(user):
        raise PermissionDenied("only administrators and supervisors start feed pulls")
    from accord.feeds.tasks import run_feed_pull

    with transaction.atomic():
        pending = feed.runs.filter(status=FeedRun.Status.QUEUED).first()
        if pending is not None:
            return pending
        run = FeedRun.objects.create(feed=feed, trigger=trigger, triggered_by=_actor_name(user))
        audit(user, "feed.pull.request", detail={"feed": feed.name, "run": run.pk})
    run_feed_pull.enqueue(run.pk)
    run.refresh_from_db()
    return run


def _claim(feed: Feed, run: FeedRun | None, trigger: str, user: User | None) -> FeedRun:
    """Mark ``run`` (or a new run) running, unless another run of the feed is running."""
    now = timezone.now()
    with transaction.atomic():
        Feed.objects.select_for_update().filter(pk=feed.pk).first()
        busy = feed.runs.filter(status=FeedRun.Status.RUNNING)
        if run is not None:
            busy = busy.exclude(pk=run.pk)
        for other in busy:
            if other.heartbeat_at and now - other.heartbeat_at < STALE_AFTER:
                raise FeedBusy(
                    f"a pull of feed {feed.name} is already running (run {other.pk}, since "
                    f"{other.started_at:%Y-%m-%d %H:%M:%S} UTC)"
                )
            other.status = FeedRun.Status.FAILED
            other.error = "interrupted: the process running this pull stopped"
            other.finished_at = now
            other.save(update_fields=["status", "error", "finished_at"])
        if run is None:
            run = FeedRun(feed=feed, trigger=trigger, triggered_by=_actor_name(user))
        run.status = FeedRun.Status.RUNNING
        run.started_at = now
        run.heartbeat_at = now
        run.cursor_before = feed.added_after
        run.save()
    return run


def _apply_default_tlp(feed: Feed, ids: list[str]) -> None:
    """Give unmarked records of this page the feed's default TLP (in the index only)."""
    if not feed.default_tlp or not ids:
        return
    from accord.intel.models import Record

    for chunk in chunks(ids):
        Record.objects.filter(stix_id__in=chunk, tlp="").update(tlp=feed.default_tlp)


def pull_feed(
    feed: Feed,
    *,
    user: User | None = None,
    progress: Callable[[FeedRun], None] | None = None,
    max_pages: int | None = None,
    run: FeedRun | None = None,
    trigger: str = FeedRun.Trigger.CLI,
) -> FeedRun:
    """Pull what the feed's collection added since the cursor, page by page.

    Each page is stored in one transaction together with the advanced cursor
    (``X-TAXII-Date-Added-Last``), through ``ingest_objects(..., all_or_nothing=False)``:
    valid objects are stored (as new records or versions, idempotent on (id, modified)),
    invalid ones are counted as refused. A failure (network, HTTP 401/403/404, invalid JSON or
    envelope) ends the run as failed with a message; nothing of the failing page is stored and
    the next run resumes after the last stored page. ``max_pages`` stops the run early
    (status 'partial').

    Legal effect: imports the collection's objects into this node's records as the node
    itself (owner: none), each version tagged with the source ``feed:<name>`` and the
    feed's origin; the objects' own markings then govern every read and disclosure. Audited as
    ``feed.pull`` (who started it, counts, cursor) and ``record.import`` for each page.
    """
    if not can_pull(user):
        raise PermissionDenied("only administrators and supervisors start feed pulls")
    from accord.intel.services import ingest_objects

    run = _claim(feed, run, trigger, user)
    feed.refresh_from_db()
    cursor = feed.added_after
    ask_after = inclusive_cursor(cursor) if cursor and feed.resume_inclusive else cursor
    refusals: list[dict[str, str]] = []
    client: FeedClient | None = None
    if progress is not None:
        progress(run)
    try:
        secret = decrypt_secret(feed.secret_encrypted)
        client = FeedClient(
            feed.url,
            collection_id=feed.collection_id,
            api_root=feed.api_root,
            username=feed.username,
            secret=secret,
            page_size=feed.page_size,
            purpose=feed.purpose,
        )
        finished = True
        for page in client.pages(ask_after):
            with transaction.atomic():
                report = ingest_objects(
                    None,
                    page.objects,
                    source=feed.source,
                    purpose=feed.purpose,
                    origin_node=feed.origin_node,
                    all_or_nothing=False,
                )
                refused_at = {r.index for r in report.refused}
                stored_ids = sorted(
                    {
                        o["id"]
                        for i, o in enumerate(page.objects)
                        if i not in refused_at
                        and isinstance(o, dict)
                        and isinstance(o.get("id"), str)
                    }
                )
                _apply_default_tlp(feed, stored_ids)
                run.pages += 1
                run.received += report.received
                run.stored += report.imported + report.new_versions
                run.unchanged += report.unchanged
                run.refused += len(refused_at)
                for r in report.refused:
                    if len(refusals) < REFUSALS_KEPT:
                        refusals.append({"id": r.stix_id, "path": r.path, "message": r.message})
                if page.date_added_last:
                    feed.added_after = page.date_added_last
                feed.resume_inclusive = page.more
                feed.save(update_fields=["added_after", "resume_inclusive", "updated_at"])
                run.cursor_after = feed.added_after
                run.heartbeat_at = timezone.now()
                run.refusals = refusals
                run.save()
            if progress is not None:
                progress(run)
            if page.more and max_pages is not None and run.pages >= max_pages:
                finished = False
                break
        run.status = FeedRun.Status.DONE if finished else FeedRun.Status.PARTIAL
        if not finished:
            run.error = f"stopped after {run.pages} page(s) (page limit); the next pull resumes"
    except (FeedError, SecretUnavailable) as exc:
        run.status = FeedRun.Status.FAILED
        run.error = str(exc)
    except Exception:  # a defect or a database failure: recorded, never half-stored
        log.exception("feed %s: pull failed", feed.name)
        run.status = FeedRun.Status.FAILED
        run.error = (
            "the pull stopped on an unexpected error; the pages before it are stored and the "
            "next pull resumes after them. If it happens again, give an administrator the run "
            f"number ({run.pk}): the node's log holds the cause"
        )
    finally:
        if client is not None:
            client.close()
    return _finish(feed, run, user)


def _finish(feed: Feed, run: FeedRun, user: User | None) -> FeedRun:
    now = timezone.now()
    run.finished_at = now
    run.cursor_after = Feed.objects.filter(pk=feed.pk).values_list("added_after", flat=True)[0]
    with transaction.atomic():
        run.save()
        Feed.objects.filter(pk=feed.pk).update(
            last_run_at=run.started_at or now,
            last_status=run.status,
            last_error=run.error,
        )
        audit(
            user,
            "feed.pull",
            outcome=Outcome.FAILED if run.status == FeedRun.Status.FAILED else Outcome.OK,
            detail={
                "feed": feed.name,
                "run": run.pk,
                "trigger": run.trigger,
                "status": run.status,
                **run.totals(),
            },
        )
    feed.refresh_from_db()
    return run


def enqueue_due_feeds(now: datetime | None = None) -> list[FeedRun]:
    """Queue a pull of every enabled, scheduled feed whose interval has passed and that has
    no pull queued or running. Legal effect: as :func:`start_pull` (by the node itself)."""
    now = now or timezone.now()
    queued: list[FeedRun] = []
    for feed in Feed.objects.filter(enabled=True, interval_minutes__gt=0):
        due = feed.next_due()
        if due is None or due > now:
            continue
        active = feed.runs.filter(status__in=[FeedRun.Status.QUEUED, FeedRun.Status.RUNNING])
        if any(
            r.status == FeedRun.Status.QUEUED
            or (r.heartbeat_at and now - r.heartbeat_at < STALE_AFTER)
            for r in active
        ):
            continue
        queued.append(start_pull(None, feed, trigger=FeedRun.Trigger.SCHEDULE))
    return queued
