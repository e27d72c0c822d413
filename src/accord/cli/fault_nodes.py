"""The node processes and databases of the faults benchmark (``accord bench faults``): a node
served by ``accord serve`` on loopback, started, killed with SIGKILL (server, worker or both),
and its database read from outside its processes, to see an ingest under way and to count what
arrived. No Django in this process: SQLite is read with ``sqlite3`` (read-only), PostgreSQL
with ``psycopg``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord.node.chunking import chunks
from accord.node.process import answers

__all__ = ["FaultNode", "NodeDatabase", "until"]


class NodeDatabase:
    """Reads a node's database from outside its processes (SQLite read-only, or PostgreSQL)."""

    def __init__(self, data_dir: Path, url: str) -> None:
        self.url = url
        self.path = data_dir / "accord.sqlite3"
        self._reader: Any = None
        self._locker: Any = None

    def close(self) -> None:
        for conn in (self._reader, self._locker):
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
        self._reader = self._locker = None

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self._reader is None:
            if self.url:
                import psycopg

                self._reader = psycopg.connect(self.url, autocommit=True)
            else:
                uri = f"file:{self.path}?mode=ro"
                self._reader = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
        if self.url:
            sql = sql.replace("?", "%s")
        try:
            return list(self._reader.execute(sql, params).fetchall())
        except Exception:
            self.close()  # the node went away under us: reconnect next time
            raise

    def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        return int(self.query(sql, params)[0][0] or 0)

    def ingesting(self) -> bool:
        """A transaction of the node writes (see the module docstring)."""
        if self.url:
            sql = (
                "SELECT COUNT(*) FROM pg_locks WHERE relation = 'intel_recordversion'::regclass"
                " AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()"
            )
            return self.scalar(sql) > 0
        if self._locker is None:
            self._locker = sqlite3.connect(str(self.path), timeout=0, isolation_level=None)
        try:
            self._locker.execute("BEGIN IMMEDIATE")
            self._locker.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return True
            raise

    def present(self, ids: list[str]) -> int:
        return sum(
            self.scalar(
                f"SELECT COUNT(*) FROM intel_record WHERE stix_id IN ({','.join('?' * len(c))})",
                tuple(c),
            )
            for c in chunks(ids)
        )

    def duplicated(self, ids: list[str]) -> int:
        """Versions, and collection entries, stored more than once for one (id, modified)."""
        extra = 0
        for c in chunks(ids):
            marks = ",".join("?" * len(c))
            extra += self.scalar(
                "SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM intel_recordversion"
                " v JOIN intel_record r ON r.id = v.record_id"
                f" WHERE r.stix_id IN ({marks}) GROUP BY r.stix_id, v.modified) AS t",
                tuple(c),
            )
            extra += self.scalar(
                "SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM"
                f" taxii_collectionentry WHERE stix_id IN ({marks})"
                " GROUP BY collection_id, version_id) AS t",
                tuple(c),
            )
        return extra

    def outbox(self, ids: list[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for c in chunks(ids):
            rows = self.query(
                "SELECT status, COUNT(*) FROM federation_outboxitem"
                f" WHERE stix_id IN ({','.join('?' * len(c))}) GROUP BY status",
                tuple(c),
            )
            for status, n in rows:
                counts[str(status)] = counts.get(str(status), 0) + int(n)
        return counts

    def nonces(self, keyid: str) -> int:
        return self.scalar("SELECT COUNT(*) FROM federation_seennonce WHERE keyid = ?", (keyid,))

    def stuck_tasks(self, before: float) -> int:
        """Task results still RUNNING that started before ``before`` (Unix time)."""
        rows = self.query(
            "SELECT started_at FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'"
        )
        from datetime import UTC, datetime

        count = 0
        for (started,) in rows:
            if isinstance(started, str):
                started = datetime.fromisoformat(started)
            if started is not None and started.tzinfo is None:
                started = started.replace(tzinfo=UTC)
            if started is not None and started.timestamp() < before:
                count += 1
        return count


@dataclass
class FaultNode:
    """One node: its data directory, port, environment and ``accord serve`` process."""

    name: str
    node_id: str
    jurisdiction: str
    data_dir: Path
    port: int
    env: dict[str, str]
    db: NodeDatabase
    proc: subprocess.Popen[bytes] | None = None
    log: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 90.0) -> float:
        """Start ``accord serve`` and wait until it answers; the seconds that took."""
        began = time.monotonic()
        with open(self.data_dir / "serve.log", "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "accord.cli.main", "serve", "--data-dir",
                 str(self.data_dir), "--port", str(self.port)],
                env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while not answers(self.url):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = (self.data_dir / "serve.log").read_text(errors="replace")[-1500:]
                raise RuntimeError(f"{self.node_id} did not start:\n{tail}")
            time.sleep(0.1)
        return round(time.monotonic() - began, 1)

    def children(self) -> list[int]:
        """The server's child processes (its worker), from ``/proc``."""
        if self.proc is None:
            return []
        pids: list[int] = []
        for path in Path(f"/proc/{self.proc.pid}/task").glob("*/children"):
            with contextlib.suppress(OSError, ValueError):
                pids.extend(int(p) for p in path.read_text().split())
        return pids

    def kill(self) -> None:
        """SIGKILL the server and its worker."""
        self.db.close()
        if self.proc is None:
            return
        for pid in self.children():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        self.proc.kill()
        self.proc.wait(timeout=30)
        self.proc = None

    def kill_worker(self) -> int:
        """SIGKILL the worker only; its pid (0: none found)."""
        for pid in self.children():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                return pid
        return 0

    def stop(self) -> None:
        self.db.close()
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            for pid in self.children():
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            self.proc.kill()
            self.proc.wait()

    def python(self, code: str, *args: str, stdin: str | None = "") -> subprocess.Popen[str]:
        """A Python process on this node's data directory (stdout piped), given ``stdin``
        (None: its standard input stays open, for the caller to write)."""
        proc = subprocess.Popen(
            [sys.executable, "-c", code, *args], env=self.env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        if stdin is not None:
            assert proc.stdin is not None
            proc.stdin.write(stdin)
            proc.stdin.close()
            proc.stdin = None  # written: communicate() only reads
        return proc

    def run_python(self, code: str, *args: str, stdin: str = "", timeout: float = 300) -> str:
        proc = self.python(code, *args, stdin=stdin)
        out, err = proc.communicate(timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"on {self.node_id}: {err.strip().splitlines()[-1:] or out}")
        return out


def until(check: Callable[[], Any], timeout: float, interval: float = 0.002) -> Any:
    """Poll ``check`` until it returns something true (that value) or ``timeout`` passes
    (None). A check that raises (a database going away) counts as false."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            got = check()
        except Exception:
            got = None
        if got:
            return got
        time.sleep(interval)
    return None
