"""Creating a node: data directory, database, Ed25519 keys and the node's STIX identity."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.engine.jurisdiction import validate_jurisdiction
from accord.node.datadir import (
    NodeConfig,
    read_node_config,
    write_node_config,
    write_private_file,
)

__all__ = ["NodeInitError", "create_data_dir", "load_private_key", "node_identity_object"]

PRIVATE_KEY_FILE = "node_ed25519.pem"
PUBLIC_KEY_FILE = "node_ed25519.pub"


class NodeInitError(Exception):
    """The node cannot be created as asked (bad id, existing node, wrong key type)."""


def create_data_dir(data_dir: Path, node_id: str, jurisdiction: str, name: str = "") -> NodeConfig:
    """Create the directory, node.json and the key pair (private key mode 0600).

    Refuses to overwrite an existing node. The database is migrated by the caller
    (``accord init``) once Django is set up on this directory.
    """
    code = validate_jurisdiction(jurisdiction)
    if not node_id or not all(c.isalnum() or c in "-_." for c in node_id) or len(node_id) > 64:
        raise NodeInitError(f"node id {node_id!r}: use 1-64 letters, digits, '-', '_' or '.'")
    existing = read_node_config(data_dir)
    if existing is not None:
        raise NodeInitError(
            f"{data_dir} already holds node {existing.node_id!r}; choose another directory"
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    key = Ed25519PrivateKey.generate()
    write_private_file(
        data_dir / PRIVATE_KEY_FILE,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    (data_dir / PUBLIC_KEY_FILE).write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    config = NodeConfig(
        node_id=node_id,
        jurisdiction=code,
        name=name or f"Accord node {node_id}",
        identity_id=f"identity--{uuid.uuid5(uuid.NAMESPACE_URL, 'accord-node:' + node_id)}",
        created=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    )
    write_node_config(data_dir, config)
    return config


def load_private_key(data_dir: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key((data_dir / PRIVATE_KEY_FILE).read_bytes(), None)
    if not isinstance(key, Ed25519PrivateKey):
        raise NodeInitError("node key is not Ed25519")
    return key


def node_identity_object(config: NodeConfig) -> dict[str, object]:
    """The node's STIX 2.1 ``identity`` (an organisation in its jurisdiction)."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": config.identity_id,
        "created": config.created,
        "modified": config.created,
        "name": config.name,
        "identity_class": "organization",
        "sectors": ["government-public-services"],
        "contact_information": f"Accord node {config.node_id}",
        "x_accord_node_id": config.node_id,
        "x_accord_jurisdiction": config.jurisdiction,
    }


def public_key_pem(data_dir: Path) -> str:
    return (data_dir / PUBLIC_KEY_FILE).read_text()
