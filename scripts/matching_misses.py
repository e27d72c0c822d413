"""Error analysis of the screening benchmark: misses by query kind and culture (developer tool).

Builds the benchmark's synthetic watchlist and queries (the seeds of ``accord bench screening``)
and prints, per (kind, culture), how many matching queries there are and how many were missed
at the operating threshold; for the kinds asked for, each miss with whether the true entry was
among the retrieved candidates (a retrieval miss) or retrieved but scored under the threshold
or under another entry (a scoring miss), and the false positives when ``fp`` is among them.

    .venv/bin/python scripts/matching_misses.py [--size 100000] [--kinds transliteration,fp]
"""

from __future__ import annotations

import argparse
from collections import Counter

from accord.engine.matching.bench import build
from accord.engine.matching.synthetic import Entry, Query, queries


def _correct(entries: list[Entry], q: Query, slot: int) -> bool:
    """The benchmark's rule: the query's entry, or an entry of the same identity (namesake)."""
    return q.target >= 0 and (
        slot == q.target or entries[slot].identity == entries[q.target].identity
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--kinds", default="transliteration", help="comma-separated; fp: FPs")
    args = parser.parse_args()
    kinds = set(args.kinds.split(","))
    index, entries = build(args.size)
    threshold = index.algorithm.threshold
    total: Counter[tuple[str, str]] = Counter()
    missed: Counter[tuple[str, str]] = Counter()
    tp = fp = fn = 0
    for q in queries(entries, {e.identity for e in entries}, 2000, seed=7):
        top = index.search(q.person, limit=1)
        hit = bool(top) and top[0].score >= threshold
        right = hit and _correct(entries, q, top[0].slot)
        tp += right
        fp += hit and not right
        if q.target < 0:
            if hit and "fp" in kinds:
                print("FP", q.kind, q.person.names, "->", top[0].person.names, top[0].score)
            continue
        fn += not right
        entry = entries[q.target]
        total[(q.kind, entry.culture)] += 1
        if right:
            continue
        missed[(q.kind, entry.culture)] += 1
        if q.kind in kinds:
            retrieved = any(_correct(entries, q, s) for s in index.candidates(q.person))
            own = index.algorithm.score(q.person, entry.person)
            print(
                q.kind,
                entry.culture,
                "scoring" if retrieved else "retrieval",
                q.person.names,
                q.person.birth_date,
                "| entry",
                entry.person.names,
                entry.person.birth_date,
                round(own, 3),
                "| top",
                top[0].person.names if top else None,
                round(top[0].score, 3) if top else None,
            )
    recall, precision = tp / max(tp + fn, 1), tp / max(tp + fp, 1)
    print(f"recall {recall:.4f} precision {precision:.4f}")
    for key in sorted(total):
        print(f"{key[0]:<16}{key[1]:<10}{total[key]:>5} queries {missed[key]:>4} missed")


if __name__ == "__main__":
    main()
