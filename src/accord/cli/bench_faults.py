"""``accord bench faults [--records 2000] [--cases a,b] [--database-url URL] [--json] [--keep]``:
federation under faults, with real node processes on loopback.

Two nodes, A (NL) and B (DE), each other's peer, each served by ``accord serve`` with its task
worker (scheduled pulls off, so that a push converges by the push alone). A reaches B through a
small TCP proxy on loopback (:class:`accord.cli.fault_proxy.LoopbackProxy`) that the benchmark
can cut, make drop answers or replay requests; B reaches A directly. In every case A
originates fresh records (``--records`` of them) and queues them for B (``enqueue``, as a
disclosure does; A's worker pushes them), or B pulls them, and one fault is injected while
they travel. Processes are killed with SIGKILL (no clean shutdown) at a moment seen from
outside: a node "ingesting" holds its database's write lock (SQLite) or a RowExclusiveLock on
``intel_recordversion`` (PostgreSQL) after a signed request of the case reached it; a worker
"sending" has outbox items ``sending`` while B has seen one of its requests. A killed server is
started again at once, as a supervisor would; a killed worker is started again by its
``accord serve``. Per case, measured on B's database (and A's outbox):

- ``lost``: records of the case not on B once the case converged or gave up (120 s);
- ``duplicated``: versions (and, for the TAXII route, collection entries) stored more than once
  for one (id, modified);
- ``converge_s``: seconds from the end of the fault until B holds every record and A's
  outbox says every item delivered (for a pull: until B holds every record); null when it did
  not. The fault ends when a killed server answers again (the benchmark starts it at once, as
  a supervisor would; how long that took is ``detail.restart_s``), when a worker is killed
  (its ``accord serve`` starts the next one), when a killed pull is run again, when the link
  is restored, at the last dropped answer, or (replays) once the records are queued;
- ``ok``: nothing lost, nothing duplicated, converged within 30 s, no task left ``RUNNING`` by
  a dead worker and no item left ``sending``, and the audit trails of both nodes verify at the
  end (``accord audit verify``).

The cases (:data:`CASES`) cover push, pull and TAXII POST, with the receiver, the sender's
worker, the sender node or the puller killed, a partition, lost answers and replayed requests.
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
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from accord.cli.fault_nodes import FaultNode, NodeDatabase, until
from accord.cli.fault_proxy import LoopbackProxy
from accord.intel.factories import person_object
from accord.node.process import free_port

__all__ = ["CASES", "TARGET_SECONDS", "FaultBench", "main", "run_faults", "table"]

#: A case converges within this many seconds (the target); it is given up after GIVE_UP.
TARGET_SECONDS = 30.0
GIVE_UP = 120.0
PARTITION_SECONDS = 10.0

#: case -> the fault injected.
CASES: dict[str, str] = {
    "push-receiver-killed": "B killed (SIGKILL) while it ingests a pushed envelope; restarted",
    "push-sender-worker-killed": "A's worker killed (SIGKILL) while it sends; serve restarts it",
    "push-sender-node-killed": "A's server and worker killed (SIGKILL) while it sends; restarted",
    "push-partition": f"link A->B cut for {PARTITION_SECONDS:.0f} s while A pushes; restored",
    "push-answers-dropped": "B's answers to two envelopes lost on the way back (B stored them)",
    "push-replayed": "every request of the push replayed to B once more after its answer",
    "pull-puller-killed": "B's pull killed (SIGKILL) while it stores a page (push cut); rerun",
    "pull-server-killed": "A killed (SIGKILL) while it serves B's pull; restarted; B pulls again",
    "taxii-receiver-killed": "B killed (SIGKILL) while it ingests A's TAXII Add Objects POST",
}

_SETUP = r"""
import json, sys
from pathlib import Path
spec = json.loads(sys.stdin.read())
from accord.cli.main import setup_django
setup_django(spec["data_dir"])
from accord.node.bootstrap import bootstrap_node
from accord.node.datadir import read_node_config
data_dir = Path(spec["data_dir"])
bootstrap_node(data_dir, read_node_config(data_dir))
from accord.federation.services import add_peer
peer = add_peer(None, **spec["peer"])
if spec.get("collection"):
    from accord.taxii.services import create_collection, grant_access
    c = create_collection(None, title="Pushed by " + peer.node_id, description="",
                          alias=spec["collection"])
    grant_access(None, c, peer.user, can_read=True, can_write=True)
    print(json.dumps({"collection": str(c.pk)}))
else:
    print(json.dumps({}))
"""

_ENQUEUE = r"""
import json, sys
spec = json.loads(sys.stdin.read())
from accord.cli.main import setup_django
setup_django(None)
from accord.federation.models import Peer
from accord.federation.services import enqueue, update_peer
from accord.intel.factories import person_object
from accord.intel.models import Record
from accord.intel.services import ingest_objects
from accord.node.models import NodeIdentity
me = NodeIdentity.current()
peer = Peer.objects.get(node_id=spec["peer"])
if peer.inbox != spec["inbox"]:
    update_peer(None, peer, inbox=spec["inbox"])
first, count = spec["first"], spec["count"]
objects = [person_object(n, created_by_ref=me.identity_id) for n in range(first, first + count)]
if objects:
    report = ingest_objects(None, objects, source="accord bench faults", purpose="")
    assert report.ok, report.refused[:3]
    items = enqueue(Record.objects.filter(stix_id__in=[o["id"] for o in objects]), peer,
                    purpose="counter-terrorism", deliver_now=spec["now"])
    print(len(items))
"""

_PULL = r"""
import json, sys
from accord.cli.main import setup_django
setup_django(None)
from accord.federation.models import Peer
from accord.federation.pull import pull_from
peer = Peer.objects.get(node_id=sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
report = pull_from(peer, undelivered_only=True)
print(json.dumps(report.to_dict()))
"""

_DELIVER = r"""
from accord.cli.main import setup_django
setup_django(None)
from accord.federation.delivery import deliver_pending
deliver_pending(force=True)
"""


def _go(proc: subprocess.Popen[str]) -> subprocess.Popen[str]:
    """Tell a process waiting on its standard input (a puller) to go."""
    assert proc.stdin is not None
    proc.stdin.write("go\n")
    proc.stdin.close()
    proc.stdin = None  # communicate() only reads from now on
    return proc


def _report(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out = proc.communicate(timeout=GIVE_UP)[0].strip().splitlines()
    return dict(json.loads(out[-1])) if out and out[-1].startswith("{") else {}


class FaultBench:
    """Nodes A and B, the proxy between them, and the cases."""

    def __init__(
        self,
        root: Path,
        *,
        records: int,
        database_urls: tuple[str, str] = ("", ""),
        progress: Callable[[str], None] = lambda line: None,
    ) -> None:
        self.root, self.records, self.progress = root, records, progress
        self.nodes: list[FaultNode] = []
        for (letter, node_id, cc), url in zip(
            (("A", "node-a", "NL"), ("B", "node-b", "DE")), database_urls, strict=True
        ):
            data_dir = root / node_id
            env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "DJANGO_"))}
            env.update(
                ACCORD_DATA_DIR=str(data_dir),
                ACCORD_LOG_LEVEL="WARNING",
                ACCORD_PEER_PULL_INTERVAL="0",
                PYTHONUNBUFFERED="1",
            )
            if url:
                env["ACCORD_DATABASE_URL"] = url
            self.nodes.append(
                FaultNode(
                    letter, node_id, cc, data_dir, free_port(), env, NodeDatabase(data_dir, url)
                )
            )
        self.a, self.b = self.nodes
        self.proxy = LoopbackProxy(self.b.port)
        self.collection = ""
        self._next = 1_000_000
        #: Helper processes (pullers) not to leave behind.
        self.helpers: list[subprocess.Popen[str]] = []

    # -- set-up --------------------------------------------------------------------------------

    def set_up(self) -> None:
        from accord.node.services import create_data_dir, public_key_pem

        for node in self.nodes:
            create_data_dir(node.data_dir, node.node_id, node.jurisdiction, f"Faults {node.name}")
        specs = {
            "A": {"node_id": "node-b", "url": f"http://127.0.0.1:{self.proxy.port}/",
                  "jurisdiction": "DE", "public_key_pem": public_key_pem(self.b.data_dir)},
            "B": {"node_id": "node-a", "url": self.a.url, "jurisdiction": "NL",
                  "public_key_pem": public_key_pem(self.a.data_dir)},
        }  # fmt: skip
        self.progress("setting up nodes A (NL) and B (DE) ...")
        procs = []
        for node in self.nodes:
            spec = {"data_dir": str(node.data_dir), "peer": specs[node.name]}
            spec["collection"] = "from-a" if node is self.b else ""
            procs.append(node.python(_SETUP, stdin=json.dumps(spec)))
        for node, proc in zip(self.nodes, procs, strict=True):
            out, err = proc.communicate(timeout=600)
            if proc.returncode != 0:
                raise RuntimeError(f"set-up of {node.node_id} failed: {err[-1500:]}")
            if node is self.b:
                self.collection = json.loads(out.strip().splitlines()[-1])["collection"]
        for node in self.nodes:
            node.start()

    def close(self) -> None:
        for proc in self.helpers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.proxy.close()
        for node in self.nodes:
            node.stop()

    # -- helpers -------------------------------------------------------------------------------

    def _batch(self) -> tuple[int, list[str]]:
        first = self._next
        self._next += self.records
        ids = [person_object(n)["id"] for n in range(first, first + self.records)]
        return first, ids

    def _enqueue(self, first: int, *, now: bool = True, inbox: str = "") -> None:
        spec = {"peer": "node-b", "first": first, "count": self.records, "now": now,
                "inbox": inbox}  # fmt: skip
        self.a.run_python(_ENQUEUE, stdin=json.dumps(spec))

    def _pushed(self, ids: list[str]) -> bool:
        return self.b.db.present(ids) == len(ids) and self.a.db.outbox(ids) == {
            "delivered": len(ids)
        }

    def _settle(self, ids: list[str]) -> None:
        """After a pull case: let A's pushes of the case's items settle (not measured)."""
        if until(lambda: self._pushed(ids), 5, interval=0.2):
            return
        self.a.run_python(_DELIVER)
        until(lambda: self._pushed(ids), 60, interval=0.5)

    def _result(
        self,
        case: str,
        ids: list[str],
        converge_s: float | None,
        detail: dict[str, Any],
        started: float,
    ) -> dict[str, Any]:
        present = self.b.db.present(ids)
        duplicated = self.b.db.duplicated(ids)
        sending = self.a.db.outbox(ids).get("sending", 0)
        stuck = self.a.db.stuck_tasks(started) + self.b.db.stuck_tasks(started)
        detail.update(sending_left=sending, stuck_tasks=stuck)
        return {
            "case": case,
            "records": len(ids),
            "lost": len(ids) - present,
            "duplicated": duplicated,
            "converge_s": converge_s,
            "ok": bool(
                present == len(ids)
                and duplicated == 0
                and converge_s is not None
                and converge_s < TARGET_SECONDS
                and not sending
                and not stuck
            ),
            "fault": CASES[case],
            "detail": detail,
        }

    def _converge(
        self, check: Callable[[], bool], fault_end: float, timeout: float = GIVE_UP
    ) -> float | None:
        """Seconds from ``fault_end`` until ``check()`` held (polled up to ``timeout``), or
        None when it did not."""
        if until(check, timeout, interval=0.1) is None and not check():
            return None
        return round(time.monotonic() - fault_end, 1)

    def _wait_for_stuck_tasks(self, started: float) -> None:
        """Recovery of a dead worker's tasks runs when the new worker starts (or on its next
        tick): give it a few seconds after convergence before counting what is left."""
        until(
            lambda: not (self.a.db.stuck_tasks(started) or self.b.db.stuck_tasks(started)),
            15,
            interval=0.5,
        )

    # -- cases ---------------------------------------------------------------------------------

    def run_case(self, case: str) -> dict[str, Any]:
        started_wall = time.time()
        first, ids = self._batch()
        detail: dict[str, Any] = {}
        runner = getattr(self, "_" + case.replace("-", "_"))
        converge_s = runner(first, ids, detail)
        if converge_s is not None:
            self._wait_for_stuck_tasks(started_wall)
        return self._result(case, ids, converge_s, detail, started_wall)

    def _kill_receiver_mid_ingest(self, first: int, ids: list[str], detail: dict[str, Any],
                                  inbox: str = "") -> float | None:  # fmt: skip
        base = self.b.db.nonces("node-a")
        self._enqueue(first, inbox=inbox)
        hit = until(lambda: self.b.db.nonces("node-a") > base and self.b.db.ingesting(), 60)
        detail["killed_while_ingesting"] = bool(hit)
        detail["stored_before_kill"] = self.b.db.present(ids)
        self.b.kill()
        detail["restart_s"] = self.b.start()
        fault_end = time.monotonic()  # B answers again (as a supervisor restarts it)
        converged = self._converge(lambda: self._pushed(ids), fault_end)
        return converged

    def _push_receiver_killed(self, first: int, ids: list[str], detail: dict[str, Any]
                              ) -> float | None:  # fmt: skip
        return self._kill_receiver_mid_ingest(first, ids, detail)

    def _taxii_receiver_killed(self, first: int, ids: list[str], detail: dict[str, Any]
                               ) -> float | None:  # fmt: skip
        try:
            return self._kill_receiver_mid_ingest(first, ids, detail, inbox=self.collection)
        finally:
            self._reset_inbox()

    def _reset_inbox(self) -> None:
        spec = {"peer": "node-b", "first": 0, "count": 0, "now": False, "inbox": ""}
        self.a.run_python(_ENQUEUE, stdin=json.dumps(spec))

    def _sending(self, ids: list[str], base: int) -> bool:
        return bool(self.a.db.outbox(ids).get("sending", 0) and self.b.db.nonces("node-a") > base)

    def _push_sender_worker_killed(self, first: int, ids: list[str], detail: dict[str, Any]
                                   ) -> float | None:  # fmt: skip
        base = self.b.db.nonces("node-a")
        self._enqueue(first)
        detail["killed_while_sending"] = bool(until(lambda: self._sending(ids, base), 60))
        detail["killed_worker"] = self.a.kill_worker()
        fault_end = time.monotonic()
        converged = self._converge(lambda: self._pushed(ids), fault_end)
        detail["worker_restarted"] = bool(self.a.children())
        return converged

    def _push_sender_node_killed(self, first: int, ids: list[str], detail: dict[str, Any]
                                 ) -> float | None:  # fmt: skip
        base = self.b.db.nonces("node-a")
        self._enqueue(first)
        detail["killed_while_sending"] = bool(until(lambda: self._sending(ids, base), 60))
        self.a.kill()
        detail["left_sending"] = self.a.db.outbox(ids).get("sending", 0)
        detail["restart_s"] = self.a.start()
        fault_end = time.monotonic()  # A answers again; its new worker takes back the claims
        converged = self._converge(lambda: self._pushed(ids), fault_end)
        return converged

    def _push_partition(self, first: int, ids: list[str], detail: dict[str, Any]
                        ) -> float | None:  # fmt: skip
        self.proxy.cut()
        self._enqueue(first)
        time.sleep(PARTITION_SECONDS)
        detail["failed_during_partition"] = self.a.db.outbox(ids).get("failed", 0)
        self.proxy.open()
        fault_end = time.monotonic()
        converged = self._converge(lambda: self._pushed(ids), fault_end)
        return converged

    def _push_answers_dropped(self, first: int, ids: list[str], detail: dict[str, Any]
                              ) -> float | None:  # fmt: skip
        self.proxy.drop_answers(2)
        self._enqueue(first)
        until(lambda: self.proxy.pending[0] == 0, 60, interval=0.01)
        fault_end = time.monotonic()
        detail["answers_dropped"] = self.proxy.dropped
        detail["stored_with_answer_lost"] = self.b.db.present(ids)
        self.proxy.drop_answers(0)
        converged = self._converge(lambda: self._pushed(ids), fault_end)
        return converged

    def _push_replayed(self, first: int, ids: list[str], detail: dict[str, Any]
                       ) -> float | None:  # fmt: skip
        self.proxy.replay_answers.clear()
        self.proxy.replay(1000)
        self._enqueue(first)
        fault_end = time.monotonic()  # queued: the push and its replays follow
        converged = self._converge(lambda: self._pushed(ids), fault_end)
        time.sleep(1.0)  # the replays go out once the sender closes its connection
        self.proxy.replay(0)
        until(lambda: self.proxy.replay_answers, 15, interval=0.1)
        answers_ = list(self.proxy.replay_answers)
        refused = sum(1 for r in answers_ if r.status == 401 and "replayed" in r.text)
        detail.update(replays=len(answers_), refused_as_replayed=refused)
        detail["replays_accepted"] = sum(1 for r in answers_ if 200 <= r.status < 300)
        if not answers_ or refused != len(answers_):
            converged = None
            detail["error"] = f"replays answered {[r.status for r in answers_]}"
        return converged

    def _puller(self) -> subprocess.Popen[str]:
        """A process ready to run B's catch-up pull from A (as the schedule's: what A's pushes
        have not delivered) once told to (:func:`_go`): started, and Django set up, ahead of
        time, as the worker that runs the scheduled pull is."""
        proc = self.b.python(_PULL, "node-a", stdin=None)
        self.helpers.append(proc)
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"B's pull process did not start: {proc.communicate()[1][-500:]}")
        return proc

    @contextmanager
    def _pull_started(
        self, first: int, ids: list[str]
    ) -> Iterator[tuple[subprocess.Popen[str], subprocess.Popen[str], int]]:
        """A pull case: with the pushes cut, B's first pull from A started, and a second one
        ready (the first, the second, A's count of B's requests before them); the pushes are
        let through and settle afterwards."""
        self.proxy.cut()
        try:
            self._enqueue(first)
            base = self.a.db.nonces("node-b")
            puller, again = self._puller(), self._puller()
            _go(puller)
            yield puller, again, base
        finally:
            self.proxy.open()
        self._settle(ids)

    def _pull_again(self, again: subprocess.Popen[str], ids: list[str], detail: dict[str, Any],
                    fault_end: float) -> float | None:  # fmt: skip
        """B's second pull, run once the fault is over: the seconds from ``fault_end`` until B
        holds every record."""
        second = _report(_go(again))
        detail["second_pull"] = {k: second.get(k) for k in ("pages", "stored", "error")}
        return self._converge(lambda: self.b.db.present(ids) == len(ids), fault_end, 0)

    def _pull_puller_killed(self, first: int, ids: list[str], detail: dict[str, Any]
                            ) -> float | None:  # fmt: skip
        with self._pull_started(first, ids) as (puller, again, base):
            hit = until(lambda: self.a.db.nonces("node-b") > base and self.b.db.ingesting(), 60)
            detail["killed_while_ingesting"] = bool(hit)
            puller.kill()
            puller.communicate()
            fault_end = time.monotonic()  # B pulls again at once
            detail["stored_before_kill"] = self.b.db.present(ids)
            return self._pull_again(again, ids, detail, fault_end)

    def _pull_server_killed(self, first: int, ids: list[str], detail: dict[str, Any]
                            ) -> float | None:  # fmt: skip
        with self._pull_started(first, ids) as (puller, again, base):
            hit = until(lambda: self.a.db.nonces("node-b") > base, 60)
            detail["killed_while_serving"] = bool(hit)
            self.a.kill()
            detail["first_pull_error"] = str(_report(puller).get("error", ""))[:200]
            detail["restart_s"] = self.a.start()
            fault_end = time.monotonic()  # A answers again: B pulls again
            return self._pull_again(again, ids, detail, fault_end)

    def verify_audit(self) -> dict[str, bool]:
        out = {}
        for node in self.nodes:
            done = subprocess.run(
                [sys.executable, "-m", "accord.cli.main", "audit", "verify", "--data-dir",
                 str(node.data_dir), "--json"],
                env=node.env, capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
            out[node.node_id] = done.returncode == 0
        return out


def run_faults(
    *,
    records: int = 2000,
    cases: list[str] | None = None,
    database_url: str = "",
    keep: bool = False,
    progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
) -> list[dict[str, Any]]:
    """Set up A and B, run ``cases`` (all by default) with ``records`` records each, stop both;
    one result per case (see the module docstring). ``database_url``: a PostgreSQL server on
    which each node gets a fresh database, dropped afterwards unless ``keep``."""
    chosen = list(cases or CASES)
    root = Path(tempfile.mkdtemp(prefix="accord-bench-faults-"))
    databases: list[str] = []
    urls = ("", "")
    if database_url:
        from accord.cli.bench import postgres_url, run_on_postgres

        tag = secrets.token_hex(4)
        databases = [f"accord_faults_a_{tag}", f"accord_faults_b_{tag}"]
        for name in databases:
            run_on_postgres(database_url, "CREATE DATABASE {}", name)
        urls = (
            postgres_url(database_url, databases[0]),
            postgres_url(database_url, databases[1]),
        )
    bench = FaultBench(root, records=records, database_urls=urls, progress=progress)
    results: list[dict[str, Any]] = []
    try:
        bench.set_up()
        for case in chosen:
            progress(f"case {case}: {CASES[case]} ({records:,} records) ...")
            result = bench.run_case(case)
            progress(
                f"  lost {result['lost']}, duplicated {result['duplicated']}, converged in "
                f"{result['converge_s']} s, {'ok' if result['ok'] else 'NOT ok'}"
            )
            results.append(result)
        audit = bench.verify_audit()
        for result in results:
            result["detail"]["audit_verified"] = audit
            result["ok"] = result["ok"] and all(audit.values())
    finally:
        bench.close()
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
            if database_url:
                from accord.cli.bench import run_on_postgres

                for name in databases:
                    run_on_postgres(database_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
        else:
            progress(f"kept {root}")
    return results


def table(results: list[dict[str, Any]], *, database: str = "SQLite") -> str:
    head = f"{'case':<26} {'records':>8} {'lost':>6} {'duplicated':>11} {'converge s':>11}  ok"
    lines = [
        f"accord bench faults: nodes A and B on loopback ({database}); targets: lost 0, "
        f"duplicated 0, converged within {TARGET_SECONDS:.0f} s",
        head,
    ]
    for r in results:
        converge = "did not" if r["converge_s"] is None else f"{r['converge_s']:.1f}"
        lines.append(
            f"{r['case']:<26} {r['records']:>8,} {r['lost']:>6} {r['duplicated']:>11} "
            f"{converge:>11}  {'yes' if r['ok'] else 'NO'}"
        )
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """``accord bench faults``: the arguments of ``accord bench``."""
    cases = [c.strip() for c in (args.cases or "").split(",") if c.strip()]
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        print(
            f"accord bench faults: no case {', '.join(unknown)}; choose from {', '.join(CASES)}",
            file=sys.stderr,
        )
        return 2
    if args.records < 1:
        print("accord bench faults: --records must be at least 1", file=sys.stderr)
        return 2
    results = run_faults(
        records=args.records,
        cases=cases or None,
        database_url=args.database_url or "",
        keep=args.keep,
    )
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(json.dumps(results) if args.json else table(results, database=database))
    return 0 if all(r["ok"] for r in results) else 1
