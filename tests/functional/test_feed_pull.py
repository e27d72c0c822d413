"""Two real nodes on loopback: node B serves a TAXII 2.1 collection (``accord serve``), node A
pulls it with ``accord feed pull``: a first full pull, a second that asks only for newer
objects (``added_after``), and a pull interrupted between pages (a page limit, then node B
stopped) that resumes without duplicates. Objects on A equal those on B (canonical JSON) and
carry the feed's provenance."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from tests.nodes import NodeServer, accord_cli, free_port, process_env

from accord.engine.stix.canonical import canonical_json
from accord.engine.stix.markings import summarise_markings
from accord.intel.factories import synthetic_objects

pytestmark = [pytest.mark.functional, pytest.mark.slow, pytest.mark.sqlite_nodes]

REPO = Path(__file__).resolve().parents[2]
TAXII = "application/taxii+json;version=2.1"
READER_PASSWORD = "reader password for node a 7"
WRITER_PASSWORD = "writer password on node b 7"

DUMP = """
import json, sys
from accord.cli.main import setup_django
setup_django(None)
from accord.intel.models import Record, RecordVersion
pulled = Record.objects.filter(versions__source__startswith="feed:").distinct()
out = {"records": {r.stix_id: r.data for r in Record.objects.all()},
       "pulled": sorted(pulled.values_list("stix_id", flat=True)),
       "origins": sorted(set(pulled.values_list("origin_node", flat=True))),
       "sources": sorted(set(RecordVersion.objects.filter(record__in=pulled)
                             .values_list("source", flat=True))),
       "versions": RecordVersion.objects.filter(record__in=pulled).count()}
print(json.dumps(out))
"""


def _env(data_dir: Path) -> dict[str, str]:
    return process_env(data_dir, sqlite=True)  # these nodes stay on SQLite


def _accord(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return accord_cli(data_dir, *args, check=check, sqlite=True)


_free_port = free_port


class Server(NodeServer):
    def __init__(self, data_dir: Path, port: int, *, worker: bool = False) -> None:
        super().__init__(data_dir, port, worker=worker, sqlite=True)


def _post(server: Server, collection: str, objects: list[dict]) -> None:
    """Add objects to B's collection over TAXII 2.1 (section 5.5), as B's writer."""
    token = base64.b64encode(f"writer:{WRITER_PASSWORD}".encode()).decode()
    request = urllib.request.Request(
        f"{server.url}taxii2/accord/collections/{collection}/objects/",
        data=json.dumps({"objects": objects}).encode(),
        headers={"Authorization": f"Basic {token}", "Content-Type": TAXII, "Accept": TAXII},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        status = json.loads(response.read())
    assert status["success_count"] == len(objects), status


def _dump(data_dir: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", DUMP], env=_env(data_dir), capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _pull(node_a: Path, *extra: str, check: bool = True) -> tuple[dict, str]:
    done = _accord(node_a, "feed", "pull", "node-b", "--json", *extra, check=check)
    return json.loads(done.stdout), done.stderr


def test_node_a_pulls_node_b_incrementally_and_resumes(tmp_path):
    node_a, node_b = tmp_path / "a", tmp_path / "b"
    _accord(
        node_b, "init", "--data-dir", str(node_b), "--node-id", "node-b", "--jurisdiction", "NL"
    )
    _accord(
        node_a, "init", "--data-dir", str(node_a), "--node-id", "node-a", "--jurisdiction", "DE"
    )
    for name, password in (("reader", READER_PASSWORD), ("writer", WRITER_PASSWORD)):
        _accord(node_b, "user", "add", "--data-dir", str(node_b), name, "--role", "analyst",
                "--password", password)  # fmt: skip
    collection = _accord(node_b, "taxii", "collection", "add", "--data-dir", str(node_b),
                         "--title", "Shared with A", "--alias", "for-a").stdout.strip()  # fmt: skip
    _accord(node_b, "taxii", "grant", "--data-dir", str(node_b), "--collection", collection,
            "--user", "reader", "--read")  # fmt: skip
    _accord(node_b, "taxii", "grant", "--data-dir", str(node_b), "--collection", collection,
            "--user", "writer", "--read", "--write")  # fmt: skip

    # What B's reader may see (TLP:CLEAR, GREEN, AMBER), and what it may not (TLP:RED).
    tlp = {o["id"]: summarise_markings(o, {}).tlp for o in synthetic_objects(90)}
    objects = [o for o in synthetic_objects(90) if tlp[o["id"]] in ("clear", "green", "amber")]
    hidden = [o for o in synthetic_objects(90) if tlp[o["id"]] == "red"][:3]
    objects = objects[:60]
    assert len(objects) == 60
    port = _free_port()
    server = Server(node_b, port)
    try:
        _post(server, collection, objects[:23] + hidden)
        secret_file = tmp_path / "password"
        secret_file.write_text(READER_PASSWORD + "\n")
        _accord(node_a, "feed", "add", "--data-dir", str(node_a), "node-b",
                "--url", f"{server.url}taxii2/", "--collection", collection, "--user", "reader",
                "--password-file", str(secret_file), "--page-size", "10",
                "--origin", "node-b")  # fmt: skip
        listed = _accord(node_a, "feed", "list", "--json").stdout
        assert READER_PASSWORD not in listed and json.loads(listed)[0]["secret_set"] is True

        # 1. The first pull: three pages, progress on stderr.
        first, progress = _pull(node_a)
        assert first["status"] == "done", first
        assert (first["pages"], first["received"], first["stored"]) == (3, 23, 23)
        assert progress.count("feed node-b: page") == 4 and "23 objects received" in progress

        # 2. The second pull asks added_after the cursor: only the newer objects come.
        _post(server, collection, objects[23:28])
        second, _ = _pull(node_a)
        assert second["cursor_before"] == first["cursor_after"]
        assert (second["status"], second["received"], second["stored"], second["unchanged"]) == (
            "done", 5, 5, 0)  # fmt: skip

        # 3. Interrupted: a page limit, then node B stops between pages; the pulls resume.
        _post(server, collection, objects[28:60])
        limited, _ = _pull(node_a, "--max-pages", "1")
        assert (limited["status"], limited["stored"]) == ("partial", 10)
    finally:
        server.stop()
    down, _ = _pull(node_a, check=False)
    assert down["status"] == "failed" and "cannot connect" in down["error"], down
    assert down["cursor_after"] == limited["cursor_after"]

    server = Server(node_b, port)
    try:
        resumed, _ = _pull(node_a)
        # From one microsecond before the cursor: the last stored object again, then the rest.
        assert (resumed["status"], resumed["stored"], resumed["unchanged"]) == ("done", 22, 1)
        again, _ = _pull(node_a)
        assert (again["received"], again["stored"]) == (0, 0)

        # 4. The schedule: node A's worker pulls a due feed by itself.
        _accord(node_a, "feed", "add", "--data-dir", str(node_a), "scheduled",
                "--url", f"{server.url}taxii2/", "--collection", collection, "--user", "reader",
                "--password-file", str(secret_file), "--interval", "1")  # fmt: skip
        server_a = Server(node_a, _free_port(), worker=True)
        try:
            deadline = time.monotonic() + 90
            runs: list[dict] = []
            while time.monotonic() < deadline:
                runs = json.loads(_accord(node_a, "feed", "runs", "scheduled", "--json").stdout)
                if runs and runs[0]["status"] in ("done", "failed"):
                    break
                time.sleep(1)
            assert runs and runs[0]["status"] == "done", runs
            assert runs[0]["trigger"] == "schedule" and runs[0]["unchanged"] == 60
        finally:
            server_a.stop()
    finally:
        server.stop()

    a, b = _dump(node_a), _dump(node_b)
    assert set(a["pulled"]) == {o["id"] for o in objects}  # nothing B's reader may not see
    assert not {o["id"] for o in hidden} & set(a["records"])
    assert a["versions"] == len(objects)  # no duplicate versions
    for obj in objects:
        assert canonical_json(json.loads(a["records"][obj["id"]])) == canonical_json(
            json.loads(b["records"][obj["id"]])) == canonical_json(obj)  # fmt: skip
    assert a["sources"] == ["feed:node-b"] and a["origins"] == ["node-b"]
    runs = json.loads(_accord(node_a, "feed", "runs", "node-b", "--json").stdout)
    assert [r["status"] for r in runs] == ["done", "done", "failed", "partial", "done", "done"]
    log = (node_a / "serve.log") if (node_a / "serve.log").exists() else None
    assert log is None or READER_PASSWORD not in log.read_text()
    verify = _accord(node_a, "audit", "verify", "--data-dir", str(node_a))
    assert verify.returncode == 0
