"""The node's data directory: where its configuration, keys and embedded database live.

Layout::

    DIR/node.json            node id, jurisdiction, name, STIX identity id (not secret)
    DIR/secret_key           Django signing key (mode 0600)
    DIR/node_ed25519.pem     the node's private key (mode 0600, never logged or served)
    DIR/node_ed25519.pub     the node's public key (PEM)
    DIR/accord.sqlite3       the embedded database (unless ACCORD_DATABASE_URL is set)
    DIR/uploads/             files waiting to be imported
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = [
    "DataDirError",
    "NodeConfig",
    "data_dir_from_env",
    "read_node_config",
    "read_or_create_secret_key",
    "write_private_file",
]


class DataDirError(Exception):
    """The data directory is missing, incomplete or unsafe."""


@dataclass(frozen=True)
class NodeConfig:
    node_id: str
    jurisdiction: str
    name: str
    identity_id: str
    created: str


def data_dir_from_env(explicit: str | os.PathLike[str] | None = None) -> Path:
    value = explicit or os.environ.get("ACCORD_DATA_DIR")
    if not value:
        raise DataDirError("No data directory: pass --data-dir DIR or set ACCORD_DATA_DIR.")
    return Path(value).expanduser().resolve()


def write_private_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600, created that way (never world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(path, 0o600)


def read_or_create_secret_key(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    write_private_file(path, key.encode())
    return key


def read_node_config(data_dir: Path) -> NodeConfig | None:
    path = data_dir / "node.json"
    if not path.exists():
        return None
    raw = json.loads(path.read_text())
    return NodeConfig(**{k: raw[k] for k in NodeConfig.__dataclass_fields__})


def write_node_config(data_dir: Path, config: NodeConfig) -> None:
    (data_dir / "node.json").write_text(json.dumps(asdict(config), indent=2) + "\n")
