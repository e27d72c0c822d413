"""``accord bench federation [--json]``: two live nodes on loopback, A (NL) and B (DE).

Both are set up as the demo federation's A and B (keys exchanged, each other's peer, the demo
agreements) and served with ``accord serve`` (with its worker). A bench process on A's data
directory then measures, with B's API as the judge of "available":

- **latency, worker path** (``latency_p50_ms``/``latency_p99_ms``): ``--shares`` single-object
  shares, one after another: ``enqueue(record, B)`` (the disclosure, with ``deliver_now``, which
  queues a delivery task after the commit) until B's ``GET /api/records/{id}`` answers 200,
  polled every 10 ms. The task is run by A's worker (``db_worker``, which polls its queue every
  0.5 s), so this path carries the worker's polling delay;
- **latency, immediate** (``direct_latency_*``): the same, with the delivery pass run at once in
  the enqueuing process (``deliver_pending(peer=B)`` right after the commit), that is what an
  enqueue that triggers delivery itself would give;
- **throughput** (``objects_per_s``): ``--objects`` objects enqueued at once and pushed through
  the outbox in signed envelopes of ``ENVELOPE_SIZE`` (``deliver_pending``, which signs the next
  envelope while the previous one is in flight), from the first envelope until the
  last object is confirmed by B (``enqueue_objects_per_s`` and ``end_to_end_objects_per_s``
  include the enqueue).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from accord.cli.demo_federation.nodes import (
    NODES,
    FederationNode,
    free_port_block,
    node_env,
    set_up_nodes,
    start_servers,
    stop_servers,
)

__all__ = ["TARGETS", "bench_main", "run_bench", "table"]

TARGETS = {"latency_p50_ms": 200.0, "latency_p99_ms": 1000.0, "objects_per_s": 2000.0}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(ordered[k], 1)


def bench_main() -> None:
    """The bench process on A's data directory: a JSON spec on stdin, a JSON line out."""
    spec = json.loads(sys.stdin.read())
    from accord.cli.main import setup_django

    setup_django(None)
    import httpx

    from accord.federation.delivery import ENVELOPE_SIZE, deliver_pending
    from accord.federation.models import OutboxItem, Peer
    from accord.federation.services import enqueue
    from accord.intel.factories import person_object
    from accord.intel.models import Record
    from accord.intel.services import ingest_objects
    from accord.node.models import NodeIdentity

    me = NodeIdentity.current()
    assert me is not None
    peer = Peer.objects.get(node_id=spec["peer"])
    shares, count = spec["shares"], spec["objects"]
    objects = [
        person_object(n, created_by_ref=me.identity_id) for n in range(1, 2 * shares + count + 1)
    ]
    report = ingest_objects(None, objects, source="accord bench federation", purpose="")
    if not report.ok:
        raise RuntimeError(f"bench objects refused: {report.refused[:3]}")
    ids = [o["id"] for o in objects]
    http = httpx.Client(
        base_url=spec["peer_url"],
        timeout=10.0,
        trust_env=False,
        headers={
            "Authorization": f"Bearer {spec['peer_token']}",
            "X-Accord-Purpose": "counter-terrorism",
        },
    )

    def wait_on_peer(stix_id: str, start: float) -> float:
        deadline = start + 30.0
        while time.perf_counter() < deadline:
            if http.get(f"/api/records/{stix_id}").status_code == 200:
                return (time.perf_counter() - start) * 1000
            time.sleep(0.01)
        raise RuntimeError(f"{stix_id} did not reach {peer.node_id} within 30 s")

    def share_one(stix_id: str, direct: bool) -> float:
        record = Record.objects.get(stix_id=stix_id)
        start = time.perf_counter()
        enqueue([record], peer, purpose="counter-terrorism", deliver_now=not direct)
        if direct:
            deliver_pending(peer=peer)
        return wait_on_peer(stix_id, start)

    sys.stderr.write(f"  latency: {shares} single-object shares through A's worker ...\n")
    worker = [share_one(i, direct=False) for i in ids[:shares]]
    sys.stderr.write(f"  latency: {shares} single-object shares delivered at once ...\n")
    direct = [share_one(i, direct=True) for i in ids[shares : 2 * shares]]
    bulk_ids = ids[2 * shares :]
    sys.stderr.write(f"  throughput: {count} objects through the outbox ...\n")
    t0 = time.perf_counter()
    enqueue(Record.objects.filter(stix_id__in=bulk_ids), peer, deliver_now=False)
    t1 = time.perf_counter()
    pending = OutboxItem.objects.filter(peer=peer, stix_id__in=bulk_ids).exclude(
        status=OutboxItem.Status.DELIVERED
    )
    deadline = t1 + 600
    while pending.exists() and time.perf_counter() < deadline:
        deliver_pending(peer=peer, force=True)
    t2 = time.perf_counter()
    delivered = OutboxItem.objects.filter(
        peer=peer, stix_id__in=bulk_ids, status=OutboxItem.Status.DELIVERED
    ).count()
    # B confirmed each envelope with its 202 status; check a sample is readable on B too.
    for stix_id in bulk_ids[:: max(1, count // 20)]:
        if http.get(f"/api/records/{stix_id}").status_code != 200:
            raise RuntimeError(f"{stix_id} confirmed but not readable on {peer.node_id}")
    http.close()
    result = {
        "benchmark": "federation",
        "database": "sqlite",
        "shares": shares,
        "latency_p50_ms": _percentile(worker, 50),
        "latency_p99_ms": _percentile(worker, 99),
        "latency_mean_ms": round(statistics.fmean(worker), 1),
        "latency_max_ms": round(max(worker), 1),
        "direct_latency_p50_ms": _percentile(direct, 50),
        "direct_latency_p99_ms": _percentile(direct, 99),
        "direct_latency_max_ms": round(max(direct), 1),
        "objects": count,
        "delivered": delivered,
        "envelope_size": ENVELOPE_SIZE,
        "enqueue_seconds": round(t1 - t0, 3),
        "deliver_seconds": round(t2 - t1, 3),
        "objects_per_s": round(delivered / (t2 - t1)) if t2 > t1 else 0,
        "enqueue_objects_per_s": round(count / (t1 - t0)) if t1 > t0 else 0,
        "end_to_end_objects_per_s": round(delivered / (t2 - t0)) if t2 > t0 else 0,
    }
    print(json.dumps(result), flush=True)


def run_bench(*, shares: int = 100, objects: int = 5000, keep: bool = False) -> dict[str, Any]:
    """Set up and serve A and B, run the bench process on A, stop both; the result."""
    root = Path(tempfile.mkdtemp(prefix="accord-bench-federation-"))
    nodes: list[FederationNode] = []
    try:
        first = free_port_block(2)
        with contextlib.redirect_stdout(sys.stderr):  # stdout is for the result (--json)
            nodes = set_up_nodes(root, persons=0, seed=1, first_port=first, specs=NODES[:2])
            start_servers(nodes)
        a, b = nodes
        spec = {
            "peer": b.spec.node_id,
            "peer_url": b.url,
            "peer_token": b.tokens["analyst"],
            "shares": shares,
            "objects": objects,
        }
        code = "from accord.cli.demo_federation.bench import bench_main; bench_main()"
        env = node_env(a.data_dir)
        env["ACCORD_LOG_LEVEL"] = "WARNING"
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            input=json.dumps(spec),
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the bench process failed ({done.returncode})")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        result["targets"] = TARGETS
        result["met"] = {
            "latency_p50_ms": result["latency_p50_ms"] <= TARGETS["latency_p50_ms"],
            "latency_p99_ms": result["latency_p99_ms"] <= TARGETS["latency_p99_ms"],
            "objects_per_s": result["objects_per_s"] >= TARGETS["objects_per_s"],
        }
        return result
    finally:
        stop_servers(nodes)
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def table(result: dict[str, Any]) -> str:
    """A short human-readable report."""
    met = result["met"]

    def mark(key: str) -> str:
        return "met" if met[key] else "NOT met"

    return "\n".join(
        [
            f"accord bench federation: two nodes on loopback (SQLite), {result['shares']} "
            f"single-object shares, {result['objects']:,} objects in envelopes of "
            f"{result['envelope_size']}",
            f"  share -> available on B, through A's worker: p50 {result['latency_p50_ms']} ms "
            f"({mark('latency_p50_ms')}, target <= 200), p99 {result['latency_p99_ms']} ms "
            f"({mark('latency_p99_ms')}, target <= 1000), max {result['latency_max_ms']} ms",
            f"  share -> available on B, delivered at once: p50 "
            f"{result['direct_latency_p50_ms']} ms, p99 {result['direct_latency_p99_ms']} ms",
            f"  throughput A -> B: {result['objects_per_s']:,} objects/s "
            f"({mark('objects_per_s')}, target >= 2,000); enqueue "
            f"{result['enqueue_objects_per_s']:,}/s; end to end "
            f"{result['end_to_end_objects_per_s']:,}/s",
        ]
    )
