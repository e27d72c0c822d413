"""``accord init`` and ``accord user add``: a real data directory, real processes, real output."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from tests.nodes import node_env

from accord.cli.main import main

pytestmark = pytest.mark.slow


def accord(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``accord`` command in a fresh process, with no data directory inherited (and,
    on PostgreSQL, a database of its own per data directory)."""
    data_dir = args[args.index("--data-dir") + 1] if "--data-dir" in args else None
    env = node_env(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "accord.cli.main", *args],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip


def _key_body(pem: str) -> list[str]:
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


@pytest.fixture(scope="module")
def node(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    data_dir = tmp_path_factory.mktemp("node") / "node-a"
    result = accord(
        "init", "--data-dir", str(data_dir), "--node-id", "node-a", "--jurisdiction", "de",
        "--name", "Bundeskriminalamt",
    )  # fmt: skip
    return data_dir, result


def test_init_creates_the_node(node):
    data_dir, result = node
    assert result.returncode == 0, result.stderr
    config = json.loads((data_dir / "node.json").read_text())
    assert config["node_id"] == "node-a"
    assert config["jurisdiction"] == "DE"
    assert config["name"] == "Bundeskriminalamt"
    assert config["identity_id"].startswith("identity--")
    if not os.environ.get("ACCORD_DATABASE_URL"):  # on PostgreSQL the node has no file
        assert (data_dir / "accord.sqlite3").is_file()
    assert "node-a" in result.stdout and config["identity_id"] in result.stdout


def test_private_key_is_0600_and_never_printed(node):
    data_dir, result = node
    key = data_dir / "node_ed25519.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((data_dir / "secret_key").stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    pem = key.read_text()
    assert "PRIVATE KEY" in pem
    output = result.stdout + result.stderr
    assert "PRIVATE KEY" not in output
    for line in _key_body(pem):
        assert line not in output
    assert (data_dir / "secret_key").read_text() not in output
    public = (data_dir / "node_ed25519.pub").read_text()
    assert public.startswith("-----BEGIN PUBLIC KEY-----")


def test_reinit_of_an_existing_node_is_refused(node):
    data_dir, _ = node
    before = (data_dir / "node_ed25519.pem").read_bytes()
    result = accord("init", "--data-dir", str(data_dir), "--node-id", "x", "--jurisdiction", "FR")
    assert result.returncode == 2
    assert "already holds node 'node-a'" in result.stderr
    assert (data_dir / "node_ed25519.pem").read_bytes() == before
    assert json.loads((data_dir / "node.json").read_text())["jurisdiction"] == "DE"


@pytest.mark.parametrize("code", ["XX", "Germany", "", "D"])
def test_invalid_jurisdiction_is_refused_clearly(tmp_path, code):
    result = accord(
        "init", "--data-dir", str(tmp_path / "n"), "--node-id", "n", "--jurisdiction", code
    )
    assert result.returncode == 2
    assert "ISO 3166-1 alpha-2" in result.stderr
    assert repr(code) in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "n" / "node.json").exists()


@pytest.mark.parametrize("code", ["EU", "INTERPOL"])
def test_multilateral_jurisdiction_is_accepted(tmp_path, code):
    result = accord(
        "init",
        "--data-dir",
        str(tmp_path / "n"),
        "--node-id",
        "hub",
        "--jurisdiction",
        code.lower(),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "n" / "node.json").read_text())["jurisdiction"] == code


def test_invalid_node_id_is_refused(tmp_path):
    result = accord(
        "init", "--data-dir", str(tmp_path / "n"), "--node-id", "a b/c", "--jurisdiction", "DE"
    )
    assert result.returncode == 2
    assert "node id" in result.stderr


def test_user_add_in_a_real_node_then_list(node):
    data_dir, _ = node
    added = accord(
        "user", "add", "--data-dir", str(data_dir), "ana", "--role", "analyst",
        "--password", "correct horse battery 9",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "correct horse" not in added.stdout + added.stderr
    listed = accord("user", "list", "--data-dir", str(data_dir))
    assert "ana\tanalyst" in listed.stdout


# --- in-process, against the test database ------------------------------------------------


@pytest.fixture
def cli(db, monkeypatch, tmp_path, capsys):
    """``main([...])`` in this process (its Django is the test database's)."""
    monkeypatch.setenv("ACCORD_DATA_DIR", os.environ["ACCORD_DATA_DIR"])  # restored afterwards

    def run(*args: str) -> tuple[int, str, str]:
        rc = main(list(args))
        out = capsys.readouterr()
        return rc, out.out, out.err

    return run


def test_user_add_token_works_against_the_api(cli, tmp_path):
    rc, out, err = cli("user", "add", "--data-dir", str(tmp_path), "bob", "--role", "analyst",
                       "--token")  # fmt: skip
    assert rc == 0, err
    token = out.strip().splitlines()[-1]
    assert token.startswith("acc_")
    ok = Client().get("/api/records", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    refused = Client().get("/api/records", headers={"Authorization": f"Bearer {token}x"})
    assert refused.status_code == 401


def test_weak_password_is_refused_with_djangos_messages(cli, tmp_path):
    from accord.accounts.models import User

    rc, _out, err = cli("user", "add", "--data-dir", str(tmp_path), "carol", "--role", "analyst",
                       "--password", "password")  # fmt: skip
    assert rc == 2
    assert "This password is too short. It must contain at least 12 characters." in err
    assert "This password is too common." in err
    rc, _, err = cli("user", "add", "--data-dir", str(tmp_path), "carolinesmith", "--role",
                     "analyst", "--password", "carolinesmith1")  # fmt: skip
    assert rc == 2
    assert "The password is too similar to the username." in err
    assert not User.objects.filter(username__startswith="carol").exists()


def test_duplicate_user_and_unknown_role_are_refused(cli, tmp_path):
    assert (
        cli("user", "add", "--data-dir", str(tmp_path), "dan", "--role", "admin", "--token")[0] == 0
    )
    rc, _, err = cli(
        "user", "add", "--data-dir", str(tmp_path), "dan", "--role", "admin", "--token"
    )
    assert rc == 2 and "already exists" in err
    with pytest.raises(SystemExit):
        main(["user", "add", "--data-dir", str(tmp_path), "eve", "--role", "king"])
