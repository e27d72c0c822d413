"""``accord tasks list``: the worker's schedule as registered, where each entry stands (what the
worker wrote) and its task's results in the task table, as text and as JSON. Run through the
real entry point (``accord.cli.main.main``) in this process, against the test database."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accord.cli.main import main
from accord.federation.models import WorkerBeat
from accord.node.datadir import NodeConfig, write_node_config
from accord.node.models import ScheduleState
from accord.node.schedule import EntryState, ScheduleRunner, entries, save_states

pytestmark = pytest.mark.django_db

DELIVER = "accord.federation.tasks.deliver_outbox"
NAMES = [
    "feeds.poll",
    "federation.recover",
    "federation.delivery",
    "federation.pull",
    "federation.prune_nonces",
    "dissemination.notices",
    "screening.retention",
]


@pytest.fixture
def cli(db, monkeypatch, tmp_path, capsys):
    """``accord ...`` in this process; (exit status, stdout, stderr)."""
    monkeypatch.setenv("ACCORD_DATA_DIR", os.environ["ACCORD_DATA_DIR"])  # restored afterwards
    write_node_config(tmp_path, NodeConfig("node-t", "NL", "node-t", "identity--x", "2026"))

    def run(*args: str) -> tuple[int, str, str]:
        rc = main([*args, "--data-dir", str(tmp_path)])
        out = capsys.readouterr()
        return rc, out.out, out.err

    return run


def _result(status: str, *, finished: datetime | None = None) -> None:
    DBTaskResult.objects.create(
        task_path=DELIVER,
        status=status,
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        run_after=timezone.now(),
        finished_at=finished,
    )


def test_no_worker_yet_lists_the_registered_entries(cli):
    rc, out, _ = cli("tasks", "list")
    assert rc == 0
    lines = out.splitlines()
    assert lines[0].startswith("no worker is running")
    assert lines[1].split() == [
        "ENTRY", "EVERY", "LAST", "RUN", "NEXT", "DUE", "QUEUED", "RUNNING", "FAILED", "24H",
    ]  # fmt: skip
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:]}
    assert list(rows) == NAMES
    assert rows["federation.delivery"] == ["1s", "never", "-", "0", "0", "0"]
    assert rows["federation.recover"] == ["5s", "never", "-", "-", "-", "-"]  # queues no task
    assert rows["feeds.poll"][0] == "1min" and rows["federation.pull"][0] == "5min"


def test_text_shows_last_run_next_due_counts_and_the_last_failure(cli):
    now = timezone.now().replace(microsecond=0)
    WorkerBeat.objects.create(worker_id="vm:abcd1234:42:7", started_at=now, seen_at=now)
    save_states(
        [
            EntryState(
                "federation.delivery",
                interval_s=1.0,
                last_run_at=now,
                next_due_at=now + timedelta(seconds=1),
                last_started_at=now - timedelta(seconds=30),
            ),
            EntryState(
                "feeds.poll",
                interval_s=60.0,
                last_run_at=now,
                next_due_at=now + timedelta(seconds=60),
                last_error="ConnectError: the feed's server did not answer",
                last_error_at=now,
                failures=2,
            ),
        ],
        "vm:abcd1234:42:7",
    )
    for status in ("READY", "READY", "RUNNING", "SUCCESSFUL"):
        _result(status)
    _result("FAILED", finished=timezone.now() - timedelta(hours=1))
    _result("FAILED", finished=timezone.now() - timedelta(days=2))  # outside the 24 hours

    rc, out, _ = cli("tasks", "list")
    assert rc == 0
    lines = out.splitlines()
    assert re.fullmatch(r"worker vm:abcd1234:42:7: last beat \S+Z \(\d+ s ago\)", lines[0])
    iso = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows = {line.split()[0]: line.split()[1:] for line in lines[2 : 2 + len(NAMES)]}
    next_due = (now + timedelta(seconds=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert rows["federation.delivery"] == ["1s", iso, next_due, "2", "1", "1"]
    assert rows["screening.retention"][1:3] == ["never", "-"]
    assert lines[2 + len(NAMES) :] == [
        f"feeds.poll: failed 2 time(s), last at {iso}: "
        "ConnectError: the feed's server did not answer"
    ]


def test_json_has_the_same_facts(cli):
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    save_states([EntryState("federation.delivery", interval_s=1.0, last_run_at=now)], "w")
    _result("READY")
    rc, out, _ = cli("tasks", "list", "--json")
    assert rc == 0
    data = json.loads(out)
    assert data["workers"] == []
    assert [e["name"] for e in data["entries"]] == NAMES
    delivery = next(e for e in data["entries"] if e["name"] == "federation.delivery")
    assert delivery == {
        "name": "federation.delivery",
        "app": "federation",
        "summary": "a delivery pass when outbox items are due (retries, stale claims)",
        "task": DELIVER,
        "interval_s": 1.0,
        "last_run_at": "2026-12-01T12:00:00Z",
        "next_due_at": None,
        "last_started_at": None,
        "last_error": "",
        "last_error_at": None,
        "failures": 0,
        "queued": 1,
        "running": 0,
        "failed": 0,
    }
    recover = next(e for e in data["entries"] if e["name"] == "federation.recover")
    assert recover["task"] == "" and recover["queued"] is None


def test_the_runner_writes_what_the_command_reads(cli):
    """One tick of the registered schedule (the test backend runs queued tasks at once), its
    state written as the worker writes it."""
    runner = ScheduleRunner(worker_id="vm:abcd1234:42:7")
    runner.tick()
    runner.flush(force=True)
    stored = {s.name: s for s in ScheduleState.objects.all()}
    assert set(stored) == set(NAMES)
    assert stored["federation.delivery"].last_run_at is not None
    assert stored["feeds.poll"].last_run_at is None  # its first look is 5 s after the start
    assert stored["federation.pull"].next_due_at is not None
    assert all(s.worker_id == "vm:abcd1234:42:7" for s in stored.values())
    assert [r.name for r in entries()] == NAMES
    rc, out, _ = cli("tasks", "list", "--json")
    assert rc == 0
    data = {e["name"]: e for e in json.loads(out)["entries"]}
    assert data["federation.recover"]["last_run_at"] is not None
    assert data["feeds.poll"]["last_run_at"] is None
