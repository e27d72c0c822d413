"""The five demo nodes of BRIEF flows 1 and 2: their set-up (a child process per node), serving.

Set-up, in order:

1. the parent creates every data directory with ``create_data_dir`` (node.json and the Ed25519
   key pair, as ``accord init`` does), so that every public key is known before any node starts;
2. one child process per node (Django is set up once per process) migrates and bootstraps the
   node, adds one user per role with a generated password, API tokens for the analyst, the
   supervisor and the liaison officer, stores the shipped jurisdiction profiles (``accord
   profile load-defaults``), the demo agreements (``accord agreement load``), Accord's shared
   handling markings, switches the ``partner`` watchlist source on (flow 2 screens against
   received records), and registers the four other nodes as peers (``accord peer add`` with the
   key ``accord node pubkey`` prints); node A also imports the synthetic data set of the
   single-node demo;
3. ``accord serve`` (with its worker) per node, on consecutive ports; :func:`supervise` then
   watches them: a node that dies (killed, crashed) is reported and started again on its port
   and data directory, while the others keep serving; one that keeps dying is left stopped.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from accord.node.process import answers, exit_reason

__all__ = [
    "AGREEMENTS_FILE",
    "NODES",
    "FederationNode",
    "NodeSpec",
    "child_main",
    "free_port_block",
    "node_env",
    "set_up_nodes",
    "start_server",
    "start_servers",
    "stop_servers",
    "supervise",
]

AGREEMENTS_FILE = Path(__file__).with_name("agreements.json")
RESULT_PREFIX = "ACCORD-DEMO-RESULT "


@dataclass(frozen=True)
class NodeSpec:
    """One node of the demo federation."""

    letter: str
    node_id: str
    jurisdiction: str
    name: str
    agency: str
    role_in_flow: str


NODES: tuple[NodeSpec, ...] = (
    NodeSpec("A", "node-a", "NL", "Node A: NL counter-terrorism unit", "CT-NL", "originator"),
    NodeSpec("B", "node-b", "DE", "Node B: DE federal police", "BKA-DE", "full sharing"),
    NodeSpec("C", "node-c", "KE", "Node C: KE anti-terrorism police", "ATPU-KE", "hit/no-hit"),
    NodeSpec("D", "node-d", "BR", "Node D: BR federal police", "PF-BR", "no agreement"),
    NodeSpec("E", "node-e", "US", "Node E: US counter-terrorism", "CT-US", "approval+assurance"),
)


@dataclass
class FederationNode:
    """A set-up node: where it lives, where it answers, who can log in."""

    spec: NodeSpec
    data_dir: Path
    port: int
    identity_id: str = ""
    passwords: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    known_name: str = ""
    known_id: str = ""
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


def node_env(data_dir: Path) -> dict[str, str]:
    """A node process's environment: its own data directory, SQLite, the real task queue."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "DJANGO_"))}
    for name in ("ACCORD_SHARED_DATA", "ACCORD_LOG_LEVEL"):
        if name in os.environ:
            env[name] = os.environ[name]
    env["ACCORD_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def free_port_block(count: int, start: int | None = None) -> int:
    """The first port of ``count`` consecutive free loopback ports (from ``start`` if given)."""

    def free(port: int) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
            return True

    if start is not None and all(free(start + i) for i in range(count)):
        return start
    # Below the kernel's ephemeral range: the nodes bind their ports only after minutes of
    # set-up, and meanwhile any outgoing connection on the machine may be given a free port of
    # that range as its local end.
    low, _ = _ephemeral_range()
    for _ in range(200):
        first = random.randrange(10_000, max(10_001, low - count))
        if all(free(first + i) for i in range(count)):
            return first
    raise RuntimeError(f"no {count} consecutive free ports on 127.0.0.1")


def _ephemeral_range() -> tuple[int, int]:
    """The ports the kernel hands out for outgoing connections (Linux; else IANA's range)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 49152, 65535


# -- set-up ------------------------------------------------------------------------------------


def _child_spec(node: FederationNode, others: list[FederationNode], persons: int, seed: int) -> str:
    from accord.node.services import public_key_pem

    return json.dumps(
        {
            "data_dir": str(node.data_dir),
            "agency": node.spec.agency,
            "persons": persons,
            "seed": seed,
            "agreements": str(AGREEMENTS_FILE),
            "peers": [
                {
                    "node_id": o.spec.node_id,
                    "url": o.url,
                    "jurisdiction": o.spec.jurisdiction,
                    "name": o.spec.name,
                    "public_key_pem": public_key_pem(o.data_dir),
                }
                for o in others
            ],
        }
    )


def child_main() -> None:
    """Entry point of a node's set-up child: a JSON spec on stdin, one result line on stdout."""
    spec = json.loads(sys.stdin.read())
    data_dir = Path(spec["data_dir"])
    from accord.cli.demo import set_up

    demo = set_up(
        data_dir,
        persons=spec["persons"],
        seed=spec["seed"],
        agency=spec["agency"],
        un_list=spec["persons"] > 0,
    )
    from accord.accounts.models import User
    from accord.accounts.services import create_token
    from accord.agreement.services import load_default_profiles, save_agreement
    from accord.engine.stix.markings import handling_marking_definition
    from accord.engine.synth.federation import HANDLING_MARKINGS
    from accord.federation.services import add_peer
    from accord.intel.services import ingest_objects

    profiles = load_default_profiles(None)
    agreements = json.loads(Path(spec["agreements"]).read_text(encoding="utf-8"))
    stored = [save_agreement(None, item) for item in agreements]
    print(f"{profiles} jurisdiction profiles, {len(stored)} agreements stored", flush=True)
    if spec["persons"] < 1:
        report = ingest_objects(
            None,
            [handling_marking_definition(m) for m in HANDLING_MARKINGS],
            source="accord demo: Accord handling markings",
        )
        if not report.ok:
            raise RuntimeError(f"handling markings refused: {report.refused}")
    for peer in spec["peers"]:
        add_peer(None, **peer)
    print(f"peers: {', '.join(p['node_id'] for p in spec['peers'])}", flush=True)
    # Flow 2: partners' records are on the screening watchlist (the ``partner`` source, switched
    # on by the demo administrator, audited; docs/screening.md).
    from accord.screening.services import set_source_enabled

    set_source_enabled(User.objects.get(username="admin"), "partner", True)
    tokens = {"analyst": demo.token}
    for role in ("supervisor", "liaison"):
        tokens[role], _ = create_token(None, User.objects.get(username=role), name="demo")
    result = {
        "identity_id": demo.identity_id,
        "passwords": demo.passwords,
        "tokens": tokens,
        "counts": demo.counts,
        "known_name": demo.known_name,
        "known_id": demo.known_id,
    }
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def _spawn_child(node: FederationNode, spec: str) -> tuple[subprocess.Popen[str], threading.Thread]:
    code = "from accord.cli.demo_federation.nodes import child_main; child_main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        env=node_env(node.data_dir),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write(spec)
    proc.stdin.close()
    stdout = proc.stdout

    def pump() -> None:
        for line in stdout:
            line = line.rstrip("\r\n")
            if line.startswith(RESULT_PREFIX):
                result = json.loads(line[len(RESULT_PREFIX) :])
                node.identity_id = result["identity_id"]
                node.passwords = result["passwords"]
                node.tokens = result["tokens"]
                node.counts = result["counts"]
                node.known_name = result["known_name"]
                node.known_id = result["known_id"]
            elif line.strip():
                print(f"  [{node.spec.node_id}] {line}", flush=True)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return proc, thread


def set_up_nodes(
    root: Path,
    *,
    persons: int,
    seed: int,
    first_port: int,
    specs: tuple[NodeSpec, ...] = NODES,
) -> list[FederationNode]:
    """Create, configure and peer the nodes under ``root`` (A with ``persons`` persons)."""
    from accord.node.services import create_data_dir

    nodes = [
        FederationNode(spec=s, data_dir=root / s.node_id, port=first_port + i)
        for i, s in enumerate(specs)
    ]
    print(f"Creating {len(nodes)} nodes under {root} (keys, node.json) ...", flush=True)
    for node in nodes:
        create_data_dir(node.data_dir, node.spec.node_id, node.spec.jurisdiction, node.spec.name)
    # A (the big import) runs beside the others, which run one after another: two processes at
    # a time suit a small machine.
    child_specs = {
        n.spec.node_id: _child_spec(
            n, [o for o in nodes if o is not n], persons if n.spec.letter == "A" else 0, seed
        )
        for n in nodes
    }
    originator, *partners = nodes
    print(
        "Setting up the nodes (users, profiles, agreements, peers; synthetic data on A) ...",
        flush=True,
    )
    a_proc, a_pump = _spawn_child(originator, child_specs[originator.spec.node_id])
    failed: list[str] = []
    for node in partners:
        proc, pump = _spawn_child(node, child_specs[node.spec.node_id])
        if proc.wait() != 0:
            failed.append(node.spec.node_id)
        pump.join()
    if a_proc.wait() != 0:
        failed.append(originator.spec.node_id)
    a_pump.join()
    if failed or not all(n.tokens for n in nodes):
        raise RuntimeError(f"set-up failed on {', '.join(failed) or 'a node'} (see above)")
    return nodes


# -- serving -----------------------------------------------------------------------------------


def start_server(node: FederationNode, *, host: str = "127.0.0.1") -> None:
    """Start ``accord serve`` (with its worker) for ``node``, its output appended to its
    ``serve.log``; does not wait for it to answer."""
    log = open(node.data_dir / "serve.log", "ab")  # noqa: SIM115 - the child keeps it
    node.proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "accord.cli.main",
            "serve",
            "--data-dir",
            str(node.data_dir),
            "--host",
            host,
            "--port",
            str(node.port),
        ],
        env=node_env(node.data_dir),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()


def start_servers(
    nodes: list[FederationNode], *, host: str = "127.0.0.1", timeout: float = 120.0
) -> None:
    """``accord serve`` (with its worker) per node; returns when every node answers."""
    for node in nodes:
        start_server(node, host=host)
        print(f"Starting {node.spec.node_id} on {node.url} ...", flush=True)
    deadline = time.monotonic() + timeout
    waiting = list(nodes)
    while waiting and time.monotonic() < deadline:
        for node in list(waiting):
            assert node.proc is not None
            if node.proc.poll() is not None:
                tail = (node.data_dir / "serve.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{node.spec.node_id} exited ({node.proc.returncode}):\n{tail}")
            if answers(node.url):
                waiting.remove(node)
        time.sleep(0.3)
    if waiting:
        names = ", ".join(n.spec.node_id for n in waiting)
        raise RuntimeError(f"{names} did not answer within {timeout:.0f}s")


def stop_servers(nodes: list[FederationNode]) -> None:
    """Stop every node process (SIGINT, as Ctrl-C; then kill after 20 s)."""
    running = [n.proc for n in nodes if n.proc is not None and n.proc.poll() is None]
    for proc in running:
        proc.send_signal(signal.SIGINT)
    for proc in running:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def supervise(
    nodes: list[FederationNode],
    *,
    host: str = "127.0.0.1",
    stop: threading.Event | None = None,
    poll: float = 1.0,
    max_restarts: int = 3,
    window: float = 300.0,
) -> None:
    """Watch the nodes until ``stop`` is set (or KeyboardInterrupt: Ctrl-C), or until none is
    left running. A node that dies (killed by a signal, or a non-zero exit) is reported and
    started again on its port; one that died ``max_restarts`` times within ``window`` seconds,
    or that stopped cleanly (exit 0: someone stopped it), is reported and left stopped. The
    other nodes keep serving."""
    stop = stop or threading.Event()
    deaths: dict[str, list[float]] = {}
    left: set[str] = set()
    while len(left) < len(nodes) and not stop.wait(poll):
        for node in nodes:
            name = node.spec.node_id
            if node.proc is None or name in left or node.proc.poll() is None:
                continue
            code = node.proc.returncode
            log = node.data_dir / "serve.log"
            now = time.monotonic()
            recent = [t for t in deaths.get(name, []) if now - t < window] + [now]
            deaths[name] = recent
            if code == 0:
                print(f"accord demo: {name} stopped (exit status 0); left stopped, the other "
                      f"nodes keep serving (log: {log})", flush=True)  # fmt: skip
                left.add(name)
            elif len(recent) > max_restarts:
                print(f"accord demo: {name} stopped again ({exit_reason(code)}), {len(recent)} "
                      f"times in {window:.0f} s; left stopped, the other nodes keep serving "
                      f"(log: {log})", flush=True)  # fmt: skip
                left.add(name)
            else:
                print(f"accord demo: {name} stopped ({exit_reason(code)}); starting it again on "
                      f"{node.url} (log: {log})", flush=True)  # fmt: skip
                start_server(node, host=host)
