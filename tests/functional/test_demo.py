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


def test_demo_serves_until_interrupted(tmp_path):
    """``make demo``'s command as a person runs it: it sets the node up, serves it (with its
    worker) until Ctrl+C, and then stops cleanly."""
    import signal
    import urllib.request

    from accord.node.process import free_port, wait_until_answering

    port = free_port()
    command = [sys.executable, "-m", "accord.cli.main", "demo", "--nodes", "1", "--persons",
               "100", "--port", str(port), "--data-dir", str(tmp_path / "demo-node")]  # fmt: skip
    proc = subprocess.Popen(
        command, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/", proc, timeout=300)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/") as answer:
            assert answer.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode in (0, 130, -signal.SIGINT), out[-4000:]
    assert "Traceback" not in out, out[-4000:]
