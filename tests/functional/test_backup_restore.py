"""Backup and restore of a node, end to end, as docs/operations.md ("Backups") tells operators:
the database copied while it is in use (PostgreSQL: ``pg_dump --format=custom``; SQLite: the
online backup), the data directory's files beside it; then the node lost, and restored from
those two onto an empty database. The restored node has the same records, the same identity
and an audit trail that verifies, and serves searches."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from tests.nodes import accord_cli, node_env

pytestmark = pytest.mark.functional

BUNDLE = Path(__file__).resolve().parents[1] / "fixtures" / "stix" / "valid_bundle.json"
PURPOSE = "backup and restore test"


def _node_with_records(node: Path, *, sqlite: bool) -> None:
    accord_cli(node, "init", "--data-dir", str(node), "--node-id", "node-backup",
               "--jurisdiction", "NL", sqlite=sqlite)  # fmt: skip
    accord_cli(node, "import", "--data-dir", str(node), "--format", "stix", "--purpose", PURPOSE,
               str(BUNDLE), sqlite=sqlite)  # fmt: skip


def _state(node: Path, *, sqlite: bool) -> tuple[set[str], str]:
    """The ids of the records the node exports, and its public key."""
    args = ("export", "--data-dir", str(node), "--purpose", PURPOSE)
    bundle = json.loads(accord_cli(node, *args, sqlite=sqlite).stdout)
    key = accord_cli(node, "node", "pubkey", "--data-dir", str(node), sqlite=sqlite).stdout
    return {o["id"] for o in bundle["objects"]}, key


def _verified(node: Path, *, sqlite: bool) -> dict:
    done = accord_cli(node, "audit", "verify", "--data-dir", str(node), "--json", sqlite=sqlite)
    verdict: dict = json.loads(done.stdout)
    return verdict


def _screened(node: Path, tmp_path: Path, *, sqlite: bool) -> bool:
    """Whether screening on the node hits the bundle's listed person (its watchlist is rebuilt
    from the restored records)."""
    batch = tmp_path / "travellers.csv"
    batch.write_text(
        "id,first_name,middle_name,last_name,gender,date_of_birth,place_of_birth,nationality,"
        "document_number\np-1,Yusuf,,Al-Amin,M,1980-05-17,,FR,\n",
        "utf-8",
    )
    done = accord_cli(node, "screen", "--data-dir", str(node), "--format", "csv",
                      "--purpose", "counter-terrorism", str(batch), sqlite=sqlite)  # fmt: skip
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    return len(lines) == 1 and bool(lines[0]["hit"])


def _restored_copy(node: Path, backup: Path, restored: Path) -> None:
    """The data directory's files (keys, node.json, uploads) as a backup keeps them, without
    the database file, which is restored apart."""
    shutil.copytree(node, backup, ignore=shutil.ignore_patterns("accord.sqlite3*", "*.log"))
    shutil.copytree(backup, restored)


@pytest.mark.skipif(
    not os.environ.get("ACCORD_DATABASE_URL"),
    reason="PostgreSQL: runs in the suite's PostgreSQL pass (ACCORD_DATABASE_URL)",
)
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs the PostgreSQL client")
def test_a_node_on_postgresql_is_restored_from_pg_dump(tmp_path: Path) -> None:
    node, backup, restored = tmp_path / "node", tmp_path / "backup", tmp_path / "restored"
    _node_with_records(node, sqlite=False)
    records, key = _state(node, sqlite=False)
    assert len(records) >= 5
    dump = tmp_path / "node.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--file", str(dump),
         node_env(node)["ACCORD_DATABASE_URL"]],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    _restored_copy(node, backup, restored)
    # the node is lost: its backup restored onto a new, empty database
    empty = node_env(restored)["ACCORD_DATABASE_URL"]
    assert empty != node_env(node)["ACCORD_DATABASE_URL"]
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", empty, str(dump)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert _verified(restored, sqlite=False)["ok"] is True
    assert _state(restored, sqlite=False) == (records, key)
    assert _screened(restored, tmp_path, sqlite=False)


@pytest.mark.sqlite_nodes  # its node stays on SQLite: the PostgreSQL pass leaves it out
def test_a_node_on_sqlite_is_restored_from_the_online_backup(tmp_path: Path) -> None:
    node, backup, restored = tmp_path / "node", tmp_path / "backup", tmp_path / "restored"
    _node_with_records(node, sqlite=True)
    records, key = _state(node, sqlite=True)
    assert len(records) >= 5
    _restored_copy(node, backup, restored)
    # SQLite's online backup, as `sqlite3 DIR/accord.sqlite3 ".backup '/backup/...'"` runs it
    source = sqlite3.connect(node / "accord.sqlite3")
    target = sqlite3.connect(backup / "accord.sqlite3")
    with target:
        source.backup(target)
    source.close()
    target.close()
    shutil.copy2(backup / "accord.sqlite3", restored / "accord.sqlite3")
    os.chmod(restored / "accord.sqlite3", 0o600)
    assert _verified(restored, sqlite=True)["ok"] is True
    assert _state(restored, sqlite=True) == (records, key)
    assert _screened(restored, tmp_path, sqlite=True)
