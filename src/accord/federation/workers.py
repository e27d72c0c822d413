"""Which processes are alive, and taking back the work of those that died.

Every process that claims work (an outbox item, a django-tasks database task) names itself by
:func:`process_id`: ``<hostname>:<host key>:<pid>:<start time>``. The host key is a digest of
the host name, the kernel's boot id and the process's PID namespace, so two processes with the
same key see the same PIDs; the start time (clock ticks since boot, from ``/proc``) tells a
process from a later one that was given the same PID. So, on the same host, whether the process
that holds a claim is still running is known at once (:func:`liveness`), without waiting for a
timeout. A worker on another host is judged by its heartbeat (``WorkerBeat``: the worker's
schedule beats every few seconds; one silent for :data:`WORKER_TIMEOUT` is gone).

:func:`recover` (run when a worker starts, every 5 seconds on its schedule, and before every
delivery pass) takes back what dead processes held:

- outbox items left ``sending`` by a dead process become ``failed``, due at once (the peer
  may have stored them before the process died; the receiver applies each (id, modified)
  idempotently, so sending them again is harmless);
- django-tasks database results left ``RUNNING`` by a dead worker are marked ``FAILED`` with
  the reason, and a task registered at :data:`accord.node.extensions.RETRY_AFTER_WORKER_DEATH`
  (one that may run twice: delivery passes, pulls) is queued again, unless its worker died
  running it :data:`MAX_WORKER_DEATHS` times within the hour (a task that kills its worker
  would otherwise be retried for ever); the task's own record (an import or screening job) is
  settled by what its app registered at :data:`accord.node.extensions.WORKER_DEATH_SETTLER`.

A claim whose process cannot be judged (another host without a heartbeat, an identity in
another format) is left to the outbox's stale-claim rule (``STALE_CLAIM``, 10 minutes).
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accord.node.extensions import RETRY_AFTER_WORKER_DEATH, WORKER_DEATH_SETTLER, lookup

__all__ = [
    "MAX_WORKER_DEATHS",
    "WORKER_DIED",
    "WORKER_TIMEOUT",
    "Liveness",
    "RecoveryReport",
    "beat",
    "liveness",
    "process_id",
    "recover",
    "register_worker",
    "unregister_worker",
]

log = logging.getLogger(__name__)

#: A worker on another host whose heartbeat is older than this is taken for dead.
WORKER_TIMEOUT = timedelta(seconds=60)
#: A task whose worker died this many times within the hour is not queued again.
MAX_WORKER_DEATHS = 3
#: ``exception_class_path`` of a task result failed because its worker died.
WORKER_DIED = "accord.federation.workers.WorkerDied"


class Liveness(Enum):
    ALIVE = "alive"
    DEAD = "dead"
    UNKNOWN = "unknown"


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def _start_ticks(pid: int) -> str:
    """The process's start time (clock ticks since boot, ``/proc/<pid>/stat`` field 22); ""
    when there is no such process or no ``/proc``."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return ""
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else ""


@lru_cache(maxsize=1)
def _host() -> tuple[str, str]:
    """(host name, host key): the key names the host, its boot and this PID namespace."""
    name = socket.gethostname().split(".")[0].replace(":", "-")[:20] or "host"
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    boot = _read("/proc/sys/kernel/random/boot_id")
    key = hashlib.sha256(f"{socket.gethostname()}\n{boot}\n{namespace}".encode()).hexdigest()
    return name, key[:8]


def process_id(pid: int | None = None) -> str:
    """This process's identity (at most 64 characters): ``host:key:pid:start``."""
    pid = os.getpid() if pid is None else pid
    name, key = _host()
    return f"{name}:{key}:{pid}:{_start_ticks(pid) or '0'}"


def _alive_here(pid: int, start: str) -> bool:
    """Whether process ``pid``, started at ``start`` ("0": unknown), runs on this host."""
    if pid <= 0:
        return False
    now = _start_ticks(pid)
    if now:
        return start in ("0", now)
    if os.path.isdir("/proc/self"):
        return False  # /proc is there and has no such process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def liveness(identity: str, beats: dict[str, datetime] | None = None) -> Liveness:
    """Whether the process named ``identity`` (see :func:`process_id`) is still running.

    On this host: looked up at once. Elsewhere: by its heartbeat (``beats``: worker id -> last
    beat; read from ``WorkerBeat`` when not given): silent for :data:`WORKER_TIMEOUT`, dead; no
    heartbeat at all (a command-line process on another host), unknown."""
    parts = identity.split(":")
    if len(parts) != 4 or not parts[2].isdigit():
        return Liveness.UNKNOWN
    _, key = _host()
    if parts[1] == key:
        return Liveness.ALIVE if _alive_here(int(parts[2]), parts[3]) else Liveness.DEAD
    if beats is None:
        from accord.federation.models import WorkerBeat

        beats = dict(WorkerBeat.objects.values_list("worker_id", "seen_at"))
    seen = beats.get(identity)
    if seen is None:
        return Liveness.UNKNOWN
    return Liveness.DEAD if seen < timezone.now() - WORKER_TIMEOUT else Liveness.ALIVE


def register_worker(worker_id: str) -> None:
    """Record that the worker ``worker_id`` runs (its first heartbeat)."""
    from accord.federation.models import WorkerBeat

    now = timezone.now()
    WorkerBeat.objects.update_or_create(
        worker_id=worker_id, defaults={"started_at": now, "seen_at": now}
    )


def beat(worker_id: str) -> None:
    """The worker's heartbeat (its schedule's every tick)."""
    from accord.federation.models import WorkerBeat

    if not WorkerBeat.objects.filter(worker_id=worker_id).update(seen_at=timezone.now()):
        register_worker(worker_id)  # taken for dead by another host after a long pause


def unregister_worker(worker_id: str) -> None:
    """The worker stops cleanly: nothing of it needs taking back."""
    from accord.federation.models import WorkerBeat

    WorkerBeat.objects.filter(worker_id=worker_id).delete()


@dataclass
class RecoveryReport:
    """What :func:`recover` took back: outbox items, failed tasks, tasks queued again, and the
    dead processes they belonged to."""

    items: int = 0
    tasks_failed: int = 0
    tasks_retried: int = 0
    dead: list[str] = field(default_factory=list)


def _judge(
    identities: Iterable[str], beats: dict[str, datetime], verdicts: dict[str, Liveness]
) -> list[str]:
    dead = []
    for identity in identities:
        if identity not in verdicts:
            verdicts[identity] = liveness(identity, beats)
        if verdicts[identity] is Liveness.DEAD:
            dead.append(identity)
    return dead


def _release_items(dead: list[str], now: datetime) -> int:
    from accord.federation.models import OutboxItem

    if not dead:
        return 0
    return int(
        OutboxItem.objects.filter(status=OutboxItem.Status.SENDING, claimed_by__in=dead).update(
            status=OutboxItem.Status.FAILED,
            attempts=F("attempts") + 1,
            claim="",
            next_attempt_at=now,
            last_error="the process sending it stopped before the peer's answer was recorded",
        )
    )


def _fail_tasks(
    beats: dict[str, datetime], verdicts: dict[str, Liveness], now: datetime, report: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    running = list(
        DBTaskResult.objects.filter(status="RUNNING").values_list("pk", "worker_ids", "task_path")
    )
    for pk, worker_ids, task_path in running:
        worker = str(worker_ids[-1]) if isinstance(worker_ids, list) and worker_ids else ""
        if not worker or not _judge([worker], beats, verdicts):
            continue
        with transaction.atomic():
            row = DBTaskResult.objects.select_for_update().filter(pk=pk, status="RUNNING").first()
            if row is None:
                continue  # settled meanwhile (another worker's recovery)
            reason = f"the worker {worker} stopped (killed or crashed) while running this task"
            deaths = DBTaskResult.objects.filter(
                task_path=row.task_path,
                exception_class_path=WORKER_DIED,
                finished_at__gte=now - timedelta(hours=1),
            ).count()
            again = None
            retryable = lookup(RETRY_AFTER_WORKER_DEATH, task_path) is not None
            if retryable and deaths + 1 < MAX_WORKER_DEATHS:
                again = DBTaskResult.objects.create(
                    args_kwargs=row.args_kwargs,
                    priority=row.priority,
                    task_path=row.task_path,
                    queue_name=row.queue_name,
                    backend_name=row.backend_name,
                    # As soon as a worker is free: django-tasks-db stores None as its "no delay"
                    # date (a pre_save handler), as its own enqueue does; its field says NOT NULL.
                    run_after=None,  # type: ignore[misc]
                )
                reason += f"; queued again as {again.pk}"
            elif retryable:
                reason += f"; not queued again: its worker died {deaths + 1} times within the hour"
                log.error("workers: %s (%s): %s", task_path, pk, reason)
            settle = lookup(WORKER_DEATH_SETTLER, task_path)
            if settle is not None:
                settle(row.args_kwargs if isinstance(row.args_kwargs, dict) else {}, reason)
            row.status = "FAILED"
            row.finished_at = now
            row.exception_class_path = WORKER_DIED
            row.traceback = reason
            row.return_value = None
            row.save(
                update_fields=[
                    "status",
                    "finished_at",
                    "exception_class_path",
                    "traceback",
                    "return_value",
                ]
            )
        report.tasks_failed += 1
        report.tasks_retried += again is not None
        log.warning("workers: task %s (%s) failed: %s", task_path, pk, reason)


def recover(*, tasks: bool = True) -> RecoveryReport:
    """Take back the outbox claims of dead processes, and (``tasks``) fail the tasks their
    workers left running, queueing again those that may run twice; forget the heartbeats of
    dead workers. Safe to run from several processes at once: only dead processes' work is
    touched, and each row is settled once."""
    from accord.federation.models import OutboxItem, WorkerBeat

    now = timezone.now()
    beats = dict(WorkerBeat.objects.values_list("worker_id", "seen_at"))
    verdicts: dict[str, Liveness] = {}
    report = RecoveryReport()
    claimers = set(
        OutboxItem.objects.filter(status=OutboxItem.Status.SENDING)
        .exclude(claimed_by="")
        .values_list("claimed_by", flat=True)
        .distinct()
    )
    report.items = _release_items(_judge(sorted(claimers), beats, verdicts), now)
    if tasks:
        _fail_tasks(beats, verdicts, now, report)
    gone = _judge(sorted(beats), beats, verdicts)
    if gone:
        WorkerBeat.objects.filter(worker_id__in=gone).delete()
    report.dead = sorted(k for k, v in verdicts.items() if v is Liveness.DEAD)
    if report.items or report.tasks_failed:
        log.warning(
            "workers: took back %d outbox item(s) and %d task(s) (%d queued again) of %s",
            report.items,
            report.tasks_failed,
            report.tasks_retried,
            ", ".join(report.dead),
        )
    return report
