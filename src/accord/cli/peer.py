"""``accord peer``: partner nodes, the outbox and delivery (docs/federation.md).

- ``accord peer add --data-dir DIR --node-id ID --url URL --jurisdiction CC --public-key FILE
  [--name NAME] [--inbox COLLECTION]``: register a peer (its key: the PEM that
  ``accord node pubkey`` prints on the peer).
- ``accord peer update NODE_ID [--url URL] [--public-key FILE] [--name NAME] [--jurisdiction CC]
  [--inbox COLLECTION] [--enable | --disable] [--json]``: change a registered peer (audited
  ``peer.update``; a new key is shown by its fingerprint, old and new).
- ``accord peer list [--json]``
- ``accord peer outbox [--peer ID] [--items] [--json]``: delivery status per peer and status.
- ``accord peer deliver [--peer ID] [--force] [--json]``: one delivery pass, progress on stderr;
  ``--force`` also retries failed items still in back-off. Exit 1 when an item failed.
- ``accord peer pull NODE_ID [--reset] [--json]``: catch up on what the peer disclosed to this
  node (signed ``GET /federation/outbox/objects/`` with ``added_after`` = the cursor), every
  object checked as the inbox checks it. Exit 1 when the pull failed or an object was refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accord.cli.main import add_data_dir, setup_django

if TYPE_CHECKING:
    from accord.federation.models import Peer

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="peer_command", required=True)
    add = sub.add_parser("add", help="register a peer node")
    add_data_dir(add)
    add.add_argument("--node-id", required=True)
    add.add_argument("--url", required=True, help="the peer's base URL")
    add.add_argument("--jurisdiction", required=True)
    add.add_argument("--public-key", required=True, help="file with the peer's Ed25519 PEM")
    add.add_argument("--name", default="")
    add.add_argument("--inbox", default="", help="a TAXII collection on the peer to push to")
    upd = sub.add_parser("update", help="change a peer's URL, key, name, inbox or state")
    add_data_dir(upd)
    upd.add_argument("node_id", help="the peer's node id")
    upd.add_argument("--url", default=None, help="the peer's new base URL")
    upd.add_argument("--public-key", default=None, help="file with the peer's new Ed25519 PEM")
    upd.add_argument("--name", default=None)
    upd.add_argument("--jurisdiction", default=None)
    upd.add_argument("--inbox", default=None, help="TAXII collection to push to ('': its inbox)")
    state = upd.add_mutually_exclusive_group()
    state.add_argument("--enable", dest="enabled", action="store_const", const=True)
    state.add_argument("--disable", dest="enabled", action="store_const", const=False)
    upd.add_argument("--json", action="store_true")
    lst = sub.add_parser("list", help="list peers")
    add_data_dir(lst)
    lst.add_argument("--json", action="store_true")
    out = sub.add_parser("outbox", help="delivery status")
    add_data_dir(out)
    out.add_argument("--peer", default=None)
    out.add_argument("--items", action="store_true", help="list the items that are not delivered")
    out.add_argument("--json", action="store_true")
    dlv = sub.add_parser("deliver", help="one delivery pass")
    add_data_dir(dlv)
    dlv.add_argument("--peer", default=None)
    dlv.add_argument("--force", action="store_true", help="ignore the back-off of failed items")
    dlv.add_argument("--json", action="store_true")
    pll = sub.add_parser("pull", help="catch up on what a peer disclosed to this node")
    add_data_dir(pll)
    pll.add_argument("node_id", help="the peer's node id")
    pll.add_argument("--reset", action="store_true", help="from the beginning, not the cursor")
    pll.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    setup_django(args.data_dir)
    from accord.federation.models import Peer

    if args.peer_command == "add":
        return _add(args)
    if args.peer_command == "update":
        return _update(args)
    if args.peer_command == "list":
        return _list(args)
    if args.peer_command == "pull":
        return _pull(args)
    peer = None
    if args.peer:
        peer = Peer.objects.filter(node_id=args.peer).first()
        if peer is None:
            print(f"accord peer: no peer {args.peer!r}", file=sys.stderr)
            return 2
    if args.peer_command == "outbox":
        return _outbox(peer, args)
    from accord.federation.delivery import deliver_pending

    report = deliver_pending(
        peer=peer, force=args.force, progress=lambda line: print(line, file=sys.stderr)
    )
    summary = {
        "attempted": report.attempted,
        "delivered": report.delivered,
        "rejected": report.rejected,
        "failed": report.failed,
        "errors": report.errors,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"{report.attempted} attempted, {report.delivered} delivered, "
            f"{report.rejected} rejected, {report.failed} failed"
        )
    return 1 if report.failed else 0


def _fingerprint(pem: str) -> str:
    from accord.federation.services import key_fingerprint

    try:
        return key_fingerprint(pem)
    except ValueError:
        return "(not a readable key)"


def _update(args: argparse.Namespace) -> int:
    from accord.federation.models import Peer
    from accord.federation.services import PeerError, update_peer

    peer = Peer.objects.select_related("user").filter(node_id=args.node_id).first()
    if peer is None:
        print(
            f"accord peer update: no peer {args.node_id!r} (register it with accord peer add)",
            file=sys.stderr,
        )
        return 2
    changes: dict[str, object] = {
        name: getattr(args, name)
        for name in ("url", "name", "jurisdiction", "inbox", "enabled")
        if getattr(args, name) is not None
    }
    try:
        if args.public_key is not None:
            changes["public_key_pem"] = Path(args.public_key).read_text()
        if not changes:
            raise PeerError("nothing to change: give --url, --public-key, --name, ...")
        before = _shown(peer)
        update_peer(None, peer, **changes)
    except (OSError, UnicodeDecodeError, PeerError) as exc:
        print(f"accord peer update: {exc}", file=sys.stderr)
        return 2
    after = _shown(peer)
    values = {
        k: {"before": before[k], "after": after[k]} for k in sorted(after) if before[k] != after[k]
    }
    if args.json:
        print(json.dumps({"node_id": peer.node_id, "changed": values}))
        return 0
    if not values:
        print(f"peer {peer.node_id}: nothing changed (key {after['key_fingerprint']})")
    for name, change in values.items():
        print(f"peer {peer.node_id}: {name} {change['before']} -> {change['after']}")
    return 0


def _add(args: argparse.Namespace) -> int:
    from accord.federation.models import Peer
    from accord.federation.services import PeerError, add_peer, key_fingerprint

    try:
        pem = Path(args.public_key).read_text()
        peer = add_peer(
            None,
            node_id=args.node_id,
            url=args.url,
            jurisdiction=args.jurisdiction,
            public_key_pem=pem,
            name=args.name,
            inbox=args.inbox,
        )
    except (OSError, PeerError) as exc:
        hint = ""
        if Peer.objects.filter(node_id=args.node_id).exists():
            hint = f"; change its URL or key with: accord peer update {args.node_id} --url URL"
            hint += " --public-key FILE"
        print(f"accord peer add: {exc}{hint}", file=sys.stderr)
        return 2
    print(
        f"peer {peer.node_id} added (user {peer.user.username}), key "
        f"{key_fingerprint(peer.public_key_pem)}"
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    from accord.federation.models import Peer

    rows = [
        {
            "node_id": p.node_id,
            "name": p.name,
            "url": p.url,
            "jurisdiction": p.jurisdiction,
            "inbox": p.inbox,
            "enabled": p.enabled,
            "user": p.user.username,
            "key_fingerprint": _fingerprint(p.public_key_pem),
        }
        for p in Peer.objects.select_related("user")
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            state = "enabled" if r["enabled"] else "disabled"
            print(
                f"{r['node_id']}\t{r['jurisdiction']}\t{r['url']}\t{state}\t{r['key_fingerprint']}"
            )
    return 0


def _shown(peer: Peer) -> dict[str, Any]:
    """What ``accord peer update`` reports of a peer: its fields, the key as its fingerprint."""
    fields = ("url", "name", "jurisdiction", "inbox", "enabled")
    return {
        **{k: getattr(peer, k) for k in fields},
        "key_fingerprint": _fingerprint(peer.public_key_pem),
    }


def _outbox(peer: Peer | None, args: argparse.Namespace) -> int:
    from django.db.models import Count

    from accord.federation.models import OutboxItem

    items = OutboxItem.objects.all()
    if peer is not None:
        items = items.filter(peer=peer)
    counts: dict[str, dict[str, int]] = {}
    for row in items.values("peer__node_id", "status").annotate(n=Count("pk")):
        counts.setdefault(row["peer__node_id"], {})[row["status"]] = row["n"]
    pending = []
    if args.items:
        for item in items.exclude(status=OutboxItem.Status.DELIVERED).select_related("peer"):
            pending.append(
                {
                    "peer": item.peer.node_id,
                    "id": item.stix_id,
                    "modified": item.modified,
                    "status": item.status,
                    "attempts": item.attempts,
                    "next_attempt_at": item.next_attempt_at.isoformat(),
                    "last_error": item.last_error,
                }
            )
    if args.json:
        print(json.dumps({"peers": counts, "items": pending}, indent=2))
        return 0
    for node, by_status in sorted(counts.items()):
        text = ", ".join(f"{n} {s}" for s, n in sorted(by_status.items()))
        print(f"{node}: {text}")
    for p in pending:
        print(
            f"  {p['id']}@{p['modified']} -> {p['peer']}: {p['status']}, "
            f"{p['attempts']} attempt(s), next {p['next_attempt_at']} {p['last_error']}"
        )
    return 0


def _pull(args: argparse.Namespace) -> int:
    from accord.federation.models import Peer
    from accord.federation.pull import pull_from

    peer = Peer.objects.filter(node_id=args.node_id).first()
    if peer is None:
        print(f"accord peer pull: no peer {args.node_id!r}", file=sys.stderr)
        return 2
    report = pull_from(peer, reset=args.reset)
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print(
            f"{peer.node_id}: {report.pages} page(s), {report.received} received, "
            f"{report.stored} stored, {report.already_held} already held, "
            f"{report.refused} refused; cursor {report.added_after or '-'}"
        )
        for failure in report.failures[:20]:
            print(f"  refused {failure.get('id')}: {failure.get('message')}", file=sys.stderr)
        if report.error:
            print(f"accord peer pull: {report.error}", file=sys.stderr)
    return 1 if report.error or report.refused else 0
