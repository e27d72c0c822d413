"""``accord bench store [--sizes 100000,1000000] [--json] [--keep]``: the record-store benchmark.

For each size, a fresh node in a temporary data directory (SQLite) imports that many synthetic
STIX objects through the real import service (validated, in batches of 50,000 per transaction)
and then runs 300 mixed searches as an analyst. Each size runs in its own process (Django is
set up once per process). Prints a table, or one JSON object with ``--json``.

``--database-url postgres://user@host:port/`` (store and taxii) runs each size on PostgreSQL
instead: a fresh database is created on that server for the size (``accord_bench_<size>_<hex>``,
through its ``postgres`` database) and dropped afterwards unless ``--keep``. The JSON's
``database`` says which ran.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = ["add_arguments", "postgres_url", "run", "run_on_postgres"]

BENCHMARKS = ("store", "taxii", "screening", "matching", "policy", "federation", "faults", "load")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=BENCHMARKS, help="the benchmark to run")
    parser.add_argument("--sizes", default="100000,1000000", help="record counts, comma-separated")
    parser.add_argument("--batch", type=int, default=50_000, help="objects per import transaction")
    parser.add_argument("--queries", type=int, default=300, help="searches to time")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directories")
    parser.add_argument(
        "--database-url",
        help="store, taxii: a PostgreSQL server (postgres://user@host:port/) on which each size "
        "gets a fresh database, dropped after the run (default: SQLite in the data directory)",
    )
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)  # set for the per-size child
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=100_000, help="watchlist size (screening)")
    parser.add_argument("--shares", type=int, default=100, help="single-object shares (federation)")
    parser.add_argument("--objects", type=int, default=5000, help="objects pushed (federation)")
    parser.add_argument(
        "--records", type=int, help="records per case (faults, 2000); records loaded (load, 20000)"
    )
    parser.add_argument("--cases", default="", help="faults: cases to run, comma-separated")
    parser.add_argument("--users", type=int, default=50, help="load: concurrent users")
    parser.add_argument("--seconds", type=float, default=60.0, help="load: seconds measured")
    parser.add_argument("--spawn-rate", type=float, default=10.0, help="load: users started/s")
    parser.add_argument(
        "--workers", type=int, help="load: accord serve --workers (default: the CPUs, up to 4)"
    )
    parser.add_argument("--pairs", help="matching: labelled CSV (left, right, is_match)")
    parser.add_argument(
        "--algorithm", help="matching, screening: the algorithm (default: the shipped one)"
    )


def _progress(stage: str, done: int, total: int) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    sys.stderr.write(
        f"\r  {stage:<7}[{'#' * filled}{' ' * (width - filled)}] "
        f"{100 * done // max(total, 1):3d}% {done:,}/{total:,}"
    )
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _child(args: argparse.Namespace) -> int:
    from accord.cli.main import setup_django
    from accord.node.services import create_data_dir

    data_dir = Path(args.data_dir)
    config = create_data_dir(data_dir, "bench-node", "FR", "Benchmark node")
    setup_django(data_dir)
    from accord.cli.bench_store import run_store_bench
    from accord.node.bootstrap import bootstrap_node

    bootstrap_node(data_dir, config)
    if args.name == "taxii":
        from accord.cli.bench_taxii import run_taxii_bench

        print(json.dumps(run_taxii_bench(int(args.sizes), data_dir=data_dir, progress=_progress)))
        return 0
    result = run_store_bench(
        int(args.sizes), batch=args.batch, queries=args.queries, progress=_progress
    )
    print(json.dumps(result))
    return 0


def _table(rows: list[dict[str, Any]]) -> str:
    head = ("records", "import s", "objects/s", "search p50 ms", "p95 ms", "p99 ms", "max ms")
    keys = (
        "records",
        "import_seconds",
        "import_objects_per_s",
        "search_p50_ms",
        "search_p95_ms",
        "search_p99_ms",
        "search_max_ms",
    )
    lines = ["  ".join(f"{h:>14}" for h in head)]
    for row in rows:
        lines.append(
            "  ".join(
                f"{row.get(k, ''):>14,}"
                if isinstance(row.get(k), int)
                else f"{row.get(k, '')!s:>14}"
                for k in keys
            )
        )
    return "\n".join(lines)


def postgres_url(url: str, database: str) -> str:
    """``url`` (a PostgreSQL server) naming ``database``."""
    return urlunsplit(urlsplit(url)._replace(path="/" + database))


def run_on_postgres(url: str, statement: str, database: str) -> None:
    """Run ``statement`` (CREATE or DROP DATABASE, outside a transaction) on the server, with
    ``{}`` replaced by the quoted name ``database``."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(postgres_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(database)))


def _policy(args: argparse.Namespace) -> int:
    """The policy engine, framework-free: no node, no Django."""
    from accord.engine.policy.bench import run_policy_bench, table

    result = run_policy_bench()
    print(json.dumps(result) if args.json else table(result))
    return 0


def _screening(args: argparse.Namespace) -> int:
    """The matching engine, framework-free: no node, no Django."""
    from accord.engine.matching.bench import main

    return main(args.size, args.json, _progress, args.algorithm)


def _matching(args: argparse.Namespace) -> int:
    """Labelled pairs from a CSV file, framework-free: no node, no Django."""
    from accord.engine.matching.pairs_bench import main

    return main(args.pairs, args.algorithm, args.json, _progress)


def _federation(args: argparse.Namespace) -> int:
    """Two live nodes on loopback."""
    from accord.cli.demo_federation.bench import run_bench, table

    result = run_bench(shares=args.shares, objects=args.objects, keep=args.keep)
    print(json.dumps(result) if args.json else table(result))
    return 0


def _faults(args: argparse.Namespace) -> int:
    """Two live nodes on loopback, killed, cut and replayed."""
    from accord.cli.bench_faults import main

    args.records = 2000 if args.records is None else args.records
    return main(args)


def _load(args: argparse.Namespace) -> int:
    """One live node, concurrent users (locust)."""
    from accord.cli.bench_load import main

    return main(args)


#: The benchmarks that run on their own, not as one child node per size.
_OWN_RUN: dict[str, Callable[[argparse.Namespace], int]] = {
    "policy": _policy,
    "screening": _screening,
    "matching": _matching,
    "federation": _federation,
    "faults": _faults,
    "load": _load,
}


def run(args: argparse.Namespace) -> int:
    own = _OWN_RUN.get(args.name)
    if own is not None:
        return own(args)
    if args.child:
        return _child(args)
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        print("accord bench: --sizes takes whole numbers, e.g. 100000,1000000", file=sys.stderr)
        return 2
    if not sizes or any(s < 1 for s in sizes):
        print("accord bench: give at least one positive size", file=sys.stderr)
        return 2
    server = args.database_url
    if server and urlsplit(server).scheme not in ("postgres", "postgresql"):
        print("accord bench: --database-url takes postgres://user@host:port/", file=sys.stderr)
        return 2
    results: list[dict[str, Any]] = []
    for size in sizes:
        result = _run_size(args, size, server)
        if result is None:
            print(f"accord bench: the {size:,}-record run failed", file=sys.stderr)
            return 1
        results.append(result)
    _print_results(args, results, server)
    return 0


def _run_size(args: argparse.Namespace, size: int, server: str | None) -> dict[str, Any] | None:
    """Run one size in a child node in a temporary data directory (on a new PostgreSQL
    database of ``server`` when given); its result, None when it failed."""
    tmp = Path(tempfile.mkdtemp(prefix=f"accord-bench-{size}-"))
    data_dir = tmp / "node"
    print(f"accord bench {args.name}: {size:,} records in {data_dir}", file=sys.stderr)
    env = {k: v for k, v in os.environ.items() if k != "ACCORD_DATABASE_URL"}
    env["ACCORD_DATA_DIR"] = str(data_dir)
    env["ACCORD_LOG_LEVEL"] = "WARNING"
    database = ""
    if server:
        database = f"accord_bench_{size}_{secrets.token_hex(4)}"
        run_on_postgres(server, "CREATE DATABASE {}", database)
        env["ACCORD_DATABASE_URL"] = postgres_url(server, database)
        print(f"  on PostgreSQL, database {database}", file=sys.stderr)
    command = [
        sys.executable,
        "-m",
        "accord.cli.main",
        "bench",
        args.name,
        "--child",
        "--data-dir",
        str(data_dir),
        "--sizes",
        str(size),
        "--batch",
        str(args.batch),
        "--queries",
        str(args.queries),
    ]
    try:
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
            if server and database:
                run_on_postgres(server, "DROP DATABASE IF EXISTS {} WITH (FORCE)", database)
    if done.returncode != 0:
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _print_results(
    args: argparse.Namespace, results: list[dict[str, Any]], server: str | None
) -> None:
    if args.json:
        largest = max(results, key=lambda r: r["records"])
        print(
            json.dumps(
                {
                    **largest,
                    "benchmark": args.name,
                    "database": "postgresql" if server else "sqlite",
                    "sizes": results,
                }
            )
        )
    elif args.name == "taxii":
        from accord.cli.bench_taxii import table

        print(table(results))
    else:
        print(_table(results))
        base = results[-1].get("baseline") or {}
        if base:
            print(
                f"\nValidation alone, same objects, this run: Accord "
                f"{base['accord_validator_objects_per_s']:,}/s; stix2-validator "
                f"{base['stix2_validator_objects_per_s'] or 'n/a'}/s; stix2.parse "
                f"{base['stix2_parse_objects_per_s'] or 'n/a'}/s. Validated import at "
                f"{results[-1]['records']:,} records is "
                f"{results[-1].get('import_vs_stix2_validator') or 'n/a'}x stix2-validator."
            )
