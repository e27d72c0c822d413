"""Dissemination between two real nodes on loopback (issue 4 items 4 and 6): A (NL) and B (DE)
are each other's peers (keys from ``accord node pubkey``), both hold the same agreement (full
sharing of persons for counter-terrorism, ``accord agreement load``) and both run ``accord
serve`` with its worker.

A's analyst writes a person record (TLP:AMBER, H2) and shares it with B through
``POST /api/disseminations``; A's worker delivers. On B the record is present, read-only (B's
analyst cannot write a new version), with provenance (sender, agreement, purpose, retention
deadline). A revokes one record and orders the deletion of another through the REST API; within
one delivery cycle B marks the first revoked, purges the second (a tombstone stays), and B's
signed acknowledgements reach A and are recorded on A's orders. Both audit trails verify.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from tests.agreements import bilateral
from tests.functional.test_peer_transport import Server, _accord, _free_port, _python

from accord.engine.stix.markings import HandlingMarking, handling_marking_definition
from accord.federation.models import peer_identity_id
from accord.intel.factories import person_object

pytestmark = [pytest.mark.functional, pytest.mark.slow]

PURPOSE = "counter-terrorism"
H2 = handling_marking_definition(HandlingMarking(handling_code="H2"))
#: One delivery cycle: the worker's schedule ticks every 5 s; enqueue also asks for a pass.
CYCLE_S = 30.0

AGREEMENT = bilateral(purposes=(PURPOSE,))

AUDIT = """
from accord.cli.main import setup_django
setup_django(None)
from accord.oversight.models import AuditEvent
import json
print(json.dumps(sorted({f"{e.action}:{e.outcome}" for e in AuditEvent.objects.filter(
    action__startswith="dissemination.")})))
"""


class Node:
    def __init__(self, path: Path, node_id: str, cc: str) -> None:
        self.path, self.node_id, self.cc = path, node_id, cc
        self.port = _free_port()
        self.server: Server | None = None
        self.token = ""

    def accord(self, *args: str) -> str:
        return _accord(self.path, *args, "--data-dir", str(self.path)).stdout

    def api(self, method: str, path: str, body: object = None) -> httpx.Response:
        assert self.server is not None
        headers = {"Authorization": f"Bearer {self.token}", "X-Accord-Purpose": PURPOSE}
        return httpx.request(
            method, f"{self.server.url}api/{path}", json=body, headers=headers, timeout=30
        )


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dissemination")
    a, b = Node(tmp / "a", "node-a", "NL"), Node(tmp / "b", "node-b", "DE")
    for n in (a, b):
        _accord(n.path, "init", "--data-dir", str(n.path), "--node-id", n.node_id,
                "--jurisdiction", n.cc)  # fmt: skip
    for here, there in ((a, b), (b, a)):
        key_file = here.path / f"{there.node_id}.pub"
        key_file.write_text(there.accord("node", "pubkey"))
        here.accord("peer", "add", "--node-id", there.node_id, "--url",
                    f"http://127.0.0.1:{there.port}/", "--jurisdiction", there.cc,
                    "--public-key", str(key_file))  # fmt: skip
    agreement_file = tmp / "agreement.json"
    agreement_file.write_text(json.dumps([AGREEMENT]))
    markings = tmp / "markings.json"
    bundle_id = "bundle--00000000-0000-4000-8000-000000000002"
    markings.write_text(json.dumps({"type": "bundle", "id": bundle_id, "objects": [H2]}))
    for n in (a, b):
        assert "stored nl-de-ct v1" in n.accord("agreement", "load", str(agreement_file))
        # Accord's handling marking definitions are constants every node loads.
        n.accord("import", "--format", "stix", "--purpose", PURPOSE, str(markings))
        n.token = n.accord("user", "add", "ana", "--role", "analyst", "--token").split()[-1]
    for n in (a, b):
        n.server = Server(n.path, n.port, worker=True)
    yield a, b
    for n in (a, b):
        if n.server is not None:
            n.server.stop()


def _person(n: int) -> dict:
    return person_object(
        n, tlp="amber", created_by_ref=peer_identity_id("node-a"), extra_refs=(H2["id"],)
    )


def _until(check, timeout: float = CYCLE_S):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.3)


def _share(a: Node, objects: list[dict]) -> dict:
    for obj in objects:
        r = a.api("POST", "records", obj)
        assert r.status_code == 201, r.text
        marks = r.json()["markings"]
        assert (marks["tlp"], marks["handling_code"]) == ("amber", "H2")
    r = a.api("POST", "disseminations", {"records": [o["id"] for o in objects],
                                         "recipients": ["node-b"], "purpose": PURPOSE})  # fmt: skip
    assert r.status_code == 201, r.text
    got = r.json()
    assert {(e["decision"], e["status"]) for e in got["entries"]} == {("ALLOW", "queued")}
    return got


def test_share_arrives_read_only_with_provenance(pair):
    a, b = pair
    obj = _person(1)
    shared = _share(a, [obj])
    arrived = _until(lambda: b.api("GET", f"records/{obj['id']}").status_code == 200)
    assert arrived, "the record did not reach B within one delivery cycle"
    got = b.api("GET", f"records/{obj['id']}").json()
    assert (got["markings"]["tlp"], got["markings"]["handling_code"]) == ("amber", "H2")
    assert got["origin_node"] == "node-a"
    assert got["object"]["x_accord_signature"]
    prov = b.api("GET", f"records/{obj['id']}/provenance").json()
    (received,) = prov["received"]
    assert (received["sender"], received["originator"]) == ("node-a", "node-a")
    assert received["agreements"] == [{"id": "nl-de-ct", "version": 1}]
    assert received["purpose"] == PURPOSE and received["max_retention_days"] == 730
    deadline = datetime.fromisoformat(received["retention_until"])
    assert deadline - datetime.fromisoformat(received["received_at"]) == timedelta(days=730)
    # Read-only on B: only the originator writes new versions.
    newer = {**obj, "modified": "2026-05-01T00:00:00.000Z", "name": "Changed By B"}
    refused = b.api("POST", "records", newer)
    assert refused.status_code in (403, 409, 422), refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert b.api("GET", f"records/{obj['id']}").json()["object"]["name"] == obj["name"]
    # A sees the delivery.
    delivered = _until(lambda: a.api("GET", f"disseminations/{shared['id']}").json()["entries"][0]
                       ["delivery"]["status"] == "delivered")  # fmt: skip
    assert delivered


def test_revocation_and_deletion_order_acknowledged(pair):
    a, b = pair
    revoked, deleted = _person(2), _person(3)
    _share(a, [revoked, deleted])
    assert _until(lambda: all(b.api("GET", f"records/{o['id']}").status_code == 200
                              for o in (revoked, deleted)))  # fmt: skip
    r = a.api("POST", f"records/{revoked['id']}/revoke", {"reason": "source withdrew"})
    assert r.status_code == 200, r.text
    assert [o["recipient"] for o in r.json()["orders"]] == ["node-b"]
    r = a.api("POST", f"records/{deleted['id']}/delete-order", {"reason": "unlawfully obtained"})
    assert r.status_code == 200, r.text
    assert r.json()["orders"][0]["action"] == "delete"
    started = time.monotonic()

    def b_complied() -> bool:
        got = b.api("GET", f"records/{revoked['id']}")
        gone = b.api("GET", f"records/{deleted['id']}")
        revoked_on_b = got.status_code == 200 and got.json()["object"].get("revoked") is True
        return revoked_on_b and gone.status_code == 404

    assert _until(b_complied), "B did not comply within one delivery cycle"
    prov = b.api("GET", f"records/{revoked['id']}/provenance").json()
    assert prov["revoked"] and prov["received"][0]["revoked_at"]
    tomb = b.api("GET", f"records/{deleted['id']}/provenance").json()
    assert tomb["present"] is False and tomb["received"][0]["deleted_at"]
    assert tomb["received"][0]["sender"] == "node-a"

    def acknowledged() -> list[dict]:
        orders = [a.api("GET", f"records/{o['id']}/provenance").json()["orders"]
                  for o in (revoked, deleted)]  # fmt: skip
        flat = [o for group in orders for o in group]
        return flat if all(o["acknowledged_at"] for o in flat) else []

    orders = _until(acknowledged)
    assert orders, "B's acknowledgements did not reach A"
    assert time.monotonic() - started < 2 * CYCLE_S
    outcomes = {o["record"]: o["acknowledgement"]["outcome"] for o in orders}
    assert outcomes == {revoked["id"]: "revoked", deleted["id"]: "deleted"}
    # A revoked record is not shared again.
    body = {"records": [revoked["id"]], "recipients": ["node-b"], "purpose": PURPOSE}
    again = a.api("POST", "disseminations", body)
    assert again.json()["entries"][0]["decision"] == "DENY"


def test_both_sides_audited_and_trails_verify(pair):
    a, b = pair
    seen_a = set(json.loads(_python(a.path, AUDIT)))
    seen_b = set(json.loads(_python(b.path, AUDIT)))
    assert {"dissemination.share:ok", "dissemination.revoke:ok", "dissemination.delete_order:ok",
            "dissemination.acknowledged:ok"} <= seen_a, seen_a  # fmt: skip
    assert {"dissemination.receive:ok", "dissemination.revoked:ok", "dissemination.purge:ok",
            "dissemination.notice:ok"} <= seen_b, seen_b  # fmt: skip
    for n in (a, b):
        verdict = json.loads(n.accord("audit", "verify", "--json"))
        assert verdict["ok"], verdict
