"""``accord bench taxii``: the TAXII 2.1 server over real HTTP.

In a fresh node (the caller makes the data directory), ``size`` synthetic objects are stored
through ``ingest_objects`` and put into one collection; then a real ``accord serve`` subprocess
is started on loopback and driven with httpx (keep-alive, HTTP Basic):

- POST: envelopes of 1,000 new objects (full validation), objects/s over 50 envelopes, enough
  to include the write-ahead log's background checkpoints (about every 4 envelopes at
  1,000,000 records) and its restarts (about every 16), with the median and the slowest
  envelope in milliseconds;
- paged GET of the whole collection (limit=1000, following ``next``), objects/s;
- the first page (limit=100) of filtered GETs mixing ``match[type]``, ``match[id]``,
  ``added_after`` and ``match[version]=all``: median and p99 in milliseconds.

The client parses every response in full (``response.json()``), with Python's cyclic garbage
collector paused while it times: a parsed page is a tree of about 20,000 fresh objects (no
cycles, freed by reference counting), and the collections that churn triggers in this
Django-loaded process can take longer than the server takes to answer the page, so the figure
would measure the client, not the server.
"""

from __future__ import annotations

import contextlib
import gc
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accord.http.taxii import TAXII_MEDIA_TYPE
from accord.node.process import free_port, wait_until_answering

if TYPE_CHECKING:
    import httpx

__all__ = ["run_taxii_bench", "table"]

PASSWORD = "bench taxii password 7"


@contextlib.contextmanager
def _collector_paused() -> Any:
    """Pause the cyclic garbage collector (see the module docstring); restored after."""
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


def _load(size: int, batch: int, progress: Any) -> Any:
    from django.db import connection

    from accord.intel.bulk import refresh_after_bulk_import
    from accord.intel.factories import synthetic_objects
    from accord.intel.services import ingest_objects
    from accord.taxii.services import add_entries, create_collection

    collection = create_collection(None, title="Benchmark", alias="bench")
    done = 0
    while done < size:
        count = min(batch, size - done)
        objects = list(synthetic_objects(count, start=done))
        report = ingest_objects(None, objects, source=f"bench batch {done // batch}")
        if not report.ok:
            raise RuntimeError(f"bench import refused: {report.refused[:3]}")
        add_entries(collection, [(o["id"], o["modified"]) for o in objects])
        done += count
        if progress is not None:
            progress("load", done, size)
    # as ``accord import`` does after a bulk import (PostgreSQL: VACUUM ANALYZE of the search
    # tables), then statistics for every other table the run reads (TAXII's entries)
    refresh_after_bulk_import(size)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return collection


def _serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "DJANGO_"))}
    env["ACCORD_DATA_DIR"] = str(data_dir)
    if os.environ.get("ACCORD_DATABASE_URL"):  # the benchmark's own PostgreSQL database
        env["ACCORD_DATABASE_URL"] = os.environ["ACCORD_DATABASE_URL"]
    env["ACCORD_LOG_LEVEL"] = "WARNING"
    command = [sys.executable, "-m", "accord.cli.main", "serve", "--data-dir", str(data_dir),
               "--port", str(port), "--no-worker"]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


def run_taxii_bench(
    size: int, *, data_dir: Path, batch: int = 50_000, posts: int = 50, filtered: int = 50,
    progress: Any = None,
) -> dict[str, Any]:  # fmt: skip
    """Load ``size`` objects into a collection, then time POST, paged GET and filtered GETs
    against a live ``accord serve``. Returns the figures (see the module docstring)."""
    import httpx

    from accord.accounts.services import add_user
    from accord.taxii.services import grant_access

    started = time.perf_counter()
    collection = _load(size, batch, progress)
    load_seconds = time.perf_counter() - started
    user = add_user(None, "bench-taxii", role="analyst", password=PASSWORD, agency="ctu")
    grant_access(None, collection, user, can_read=True, can_write=True)

    port = free_port()
    server = _serve(data_dir, port)
    base = f"http://127.0.0.1:{port}/taxii2/accord/collections/{collection.pk}/"
    headers = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}
    try:
        with (
            httpx.Client(auth=("bench-taxii", PASSWORD), headers=headers, timeout=120) as http,
            _collector_paused(),
        ):
            wait_until_answering(f"http://127.0.0.1:{port}/", server, timeout=60)

            post_times = _time_posts(http, base, size, posts, progress)
            got, pages, get_seconds, middle = _time_paged_get(
                http, base, size + posts * 1000, progress
            )
            plans = _filter_plans(http, base, size, filtered, middle)
            timings = _time_filtered(http, base, plans)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    return {
        "records": size,
        "objects": size,
        "load_seconds": round(load_seconds, 1),
        "post_objects": posts * 1000,
        "post_objects_per_s": round(posts * 1000 / sum(post_times)),
        "post_envelope_p50_ms": round(_percentile(post_times, 0.5) * 1000, 1),
        "post_envelope_max_ms": round(max(post_times) * 1000, 1),
        "get_objects": got,
        "get_pages": pages,
        "get_objects_per_s": round(got / get_seconds),
        "filtered_requests": len(timings),
        "filtered_first_page_ms": round(_percentile(timings, 0.5), 2),
        "filtered_first_page_p99_ms": round(_percentile(timings, 0.99), 2),
    }


def _time_posts(http: httpx.Client, base: str, size: int, posts: int, progress: Any) -> list[float]:
    """POST ``posts`` envelopes of 1,000 new objects; the seconds each took."""
    import httpx

    from accord.intel.factories import synthetic_objects

    envelopes = [
        {"objects": list(synthetic_objects(1000, start=size + k * 1000))} for k in range(posts)
    ]
    bodies = [httpx.Request("POST", base, json=e).content for e in envelopes]
    post_times: list[float] = []
    for body in bodies:
        t = time.perf_counter()
        response = http.post(base + "objects/", content=body)
        post_times.append(time.perf_counter() - t)
        status = response.json()
        if response.status_code != 202 or status["failure_count"]:
            raise RuntimeError(f"bench POST failed: {response.text[:500]}")
    if progress is not None:
        progress("post", posts, posts)
    return post_times


def _time_paged_get(
    http: httpx.Client, base: str, total: int, progress: Any
) -> tuple[int, int, float, str]:
    """GET the whole collection page by page: the objects and pages read, the seconds it
    took, and the last page's date added last (a date in the middle of the collection)."""
    got = 0
    pages = 0
    params: dict[str, str] = {"limit": "1000"}
    t = time.perf_counter()
    while True:
        response = http.get(base + "objects/", params=params)
        body_json = response.json()
        got += len(body_json.get("objects", []))
        pages += 1
        if not body_json["more"]:
            break
        params = {"limit": "1000", "next": body_json["next"]}
        if progress is not None and pages % 50 == 0:
            progress("get", got, total)
    get_seconds = time.perf_counter() - t
    if progress is not None:
        progress("get", 1, 1)
    middle = response.headers.get("X-TAXII-Date-Added-Last", "2026-01-01T00:00:00Z")
    return got, pages, get_seconds, middle


def _filter_plans(
    http: httpx.Client, base: str, size: int, filtered: int, middle: str
) -> list[dict[str, str]]:
    """``filtered`` filters, taken in turn: by type, by five ids, added after a date (the
    first or ``middle``), all versions of one type."""
    from accord.intel.factories import synthetic_objects

    rng = random.Random(5)
    first = http.get(base + "objects/", params={"limit": "1"})
    added_first = first.headers["X-TAXII-Date-Added-First"]
    sample_ids = [o["id"] for o in synthetic_objects(200, start=rng.randrange(size))]
    plans: list[dict[str, str]] = []
    for i in range(filtered):
        kind = i % 4
        if kind == 0:
            plans.append({"match[type]": rng.choice(["indicator", "relationship"])})
        elif kind == 1:
            plans.append({"match[id]": ",".join(rng.sample(sample_ids, 5))})
        elif kind == 2:
            plans.append({"added_after": rng.choice([added_first, middle])})
        else:
            plans.append({"match[version]": "all", "match[type]": "identity"})
    return plans


def _time_filtered(http: httpx.Client, base: str, plans: list[dict[str, str]]) -> list[float]:
    """The first page (100 objects) of each filter; the milliseconds each took."""
    timings: list[float] = []
    for plan in plans:
        t = time.perf_counter()
        response = http.get(base + "objects/", params={**plan, "limit": "100"})
        timings.append((time.perf_counter() - t) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"filtered GET failed: {response.text[:300]}")
    return timings


def table(rows: list[dict[str, Any]]) -> str:
    keys = ("objects", "post_objects_per_s", "get_objects_per_s", "filtered_first_page_ms",
            "filtered_first_page_p99_ms")  # fmt: skip
    head = ("objects", "POST obj/s", "GET obj/s", "filtered p50 ms", "filtered p99 ms")
    lines = ["  ".join(f"{h:>16}" for h in head)]
    for row in rows:
        lines.append("  ".join(f"{row.get(k, '')!s:>16}" for k in keys))
    return "\n".join(lines)
