"""Starting node processes on loopback: a free port, and waiting until ``accord serve``
answers. Used by ``accord demo``, the benchmarks and the tests that start real nodes."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request

__all__ = ["answers", "free_port", "wait_until_answering"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(url: str) -> bool:
    """Whether the node at ``url`` (ending in /) serves its login page."""
    try:
        with urllib.request.urlopen(url + "login/", timeout=2) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def wait_until_answering(
    url: str, proc: subprocess.Popen[bytes] | None = None, *, timeout: float = 60.0
) -> None:
    """Return once the node at ``url`` answers; raise when ``proc`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"accord serve exited with {proc.returncode}")
        if answers(url):
            return
        time.sleep(0.3)
    raise RuntimeError(f"accord serve did not answer within {timeout:.0f}s")
