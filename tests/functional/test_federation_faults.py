"""Federation faults over real node processes on loopback (issue 4, item 9 and bad input).

Two nodes, A (NL) and B (DE), are each other's peers (keys from ``accord node pubkey``,
``accord peer add``) and both hold the NL-DE agreement (``accord agreement load``). B runs as
``accord serve`` (a separate process, on SQLite or, when the suite runs on PostgreSQL, on its
own PostgreSQL database).

**"No partial objects"**, as checked after B is killed with SIGKILL in the middle of an ingest
and started again (:data:`CHECK`, run in a fresh process on B's database), means, for every
record B holds:

- it has at least one ``RecordVersion``, exactly ``Record.version_count`` of them, each one's
  ``sha256`` is the digest of its own JSON, and ``Record.data`` is the newest version's JSON;
- its ``NameToken``, ``Identifier`` and ``RecordMarking`` rows are exactly those the indexer
  derives from ``Record.data`` (none missing, none extra), and no such row, version or
  provenance row points at a record that does not exist;
- a record received from A has ``origin_node`` node-a, is owned by ``peer:node-a``, every
  version's source is ``peer:node-a``, and it has its provenance row (``ReceivedDisclosure``,
  sender node-a, with the agreement and purpose of the envelope) when the envelope carried
  disclosure facts; there is no provenance row without its record;
- the envelope being ingested when the process died left nothing at all (the inbox stores an
  envelope in one transaction), and the audit trail still verifies (``accord audit verify``).

Then what was not confirmed is sent again and in the end every object is stored exactly once
(one version per (id, modified)).
"""

from __future__ import annotations

import concurrent.futures
import json
import re
import sqlite3
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tests.agreements import bilateral
from tests.nodes import NodeServer, accord_cli, free_port, node_env, process_env, run_python

from accord.engine.signing import sign_object, sign_request
from accord.federation.delivery import ENVELOPE_SIZE
from accord.federation.models import peer_identity_id
from accord.intel.factories import person_object

pytestmark = [pytest.mark.functional, pytest.mark.slow]

TAXII = "application/taxii+json;version=2.1"
PURPOSE = "counter-terrorism"
#: B's inbox limit: the default ``ACCORD_TAXII_MAX_CONTENT_LENGTH``.
LIMIT = 10 * 1024 * 1024
AGREEMENT = bilateral("nl-de-ct-faults", purposes=(PURPOSE,))

#: Consistency of B's store (see the module docstring); prints {"problems", "records", ...}.
CHECK = r"""
import hashlib, json
from collections import defaultdict
import orjson
from accord.cli.main import setup_django
setup_django(None)
from accord.dissemination.models import ReceivedDisclosure
from accord.engine.stix.markings import summarise_markings
from accord.taxii.models import CollectionEntry
from accord.intel.indexing import index_object
from accord.intel.models import Identifier, NameToken, Record, RecordMarking, RecordVersion

problems = []
records = {r.pk: r for r in Record.objects.select_related("owner")}
defs = {r.stix_id: json.loads(r.data) for r in records.values()
        if r.stix_type == "marking-definition"}
rows = defaultdict(lambda: defaultdict(list))
for model, name, fields in ((RecordVersion, "versions", ("modified", "data", "sha256", "source")),
                            (NameToken, "tokens", ("token",)),
                            (Identifier, "idents", ("kind", "value")),
                            (RecordMarking, "marks", ("kind", "value"))):
    for rid, *values in model.objects.values_list("record_id", *fields):
        if rid not in records:
            problems.append(f"{name} row for missing record {rid}")
        rows[rid][name].append(tuple(values))
provenance = defaultdict(list)
for rd in ReceivedDisclosure.objects.all():
    if rd.record_id is None and rd.deleted_at is None:
        problems.append(f"provenance of {rd.stix_id} without its record")
    provenance[rd.stix_id].append(rd)
entries = defaultdict(int)
for rid, version_record in CollectionEntry.objects.values_list("record_id", "version__record_id"):
    if rid != version_record:
        problems.append(f"collection entry of record {rid} names a version of {version_record}")
    entries[rid] += 1
out = {}
for pk, r in records.items():
    sid, mine = r.stix_id, rows[pk]
    versions = mine["versions"]
    if not versions or len(versions) != r.version_count:
        problems.append(f"{sid}: {len(versions)} versions, version_count {r.version_count}")
        continue
    for modified, data, sha, source in versions:
        digest = hashlib.sha256(orjson.dumps(orjson.loads(data), option=orjson.OPT_SORT_KEYS))
        if digest.hexdigest() != sha:
            problems.append(f"{sid} {modified}: sha256 does not match its JSON")
    obj = json.loads(r.data)
    newest = max(versions, key=lambda v: v[0])
    if json.loads(newest[1]) != obj:
        problems.append(f"{sid}: Record.data is not its newest version")
    idx = index_object(obj)
    summary = summarise_markings(obj, defs)
    expected = {
        "tokens": sorted((t,) for t in idx.tokens),
        "idents": sorted(tuple(i) for i in idx.identifiers),
        "marks": sorted([("release", str(c)) for c in summary.releasable_to]
                        + [("purpose", str(c)) for c in summary.purposes]),
    }
    for name, want in expected.items():
        if sorted(mine[name]) != want:
            problems.append(f"{sid}: {name} {sorted(mine[name])[:5]} != {want[:5]}")
    if r.origin_node == "node-a":
        owner = r.owner.username if r.owner else ""
        sources = {v[3] for v in versions}
        if owner != "peer:node-a" or sources != {"peer:node-a"}:
            problems.append(f"{sid}: owner {owner}, sources {sorted(sources)}")
    prov = [{"sender": p.sender_node, "originator": p.originator_node, "purpose": p.purpose,
             "agreements": p.agreements, "record": p.record_id == pk}
            for p in provenance.get(sid, [])]
    out[sid] = {"origin": r.origin_node, "versions": sorted(v[0] for v in versions),
                "provenance": prov, "entries": entries[pk]}
print(json.dumps({"problems": problems, "records": out}))
"""

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
                Peer.objects.get(node_id="node-b"), purpose="counter-terrorism", deliver_now=False)
print(len(items))
"""

AUDIT = """
import json, sys
from accord.cli.main import setup_django
setup_django(None)
from accord.oversight.models import AuditEvent
print(json.dumps([{"action": e.action, "outcome": e.outcome, "ids": e.object_ids,
                   "detail": e.detail} for e in AuditEvent.objects.filter(
                       action__startswith="peer.", pk__gt=int(sys.argv[1])).order_by("pk")]))
"""

LAST_AUDIT = """
from accord.cli.main import setup_django
setup_django(None)
from accord.oversight.models import AuditEvent
last = AuditEvent.objects.order_by("-pk").first()
print(last.pk if last else 0)
"""


class StoreProbe:
    """Looks into a node's database from outside its process, to see an ingest under way.

    ``ingesting()``: the inbox's transaction is open and writing. On PostgreSQL: another
    backend holds RowExclusiveLock on ``intel_recordversion`` (taken by the first INSERT of a
    version, held until commit; only an ingest writes versions). On SQLite (transactions start
    IMMEDIATE): the database's write lock is held, probed with ``BEGIN IMMEDIATE`` and no wait.
    Callers combine it with "the request's nonce is committed" (the middleware commits it
    before the view runs), so that a lock means the inbox transaction, not the nonce insert.
    Connections stay open between polls (cheap polling); :meth:`close` ends them.
    """

    def __init__(self, data_dir: Path) -> None:
        self.url = node_env(data_dir).get("ACCORD_DATABASE_URL", "")
        self.path = data_dir / "accord.sqlite3"
        self._reader: Any = None
        self._locker: Any = None

    def close(self) -> None:
        for conn in (self._reader, self._locker):
            if conn is not None:
                conn.close()
        self._reader = self._locker = None

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self._reader is None:
            if self.url:
                import psycopg

                self._reader = psycopg.connect(self.url, autocommit=True)
            else:
                uri = f"file:{self.path}?mode=ro"
                self._reader = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None)
        if self.url:
            sql = sql.replace("?", "%s")
        try:
            return list(self._reader.execute(sql, params).fetchall())
        except Exception:
            self.close()  # the server went away under us (a killed node): reconnect next time
            raise

    def ids(self, node: str) -> set[str]:
        """The ids of the records originated by ``node``."""
        sql = "SELECT stix_id FROM intel_record WHERE origin_node = ?"
        return {row[0] for row in self._query(sql, (node,))}

    def has(self, stix_id: str) -> bool:
        return bool(self._query("SELECT 1 FROM intel_record WHERE stix_id = ?", (stix_id,)))

    def nonce_seen(self, nonce: str) -> bool:
        return bool(self._query("SELECT 1 FROM federation_seennonce WHERE nonce = ?", (nonce,)))

    def counts(self, node: str) -> tuple[int, int]:
        """(records originated by ``node``, nonces ``node`` has used)."""
        sql = (
            "SELECT (SELECT COUNT(*) FROM intel_record WHERE origin_node = ?),"
            " (SELECT COUNT(*) FROM federation_seennonce WHERE keyid = ?)"
        )
        records, nonces = self._query(sql, (node, node))[0]
        return int(records), int(nonces)

    def ingesting(self) -> bool:
        if self.url:
            sql = (
                "SELECT COUNT(*) FROM pg_locks WHERE relation = 'intel_recordversion'::regclass"
                " AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()"
            )
            return int(self._query(sql)[0][0]) > 0
        if self._locker is None:
            self._locker = sqlite3.connect(str(self.path), timeout=0, isolation_level=None)
        try:
            self._locker.execute("BEGIN IMMEDIATE")
            self._locker.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return True
            raise


def _until(
    check: Callable[[], Any], timeout: float, what: str | Callable[[], str], interval: float = 0.002
) -> Any:
    """Poll ``check`` until it returns something true; fail after ``timeout`` seconds, saying
    ``what`` was awaited (a callable: evaluated then, to show what was observed)."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout} s waiting for {said}")
        time.sleep(interval)


class Pair:
    """A and B on loopback; B served by a real ``accord serve``; A's key for hand-made pushes."""

    def __init__(self, tmp: Path) -> None:
        self.a, self.b = tmp / "a", tmp / "b"
        self.port_a, self.port_b = free_port(), free_port()
        for path, node, cc in ((self.a, "node-a", "NL"), (self.b, "node-b", "DE")):
            accord_cli(path, "init", "--data-dir", str(path), "--node-id", node,
                       "--jurisdiction", cc)  # fmt: skip
        agreement = tmp / "agreement.json"
        agreement.write_text(json.dumps([AGREEMENT]))
        for here, there, node, cc, port in (
            (self.a, self.b, "node-b", "DE", self.port_b),
            (self.b, self.a, "node-a", "NL", self.port_a),
        ):
            key_file = here / f"{node}.pub"
            key_file.write_text(
                accord_cli(there, "node", "pubkey", "--data-dir", str(there)).stdout
            )
            accord_cli(here, "peer", "add", "--data-dir", str(here), "--node-id", node,
                       "--url", f"http://127.0.0.1:{port}/", "--jurisdiction", cc,
                       "--public-key", str(key_file))  # fmt: skip
            accord_cli(here, "agreement", "load", "--data-dir", str(here), str(agreement))
        self.key_a = serialization.load_pem_private_key(
            (self.a / "node_ed25519.pem").read_bytes(), None
        )
        self.server_b: NodeServer | None = NodeServer(self.b, self.port_b)
        self.inbox = f"http://127.0.0.1:{self.port_b}/federation/inbox/"
        self.probe = StoreProbe(self.b)

    def kill_b(self) -> None:
        """SIGKILL B's server process (no clean shutdown, no rollback by the application)."""
        assert self.server_b is not None
        self.probe.close()
        self.server_b.proc.kill()
        self.server_b.proc.wait(timeout=30)
        self.server_b.log.close()
        self.server_b = None

    def start_b(self) -> None:
        self.server_b = NodeServer(self.b, self.port_b)

    def signed(self, body: bytes, *, content_type: str = TAXII, key: Any = None) -> dict[str, str]:
        return sign_request("POST", self.inbox, {"Content-Type": content_type, "Accept": TAXII},
                            body, keyid="node-a", private_key=key or self.key_a)  # fmt: skip

    def push(self, body: bytes, *, content_type: str = TAXII, chunked: bool = False,
             timeout: float = 120) -> httpx.Response:  # fmt: skip
        headers = self.signed(body, content_type=content_type)
        content: bytes | Iterator[bytes] = body
        if chunked:  # no Content-Length: Transfer-Encoding: chunked
            content = iter([body[i : i + 65536] for i in range(0, len(body), 65536)])
        return httpx.post(self.inbox, content=content, headers=headers, timeout=timeout)

    def check_b(self) -> dict[str, Any]:
        return json.loads(run_python(self.b, CHECK))

    def audit_b(self, after: int) -> list[dict[str, Any]]:
        return json.loads(run_python(self.b, AUDIT, str(after)))

    def last_audit_b(self) -> int:
        return int(run_python(self.b, LAST_AUDIT))

    def audit_verifies(self, path: Path) -> None:
        done = accord_cli(path, "audit", "verify", "--data-dir", str(path), "--json", check=False)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    p = Pair(tmp_path_factory.mktemp("faults"))
    yield p
    p.probe.close()
    if p.server_b is not None:
        p.server_b.stop()


def _person(key: Ed25519PrivateKey, n: int) -> dict[str, Any]:
    obj = person_object(n, created_by_ref=peer_identity_id("node-a"))
    return sign_object(obj, "node-a", key)


def _envelope(objects: list[dict[str, Any]]) -> bytes:
    """A pushed envelope with the disclosure facts (provenance) of each object beside them."""
    facts = [
        {"id": o["id"], "version": o["modified"], "purpose": PURPOSE,
         "agreements": [{"id": AGREEMENT["id"], "version": 1}], "max_retention_days": 730,
         "dissemination": "fault-test"}
        for o in objects
    ]  # fmt: skip
    return json.dumps({"objects": objects, "x_accord_disclosures": facts}).encode()


def _nonce(headers: dict[str, str]) -> str:
    match = re.search(r'nonce="([^"]+)"', headers["Signature-Input"])
    assert match, headers
    return match.group(1)


# --------------------------------------------------------------------------------------------
# 1. Killed during ingest


def test_killed_during_ingest_of_a_large_envelope_leaves_no_partial_objects(pair: Pair) -> None:
    """3,000 signed objects in one envelope; B is SIGKILLed while the inbox transaction writes
    them. After a restart nothing of that envelope is stored and the store is consistent; the
    same envelope pushed again stores every object once; a third push changes nothing."""
    objects = [_person(pair.key_a, n) for n in range(100_000, 103_000)]
    ids = {o["id"] for o in objects}
    body = _envelope(objects)
    assert len(body) < LIMIT
    headers = pair.signed(body)
    nonce = _nonce(headers)
    before = pair.probe.ids("node-a")

    def send() -> httpx.Response:
        return httpx.post(pair.inbox, content=body, headers=headers, timeout=120)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        future = pool.submit(send)
        _until(lambda: pair.probe.nonce_seen(nonce) and pair.probe.ingesting(), 60,
               "B to start ingesting the envelope")  # fmt: skip
        pair.kill_b()
        with pytest.raises(httpx.HTTPError):
            future.result(timeout=60)  # the connection died: no 202, so the sender retries

    pair.start_b()
    after = pair.check_b()
    assert after["problems"] == []
    from_a = {sid for sid, got in after["records"].items() if got["origin"] == "node-a"}
    assert from_a == before, "the envelope in flight left records behind"
    pair.audit_verifies(pair.b)

    again = pair.push(body)
    assert again.status_code == 202, again.text
    status = again.json()
    assert (status["success_count"], status["failure_count"]) == (3000, 0)
    third = pair.push(body)  # a re-delivery after a lost answer: harmless
    assert third.json()["success_count"] == 3000
    done = pair.check_b()
    assert done["problems"] == []
    for sid in ids:
        got = done["records"][sid]
        assert got["origin"] == "node-a" and got["versions"] == ["2026-01-02T03:04:05.000Z"]
        (prov,) = got["provenance"]
        agreements = [{"id": AGREEMENT["id"], "version": 1}]
        assert prov == {"sender": "node-a", "originator": "node-a", "purpose": PURPOSE,
                        "agreements": agreements, "record": True}  # fmt: skip
    pair.audit_verifies(pair.b)


def test_killed_during_outbox_delivery_outbox_redelivers_exactly_once(pair: Pair) -> None:
    """A's outbox sends three full envelopes (3 x ``ENVELOPE_SIZE`` objects) with ``accord
    peer deliver``; B is SIGKILLed while it ingests the second or third (after at least one
    envelope committed). A records the unconfirmed items as failed; B restarts consistent,
    without any object of the envelope in flight; ``accord peer deliver --force`` then brings
    every object exactly once and A's outbox says all delivered."""
    size = ENVELOPE_SIZE
    total = 3 * size
    objects = [person_object(n, created_by_ref=peer_identity_id("node-a"))
               for n in range(200_000, 200_000 + total)]  # fmt: skip
    ids = {o["id"] for o in objects}
    assert int(run_python(pair.a, ENQUEUE, stdin=json.dumps(objects))) == total
    base_records, base_nonces = pair.probe.counts("node-a")
    seen: list[tuple[int, int, bool]] = []

    def mid_envelope() -> bool:
        records, nonces = pair.probe.counts("node-a")
        committed, sent = records - base_records, nonces - base_nonces
        # at least one envelope stored, the next one past the middleware and not committed
        writing = committed >= size and sent * size > committed and pair.probe.ingesting()
        if not seen or seen[-1][:2] != (committed, sent):
            seen.append((committed, sent, writing))
        return writing

    deliver = subprocess.Popen(
        [sys.executable, "-m", "accord.cli.main", "peer", "deliver", "--data-dir", str(pair.a),
         "--json"], env=process_env(pair.a), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        _until(mid_envelope, 120, lambda: f"B to ingest an envelope after the first: {seen}")
        pair.kill_b()
        out, err = deliver.communicate(timeout=120)
    finally:
        if deliver.poll() is None:
            deliver.kill()
            deliver.wait()
    first = json.loads(out)
    assert first["delivered"] >= size and first["failed"] > 0, (first, err)
    assert first["delivered"] + first["failed"] == total and first["rejected"] == 0

    pair.start_b()
    after = pair.check_b()
    assert after["problems"] == []
    stored = ids & set(after["records"])
    assert len(stored) % size == 0, "an envelope was stored in part"
    assert len(stored) >= first["delivered"]

    again = json.loads(accord_cli(pair.a, "peer", "deliver", "--data-dir", str(pair.a), "--force",
                                  "--json").stdout)  # fmt: skip
    assert again["delivered"] == first["failed"] and again["failed"] == 0, again
    outbox = json.loads(accord_cli(pair.a, "peer", "outbox", "--data-dir", str(pair.a),
                                   "--json").stdout)  # fmt: skip
    assert outbox["peers"]["node-b"] == {"delivered": total}
    done = pair.check_b()
    assert done["problems"] == []
    assert ids <= set(done["records"])
    assert all(done["records"][sid]["versions"] == ["2026-01-02T03:04:05.000Z"] for sid in ids)
    pair.audit_verifies(pair.b)
    pair.audit_verifies(pair.a)


def test_killed_during_a_taxii_post_of_a_large_envelope_leaves_no_partial_objects(
    pair: Pair,
) -> None:
    """The same over TAXII 2.1 Add Objects (the ``--inbox COLLECTION`` route of the outbox):
    3,000 objects POSTed, signed by A, to a collection of B that A's service user may write;
    B is SIGKILLed while it ingests them. After a restart none of them is stored and no
    collection entry or status exists for them; the store is consistent and the audit trail
    verifies; the same envelope POSTed again stores each object once with one collection
    entry, and a third POST changes nothing."""
    added = accord_cli(pair.b, "taxii", "collection", "add", "--data-dir", str(pair.b),
                       "--title", "Pushed by A", "--alias", "from-a")  # fmt: skip
    collection = added.stdout.strip()
    accord_cli(pair.b, "taxii", "grant", "--data-dir", str(pair.b), "--collection", "from-a",
               "--user", "peer:node-a", "--read", "--write")  # fmt: skip
    url = f"http://127.0.0.1:{pair.port_b}/taxii2/accord/collections/{collection}/objects/"
    objects = [person_object(n, created_by_ref=peer_identity_id("node-a"))
               for n in range(500_000, 503_000)]  # fmt: skip
    ids = {o["id"] for o in objects}
    body = json.dumps({"objects": objects}).encode()

    def post(headers: dict[str, str]) -> httpx.Response:
        return httpx.post(url, content=body, headers=headers, timeout=120)

    def signed() -> dict[str, str]:
        return sign_request("POST", url, {"Content-Type": TAXII, "Accept": TAXII}, body,
                            keyid="node-a", private_key=pair.key_a)  # fmt: skip

    headers = signed()
    nonce = _nonce(headers)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        future = pool.submit(post, headers)
        _until(lambda: pair.probe.nonce_seen(nonce) and pair.probe.ingesting(), 60,
               "B to start ingesting the TAXII envelope")  # fmt: skip
        pair.kill_b()
        with pytest.raises(httpx.HTTPError):
            future.result(timeout=60)

    pair.start_b()
    after = pair.check_b()
    assert after["problems"] == []
    assert not ids & set(after["records"]), "the envelope in flight left records behind"
    pair.audit_verifies(pair.b)

    for _ in range(2):  # the retry, then a re-delivery after a lost answer
        again = post(signed())
        assert again.status_code == 202, again.text
        assert (again.json()["success_count"], again.json()["failure_count"]) == (3000, 0)
    done = pair.check_b()
    assert done["problems"] == []
    for sid in ids:
        got = done["records"][sid]
        assert (got["versions"], got["entries"]) == (["2026-01-02T03:04:05.000Z"], 1), got
    pair.audit_verifies(pair.b)


# --------------------------------------------------------------------------------------------
# 2. Oversized pushes


def _oversized(pair: Pair, n: int) -> tuple[dict[str, Any], bytes]:
    """One signed object whose envelope is just over B's limit (a long description)."""
    obj = person_object(n, created_by_ref=peer_identity_id("node-a"))
    obj["description"] = "x" * (LIMIT + 1024)
    obj = sign_object(obj, "node-a", pair.key_a)
    return obj, json.dumps({"objects": [obj]}).encode()


def test_oversized_push_is_refused_with_413_naming_the_limit(pair: Pair) -> None:
    obj, body = _oversized(pair, 300_000)
    assert len(body) > LIMIT
    response = pair.push(body)
    assert response.status_code == 413
    error = response.json()
    assert error["http_status"] == "413" and str(LIMIT) in error["description"]
    assert response.headers["content-type"].startswith("application/taxii+json")
    assert not pair.probe.has(obj["id"])


def test_oversized_push_is_audited(pair: Pair) -> None:
    _, body = _oversized(pair, 300_001)
    mark = pair.last_audit_b()
    assert pair.push(body).status_code == 413
    events = pair.audit_b(mark)
    assert any(e["outcome"] == "denied" and "413" in json.dumps(e) for e in events), events


def test_oversized_chunked_push_is_refused(pair: Pair) -> None:
    obj, body = _oversized(pair, 300_002)
    response = pair.push(body, chunked=True)
    # Today: 202 and the object stored (the limit was never applied).
    assert (response.status_code, pair.probe.has(obj["id"])) == (413, False)


# --------------------------------------------------------------------------------------------
# 4. Malformed envelopes


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (b"{not json", TAXII, 400, "not valid JSON"),
        (b'{"objects": []}', "application/json", 415, "taxii+json"),
        (b'{"objects": {"type": "identity"}}', TAXII, 400, "'objects' list"),
        (b'{"objects": "x"}', TAXII, 400, "'objects' list"),
        (b"[]", TAXII, 400, "'objects' list"),
        (b'{"objects": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", TAXII, 400, "too deeply"),
    ],
    ids=["not-json", "media-type", "objects-dict", "objects-str", "array", "nested-10000"],
)
def test_malformed_envelope_is_refused_and_the_node_stays_healthy(
    pair: Pair, body: bytes, content_type: str, status: int, words: str
) -> None:
    before = pair.probe.ids("node-a")
    response = pair.push(body, content_type=content_type)
    assert response.status_code == status, response.text
    error = response.json()
    assert error["http_status"] == str(status) and words in error["description"]
    # Still healthy: a good push right after is stored.
    good = _person(pair.key_a, 400_000 + zlib.crc32(body) % 100_000)
    ok = pair.push(json.dumps({"objects": [good]}).encode())
    assert ok.status_code == 202 and ok.json()["success_count"] == 1
    assert pair.probe.ids("node-a") - before == {good["id"]}
    assert pair.server_b is not None and pair.server_b.proc.poll() is None
