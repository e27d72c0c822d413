"""Catch-up by pull between two real nodes on loopback (``accord serve`` processes): A's push
fails while B is down; B comes back and catches up with ``accord peer pull node-a`` (a signed
``GET /federation/outbox/objects/`` with ``added_after`` = its cursor): every object arrives
once, checked as the inbox checks it; a second pull and A's late push change nothing; a
tampered object in a pull is refused and audited; A serves B only what it disclosed to B."""

from __future__ import annotations

import json

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from tests.functional.test_peer_transport import TAXII, Federation, _a_object
from tests.nodes import NodeServer, accord_cli, run_python

from accord.engine.signing import sign_object, sign_request

pytestmark = [pytest.mark.functional, pytest.mark.slow]

INGEST = """
import json, sys
from accord.cli.main import setup_django
setup_django(None)
from accord.intel.services import ingest_objects
report = ingest_objects(None, json.loads(sys.stdin.read()), source="test")
assert report.ok, report.refused
print("ok")
"""

ENQUEUE_IDS = """
import json, sys
from accord.cli.main import setup_django
setup_django(None)
from accord.federation.models import Peer
from accord.federation.services import enqueue
from accord.intel.models import Record
ids = json.loads(sys.stdin.read())
print(len(enqueue(Record.objects.filter(stix_id__in=ids), Peer.objects.get(node_id=sys.argv[1]),
                  purpose="counter-terrorism", deliver_now=False)))
"""

AUDIT = """
import json, sys
from accord.cli.main import setup_django
setup_django(None)
from accord.oversight.models import AuditEvent
print(json.dumps([{"action": e.action, "outcome": e.outcome, "ids": e.object_ids,
                   "detail": e.detail} for e in AuditEvent.objects.filter(
                       action__in=sys.argv[1:]).order_by("pk")]))
"""


@pytest.fixture(scope="module")
def fed(tmp_path_factory):
    federation = Federation(tmp_path_factory.mktemp("pull"))
    federation.server_b.stop()  # B starts down
    federation.server_b = None
    federation.server_a = NodeServer(federation.a, federation.port_a)  # no worker: no retries
    yield federation
    for server in (federation.server_a, federation.server_b):
        if server is not None:
            server.stop()


def _pull(fed: Federation, *extra: str, check: bool = True) -> dict:
    done = accord_cli(fed.b, "peer", "pull", "node-a", "--data-dir", str(fed.b), "--json",
                      *extra, check=check)  # fmt: skip
    return json.loads(done.stdout)


def test_push_fails_while_b_is_down_then_b_catches_up_by_pull(fed):
    objects = [_a_object(n) for n in range(1, 8)]
    assert fed.enqueue(objects) == 7
    down = fed.deliver(check=False)
    assert (down["failed"], down["delivered"]) == (7, 0)
    fed.server_b = NodeServer(fed.b, fed.port_b)

    report = _pull(fed)
    assert (report["stored"], report["refused"], report["error"]) == (7, 0, ""), report
    assert report["added_after_before"] == "" and report["added_after"].endswith("Z")
    records = fed.dump_b()["records"]
    for obj in objects:
        got = records[obj["id"]]
        assert (got["origin"], got["owner"], got["sources"]) == (
            "node-a", "peer:node-a", ["peer:node-a"]
        )  # fmt: skip
        assert got["versions"] == [obj["modified"]]
        assert {k: v for k, v in got["data"].items() if k != "x_accord_signature"} == obj

    # Again: the overlap is re-read, nothing is applied twice.
    again = _pull(fed)
    assert again["stored"] == 0 and again["already_held"] == again["received"] == 7
    assert again["added_after"] == report["added_after"]
    # A's push, retried later, is idempotent on B.
    late = fed.deliver("--force")
    assert (late["delivered"], late["failed"]) == (7, 0)
    records = fed.dump_b()["records"]
    assert len(records) == 7 and all(len(r["versions"]) == 1 for r in records.values())
    pulls = json.loads(run_python(fed.b, AUDIT, "peer.pull"))
    assert [p["detail"]["stored"] for p in pulls] == [7, 0]
    served = json.loads(run_python(fed.a, AUDIT, "peer.serve"))
    assert sorted(served[0]["ids"]) == sorted(o["id"] for o in objects)


def test_tampered_object_in_a_pull_is_refused_and_audited(fed):
    good = sign_object(_a_object(20), "node-a", fed.key_a)
    tampered = sign_object(_a_object(21), "node-a", fed.key_a)
    tampered["name"] = "Altered After Signing"  # stored on A as it is, served as it is
    run_python(fed.a, INGEST, stdin=json.dumps([good, tampered]))
    assert int(run_python(fed.a, ENQUEUE_IDS, "node-b",
                          stdin=json.dumps([good["id"], tampered["id"]]))) == 2  # fmt: skip
    report = _pull(fed, check=False)
    assert report["stored"] == 1 and report["refused"] == 1, report
    assert "bad signature" in report["failures"][0]["message"]
    records = fed.dump_b()["records"]
    assert good["id"] in records and tampered["id"] not in records
    denied = [e for e in fed.dump_b()["audit"] if e["action"] == "peer.object"]
    assert denied and tampered["id"] in denied[-1]["ids"]


def test_only_what_was_disclosed_to_the_requesting_peer_is_served(fed):
    url = f"{fed.server_a.url}federation/outbox/objects/?limit=1000"
    # Unsigned: refused.
    assert httpx.get(url, timeout=30).status_code == 401
    # Signed by B: only B's disclosures, and the answer is signed with B's nonce.
    key_b = serialization.load_pem_private_key((fed.b / "node_ed25519.pem").read_bytes(), None)
    headers = sign_request("GET", url, {"Accept": TAXII}, b"", keyid="node-b",
                           private_key=key_b, nonce="n-" + "x" * 20)  # fmt: skip
    response = httpx.get(url, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert 'nonce="n-xxxxxxxxxxxxxxxxxxxx"' in response.headers["signature-input"]
    assert response.headers["x-taxii-date-added-last"].endswith("Z")
    served = {o["id"] for o in response.json()["objects"]}
    assert len(served) == 9
    # An object A holds but never disclosed to B is not served.
    secret = _a_object(30)
    run_python(fed.a, INGEST, stdin=json.dumps([secret]))
    headers = sign_request("GET", url, {"Accept": TAXII}, b"", keyid="node-b",
                           private_key=key_b)  # fmt: skip
    assert secret["id"] not in {
        o["id"] for o in httpx.get(url, headers=headers, timeout=30).json()["objects"]
    }
    # A bad added_after is a clear 400.
    bad = f"{fed.server_a.url}federation/outbox/objects/?added_after=yesterday"
    headers = sign_request("GET", bad, {"Accept": TAXII}, b"", keyid="node-b",
                           private_key=key_b)  # fmt: skip
    response = httpx.get(bad, headers=headers, timeout=30)
    assert response.status_code == 400 and "RFC 3339" in response.json()["description"]


def test_pull_from_an_unreachable_peer_keeps_the_cursor(fed):
    before = _pull(fed, check=False)["added_after"]  # the tampered one is refused again
    fed.server_a.stop()
    fed.server_a = None
    report = _pull(fed, check=False)
    assert "cannot reach node-a" in report["error"] and report["added_after"] == before
