"""Interoperability: a live ``accord serve`` on loopback driven by the OASIS ``taxii2-client``
as an outside tool would, every returned object checked with ``stix2-validator``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

pytestmark = pytest.mark.functional

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "interop test password 7"
TAXII = "application/taxii+json;version=2.1"
OPTIONS = ValidationOptions(version="2.1", strict=False)

SEED = """
from accord.cli.main import setup_django
setup_django(None)
from accord.taxii.services import add_entries
from accord.taxii.models import Collection
from accord.intel.factories import synthetic_objects
from accord.intel.services import ingest_objects
objects = list(synthetic_objects(120, start=5000))
assert ingest_objects(None, objects, source="interop fixture").ok
add_entries(Collection.objects.get(alias="intel"), [(o["id"], o["modified"]) for o in objects])
"""


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "DJANGO_"))}
    env["ACCORD_DATA_DIR"] = str(data_dir)
    return env


def _accord(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "accord.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=180)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def node(tmp_path_factory) -> Iterator[dict[str, str]]:
    data_dir = tmp_path_factory.mktemp("taxii-node") / "node"
    env = _env(data_dir)
    d = str(data_dir)
    _accord("init", "--data-dir", d, "--node-id", "node-nl", "--jurisdiction", "NL", env=env)
    for name in ("analyst1", "reader1", "outsider1"):
        _accord("user", "add", "--data-dir", d, name, "--role", "analyst", "--agency", "ctu",
                "--password", PASSWORD, env=env)  # fmt: skip
    cid = _accord("taxii", "collection", "add", "--data-dir", d, "--title", "Intel",
                  "--alias", "intel", env=env).strip().splitlines()[-1]  # fmt: skip
    _accord("taxii", "grant", "--data-dir", d, "--collection", "intel", "--user", "analyst1",
            "--read", "--write", env=env)  # fmt: skip
    _accord("taxii", "grant", "--data-dir", d, "--collection", cid, "--user", "reader1",
            "--read", env=env)  # fmt: skip
    seeded = subprocess.run([sys.executable, "-c", SEED], env=env, capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert seeded.returncode == 0, seeded.stderr
    port = _free_port()
    log = open(data_dir / "serve.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "accord.cli.main", "serve", "--data-dir", d,
                             "--port", str(port), "--no-worker"],
                            env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}/taxii2/"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "accord serve exited"
            try:
                requests.get(url, timeout=2)
                break
            except (requests.ConnectionError, requests.Timeout):  # not up, or slow to answer
                assert time.monotonic() < deadline, "accord serve did not start"
                time.sleep(0.3)
        yield {"url": url, "collection": cid, "root": url + "accord/"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _valid(objects):
    assert objects
    for obj in objects:
        result = validate_instance(obj, OPTIONS)
        assert result.is_valid, [str(e) for e in result.errors]


def _collection(node, user="analyst1") -> Collection:
    url = f"{node['root']}collections/{node['collection']}/"
    return Collection(url, user=user, password=PASSWORD)


def test_discovery_api_root_and_collections(node):
    server = Server(node["url"], user="reader1", password=PASSWORD)
    assert server.title
    assert server.default.url == node["root"]
    assert [r.url for r in server.api_roots] == [node["root"]]
    root = ApiRoot(node["root"], user="reader1", password=PASSWORD)
    assert root.versions == [TAXII]
    assert root.max_content_length == 10 * 1024 * 1024
    (coll,) = root.collections
    assert coll.id == node["collection"]
    assert coll.can_read is True
    assert coll.can_write is False
    assert coll.media_types == ["application/stix+json;version=2.1"]
    outsider = ApiRoot(node["root"], user="outsider1", password=PASSWORD)
    assert outsider.collections == []


def test_add_objects_and_status(node):
    from accord.intel.factories import person_object, synthetic_objects

    objects = list(synthetic_objects(30, start=9000))
    bad = {**person_object(9999), "identity_class": 42}
    status = _collection(node).add_objects(
        {"objects": [*objects, bad]}, wait_for_completion=True, poll_interval=0.2
    )
    assert status.status == "complete"
    assert status.total_count == 31
    assert status.success_count == 30
    assert status.failure_count == 1
    assert status.failures[0]["id"] == bad["id"]
    assert status.pending_count == 0
    status.refresh()
    assert status.success_count == 30
    got = _collection(node).get_objects(id=",".join(o["id"] for o in objects[:3]))
    assert {o["id"] for o in got["objects"]} == {o["id"] for o in objects[:3]}
    _valid(got["objects"])


def test_get_objects_with_every_filter(node):
    coll = _collection(node)
    everything = coll.get_objects()
    _valid(everything["objects"])
    assert set(everything) <= {"more", "next", "objects"}
    assert all(isinstance(o, dict) for o in everything["objects"])
    indicators = coll.get_objects(type="indicator")["objects"]
    assert indicators
    assert {o["type"] for o in indicators} == {"indicator"}
    _valid(indicators)
    two = coll.get_objects(type="indicator,relationship")["objects"]
    assert {o["type"] for o in two} == {"indicator", "relationship"}
    one = everything["objects"][0]
    assert [o["id"] for o in coll.get_objects(id=one["id"])["objects"]] == [one["id"]]
    assert "objects" not in coll.get_objects(id=one["id"], type="no-such-type")
    assert coll.get_objects(version="all")["objects"]
    assert coll.get_objects(version="first")["objects"]
    assert coll.get_objects(version=one["modified"], id=one["id"])["objects"][0] == one
    assert coll.get_objects(spec_version="2.1")["objects"]
    future = coll.get_objects(added_after="2999-01-01T00:00:00Z")
    assert "objects" not in future
    assert future["more"] is False


def test_pagination_with_as_pages(node):
    coll = _collection(node, "reader1")
    seen: list[str] = []
    pages = 0
    for envelope in as_pages(coll.get_objects, per_request=25):
        pages += 1
        assert len(envelope.get("objects", [])) <= 25
        _valid(envelope.get("objects", []))
        seen.extend(o["id"] for o in envelope.get("objects", []))
    assert pages >= 4
    assert len(seen) == len(set(seen))
    total = coll.get_objects(limit=1000)["objects"]
    assert sorted(seen) == sorted(o["id"] for o in total)
    manifest_ids: list[str] = []
    for envelope in as_pages(coll.get_manifest, per_request=40):
        manifest_ids.extend(r["id"] for r in envelope.get("objects", []))
    assert sorted(manifest_ids) == sorted(seen)


def test_object_versions_and_manifest(node):
    from accord.intel.factories import person_object

    coll = _collection(node)
    v1 = person_object(7777, modified="2026-01-02T03:04:05.000Z")
    v2 = person_object(7777, modified="2026-05-02T03:04:05.000Z")
    coll.add_objects({"objects": [v1]}, poll_interval=0.2)
    coll.add_objects({"objects": [v2]}, poll_interval=0.2)
    got = coll.get_object(v1["id"])
    assert [o["modified"] for o in got["objects"]] == [v2["modified"]]
    _valid(got["objects"])
    every = coll.get_object(v1["id"], version="all")["objects"]
    assert sorted(o["modified"] for o in every) == [v1["modified"], v2["modified"]]
    versions = coll.object_versions(v1["id"])
    assert versions["versions"] == [v1["modified"], v2["modified"]]
    manifest = coll.get_manifest(id=v1["id"], version="all")
    rows = manifest["objects"]
    assert sorted(r["version"] for r in rows) == [v1["modified"], v2["modified"]]
    for row in rows:
        assert set(row) == {"id", "date_added", "version", "media_type"}
        assert row["media_type"] == "application/stix+json;version=2.1"


def test_delete_object(node):
    from accord.intel.factories import person_object

    coll = _collection(node)
    obj = person_object(8888)
    coll.add_objects({"objects": [obj]}, poll_interval=0.2)
    assert coll.get_object(obj["id"])["objects"] == [obj]
    coll.delete_object(obj["id"])
    with pytest.raises(requests.HTTPError) as info:
        coll.get_object(obj["id"])
    assert info.value.response.status_code == 404
    assert info.value.response.headers["Content-Type"] == TAXII
    error = info.value.response.json()
    assert error["http_status"] == "404"
    # The client refuses to try (can_write is false); the server refuses too.
    url = f"{node['root']}collections/{node['collection']}/objects/{obj['id']}/"
    denied = requests.delete(url, auth=("reader1", PASSWORD), headers={"Accept": TAXII}, timeout=10)
    assert denied.status_code == 403


def test_raw_http_errors(node):
    url = f"{node['root']}collections/{node['collection']}/objects/"
    anonymous = requests.get(url, headers={"Accept": TAXII}, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith('Basic realm="Accord TAXII"')
    auth = ("analyst1", PASSWORD)
    assert (
        requests.get(url, headers={"Accept": "text/html"}, auth=auth, timeout=10).status_code == 406
    )
    headers = {"Accept": TAXII, "Content-Type": "application/json"}
    wrong = requests.post(url, data=b'{"objects": []}', auth=auth, headers=headers, timeout=10)
    assert wrong.status_code == 415
    assert wrong.headers["Content-Type"] == TAXII
