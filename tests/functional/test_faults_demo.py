"""``accord demo`` (five nodes on loopback) when one node dies: the others keep serving, the
dead node is reported and started again on its port, and Ctrl-C (SIGINT) still stops every
node process the demo started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from accord.node.process import answers

pytestmark = [pytest.mark.functional, pytest.mark.slow]


def _children(pid: int) -> dict[str, int]:
    """The demo's ``accord serve`` children: node id -> pid (from /proc)."""
    out: dict[str, int] = {}
    for path in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in path.read_text().split():
            try:
                args = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in args:
                data_dir = args[args.index(b"--data-dir") + 1].decode()
                out[Path(data_dir).name] = int(child)
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "X"


def _until(check, timeout: float, what: str, demo=None, lines=()) -> None:
    """Wait for ``check()``; fail after ``timeout`` or as soon as ``demo`` has exited."""
    deadline = time.monotonic() + timeout
    while not check():
        tail = "".join(list(lines)[-15:])
        assert demo is None or demo.poll() is None, f"the demo exited waiting for {what}:\n{tail}"
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.5)


def test_one_node_dies_the_others_keep_serving_and_ctrl_c_stops_all(tmp_path):
    from accord.cli.demo_federation.nodes import free_port_block

    port = free_port_block(5)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "DJANGO_"))}
    demo = subprocess.Popen(
        [sys.executable, "-m", "accord.cli.main", "demo", "--persons", "1", "--data-dir",
         str(tmp_path / "fed"), "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    out = demo.stdout
    assert out is not None

    def read() -> None:
        for line in out:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    urls = {f"node-{c}": f"http://127.0.0.1:{port + i}/" for i, c in enumerate("abcde")}
    started: dict[str, int] = {}
    try:
        _until(lambda: any("Press Ctrl-C" in line for line in lines), 900, "the federation",
               demo, lines)  # fmt: skip
        started = _children(demo.pid)
        assert sorted(started) == sorted(urls), started
        os.kill(started["node-b"], signal.SIGKILL)
        _until(lambda: any("node-b stopped (killed by SIGKILL)" in line for line in lines), 30,
               "the demo to report node-b", demo, lines)  # fmt: skip
        _until(lambda: _children(demo.pid).get("node-b", started["node-b"]) != started["node-b"]
               and answers(urls["node-b"]), 180, "node-b to serve again", demo, lines)  # fmt: skip
        assert demo.poll() is None, "".join(lines[-20:])
        now = _children(demo.pid)
        for node in ("node-a", "node-c", "node-d", "node-e"):
            assert now[node] == started[node], f"{node} was stopped or restarted"
            assert answers(urls[node]), f"{node} stopped serving"
        started = now
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=120)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
        reader.join(timeout=10)
    assert demo.returncode == 0, "".join(lines[-20:])
    assert any("Stopping the nodes" in line for line in lines)
    _until(lambda: not any(_alive(pid) for pid in started.values()), 30, "every node to stop")
