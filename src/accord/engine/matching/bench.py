"""``accord bench screening``: the screening benchmark (framework-free, runs without a node).

Builds the synthetic watchlist (``synthetic.generate``), screens labelled queries through the
index and accord-name-v1, and reports recall, precision and F1 at the operating threshold,
recall per query kind, single-query p50/p99 latency, batch throughput, and (when nomenklatura is
importable) the F1 at the best threshold and pairs/s of ``logic-v1`` and ``logic-v2`` on the
same candidate pairs.
"""

from __future__ import annotations

import gc
import itertools
import os
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from accord.engine.matching import native
from accord.engine.matching.algorithm import (
    ALGORITHMS,
    V2,
    V2_FEATURES,
    Algorithm,
    make_v2,
)
from accord.engine.matching.calibrate import fit_logistic_newton
from accord.engine.matching.features import Pair, Person
from accord.engine.matching.index import WatchlistIndex
from accord.engine.matching.synthetic import Entry, Query, generate, queries

__all__ = ["build", "fit", "main", "run_screening_bench"]

Progress = Callable[[str, int, int], None]
_INDEX: WatchlistIndex | None = None
BASELINE_QUERIES = 600


def build(
    size: int, progress: Progress | None = None, algorithm: Algorithm | None = None
) -> tuple[WatchlistIndex, list[Entry]]:
    index = WatchlistIndex() if algorithm is None else WatchlistIndex(algorithm)
    entries: list[Entry] = []
    for i, e in enumerate(generate(size)):
        index.add(e.person)
        entries.append(e)
        if progress and (i % 20000 == 0 or i == size - 1):
            progress("index", i + 1, size)
    return index, entries


def _correct(entries: list[Entry], q: Query, slot: int) -> bool:
    return q.target >= 0 and (
        slot == q.target or entries[slot].identity == entries[q.target].identity
    )


#: Seeds: the benchmark screens watchlist seed 5 with query seed 7; calibration uses its own
#: watchlist (seed 13) and queries (seed 11), so weights and threshold never see test queries.
CALIBRATION_WATCHLIST_SEED = 13
CALIBRATION_QUERY_SEED = 11


def fit(size: int = 100_000, count: int = 4000, pool: int = 10) -> dict[str, Any]:
    """Fit accord-name-v2 on a calibration watchlist and queries (not the benchmark's seeds).

    Rows are the feature vectors of every retrieved candidate of each query, three times: as
    generated, without the birth date, and with the name alone (no birth date, nationality or
    gender: name-only screening and ``accord compare``), labelled by the generator. The
    weights come from a Newton logistic regression; the threshold maximises the query-level F1
    (the benchmark's measure: a hit is right when its best candidate is the entry) on the same
    calibration queries."""
    from dataclasses import replace

    index = WatchlistIndex()
    entries = list(generate(size, seed=CALIBRATION_WATCHLIST_SEED))
    for e in entries:
        index.add(e.person)
    qs = queries(entries, {e.identity for e in entries}, count, seed=CALIBRATION_QUERY_SEED)
    rows, labels = [], []
    probes: list[tuple[Query, list[tuple[int, list[float]]]]] = []
    for q in qs:
        bare = replace(q.person, birth_date="", nationalities=(), gender="")
        for person in (q.person, replace(q.person, birth_date=""), bare):
            cands = []
            for slot in index.candidates(person, pool):
                v = V2.vector(Pair(person, entries[slot].person))
                rows.append(v)
                labels.append(int(_correct(entries, q, slot)))
                cands.append((slot, v))
            if person is q.person:
                probes.append((q, cands))
    w, b = fit_logistic_newton(rows, labels)
    weights = dict(zip((n for n, _ in V2_FEATURES), w, strict=True))
    algo = make_v2(weights, b, 0.5)
    best: dict[int, tuple[float, bool]] = {}
    positives = 0
    for qi, (q, cands) in enumerate(probes):
        positives += int(q.target >= 0)
        scored = [(algo.score_vector(v), _correct(entries, q, slot)) for slot, v in cands]
        if scored:
            best[qi] = max(scored)
    thr, f1 = _sweep(best, positives)
    return {
        "weights": {k: round(v, 3) for k, v in weights.items()},
        "bias": round(b, 3),
        "threshold": round(thr, 3),
        "calibration_query_f1": round(f1, 4),
        "pairs": len(rows),
        "positive_pairs": sum(labels),
        "watchlist_seed": CALIBRATION_WATCHLIST_SEED,
        "query_seed": CALIBRATION_QUERY_SEED,
    }


def _screen_chunk(chunk: list[Person]) -> tuple[list[tuple[int, float]], float]:
    """Screen one chunk in a worker: the best slot and score per query, and the CPU seconds."""
    assert _INDEX is not None
    start = time.process_time()
    out = [
        (top[0].slot, top[0].score) if top else (-1, 0.0)
        for top in _INDEX.search_many(chunk, limit=1)
    ]
    return out, time.process_time() - start


def _warm_worker(ready: Any) -> None:
    """Pool initializer: read the inherited index once (``WatchlistIndex.warm``), then wait
    until every worker has (``ready``, a barrier shared with the parent)."""
    assert _INDEX is not None
    _INDEX.warm()
    ready.wait()


def _sweep(best: dict[int, tuple[float, bool]], positives: int) -> tuple[float, float]:
    """Best query-level F1 over thresholds: a hit is right when its best candidate is.

    Thresholds are only placed between distinct scores: queries with equal scores are accepted
    or refused together (sorting ``(score, correct)`` alone would count the right ones of a tie
    first and flatter an algorithm that gives many pairs the same score, such as 0.0)."""
    tp = fp = 0
    top = (1.0, 0.0)
    ordered = sorted(best.values(), key=lambda sc: -sc[0])
    for i, (score, correct) in enumerate(ordered):
        tp += int(correct)
        fp += int(not correct)
        if i + 1 < len(ordered) and ordered[i + 1][0] == score:
            continue
        f1 = 2 * tp / (tp + fp + positives) if positives else 0.0
        if f1 > top[1]:
            top = (score, f1)
    return top


def _baseline(pairs: list[tuple[int, Person, Person, bool]], positives: int) -> dict[str, Any]:
    try:
        from followthemoney import model
        from nomenklatura.matching import get_algorithm
        from nomenklatura.matching.types import ScoringConfig
    except ImportError:
        return {"skipped": "nomenklatura is not installed (pip install nomenklatura)"}

    ids = itertools.count()

    def entity(p: Person) -> Any:
        # a fresh id each time: logic-v2 caches an entity's names by its id
        e = model.make_entity("Person")
        e.id = f"e{next(ids)}"
        e.add("name", list(p.names))
        if p.birth_date and p.birth_date[:1].isdigit():
            e.add("birthDate", p.birth_date[:10])
        e.add("nationality", [n.lower() for n in p.nationalities])
        return e

    result: dict[str, Any] = {}
    for name in ("logic-v1", "logic-v2"):
        algo = get_algorithm(name)
        if algo is None:
            continue
        config = ScoringConfig.defaults()
        best: dict[int, tuple[float, bool]] = {}
        start = time.perf_counter()
        for qi, q, c, correct in pairs:
            s = algo.compare(entity(q), entity(c), config).score
            if qi not in best or s > best[qi][0]:
                best[qi] = (s, correct)
        elapsed = time.perf_counter() - start
        thr, f1 = _sweep(best, positives)
        result[name] = {
            "f1": round(f1, 4),
            "threshold": thr,
            "pairs_per_s": round(len(pairs) / elapsed, 1),
        }
    return result


@dataclass(frozen=True)
class _Batch:
    """A batch screened on every core: how many queries, by how many workers, the seconds the
    resident workers took to read the index (``warm_seconds``), the seconds and CPU
    milliseconds per query with resident workers and with workers forked for the batch
    (``cold_``)."""

    queries: int
    workers: int
    warm_seconds: float
    seconds: float
    cpu_ms: float
    cold_seconds: float
    cold_cpu_ms: float
    #: ``fresh`` queries (none of them screened before) on the resident workers
    fresh_queries: int
    fresh_seconds: float
    fresh_cpu_ms: float


def _run_batch(index: WatchlistIndex, persons: list[Person], fresh: list[Person]) -> _Batch:
    """Screen ``persons`` on all cores, the index inherited by forked workers; then ``fresh``,
    queries that neither the workers nor the process that forked them have seen (the caches of
    normalised names and of transliteration likelihoods start cold for them: a new manifest).

    The objects built so far are moved out of the collector's sight (gc.freeze): otherwise
    each worker's collections touch every object of the index and copy the pages the parent
    shares with it. Measured twice: resident workers that have read the index once
    (``WatchlistIndex.warm``: the steady state of a screening service), and workers forked
    just before the batch (each object's page copied at its first use, inside the timing).
    """
    global _INDEX
    _INDEX = index
    workers = os.cpu_count() or 1
    # chunks of 100: a worker idles at most one chunk's time at the end of the batch
    chunks = [persons[i : i + 100] for i in range(0, len(persons), 100)]
    fresh_chunks = [fresh[i : i + 100] for i in range(0, len(fresh), 100)]
    gc.collect()
    gc.freeze()
    if workers > 1 and sys.platform.startswith("linux"):
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        ready = ctx.Barrier(workers + 1)
        s = time.perf_counter()
        with ctx.Pool(workers, initializer=_warm_worker, initargs=(ready,)) as pool:
            ready.wait()
            warm_s = time.perf_counter() - s
            s = time.perf_counter()
            done = pool.map(_screen_chunk, chunks, chunksize=1)
            batch_s = time.perf_counter() - s
            s = time.perf_counter()
            new = pool.map(_screen_chunk, fresh_chunks, chunksize=1)
            fresh_s = time.perf_counter() - s
        s = time.perf_counter()
        with ProcessPoolExecutor(workers, mp_context=ctx) as ex:
            cold = list(ex.map(_screen_chunk, chunks))
        cold_s = time.perf_counter() - s
    else:
        warm_s = 0.0
        s = time.perf_counter()
        done = cold = [_screen_chunk(c) for c in chunks]
        batch_s = cold_s = time.perf_counter() - s
        s = time.perf_counter()
        new = [_screen_chunk(c) for c in fresh_chunks]
        fresh_s = time.perf_counter() - s
    gc.unfreeze()
    return _Batch(
        queries=len(persons),
        workers=workers,
        warm_seconds=warm_s,
        seconds=batch_s,
        cpu_ms=1000 * sum(cpu for _, cpu in done) / len(persons),
        cold_seconds=cold_s,
        cold_cpu_ms=1000 * sum(cpu for _, cpu in cold) / len(persons),
        fresh_queries=len(fresh),
        fresh_seconds=fresh_s,
        fresh_cpu_ms=1000 * sum(cpu for _, cpu in new) / max(len(fresh), 1),
    )


def run_screening_bench(
    size: int,
    count: int = 2000,
    progress: Progress | None = None,
    baseline: bool = True,
    algorithm: Algorithm | None = None,
) -> dict[str, Any]:
    t0 = time.perf_counter()
    index, entries = build(size, progress, algorithm)
    build_s = time.perf_counter() - t0
    identities = {e.identity for e in entries}
    qs = queries(entries, identities, count, seed=7)
    algo = index.algorithm
    latencies = []
    tp = fp = fn = 0
    kinds_total: Counter[str] = Counter()
    kinds_found: Counter[str] = Counter()
    pairs: list[tuple[int, Person, Person, bool]] = []
    base_positives = 0
    for qi, q in enumerate(qs):
        s = time.perf_counter()
        top = index.search(q.person, limit=1)
        latencies.append((time.perf_counter() - s) * 1000)
        hit = bool(top) and top[0].score >= algo.threshold
        kinds_total[q.kind] += 1
        if q.target >= 0:
            if hit and _correct(entries, q, top[0].slot):
                tp += 1
                kinds_found[q.kind] += 1
            else:
                fn += 1
                fp += int(hit)
        else:
            fp += int(hit)
        if baseline and qi < BASELINE_QUERIES:  # the same candidates, scored by nomenklatura
            base_positives += int(q.target >= 0)
            for slot in index.candidates(q.person, 5):
                pairs.append((qi, q.person, entries[slot].person, _correct(entries, q, slot)))
        if progress and (qi % 200 == 0 or qi == len(qs) - 1):
            progress("query", qi + 1, len(qs))
    # a second labelled set, not screened above, for the batch of fresh queries
    fresh = [q.person for q in queries(entries, identities, count * 2, seed=8)]
    batch = _run_batch(index, [q.person for q in qs] * 2, fresh)
    recall = tp / max(tp + fn, 1)
    precision = tp / max(tp + fp, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    latencies.sort()
    translit = "transliteration"
    return {
        "benchmark": "screening",
        "algorithm": f"{algo.name} v{algo.version}",
        "threshold": algo.threshold,
        "watchlist_size": size,
        "queries": len(qs),
        "build_seconds": round(build_s, 1),
        "recall": round(recall, 4),
        "precision": round(precision, 4),
        "f1": round(f1, 4),
        "recall_by_kind": {
            k: round(kinds_found[k] / kinds_total[k], 4)
            for k in sorted(kinds_total)
            if not k.startswith(("hard", "unrel"))
        },
        "transliteration_recall": round(kinds_found[translit] / max(kinds_total[translit], 1), 4),
        "false_positive_by_kind": None,
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 3),
        "batch_queries_per_s": round(batch.queries / batch.seconds, 1),
        "batch_workers": batch.workers,
        "batch_cpu_ms_per_query": round(batch.cpu_ms, 3),
        "batch_worker_warm_s": round(batch.warm_seconds, 2),
        "batch_cold_queries_per_s": round(batch.queries / batch.cold_seconds, 1),
        "batch_cold_cpu_ms_per_query": round(batch.cold_cpu_ms, 3),
        "batch_fresh_queries_per_s": round(batch.fresh_queries / batch.fresh_seconds, 1),
        "batch_fresh_cpu_ms_per_query": round(batch.fresh_cpu_ms, 3),
        "engine": native.status(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "baseline": _baseline(pairs, base_positives) if baseline else {"skipped": "--no-baseline"},
    }


def main(
    size: int, as_json: bool, progress: Progress | None = None, algorithm: str | None = None
) -> int:
    """Entry point of ``accord bench screening``: prints a summary or one JSON object."""
    import json

    if size < 100:
        print("accord bench screening: --size must be at least 100", file=sys.stderr)
        return 2
    if algorithm is not None and algorithm not in ALGORITHMS:
        known = ", ".join(ALGORITHMS)
        print(f"accord bench screening: unknown algorithm {algorithm!r} (known: {known})",
              file=sys.stderr)  # fmt: skip
        return 2
    chosen = ALGORITHMS[algorithm] if algorithm is not None else None
    result = run_screening_bench(size, progress=progress, algorithm=chosen)
    if as_json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>24}: {v}")
    return 0
