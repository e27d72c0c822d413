"""`accord bench screening` at a small size: its keys, and `--algorithm`."""

from __future__ import annotations

import json

from accord.engine.matching.algorithm import V3
from accord.engine.matching.bench import main, run_screening_bench


def test_the_screening_bench_runs_a_named_algorithm() -> None:
    result = run_screening_bench(400, count=60, baseline=False, algorithm=V3)
    assert result["algorithm"] == "accord-name-v3 v3"
    assert result["threshold"] == V3.threshold
    assert result["watchlist_size"] == 400 and result["queries"] == 60
    assert 0.0 <= result["f1"] <= 1.0 and result["batch_queries_per_s"] > 0
    assert result["batch_fresh_queries_per_s"] > 0 and result["batch_fresh_cpu_ms_per_query"] > 0
    assert result["p50_ms"] <= result["p99_ms"]


def test_an_unknown_algorithm_is_refused(capsys) -> None:
    assert main(400, True, algorithm="accord-name-v9") == 2
    assert "unknown algorithm 'accord-name-v9'" in capsys.readouterr().err


def test_the_default_algorithm_in_json(capsys, monkeypatch) -> None:
    import accord.engine.matching.bench as bench

    def small(size, progress=None, algorithm=None):
        return run_screening_bench(size, count=20, baseline=False, algorithm=algorithm)

    monkeypatch.setattr(bench, "run_screening_bench", small)
    assert main(300, True) == 0
    assert json.loads(capsys.readouterr().out)["algorithm"].startswith("accord-name-v4")
