"""``accord serve`` refuses a data directory that holds no node."""

from __future__ import annotations

import os
import subprocess
import sys


def test_serve_refuses_a_directory_without_node_json(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    done = subprocess.run(
        [sys.executable, "-m", "accord.cli.main", "serve", "--data-dir", str(tmp_path / "none"),
         "--port", "1"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "run accord init first" in done.stderr
