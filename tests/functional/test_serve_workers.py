"""``accord serve --workers N`` (or ``ACCORD_WEB_WORKERS``): N server processes answer on the one
port, the task worker beside them, and they end with ``accord serve``, whether it is stopped
(SIGTERM) or killed (SIGKILL): none is left holding the port or the database."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest
from tests.nodes import NodeServer, accord_cli, free_port

pytestmark = [pytest.mark.functional, pytest.mark.slow]


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the children of process ``pid``."""
    out = []
    for path in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in path.read_text().split():
            try:
                cmd = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            out.append((int(child), cmd))
    return out


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie has ended


def _gone(pids: list[int], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except OSError:
        return 0


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("workers") / "node"
    accord_cli(data_dir, "init", "--data-dir", str(data_dir), "--node-id", "node-w",
               "--jurisdiction", "NL")  # fmt: skip
    return data_dir


def test_n_server_processes_answer_beside_the_worker_and_stop_with_serve(data_dir: Path) -> None:
    server = NodeServer(data_dir, free_port(), worker=True, env={"ACCORD_WEB_WORKERS": "2"})
    try:
        children = _children(server.proc.pid)
        web = [pid for pid, cmd in children if "multiprocessing.spawn" in cmd]
        assert len(web) == 2, children
        assert any("worker_main" in cmd for _, cmd in children), children
        assert all(_status(server.url + "login/") == 200 for _ in range(20))
    finally:
        server.stop()
    assert server.proc.returncode == 0
    assert _gone(web)


def test_server_processes_end_when_serve_is_killed(data_dir: Path) -> None:
    port = free_port()
    server = NodeServer(data_dir, port, env={"ACCORD_WEB_WORKERS": "2"})
    web = [pid for pid, cmd in _children(server.proc.pid) if "multiprocessing.spawn" in cmd]
    assert len(web) == 2
    server.proc.kill()
    server.proc.wait()
    server.log.close()
    assert _gone(web, timeout=5), "a server process outlived accord serve"
    assert _status(server.url + "login/") == 0
    again = NodeServer(data_dir, port)  # the port is free again
    try:
        assert _status(again.url + "login/") == 200
    finally:
        again.stop()
