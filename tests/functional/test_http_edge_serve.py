"""The HTTP edge of a live ``accord serve``, driven over raw sockets: a body is refused before
it is read (401 without a usable credential, 413 on a declared length over the route's limit),
a chunked body as soon as it passes the limit, and a body that arrives too slowly with 408.

Each refusal is read from the socket *before* the body has been sent (or, for the chunked
stream, while the client is still sending): the node does not wait for the body to answer.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.nodes import NodeServer, accord_cli, free_port

pytestmark = pytest.mark.functional

TAXII = "application/taxii+json;version=2.1"
PROBLEM = "application/problem+json"
PASSWORD = "edge test password 7"
LIMIT = 256 * 1024  # the node's TAXII body limit in these tests
NODE_ENV = {
    "ACCORD_TAXII_MAX_CONTENT_LENGTH": str(LIMIT),
    "ACCORD_REQUEST_BODY_TIMEOUT": "3",
    "ACCORD_REQUEST_BODY_MIN_RATE": "20000",
    "ACCORD_REQUEST_BODY_GRACE": "1",
}


@pytest.fixture(scope="module")
def node(tmp_path_factory) -> Iterator[dict[str, object]]:
    data_dir: Path = tmp_path_factory.mktemp("edge") / "node"
    d = str(data_dir)
    accord_cli(data_dir, "init", "--data-dir", d, "--node-id", "node-edge", "--jurisdiction", "NL")
    added = accord_cli(data_dir, "user", "add", "--data-dir", d, "ana", "--role", "analyst",
                       "--agency", "ctu", "--password", PASSWORD, "--token")  # fmt: skip
    token = added.stdout.strip().splitlines()[-1]
    cid = accord_cli(data_dir, "taxii", "collection", "add", "--data-dir", d, "--title", "Edge",
                     "--alias", "edge").stdout.strip().splitlines()[-1]  # fmt: skip
    accord_cli(data_dir, "taxii", "grant", "--data-dir", d, "--collection", "edge", "--user",
               "ana", "--read", "--write")  # fmt: skip
    server = NodeServer(data_dir, free_port(), env=NODE_ENV)
    try:
        yield {
            "port": server.port,
            "token": token,
            "objects": f"/taxii2/accord/collections/{cid}/objects/",
            "log": data_dir / "serve.log",
        }
    finally:
        server.stop()


def _connect(node) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", node["port"]), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
    return sock


def _head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_response(sock: socket.socket, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """One HTTP response from ``sock`` (status, headers in lower case, body)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the response body"
        body += chunk
    return int(status_line.split()[1]), headers, body[:length]


def _closed_after(sock: socket.socket) -> bool:
    """Whether the node closes the connection after its answer (it does not wait for more)."""
    sock.settimeout(5)
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, TimeoutError):
        return False


def _refused_before_body(node, method, path, headers) -> tuple[int, dict[str, str], dict]:
    """Send the request head only (its body never follows) and read the answer."""
    with _connect(node) as sock:
        sock.sendall(_head(method, path, headers))
        started = time.monotonic()
        status, answer_headers, body = _read_response(sock)
        assert time.monotonic() - started < 5
        assert answer_headers.get("connection") == "close"
        assert _closed_after(sock)
    return status, answer_headers, json.loads(body)


def test_anonymous_post_with_a_huge_declared_body_is_401_before_the_body(node):
    status, headers, body = _refused_before_body(node, "POST", "/api/records", {
        "Content-Type": "application/json", "Content-Length": str(10**12),
    })  # fmt: skip
    assert status == 401
    assert headers["content-type"] == PROBLEM
    assert headers["www-authenticate"].startswith("Bearer")
    assert body["status"] == 401
    assert body["instance"] == "/api/records"
    status, headers, body = _refused_before_body(node, "POST", node["objects"], {
        "Content-Type": TAXII, "Accept": TAXII, "Content-Length": str(200 * 1024 * 1024),
    })  # fmt: skip
    assert status == 401
    assert headers["content-type"] == TAXII
    assert headers["www-authenticate"].startswith('Basic realm="Accord TAXII"')
    assert body["http_status"] == "401"


def test_anonymous_chunked_post_is_401_before_the_first_chunk(node):
    status, headers, body = _refused_before_body(node, "POST", node["objects"], {
        "Content-Type": TAXII, "Accept": TAXII, "Transfer-Encoding": "chunked",
    })  # fmt: skip
    assert status == 401
    assert headers["content-type"] == TAXII
    assert body["http_status"] == "401"


def test_unknown_token_is_401_before_the_body(node):
    for path, kind in (("/api/records", PROBLEM), (node["objects"], TAXII)):
        status, headers, _ = _refused_before_body(node, "POST", path, {
            "Authorization": "Bearer acc_not-a-token-of-this-node",
            "Content-Type": "application/json", "Content-Length": str(10**12),
        })  # fmt: skip
        assert status == 401
        assert headers["content-type"] == kind


def test_declared_length_over_the_limit_is_413_before_the_body(node):
    auth = {"Authorization": f"Bearer {node['token']}"}
    status, headers, body = _refused_before_body(node, "POST", node["objects"], {
        **auth, "Content-Type": TAXII, "Accept": TAXII, "Content-Length": str(10**12),
    })  # fmt: skip
    assert status == 413
    assert headers["content-type"] == TAXII
    assert str(LIMIT) in body["description"]
    status, headers, body = _refused_before_body(node, "POST", "/api/records", {
        **auth, "Content-Type": "application/json", "Content-Length": str(10**12),
    })  # fmt: skip
    assert status == 413
    assert headers["content-type"] == PROBLEM
    assert body["type"] == "urn:accord:problem:too-large"
    # Basic credentials are checked by the view, after the body: the limit still holds first.
    basic = "Basic YW5hOm5vdCB0aGUgcGFzc3dvcmQ="  # ana:not the password
    status, _, _ = _refused_before_body(node, "POST", node["objects"], {
        "Authorization": basic, "Content-Type": TAXII, "Content-Length": str(10**12),
    })  # fmt: skip
    assert status == 413


def test_chunked_body_is_413_as_soon_as_it_passes_the_limit(node):
    chunk = b"x" * 16384
    frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    with _connect(node) as sock:
        sock.sendall(_head("POST", node["objects"], {
            "Authorization": f"Bearer {node['token']}", "Content-Type": TAXII, "Accept": TAXII,
            "Transfer-Encoding": "chunked",
        }))  # fmt: skip
        sent = 0
        answered = None
        while sent < 256 * 1024 * 1024:  # the stream would go on far beyond the limit
            readable, writable, _ = select.select([sock], [sock], [], 5)
            if readable:
                answered = _read_response(sock)
                break
            assert writable, "the node neither answered nor read"
            try:
                sock.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                answered = _read_response(sock)
                break
            sent += len(chunk)
        assert answered is not None, "the node read 256 MiB without answering"
        status, headers, body = answered
    assert status == 413
    assert headers["content-type"] == TAXII
    assert json.loads(body)["http_status"] == "413"
    assert LIMIT < sent < LIMIT + 8 * 1024 * 1024, sent


def _slow_post(node, length: int, piece: int, pause: float) -> tuple[int, dict, float]:
    """Send a body of ``length`` bytes ``piece`` bytes at a time, ``pause`` s apart, until the
    node answers; the answer and the seconds it took."""
    with _connect(node) as sock:
        sock.sendall(_head("POST", node["objects"], {
            "Authorization": f"Bearer {node['token']}", "Content-Type": TAXII, "Accept": TAXII,
            "Content-Length": str(length),
        }))  # fmt: skip
        started = time.monotonic()
        sent = 0
        while sent < length:
            readable, _, _ = select.select([sock], [], [], pause)
            if readable:
                break
            try:
                sock.sendall(b" " * piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += piece
        status, _, body = _read_response(sock)
        return status, json.loads(body), time.monotonic() - started


def test_body_below_the_minimum_rate_is_408(node):
    # 400 bytes/s against a minimum of 20,000 after a 1 s grace: refused soon after the grace,
    # long before the 3 s deadline.
    status, body, took = _slow_post(node, LIMIT, 100, 0.25)
    assert status == 408
    assert body["http_status"] == "408"
    assert 0.8 < took < 2.8, took


def test_body_past_the_total_deadline_is_408(node):
    # 40,000 bytes/s keeps above the minimum rate, but the body does not end within 3 s.
    status, body, took = _slow_post(node, LIMIT, 4000, 0.1)
    assert status == 408
    assert "too slowly" in body["description"]
    assert 2.8 < took < 6, took


def test_a_good_request_goes_through_the_guard(node):
    obj = {
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
        "created": "2026-01-02T03:04:05.000Z", "modified": "2026-01-02T03:04:05.000Z",
        "name": "edge", "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix", "valid_from": "2026-01-02T03:04:05Z",
    }  # fmt: skip
    payload = json.dumps({"objects": [obj]}).encode()
    with _connect(node) as sock:
        sock.sendall(_head("POST", node["objects"], {
            "Authorization": f"Bearer {node['token']}", "Content-Type": TAXII, "Accept": TAXII,
            "Content-Length": str(len(payload)),
        }) + payload)  # fmt: skip
        status, _, body = _read_response(sock)
    assert status == 202, body
    assert json.loads(body)["success_count"] == 1
    assert "request refused by the request guard" in node["log"].read_text()
