"""Peer services: the registry, signed-request checks with replay protection, the outbox queue
and the receiving side (object signatures and provenance, then the record store).

Every write goes through here, runs in ``transaction.atomic()`` and writes its audit entry.
Delivery (the outbox worker) is in :mod:`accord.federation.delivery`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import IntegrityError, transaction
from django.utils import timezone

from accord.engine.jurisdiction import validate_jurisdiction
from accord.engine.signing import (
    DEFAULT_CLOCK_SKEW,
    DEFAULT_MAX_AGE,
    RequestVerification,
    verify_object,
    verify_request,
)
from accord.engine.signing.objects import SIGNATURE_PROPERTY
from accord.engine.stix.markings import is_shared_definition
from accord.federation.models import OutboxItem, Peer, SeenNonce, peer_identity_id
from accord.intel.services import ids_sha256
from accord.node.chunking import chunks
from accord.node.extensions import ADMISSION_HOOK, RECEIVE_HOOK, registered
from accord.oversight.services import Actor, Outcome, audit

if TYPE_CHECKING:
    from accord.intel.models import Record, RecordVersion

__all__ = [
    "PeerError",
    "add_peer",
    "clock_skew",
    "enqueue",
    "key_fingerprint",
    "load_public_key",
    "max_age",
    "prune_nonces",
    "public_key_for",
    "receive_envelope",
    "remember_nonce",
    "update_peer",
    "verify_peer_request",
]

#: Most object ids an audit entry lists.
AUDIT_ID_LIMIT = 1000


class PeerError(Exception):
    """A peer cannot be registered or changed as asked (the message says why)."""


def clock_skew() -> int:
    """Seconds of clock difference tolerated with peers (``ACCORD_PEER_CLOCK_SKEW``, 300)."""
    return int(os.environ.get("ACCORD_PEER_CLOCK_SKEW", str(DEFAULT_CLOCK_SKEW)))


def max_age() -> int:
    """Seconds after ``created`` a signed request stays acceptable (``ACCORD_PEER_MAX_AGE``)."""
    return int(os.environ.get("ACCORD_PEER_MAX_AGE", str(DEFAULT_MAX_AGE)))


@lru_cache(maxsize=256)
def load_public_key(pem: str) -> Ed25519PublicKey:
    """The peer's Ed25519 key from its PEM text; ValueError with a message an operator can act
    on (not the library's, which points to a web page a closed network cannot open)."""
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError, TypeError):
        raise ValueError(
            "public key: not a PEM public key; paste the peer's whole "
            "'-----BEGIN PUBLIC KEY-----' block (`accord node pubkey` on that node)"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("public key: not an Ed25519 public key")
    return key


def key_fingerprint(pem: str) -> str:
    """``SHA256:<base64>`` of the raw Ed25519 public key (as OpenSSH shows keys): short enough
    to compare by phone before trusting a key. ValueError for a text that is not such a key."""
    raw = load_public_key(pem.strip() + "\n").public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")


def _this_node() -> Any:
    from accord.node.models import NodeIdentity

    return NodeIdentity.current()


def public_key_for(node_id: str, *, enabled_only: bool = True) -> Ed25519PublicKey | None:
    """The public key of ``node_id``: this node's own, or an (enabled) registered peer's."""
    me = _this_node()
    if me is not None and me.node_id == node_id:
        return load_public_key(me.public_key_pem)
    peers = Peer.objects.filter(node_id=node_id)
    if enabled_only:
        peers = peers.filter(enabled=True)
    pem = peers.values_list("public_key_pem", flat=True).first()
    return load_public_key(pem) if pem else None


# --------------------------------------------------------------------------------------------
# Registry


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PeerError(f"peer URL {url!r}: use http:// or https:// with a host")
    if parts.query or parts.fragment:
        raise PeerError(f"peer URL {url!r}: no query or fragment")
    return url if url.endswith("/") else url + "/"


def add_peer(
    actor: Actor,
    *,
    node_id: str,
    url: str,
    jurisdiction: str,
    public_key_pem: str,
    name: str = "",
    inbox: str = "",
) -> Peer:
    """Register a partner node and create its service user (``peer:<node-id>``, role ``peer``,
    no password: it authenticates only by signed requests).

    Legal effect: requests signed with this key are accepted as the partner node's, which may
    then push objects it originated (or relays with their originator's signature) into this
    node's records, read-only here, and read what collections grant its user. Nothing is
    disclosed to it by registration alone; disclosures go through the outbox after a policy
    decision. Audited (``peer.add``).
    """
    from accord.accounts.services import UserError, add_user

    if not node_id or len(node_id) > 64 or not all(c.isalnum() or c in "-_." for c in node_id):
        raise PeerError(f"node id {node_id!r}: use 1-64 letters, digits, '-', '_' or '.'")
    me = _this_node()
    if me is not None and me.node_id == node_id:
        raise PeerError(f"{node_id!r} is this node's own id")
    try:
        code = validate_jurisdiction(jurisdiction)
        load_public_key(public_key_pem.strip() + "\n")
    except ValueError as exc:
        raise PeerError(str(exc)) from None
    url = _check_url(url)
    if Peer.objects.filter(node_id=node_id).exists():
        raise PeerError(f"peer {node_id!r} is already registered")
    with transaction.atomic():
        try:
            user = add_user(actor, f"peer:{node_id}", role="peer", password=None, agency=node_id)
        except UserError as exc:
            raise PeerError(str(exc)) from None
        peer = Peer.objects.create(
            node_id=node_id,
            name=name or node_id,
            url=url,
            jurisdiction=code,
            public_key_pem=public_key_pem.strip() + "\n",
            identity_id=peer_identity_id(node_id),
            inbox=inbox,
            user=user,
        )
        audit(
            actor,
            "peer.add",
            object_ids=[f"peer:{node_id}"],
            detail={"node_id": node_id, "url": url, "jurisdiction": code, "inbox": inbox},
        )
    return peer


def update_peer(actor: Actor, peer: Peer, **changes: Any) -> Peer:
    """Change a peer's ``url``, ``name``, ``jurisdiction``, ``public_key_pem``, ``inbox`` or
    ``enabled``. A disabled peer's requests are refused and nothing is sent to it. Items not
    yet delivered go to the new URL from the next delivery pass.

    Legal effect: as :func:`add_peer` for the new values (a new key is trusted from now on,
    the old one no longer). Audited (``peer.update``: the names of the changed fields, each
    one's value before and after, a key as its fingerprint).
    """
    allowed = {"url", "name", "jurisdiction", "public_key_pem", "inbox", "enabled"}
    unknown = set(changes) - allowed
    if unknown:
        raise PeerError(f"cannot change {', '.join(sorted(unknown))}")
    if "url" in changes:
        changes["url"] = _check_url(str(changes["url"]))
    try:
        if "jurisdiction" in changes:
            changes["jurisdiction"] = validate_jurisdiction(str(changes["jurisdiction"]))
        if "public_key_pem" in changes:
            changes["public_key_pem"] = str(changes["public_key_pem"]).strip() + "\n"
            load_public_key(changes["public_key_pem"])
    except ValueError as exc:
        raise PeerError(str(exc)) from None
    changed = sorted(k for k, v in changes.items() if getattr(peer, k) != v)
    values: dict[str, dict[str, Any]] = {}
    for name in changed:
        before, after = getattr(peer, name), changes[name]
        if name == "public_key_pem":
            name, after = "key_fingerprint", key_fingerprint(after)
            try:
                before = key_fingerprint(before)
            except ValueError:
                before = "(not a readable key)"
        values[name] = {"before": before, "after": after}
    with transaction.atomic():
        for key in changed:
            setattr(peer, key, changes[key])
        peer.save()
        if "enabled" in changed:
            peer.user.is_active = bool(peer.enabled)
            peer.user.save(update_fields=["is_active"])
        audit(
            actor,
            "peer.update",
            object_ids=[f"peer:{peer.node_id}"],
            detail={"changed": changed, "values": values, "enabled": peer.enabled},
        )
    return peer


# --------------------------------------------------------------------------------------------
# Signed requests and replay protection


def remember_nonce(keyid: str, nonce: str, created: int) -> bool:
    """Record that ``keyid`` used ``nonce``; False when it already had (a replay, RFC 9421
    section 7.2.2). A nonce is kept until no signature created with it can still be accepted
    (see :func:`prune_nonces`)."""
    if len(nonce) > 128:
        return False
    try:
        with transaction.atomic():
            SeenNonce.objects.create(keyid=keyid, nonce=nonce, created=created)
    except IntegrityError:
        return False
    return True


def prune_nonces(now: float | None = None) -> int:
    """Delete the nonces whose signatures are past acceptance (``created`` older than the
    maximum age plus twice the clock skew); returns how many. A replay of a pruned nonce is
    refused as too old anyway."""
    now = time.time() if now is None else now
    horizon = int(now) - max_age() - 2 * clock_skew()
    deleted, _ = SeenNonce.objects.filter(created__lt=horizon).delete()
    return int(deleted)


_last_prune = [0.0]


def verify_peer_request(
    method: str, url: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> tuple[Peer | None, RequestVerification]:
    """Check a signed request (RFC 9421) against the registered, enabled peers; the peer and
    the verification (with the reason of a refusal). Prunes expired nonces now and then."""
    moment = time.time() if now is None else now
    if moment - _last_prune[0] > 60:
        _last_prune[0] = moment
        prune_nonces(moment)

    def key_for(keyid: str) -> Ed25519PublicKey | None:
        pem = (
            Peer.objects.filter(node_id=keyid, enabled=True)
            .values_list("public_key_pem", flat=True)
            .first()
        )
        return load_public_key(pem) if pem else None

    result = verify_request(
        method,
        url,
        headers,
        body,
        public_key_for=key_for,
        remember_nonce=remember_nonce,
        now=moment,
        max_age=max_age(),
        clock_skew=clock_skew(),
    )
    if not result.ok:
        return None, result
    peer = Peer.objects.select_related("user").get(node_id=result.keyid)
    return peer, result


# --------------------------------------------------------------------------------------------
# Outbox


def _versions_of(records_or_versions: Iterable[Record | RecordVersion]) -> list[RecordVersion]:
    """The versions to queue, in the given order: a ``RecordVersion`` as is, a ``Record`` as its
    latest version (the one whose ``modified`` its data holds), looked up in one query for all
    the records rather than one per record."""
    from accord.intel.models import Record, RecordVersion

    given = list(records_or_versions)
    wanted: dict[int, str] = {}
    for item in given:
        if isinstance(item, Record):
            data = orjson.loads(item.data)
            wanted[item.pk] = str(data.get("modified") or data.get("created") or "")
        elif not isinstance(item, RecordVersion):
            raise TypeError(f"enqueue takes records or record versions, not {type(item)!r}")
    latest: dict[int, RecordVersion] = {}
    pks = list(wanted)
    for chunk in chunks(pks):
        for version in RecordVersion.objects.filter(
            record_id__in=chunk, modified__in={wanted[pk] for pk in chunk}
        ).select_related("record"):
            if wanted.get(version.record_id) == version.modified:
                latest[version.record_id] = version
    out: list[RecordVersion] = []
    for item in given:
        if isinstance(item, RecordVersion):
            out.append(item)
        elif item.pk in latest:
            out.append(latest[item.pk])
        else:
            raise RecordVersion.DoesNotExist(
                f"record {item.stix_id} has no stored version {wanted[item.pk]!r}"
            )
    return out


def enqueue(
    records_or_versions: Iterable[Record | RecordVersion],
    peer: Peer,
    *,
    actor: Actor = None,
    purpose: str = "",
    deliver_now: bool = True,
) -> list[OutboxItem]:
    """Queue object versions (a ``Record`` means its latest version) for delivery to ``peer``.

    Legal effect: this is the disclosure itself, made durable: once committed the versions
    will reach the peer (retried until it confirms), so the caller must already hold the
    policy decision that allows it. A version already queued or delivered to this peer is not
    queued again. Audited (``peer.enqueue``, with the object ids and purpose). With
    ``deliver_now`` a delivery pass is queued for after the commit (low latency).
    """
    versions = _versions_of(records_or_versions)
    now = timezone.now()
    with transaction.atomic():
        existing = set(
            OutboxItem.objects.filter(peer=peer, version__in=versions).values_list(
                "version_id", flat=True
            )
        )
        fresh = [v for v in versions if v.pk not in existing]
        items = OutboxItem.objects.bulk_create(
            [
                OutboxItem(
                    peer=peer,
                    version=v,
                    stix_id=v.record.stix_id,
                    modified=v.modified,
                    next_attempt_at=now,
                )
                for v in fresh
            ]
        )
        ids = sorted({v.record.stix_id for v in fresh})
        audit(
            actor,
            "peer.enqueue",
            object_ids=ids[:AUDIT_ID_LIMIT],
            purpose=purpose,
            detail={"peer": peer.node_id, "queued": len(items), "already": len(existing)},
        )
        if deliver_now and items:
            transaction.on_commit(_queue_delivery)
    return items


def _queue_delivery() -> None:
    from accord.federation.tasks import request_delivery

    request_delivery()


# --------------------------------------------------------------------------------------------
# Receiving


@dataclass(frozen=True)
class _Originators:
    """The nodes whose objects this node accepts, read once per envelope: identity id -> node
    id, and node id -> public key (this node and every enabled peer)."""

    nodes: dict[str, str]
    keys: dict[str, Ed25519PublicKey]


def _known_originators() -> _Originators:
    """This node and every enabled peer, with their keys (one query, not one per object)."""
    nodes: dict[str, str] = {}
    keys: dict[str, Ed25519PublicKey] = {}
    for node, ident, pem in Peer.objects.filter(enabled=True).values_list(
        "node_id", "identity_id", "public_key_pem"
    ):
        nodes[ident] = node
        keys[node] = load_public_key(pem)
    me = _this_node()
    if me is not None:
        nodes[me.identity_id] = me.node_id
        keys[me.node_id] = load_public_key(me.public_key_pem)
    return _Originators(nodes, keys)


def _check_object(obj: Any, originators: _Originators) -> tuple[str, str]:
    """(originator node id, "") when the object is signed by the node that created it, or
    ("", reason)."""
    if not isinstance(obj, dict):
        return "", "not a JSON object"
    if is_shared_definition(obj):
        return "", ""  # a TLP or Accord handling definition: its id is its content's digest
    creator = obj.get("created_by_ref")
    if not isinstance(creator, str) or not creator:
        return "", "no created_by_ref: the originator cannot be established"
    originator = originators.nodes.get(creator)
    if originator is None:
        return "", f"forged provenance: created_by_ref {creator} is not a known node"
    result = verify_object(obj, originators.keys.get)
    if not result.ok:
        return "", f"{SIGNATURE_PROPERTY}: {result.reason}"
    if result.keyid != originator:
        return "", (
            f"forged provenance: created by node {originator} but signed by node {result.keyid}"
        )
    return originator, ""


def _admit_and_store(
    peer: Peer,
    objects: Sequence[Any],
    envelope: Mapping[str, Any],
    checked: dict[int, str],
    failures: dict[int, str],
) -> dict[str, list[int]]:
    """Run the admission hooks on the ``checked`` objects (index -> originator), then store the
    admitted ones originator by originator as the peer's user; every refusal (a hook's or the
    record store's) goes into ``failures``, and ``checked`` loses the objects a hook refused.
    Returns the indexes stored per originator."""
    from accord.intel.services import ingest_objects

    for admit in registered(ADMISSION_HOOK):
        refusals = admit(peer, envelope, objects, sorted(checked))
        for i, reason in refusals.items():
            if i in checked:
                failures[i] = reason
                del checked[i]
    groups: dict[str, list[int]] = {}
    for i, origin in checked.items():
        groups.setdefault(origin, []).append(i)
    for origin, indexes in groups.items():
        report = ingest_objects(
            peer.user,
            [objects[i] for i in indexes],
            source=f"peer:{peer.node_id}",
            origin_node=origin,
            all_or_nothing=False,
        )
        for j, message in report.refusal_messages().items():
            failures[indexes[j]] = message
    return groups


def _outcomes(
    objects: Sequence[Any], failures: dict[int, str]
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The TAXII status's successes and failures (id, version, and the reason of a failure),
    in the envelope's order."""
    successes: list[dict[str, str]] = []
    failed: list[dict[str, str]] = []
    for i, obj in enumerate(objects):
        sid = str(obj.get("id", "")) if isinstance(obj, dict) else ""
        version = str(obj.get("modified") or obj.get("created") or "") if sid else ""
        if i in failures:
            failed.append({"id": sid, "version": version, "message": failures[i]})
        else:
            successes.append({"id": sid, "version": version})
    return successes, failed


def receive_envelope(
    peer: Peer, objects: Sequence[Any], envelope: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Store the objects a peer pushed; returns a TAXII 2.1 status resource (section 4.3.1).

    Each object must carry its originator's signature (``x_accord_signature``, RFC 8785
    canonical JSON) and its ``created_by_ref`` must name the node that signed it: the sender
    itself, or, when it relays, the originator (this node or a registered peer). Objects that
    fail are refused with the reason; so are those an admission hook refuses
    (:data:`accord.node.extensions.ADMISSION_HOOK`; dissemination: disclosure facts this
    node's agreements do not support), before anything of them is stored; the others are
    stored by ``ingest_objects`` as the peer's user, with ``origin_node`` = the originator and
    source ``peer:<sender>``. After they are stored, in the same transaction, the receive hooks
    run (:data:`accord.node.extensions.RECEIVE_HOOK`; dissemination: provenance, revocation).

    Legal effect: the accepted objects become records of this node, read-only here (only the
    originator writes new versions: the created_by_ref rule of the record store), with
    provenance (sender and originator), governed by their markings from now on. Re-delivery of
    a stored (id, modified) is a success that changes nothing; an older version arriving after
    a newer one is kept as a version without replacing the latest. Audited: ``peer.receive``
    (counts, the first 1000 stored ids, and the count and SHA-256 of the full sorted id list)
    and, for every refused object (signature, provenance, admission or the record store's
    refusal), ``peer.object`` (denied, with each id and reason; the first 100 listed).
    """
    originators = _known_originators()
    failures: dict[int, str] = {}
    checked: dict[int, str] = {}
    for i, obj in enumerate(objects):
        origin, reason = _check_object(obj, originators)
        if reason:
            failures[i] = reason
        else:
            checked[i] = origin
    with transaction.atomic():
        groups = _admit_and_store(peer, objects, envelope or {}, checked, failures)
        # Every refusal, the record store's included, is listed with its reason.
        denied = sorted(failures)
        successes, failed = _outcomes(objects, failures)
        for hook in registered(RECEIVE_HOOK):
            hook(peer, envelope or {}, successes)
        if denied:
            audit(
                peer.user,
                "peer.object",
                object_ids=sorted({_id_of(objects, i) for i in denied} - {""})[:AUDIT_ID_LIMIT],
                outcome=Outcome.DENIED,
                detail={
                    "sender": peer.node_id,
                    "refused": [
                        {"index": i, "id": _id_of(objects, i), "reason": failures[i]}
                        for i in denied[:100]
                    ],
                    "refused_count": len(denied),
                },
            )
        stored_ids = sorted({s["id"] for s in successes})
        audit(
            peer.user,
            "peer.receive",
            object_ids=stored_ids[:AUDIT_ID_LIMIT],
            outcome=Outcome.OK if not failed else Outcome.REFUSED,
            detail={
                "sender": peer.node_id,
                "received": len(objects),
                "succeeded": len(successes),
                "failed": len(failed),
                "originators": sorted(groups),
                # object_ids keeps the first 1000; these pin the full list (as record.import).
                "object_count": len(stored_ids),
                "object_ids_sha256": ids_sha256(stored_ids),
            },
        )
    status: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "status": "complete",
        "request_timestamp": timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "total_count": len(objects),
        "success_count": len(successes),
        "failure_count": len(failed),
        "pending_count": 0,
    }
    # TAXII 2.1 section 4.3.1: the lists are omitted when empty (section 2: no empty lists).
    if successes:
        status["successes"] = successes
    if failed:
        status["failures"] = failed
    return status


def _id_of(objects: Sequence[Any], index: int) -> str:
    obj = objects[index]
    return str(obj.get("id", "")) if isinstance(obj, dict) else ""
