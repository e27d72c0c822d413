"""The node's SQLite backend keeps the write-ahead log between connections: closing a request's
connection does not checkpoint and delete the log (Django's stock backend, the control, does),
while committed rows are visible to the next connection; in-memory databases are not held."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db.backends.sqlite3.base import DatabaseWrapper as StockWrapper

from accord.node.sqlite_backend.base import DatabaseWrapper, held_paths

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
