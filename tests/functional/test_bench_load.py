"""``accord bench load`` end to end at a small size, as an operator runs it: a fresh node, a live
``accord serve`` with its worker, every kind of simulated user (browsers signed in with CSRF,
API tokens, supervisors, TAXII clients, batch screeners) for a few seconds. Nothing may fail;
the latency bound is generous, since CI shares the machine. On PostgreSQL (CI's second pass,
``ACCORD_DATABASE_URL`` set) it runs with ``--database-url`` on that server and must drop the
database it created."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from accord.cli.bench import postgres_url

pytestmark = [pytest.mark.functional, pytest.mark.slow]

#: Every route the simulated users take (sign-in is before the measurement).
ROUTES = {
    "GET /",
    "GET /dashboard/counts/",
    "GET /records/?q=",
    "GET /records/{id}/",
    "POST /screening/",
    "GET /api/records?q=",
    "GET /api/records/{id}",
    "POST /api/screenings (person)",
    "POST /api/screenings (csv)",
    "GET /screening/hits/",
    "GET /api/screenings/hits",
    "GET taxii objects ?added_after=",
    "GET taxii objects ?next=",
    "POST taxii objects",
}


def _databases(server: str) -> set[str]:
    import psycopg

    with psycopg.connect(postgres_url(server, "postgres"), autocommit=True) as conn:
        names = conn.execute("SELECT datname FROM pg_database").fetchall()
    # Only the benchmark's own: tests on other pytest-xdist workers create and drop theirs.
    return {name for (name,) in names if name.startswith("accord_bench_load_")}


def test_a_short_load_has_no_errors_and_reports_every_route() -> None:
    server = os.environ.get("ACCORD_DATABASE_URL", "")
    command = [sys.executable, "-m", "accord.cli.main", "bench", "load", "--users", "10",
               "--seconds", "10", "--spawn-rate", "10", "--records", "1000", "--json"]  # fmt: skip
    if server:
        command += ["--database-url", postgres_url(server, "")]
        before = _databases(server)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "DJANGO_"))}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr[-3000:]  # 1: a p99 over the target
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["database"] == ("postgresql" if server else "sqlite")
    assert result["errors"] == 0, result["failures"]
    assert result["server_log_errors"] == 0
    assert result["users"] == 10 and 9 <= result["seconds"] <= 12
    assert 900 <= result["records"] <= 1100
    routes = {r["route"]: r for r in result["routes"]}
    # Every kind of user ran (the rarest routes may not come up in 10 seconds).
    assert {"GET /records/{id}/", "GET /api/records?q=", "GET taxii objects ?next="} <= set(routes)
    assert {"POST /api/screenings (csv)", "GET /screening/hits/"} & set(routes)
    assert set(routes) <= ROUTES | {"GET /screening/hits/{id}/", "POST /screening/hits/{id}/"}
    assert result["requests"] == sum(r["requests"] for r in routes.values()) > 0
    for route in routes.values():
        assert route["errors"] == 0
        assert 0 < route["p50_ms"] <= route["p95_ms"] <= route["p99_ms"] <= result["p99_ms_max"]
    assert result["p99_ms_max"] < 5000, routes  # generous: CI runs other jobs beside it
    assert result["ok"] == (result["p99_ms_max"] < 500)
    assert result["cpu_seconds"]["node"] > 0 and result["cpu_seconds"]["generator"] > 0
    if server:
        assert _databases(server) == before, "the benchmark's database was not dropped"
