"""The node's SQLite backend keeps the write-ahead log between connections: closing a request's
connection does not checkpoint and delete the log (Django's stock backend, the control, does),
while committed rows are visible to the next connection; in-memory databases are not held.
Checkpoints run on a background thread (accord.node.sqlite_backend.base.Checkpointer)."""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.db.backends.sqlite3.base import DatabaseWrapper as StockWrapper

from accord.node.sqlite_backend.base import (
    Checkpointer,
    DatabaseWrapper,
    checkpointer_for,
    held_paths,
    wal_counters,
)

# pytest-django allows connections (of any wrapper) only to tests that ask for the database.
pytestmark = pytest.mark.django_db


def _settings(path: Path | str) -> dict:
    """A node's SQLite settings (WAL, immediate transactions) for the file ``path``."""
    return {
        "ENGINE": "accord.node.sqlite_backend",
        "NAME": str(path),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        "TEST": {},
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "TIME_ZONE": None,
    }


def _write_and_close(wrapper_class: type, path: Path, rows: int) -> None:
    wrapper = wrapper_class(_settings(path), alias="wal-test")
    wrapper.ensure_connection()
    with wrapper.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
        cursor.executemany("INSERT INTO t (v) VALUES (%s)", [("x" * 100,)] * rows)
    wrapper.close()


def _count(wrapper_class: type, path: Path) -> int:
    wrapper = wrapper_class(_settings(path), alias="wal-test")
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM t")
            return int(cursor.fetchone()[0])
    finally:
        wrapper.close()


def test_the_log_outlives_the_connection(tmp_path: Path) -> None:
    path = tmp_path / "held.sqlite3"
    _write_and_close(DatabaseWrapper, path, 500)
    wal = path.with_name(path.name + "-wal")
    assert str(path) in held_paths()
    assert wal.exists() and wal.stat().st_size > 0, "the log was checkpointed away on close"
    _write_and_close(DatabaseWrapper, path, 500)
    assert _count(DatabaseWrapper, path) == 1000
    assert wal.stat().st_size > 0


def test_control_stock_backend_deletes_the_log_on_last_close(tmp_path: Path) -> None:
    path = tmp_path / "stock.sqlite3"
    _write_and_close(StockWrapper, path, 500)
    assert not path.with_name(path.name + "-wal").exists()
    assert _count(StockWrapper, path) == 500


def test_in_memory_databases_are_not_held() -> None:
    before = held_paths()
    wrapper = DatabaseWrapper(_settings(":memory:"), alias="wal-test")
    wrapper.ensure_connection()
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert held_paths() == before
    wrapper.close()


def _frames(path: Path) -> tuple[int, int]:
    shm = os.open(str(path) + "-shm", os.O_RDONLY)
    try:
        return wal_counters(shm)
    finally:
        os.close(shm)


def _until(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the background checkpointer did not act in time"
        time.sleep(0.01)


def test_the_node_checkpoints_on_a_thread_of_its_own(tmp_path: Path) -> None:
    """The held database gets a background checkpointer, which copies the log once the node
    is quiet for a moment (here: nothing else writes after the rows)."""
    path = tmp_path / "quiet.sqlite3"
    _write_and_close(DatabaseWrapper, path, 2_000)
    checkpointer = checkpointer_for(str(path))
    assert checkpointer is not None and checkpointer.is_alive()
    frames, _ = _frames(path)
    assert frames > 0
    # the thread counts its run after SQLite has copied the log: wait for both, not the copy
    _until(lambda: checkpointer.runs["PASSIVE"] >= 1 and _frames(path)[1] == _frames(path)[0])
    assert _count(DatabaseWrapper, path) == 2_000


def test_long_logs_are_copied_then_started_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch of waiting pages is copied without a quiet moment; a long log is restarted by
    a writer after a RESTART checkpoint between two writes; every committed row is there."""
    monkeypatch.setenv("ACCORD_SQLITE_CHECKPOINTER", "0")  # only this test's thresholds
    path = tmp_path / "busy.sqlite3"
    _write_and_close(DatabaseWrapper, path, 10)
    checkpointer = Checkpointer(str(path), batch=20, quiet=3600, restart=400, interval=0.005)
    checkpointer.start()
    rows = 10
    try:
        lengths = []
        for _ in range(60):
            _write_and_close(DatabaseWrapper, path, 300)
            rows += 300
            lengths.append(_frames(path)[0])
        assert max(lengths) >= checkpointer.restart
        # the thread copies a batch of waiting pages without a quiet moment; on a loaded machine
        # (CI's second pass, two test workers beside the database server) its first turn may
        # come only after the writes above
        _until(lambda: checkpointer.runs["PASSIVE"] >= 1)
        # Writes with pauses between them, in which the thread's RESTART can run: the log is
        # started over by one of them (during the loop above, or now).
        for _ in range(100):
            if any(b < a for a, b in itertools.pairwise(lengths)):
                break
            time.sleep(0.02)
            _write_and_close(DatabaseWrapper, path, 1)
            rows += 1
            lengths.append(_frames(path)[0])
        assert any(b < a for a, b in itertools.pairwise(lengths)), "never started over"
        assert checkpointer.runs["RESTART"] >= 1
    finally:
        checkpointer.stop()
    assert not checkpointer.is_alive()
    assert _count(DatabaseWrapper, path) == rows


def test_background_checkpoints_can_be_switched_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_SQLITE_CHECKPOINTER", "0")
    path = tmp_path / "off.sqlite3"
    _write_and_close(DatabaseWrapper, path, 10)
    assert str(path) in held_paths()
    assert checkpointer_for(str(path)) is None
