"""The worker's schedule (:class:`accord.node.schedule.ScheduleRunner`) on a clock the test
moves: a due entry starts its work once per interval, the first time after ``first_after``; a
due-check that says no starts nothing; an entry that fails is logged and the others go on; an
interval of 0 turns an entry off; the heartbeat beats every 5 seconds; the state is handed to
the store every 5 seconds."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from accord.node.extensions import Registration, ScheduleEntry
from accord.node.schedule import EntryState, ScheduleRunner

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Clock:
    """Monotonic seconds and the wall clock, both moved by the test."""

    def __init__(self) -> None:
        self.t = 100.0

    def mono(self) -> float:
        return self.t

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.t - 100.0)

    def at(self, seconds: float) -> None:
        self.t = 100.0 + seconds


class FakeTask:
    """What the schedule uses of a django-tasks task: ``enqueue`` and ``module_path``."""

    module_path = "tests.fake.task"

    def __init__(self) -> None:
        self.queued = 0

    def enqueue(self) -> None:
        self.queued += 1

    def __eq__(self, other: object) -> bool:
        return other is self

    __hash__ = object.__hash__


def _entry(name: str, **kwargs: Any) -> Registration[ScheduleEntry]:
    return Registration("schedule", name, "tests", ScheduleEntry(**kwargs))


def _runner(clock: Clock, *entries: Registration[ScheduleEntry], **kwargs: Any) -> ScheduleRunner:
    kwargs.setdefault("store", None)
    return ScheduleRunner(entries, clock=clock.mono, now=clock.now, **kwargs)


def _counter() -> tuple[list[int], Callable[[], None]]:
    calls: list[int] = []
    return calls, lambda: calls.append(1)


def test_a_due_entry_is_queued_once_per_interval():
    clock, task = Clock(), FakeTask()
    runner = _runner(clock, _entry("poll", every=10.0, task=task))  # type: ignore[arg-type]
    timeline = {0: 1, 0.5: 1, 9.9: 1, 10: 2, 15: 2, 20: 3, 55: 4, 56: 4, 65: 5}
    for at, queued in timeline.items():
        clock.at(at)
        runner.tick()
        assert task.queued == queued, at  # after a pause, one run, not one per missed interval
    state = runner.states["poll"]
    assert state.last_run_at == clock.now() and state.last_started_at == clock.now()
    assert state.next_due_at == clock.now() + timedelta(seconds=10)


def test_the_first_run_waits_first_after_or_one_interval():
    clock = Clock()
    soon, soon_entry = _counter()
    later, later_entry = _counter()
    runner = _runner(
        clock,
        _entry("soon", every=60.0, run=soon_entry, first_after=5.0),
        _entry("later", every=30.0, run=later_entry, first_after=None),
    )
    clock.at(0)
    runner.tick()
    assert (len(soon), len(later)) == (0, 0)
    assert runner.states["soon"].next_due_at == T0 + timedelta(seconds=5)
    clock.at(5)
    runner.tick()
    assert (len(soon), len(later)) == (1, 0)
    clock.at(30)
    runner.tick()
    assert (len(soon), len(later)) == (1, 1)
    clock.at(65)
    runner.tick()
    assert (len(soon), len(later)) == (2, 2)


def test_a_due_check_that_says_no_starts_nothing_until_the_next_interval():
    clock, task = Clock(), FakeTask()
    due = [False]
    checks: list[float] = []

    def is_due() -> bool:
        checks.append(clock.t)
        return due[0]

    runner = _runner(clock, _entry("d", every=1.0, task=task, due=is_due))  # type: ignore[arg-type]
    runner.tick()
    assert task.queued == 0 and len(checks) == 1
    assert runner.states["d"].last_run_at == clock.now()  # checked: it ran
    assert runner.states["d"].last_started_at is None
    due[0] = True
    runner.tick()  # same instant: not checked again within the interval
    assert task.queued == 0 and len(checks) == 1
    clock.at(1)
    runner.tick()
    assert task.queued == 1 and len(checks) == 2


def test_a_failing_entry_is_logged_and_the_others_run(caplog):
    clock = Clock()
    before, before_entry = _counter()
    after, after_entry = _counter()
    attempts: list[int] = []

    def broken() -> None:
        attempts.append(1)
        raise RuntimeError("the database is locked")

    runner = _runner(
        clock,
        _entry("first", every=1.0, run=before_entry),
        _entry("broken", every=5.0, run=broken),
        _entry("last", every=1.0, run=after_entry),
    )
    with caplog.at_level(logging.ERROR, logger="accord.node.schedule"):
        assert runner.tick() == ["first", "last"]
    assert (len(before), len(attempts), len(after)) == (1, 1, 1)
    (record,) = [r for r in caplog.records if "broken" in r.getMessage()]
    assert "trying again in 5 s" in record.getMessage() and record.exc_info is not None
    state = runner.states["broken"]
    assert state.failures == 1 and state.last_error == "RuntimeError: the database is locked"
    assert state.last_error_at == clock.now() and state.last_started_at is None
    clock.at(1)
    runner.tick()  # not yet its interval: not tried again
    assert (len(before), len(attempts), len(after)) == (2, 1, 2)
    clock.at(5)
    runner.tick()
    assert len(attempts) == 2 and runner.states["broken"].failures == 2


def test_a_failing_due_check_or_interval_is_logged_too(caplog):
    clock = Clock()
    ran, run = _counter()

    def bad_interval() -> float:
        raise ValueError("ACCORD_PEER_PULL_INTERVAL is not a number")

    def bad_due() -> bool:
        raise OSError("gone")

    runner = _runner(
        clock,
        _entry("interval", every=bad_interval, run=run),
        _entry("due", every=1.0, run=run, due=bad_due),
        _entry("fine", every=1.0, run=run),
    )
    with caplog.at_level(logging.ERROR, logger="accord.node.schedule"):
        assert runner.tick() == ["fine"]
    assert len(ran) == 1
    assert runner.states["interval"].last_error.startswith("ValueError")
    assert runner.states["due"].last_error == "OSError: gone"
    assert len([r for r in caplog.records if r.exc_info]) == 2


def test_an_interval_of_zero_turns_the_entry_off():
    clock = Clock()
    ran, run = _counter()
    every = [0.0]
    runner = _runner(clock, _entry("pull", every=lambda: every[0], run=run, first_after=None))
    for at in (0, 300, 600):
        clock.at(at)
        runner.tick()
    assert ran == [] and runner.states["pull"].next_due_at is None
    every[0] = 300.0  # the setting changed: read again at each tick
    clock.at(601)
    runner.tick()
    assert len(ran) == 1  # a full interval since the worker started has passed
    clock.at(700)
    runner.tick()
    assert len(ran) == 1


def test_the_heartbeat_beats_every_five_seconds():
    clock = Clock()
    beats, beat = _counter()
    runner = _runner(clock, heartbeat=beat)
    for at in (0, 1, 4.9, 5, 6, 10):
        clock.at(at)
        runner.tick()
    assert len(beats) == 3  # at 0, 5, 10


def test_seconds_to_next_wakes_for_the_earliest_entry():
    clock = Clock()
    runner = _runner(
        clock,
        _entry("a", every=60.0, run=list, first_after=5.0),
        _entry("b", every=0.25, run=list),
    )
    runner.tick()
    clock.at(0.1)
    assert runner.seconds_to_next() == pytest.approx(0.15)
    clock.at(0.3)
    runner.tick()
    assert 0 < runner.seconds_to_next() <= 1.0


def test_the_state_is_stored_every_five_seconds():
    clock = Clock()
    stored: list[tuple[list[EntryState], str]] = []
    runner = _runner(
        clock,
        _entry("a", every=1.0, run=list),
        store=lambda states, worker: stored.append((list(states), worker)),
        worker_id="host:key:1:2",
    )
    for at in (0, 1, 2, 5, 6):
        clock.at(at)
        runner.tick()
        runner.flush()
    assert len(stored) == 2  # at 0 and at 5
    states, worker = stored[-1]
    assert worker == "host:key:1:2" and states[0].name == "a"
    assert states[0].last_run_at == T0 + timedelta(seconds=5)


def test_a_store_that_fails_is_logged_and_does_not_stop_the_schedule(caplog):
    clock = Clock()
    ran, run = _counter()

    def store(states: Any, worker: str) -> None:
        raise RuntimeError("database is locked")

    runner = _runner(clock, _entry("a", every=1.0, run=run), store=store)
    with caplog.at_level(logging.ERROR, logger="accord.node.schedule"):
        runner.tick()
        runner.flush()
        clock.at(1)
        runner.tick()
    assert len(ran) == 2
    assert any("could not be written" in r.getMessage() for r in caplog.records)
