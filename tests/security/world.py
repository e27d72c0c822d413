"""The world the authorisation matrix runs in: one user per role (two analysts of different
agencies, a grantee), records of every protection, a peer node, and one object of each kind a
route addresses (import job, screening hit, dissemination, approval, consent, feed, token...).

Everything is made through the node's own services where one exists, so that the records are
stored exactly as a real write stores them.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

__all__ = [
    "IDENTITIES",
    "NODE_KEY",
    "PEER_KEY",
    "PROTECTIONS",
    "World",
    "build_world",
]

#: Who calls. ``anonymous`` sends no credential, ``wrong`` a credential that is not valid
#: (a bearer token, a Basic password or a session cookie that matches nothing), ``node-b`` is
#: the peer node signing its requests (RFC 9421); every other identity is a user of this node.
IDENTITIES: tuple[str, ...] = (
    "anonymous",
    "wrong",
    "alice",  # analyst, agency alpha: the owner of every protected record
    "amy",  # analyst, agency alpha: the owner's agency, no grant
    "bob",  # analyst, agency beta
    "gina",  # analyst, agency beta: read grant on the RED records
    "sam",  # supervisor, agency alpha, member of CASE-1
    "leo",  # liaison officer, agency alpha
    "cora",  # operations commander, agency alpha
    "lena",  # legal officer, agency alpha
    "olga",  # oversight officer (declares the oversight review)
    "adam",  # node administrator
    "peer",  # node-b's service user, with an API token
    "node-b",  # node-b itself, signing its requests
)

#: The protections of the records a route is tried on. ``green`` is the open baseline.
PROTECTIONS: tuple[str, ...] = (
    "green",  # TLP:GREEN, alice's
    "red",  # TLP:RED, alice's; gina holds a read grant
    "amber_strict",  # TLP:AMBER+STRICT, alice's (agency alpha)
    "case",  # TLP:GREEN in CASE-1 (members alice and sam)
    "purpose",  # TLP:GREEN, restricted to the purpose border-security
    "tlp1_red",  # TLP 1.0 red, alice's
    "granular",  # TLP:GREEN with TLP:RED on the name and extension by granular marking
    "received",  # TLP:GREEN, received from node-b (read-only here)
    "system",  # TLP:GREEN, imported by the node itself (owner none)
)

USERS: dict[str, tuple[str, str]] = {
    "alice": ("analyst", "alpha"),
    "amy": ("analyst", "alpha"),
    "bob": ("analyst", "beta"),
    "gina": ("analyst", "beta"),
    "sam": ("supervisor", "alpha"),
    "leo": ("liaison", "alpha"),
    "cora": ("commander", "alpha"),
    "lena": ("legal", "alpha"),
    "olga": ("oversight", ""),
    "adam": ("admin", ""),
}

NODE_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(40, 72)))
PEER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(80, 112)))


def pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass
class World:
    users: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Ids of the objects routes address: import, job, hit, dissemination, approval...
    ids: dict[str, Any] = field(default_factory=dict)
    collection: Any = None
    peer: Any = None


def _person(n: int, tlp: str) -> dict[str, Any]:
    from accord.intel.factories import person_object

    obj = person_object(n, tlp=tlp)
    ext = next(iter(obj["extensions"].values()))
    ext["watchlist"] = {"action": "arrest", "list_name": "national"}
    return obj


def _node(data_dir: Path) -> Any:
    from accord.federation.models import peer_identity_id
    from accord.node.models import NodeIdentity

    (data_dir / "node_ed25519.pem").write_bytes(
        NODE_KEY.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return NodeIdentity.objects.create(
        node_id="node-a",
        jurisdiction="NL",
        name="Node A",
        identity_id=peer_identity_id("node-a"),
        public_key_pem=pem(NODE_KEY),
    )


def _records(world: World) -> None:
    from accord.engine.signing import sign_object
    from accord.engine.stix.markings import (
        TLP_IDS,
        HandlingMarking,
        handling_marking_definition,
    )
    from accord.federation.models import peer_identity_id
    from accord.intel.models import Case, CaseMembership, RecordGrant
    from accord.intel.services import ingest_objects

    alice, users = world.users["alice"], world.users
    made: dict[str, dict[str, Any]] = {}

    for n, name, tlp in (
        (1, "green", "green"),
        (2, "red", "red"),
        (3, "amber_strict", "amber+strict"),
    ):
        made[name] = _person(n, tlp)
    tlp1 = _person(4, "green")
    tlp1["object_marking_refs"] = ["marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"]
    made["tlp1_red"] = tlp1
    granular = _person(5, "green")
    ext_key = next(iter(granular["extensions"]))
    granular["granular_markings"] = [
        {"marking_ref": TLP_IDS["red"], "selectors": ["name", f"extensions.{ext_key}"]}
    ]
    made["granular"] = granular
    handling = handling_marking_definition(HandlingMarking(purposes=("border-security",)))
    restricted = _person(6, "green")
    restricted["object_marking_refs"].append(handling["id"])
    made["purpose"] = restricted
    report = ingest_objects(
        alice, [handling, *made.values()], source="matrix", purpose="counter-terrorism"
    )
    assert report.ok, report.refused

    case = Case.objects.create(reference="CASE-1", title="Case one")
    for member in ("alice", "sam"):
        CaseMembership.objects.create(case=case, user=users[member])
    Case.objects.create(reference="CASE-2", title="Case two")
    in_case = _person(7, "green")
    assert ingest_objects(alice, [in_case], source="matrix", case=case).ok
    made["case"] = in_case

    system = _person(8, "green")
    assert ingest_objects(None, [system], source="matrix").ok
    made["system"] = system

    received = _person(9, "green")
    received["created_by_ref"] = peer_identity_id("node-b")
    received = sign_object(received, "node-b", PEER_KEY)
    report = ingest_objects(world.peer.user, [received], source="peer:node-b", origin_node="node-b")
    assert report.ok, report.refused
    made["received"] = received

    from accord.intel.models import Record

    for name in ("red", "tlp1_red", "granular"):
        RecordGrant.objects.create(
            record=Record.objects.get(stix_id=made[name]["id"]), user=users["gina"]
        )
    world.records = made


def _collection(world: World) -> None:
    from accord.taxii.services import add_entries, create_collection, grant_access

    collection = create_collection(None, title="Matrix", alias="matrix")
    for name in (*USERS, "peer"):
        user = world.users[name]
        grant_access(None, collection, user, can_read=True, can_write=True)
    add_entries(collection, [(o["id"], str(o["modified"])) for o in world.records.values()])
    world.collection = collection


def _objects(world: World) -> None:
    """One object of each kind that a route addresses, owned by alice where it has an owner."""
    from django.utils import timezone

    from accord.agreement.services import load_default_profiles, save_agreement
    from accord.dissemination.models import (
        ApprovalRequest,
        ConsentRequest,
        Dissemination,
        DisseminationEntry,
    )
    from accord.feeds.models import Feed, FeedRun
    from accord.intel.models import ImportJob, Record
    from accord.screening.models import Hit, IncomingHit, Screening, ScreeningJob
    from accord.taxii.models import TaxiiStatus
    from tests.agreements import bilateral

    load_default_profiles()
    save_agreement(None, bilateral("nl-de-ct", ("NL", "DE")))
    alice = world.users["alice"]
    green = Record.objects.get(stix_id=world.records["green"]["id"])
    job = ImportJob.objects.create(user=alice, format="stix", filename="x.json", status="done")
    screening = Screening.objects.create(user=alice, purpose="counter-terrorism", algorithm="t")
    hit = Hit.objects.create(
        screening=screening,
        row=1,
        traveller={"names": ["Someone"]},
        record=green,
        record_stix_id=green.stix_id,
        score=0.9,
    )
    sjob = ScreeningJob.objects.create(user=alice, purpose="counter-terrorism", format="csv")
    incoming = IncomingHit.objects.create(
        peer=world.peer,
        remote_hit=1,
        record=green,
        record_stix_id=green.stix_id,
        level="full",
    )
    dissemination = Dissemination.objects.create(requested_by=alice, purpose="counter-terrorism")
    entry = DisseminationEntry.objects.create(
        dissemination=dissemination,
        record=green,
        stix_id=green.stix_id,
        peer=world.peer,
        decision="needs_approval",
        status="awaiting_approval",
    )
    approval = ApprovalRequest.objects.create(entry=entry)
    consent = ConsentRequest.objects.create(
        direction="in",
        peer=world.peer,
        stix_id=green.stix_id,
        recipient_node="node-c",
        recipient_jurisdiction="KE",
        purpose="counter-terrorism",
    )
    feed = Feed.objects.create(name="public", url="http://127.0.0.1:9/taxii2/", collection_id="c")
    run = FeedRun.objects.create(feed=feed, status="done", finished_at=timezone.now())
    status = TaxiiStatus.objects.create(
        user=alice,
        collection=world.collection,
        status="complete",
        request_timestamp="2026-01-01T00:00:00.000000Z",
        total_count=0,
        success_count=0,
        failure_count=0,
        pending_count=0,
    )
    world.ids.update(
        {
            "import": job.pk,
            "hit": hit.pk,
            "screening_job": sjob.pk,
            "incoming": str(incoming.pk),
            "dissemination": str(dissemination.pk),
            "approval": approval.pk,
            "consent": str(consent.pk),
            "feed": feed.pk,
            "feed_run": run.pk,
            "status": str(status.pk),
            "agreement": "nl-de-ct",
            "profile": "NL",
        }
    )


def build_world(make_user: Any) -> World:
    """Users, tokens, the peer, the records of every protection and the addressed objects."""
    from accord.accounts.services import add_user, create_token
    from accord.federation.services import add_peer

    world = World()
    _node(Path(settings.DATA_DIR))
    for name, (role, agency) in USERS.items():
        world.users[name] = make_user(name, role=role, agency=agency)
    world.peer = add_peer(
        None,
        node_id="node-b",
        url="http://127.0.0.1:9/node-b/",
        jurisdiction="DE",
        public_key_pem=pem(PEER_KEY),
    )
    world.users["peer"] = world.peer.user
    for name in (*USERS, "peer"):
        raw, token = create_token(None, world.users[name], name="matrix")
        world.tokens[name] = raw
        if name == "alice":
            world.ids["token"] = token.pk
    _records(world)
    _collection(world)
    _objects(world)
    assert add_user is not None
    return world


def version_of(obj: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A later version of ``obj`` with ``changes`` (and without the originator's signature)."""
    new = copy.deepcopy(obj)
    new.pop("x_accord_signature", None)
    new["modified"] = "2026-09-01T00:00:00.000Z"
    new.update(changes)
    return new


def dumps(body: Any) -> str:
    return json.dumps(body)
