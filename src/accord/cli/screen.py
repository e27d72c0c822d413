"""``accord screen --data-dir DIR FILE... --format csv|json|paxlst|pnrgov [--purpose P]
[--as USER]``: screen batches against the watchlist.

JSON lines on stdout, one per person in input order (``row``, ``id``, ``hit``, ``matches``;
``file`` too when several files are given); progress and refused files on stderr. A refused
file (too large, empty, malformed EDIFACT: the segment and byte of the fault are named) does not
stop the others, and nothing of it is stored. JSON lines are read under the node's JSON limits
(``accord.engine.json_input``): a line that breaks them is reported on its row. Exit status 0
when every file was screened, 1 when a file was refused, 2 on usage errors. Screens as the node
itself unless ``--as`` names a user.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from accord.cli.main import add_data_dir, setup_django
from accord.engine.stix.markings import PURPOSES

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--format", required=True, choices=("csv", "json", "paxlst", "pnrgov"))
    parser.add_argument(
        "--purpose",
        default="counter-terrorism",
        choices=[p for p in PURPOSES if p != "oversight-review"],
        help="why (audited)",
    )
    parser.add_argument("--case", default="", help="case reference (audited)")
    parser.add_argument("--as", dest="as_user", default="", help="screen as this user")
    parser.add_argument("files", nargs="+", metavar="FILE", help="the files to screen")


def run(args: argparse.Namespace) -> int:
    setup_django(args.data_dir)
    from django.conf import settings

    from accord.accounts.models import User
    from accord.cli.importing import progress_bar
    from accord.engine.manifests import ManifestError, read_manifest
    from accord.screening.services import screen

    user = None
    if args.as_user:
        user = User.objects.filter(username=args.as_user, is_active=True).first()
        if user is None:
            print(f"accord screen: no active user {args.as_user!r}", file=sys.stderr)
            return 2
    limit = int(getattr(settings, "ACCORD_MAX_UPLOAD_BYTES", 16 << 20))
    status = 0
    many = len(args.files) > 1
    for name in args.files:
        path = Path(name)
        try:
            if not path.is_file():
                raise ManifestError("no such file")
            if path.stat().st_size > limit:
                raise ManifestError(f"the file is larger than this node screens ({limit:,} bytes)")
            travellers = read_manifest(path.read_bytes(), args.format, max_bytes=limit)
            if not travellers:
                raise ManifestError("it holds no one to screen")
        except ManifestError as exc:
            print(f"accord screen: {path.name}: refused: {exc}", file=sys.stderr)
            status = 1
            continue
        print(f"{path.name}: {len(travellers):,} people", file=sys.stderr)
        results = screen(
            user,
            travellers,
            purpose=args.purpose,
            case=args.case,
            format=args.format,
            filename=path.name,
            progress=progress_bar(),
        )
        for result in results:
            line = result.as_dict()
            if many:
                line = {"file": path.name, **line}
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
        sys.stdout.flush()
        hits = sum(1 for r in results if r.hit)
        print(f"{path.name}: {hits:,} possible matches queued for review", file=sys.stderr)
    return status
