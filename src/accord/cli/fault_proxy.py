"""A TCP proxy on loopback that the faults benchmark puts between two nodes, to cut the link,
drop answers and replay requests (``accord bench faults``).

It passes bytes through unchanged (the nodes' signatures cover the requests end to end) and,
on command:

- ``cut()``: a partition: connections in progress are reset and new ones refused (accepted
  and reset at once), until ``open()``;
- ``drop_answers(n)``: the next ``n`` answers are swallowed: the request reaches the node,
  which stores what it carries, but the connection is reset before the answer gets back, as
  when a link fails after the request was sent;
- ``replay(n)``: the requests of the next ``n`` connections are sent again, each on a new
  connection, once the client has closed its own: captured requests replayed later. What the
  node answers to each replay is kept (``replay_answers``: the HTTP status and the body's
  start).

Standard library only (threads and sockets); no Django.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from dataclasses import dataclass, field

__all__ = ["LoopbackProxy", "ReplayAnswer"]


@dataclass(frozen=True)
class ReplayAnswer:
    """A node's answer to a replayed request: its HTTP status (0: none) and body's start."""

    status: int
    text: str


@dataclass
class _Connection:
    client: socket.socket
    upstream: socket.socket | None = None
    recorded: bytearray | None = None
    closed: threading.Event = field(default_factory=threading.Event)


def _reset(sock: socket.socket | None) -> None:
    """End ``sock`` at once, as a link that fails does: shut down (which also wakes a thread
    blocked reading it), then closed with a TCP reset (SO_LINGER 0)."""
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


def _requests(data: bytes) -> list[bytes]:
    """The HTTP/1.1 requests in ``data`` (bodies by Content-Length), each one whole."""
    out: list[bytes] = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length" and value.strip().isdigit():
                length = int(value.strip())
        out.append(head + sep + rest[:length])
        data = rest[length:]
    return out


def _read_answer(sock: socket.socket) -> bytes:
    """One HTTP answer from ``sock``: its head and its Content-Length body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


class LoopbackProxy:
    """Listens on 127.0.0.1 (``port``) and forwards to 127.0.0.1:``target``."""

    def __init__(self, target: int) -> None:
        self.target = target
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self._lock = threading.Lock()
        self._connections: list[_Connection] = []
        self._cut = False
        self._drops = 0
        self._replays = 0
        self.dropped = 0
        self.replay_answers: list[ReplayAnswer] = []
        self._closing = False
        self._thread = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)
        self._thread.start()

    # -- commands ------------------------------------------------------------------------------

    def cut(self) -> None:
        """Partition: reset what is open, refuse what comes, until :meth:`open`."""
        with self._lock:
            self._cut = True
            connections, self._connections = self._connections, []
        for conn in connections:
            _reset(conn.client)
            _reset(conn.upstream)

    def open(self) -> None:
        with self._lock:
            self._cut = False

    def drop_answers(self, count: int) -> None:
        with self._lock:
            self._drops = count

    def replay(self, count: int) -> None:
        with self._lock:
            self._replays = count

    @property
    def pending(self) -> tuple[int, int]:
        """(answers still to drop, connections still to replay)."""
        with self._lock:
            return self._drops, self._replays

    def close(self) -> None:
        self._closing = True
        self.cut()
        with contextlib.suppress(OSError):
            self._server.close()

    # -- plumbing ------------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                refused = self._cut
                record = self._replays > 0
                if record:
                    self._replays -= 1
            if refused:
                _reset(client)
                continue
            conn = _Connection(client, recorded=bytearray() if record else None)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: _Connection) -> None:
        try:
            conn.upstream = socket.create_connection(("127.0.0.1", self.target), timeout=10)
            conn.upstream.settimeout(None)
        except OSError:
            _reset(conn.client)  # the node is down: the client sees the connection fail
            return
        with self._lock:
            self._connections.append(conn)
        back = threading.Thread(target=self._answers, args=(conn,), daemon=True)
        back.start()
        try:
            while True:
                data = conn.client.recv(65536)
                if not data:
                    break
                if conn.recorded is not None:
                    conn.recorded.extend(data)
                conn.upstream.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.upstream.shutdown(socket.SHUT_WR)
            back.join(timeout=30)
            self._forget(conn)
            _reset(conn.upstream)
            with contextlib.suppress(OSError):
                conn.client.close()
        if conn.recorded:
            self._replay(bytes(conn.recorded))

    def _answers(self, conn: _Connection) -> None:
        upstream = conn.upstream
        assert upstream is not None
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                with self._lock:
                    drop = self._drops > 0
                    if drop:
                        self._drops -= 1
                        self.dropped += 1
                if drop:
                    _reset(conn.client)
                    _reset(upstream)
                    return
                conn.client.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.client.shutdown(socket.SHUT_WR)

    def _forget(self, conn: _Connection) -> None:
        with self._lock:
            if conn in self._connections:
                self._connections.remove(conn)

    def _replay(self, data: bytes) -> None:
        """Send each request in ``data`` again, each on a new connection; keep the answers."""
        for request in _requests(data):
            answer = b""
            target = ("127.0.0.1", self.target)
            with contextlib.suppress(OSError), socket.create_connection(target, 30) as sock:
                sock.sendall(request)
                answer = _read_answer(sock)
            head, _, body = answer.partition(b"\r\n\r\n")
            parts = head.split(b" ", 2)
            status = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0
            text = body[:300].decode("utf-8", "replace")
            with self._lock:
                self.replay_answers.append(ReplayAnswer(status, text))
