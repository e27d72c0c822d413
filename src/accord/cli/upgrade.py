"""``accord upgrade --data-dir DIR [--json]``: bring an existing node's database up to this release.

Moves a database made before the apps were renamed to their new labels, then applies Django's
pending migrations (:func:`accord.node.upgrade.upgrade_database`); on a current database it
does nothing. ``accord serve`` does the same on start; this command is for doing it ahead
(after a backup), or for a node whose worker runs apart from ``accord serve``. Exit status 0 on
success, 2 when the data directory holds no node or the database cannot be brought forward.
"""

from __future__ import annotations

import argparse
import json
import sys

from accord.cli.main import add_data_dir, setup_node

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--json", action="store_true", help="print what was done as JSON")


def run(args: argparse.Namespace) -> int:
    setup_node(args.data_dir)
    from accord.node.upgrade import UpgradeError, upgrade_database

    try:
        report = upgrade_database()
    except UpgradeError as exc:
        print(f"accord upgrade: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.as_dict()))
        return 0
    if report.moved:
        print(
            f"Moved the apps to their new labels: {len(report.tables)} tables renamed, "
            f"{report.tasks} task results rewritten (audit entry {report.audit_seq})."
        )
    if report.migrations:
        print(f"Applied {len(report.migrations)} migrations: {', '.join(report.migrations)}.")
    if not report.moved and not report.migrations:
        print("The database is up to date.")
    return 0
