"""``accord demo --nodes 1 --check``: a fresh node with synthetic data, served and driven over
HTTP (the five-node federation is tested in ``test_demo_federation.py``)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.functional, pytest.mark.slow]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # The test process points these at its own throw-away node; the demo makes its own.
    for name in ("ACCORD_DATA_DIR", "ACCORD_TASKS_BACKEND", "ACCORD_DATABASE_URL"):
        env.pop(name, None)
    return env


def test_demo_check_passes(tmp_path):
    data_dir = tmp_path / "demo-node"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "accord.cli.main",
            "demo",
            "--nodes",
            "1",
            "--check",
            "--persons",
            "300",
            "--data-dir",
            str(data_dir),
        ],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    for check in (
        "login page sets a CSRF cookie",
        "analyst logs in",
        "record search finds",
        "API search with a token",
        "API import of a STIX bundle",
    ):
        assert f"✓ {check}" in result.stdout, out[-4000:]
    assert "✗" not in result.stdout
    assert "Importing synthetic data: 100%" in result.stdout
    assert (data_dir / "node.json").is_file()


def test_demo_refuses_a_directory_that_holds_a_node(tmp_path):
    data_dir = tmp_path / "node"
    data_dir.mkdir()
    (data_dir / "node.json").write_text("{}")
    result = subprocess.run(
        [sys.executable, "-m", "accord.cli.main", "demo", "--check", "--data-dir", str(data_dir)],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "already holds a node" in result.stderr
