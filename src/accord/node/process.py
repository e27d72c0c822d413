"""Starting node processes on loopback: a free port, and waiting until ``accord serve``
answers. Used by ``accord demo``, the benchmarks and the tests that start real nodes. And
:func:`exit_with_parent`, which ties a server process of ``accord serve --workers N`` to it."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

__all__ = ["answers", "exit_reason", "exit_with_parent", "free_port", "wait_until_answering"]

_PR_SET_PDEATHSIG = 1  # prctl(2), Linux


def exit_reason(code: int) -> str:
    """How a child process ended, from its return code, for a log line: ``exit status 1``,
    ``killed by SIGKILL`` (a negative code is the signal that ended it)."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def exit_with_parent(parent: int) -> None:
    """End this process (SIGKILL) as soon as its parent, process ``parent``, is gone, however
    the parent ended: a server process of ``accord serve --workers N`` must not keep the port
    and the database once ``accord serve`` was killed, as one process would not. On Linux the
    kernel sends the signal (``PR_SET_PDEATHSIG``); elsewhere a thread checks every half
    second."""
    armed = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:  # gone already, before the signal was asked for
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch, args=(parent,), name="accord-parent", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


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
