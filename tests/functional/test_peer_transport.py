"""Two real nodes on loopback exchange signed objects: A and B are each other's peers (keys from
``accord node pubkey``, registered with ``accord peer add``); A queues objects for B and
``accord peer deliver`` pushes them as signed TAXII envelopes to B's inbox.

Checked on B, a separate ``accord serve`` process: the objects arrive with origin A, owned by
A's service user, signatures intact; B down during a send and back: nothing lost, nothing
duplicated; a tampered object, a replayed request and an unknown key are refused (and
audited); three minutes of clock skew pass, fifteen do not; versions out of order keep the
newest as the record.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests.nodes import NodeServer, accord_cli, free_port, run_python

from accord.engine.signing import sign_object, sign_request, verify_object
from accord.federation.models import peer_identity_id
from accord.intel.factories import person_object

pytestmark = [pytest.mark.functional, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
TAXII = "application/taxii+json;version=2.1"

ENQUEUE = """
import json, sys
from accord.cli.main import setup_django
setup_django(None)
from accord.federation.models import Peer
from accord.federation.services import enqueue
from accord.intel.models import Record
from accord.intel.services import ingest_objects
objects = json.loads(sys.stdin.read())
report = ingest_objects(None, objects, source="test", purpose="counter-terrorism")
assert report.ok, report.refused
items = enqueue(Record.objects.filter(stix_id__in=[o["id"] for o in objects]),
                Peer.objects.get(node_id=sys.argv[1]), purpose="counter-terrorism",
                deliver_now=len(sys.argv) > 2)
print(len(items))
"""

DUMP = """
import json
from accord.cli.main import setup_django
setup_django(None)
from accord.intel.models import Record, RecordVersion
from accord.oversight.models import AuditEvent
out = {"records": {r.stix_id: {"data": json.loads(r.data), "origin": r.origin_node,
                               "owner": r.owner.username if r.owner else "",
                               "versions": sorted(r.versions.values_list("modified", flat=True)),
                               "sources": sorted(set(r.versions.values_list("source", flat=True)))}
                   for r in Record.objects.filter(origin_node__startswith="node-")},
       "audit": [{"action": e.action, "outcome": e.outcome, "ids": e.object_ids,
                  "detail": e.detail} for e in AuditEvent.objects.filter(
                      action__in=["peer.request", "peer.object", "peer.receive"]).order_by("pk")]}
print(json.dumps(out))
"""


_accord = accord_cli
_python = run_python
_free_port = free_port
Server = NodeServer


class Federation:
    def __init__(self, tmp: Path) -> None:
        self.a, self.b = tmp / "a", tmp / "b"
        self.port_a, self.port_b = _free_port(), _free_port()
        for path, node, cc in ((self.a, "node-a", "DE"), (self.b, "node-b", "NL")):
            _accord(path, "init", "--data-dir", str(path), "--node-id", node, "--jurisdiction", cc)
        for here, there, node, cc, port in (
            (self.a, self.b, "node-b", "NL", self.port_b),
            (self.b, self.a, "node-a", "DE", self.port_a),
        ):
            pem = _accord(there, "node", "pubkey", "--data-dir", str(there)).stdout
            assert "PUBLIC KEY" in pem and "PRIVATE" not in pem
            key_file = here / f"{node}.pub"
            key_file.write_text(pem)
            _accord(here, "peer", "add", "--data-dir", str(here), "--node-id", node,
                    "--url", f"http://127.0.0.1:{port}/", "--jurisdiction", cc,
                    "--public-key", str(key_file))  # fmt: skip
        self.key_a = serialization.load_pem_private_key(
            (self.a / "node_ed25519.pem").read_bytes(), None
        )
        self.server_b: Server | None = Server(self.b, self.port_b)
        self.inbox = f"{self.server_b.url}federation/inbox/"

    def enqueue(self, objects: list[dict], *, deliver_now: bool = False) -> int:
        now = ("now",) if deliver_now else ()
        return int(_python(self.a, ENQUEUE, "node-b", *now, stdin=json.dumps(objects)))

    def deliver(self, *extra: str, check: bool = True) -> dict:
        done = _accord(self.a, "peer", "deliver", "--data-dir", str(self.a), "--json", *extra,
                       check=check)  # fmt: skip
        return json.loads(done.stdout)

    def dump_b(self) -> dict:
        return json.loads(_python(self.b, DUMP))

    def post(self, objects: list[dict], *, key=None, keyid="node-a", created=None,
             headers=None, body=None) -> tuple[httpx.Response, dict, bytes]:  # fmt: skip
        raw = json.dumps({"objects": objects}).encode()
        signed = headers or sign_request(
            "POST", self.inbox, {"Content-Type": TAXII, "Accept": TAXII}, raw, keyid=keyid,
            private_key=key or self.key_a, created=created,
        )  # fmt: skip
        response = httpx.post(self.inbox, content=body or raw, headers=signed, timeout=30)
        return response, signed, raw


@pytest.fixture(scope="module")
def fed(tmp_path_factory):
    federation = Federation(tmp_path_factory.mktemp("peers"))
    yield federation
    if federation.server_b is not None:
        federation.server_b.stop()


def _a_object(n: int, modified: str = "2026-01-02T03:04:05.000Z") -> dict:
    return person_object(n, created_by_ref=peer_identity_id("node-a"), modified=modified)


def _signed(fed: Federation, n: int, modified: str = "2026-01-02T03:04:05.000Z") -> dict:
    return sign_object(_a_object(n, modified), "node-a", fed.key_a)


def test_a_delivers_to_b_with_origin_read_only_and_signatures(fed):
    objects = [_a_object(n) for n in range(1, 6)]
    assert fed.enqueue(objects) == 5
    report = fed.deliver()
    assert (report["delivered"], report["failed"], report["rejected"]) == (5, 0, 0), report
    outbox = json.loads(_accord(fed.a, "peer", "outbox", "--data-dir", str(fed.a),
                                "--json").stdout)  # fmt: skip
    assert outbox["peers"] == {"node-b": {"delivered": 5}}
    records = fed.dump_b()["records"]
    key_a = fed.key_a.public_key()
    for obj in objects:
        got = records[obj["id"]]
        assert (got["origin"], got["owner"]) == ("node-a", "peer:node-a")
        assert got["sources"] == ["peer:node-a"]
        assert verify_object(got["data"], {"node-a": key_a}.get).ok
        assert {k: v for k, v in got["data"].items() if k != "x_accord_signature"} == obj
    assert fed.deliver()["attempted"] == 0  # nothing sent twice


def test_b_down_then_back_nothing_lost_nothing_duplicated(fed):
    fed.server_b.stop()
    fed.server_b = None
    objects = [_a_object(n) for n in range(10, 14)]
    assert fed.enqueue(objects) == 4
    down = fed.deliver(check=False)
    assert (down["failed"], down["delivered"]) == (4, 0)
    assert "cannot reach node-b" in down["errors"]["node-b"]
    items = json.loads(_accord(fed.a, "peer", "outbox", "--data-dir", str(fed.a), "--items",
                               "--json").stdout)["items"]  # fmt: skip
    assert {(i["status"], i["attempts"]) for i in items} == {("failed", 1)}
    fed.server_b = Server(fed.b, fed.port_b)
    back = fed.deliver("--force")
    assert (back["delivered"], back["failed"]) == (4, 0)
    records = fed.dump_b()["records"]
    assert all(records[o["id"]]["versions"] == [o["modified"]] for o in objects)
    assert len(records) == 9


def test_tampered_object_is_refused_and_audited(fed):
    tampered = _signed(fed, 20)
    tampered["name"] = "Altered After Signing"
    response, _, _ = fed.post([tampered, _signed(fed, 21)])
    assert response.status_code == 202
    status = response.json()
    assert status["success_count"] == 1 and "bad signature" in status["failures"][0]["message"]
    dump = fed.dump_b()
    assert tampered["id"] not in dump["records"]
    denied = [e for e in dump["audit"] if e["action"] == "peer.object"]
    assert denied and denied[-1]["outcome"] == "denied" and tampered["id"] in denied[-1]["ids"]


def test_replayed_request_and_unknown_key_are_refused(fed):
    first, signed, raw = fed.post([_signed(fed, 30)])
    assert first.status_code == 202
    replay = httpx.post(fed.inbox, content=raw, headers=signed, timeout=30)
    assert replay.status_code == 401 and "replayed" in replay.json()["description"]
    stranger = Ed25519PrivateKey.generate()
    unknown, _, _ = fed.post([_signed(fed, 31)], key=stranger, keyid="node-z")
    assert unknown.status_code == 401 and "unknown key" in unknown.json()["description"]
    posing, _, _ = fed.post([_signed(fed, 32)], key=stranger)  # claims to be node-a
    assert posing.status_code == 401 and "bad signature" in posing.json()["description"]
    reasons = [e["detail"]["reason"] for e in fed.dump_b()["audit"]
               if e["action"] == "peer.request"]  # fmt: skip
    assert any(r.startswith("replayed") for r in reasons)
    assert any(r.startswith("unknown key") for r in reasons)


def test_clock_skew_minutes_accepted_beyond_refused(fed):
    behind, _, _ = fed.post([_signed(fed, 40)], created=int(time.time()) - 180)
    assert behind.status_code == 202 and behind.json()["success_count"] == 1
    ahead, _, _ = fed.post([_signed(fed, 41)], created=int(time.time()) + 180)
    assert ahead.status_code == 202
    old, _, _ = fed.post([_signed(fed, 42)], created=int(time.time()) - 900)
    assert old.status_code == 401 and "too old" in old.json()["description"]
    future, _, _ = fed.post([_signed(fed, 43)], created=int(time.time()) + 900)
    assert future.status_code == 401 and "from the future" in future.json()["description"]


def test_versions_out_of_order(fed):
    newer = _signed(fed, 50, "2026-03-01T00:00:00.000Z")
    older = _signed(fed, 50, "2026-02-01T00:00:00.000Z")
    assert fed.post([newer])[0].json()["success_count"] == 1
    assert fed.post([older])[0].json()["success_count"] == 1
    assert fed.post([older])[0].json()["success_count"] == 1  # again: idempotent
    got = fed.dump_b()["records"][newer["id"]]
    assert got["data"]["modified"] == "2026-03-01T00:00:00.000Z"
    assert got["versions"] == ["2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"]


def test_worker_delivers_soon_after_enqueue(fed):
    server_a = Server(fed.a, fed.port_a, worker=True)
    try:
        objects = [_a_object(n) for n in range(60, 63)]
        assert fed.enqueue(objects, deliver_now=True) == 3
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            records = fed.dump_b()["records"]
            if all(o["id"] in records for o in objects):
                break
            time.sleep(0.5)
        assert all(records[o["id"]]["origin"] == "node-a" for o in objects)
    finally:
        server_a.stop()
