"""``accord profile``: jurisdiction profiles (death penalty, UN counter-terrorism instruments,
torture-risk assessment) that the policy engine's safeguards apply.

- ``accord profile list --data-dir DIR [--json]``: the current version of each profile.
- ``accord profile load-defaults --data-dir DIR``: store the shipped profiles for jurisdictions
  that have none yet (an initial assessment for the legal officer to review).
"""

from __future__ import annotations

import argparse
import json

from accord.cli.main import add_data_dir, setup_django

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="profile_command", required=True)
    lst = sub.add_parser("list", help="list jurisdiction profiles")
    add_data_dir(lst)
    lst.add_argument("--json", action="store_true")
    load = sub.add_parser("load-defaults", help="store the shipped profiles")
    add_data_dir(load)


def run(args: argparse.Namespace) -> int:
    setup_django(args.data_dir)
    from accord.agreement import services

    if args.profile_command == "load-defaults":
        print(f"stored {services.load_default_profiles(None)} profiles")
        return 0
    profiles = services.current_profiles()
    rows = [profiles.profiles[c] for c in sorted(profiles.profiles)]
    if args.json:
        print(json.dumps([p.to_dict() for p in rows], indent=2, ensure_ascii=False))
        return 0
    for p in rows:
        print(
            f"{p.code:<9} {p.death_penalty:<25} terrorism:{_yes(p.death_penalty_for_terrorism):<4}"
            f" torture:{p.torture_risk:<9} instruments:{len(p.ct_instruments):<3} {p.name}"
        )
    return 0


def _yes(value: bool) -> str:
    return "yes" if value else "no"
