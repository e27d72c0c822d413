"""Environments for the node processes tests start (``accord init``, ``accord serve`` ...).

A node process must never inherit the test process's Django settings or data directory. When
the suite runs on PostgreSQL (``ACCORD_DATABASE_URL`` set, as in CI), each data directory gets
its own fresh PostgreSQL database on the same server, so that node processes run on PostgreSQL
too and never share a database; the databases are dropped when the test session ends.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from accord.node.process import free_port, wait_until_answering

__all__ = ["NodeServer", "accord_cli", "free_port", "node_env", "process_env", "run_python"]

_databases: dict[str, str] = {}


def _admin_connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    return psycopg.connect(admin, autocommit=True)


def _fresh_database(url: str) -> str:
    name = f"accord_node_{uuid.uuid4().hex[:12]}"
    with _admin_connect(url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    if not _databases:
        atexit.register(_drop_all, url)
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _drop_all(url: str) -> None:
    try:
        with _admin_connect(url) as conn:
            for db_url in _databases.values():
                name = urlsplit(db_url).path.lstrip("/")
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception:  # the server may be gone at exit; CI drops leftovers itself
        return


def node_env(
    data_dir: str | os.PathLike[str] | None = None, *, sqlite: bool = False
) -> dict[str, str]:
    """The environment for a node process on ``data_dir``.

    ``sqlite=True`` keeps the node on SQLite even when the suite runs on PostgreSQL (for tests
    that edit the database file itself).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "DJANGO_"))}
    if data_dir is not None:
        env["ACCORD_DATA_DIR"] = str(data_dir)
    url = os.environ.get("ACCORD_DATABASE_URL")
    if url and not sqlite:
        key = str(Path(data_dir).resolve()) if data_dir is not None else "<none>"
        if key not in _databases:
            _databases[key] = _fresh_database(url)
        env["ACCORD_DATABASE_URL"] = _databases[key]
    return env


REPO = Path(__file__).resolve().parents[1]


def process_env(data_dir: str | os.PathLike[str], *, sqlite: bool = False) -> dict[str, str]:
    """:func:`node_env` plus the repository on PYTHONPATH (for scripts that import tests), ahead
    of the caller's PYTHONPATH, which stays (a checkout run with ``PYTHONPATH=src`` and another
    checkout's virtualenv: the node processes run the code under test, not the installed one)."""
    env = node_env(data_dir, sqlite=sqlite)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def accord_cli(
    data_dir: Path, *args: str, check: bool = True, sqlite: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``accord ARGS`` in a fresh process for the node on ``data_dir``."""
    done = subprocess.run(
        [sys.executable, "-m", "accord.cli.main", *args],
        env=process_env(data_dir, sqlite=sqlite), capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def run_python(data_dir: Path, code: str, *args: str, stdin: str = "", sqlite: bool = False) -> str:
    """Run a Python snippet in a fresh process for the node on ``data_dir``; its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=process_env(data_dir, sqlite=sqlite),
        input=stdin, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


class NodeServer:
    """A real ``accord serve`` process on loopback, waited for until it answers."""

    def __init__(
        self, data_dir: Path, port: int, *, worker: bool = False, sqlite: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        """``env``: settings for this node's process (``ACCORD_*`` variables) on top of
        :func:`process_env`."""
        self.data_dir, self.port = data_dir, port
        self.url = f"http://127.0.0.1:{port}/"
        self.log = open(data_dir / "serve.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "accord.cli.main", "serve", "--data-dir", str(data_dir),
             "--port", str(port), *([] if worker else ["--no-worker"])],
            env={**process_env(data_dir, sqlite=sqlite), **(env or {})}, stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_until_answering(self.url, self.proc, timeout=60)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}: {(data_dir / 'serve.log').read_text()[-2000:]}") from exc

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
