"""The task worker's schedule: the entries the apps register, run by one thread of the worker.

Each app declares its periodic work as a :class:`~accord.node.extensions.ScheduleEntry` in its
``AppConfig.ready`` (``extensions.register(self, extensions.SCHEDULE, name, entry)``). The worker
process (``accord serve`` starts it: :func:`accord.cli.serve.worker_main`) starts one
:class:`ScheduleRunner`, whose thread wakes when the next entry is due (at least once a second)
and, for each entry whose interval has passed, calls its due-check and, when due, starts its
work: it queues the entry's django-tasks task on the database queue, which the same worker runs,
or calls the entry's short callable (itself queueing a task, or a few indexed writes).

- An entry runs at most once per interval; its first run is ``first_after`` seconds after the
  worker starts.
- An entry that raises is logged with its traceback and tried again at its next interval; the
  other entries run as usual.
- The runner beats the worker's heartbeat every :data:`HEARTBEAT_EVERY` seconds (``heartbeat``:
  given by the worker, which knows its identity).
- Where each entry stands (last run, next due, last start of its work, last failure) is written
  to :class:`~accord.node.models.ScheduleState` every :data:`FLUSH_EVERY` seconds, for ``accord
  tasks list`` (:func:`describe`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import close_old_connections, transaction
from django.utils import timezone

from accord.node import extensions
from accord.node.extensions import Registration, ScheduleEntry

__all__ = [
    "FLUSH_EVERY",
    "HEARTBEAT_EVERY",
    "EntryState",
    "EntryView",
    "ScheduleRunner",
    "describe",
    "entries",
    "run_now",
    "save_states",
]

log = logging.getLogger(__name__)

#: Seconds between two heartbeats of the worker.
HEARTBEAT_EVERY = 5.0
#: Seconds between two writes of the entries' state to the database.
FLUSH_EVERY = 5.0
#: The longest the runner sleeps: an interval read from a setting is read again this often.
MAX_SLEEP = 1.0
#: A run due within this many seconds is run now (the clock's wake-up is not exact).
SLACK = 0.01


def entries() -> tuple[Registration[ScheduleEntry], ...]:
    """The registered schedule, in registration order."""
    return extensions.registrations(extensions.SCHEDULE)


def run_now(name: str) -> bool:
    """Run the registered entry ``name`` once, now, as a due tick of the schedule does: its
    due-check, then its work when due; whether the work started. ``KeyError`` when there is no
    such entry."""
    entry = extensions.lookup(extensions.SCHEDULE, name)
    if entry is None:
        raise KeyError(f"no schedule entry {name!r}")
    if entry.due is not None and not entry.due():
        return False
    entry.start()
    return True


@dataclass
class EntryState:
    """Where one entry stands in this worker (``*_at``: wall clock; ``last_mono``: the
    monotonic clock of the last run, which decides when it is due again)."""

    name: str
    interval_s: float = 0.0
    last_run_at: datetime | None = None
    next_due_at: datetime | None = None
    last_started_at: datetime | None = None
    last_error: str = ""
    last_error_at: datetime | None = None
    failures: int = 0
    last_mono: float | None = None


def save_states(states: Sequence[EntryState], worker_id: str = "") -> None:
    """Write the entries' state (:class:`~accord.node.models.ScheduleState`), one transaction."""
    from accord.node.models import ScheduleState

    with transaction.atomic():
        for s in states:
            ScheduleState.objects.update_or_create(
                name=s.name,
                defaults={
                    "interval_s": s.interval_s,
                    "last_run_at": s.last_run_at,
                    "next_due_at": s.next_due_at,
                    "last_started_at": s.last_started_at,
                    "last_error": s.last_error,
                    "last_error_at": s.last_error_at,
                    "failures": s.failures,
                    "worker_id": worker_id,
                },
            )


class ScheduleRunner:
    """Runs the schedule's ``entries`` (the registered ones by default) in one thread.

    ``clock`` (monotonic seconds) and ``now`` (wall clock) are there for tests; ``store``
    receives the entries' state every :data:`FLUSH_EVERY` seconds (None: kept in memory only).
    """

    def __init__(
        self,
        schedule: Sequence[Registration[ScheduleEntry]] | None = None,
        *,
        heartbeat: Callable[[], object] | None = None,
        worker_id: str = "",
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = timezone.now,
        store: Callable[[Sequence[EntryState], str], None] | None = save_states,
    ) -> None:
        self.schedule = tuple(entries() if schedule is None else schedule)
        self.heartbeat = heartbeat
        self.worker_id = worker_id
        self.clock = clock
        self.now = now
        self.store = store
        self.started = clock()
        self.states = {r.name: EntryState(r.name) for r in self.schedule}
        self._beat_at = self.started
        self._flush_at = self.started

    def _due_at(self, entry: ScheduleEntry, state: EntryState, interval: float) -> float:
        """The monotonic time at which ``entry`` runs next."""
        if state.last_mono is not None:
            return state.last_mono + interval
        first = entry.first_after if entry.first_after is not None else interval
        return self.started + first

    def tick(self) -> list[str]:
        """Beat the heartbeat when it is time, then run every entry whose interval has
        passed; the names of the entries that started their work."""
        t = self.clock()
        if self.heartbeat is not None and t + SLACK >= self._beat_at:
            self._beat_at = t + HEARTBEAT_EVERY
            try:
                self.heartbeat()
            except Exception:
                log.exception("schedule: the worker's heartbeat failed; trying again")
        started: list[str] = []
        for registration in self.schedule:
            if self._run(registration.name, registration.value):
                started.append(registration.name)
        return started

    def _run(self, name: str, entry: ScheduleEntry) -> bool:
        state = self.states[name]
        try:
            interval = entry.interval()
        except Exception as exc:
            self._failed(state, exc, "its interval cannot be read")
            return False
        state.interval_s = interval
        if interval <= 0:
            state.next_due_at = None  # off
            return False
        t = self.clock()
        due_at = self._due_at(entry, state, interval)
        if t + SLACK < due_at:
            state.next_due_at = self.now() + timedelta(seconds=due_at - t)
            return False
        state.last_mono = t
        state.last_run_at = self.now()
        state.next_due_at = state.last_run_at + timedelta(seconds=interval)
        try:
            if entry.due is not None and not entry.due():
                return False
            entry.start()
        except Exception as exc:
            self._failed(state, exc, f"trying again in {interval:g} s")
            return False
        state.last_started_at = self.now()
        return True

    def _failed(self, state: EntryState, exc: Exception, then: str) -> None:
        log.exception("schedule: %s failed (%s); the other entries go on", state.name, then)
        state.failures += 1
        state.last_error = f"{type(exc).__name__}: {exc}"[:500]
        state.last_error_at = self.now()

    def seconds_to_next(self) -> float:
        """How long the runner may sleep before something is due (at most :data:`MAX_SLEEP`)."""
        t = self.clock()
        wake = t + MAX_SLEEP
        if self.heartbeat is not None:
            wake = min(wake, self._beat_at)
        for registration in self.schedule:
            state = self.states[registration.name]
            interval = state.interval_s
            if interval > 0:
                wake = min(wake, self._due_at(registration.value, state, interval))
        return max(0.0, wake - t)

    def flush(self, *, force: bool = False) -> None:
        """Write the entries' state when :data:`FLUSH_EVERY` seconds have passed (or now)."""
        t = self.clock()
        if self.store is None or (not force and t + SLACK < self._flush_at):
            return
        self._flush_at = t + FLUSH_EVERY
        try:
            self.store([replace(s) for s in self.states.values()], self.worker_id)
        except Exception:
            log.exception("schedule: the entries' state could not be written; trying again")

    def run_forever(self, stop: threading.Event) -> None:
        """Tick until ``stop`` is set (the first tick at once)."""
        while True:
            try:
                close_old_connections()
                self.tick()
                self.flush()
            except Exception:
                log.exception("schedule: the tick failed; trying again")
            finally:
                close_old_connections()
            if stop.wait(self.seconds_to_next()):
                return

    def start(self) -> threading.Thread:
        """Run the schedule in a daemon thread (it ends with the worker process)."""
        stop = threading.Event()
        thread = threading.Thread(
            target=self.run_forever, args=(stop,), name="accord-schedule", daemon=True
        )
        thread.start()
        return thread


# --------------------------------------------------------------------------------------------
# What `accord tasks list` shows


@dataclass
class EntryView:
    """One schedule entry as ``accord tasks list`` shows it: the registration, the worker's
    last record of it (``last_*``, ``next_due_at``, ``failures``: None when no worker ran it
    yet) and its task's results in the task table (queued, running, failed in the last day)."""

    name: str
    app: str
    summary: str
    task: str
    interval_s: float
    last_run_at: datetime | None
    next_due_at: datetime | None
    last_started_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    failures: int
    queued: int | None
    running: int | None
    failed: int | None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, datetime):
                out[key] = value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return out


#: The window of failed task results ``accord tasks list`` counts.
FAILED_WINDOW = timedelta(days=1)


def describe(now: datetime | None = None) -> list[EntryView]:
    """Every registered schedule entry with where it stands (see :class:`EntryView`)."""
    from django.db.models import Count, Q
    from django_tasks_db.models import DBTaskResult

    from accord.node.models import ScheduleState

    now = now or timezone.now()
    schedule = entries()
    states = {s.name: s for s in ScheduleState.objects.filter(name__in=[r.name for r in schedule])}
    paths = sorted({r.value.task_path() for r in schedule} - {""})
    counts = {
        row["task_path"]: row
        for row in DBTaskResult.objects.filter(task_path__in=paths)
        .values("task_path")
        .annotate(
            queued=Count("pk", filter=Q(status="READY")),
            running=Count("pk", filter=Q(status="RUNNING")),
            failed=Count("pk", filter=Q(status="FAILED", finished_at__gte=now - FAILED_WINDOW)),
        )
    }
    views = []
    for registration in schedule:
        entry, state = registration.value, states.get(registration.name)
        path = entry.task_path()
        row = counts.get(path, {"queued": 0, "running": 0, "failed": 0}) if path else None
        try:
            interval = entry.interval()
        except Exception:
            interval = state.interval_s if state is not None else 0.0
        views.append(
            EntryView(
                name=registration.name,
                app=registration.app,
                summary=entry.summary,
                task=path,
                interval_s=state.interval_s if state is not None else interval,
                last_run_at=state.last_run_at if state else None,
                next_due_at=state.next_due_at if state else None,
                last_started_at=state.last_started_at if state else None,
                last_error=state.last_error if state else "",
                last_error_at=state.last_error_at if state else None,
                failures=state.failures if state else 0,
                queued=row["queued"] if row is not None else None,
                running=row["running"] if row is not None else None,
                failed=row["failed"] if row is not None else None,
            )
        )
    return views
