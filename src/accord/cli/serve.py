"""``accord serve --data-dir DIR [--host 127.0.0.1] [--port 8000] [--no-worker]``.

Runs the node's ASGI application under uvicorn and, unless ``--no-worker``, the django-tasks
database worker as a child process (so that imports run in the background). The worker is
stopped when the server stops (SIGINT or SIGTERM), and stops itself if the server dies.
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

__all__ = ["add_arguments", "run", "worker_main"]

WORKER_CODE = "from accord.cli.serve import worker_main; worker_main()"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    parser.add_argument(
        "--no-worker", action="store_true", help="do not start the background task worker"
    )


def _watch_parent(parent: int) -> None:
    """Exit when the process that started us is gone (no orphaned workers)."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def worker_main() -> None:
    """Entry point of the worker child: the django-tasks database worker on this data dir."""
    from accord.cli.main import setup_django

    parent = int(os.environ.get("ACCORD_WORKER_PARENT", "0") or 0)
    if parent:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    setup_django(os.environ["ACCORD_DATA_DIR"])
    from django.core.management import call_command

    from accord.federation.feeds.tasks import start_scheduler

    start_scheduler()  # queues scheduled feed pulls every minute (docs/taxii-client.md)
    from accord.federation.peers.tasks import start_scheduler as start_delivery

    start_delivery()  # queues outbox deliveries when items are due (docs/federation.md)

    # A short poll: a queued delivery to a peer leaves within ~0.1 s (share-to-available
    # latency, `accord bench federation`); an idle poll of the task table costs next to nothing.
    call_command("db_worker", interval=0.1, no_startup_delay=True, verbosity=0)


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
    os.environ["ACCORD_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get(
        "ACCORD_SETTINGS_MODULE", "accord.node.settings"
    )

    import uvicorn

    worker = None if args.no_worker else start_worker(data_dir)
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
        )
    finally:
        if worker is not None:
            stop_worker(worker)
    return 0
