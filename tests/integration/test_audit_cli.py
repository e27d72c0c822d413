"""``accord audit verify`` on a real data directory, before and after someone edits the file."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from tests.nodes import node_env

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_nodes]  # the SQLite file of a node


def accord(*args: str) -> subprocess.CompletedProcess[str]:
    # These tests edit the SQLite file itself, so the node stays on SQLite.
    env = node_env(sqlite=True)
    return subprocess.run(
        [sys.executable, "-m", "accord.cli.main", *args],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture
def node(tmp_path) -> Path:
    data_dir = tmp_path / "node"
    result = accord("init", "--data-dir", str(data_dir), "--node-id", "b", "--jurisdiction", "NL")
    assert result.returncode == 0, result.stderr
    added = accord(
        "user", "add", "--data-dir", str(data_dir), "ana", "--role", "analyst", "--token"
    )
    assert added.returncode == 0, added.stderr
    return data_dir


def _db(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(data_dir / "accord.sqlite3", isolation_level=None)


def _count(data_dir: Path) -> int:
    with _db(data_dir) as conn:
        return conn.execute("SELECT COUNT(*) FROM oversight_auditevent").fetchone()[0]


def test_intact_trail_exits_0(node):
    entries = _count(node)
    assert entries >= 3  # node.init, record.import, user.add, token.create
    result = accord("audit", "verify", "--data-dir", str(node))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"audit trail intact: {entries} entries, head ")
    as_json = json.loads(accord("audit", "verify", "--data-dir", str(node), "--json").stdout)
    assert as_json["ok"] is True and as_json["entries"] == entries
    assert len(as_json["head"]) == 64 and as_json["head"] in result.stdout


def test_the_file_refuses_plain_edits(node):
    conn = _db(node)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE oversight_auditevent SET actor = 'mallory' WHERE seq = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM oversight_auditevent")
    conn.close()
    assert accord("audit", "verify", "--data-dir", str(node)).returncode == 0


def test_edited_file_exits_1_naming_the_entry(node):
    conn = _db(node)
    conn.execute("DROP TRIGGER oversight_auditevent_no_update")
    conn.execute("UPDATE oversight_auditevent SET outcome = 'denied' WHERE seq = 2")
    conn.close()
    result = accord("audit", "verify", "--data-dir", str(node))
    assert result.returncode == 1
    assert "entry 2" in result.stdout and "altered" in result.stdout
    as_json = json.loads(accord("audit", "verify", "--data-dir", str(node), "--json").stdout)
    assert as_json["ok"] is False and as_json["first_bad"] == 2 and as_json["entries"] == 1


def test_truncated_file_exits_1(node):
    entries = _count(node)
    conn = _db(node)
    conn.execute("DROP TRIGGER oversight_auditevent_no_delete")
    conn.execute("DELETE FROM oversight_auditevent WHERE seq = ?", (entries,))
    conn.close()
    result = accord("audit", "verify", "--data-dir", str(node))
    assert result.returncode == 1
    assert f"entry {entries}" in result.stdout and "deleted" in result.stdout


def test_not_a_node_exits_2(tmp_path):
    result = accord("audit", "verify", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "not an Accord node" in result.stderr
