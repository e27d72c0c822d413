"""``accord import --data-dir DIR --format stix|ftm|un-xml FILE [--purpose P] [--as USER]``.

Imports as the node itself (the system actor) unless ``--as`` names a user. All or nothing: exit
status 0 when every object was stored (or already was), 1 when objects were refused (nothing was
stored; each refusal is listed), 2 when the file cannot be read at all as the format named
(empty, malformed, or another kind of file: the message says what it looks like).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from accord.cli.main import add_data_dir, setup_django

__all__ = ["add_arguments", "progress_bar", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--format", required=True, choices=("stix", "ftm", "un-xml"))
    parser.add_argument("--purpose", default="", help="why the records are imported (audited)")
    parser.add_argument("--as", dest="as_user", default="", help="import as this user")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("file", help="the file to import (may be .gz or .zip)")


def progress_bar(stream: Any = None) -> Any:
    """A ``progress(done, total)`` callback drawing ``[####    ] 45% 12,345/27,000``."""
    out = stream or sys.stderr
    tty = bool(getattr(out, "isatty", lambda: False)())
    shown = [-1]

    def progress(done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if percent == shown[0]:
            return
        shown[0] = percent
        if not tty and done < total:
            return
        filled = percent * 30 // 100
        end = "\n" if done >= total else ""
        out.write(f"\r[{'#' * filled}{' ' * (30 - filled)}] {percent:3d}% {done:,}/{total:,}{end}")
        out.flush()

    return progress


def _print_report(report: dict[str, Any]) -> None:
    print(f"Read {report.get('parsed', 0):,} objects ({report.get('format', '?')}).")
    if report.get("problem_count"):
        print(f"{report['problem_count']:,} source records skipped or incomplete:")
        for problem in report.get("problems", [])[:50]:
            print(f"  {problem['where']}: {problem['message']}")
    if report.get("refused_count"):
        print(f"REFUSED: {report['refused_count']:,} objects; nothing was stored.")
        for refusal in report["refused"][:200]:
            where = f"#{refusal['index']} {refusal['id']}".strip()
            path = f" {refusal['path']}:" if refusal["path"] else ""
            print(f"  {where}{path} {refusal['message']}")
        return
    print(
        f"Stored {report['imported']:,} new records, {report['new_versions']:,} new versions; "
        f"{report['unchanged']:,} unchanged."
    )
    for stix_type, count in report.get("by_type", {}).items():
        print(f"  {stix_type:<28} {count:>10,}")


def run(args: argparse.Namespace) -> int:
    import json

    setup_django(args.data_dir)
    from accord.accounts.models import User
    from accord.intel.tasks import ImportFailed, import_bytes

    path = Path(args.file)
    if not path.is_file():
        print(f"accord import: {path}: no such file", file=sys.stderr)
        return 2
    user = None
    if args.as_user:
        user = User.objects.filter(username=args.as_user, is_active=True).first()
        if user is None:
            print(f"accord import: no active user {args.as_user!r}", file=sys.stderr)
            return 2
    try:
        report = import_bytes(
            user,
            path,
            format=args.format,
            purpose=args.purpose,
            source=f"accord import {path.name}",
            progress=progress_bar(),
        )
    except ImportFailed as exc:
        print(f"accord import: {path.name}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_report(report)
    return 0 if report["ok"] else 1
