"""``accord``: the node's command line. Each sub-command lives in its own module of this package,
exposing ``add_arguments(parser)`` and ``run(args) -> int``; modules load only when used."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

__all__ = ["main", "setup_django", "setup_node"]

#: sub-command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("accord.cli.init", "create a node: data directory, database, keys, STIX identity"),
    "serve": ("accord.cli.serve", "run the node: web UI, REST API (and background worker)"),
    "upgrade": ("accord.cli.upgrade", "bring the node's database up to this release (migrate)"),
    "user": ("accord.cli.user", "manage users (accord user add NAME --role ROLE)"),
    "import": ("accord.cli.importing", "import records (stix, ftm, un-xml)"),
    "export": ("accord.cli.export", "export records as a STIX 2.1 bundle"),
    "audit": ("accord.cli.audit", "check the audit trail (accord audit verify)"),
    "demo": ("accord.cli.demo", "start a demonstration node with synthetic data"),
    "feed": ("accord.cli.feed", "TAXII 2.1 feeds: add, list, pull (accord feed pull NAME)"),
    "bench": ("accord.cli.bench", "run a named benchmark (store, taxii, policy...), --json"),
    "taxii": ("accord.cli.taxii", "TAXII 2.1 collections and access (collection add, grant)"),
    "compare": ("accord.cli.compare", "score name pairs from a CSV with the screening matcher"),
    "screen": ("accord.cli.screen", "screen a batch (csv, json, paxlst, pnrgov), JSON lines out"),
    "agreement": ("accord.cli.agreement", "agreements: load FILE.json, list, policies (Cedar)"),
    "profile": ("accord.cli.profile", "jurisdiction profiles: list, load-defaults"),
    "peer": ("accord.cli.peer", "peer nodes: add, update, list, outbox, deliver, pull"),
    "node": ("accord.cli.node", "this node: pubkey (its Ed25519 public key, PEM)"),
    "retention": ("accord.cli.retention", "erase personal data past its retention (apply)"),
    "tasks": ("accord.cli.tasks", "the worker's schedule and task queue (accord tasks list)"),
}


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("ACCORD_DATA_DIR"),
        help="the node's data directory (or ACCORD_DATA_DIR)",
    )


def setup_django(data_dir: str | os.PathLike[str] | None) -> None:
    """Point Django at ``data_dir`` and start it. Call before importing models."""
    from accord.node.datadir import data_dir_from_env

    path = data_dir_from_env(data_dir)
    os.environ["ACCORD_DATA_DIR"] = str(path)
    os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get(
        "ACCORD_SETTINGS_MODULE", "accord.node.settings"
    )
    import django

    django.setup()


def setup_node(data_dir: str | os.PathLike[str] | None) -> None:
    """Start Django on an existing node's data directory (``DataDirError`` when it holds no
    node): what every command that reads or changes a node's database does first."""
    from accord.node.datadir import DataDirError, data_dir_from_env, read_node_config

    path = data_dir_from_env(data_dir)
    if read_node_config(path) is None:
        raise DataDirError(f"{path} is not an Accord node (no node.json); run accord init")
    setup_django(path)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported (so ``accord --help`` stays fast)."""
    parser = argparse.ArgumentParser(prog="accord", description=__doc__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        sp.set_defaults(_module=module)
        if name == command:
            importlib.import_module(module).add_arguments(sp)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    module = importlib.import_module(args._module)
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a clear one-line error, never a traceback with data in it
        from accord.node.datadir import DataDirError

        if isinstance(exc, DataDirError):
            print(f"accord: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
