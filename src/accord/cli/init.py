"""``accord init --data-dir DIR --node-id ID --jurisdiction CC [--name NAME]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from accord.cli.main import add_data_dir, setup_django

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--node-id", required=True, help="this node's id, e.g. node-a")
    parser.add_argument(
        "--jurisdiction", required=True, help="ISO 3166-1 alpha-2 code or multilateral body"
    )
    parser.add_argument("--name", default="", help="the agency's display name")


def run(args: argparse.Namespace) -> int:
    from accord.engine.jurisdiction import JurisdictionError
    from accord.node.datadir import data_dir_from_env
    from accord.node.services import NodeInitError, create_data_dir

    data_dir = data_dir_from_env(args.data_dir)
    try:
        config = create_data_dir(Path(data_dir), args.node_id, args.jurisdiction, args.name)
    except (JurisdictionError, NodeInitError) as exc:
        print(f"accord init: {exc}", file=sys.stderr)
        return 2
    setup_django(data_dir)
    from accord.node.bootstrap import bootstrap_node

    bootstrap_node(Path(data_dir), config)
    print(f"Node {config.node_id} ({config.jurisdiction}) created in {data_dir}")
    print(f"STIX identity: {config.identity_id}")
    print(f"Next: accord user add --data-dir {data_dir} NAME --role analyst")
    return 0
