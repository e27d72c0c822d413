"""Django's SQLite backend, plus one idle connection per database file held for the life of the
process, so that the write-ahead log (WAL) outlives each request's connection.

Why: Django opens a connection per request and closes it at the end (persistent connections
are not reused under ASGI). When the *last* connection to a WAL database closes, SQLite
checkpoints the whole log into the main file, syncs it and deletes the log. In ``accord serve``
without other connections that happened after every request: each TAXII envelope paid a full
checkpoint of the ~4,000 pages it had just written (at 1,000,000 records), plus two syncs,
instead of the amortised checkpoint every ``wal_autocheckpoint`` pages that the settings ask
for. The connection held here never reads or writes (``query_only``, no transaction open), so it
blocks no checkpoint and no writer; it only keeps the database "in use", and with it the log
and its shared-memory index, between requests.

Durability is unchanged: a commit is in the log before it returns either way; a checkpoint
copies committed pages only. In-memory databases (the test suite's) are left alone.
"""

from __future__ import annotations

import atexit
import sqlite3
import threading
from typing import Any

from django.db.backends.sqlite3 import base

__all__ = ["DatabaseWrapper", "held_paths"]

_held: dict[str, sqlite3.Connection] = {}
_held_lock = threading.Lock()


def held_paths() -> list[str]:
    """The database files this process holds open (for tests and diagnostics)."""
    with _held_lock:
        return sorted(_held)


def _hold(database: str) -> None:
    """Open the idle connection to ``database`` once per process."""
    with _held_lock:
        if database in _held:
            return
        anchor = sqlite3.connect(database, uri=True, check_same_thread=False)
        anchor.execute("PRAGMA query_only=ON")
        # One read attaches the connection to the log and its shared-memory index.
        anchor.execute("SELECT count(*) FROM sqlite_master").fetchone()
        _held[database] = anchor


@atexit.register
def _release() -> None:
    """Close the idle connections at exit (the last close checkpoints the log, as SQLite does)."""
    with _held_lock:
        for anchor in _held.values():
            anchor.close()
        _held.clear()


class DatabaseWrapper(base.DatabaseWrapper):
    """Django's SQLite wrapper; a file database is held open by this process once connected."""

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        conn = super().get_new_connection(conn_params)
        # After Django's connection: the database exists and the init commands have set WAL.
        if not self.is_in_memory_db():
            _hold(str(conn_params["database"]))
        return conn
