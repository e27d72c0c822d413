"""BRIEF flow 2 over two real nodes on loopback (issue 5 item 6): A (NL) originates a watch-listed
person and shares it with B (DE) under a full-sharing agreement. B's passenger information unit
screens a PAXLST manifest in which the person is spelt differently; B's supervisor confirms the
hit over REST. A's liaison officer receives the sighting (with the traveller's details, which
the agreement allows) and answers with the action to take; B sees the answer on its hit and the
hit notice as delivered. Bad input over HTTP: a hit signed by B on a record A never disclosed to
B, a malformed body, an analyst reading or answering A's incoming hits. Both audit trails
verify."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from tests.agreements import bilateral
from tests.nodes import NodeServer, accord_cli, free_port

from accord.engine.signing import sign_request
from accord.engine.stix.markings import TLP_IDS
from accord.engine.stix.person import PERSON_EXTENSION_ID
from accord.federation.models import peer_identity_id

pytestmark = [pytest.mark.functional, pytest.mark.slow]

PURPOSE = "counter-terrorism"
#: One delivery cycle: the worker's schedule ticks every 5 s; a queued notice asks for a pass.
CYCLE_S = 30.0
AGREEMENT = bilateral(purposes=(PURPOSE,))
#: An invented manifest: flight LH1234 Frankfurt to Amsterdam, one passenger whose name is
#: transliterated differently from A's record ("Karim Mansour" / "كريم منصور").
PAXLST = (
    b"UNA:+.? 'UNB+UNOA:4+INVENTED AIR+DEPIU+261128:0600+88001'"
    b"UNH+88001+PAXLST:D:05B:UN:IATA'BGM+745'"
    b"TDT+20+LH1234+++LH'LOC+125+FRA'DTM+189:2611280930:201'LOC+87+AMS'DTM+232:2611281045:201'"
    b"NAD+FL+++MANSOOR:KAREEM'ATT+2++M'DTM+329:880708'NAT+2+IRQ'DOC+P:110:111+B7654321'"
    b"NAD+FL+++QUIET:PETRA'ATT+2++F'DTM+329:700505'NAT+2+NLD'"
    b"CNT+42:2'UNT+16+88001'UNZ+1+88001'"
)


def _person(n: int, names: list[str], birth: str, node: str) -> dict:
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": f"identity--00000000-0000-4000-8000-{n:012d}",
        "created_by_ref": peer_identity_id(node),
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": names[0],
        "identity_class": "individual",
        "object_marking_refs": [TLP_IDS["amber"]],
        "extensions": {
            PERSON_EXTENSION_ID: {
                "extension_type": "property-extension",
                "subject_type": "person",
                "names": [
                    {"full_name": name, "name_type": "primary" if i == 0 else "alias"}
                    for i, name in enumerate(names)
                ],
                "birth_dates": [{"precision": "exact", "date": birth}],
                "nationalities": ["IQ"],
                "watchlist": {"action": "arrest"},
            }
        },
    }


class Node:
    def __init__(self, path: Path, node_id: str, cc: str) -> None:
        self.path, self.node_id, self.cc = path, node_id, cc
        self.port = free_port()
        self.server: NodeServer | None = None
        self.tokens: dict[str, str] = {}

    def accord(self, *args: str) -> str:
        return accord_cli(self.path, *args, "--data-dir", str(self.path)).stdout

    def api(self, who: str, method: str, path: str, **kw) -> httpx.Response:  # type: ignore[no-untyped-def]
        assert self.server is not None
        headers = {"Authorization": f"Bearer {self.tokens[who]}", "X-Accord-Purpose": PURPOSE}
        return httpx.request(method, f"{self.server.url}api/{path}", headers=headers,
                             timeout=60, **kw)  # fmt: skip


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("screening-federation")
    a, b = Node(tmp / "a", "node-a", "NL"), Node(tmp / "b", "node-b", "DE")
    for n in (a, b):
        accord_cli(n.path, "init", "--data-dir", str(n.path), "--node-id", n.node_id,
                   "--jurisdiction", n.cc)  # fmt: skip
    for here, there in ((a, b), (b, a)):
        key_file = here.path / f"{there.node_id}.pub"
        key_file.write_text(there.accord("node", "pubkey"))
        here.accord("peer", "add", "--node-id", there.node_id, "--url",
                    f"http://127.0.0.1:{there.port}/", "--jurisdiction", there.cc,
                    "--public-key", str(key_file))  # fmt: skip
    agreement_file = tmp / "agreement.json"
    agreement_file.write_text(json.dumps([AGREEMENT]))
    for n in (a, b):
        assert "stored nl-de-ct v1" in n.accord("agreement", "load", str(agreement_file))
    roles = {
        "a": {"ana": "analyst", "lia": "liaison"},
        "b": {"pia": "analyst", "sam": "supervisor"},
    }
    for key, n in (("a", a), ("b", b)):
        for name, role in roles[key].items():
            n.tokens[name] = n.accord("user", "add", name, "--role", role, "--token").split()[-1]
    for n in (a, b):
        n.server = NodeServer(n.path, n.port, worker=True)
    yield a, b
    for n in (a, b):
        if n.server is not None:
            n.server.stop()


def _until(check, timeout: float = CYCLE_S):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.3)


def _signed_by_b(a: Node, b: Node, kind: str, body: object) -> httpx.Response:
    """A notice POSTed to A, signed with B's real node key (as B's transport would)."""
    assert a.server is not None
    key = serialization.load_pem_private_key((b.path / "node_ed25519.pem").read_bytes(), None)
    url = f"{a.server.url}federation/dissemination/notices/"
    raw = json.dumps({"id": str(uuid.uuid4()), "kind": kind, "body": body}).encode()
    taxii = "application/taxii+json;version=2.1"
    headers = sign_request("POST", url, {"Content-Type": taxii, "Accept": taxii}, raw,
                           keyid="node-b", private_key=key)  # type: ignore[arg-type]  # fmt: skip
    return httpx.post(url, content=raw, headers=headers, timeout=30)


def test_flow2_hit_reaches_the_originator_and_the_answer_comes_back(pair):
    a, b = pair
    obj = _person(1, ["Karim Mansour", "كريم منصور"], "1988-07-08", "node-a")
    kept = _person(2, ["Never Shared"], "1970-01-01", "node-a")
    for o in (obj, kept):
        r = a.api("ana", "POST", "records", json=o)
        assert r.status_code == 201, r.text
    share = {"records": [obj["id"]], "recipients": ["node-b"], "purpose": PURPOSE}
    r = a.api("ana", "POST", "disseminations", json=share)
    assert r.status_code == 201, r.text
    assert _until(lambda: b.api("pia", "GET", f"records/{obj['id']}").status_code == 200), (
        "the record did not reach B"
    )
    # B's passenger information unit screens the manifest.
    r = b.api("pia", "POST", "screenings", data={"format": "paxlst"},
              files={"file": ("lh1234.edi", PAXLST, "application/edifact")})  # fmt: skip
    assert r.status_code == 200, r.text
    first = r.json()["results"][0]
    assert first["hit"] and first["matches"][0]["record_id"] == obj["id"]
    (hit_id,) = first["review"]
    # B's supervisor confirms.
    review = {"decision": "confirmed", "reason": "passport photo and birth date agree"}
    r = b.api("sam", "POST", f"screenings/hits/{hit_id}", json=review)
    assert r.status_code == 200, r.text
    assert r.json()["originator"]["level"] == "full"
    # A's liaison officer sees the incoming hit with what the agreement allows.
    assert a.api("ana", "GET", "screenings/incoming").status_code == 403

    def incoming() -> list:
        return a.api("lia", "GET", "screenings/incoming").json()["items"]

    items = _until(incoming)
    assert items, "the hit did not reach A"
    (item,) = items
    assert (item["peer"], item["record_id"], item["level"]) == ("node-b", obj["id"], "full")
    assert item["traveller"]["names"] == ["KAREEM MANSOOR"]
    assert item["traveller"]["birth_date"] == "1988-07-08"
    assert item["where"].startswith("LH1234 FRA-AMS")
    assert item["reviewing_agency"]["node"] == "node-b"
    assert item["sighting"]["sighting_of_ref"] == obj["id"]
    # An analyst may not answer; the liaison officer does.
    answer = {"action": "arrest", "text": "European arrest warrant NL-2026-17; call NL SPOC"}
    url = f"screenings/incoming/{item['id']}/answer"
    assert a.api("ana", "POST", url, json=answer).status_code == 403
    r = a.api("lia", "POST", url, json=answer)
    assert r.status_code == 200 and r.json()["status"] == "answered", r.text

    def answered() -> dict | None:
        got = b.api("sam", "GET", f"screenings/hits/{hit_id}").json()
        return got if got["answer"] else None

    got = _until(answered)
    assert got, "the answer did not reach B"
    assert (got["answer"]["action"], got["answer"]["answered_by"]) == ("arrest", "node-a:lia")
    assert got["answer"]["text"] == answer["text"]
    assert got["originator"]["delivery"] == "delivered"
    assert got["originator"]["status"] == "sent to node-a (full): delivered"

    # Forged or misrouted: B signs a hit on a record A never disclosed to B.
    sighting = {"type": "sighting", "id": f"sighting--{uuid.uuid4()}",
                "sighting_of_ref": kept["id"]}  # fmt: skip
    forged = {"hit": 999, "record": kept["id"], "level": "hit_only", "sighting": sighting,
              "reviewing_agency": {"node": "node-b"}}  # fmt: skip
    r = _signed_by_b(a, b, "screening.hit", forged)
    assert r.status_code == 422 and "forged or misrouted" in r.text, r.text
    r = _signed_by_b(a, b, "screening.hit", {**forged, "record": obj["id"], "level": "all"})
    assert r.status_code == 422 and "malformed hit notice" in r.text, r.text
    assert len(incoming()) == 1
    # Both audit trails verify, and both sides recorded their part.
    for n in (a, b):
        done = accord_cli(n.path, "audit", "verify", "--data-dir", str(n.path), "--json")
        assert json.loads(done.stdout)["ok"] is True, done.stdout
