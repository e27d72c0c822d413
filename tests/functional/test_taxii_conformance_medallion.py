"""The OASIS reference TAXII server's backend test suite, replayed against a live node.

The reference server is medallion (github ``oasis-open/cti-taxii-server``); its backend suite
(``medallion/test/test_backends.py``) holds 80 cases (78 functions, one with three
parameters). :data:`CASES` lists every one of them, by the reference's name, as data: whether it
applies to an Accord node, applies with an Accord-specific expectation (``ADAPTED``, the reason
says which and why), or does not apply (``NOT_APPLICABLE``, with the design reason). Each case
that applies is issued here as HTTP requests against a real ``accord serve`` on loopback, with
this module's own fixture data (:data:`DATA`: five objects, seven versions, added to the
collection in a known order, as the reference's own data has them), and must pass.

The fixture mirrors the shape of the reference data: a relationship, two indicators (one with
three versions), a course of action and a malware in a read-write collection; a collection for
the cases that add and delete; a write-only collection (the reference's "forbidden" collection:
in Accord a collection the user has no permission on at all is not disclosed, so 403 is what a
user granted write but not read gets); a read-only collection; one the user is not granted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from tests.nodes import NodeServer, accord_cli, free_port, run_python

pytestmark = pytest.mark.functional

TAXII = "application/taxii+json;version=2.1"
PASSWORD = "replay test password 9"
USER = "analyst1"

APPLIES = "applies"
ADAPTED = "adapted"
NOT_APPLICABLE = "does not apply"

_STIX20 = (
    "needs STIX 2.0 content: the node stores STIX 2.1 only (a 2.0 object is refused per object, "
    "see docs/taxii.md), so no 2.0 version exists to select, count or delete"
)
_CONFIG = (
    "tests medallion's own configuration file handling; an Accord node is configured by its "
    "data directory and ACCORD_* settings (docs/configuration.md), tested elsewhere"
)


@dataclass(frozen=True)
class Case:
    """One case of the reference suite: its name there, whether it applies, and why not or how
    it is adapted."""

    name: str
    status: str = APPLIES
    reason: str = ""


CASES: tuple[Case, ...] = (
    Case("test_server_discovery"),
    Case("test_get_api_root_information"),
    Case("test_get_status", ADAPTED,
         "the reference reads a seeded status with pending objects; Accord completes an "
         "envelope inside its POST, so the status of a POST with one success and one failure "
         "is read: successes and failures present, pendings absent (never pending, and "
         "section 2 forbids an empty list)"),
    Case("test_get_collections", ADAPTED,
         "the reference lists 5 collections, one without read or write permission; Accord does "
         "not disclose a collection the user has no permission on (section 5.1), so the 4 "
         "granted ones are listed and the fifth is not"),
    Case("test_get_objects"),
    Case("test_get_object"),
    Case("test_add_and_delete_object"),
    Case("test_get_object_manifests"),
    Case("test_get_version"),
    Case("test_get_objects_added_after"),
    Case("test_get_objects_limit"),
    Case("test_get_objects_id"),
    Case("test_get_objects_type"),
    Case("test_objects_version_match_specific_date"),
    Case("test_objects_version_match_first"),
    Case("test_objects_version_match_last"),
    Case("test_objects_version_match_all"),
    Case("test_get_objects_spec_version_20", NOT_APPLICABLE, _STIX20),
    Case("test_get_objects_spec_version_21_20"),
    Case("test_get_objects_spec_version_21"),
    Case("test_get_objects_spec_version_default"),
    Case("test_get_object_added_after_case1"),
    Case("test_get_object_added_after_case2"),
    Case("test_get_object_limit"),
    Case("test_get_object_version_single[specific]"),
    Case("test_get_object_version_single[first]"),
    Case("test_get_object_version_single[last]"),
    Case("test_get_object_version_match_all"),
    Case("test_get_object_spec_version_20", NOT_APPLICABLE, _STIX20),
    Case("test_get_object_spec_version_21"),
    Case("test_get_object_spec_version_2021", NOT_APPLICABLE,
         "expects the object's STIX 2.0 version to be its latest: " + _STIX20),
    Case("test_get_object_spec_version_default"),
    Case("test_get_manifest_added_after"),
    Case("test_get_manifest_limit"),
    Case("test_get_manifest_id"),
    Case("test_get_manifest_type"),
    Case("test_get_manifest_version_specific"),
    Case("test_get_manifest_version_first"),
    Case("test_get_manifest_version_last"),
    Case("test_get_manifest_version_all"),
    Case("test_manifest_spec_version_20", NOT_APPLICABLE, _STIX20),
    Case("test_manifest_spec_version_21"),
    Case("test_manifest_spec_version_2021", NOT_APPLICABLE,
         "expects the object's STIX 2.0 version in the manifest: " + _STIX20),
    Case("test_manifest_spec_version_default"),
    Case("test_get_version_added_after"),
    Case("test_get_version_limit"),
    Case("test_get_version_spec_version_20", NOT_APPLICABLE, _STIX20),
    Case("test_get_version_spec_version_21"),
    Case("test_get_version_spec_version_2021", NOT_APPLICABLE,
         "expects a 2.0 and a 2.1 version of one object: " + _STIX20),
    Case("test_get_version_spec_version_default"),
    Case("test_delete_objects_version"),
    Case("test_delete_objects_spec_version", NOT_APPLICABLE,
         "adds and deletes a STIX 2.0 version: " + _STIX20),
    Case("test_SCO_versioning"),
    Case("test_get_api_root_information_not_existent"),
    Case("test_get_collection_not_existent"),
    Case("test_get_collections_401"),
    Case("test_get_collections_404"),
    Case("test_get_collection_404"),
    Case("test_get_status_401"),
    Case("test_get_status_404"),
    Case("test_get_object_manifest_401"),
    Case("test_get_object_manifest_403", ADAPTED,
         "the reference's collection has neither read nor write permission; Accord answers "
         "that with 404 (not disclosed) and 403 to a user granted write but not read, which is "
         "what is asked here"),
    Case("test_get_object_manifest_404"),
    Case("test_get_object_401"),
    Case("test_get_object_403", ADAPTED,
         "as test_get_object_manifest_403: a write-only grant, not a collection without any"),
    Case("test_get_object_404"),
    Case("test_get_or_add_objects_401"),
    Case("test_get_or_add_objects_404"),
    Case("test_get_or_add_objects_422"),
    Case("test_object_pagination_bad_limit_value_400"),
    Case("test_object_pagination_changing_params_400"),
    Case("test_no_config", NOT_APPLICABLE, _CONFIG),
    Case("test_default_taxii_no_taxii_section", NOT_APPLICABLE, _CONFIG),
    Case("test_default_userpass_no_auth_section", NOT_APPLICABLE,
         "medallion's default user:pass when no users are configured; an Accord node has no "
         "default credentials and no anonymous access"),
    Case("test_default_backend_no_backend_section", NOT_APPLICABLE, _CONFIG),
    Case("test_object_already_present", ADAPTED,
         "the reference also sends a copy without 'modified', which STIX 2.1 section 3.2 "
         "requires of a relationship (Accord refuses it, per object); the case's point is kept: "
         "objects already stored, sent again, are successes and the status has no failures"),
    Case("test_save_to_file", NOT_APPLICABLE,
         "medallion's memory backend writing itself to a JSON file; Accord stores in its "
         "database (backups: docs/operations.md)"),
    Case("test_status_cleanup", NOT_APPLICABLE,
         "medallion's backend thread that drops statuses after a retention period; an Accord "
         "status is a database row kept with the node's records"),
    Case("test_get_objects_match_type_version"),
    Case("test_get_objects_match_type_spec_version", NOT_APPLICABLE,
         "adds a STIX 2.0 indicator: " + _STIX20),
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Fixture data: ids and times of this module's own (no personal data; no markings).

REL = "relationship--0b6a2e8e-5b2f-4d8f-9a41-3f0a9d1c2e11"
IND1 = "indicator--4c1d7a39-9e3b-4c55-8f2d-6a0e1b7c9d22"
IND2 = "indicator--7e2f9b18-2d4c-4a66-b3e1-8c5d0f6a1b33"
COA = "course-of-action--9a3c5d71-6e8f-4b22-a1d4-2f7b8c9e0d44"
MAL = "malware--1f8e4b26-3c7d-4e99-8a5b-6d2c0e9f7a55"
IND2_VERSIONS = ("2024-05-01T08:00:00.000Z", "2024-06-15T12:30:00.250Z", "2024-09-30T18:45:10.500Z")


def _indicator(sid: str, created: str, modified: str, name: str) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": sid, "created": created,
            "modified": modified, "name": name, "pattern_type": "stix", "valid_from": created,
            "pattern": "[ipv4-addr:value = '203.0.113.9']"}  # fmt: skip


def _versions_of_ind2() -> list[dict[str, Any]]:
    return [_indicator(IND2, IND2_VERSIONS[0], v, f"beacon v{i}")
            for i, v in enumerate(IND2_VERSIONS, 1)]  # fmt: skip


#: The versions in the order they enter the collection (each one its own step, so that each
#: has its own, later, date added): as in the reference data, the latest version of IND2 is the
#: last one added.
DATA: tuple[dict[str, Any], ...] = (
    {"type": "relationship", "spec_version": "2.1", "id": REL, "relationship_type": "indicates",
     "created": "2024-02-01T09:00:00.000Z", "modified": "2024-02-01T09:00:00.000Z",
     "source_ref": IND1, "target_ref": MAL},
    _indicator(IND1, "2024-03-01T10:00:00.000Z", "2024-03-01T10:00:00.000Z", "dropper"),
    _versions_of_ind2()[0],
    _versions_of_ind2()[1],
    {"type": "course-of-action", "spec_version": "2.1", "id": COA, "name": "block",
     "created": "2024-07-01T00:00:00.000Z", "modified": "2024-07-01T00:00:00.000Z"},
    {"type": "malware", "spec_version": "2.1", "id": MAL, "name": "loader", "is_family": False,
     "created": "2024-08-01T11:11:11.111Z", "modified": "2024-08-01T11:11:11.111Z"},
    _versions_of_ind2()[2],
)  # fmt: skip

SEED = """
import json, sys
from accord.cli.main import setup_django
setup_django(None)
from accord.accounts.models import User
from accord.taxii.models import Collection
from accord.taxii.services import add_entries
from accord.intel.services import ingest_objects
user = User.objects.get(username=sys.argv[1])
collection = Collection.objects.get(alias="hv")
for obj in json.loads(sys.stdin.read()):
    report = ingest_objects(user, [obj], source="medallion replay fixture")
    assert report.ok, report.refused
    add_entries(collection, [(obj["id"], obj["modified"])])
"""


@dataclass
class Node:
    """The live node: its TAXII root URL, collection URLs and the fixture's dates added."""

    root: str
    collections: dict[str, str]
    ids: dict[str, str]
    added: dict[tuple[str, str], str]  # (id, version) -> date added, as the manifest gives it

    def url(self, collection: str, rest: str = "") -> str:
        return f"{self.collections[collection]}{rest}"

    def get(self, url: str, params: dict[str, str] | None = None, *, auth: bool = True,
            headers: dict[str, str] | None = None) -> requests.Response:  # fmt: skip
        return requests.get(url, params=params, auth=(USER, PASSWORD) if auth else None,
                            headers={"Accept": TAXII, **(headers or {})}, timeout=30)  # fmt: skip

    def post(self, url: str, body: Any, *, auth: bool = True) -> requests.Response:
        return requests.post(url, data=json.dumps(body).encode(), timeout=30,
                             auth=(USER, PASSWORD) if auth else None,
                             headers={"Accept": TAXII, "Content-Type": TAXII})  # fmt: skip

    def delete(self, url: str, params: dict[str, str] | None = None) -> requests.Response:
        return requests.delete(url, params=params, auth=(USER, PASSWORD),
                               headers={"Accept": TAXII}, timeout=30)  # fmt: skip


@pytest.fixture(scope="module")
def node(tmp_path_factory) -> Iterator[Node]:
    data_dir: Path = tmp_path_factory.mktemp("medallion-replay") / "node"
    d = str(data_dir)
    accord_cli(data_dir, "init", "--data-dir", d, "--node-id", "node-nl", "--jurisdiction", "NL")
    accord_cli(data_dir, "user", "add", "--data-dir", d, USER, "--role", "analyst", "--agency",
               "ctu", "--password", PASSWORD)  # fmt: skip
    ids = {}
    grants = {"hv": ["--read", "--write"], "add": ["--read", "--write"], "wo": ["--write"],
              "ro": ["--read"], "hidden": []}  # fmt: skip
    for alias, flags in grants.items():
        done = accord_cli(data_dir, "taxii", "collection", "add", "--data-dir", d, "--title",
                          f"Replay {alias}", "--alias", alias)  # fmt: skip
        ids[alias] = done.stdout.strip().splitlines()[-1]
        if flags:
            accord_cli(data_dir, "taxii", "grant", "--data-dir", d, "--collection", alias,
                       "--user", USER, *flags)  # fmt: skip
    run_python(data_dir, SEED, USER, stdin=json.dumps(list(DATA)))
    server = NodeServer(data_dir, free_port())
    try:
        root = f"{server.url}taxii2/accord/"
        collections = {a: f"{root}collections/{cid}/" for a, cid in ids.items()}
        replay = Node(root, collections, ids, {})
        rows = replay.get(replay.url("hv", "manifest/"), {"match[version]": "all"}).json()
        replay.added = {(r["id"], r["version"]): r["date_added"] for r in rows["objects"]}
        assert len(replay.added) == 7
        yield replay
    finally:
        server.stop()


# --------------------------------------------------------------------------------------------
# The cases that apply, by the reference's name.


def _ok(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["Content-Type"] == TAXII
    return response.json() if response.content else None


def _error(response: requests.Response, status: int) -> dict[str, Any]:
    body = _ok(response, status)
    assert body["http_status"] == str(status)
    assert body["title"]
    return body


def _ids(envelope: dict[str, Any]) -> list[str]:
    return [o["id"] for o in envelope.get("objects", [])]


def _empty(body: dict[str, Any]) -> None:
    """An empty envelope or versions resource: no list, and ``more`` false or absent."""
    assert "objects" not in body
    assert "versions" not in body
    assert body.get("more", False) is False


def _added(n: Node, sid: str, version: str) -> str:
    return n.added[(sid, version)]


def _dates(response: requests.Response) -> tuple[str, str]:
    return (response.headers["X-TAXII-Date-Added-First"],
            response.headers["X-TAXII-Date-Added-Last"])  # fmt: skip


def _objects(n: Node, params: dict[str, str] | None = None) -> dict[str, Any]:
    body = _ok(n.get(n.url("hv", "objects/"), params))
    assert body["more"] is False
    return body


def _manifest(n: Node, params: dict[str, str] | None = None) -> dict[str, Any]:
    body = _ok(n.get(n.url("hv", "manifest/"), params))
    assert body["more"] is False
    return body


LATEST_ORDER = [REL, IND1, COA, MAL, IND2]  # by date added of each object's latest version
REL_V, IND1_V, COA_V, MAL_V = (DATA[0]["modified"], DATA[1]["modified"], DATA[4]["modified"],
                               DATA[5]["modified"])  # fmt: skip


def server_discovery(n: Node) -> None:
    body = _ok(n.get(n.root.rsplit("accord/", 1)[0]))
    assert body["api_roots"][0] == n.root


def get_api_root_information(n: Node) -> None:
    assert _ok(n.get(n.root))["title"] == "Accord records"


def get_status(n: Node) -> None:
    good = {"type": "course-of-action", "spec_version": "2.1", "name": "status case",
            "id": f"course-of-action--{uuid.uuid4()}", "created": "2025-01-01T00:00:00.000Z",
            "modified": "2025-01-01T00:00:00.000Z"}  # fmt: skip
    bad = {**good, "id": f"course-of-action--{uuid.uuid4()}", "created": "not a time"}
    posted = _ok(n.post(n.url("add", "objects/"), {"objects": [good, bad]}), 202)
    status = _ok(n.get(f"{n.root}status/{posted['id']}", headers={}))
    assert "successes" in status
    assert "failures" in status
    assert "pendings" not in status
    assert status["pending_count"] == 0


def get_collections(n: Node) -> None:
    listed = sorted(c["id"] for c in _ok(n.get(f"{n.root}collections/"))["collections"])
    assert listed == sorted(n.ids[a] for a in ("hv", "add", "wo", "ro"))


def get_objects(n: Node) -> None:
    response = n.get(n.url("hv", "objects/"))
    body = _ok(response)
    assert body["more"] is False
    assert _ids(body) == LATEST_ORDER
    assert _dates(response) == (_added(n, REL, REL_V), _added(n, IND2, IND2_VERSIONS[2]))


def get_object(n: Node) -> None:
    response = n.get(n.url("hv", f"objects/{MAL}/"))
    assert _ids(_ok(response)) == [MAL]
    assert _dates(response) == (_added(n, MAL, MAL_V),) * 2


def add_and_delete_object(n: Node) -> None:
    sid = f"course-of-action--{uuid.uuid4()}"
    when = "2025-01-27T13:49:53.935Z"
    obj = {"type": "course-of-action", "spec_version": "2.1", "id": sid, "name": "Test object",
           "created": when, "modified": when}  # fmt: skip
    objects = n.url("add", "objects/")
    status = _ok(n.post(objects, {"objects": [obj]}), 202)
    assert sid in _ids(_ok(n.get(objects)))
    assert _ids(_ok(n.get(objects, {"match[id]": sid})))[0] == sid
    assert _ok(n.get(f"{n.root}status/{status['id']}/"))["success_count"] == 1
    rows = _ok(n.get(n.url("add", "manifest/"), {"match[id]": sid}))["objects"]
    assert [r["id"] for r in rows] == [sid]
    _ok(n.delete(objects + sid))  # no final slash, as the reference sends it
    _error(n.get(objects + sid), 404)
    _error(n.get(n.url("add", "manifest/") + sid), 404)  # no such resource


def get_object_manifests(n: Node) -> None:
    response = n.get(n.url("hv", "manifest/"))
    rows = _ok(response)["objects"]
    assert len(rows) == 5
    assert _dates(response) == (_added(n, REL, REL_V), _added(n, IND2, IND2_VERSIONS[2]))
    assert [r["date_added"] for r in rows] == sorted(r["date_added"] for r in rows)
    assert len({r["date_added"] for r in rows}) == 5


def get_version(n: Node) -> None:
    response = n.get(n.url("hv", f"objects/{REL}/versions"))
    assert _ok(response)["versions"] == [REL_V]
    assert _dates(response) == (_added(n, REL, REL_V),) * 2


def get_objects_added_after(n: Node) -> None:
    body = _objects(n, {"added_after": _added(n, IND2, IND2_VERSIONS[0])})
    assert _ids(body) == [COA, MAL, IND2]


def get_objects_limit(n: Node) -> None:
    first = n.get(n.url("hv", "objects/"), {"limit": "3"})
    body = _ok(first)
    assert body["more"] is True
    assert _ids(body) == [REL, IND1, COA]
    assert _dates(first) == (_added(n, REL, REL_V), _added(n, COA, COA_V))
    second = n.get(n.url("hv", "objects/"), {"limit": "3", "next": body["next"]})
    body = _ok(second)
    assert body["more"] is False
    assert _ids(body) == [MAL, IND2]
    assert _dates(second) == (_added(n, MAL, MAL_V), _added(n, IND2, IND2_VERSIONS[2]))


def get_objects_id(n: Node) -> None:
    assert _ids(_objects(n, {"match[id]": MAL})) == [MAL]


def get_objects_type(n: Node) -> None:
    body = _objects(n, {"match[type]": "indicator"})
    assert sorted(_ids(body)) == sorted([IND1, IND2])
    assert {o["type"] for o in body["objects"]} == {"indicator"}


def _modified(body: dict[str, Any], sid: str) -> list[str]:
    return [o["modified"] for o in body["objects"] if o["id"] == sid]


def objects_version_match_specific_date(n: Node) -> None:
    body = _objects(n, {"match[version]": IND2_VERSIONS[1]})
    assert _ids(body) == [IND2]
    assert _modified(body, IND2) == [IND2_VERSIONS[1]]


def objects_version_match_first(n: Node) -> None:
    body = _objects(n, {"match[version]": "first"})
    assert _modified(body, IND2) == [IND2_VERSIONS[0]]
    assert _modified(body, MAL) == [MAL_V]


def objects_version_match_last(n: Node) -> None:
    body = _objects(n, {"match[version]": "last"})
    assert _modified(body, IND2) == [IND2_VERSIONS[2]]


def objects_version_match_all(n: Node) -> None:
    assert len(_objects(n, {"match[version]": "all"})["objects"]) == 7


def get_objects_spec_version_21_20(n: Node) -> None:
    assert _ids(_objects(n, {"match[spec_version]": "2.0,2.1"})) == LATEST_ORDER


def get_objects_spec_version_21(n: Node) -> None:
    body = _objects(n, {"match[spec_version]": "2.1"})
    assert _ids(body) == LATEST_ORDER
    assert {o["spec_version"] for o in body["objects"]} == {"2.1"}


def get_objects_spec_version_default(n: Node) -> None:
    body = _objects(n)
    assert len(body["objects"]) == 5
    assert {o["spec_version"] for o in body["objects"]} == {"2.1"}


def get_object_added_after_case1(n: Node) -> None:
    # Added after the object's only version: the object is held, the filter excludes it.
    later = _added(n, IND2, IND2_VERSIONS[2])
    _empty(_ok(n.get(n.url("hv", f"objects/{MAL}"), {"added_after": later})))


def get_object_added_after_case2(n: Node) -> None:
    body = _ok(n.get(n.url("hv", f"objects/{MAL}"), {"added_after": _added(n, COA, COA_V)}))
    assert body["more"] is False
    assert _ids(body) == [MAL]


def get_object_limit(n: Node) -> None:
    one = n.url("hv", f"objects/{IND2}")
    response = n.get(one, {"limit": "1"})
    body = _ok(response)
    assert body["more"] is False
    assert _modified(body, IND2) == [IND2_VERSIONS[2]]
    assert _dates(response) == (_added(n, IND2, IND2_VERSIONS[2]),) * 2
    response = n.get(one, {"match[version]": "all", "limit": "2"})
    body = _ok(response)
    assert body["more"] is True
    assert _modified(body, IND2) == list(IND2_VERSIONS[:2])
    assert _dates(response) == tuple(_added(n, IND2, v) for v in IND2_VERSIONS[:2])
    response = n.get(one, {"match[version]": "all", "limit": "2", "next": body["next"]})
    body = _ok(response)
    assert body["more"] is False
    assert _modified(body, IND2) == [IND2_VERSIONS[2]]
    assert _dates(response) == (_added(n, IND2, IND2_VERSIONS[2]),) * 2


def _object_version_single(match: str, expected: str) -> Callable[[Node], None]:
    def case(n: Node) -> None:
        body = _ok(n.get(n.url("hv", f"objects/{IND2}"), {"match[version]": match}))
        assert body["more"] is False
        assert _modified(body, IND2) == [expected]

    return case


def get_object_version_match_all(n: Node) -> None:
    body = _ok(n.get(n.url("hv", f"objects/{IND2}"), {"match[version]": "all"}))
    assert body["more"] is False
    assert len(body["objects"]) == 3


def get_object_spec_version_21(n: Node) -> None:
    body = _ok(n.get(n.url("hv", f"objects/{MAL}"), {"match[spec_version]": "2.1"}))
    assert [o["spec_version"] for o in body["objects"]] == ["2.1"]


def get_object_spec_version_default(n: Node) -> None:
    body = _ok(n.get(n.url("hv", f"objects/{MAL}")))
    assert body["more"] is False
    assert [o["spec_version"] for o in body["objects"]] == ["2.1"]


def get_manifest_added_after(n: Node) -> None:
    rows = _manifest(n, {"added_after": _added(n, COA, COA_V)})["objects"]
    assert [r["id"] for r in rows] == [MAL, IND2]


def get_manifest_limit(n: Node) -> None:
    seen: list[str] = []
    params = {"limit": "2"}
    for more, count in ((True, 2), (True, 2), (False, 1)):
        response = n.get(n.url("hv", "manifest/"), params)
        body = _ok(response)
        assert body["more"] is more
        assert len(body["objects"]) == count
        assert _dates(response) == (body["objects"][0]["date_added"],
                                    body["objects"][-1]["date_added"])  # fmt: skip
        seen += [r["id"] for r in body["objects"]]
        params = {"limit": "2", "next": body.get("next", "")}
    assert seen == LATEST_ORDER


def get_manifest_id(n: Node) -> None:
    rows = _manifest(n, {"match[id]": MAL})["objects"]
    assert [r["id"] for r in rows] == [MAL]


def get_manifest_type(n: Node) -> None:
    rows = _manifest(n, {"match[type]": "indicator"})["objects"]
    assert sorted(r["id"] for r in rows) == sorted([IND1, IND2])


def get_manifest_version_specific(n: Node) -> None:
    rows = _manifest(n, {"match[version]": IND2_VERSIONS[1]})["objects"]
    assert [(r["id"], r["version"]) for r in rows] == [(IND2, IND2_VERSIONS[1])]


def _manifest_version_of_ind2(n: Node, match: str) -> str:
    rows = _manifest(n, {"match[version]": match})["objects"]
    assert len(rows) == 5
    (version,) = [r["version"] for r in rows if r["id"] == IND2]
    return str(version)


def get_manifest_version_first(n: Node) -> None:
    assert _manifest_version_of_ind2(n, "first") == IND2_VERSIONS[0]


def get_manifest_version_last(n: Node) -> None:
    assert _manifest_version_of_ind2(n, "last") == IND2_VERSIONS[2]


def get_manifest_version_all(n: Node) -> None:
    assert len(_manifest(n, {"match[version]": "all"})["objects"]) == 7


def manifest_spec_version_21(n: Node) -> None:
    rows = _manifest(n, {"match[spec_version]": "2.1"})["objects"]
    assert len(rows) == 5
    assert {r["media_type"] for r in rows} == {"application/stix+json;version=2.1"}


def manifest_spec_version_default(n: Node) -> None:
    rows = _manifest(n)["objects"]
    assert len(rows) == 5
    assert {r["media_type"] for r in rows} == {"application/stix+json;version=2.1"}


def get_version_added_after(n: Node) -> None:
    versions = n.url("hv", f"objects/{REL}/versions")
    _empty(_ok(n.get(versions, {"added_after": _added(n, REL, REL_V)})))
    body = _ok(n.get(versions, {"added_after": "2000-01-01T00:00:00Z"}))
    assert body["more"] is False
    assert body["versions"] == [REL_V]


def get_version_limit(n: Node) -> None:
    versions = n.url("hv", f"objects/{IND2}/versions")
    params = {"limit": "1"}
    for i, version in enumerate(IND2_VERSIONS):
        response = n.get(versions, params)
        body = _ok(response)
        assert body["more"] is (i < 2)
        assert body["versions"] == [version]
        assert _dates(response) == (_added(n, IND2, version),) * 2
        params = {"limit": "1", "next": body.get("next", "")}


def get_version_spec_version_21(n: Node) -> None:
    body = _ok(n.get(n.url("hv", f"objects/{MAL}/versions"), {"match[spec_version]": "2.1"}))
    assert body["more"] is False
    assert body["versions"] == [MAL_V]


def get_version_spec_version_default(n: Node) -> None:
    body = _ok(n.get(n.url("hv", f"objects/{MAL}/versions")))
    assert body["more"] is False
    assert body["versions"] == [MAL_V]


def delete_objects_version(n: Node) -> None:
    sid = f"course-of-action--{uuid.uuid4()}"
    stamps = [f"{year}-01-27T13:49:53.935Z" for year in range(2021, 2026)]
    versions = [{"type": "course-of-action", "spec_version": "2.1", "id": sid, "name": "coa",
                 "created": "2020-01-27T13:49:53.935Z", "modified": m} for m in stamps]  # fmt: skip
    objects = n.url("add", "objects/")
    assert _ok(n.post(objects, {"objects": versions}), 202)["success_count"] == 5

    def listed() -> list[str]:
        body = _ok(n.get(objects + sid + "/versions"))
        assert body["more"] is False
        return list(body["versions"])

    assert listed() == stamps
    for match, gone in ((stamps[3], stamps[3]), ("first", stamps[0]), ("last", stamps[4])):
        _ok(n.delete(objects + sid, {"match[version]": match}))
        left = listed()
        assert gone not in left
        stamps.remove(gone)
        assert left == stamps
    _ok(n.delete(objects + sid, {"match[version]": "all"}))
    _error(n.get(objects + sid + "/versions"), 404)


def sco_versioning(n: Node) -> None:
    sco = {"type": "artifact", "spec_version": "2.1", "id": f"artifact--{uuid.uuid4()}",
           "mime_type": "application/zip", "payload_bin": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==",
           "encryption_algorithm": "mime-type-indicated", "decryption_key": "passport"}  # fmt: skip
    one = n.url("add", "objects/") + sco["id"]
    _ok(n.post(n.url("add", "objects/"), {"objects": [sco]}), 202)
    for match in ("all", "first", "last"):
        assert _ids(_ok(n.get(one, {"match[version]": match}))) == [sco["id"]]
    assert _ids(_ok(n.get(one, {"added_after": "2017-01-27T13:49:53.935Z"}))) == [sco["id"]]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    _empty(_ok(n.get(one, {"added_after": now})))


def get_api_root_information_not_existent(n: Node) -> None:
    _error(n.get(n.root.replace("/accord/", "/trustgroup2/")), 404)


def get_collection_not_existent(n: Node) -> None:
    _error(n.get(f"{n.root}collections/{uuid.uuid4()}/"), 404)


def get_collections_401(n: Node) -> None:
    _error(n.get(f"{n.root}collections/", auth=False), 401)


def get_collections_404(n: Node) -> None:
    _error(n.get(n.root.replace("/accord/", "/carbon1/") + "collections/"), 404)


def get_collection_404(n: Node) -> None:
    _error(n.get(n.root.replace("/accord/", "/carbon1/") + f"collections/{uuid.uuid4()}/"), 404)


def get_status_401(n: Node) -> None:
    _error(n.get(f"{n.root}status/2223/", auth=False), 401)


def get_status_404(n: Node) -> None:
    _error(n.get(f"{n.root}status/22101993/"), 404)


def get_object_manifest_401(n: Node) -> None:
    _error(n.get(f"{n.root}collections/24042009/manifest/", auth=False), 401)


def get_object_manifest_403(n: Node) -> None:
    _error(n.get(n.url("wo", "manifest/")), 403)


def get_object_manifest_404(n: Node) -> None:
    _error(n.get(f"{n.root}collections/24042009/manifest/"), 404)


def get_object_401(n: Node) -> None:
    _error(n.get(n.url("hv", f"objects/{MAL}/"), auth=False), 401)


def get_object_403(n: Node) -> None:
    _error(n.get(n.url("wo", f"objects/{MAL}/")), 403)


def get_object_404(n: Node) -> None:
    response = n.get(n.url("hv", "objects/malware--0d5e3f44-7a9b-4c1d-8e2f-3a4b5c6d7e88/"))
    if response.status_code == 200:
        _empty(response.json())
    else:
        _error(response, 404)


def get_or_add_objects_401(n: Node) -> None:
    _error(n.get(n.url("add", "objects/"), auth=False), 401)
    _error(n.post(n.url("add", "objects/"), {"objects": [DATA[4]]}, auth=False), 401)


def get_or_add_objects_404(n: Node) -> None:
    missing = f"{n.root}collections/{uuid.uuid4()}/objects/"
    _error(n.get(missing), 404)
    _error(n.post(missing, {"objects": [DATA[4]]}), 404)


def get_or_add_objects_422(n: Node) -> None:
    body = _error(n.post(n.url("add", "objects/"), DATA[4]), 422)  # an object, no envelope
    assert "envelope" in body["description"]


def object_pagination_bad_limit_value_400(n: Node) -> None:
    _error(n.get(n.url("hv", "objects/"), {"limit": "-20"}), 400)


def object_pagination_changing_params_400(n: Node) -> None:
    objects = n.url("hv", "objects/")
    body = _ok(n.get(objects, {"match[version]": "all", "limit": "2"}))
    assert (len(body["objects"]), body["more"]) == (2, True)
    body = _ok(n.get(objects, {"match[version]": "all", "limit": "2", "next": body["next"]}))
    assert (len(body["objects"]), body["more"]) == (2, True)
    _error(n.get(objects, {"match[version]": "first", "limit": "2", "next": body["next"]}), 400)


def object_already_present(n: Node) -> None:
    copy = dict(DATA[0])  # the relationship, as stored
    _ok(n.post(n.url("add", "objects/"), {"objects": [copy]}), 202)
    status = _ok(n.post(n.url("add", "objects/"), {"objects": [copy, dict(copy)]}), 202)
    assert "failures" not in status
    assert "successes" in status
    assert status["failure_count"] == 0


def get_objects_match_type_version(n: Node) -> None:
    body = _ok(n.get(n.url("hv", "objects/"), {"match[type]": "indicator",
                                               "match[version]": IND2_VERSIONS[2]}))  # fmt: skip
    assert _ids(body) == [IND2]
    assert body["objects"][0]["type"] == "indicator"


REPLAYED: dict[str, Callable[[Node], None]] = {
    "test_server_discovery": server_discovery,
    "test_get_api_root_information": get_api_root_information,
    "test_get_status": get_status,
    "test_get_collections": get_collections,
    "test_get_objects": get_objects,
    "test_get_object": get_object,
    "test_add_and_delete_object": add_and_delete_object,
    "test_get_object_manifests": get_object_manifests,
    "test_get_version": get_version,
    "test_get_objects_added_after": get_objects_added_after,
    "test_get_objects_limit": get_objects_limit,
    "test_get_objects_id": get_objects_id,
    "test_get_objects_type": get_objects_type,
    "test_objects_version_match_specific_date": objects_version_match_specific_date,
    "test_objects_version_match_first": objects_version_match_first,
    "test_objects_version_match_last": objects_version_match_last,
    "test_objects_version_match_all": objects_version_match_all,
    "test_get_objects_spec_version_21_20": get_objects_spec_version_21_20,
    "test_get_objects_spec_version_21": get_objects_spec_version_21,
    "test_get_objects_spec_version_default": get_objects_spec_version_default,
    "test_get_object_added_after_case1": get_object_added_after_case1,
    "test_get_object_added_after_case2": get_object_added_after_case2,
    "test_get_object_limit": get_object_limit,
    "test_get_object_version_single[specific]": _object_version_single(
        IND2_VERSIONS[1], IND2_VERSIONS[1]
    ),
    "test_get_object_version_single[first]": _object_version_single("first", IND2_VERSIONS[0]),
    "test_get_object_version_single[last]": _object_version_single("last", IND2_VERSIONS[2]),
    "test_get_object_version_match_all": get_object_version_match_all,
    "test_get_object_spec_version_21": get_object_spec_version_21,
    "test_get_object_spec_version_default": get_object_spec_version_default,
    "test_get_manifest_added_after": get_manifest_added_after,
    "test_get_manifest_limit": get_manifest_limit,
    "test_get_manifest_id": get_manifest_id,
    "test_get_manifest_type": get_manifest_type,
    "test_get_manifest_version_specific": get_manifest_version_specific,
    "test_get_manifest_version_first": get_manifest_version_first,
    "test_get_manifest_version_last": get_manifest_version_last,
    "test_get_manifest_version_all": get_manifest_version_all,
    "test_manifest_spec_version_21": manifest_spec_version_21,
    "test_manifest_spec_version_default": manifest_spec_version_default,
    "test_get_version_added_after": get_version_added_after,
    "test_get_version_limit": get_version_limit,
    "test_get_version_spec_version_21": get_version_spec_version_21,
    "test_get_version_spec_version_default": get_version_spec_version_default,
    "test_delete_objects_version": delete_objects_version,
    "test_SCO_versioning": sco_versioning,
    "test_get_api_root_information_not_existent": get_api_root_information_not_existent,
    "test_get_collection_not_existent": get_collection_not_existent,
    "test_get_collections_401": get_collections_401,
    "test_get_collections_404": get_collections_404,
    "test_get_collection_404": get_collection_404,
    "test_get_status_401": get_status_401,
    "test_get_status_404": get_status_404,
    "test_get_object_manifest_401": get_object_manifest_401,
    "test_get_object_manifest_403": get_object_manifest_403,
    "test_get_object_manifest_404": get_object_manifest_404,
    "test_get_object_401": get_object_401,
    "test_get_object_403": get_object_403,
    "test_get_object_404": get_object_404,
    "test_get_or_add_objects_401": get_or_add_objects_401,
    "test_get_or_add_objects_404": get_or_add_objects_404,
    "test_get_or_add_objects_422": get_or_add_objects_422,
    "test_object_pagination_bad_limit_value_400": object_pagination_bad_limit_value_400,
    "test_object_pagination_changing_params_400": object_pagination_changing_params_400,
    "test_object_already_present": object_already_present,
    "test_get_objects_match_type_version": get_objects_match_type_version,
}


def test_every_reference_case_is_listed_once_with_its_standing():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)) == 80
    applicable = {c.name for c in CASES if c.status in (APPLIES, ADAPTED)}
    assert set(REPLAYED) == applicable
    assert all(c.reason for c in CASES if c.status != APPLIES)
    counts = {s: sum(c.status == s for c in CASES) for s in (APPLIES, ADAPTED, NOT_APPLICABLE)}
    assert counts == {APPLIES: 60, ADAPTED: 5, NOT_APPLICABLE: 15}


@pytest.mark.parametrize("name", [c.name for c in CASES if c.status != NOT_APPLICABLE])
def test_reference_case(node, name):
    REPLAYED[name](node)
