"""``accord bench taxii`` end to end at a small size, as an operator runs it: a fresh node, a
live ``accord serve``, 50 POSTed envelopes, the whole collection paged back, filtered pages.
On PostgreSQL (CI's second pass, ``ACCORD_DATABASE_URL`` set) it runs with ``--database-url``
on that server and must drop the database it created."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from accord.cli.bench import postgres_url

pytestmark = pytest.mark.functional


def _databases(server: str) -> set[str]:
    import psycopg

    with psycopg.connect(postgres_url(server, "postgres"), autocommit=True) as conn:
        names = conn.execute("SELECT datname FROM pg_database").fetchall()
    # Only the benchmark's own (accord_bench_<size>_<tag>): tests on other pytest-xdist workers
    # create and drop theirs.
    return {name for (name,) in names if re.fullmatch(r"accord_bench_\d+_[0-9a-f]+", name)}


def test_the_benchmark_runs_and_reports_every_figure() -> None:
    server = os.environ.get("ACCORD_DATABASE_URL", "")
    command = [sys.executable, "-m", "accord.cli.main", "bench", "taxii", "--sizes", "1000",
               "--json"]  # fmt: skip
    if server:
        command += ["--database-url", postgres_url(server, "")]
        before = _databases(server)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "DJANGO_"))}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["database"] == ("postgresql" if server else "sqlite")
    assert result["objects"] == 1000
    assert result["post_objects"] == 50_000
    assert result["post_objects_per_s"] > 0
    assert result["post_envelope_p50_ms"] <= result["post_envelope_max_ms"]
    # The bench user (an analyst) sees what the synthetic objects' markings let it see.
    assert 0 < result["get_objects"] <= 51_000
    assert result["get_objects_per_s"] > 0
    assert result["filtered_requests"] == 50
    assert 0 < result["filtered_first_page_ms"] <= result["filtered_first_page_p99_ms"]
    if server:
        assert _databases(server) == before, "the benchmark's database was not dropped"
