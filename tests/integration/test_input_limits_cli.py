"""The command line under the input limits: ``accord screen`` of JSON lines nested too deeply or
of an empty file, and a data directory whose files only the node's own account can read."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from tests.integration.test_screening_service import HADDAD, PUBLIC
from tests.nodes import node_env

from accord.intel.services import ingest_objects
from accord.screening.models import Screening
from accord.screening.watchlist import watchlist

DEEP = b"[" * 200_000 + b"]" * 200_000


@pytest.fixture
def watchlist_stored(node_identity):
    watchlist.invalidate()
    assert ingest_objects(None, [HADDAD, PUBLIC], source="test").ok
    yield
    watchlist.invalidate()


def screen(monkeypatch, *files: Path) -> int:
    from accord.cli import main as cli_main
    from accord.cli import screen as cli_screen

    monkeypatch.setattr(cli_screen, "setup_django", lambda data_dir: None)
    return cli_main.main(["screen", "--format", "json", *map(str, files)])


@pytest.mark.django_db
def test_screen_json_lines_nested_too_deeply_report_the_row(
    monkeypatch, capsys, tmp_path, watchlist_stored
):
    people = tmp_path / "people.jsonl"
    people.write_bytes(b'{"full_name": "Mohammed al-Haddad"}\n' + DEEP + b"\n")
    code = screen(monkeypatch, people)
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["row"] for x in lines] == [1, 2]
    assert "too deeply" in lines[1]["error"] and "64 levels" in lines[1]["error"]
    assert "Traceback" not in err and "RecursionError" not in err


@pytest.mark.django_db
def test_screen_of_an_empty_json_file_is_refused_and_nothing_stored(
    monkeypatch, capsys, tmp_path, watchlist_stored
):
    empty, blank = tmp_path / "empty.jsonl", tmp_path / "blank.jsonl"
    empty.write_bytes(b"")
    blank.write_bytes(b"\n  \n")
    code = screen(monkeypatch, empty, blank)
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert "empty.jsonl: refused: it holds no one to screen" in err
    assert "blank.jsonl: refused: it holds no one to screen" in err
    assert Screening.objects.count() == 0


@pytest.mark.slow
def test_init_creates_a_data_directory_only_the_node_can_read(tmp_path):
    data_dir = tmp_path / "node-p"
    result = subprocess.run(
        [sys.executable, "-m", "accord.cli.main", "init", "--data-dir", str(data_dir),
         "--node-id", "node-p", "--jurisdiction", "NL"],
        capture_output=True, text=True, env=node_env(data_dir, sqlite=True), timeout=300,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    database = data_dir / "accord.sqlite3"
    assert database.is_file()
    private = [database, data_dir / "secret_key", data_dir / "node_ed25519.pem"]
    private += list(data_dir.glob("accord.sqlite3-*"))  # the WAL and its index
    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
