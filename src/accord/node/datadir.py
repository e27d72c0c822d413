"""The node's data directory: where its configuration, keys and embedded database live.

Layout::

    DIR/node.json            node id, jurisdiction, name, STIX identity id (not secret)
    DIR/secret_key           Django signing key (mode 0600)
    DIR/node_ed25519.pem     the node's private key (mode 0600, never logged or served)
    DIR/node_ed25519.pub     the node's public key (PEM)
    DIR/accord.sqlite3       the embedded database, mode 0600 like its -wal and -shm files
                             (unless ACCORD_DATABASE_URL is set)
    DIR/uploads/             files waiting to be imported

The directory is created mode 0700: only the node's own account reads what it holds.
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
    "create_private_dir",
    "data_dir_from_env",
    "private_database_file",
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


def create_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) with mode 0700; an existing directory is left as
    it is (its owner chose its mode)."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.chmod(0o700)


def private_database_file(path: Path) -> None:
    """Make the SQLite database ``path`` readable by the node's account only: create it empty
    with mode 0600 when missing (SQLite gives its -wal and -shm files the database's mode), and
    take group and other permissions away from an existing one and its -wal and -shm files."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except PermissionError:
        return  # another account's directory: SQLite says so when it opens the database
    else:
        os.close(fd)
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = file.stat().st_mode & 0o777
            if mode & 0o077:
                file.chmod(mode & 0o700)
        except (FileNotFoundError, PermissionError):
            continue


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
    create_private_dir(data_dir)
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
