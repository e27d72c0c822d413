"""``accord demo`` with five nodes: the federation of BRIEF flows 1 and 2 on loopback.

A (NL, abolitionist) is the originator; B (DE) has a full-sharing agreement with A for persons;
C (KE) hit/no-hit only; D (BR) no agreement; E (US, retains the death penalty for terrorism) an
agreement that requires supervisor approval and an assurance reference for personal data. The
agreements come from ``agreements.json`` beside this module (valid against
``docs/schemas/agreement.schema.json``) and are stored on every node.

Without ``--check`` the nodes are served until Ctrl-C; with it, the single-node checks run
against A, then flow 1 (:mod:`accord.cli.demo_federation.check`) and flow 2
(:mod:`accord.cli.demo_federation.flow_two`) run over HTTP.
"""

from __future__ import annotations

import argparse
import signal
import time
from pathlib import Path

from accord.cli.demo_federation.nodes import (
    AGREEMENTS_FILE,
    NODES,
    FederationNode,
    free_port_block,
    set_up_nodes,
    start_servers,
    stop_servers,
    supervise,
)

__all__ = ["AGREEMENTS_FILE", "NODES", "print_table", "run_checks", "run_federation"]


def print_table(nodes: list[FederationNode], root: Path) -> None:
    """The nodes (id, jurisdiction, URL, role in flow 1) and the demo logins."""
    print()
    print(f"Accord demo federation, data in {root}")
    print(f"  {'':2} {'node':<8} {'jur.':<5} {'URL':<24} role in flow 1")
    for n in nodes:
        print(f"  {n.spec.letter:<2} {n.spec.node_id:<8} {n.spec.jurisdiction:<5} {n.url:<24} "
              f"{n.spec.role_in_flow}")  # fmt: skip
    a = nodes[0]
    for what, count in a.counts.items():
        print(f"  node-a: {count} {what} imported")
    print("Logins (user / password, DEMO ONLY, generated for this run; same user names per node):")
    roles = list(a.passwords)
    width = max(len(r) for r in roles)
    print(f"  {'':<{width}}  " + "  ".join(f"{n.spec.node_id:<21}" for n in nodes))
    for role in roles:
        row = "  ".join(f"{n.passwords.get(role, ''):<21}" for n in nodes)
        print(f"  {role:<{width}}  {row}")
    for n in nodes:
        print(f"API tokens on {n.spec.node_id} (DEMO ONLY): analyst {n.tokens['analyst']}, "
              f"supervisor {n.tokens['supervisor']}, liaison {n.tokens['liaison']}")  # fmt: skip
    print(
        "Flow 2: node-b's analyst screens a manifest (/screening/batch/), its supervisor "
        "confirms (/screening/hits/), node-a's liaison answers (/screening/incoming/)."
    )
    if a.known_name:
        print(f"Try searching on node-a for: {a.known_name}")
    print(f"Agreements: {AGREEMENTS_FILE}")


def run_checks(nodes: list[FederationNode], *, seed: int) -> bool:
    """The single-node checks against A, then flows 1 and 2; ✓/✗ per check; True when all held."""
    import logging

    from accord.cli.demo import Browser, Checks, DemoNode, Steps
    from accord.cli.demo_federation.check import FlowOne, StepMissing
    from accord.cli.demo_federation.flow_two import FlowTwo

    logging.getLogger("httpx").setLevel(logging.WARNING)
    check = Checks(missing=StepMissing)

    a = nodes[0]
    demo_a = DemoNode(
        data_dir=a.data_dir,
        identity_id=a.identity_id,
        passwords=a.passwords,
        token=a.tokens["analyst"],
        known_name=a.known_name,
        known_id=a.known_id,
    )
    browser = Browser(a.url.rstrip("/"))
    flow = FlowOne(nodes)
    try:
        print("Node A on its own:", flush=True)
        for name, step in Steps(browser, demo_a, seed).steps():
            check(name, step)
        print("Flow 1 (BRIEF section 4) across the federation:", flush=True)
        for name, step in flow.steps():
            check(name, step)
        print("Flow 2 (BRIEF section 4): B screens a flight manifest, A answers:", flush=True)
        for name, step in FlowTwo(flow).steps():
            check(name, step)
    finally:
        browser.close()
        flow.close()
    results = check.results
    ok = all(results)
    print(
        f"All {len(results)} checks passed."
        if ok
        else f"{results.count(False)} of {len(results)} checks FAILED.",
        flush=True,
    )
    return ok


def run_federation(args: argparse.Namespace, root: Path) -> int:
    """Set up the five nodes under ``root``, serve them, and check or wait for Ctrl-C."""
    root.mkdir(parents=True, exist_ok=True)
    first = free_port_block(len(NODES), None if args.check else args.port)
    if not args.check and first != args.port:
        print(f"Ports {args.port}-{args.port + len(NODES) - 1} are busy; using {first} onwards.")
    started = time.monotonic()
    nodes = set_up_nodes(root, persons=args.persons, seed=args.seed, first_port=first)
    try:
        start_servers(nodes, host="127.0.0.1" if args.check else args.host)
        print(f"Federation up in {time.monotonic() - started:.0f}s.", flush=True)
        print_table(nodes, root)
        if args.check:
            return 0 if run_checks(nodes, seed=args.seed) else 1
        print(
            "Press Ctrl-C to stop all nodes (a node that dies is started again; the others "
            "keep serving).",
            flush=True,
        )
        previous = signal.signal(signal.SIGTERM, _interrupt)  # SIGTERM stops them all too
        try:
            supervise(nodes, host=args.host)
        except KeyboardInterrupt:
            print("\nStopping the nodes ...", flush=True)
            return 0
        finally:
            signal.signal(signal.SIGTERM, previous)
        print("accord demo: no node is running any more.", flush=True)
        return 1
    finally:
        stop_servers(nodes)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
