"""``accord compare FILE.csv``: score pairs of names with the screening matcher (no node needed).

Columns: ``left``, ``right`` and optionally ``left_birth_date``, ``right_birth_date``,
``left_nationality``, ``right_nationality``, ``schema``. Prints one JSON line per row, in input
order, with ``score``, ``match`` (at the algorithm's operating threshold) and ``explanation``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="CSV file with columns left, right (- for standard input)")
    parser.add_argument(
        "--algorithm", default=None, help="matching algorithm (default: the shipped one)"
    )


def run(args: argparse.Namespace) -> int:
    from accord.engine.matching import DEFAULT, get_algorithm
    from accord.engine.matching.pairs_bench import row_person

    try:
        algo = get_algorithm(args.algorithm or DEFAULT.name)
    except KeyError:
        print(f"accord compare: unknown algorithm {args.algorithm!r}", file=sys.stderr)
        return 2
    try:
        if args.file == "-":
            handle = sys.stdin
        else:
            handle = open(args.file, encoding="utf-8-sig", newline="")  # noqa: SIM115
    except OSError as exc:
        print(f"accord compare: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    with handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"left", "right"} <= set(reader.fieldnames):
            print("accord compare: the CSV needs columns left and right", file=sys.stderr)
            return 2
        for n, row in enumerate(reader, start=1):
            result = algo.compare(row_person(row, "left"), row_person(row, "right"))
            out = {
                "row": n,
                "left": row.get("left"),
                "right": row.get("right"),
                "schema": row.get("schema") or "Person",
                "score": result.score,
                "match": result.match,
                "algorithm": f"{algo.name} v{algo.version}",
                "explanation": result.explanation,
            }
            print(json.dumps(out, ensure_ascii=False))
    return 0
