"""``accord tasks list --data-dir DIR [--json]``: the task worker's schedule and where it stands.

One line per entry of the schedule every app registers (:mod:`accord.node.schedule`), in the
order the worker runs them: its name, interval (``off`` when a setting turned it off), when the
worker last ran it and when it is next due (``never`` / ``-`` until a worker has run it), and
the results of the task it queues in the task table: queued, running, and failed in the last
24 hours (``-``: the entry queues no task of its own). Then each entry's last failure, if any.
The first line says which workers are running, by their heartbeat: the schedule runs only in
a worker (``accord serve`` starts one unless ``--no-worker``).

``--json``: one object, ``{"workers": [...], "entries": [...]}``, with the same facts and the
entries' summaries, task paths and failure counts (times in ISO 8601, UTC). Exit status 0.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from accord.cli.main import add_data_dir, setup_node

__all__ = ["add_arguments", "every", "list_tasks", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="tasks_command", required=True)
    list_ = sub.add_parser(
        "list", help="the schedule's entries: interval, last run, next due, task counts"
    )
    add_data_dir(list_)
    list_.add_argument("--json", action="store_true", help="one JSON object")


def every(seconds: float) -> str:
    """An interval as the table shows it: ``off``, ``1s``, ``5min``, ``1h``."""
    if seconds <= 0:
        return "off"
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds % 60 == 0:
        return f"{seconds / 60:g}min"
    return f"{seconds:g}s"


def _when(value: datetime | None, empty: str) -> str:
    """A time as the table shows it: UTC, to the second."""
    if value is None:
        return empty
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def list_tasks(*, as_json: bool = False, now: datetime | None = None) -> int:
    """Print the schedule (Django is set up)."""
    from django.utils import timezone

    from accord.federation.models import WorkerBeat
    from accord.federation.workers import WORKER_TIMEOUT
    from accord.node.schedule import describe

    now = now or timezone.now()
    views = describe(now=now)
    beats = list(WorkerBeat.objects.order_by("started_at"))
    if as_json:
        out: dict[str, Any] = {
            "workers": [
                {
                    "worker_id": b.worker_id,
                    "started_at": _iso(b.started_at),
                    "seen_at": _iso(b.seen_at),
                    "alive": b.seen_at >= now - WORKER_TIMEOUT,
                }
                for b in beats
            ],
            "entries": [v.to_dict() for v in views],
        }
        print(json.dumps(out, indent=2))
        return 0
    alive = [b for b in beats if b.seen_at >= now - WORKER_TIMEOUT]
    if alive:
        for b in alive:
            ago = (now - b.seen_at).total_seconds()
            print(f"worker {b.worker_id}: last beat {_when(b.seen_at, '')} ({ago:.0f} s ago)")
    else:
        print(
            "no worker is running (no heartbeat within "
            f"{WORKER_TIMEOUT.total_seconds():.0f} s): the schedule runs in the worker that "
            "accord serve starts"
        )
    rows = [("ENTRY", "EVERY", "LAST RUN", "NEXT DUE", "QUEUED", "RUNNING", "FAILED 24H")]
    for v in views:
        off = v.interval_s <= 0
        rows.append(
            (
                v.name,
                every(v.interval_s),
                _when(v.last_run_at, "never"),
                "-" if off else _when(v.next_due_at, "-"),
                _count(v.queued),
                _count(v.running),
                _count(v.failed),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        left = "  ".join(c.ljust(w) for c, w in zip(r[:4], widths[:4], strict=True))
        right = "  ".join(c.rjust(w) for c, w in zip(r[4:], widths[4:], strict=True))
        print(f"{left}  {right}".rstrip())
    for v in views:
        if v.last_error:
            when = _when(v.last_error_at, "?")
            print(f"{v.name}: failed {v.failures} time(s), last at {when}: {v.last_error}")
    return 0


def run(args: argparse.Namespace) -> int:
    setup_node(args.data_dir)
    return list_tasks(as_json=args.json)
