"""``accord export --data-dir DIR --format stix [--out FILE]``: the whole store as a STIX 2.1
bundle (the latest version of every record, each object exactly as stored). The export is the
node's own (system) disclosure and is audited as ``record.export``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from accord.cli.main import add_data_dir, setup_django

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--format", default="stix", choices=("stix",))
    parser.add_argument("--out", default="", help="write here (mode 0600) instead of stdout")
    parser.add_argument("--purpose", default="", help="why the records are exported (audited)")


def run(args: argparse.Namespace) -> int:
    setup_django(args.data_dir)
    from accord.intel.services import iter_export

    chunks = iter_export(None, purpose=args.purpose)
    if args.out:
        out = Path(args.out)
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        written = 0
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                written += len(chunk)
        print(f"Wrote {out} ({written:,} bytes)", file=sys.stderr)
    else:
        stream = sys.stdout.buffer
        for chunk in chunks:
            stream.write(chunk)
        stream.write(b"\n")
        stream.flush()
    return 0
