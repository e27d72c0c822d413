"""``accord bench load [--users 50] [--seconds 60] [--spawn-rate 10] [--records 20000]
[--database-url URL] [--json] [--keep]``: many people and systems using one node at once.

A fresh node (a temporary data directory; SQLite, or with ``--database-url`` a fresh database on
that PostgreSQL server, dropped afterwards unless ``--keep``) gets, in a set-up process:
:data:`ANALYSTS` analysts, :data:`SUPERVISORS` supervisors and :data:`TAXII_CLIENTS` TAXII
client accounts of a partner agency (passwords and API tokens made for the run), ``--records``
synthetic records (:func:`accord.engine.synth.federation.generate_federation_data`: persons,
some watch-listed, organisations, relationships; the count is approximate), a TAXII collection
holding all of them, and a queue of screening hits for the supervisors. Then ``accord serve``
(with its task worker, as in production) runs on a free loopback port, and the simulated users
of :mod:`accord.cli.bench_load_users` (locust) start at ``--spawn-rate`` a second; once all
``--users`` run, they are measured for ``--seconds``.

Per route, over the requests started within the measured seconds (each finishes, however
late): requests, requests per second, p50/p95/p99 and the slowest in milliseconds, and errors
(an unexpected status or answer). ``ok`` holds when every user started, nothing failed (while
users started either) and every route's p99 is under :data:`TARGET_P99_MS`. The load
generator runs on the same machine as the node: the result says how much CPU each took during
the run (``cpu_seconds``) and the load average before and after, so that figures from a busy
machine can be told apart.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from accord.node.chunking import chunks
from accord.node.process import free_port, wait_until_answering

if TYPE_CHECKING:
    from accord.accounts.models import User

__all__ = [
    "ANALYSTS",
    "DEFAULT_RECORDS",
    "SUPERVISORS",
    "TARGET_P99_MS",
    "TAXII_CLIENTS",
    "default_workers",
    "main",
    "prepare",
    "run_load_bench",
    "table",
]

DEFAULT_RECORDS = 20_000
TARGET_P99_MS = 500.0
ANALYSTS = 8
SUPERVISORS = 3
TAXII_CLIENTS = 4
AGENCY = "CT-LOAD"
PARTNER_AGENCY = "CT-PARTNER"
PURPOSE = "counter-terrorism"
#: Synthetic objects per person of generate_federation_data (persons, organisations, actors,
#: relationships, indicators), to reach about ``--records`` objects.
_OBJECTS_PER_PERSON = 2.35
#: The people the set-up screens so that supervisors find a queue of hits to review.
_SEEDED_HITS = 150

_PREPARE = "from accord.cli.bench_load import prepare_main; prepare_main()"


def _screening_fields(obj: dict[str, Any]) -> dict[str, str]:
    """What a screener knows of a stored person: name, birth date, nationality, passport."""
    from accord.engine.stix.person import person_extension

    ext = person_extension(obj) or {}
    out = {"full_name": str(obj.get("name", ""))}
    for birth in ext.get("birth_dates") or ():
        if birth.get("precision") == "exact" and birth.get("date"):
            out["date_of_birth"] = str(birth["date"])
            break
        if birth.get("year"):
            out["date_of_birth"] = str(birth["year"])
            break
    if ext.get("nationalities"):
        out["nationality"] = str(ext["nationalities"][0])
    for document in ext.get("documents") or ():
        if document.get("number"):
            out["document_number"] = str(document["number"])
            break
    return out


def _search_names(obj: dict[str, Any]) -> list[str]:
    """Names an analyst types to find this person: the primary name and its other scripts."""
    from accord.engine.stix.person import person_extension

    names = [str(obj.get("name", ""))]
    for name in (person_extension(obj) or {}).get("names") or ():
        if isinstance(name, dict) and name.get("full_name"):
            names.append(str(name["full_name"]))
    return list(dict.fromkeys(n for n in names if n))


def _create_accounts() -> tuple[dict[str, list[dict[str, str]]], dict[str, list[User]]]:
    """The simulated users' accounts, by kind (analysts, supervisors, TAXII clients): their
    names, passwords and tokens, and the users."""
    from accord.accounts.services import add_user, create_token

    accounts: dict[str, list[dict[str, str]]] = {"analysts": [], "supervisors": [], "taxii": []}
    users: dict[str, list[User]] = {"analysts": [], "supervisors": [], "taxii": []}
    plan = (
        ("analysts", "analyst", ANALYSTS, AGENCY),
        ("supervisors", "supervisor", SUPERVISORS, AGENCY),
        ("taxii", "analyst", TAXII_CLIENTS, PARTNER_AGENCY),
    )
    for kind, role, count, agency in plan:
        for i in range(count):
            username = f"load-{kind}-{i}"
            password = f"load {secrets.token_urlsafe(18)}"
            user = add_user(None, username, role=role, password=password, agency=agency)
            token, _ = create_token(None, user, name="accord bench load")
            users[kind].append(user)
            accounts[kind].append({"username": username, "password": password, "token": token})
    return accounts, users


def prepare(data_dir: Path, *, records: int, seed: int = 7) -> dict[str, Any]:
    """Set up the node on ``data_dir`` (Django already set up on it) for the load: accounts,
    synthetic data, the collection, a queue of hits. Returns what the simulated users need
    (accounts with passwords and tokens, record ids, names, people to screen, the collection
    and ``added_after`` points in it), as JSON-able data."""
    import orjson
    from django.db import connection

    from accord.engine.manifests.csv_jsonl import read_jsonl
    from accord.engine.synth.federation import generate_federation_data
    from accord.intel.models import Record
    from accord.intel.services import ingest_objects
    from accord.node.bootstrap import bootstrap_node
    from accord.node.datadir import read_node_config
    from accord.screening.services import screen
    from accord.taxii.envelope import format_timestamp
    from accord.taxii.models import CollectionEntry
    from accord.taxii.services import add_entries, create_collection, grant_access

    config = read_node_config(data_dir)
    assert config is not None
    bootstrap_node(data_dir, config)
    accounts, users = _create_accounts()

    persons = max(10, round(records / _OBJECTS_PER_PERSON))
    objects = generate_federation_data(seed, persons, created_by_ref=config.identity_id)
    report = ingest_objects(
        users["analysts"][0], objects, source="accord bench load: synthetic data", purpose=PURPOSE
    )
    if not report.ok:
        raise RuntimeError(f"synthetic data refused: {report.refused[:3]}")
    collection = create_collection(None, title="Load", alias="load")
    pairs = [(o["id"], o["modified"]) for o in objects if o["type"] != "marking-definition"]
    for chunk in chunks(pairs, 5000):
        add_entries(collection, chunk)
    for user in users["taxii"]:
        grant_access(None, collection, user, can_read=True, can_write=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    # What an analyst (not the records' owner) may see: pages to open, names to search for.
    reader = users["analysts"][1 % len(users["analysts"])]
    visible = Record.objects.restrict(reader, purpose=PURPOSE).filter(stix_type="identity")
    rng = random.Random(seed)
    rows = list(visible.values_list("stix_id", "data"))
    rng.shuffle(rows)
    record_ids: list[str] = []
    names: list[str] = []
    listed: list[dict[str, str]] = []
    unlisted: list[dict[str, str]] = []
    for stix_id, data in rows:
        obj = orjson.loads(data)
        if len(record_ids) < 1000:
            record_ids.append(stix_id)
        if obj.get("identity_class") != "individual":
            continue
        if len(names) < 500:
            names.append(rng.choice(_search_names(obj)))
        watched = '"watchlist"' in data
        group = listed if watched else unlisted
        if len(group) < 300:
            group.append(_screening_fields(obj))
    lines = "\n".join(json.dumps(p) for p in listed[:_SEEDED_HITS]).encode()
    screen(users["analysts"][0], read_jsonl(lines), purpose=PURPOSE, format="json")

    dates = list(
        CollectionEntry.objects.filter(collection=collection)
        .order_by("date_added_us")
        .values_list("date_added_us", flat=True)
    )
    points = [dates[int(len(dates) * k / 20)] for k in range(19)] if dates else []
    return {
        "records": Record.objects.count(),
        "accounts": accounts,
        "record_ids": record_ids,
        "names": names,
        "listed": listed,
        "unlisted": unlisted,
        "collection": str(collection.pk),
        "added_after": [format_timestamp(us) for us in points],
        "partner_identity": "identity--5c9a7a1e-2f43-4e57-9d1c-0b8a6f4e3d21",
        "post_from": 10_000_000,
    }


def prepare_main() -> None:
    """The set-up process: a JSON request on stdin, the spec as one JSON line on stdout."""
    request = json.loads(sys.stdin.read())
    from accord.cli.main import setup_django

    setup_django(request["data_dir"])
    spec = prepare(Path(request["data_dir"]), records=int(request["records"]))
    sys.stdout.write(json.dumps(spec) + "\n")


def default_workers() -> int:
    """Server processes for the node: one per CPU, at most 4 (``accord serve --workers``)."""
    return max(1, min(4, os.cpu_count() or 1))


def _cpu_seconds(pid: int) -> float:
    """CPU time (user and system) of process ``pid`` and its children so far."""
    import psutil

    try:
        process = psutil.Process(pid)
        total = sum(process.cpu_times()[:2])
        for child in process.children(recursive=True):
            try:
                total += sum(child.cpu_times()[:2])
            except psutil.Error:
                continue
    except psutil.Error:
        return 0.0
    return float(total)


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _prepare_node(
    root: Path, data_dir: Path, env: dict[str, str], records: int
) -> tuple[dict[str, Any], float]:
    """Set up the node on ``data_dir`` in a process of its own (:func:`prepare_main`); the
    simulated users' spec, also written to ``root/users.json`` (passwords and tokens of this
    run's accounts: readable by this user only), and the seconds the set-up took."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _PREPARE], env=env, capture_output=True, text=True,
        input=json.dumps({"data_dir": str(data_dir), "records": records}), check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the node's set-up failed: {done.stderr[-2000:]}")
    spec: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    setup_seconds = time.monotonic() - started
    spec_file = root / "users.json"
    spec_file.touch(mode=0o600)
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    return spec, setup_seconds


@dataclass(frozen=True)
class _UsersRun:
    """One run of the simulated users: the load generator's figures, the wall-clock seconds,
    the CPU seconds of the node's processes and of the generator, and the load average before
    and after."""

    result: dict[str, Any]
    wall: float
    node_cpu: float
    generator_cpu: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]


def _run_users(
    root: Path,
    env: dict[str, str],
    url: str,
    server: subprocess.Popen[bytes],
    users: int,
    spawn_rate: float,
    seconds: float,
) -> _UsersRun:
    """Run the load generator (locust, :mod:`accord.cli.bench_load_users`) against ``url``
    with the spec in ``root/users.json``; its log goes to ``root/locust.log``."""
    load_before = os.getloadavg()
    node_cpu = _cpu_seconds(server.pid)
    generator_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    ran = time.monotonic()
    command = [sys.executable, "-m", "accord.cli.bench_load_users", "--spec",
               str(root / "users.json"), "--host", url, "--users", str(users), "--spawn-rate",
               str(spawn_rate), "--seconds", str(seconds)]  # fmt: skip
    with open(root / "locust.log", "wb") as locust_log:
        loaded = subprocess.run(
            command, env=env, stdout=subprocess.PIPE, stderr=locust_log, check=False,
            timeout=users / spawn_rate + seconds + 180,
        )  # fmt: skip
    wall = time.monotonic() - ran
    node_cpu = _cpu_seconds(server.pid) - node_cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    generator = (after.ru_utime - generator_cpu.ru_utime) + (
        after.ru_stime - generator_cpu.ru_stime
    )
    load_after = os.getloadavg()
    if loaded.returncode != 0:
        tail = (root / "locust.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the load generator failed: {tail}")
    result: dict[str, Any] = json.loads(loaded.stdout.decode().strip().splitlines()[-1])
    return _UsersRun(result, wall, node_cpu, generator, load_before, load_after)


def run_load_bench(
    *,
    users: int = 50,
    seconds: float = 60.0,
    spawn_rate: float = 10.0,
    records: int = DEFAULT_RECORDS,
    workers: int = 1,
    database_url: str = "",
    keep: bool = False,
    progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
) -> dict[str, Any]:
    """Set up a node, serve it, run the simulated users against it; the figures (see the
    module docstring)."""
    from accord.node.services import create_data_dir

    root = Path(tempfile.mkdtemp(prefix="accord-bench-load-"))
    data_dir = root / "node"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "DJANGO_"))}
    env.update(ACCORD_DATA_DIR=str(data_dir), ACCORD_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
    if "ACCORD_DATABASE_POOL_SIZE" in os.environ:  # a setting under test: the node gets it
        env["ACCORD_DATABASE_POOL_SIZE"] = os.environ["ACCORD_DATABASE_POOL_SIZE"]
    database = ""
    if database_url:
        from accord.cli.bench import postgres_url, run_on_postgres

        database = f"accord_bench_load_{secrets.token_hex(4)}"
        run_on_postgres(database_url, "CREATE DATABASE {}", database)
        env["ACCORD_DATABASE_URL"] = postgres_url(database_url, database)
    server: subprocess.Popen[bytes] | None = None
    try:
        create_data_dir(data_dir, "load-node", "NL", "Load benchmark node")
        progress(f"accord bench load: setting up a node with about {records:,} records ...")
        spec, setup_seconds = _prepare_node(root, data_dir, env, records)

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(root / "serve.log", "ab")  # noqa: SIM115 - closed with the server
        command = [sys.executable, "-m", "accord.cli.main", "serve", "--data-dir",
                   str(data_dir), "--port", str(port), "--workers", str(workers)]  # fmt: skip
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_until_answering(url + "/", server, timeout=90)
        progress(
            f"  {spec['records']:,} records ({setup_seconds:.0f} s); serving at {url} "
            f"({workers} server process{'es' if workers > 1 else ''}); "
            f"{users} users at {spawn_rate:g}/s, then {seconds:g} s measured ..."
        )
        load = _run_users(root, env, url, server, users, spawn_rate, seconds)
        result = load.result
        _stop(server)
        server_log = (root / "serve.log").read_text(errors="replace")
    finally:
        if server is not None:
            _stop(server)
        if keep:
            progress(f"  kept {root}" + (f" and database {database}" if database else ""))
        else:
            shutil.rmtree(root, ignore_errors=True)
            if database:
                from accord.cli.bench import run_on_postgres

                run_on_postgres(database_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", database)
    p99_max = max((r["p99_ms"] for r in result["routes"]), default=0.0)
    result.update(
        benchmark="load",
        database="postgresql" if database_url else "sqlite",
        records=spec["records"],
        spawn_rate=spawn_rate,
        workers=workers,
        p99_ms_max=p99_max,
        target_p99_ms=TARGET_P99_MS,
        ok=bool(result["routes"])
        and result["errors"] == 0
        and result["ramp"]["errors"] == 0
        and result["users_started"] == result["users"]
        and p99_max < TARGET_P99_MS,
        server_log_errors=sum(
            1 for line in server_log.splitlines() if " ERROR " in line or "Traceback" in line
        ),
        cpu_seconds={"node": round(load.node_cpu, 1), "generator": round(load.generator_cpu, 1)},
        node_cpu_ms_per_request=round(
            1000 * load.node_cpu / max(1, result["requests"] + result["ramp"]["requests"]), 1
        ),
        wall_seconds=round(load.wall, 1),
        cpus=os.cpu_count(),
        load_average={
            "before": round(load.load_before[0], 2),
            "after": round(load.load_after[0], 2),
        },
    )
    return result


def table(result: dict[str, Any]) -> str:
    head = f"{'route':<38} {'requests':>8} {'rps':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
    lines = [
        f"accord bench load: {result['users']} users for {result['seconds']:g} s against one "
        f"node ({result['database']}, {result['records']:,} records, {result['workers']} server "
        f"processes), load generator on the same machine; target: no errors, p99 under "
        f"{result['target_p99_ms']:g} ms per route",
        head + f"{'errors':>6}",
    ]
    for r in result["routes"]:
        lines.append(
            f"{r['route'][:38]:<38} {r['requests']:>8,} {r['rps']:>7.2f} {r['p50_ms']:>8.0f} "
            f"{r['p95_ms']:>8.0f} {r['p99_ms']:>8.0f} {r['errors']:>6}"
        )
    cpu = result["cpu_seconds"]
    lines.append(
        f"total: {result['requests']:,} requests, {result['rps']:g}/s, {result['errors']} "
        f"errors, p99 max {result['p99_ms_max']:g} ms: {'ok' if result['ok'] else 'NOT ok'}"
    )
    lines.append(
        f"CPU during the run ({result['wall_seconds']:g} s, {result['cpus']} CPUs): node "
        f"{cpu['node']:g} s ({result['node_cpu_ms_per_request']:g} ms a request), load "
        f"generator {cpu['generator']:g} s; load average "
        f"{result['load_average']['before']:g} before, {result['load_average']['after']:g} after"
    )
    if result["ramp"]["errors"] or result["users_started"] != result["users"]:
        lines.append(
            f"while users started: {result['users_started']} of {result['users']} started, "
            f"{result['ramp']['errors']} errors in {result['ramp']['requests']} requests"
        )
    for failure in result["failures"][:10]:
        lines.append(f"  {failure['occurrences']} x {failure['route']}: {failure['error']}")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """``accord bench load``: the arguments of ``accord bench``."""
    records = DEFAULT_RECORDS if args.records is None else args.records
    workers = default_workers() if args.workers is None else args.workers
    if min(args.users, workers) < 1 or args.seconds <= 0 or args.spawn_rate <= 0 or records < 100:
        print(
            "accord bench load: --users, --workers and --records (at least 100) are whole "
            "numbers, --seconds and --spawn-rate positive",
            file=sys.stderr,
        )
        return 2
    if args.database_url and urlsplit(args.database_url).scheme not in ("postgres", "postgresql"):
        print("accord bench load: --database-url takes postgres://user@host:port/", file=sys.stderr)
        return 2
    if importlib.util.find_spec("locust") is None:  # not imported here: it patches with gevent
        print("accord bench load: needs locust (requirements/dev.txt)", file=sys.stderr)
        return 2
    result = run_load_bench(
        users=args.users,
        seconds=args.seconds,
        spawn_rate=args.spawn_rate,
        records=records,
        workers=workers,
        database_url=args.database_url or "",
        keep=args.keep,
    )
    print(json.dumps(result) if args.json else table(result))
    return 0 if result["ok"] else 1
