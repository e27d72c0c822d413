"""``accord node pubkey --data-dir DIR``: print this node's Ed25519 public key (PEM).

The public key only: give it to a partner node's administrator for ``accord peer add``. The
private key never leaves the data directory.
"""

from __future__ import annotations

import argparse
import sys

from accord.cli.main import add_data_dir

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="node_command", required=True)
    pub = sub.add_parser("pubkey", help="print this node's public key (PEM)")
    add_data_dir(pub)


def run(args: argparse.Namespace) -> int:
    from accord.node.datadir import data_dir_from_env, read_node_config
    from accord.node.services import public_key_pem

    path = data_dir_from_env(args.data_dir)
    if read_node_config(path) is None:
        print(f"accord node: {path} holds no node (run accord init)", file=sys.stderr)
        return 2
    sys.stdout.write(public_key_pem(path))
    return 0
