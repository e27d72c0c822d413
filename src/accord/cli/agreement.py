"""``accord agreement``: the agreements the policy engine decides under.

- ``accord agreement load --data-dir DIR FILE.json``: store the agreement (or a JSON list of
  agreements) as new versions; a file with an error is refused with the JSON path of the error
  and nothing from it is stored (exit 1).
- ``accord agreement list [--json]``: the latest version of each agreement.
- ``accord agreement policies``: the Cedar policies generated from them, as evaluated.

The command acts as the node's operator (audited as the system actor).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from accord.cli.main import add_data_dir, setup_django

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="agreement_command", required=True)
    load = sub.add_parser("load", help="store agreements from a JSON file")
    add_data_dir(load)
    load.add_argument("file", type=Path)
    lst = sub.add_parser("list", help="list agreements (latest versions)")
    add_data_dir(lst)
    lst.add_argument("--json", action="store_true")
    pol = sub.add_parser("policies", help="print the generated Cedar policies")
    add_data_dir(pol)


def run(args: argparse.Namespace) -> int:
    setup_django(args.data_dir)
    from django.db import transaction

    from accord.agreement import services

    if args.agreement_command == "load":
        try:
            data = json.loads(args.file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            print(f"accord agreement: {args.file}: {exc}", file=sys.stderr)
            return 1
        items = data if isinstance(data, list) else [data]
        stored = []
        try:
            with transaction.atomic():  # all of the file or nothing
                for i, item in enumerate(items):
                    try:
                        stored.append(services.save_agreement(None, item))
                    except services.AgreementError as exc:
                        where = f"[{i}]" if isinstance(data, list) else ""
                        print(f"accord agreement: {args.file}{where}: {exc}", file=sys.stderr)
                        raise
        except services.AgreementError:
            return 1
        for row in stored:
            print(f"stored {row.agreement_id} v{row.version} ({row.status})")
        return 0
    if args.agreement_command == "list":
        agreements = services.current_agreements()
        if args.json:
            print(json.dumps([a.to_dict() for a in agreements], indent=2))
            return 0
        for a in agreements:
            until = a.in_force_until.isoformat() if a.in_force_until else "open"
            print(
                f"{a.id:<24} v{a.version:<3} {a.status:<10} {a.sharing_mode:<10} "
                f"{'/'.join(a.parties):<24} {a.in_force_from.isoformat()}..{until}  {a.title}"
            )
        return 0
    print(services.policy_engine().policy_text, end="")
    return 0
