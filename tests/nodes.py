"""Environments for the node processes tests start (``accord init``, ``accord serve`` ...).

A node process must never inherit the test process's Django settings or data directory. When
the suite runs on PostgreSQL (``ACCORD_DATABASE_URL`` set, as in CI), each data directory gets
its own fresh PostgreSQL database on the same server, so that node processes run on PostgreSQL
too and never share a database; the databases are dropped when the test session ends.
"""

from __future__ import annotations

import atexit
import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

__all__ = ["node_env"]

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
        pass


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
