"""PostgreSQL connections: a pool per process (docs/operations.md, "Connections")."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.db import connection
from tests.nodes import node_env

_SHOW = (
    "import json, accord.node.settings as s; d = s.DATABASES['default']; "
    "o = d.get('OPTIONS', {}); "
    "print(json.dumps([d['ENGINE'], o.get('pool'), d.get('CONN_MAX_AGE'), o.get('options')]))"
)


def _database_settings(tmp_path, **env: str) -> list:
    done = subprocess.run(
        [sys.executable, "-c", _SHOW],
        env={**node_env(tmp_path, sqlite=True), **env},
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    settings: list = json.loads(done.stdout)
    return settings


def test_postgresql_gets_a_pool_per_process(tmp_path) -> None:
    url = "postgres://accord@db.internal:5432/accord"
    engine, pool, max_age, options = _database_settings(tmp_path, ACCORD_DATABASE_URL=url)
    assert engine == "django.db.backends.postgresql"
    assert options == "-c jit=off"  # a node's queries are short: no JIT compilation
    assert pool == {"min_size": 1, "max_size": 4, "timeout": 30}
    assert max_age == 0  # Django refuses persistent connections with a pool
    sized = _database_settings(tmp_path, ACCORD_DATABASE_URL=url, ACCORD_DATABASE_POOL_SIZE="3")
    assert sized[1]["max_size"] == 3


def test_no_pool_behind_an_external_pooler_or_on_sqlite(tmp_path) -> None:
    url = "postgres://accord@pgbouncer.internal:6432/accord"
    pooler = _database_settings(tmp_path, ACCORD_DATABASE_URL=url, ACCORD_DATABASE_POOL_SIZE="0")
    assert pooler[1:] == [None, 0, None]  # a connection per request: the pooler holds them
    engine, pool, _, _ = _database_settings(tmp_path)
    assert "sqlite" in engine and pool is None


@pytest.mark.django_db
def test_the_suite_runs_on_the_pool_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (the suite's PostgreSQL pass)")
    assert connection.pool is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
