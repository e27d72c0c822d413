"""The record-store benchmark (``accord bench store``): synthetic objects imported through the
real import service, then timed searches. Runs in the per-size child of :mod:`accord.cli.bench`,
with Django set up on a fresh data directory."""

from __future__ import annotations

import random
from typing import Any

from accord.engine.stix.person import PERSON_EXTENSION_ID
from accord.intel.factories import FAMILY, person_object, synthetic_objects

__all__ = ["bench_queries", "run_store_bench", "validator_baselines"]


def validator_baselines(sample: list[dict[str, Any]]) -> dict[str, Any]:
    """Objects/s of Accord's validator and of the reference tools on the same objects, measured
    in this run: ``stix2-validator`` (OASIS) and the ``stix2`` parser. The reference tools are
    test dependencies; where one is absent its figure is None."""
    import time

    from accord.engine.stix.validate import measure_validator_throughput

    out: dict[str, Any] = {
        "sample_objects": len(sample),
        "accord_validator_objects_per_s": round(measure_validator_throughput(sample, 3)),
        "stix2_validator_objects_per_s": None,
        "stix2_parse_objects_per_s": None,
    }
    try:
        from stix2validator import ValidationOptions, validate_instance
    except ImportError:  # a test dependency: without it the figure stays None
        validate_instance = None
    if validate_instance is not None:
        options = ValidationOptions(version="2.1", silent=True)
        few = sample[:200]
        started = time.perf_counter()
        for obj in few:
            validate_instance(obj, options)
        out["stix2_validator_objects_per_s"] = round(len(few) / (time.perf_counter() - started))
    try:
        import stix2
    except ImportError:  # likewise
        stix2 = None
    if stix2 is not None:
        few = sample[:1000]
        started = time.perf_counter()
        for obj in few:
            stix2.parse(obj, allow_custom=True)
        out["stix2_parse_objects_per_s"] = round(len(few) / (time.perf_counter() - started))
    return out


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


def bench_queries(count: int, records: int, *, seed: int = 11) -> list[Any]:
    """``count`` mixed searches: name prefix, full name (three scripts), identifier, filters."""
    from accord.intel.search import SearchQuery

    rng = random.Random(seed)
    persons = [n for n in range(records) if n % 10 < 8] or [0]
    out: list[Any] = []
    for i in range(count):
        kind = i % 5
        if kind == 0:
            family = FAMILY[rng.randrange(len(FAMILY))][0]
            out.append(SearchQuery(text=family[: 3 + rng.randrange(3)]))
        elif kind == 1:
            person = person_object(rng.choice(persons))
            out.append(SearchQuery(text=str(person["name"])))
        elif kind == 2:
            person = person_object(rng.choice(persons))
            names = person["extensions"][PERSON_EXTENSION_ID]["names"]
            out.append(SearchQuery(text=str(names[1]["full_name"])))
        elif kind == 3:
            out.append(SearchQuery(identifier=f"P{rng.choice(persons):08d}"))
        else:
            out.append(
                SearchQuery(
                    stix_type=rng.choice(["identity", "indicator"]),
                    tlp=[rng.choice(["green", "amber", "clear"])],
                )
            )
    return out


def run_store_bench(
    size: int,
    *,
    batch: int = 50_000,
    queries: int = 300,
    progress: Any = None,
) -> dict[str, Any]:
    """Import ``size`` synthetic objects through ``ingest_objects`` and time searches.

    Runs against the database Django is set up on (the caller makes a fresh data directory).
    Returns records, import seconds and objects/s, and search p50/p95/p99 in milliseconds.
    """
    import time

    from django.db import connection

    from accord.accounts.services import add_user
    from accord.intel.bulk import refresh_after_bulk_import
    from accord.intel.models import Record
    from accord.intel.search import search_records
    from accord.intel.services import ingest_objects

    baseline = validator_baselines(list(synthetic_objects(min(size, 2_000), start=0)))
    import_seconds = 0.0
    done = 0
    while done < size:
        count = min(batch, size - done)
        objects = list(synthetic_objects(count, start=done))
        started = time.perf_counter()
        report = ingest_objects(None, objects, source=f"bench batch {done // batch}")
        import_seconds += time.perf_counter() - started
        if not report.ok:
            raise RuntimeError(f"bench import refused: {report.refused[:3]}")
        done += count
        if progress is not None:
            progress("import", done, size)
    # as ``accord import`` does after a bulk import (PostgreSQL: VACUUM ANALYZE of the search
    # tables), then statistics for every other table the run reads (TAXII's entries)
    refresh_after_bulk_import(size)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    analyst = add_user(None, "bench-analyst", role="analyst", password=None, agency="ctu")
    timings: list[float] = []
    results: list[int] = []
    plan = bench_queries(queries, size)
    for i, query in enumerate(plan):
        started = time.perf_counter()
        page = search_records(analyst, query, purpose="counter-terrorism")
        timings.append((time.perf_counter() - started) * 1000)
        results.append(len(page.results))
        if progress is not None and (i + 1) % 30 == 0:
            progress("search", i + 1, len(plan))
    return {
        "records": Record.objects.count(),
        "objects": size,
        "import_seconds": round(import_seconds, 2),
        "import_objects_per_s": round(size / import_seconds) if import_seconds else None,
        "search_queries": len(plan),
        "search_p50_ms": round(_percentile(timings, 0.50), 2),
        "search_p95_ms": round(_percentile(timings, 0.95), 2),
        "search_p99_ms": round(_percentile(timings, 0.99), 2),
        "search_max_ms": round(max(timings), 2) if timings else 0.0,
        "search_with_results": sum(1 for r in results if r),
        "baseline": baseline,
        "import_vs_stix2_validator": (
            round(size / import_seconds / baseline["stix2_validator_objects_per_s"], 1)
            if import_seconds and baseline.get("stix2_validator_objects_per_s")
            else None
        ),
    }
