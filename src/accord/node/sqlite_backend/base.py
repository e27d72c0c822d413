"""Django's SQLite backend, plus one idle connection per database file held for the life of the
process, so that the write-ahead log (WAL) outlives each request's connection.

Why: Django opens a connection per request and closes it at the end (persistent connections
are not reused under ASGI). When the *last* connection to a WAL database closes, SQLite
checkpoints the whole log into the main file, syncs it and deletes the log. In ``accord serve``
without another connection that would happen after every request: each write request (a TAXII
envelope) would pay a full checkpoint of the pages it had just written, plus two syncs, instead
of the amortised checkpoint every ``wal_autocheckpoint`` pages that the settings ask for. The
connection held here never reads or writes (``query_only``, no transaction open), so it
blocks no checkpoint and no writer; it only keeps the database "in use", and with it the log
and its shared-memory index, between requests.

Durability is unchanged: a commit is in the log before it returns either way; a checkpoint
copies committed pages only. In-memory databases (the test suite's) are left alone.

Checkpoints run on a thread of their own (:class:`Checkpointer`, one per held file), not in the
commit that happens to cross ``wal_autocheckpoint``, which would otherwise wait for the copy
of every page written since the last checkpoint before it returns. The thread reads the log's
frame counters from the shared-memory index (the documented wal-index header,
https://www.sqlite.org/walformat.html, read without a lock: a stale value only delays a
checkpoint), copies pages in PASSIVE mode (never blocking a writer or a reader) once
enough are waiting or the node has been quiet for a moment, and, once the log is long, asks for
a RESTART checkpoint so that the next writer starts the log from the beginning (the file keeps
its size, ``journal_size_limit``, so that it is not grown again block by block: a log file
that has to grow makes every commit slower). SQLite's own ``wal_autocheckpoint`` stays
as the backstop should the thread fall behind or stop.
"""

from __future__ import annotations

import atexit
import logging
import os
import sqlite3
import struct
import threading
import time
from typing import Any

from django.db.backends.sqlite3 import base

__all__ = ["Checkpointer", "DatabaseWrapper", "checkpointer_for", "held_paths", "wal_counters"]

log = logging.getLogger(__name__)

_held: dict[str, sqlite3.Connection] = {}
_checkpointers: dict[str, Checkpointer] = {}
_held_lock = threading.Lock()


def wal_counters(shm: int) -> tuple[int, int]:
    """(frames in the log, frames already copied) from the wal-index header of the open
    ``-shm`` file ``shm`` (``mxFrame`` at byte 16, ``nBackfill`` at byte 96)."""
    head = os.pread(shm, 136, 0)
    if len(head) < 136:
        return 0, 0
    return struct.unpack_from("=I", head, 16)[0], struct.unpack_from("=I", head, 96)[0]


class Checkpointer(threading.Thread):
    """Copies the write-ahead log of ``database`` into the main file in the background.

    ``batch``: frames (pages) waiting before a PASSIVE checkpoint runs (16,000: about four
    TAXII envelopes at 1,000,000 records, so that index leaves rewritten by several commits are
    copied once); ``quiet``: seconds without a new commit after which any waiting frames are
    copied; ``restart``: log length in frames (65,536: 256 MiB of 4 KiB pages) from which a
    RESTART checkpoint is tried between two writes (it copies what is left while holding the
    write lock, so that the next writer starts the log over). ``interval``: seconds between two
    reads of the counters while the log changes (a quarter of a second once it has been still
    for ten ``quiet`` periods with nothing to copy).
    """

    def __init__(
        self,
        database: str,
        *,
        batch: int = 16_000,
        quiet: float = 1.0,
        restart: int = 65_536,
        interval: float = 0.02,
    ) -> None:
        super().__init__(name=f"wal-checkpoint {os.path.basename(database)}", daemon=True)
        self.database = database
        self.batch, self.quiet, self.restart = batch, quiet, restart
        self.interval = interval
        self.stopping = threading.Event()
        #: Checkpoints run, by mode (for tests and diagnostics).
        self.runs: dict[str, int] = {"PASSIVE": 0, "RESTART": 0}

    def run(self) -> None:
        try:
            conn = sqlite3.connect(self.database, uri=True, check_same_thread=False)
            # Never wait for a lock: a RESTART that finds a writer at work is tried again later
            # (waiting would hold off every new writer meanwhile).
            conn.execute("PRAGMA busy_timeout=0")
            conn.execute("PRAGMA synchronous=NORMAL")  # a checkpoint syncs the file it copies to
            shm = os.open(self.database + "-shm", os.O_RDONLY)
        except (sqlite3.Error, OSError) as exc:  # not a WAL database: the backstop remains
            log.info("no background checkpoints for %s: %s", self.database, exc)
            return
        # ``restarted``: the log length when a RESTART last succeeded (the next writer then
        # starts the log over), or None. Asked again should the log grow on regardless.
        last, changed, restarted = -1, time.monotonic(), None
        pause = self.interval
        try:
            while not self.stopping.wait(pause):
                try:
                    frames, copied = wal_counters(shm)
                    now = time.monotonic()
                    if frames != last:
                        if frames < last:  # a writer has started the log over
                            restarted = None
                        last, changed = frames, now
                    waiting = frames - copied
                    # An idle node is looked at four times a second, a busy one every interval.
                    pause = self.interval if waiting or now - changed < 10 * self.quiet else 0.25
                    if frames >= self.restart and (
                        restarted is None or frames >= restarted + self.batch
                    ):
                        mode = "RESTART"
                    elif waiting >= self.batch or (waiting > 0 and now - changed >= self.quiet):
                        mode = "PASSIVE"
                    else:
                        continue
                    busy, _, done = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
                    if not busy:
                        self.runs[mode] += 1
                        if mode == "RESTART":
                            restarted = frames
                    if mode == "PASSIVE" and (busy or done <= copied):
                        # Another process's checkpoint, or a reader still on the pages: later.
                        self.stopping.wait(self.quiet)
                except (sqlite3.Error, OSError) as exc:
                    log.warning("background checkpoint of %s failed: %s", self.database, exc)
                    self.stopping.wait(1.0)
        finally:
            os.close(shm)
            conn.close()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.join(timeout)


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
        if os.environ.get("ACCORD_SQLITE_CHECKPOINTER", "1") != "0":
            checkpointer = _checkpointers[database] = Checkpointer(database)
            checkpointer.start()


def checkpointer_for(database: str) -> Checkpointer | None:
    """The background checkpointer of ``database`` in this process, if one runs."""
    with _held_lock:
        return _checkpointers.get(database)


@atexit.register
def _release() -> None:
    """Close the idle connections at exit (the last close checkpoints the log, as SQLite does)."""
    with _held_lock:
        for checkpointer in _checkpointers.values():
            checkpointer.stop()
        _checkpointers.clear()
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
