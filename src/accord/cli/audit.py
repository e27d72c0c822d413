"""``accord audit verify --data-dir DIR [--json]``: check the audit trail offline.

Exit status 0 when the trail is intact, 1 when it is not (the first bad entry's sequence number
and the reason are printed), 2 when the data directory cannot be used.
"""

from __future__ import annotations

import argparse
import json
import sys

from accord.cli.main import add_data_dir, setup_node

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="audit_command", required=True)
    verify = sub.add_parser("verify", help="check every entry's hash, link and signed checkpoint")
    add_data_dir(verify)
    verify.add_argument("--json", action="store_true", help="print the verdict as JSON")


def run(args: argparse.Namespace) -> int:
    setup_node(args.data_dir)
    from accord.oversight.models import AuditCheckpoint
    from accord.oversight.services import verify_trail

    verdict = verify_trail()
    checkpoints = AuditCheckpoint.objects.filter(seq__lte=verdict.checked).count()
    if args.json:
        print(
            json.dumps(
                {
                    "ok": verdict.ok,
                    "entries": verdict.checked,
                    "head": verdict.head_hash,
                    "first_bad": verdict.first_bad,
                    "reason": verdict.reason,
                    "signed_checkpoints": checkpoints,
                }
            )
        )
    elif verdict.ok:
        print(f"audit trail intact: {verdict.checked} entries, head {verdict.head_hash}")
        print(f"signed checkpoints verified: {checkpoints}")
    else:
        print(
            f"audit trail BROKEN at entry {verdict.first_bad}: {verdict.reason} "
            f"({verdict.checked} entries verified before it)",
            file=sys.stdout,
        )
    return 0 if verdict.ok else 1
