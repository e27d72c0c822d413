"""``accord serve --data-dir DIR [--host 127.0.0.1] [--port 8000] [--workers N] [--no-worker]``.

Runs the node's ASGI application under uvicorn and, unless ``--no-worker``, the django-tasks
database worker as a child process (so that imports run in the background). ``--workers N``
(default ``ACCORD_WEB_WORKERS``, else 1) serves with N uvicorn processes sharing the port:
Django runs a process's requests under one interpreter lock, so one process uses at most one
core; each process holds its own copy of the screening watchlist. The server processes exit
with ``accord serve``, however it ends (:func:`accord.node.process.exit_with_parent`). The worker is
stopped when the server stops (SIGINT or SIGTERM), and stops itself if the server dies. A
worker that dies (killed, crashed) is started again at once, then after 2, 4 ... up to 60
seconds while it keeps dying within a minute of its start; the new worker takes back at once
what the dead one held (outbox items it was sending, tasks it was running:
:func:`accord.federation.workers.recover`).

Before it serves, it brings the database up to this release (:mod:`accord.node.upgrade`: a node
made before the apps were renamed gets their new labels, then pending migrations are applied),
as ``accord upgrade`` does; the worker checks the same when it starts.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from accord.cli.main import add_data_dir
from accord.node.process import exit_reason

__all__ = ["WorkerSupervisor", "add_arguments", "run", "upgrade_on_start", "worker_main"]

WORKER_CODE = "from accord.cli.serve import worker_main; worker_main()"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("ACCORD_WEB_WORKERS", "1") or 1),
        help="server processes (default ACCORD_WEB_WORKERS, else 1; up to the number of cores)",
    )
    parser.add_argument(
        "--no-worker", action="store_true", help="do not start the background task worker"
    )


def _watch_parent(parent: int) -> None:
    """Exit when the process that started us is gone (no orphaned workers)."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def upgrade_on_start(data_dir: Path | str, who: str) -> bool:
    """Start Django on ``data_dir`` and bring its database up to this release
    (:func:`accord.node.upgrade.upgrade_database`). False, with the reason on stderr, when the
    database cannot be brought forward."""
    from accord.cli.main import setup_django

    setup_django(data_dir)
    from django.db import connections

    from accord.node.upgrade import UpgradeError, upgrade_database

    try:
        report = upgrade_database()
    except UpgradeError as exc:
        print(f"{who}: {exc}", file=sys.stderr, flush=True)
        return False
    finally:
        connections.close_all()
    if report.moved:
        print(
            f"{who}: the database was moved to the apps' new labels "
            f"({len(report.tables)} tables renamed)",
            file=sys.stderr,
            flush=True,
        )
    if report.migrations:
        print(f"{who}: applied {len(report.migrations)} migrations", file=sys.stderr, flush=True)
    return True


def worker_main() -> None:
    """Entry point of the worker child: the django-tasks database worker on this data dir."""
    parent = int(os.environ.get("ACCORD_WORKER_PARENT", "0") or 0)
    if parent:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    # Under accord serve a no-op (it upgraded before starting this worker); a worker started
    # apart upgrades the database itself, or stops.
    if not upgrade_on_start(os.environ["ACCORD_DATA_DIR"], "accord worker"):
        sys.exit(2)
    from django.core.management import call_command

    from accord.federation import workers

    # The worker's identity (host, pid, start time) goes on every task it runs and every outbox
    # item it claims, so that its successor knows at once that they are orphaned.
    worker_id = workers.process_id()
    workers.register_worker(worker_id)
    recovered = workers.recover()  # what a worker that died (the one this replaces) held
    if recovered.items or recovered.tasks_failed:
        print(
            f"accord worker: took back {recovered.items} outbox item(s) and "
            f"{recovered.tasks_failed} task(s) ({recovered.tasks_retried} queued again) of "
            f"{', '.join(recovered.dead)}",
            file=sys.stderr,
            flush=True,
        )
    from functools import partial

    from accord.node.schedule import ScheduleRunner

    # The schedule every app registered (accord tasks list): outbox deliveries when items are
    # due (what the dead worker was sending leaves at once), feed pulls, catch-up pulls,
    # retention, notices; the runner beats this worker's heartbeat (docs/operations.md).
    ScheduleRunner(heartbeat=partial(workers.beat, worker_id), worker_id=worker_id).start()

    # A short poll: a queued delivery to a peer leaves within ~0.1 s (share-to-available
    # latency, `accord bench federation`); an idle poll of the task table costs next to nothing.
    try:
        call_command(
            "db_worker", interval=0.1, no_startup_delay=True, verbosity=0, worker_id=worker_id
        )
    finally:
        workers.unregister_worker(worker_id)


def start_worker(data_dir: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["ACCORD_DATA_DIR"] = str(data_dir)
    env["ACCORD_WORKER_PARENT"] = str(os.getpid())
    env.pop("ACCORD_TASKS_BACKEND", None)  # the worker serves the database queue
    return subprocess.Popen([sys.executable, "-c", WORKER_CODE], env=env)


def stop_worker(worker: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if worker.poll() is not None:
        return
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


class WorkerSupervisor:
    """Keeps one worker child running: started again when it dies (at once; after 2, 4 ...
    ``MAX_DELAY`` seconds while it keeps dying within ``STEADY`` seconds of its start), stopped
    with the server."""

    MAX_DELAY = 60.0
    STEADY = 60.0

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.worker: subprocess.Popen[bytes] | None = start_worker(data_dir)
        self._thread = threading.Thread(target=self._watch, name="accord-worker-watch", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        quick = 0  # deaths in a row, each within STEADY seconds of its start
        while not self._stopping.is_set():
            worker = self.worker
            assert worker is not None
            started = time.monotonic()
            code = worker.wait()
            if self._stopping.is_set():
                return
            lived = time.monotonic() - started
            quick = 0 if lived >= self.STEADY else quick + 1
            delay = 0.0 if quick <= 1 else min(self.MAX_DELAY, 2.0 ** (quick - 1))
            print(
                f"accord serve: the worker (pid {worker.pid}) stopped ({exit_reason(code)}) after "
                f"{lived:.0f} s; starting a new one"
                + (f" in {delay:.0f} s" if delay else "")
                + " (it takes back what the old one held)",
                file=sys.stderr,
                flush=True,
            )
            if self._stopping.wait(delay):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self.worker = start_worker(self.data_dir)
                self.restarts += 1

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
            worker = self.worker
        if worker is not None:
            stop_worker(worker)


def run(args: argparse.Namespace) -> int:
    from accord.node.datadir import data_dir_from_env, read_node_config

    data_dir = data_dir_from_env(args.data_dir)
    config = read_node_config(data_dir)
    if config is None:
        print(
            f"accord serve: {data_dir} holds no node (no node.json); run accord init first",
            file=sys.stderr,
        )
        return 2
    if args.workers < 1:
        print("accord serve: --workers must be at least 1", file=sys.stderr)
        return 2
    os.environ["ACCORD_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get(
        "ACCORD_SETTINGS_MODULE", "accord.node.settings"
    )
    if args.workers > 1:  # the server processes exit with this one (accord.node.asgi)
        os.environ["ACCORD_SERVE_PID"] = str(os.getpid())
    if not upgrade_on_start(data_dir, "accord serve"):
        return 2

    import uvicorn

    worker = None if args.no_worker else WorkerSupervisor(data_dir)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Accord node {config.node_id} ({config.jurisdiction}) at http://{host}:{args.port}/")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            "Listening beyond loopback: set ACCORD_ALLOWED_HOSTS and put TLS in front "
            "(ACCORD_TLS=1).",
            file=sys.stderr,
        )
    sys.stdout.flush()
    try:
        uvicorn.run(
            "accord.node.asgi:application",
            host=args.host,
            port=args.port,
            proxy_headers=False,
            server_header=False,
            log_level="warning",
            lifespan="off",
            workers=args.workers,
        )
    finally:
        if worker is not None:
            worker.stop()
    return 0
