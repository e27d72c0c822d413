"""Delivery of the outbox: signed TAXII 2.1 envelopes pushed to each peer, with retries.

One pass (:func:`deliver_pending`) takes, per enabled peer, the items that are due (queued, or
failed and past their ``next_attempt_at``), claims them (so that two workers never send the
same item at once), and POSTs them in envelopes of at most :data:`ENVELOPE_SIZE` objects:

- to the peer's Accord inbox ``<url>federation/inbox/`` (default), or to its TAXII 2.1 Add
  Objects endpoint ``<url>taxii2/accord/collections/<inbox>/objects/`` (section 5.5) when the
  peer names an inbox collection;
- with ``Content-Type: application/taxii+json;version=2.1``, signed with this node's Ed25519
  key per RFC 9421 (``Content-Digest`` per RFC 9530), ``keyid`` = this node's id;
- each object carrying its originator's ``x_accord_signature`` (added here when this node is
  the originator; a relayed object keeps the signature it arrived with).

An item is ``delivered`` only when the answer is 202 and its status resource lists the item's
(id, version) among the successes; listed among the failures it is ``rejected`` (the peer
refused the object itself: retrying cannot help; an operator must look). Any other answer
(connection refused, timeout, 401, 5xx, an envelope the status does not mention) leaves it
``failed`` with the error and a ``next_attempt_at`` after exponential back-off with jitter.
The receiver applies each (id, modified) idempotently, so a retry after a lost answer never
duplicates anything.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accord.engine.signing import SIGNATURE_PROPERTY, sign_object, sign_request
from accord.engine.stix.markings import is_shared_definition
from accord.federation.peers.models import OutboxItem, Peer
from accord.oversight.services import Outcome, audit

__all__ = [
    "ENVELOPE_MEMBERS",
    "ENVELOPE_SIZE",
    "DeliveryReport",
    "backoff_seconds",
    "deliver_pending",
    "peer_push_url",
    "signed_post",
]

log = logging.getLogger(__name__)

TAXII = "application/taxii+json;version=2.1"
ENVELOPE_SIZE = 200
RETRY_BASE_SECONDS = 2.0
RETRY_CAP_SECONDS = 3600.0
#: Callables ``(peer, items) -> dict`` adding members to the envelope beside ``objects`` (the
#: body is covered by Content-Digest, so they travel signed); registered by other apps
#: (dissemination: the provenance of each disclosure, docs/dissemination.md).
ENVELOPE_MEMBERS: list[Callable[[Peer, list[OutboxItem]], dict[str, Any]]] = []
#: An item left "sending" this long (a worker died mid-send) is taken back.
STALE_CLAIM = timedelta(minutes=10)


def backoff_seconds(
    attempts: int,
    *,
    base: float = RETRY_BASE_SECONDS,
    cap: float = RETRY_CAP_SECONDS,
    rand: Callable[[], float] = random.random,
) -> float:
    """Delay before the next attempt after ``attempts`` failures: exponential (base * 2^(n-1),
    capped) with "equal jitter" (half fixed, half random), so that many nodes retrying a peer
    that comes back do not all arrive in the same second."""
    exp = min(cap, base * (2 ** max(0, attempts - 1)))
    return exp / 2 + rand() * exp / 2


@dataclass
class DeliveryReport:
    """What one pass did, per status, and the errors per peer."""

    attempted: int = 0
    delivered: int = 0
    rejected: int = 0
    failed: int = 0
    errors: dict[str, str] = field(default_factory=dict)


def peer_push_url(peer: Peer) -> str:
    if peer.inbox:
        return f"{peer.url}taxii2/accord/collections/{peer.inbox}/objects/"
    return f"{peer.url}federation/inbox/"


def _private_key() -> Any:
    from accord.node.services import load_private_key

    return load_private_key(Path(settings.DATA_DIR))


def signed_post(
    url: str, body: bytes, *, node_id: str, private_key: Any, client: httpx.Client
) -> httpx.Response:
    """POST ``body`` to ``url`` signed per RFC 9421 as ``node_id``."""
    headers = sign_request(
        "POST",
        url,
        {"Content-Type": TAXII, "Accept": TAXII},
        body,
        keyid=node_id,
        private_key=private_key,
    )
    return client.post(url, content=body, headers=headers)


def _claim(peer: Peer, now: datetime, force: bool, limit: int) -> list[OutboxItem]:
    due = Q(status=OutboxItem.Status.QUEUED) | Q(status=OutboxItem.Status.FAILED)
    if not force:
        due &= Q(next_attempt_at__lte=now)
    stale = Q(status=OutboxItem.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    token = uuid.uuid4().hex
    with transaction.atomic():
        ids = list(
            OutboxItem.objects.filter(peer=peer)
            .filter(due | stale)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        OutboxItem.objects.filter(pk__in=ids).filter(due | stale).update(
            status=OutboxItem.Status.SENDING, claim=token, claimed_at=now
        )
    return list(
        OutboxItem.objects.filter(claim=token, status=OutboxItem.Status.SENDING)
        .select_related("version", "version__record")
        .order_by("pk")
    )


def _payload(item: OutboxItem, me: Any, key: Any) -> dict[str, Any] | str:
    """The object to send, signed by its originator, or the reason it cannot be sent."""
    obj = orjson.loads(item.version.data)
    if is_shared_definition(obj):
        return dict(obj)  # a TLP or Accord handling definition: self-certifying, no signature
    if SIGNATURE_PROPERTY in obj:
        return dict(obj)  # relayed (or already signed): the originator's signature travels
    origin = item.version.record.origin_node
    if origin and origin != me.node_id:
        return f"no originator signature: cannot relay an object of {origin} unsigned"
    if obj.get("created_by_ref") != me.identity_id:
        return "created_by_ref is not this node's identity: this node cannot sign it"
    return sign_object(obj, me.node_id, key)


def _fail(items: list[OutboxItem], error: str, now: datetime) -> None:
    for item in items:
        attempts = item.attempts + 1
        OutboxItem.objects.filter(pk=item.pk).update(
            status=OutboxItem.Status.FAILED,
            attempts=attempts,
            last_error=error[:2000],
            next_attempt_at=now + timedelta(seconds=backoff_seconds(attempts)),
            claim="",
        )


def _send(
    peer: Peer, items: list[OutboxItem], me: Any, key: Any, client: httpx.Client
) -> tuple[int, int, int, str]:
    """Send one envelope; (delivered, rejected, failed, error)."""
    now = timezone.now()
    objects: list[dict[str, Any]] = []
    sendable: list[OutboxItem] = []
    rejected = 0
    for item in items:
        payload = _payload(item, me, key)
        if isinstance(payload, str):
            OutboxItem.objects.filter(pk=item.pk).update(
                status=OutboxItem.Status.REJECTED, last_error=payload, claim=""
            )
            rejected += 1
        else:
            objects.append(payload)
            sendable.append(item)
    if not sendable:
        return 0, rejected, 0, ""
    envelope: dict[str, Any] = {"objects": objects}
    for member in ENVELOPE_MEMBERS:
        envelope.update(member(peer, sendable))
    body = orjson.dumps(envelope)
    url = peer_push_url(peer)
    try:
        response = signed_post(url, body, node_id=me.node_id, private_key=key, client=client)
    except httpx.HTTPError as exc:
        error = f"cannot reach {peer.node_id}: {type(exc).__name__}: {exc}"
        _fail(sendable, error, now)
        return 0, rejected, len(sendable), error
    if response.status_code != 202:
        error = f"{peer.node_id} answered {response.status_code}: {response.text[:300]}"
        _fail(sendable, error, now)
        return 0, rejected, len(sendable), error
    try:
        status = orjson.loads(response.content)
        ok = {(s["id"], s.get("version", "")) for s in status.get("successes") or ()}
        refused = {
            (f["id"], f.get("version", "")): str(f.get("message", ""))
            for f in status.get("failures") or ()
        }
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
        error = f"{peer.node_id} answered 202 without a readable status"
        _fail(sendable, error, now)
        return 0, rejected, len(sendable), error
    delivered: list[int] = []
    missing: list[OutboxItem] = []
    for item in sendable:
        pair = (item.stix_id, item.modified)
        if pair in ok:
            delivered.append(item.pk)
        elif pair in refused:
            OutboxItem.objects.filter(pk=item.pk).update(
                status=OutboxItem.Status.REJECTED,
                attempts=item.attempts + 1,
                last_error=f"refused by {peer.node_id}: {refused[pair]}"[:2000],
                claim="",
            )
            rejected += 1
        else:
            missing.append(item)
    OutboxItem.objects.filter(pk__in=delivered).update(
        status=OutboxItem.Status.DELIVERED,
        delivered_at=now,
        last_error="",
        claim="",
    )
    error = ""
    if missing:
        error = f"{peer.node_id}'s status did not mention {len(missing)} object(s)"
        _fail(missing, error, now)
    return len(delivered), rejected, len(missing), error


def deliver_pending(
    *,
    peer: Peer | None = None,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    client: httpx.Client | None = None,
    batch: int = 5000,
) -> DeliveryReport:
    """One delivery pass over the due outbox items (all enabled peers, or ``peer``); ``force``
    also sends failed items whose back-off has not ended.

    Legal effect: carries out disclosures already decided and queued (:func:`enqueue`); each
    envelope is audited (``peer.deliver``: peer, object ids, delivered/rejected/failed).
    """
    from accord.node.models import NodeIdentity

    me = NodeIdentity.current()
    report = DeliveryReport()
    if me is None:
        return report
    key = _private_key()
    peers = [peer] if peer is not None else list(Peer.objects.filter(enabled=True))
    own = client is None
    http = client or httpx.Client(timeout=30.0, follow_redirects=False, trust_env=False)
    try:
        for target in peers:
            if not target.enabled:
                continue
            items = _claim(target, timezone.now(), force, batch)
            for start in range(0, len(items), ENVELOPE_SIZE):
                chunk = items[start : start + ENVELOPE_SIZE]
                delivered, rejected, failed, error = _send(target, chunk, me, key, http)
                report.attempted += len(chunk)
                report.delivered += delivered
                report.rejected += rejected
                report.failed += failed
                if error:
                    report.errors[target.node_id] = error
                audit(
                    None,
                    "peer.deliver",
                    object_ids=sorted({i.stix_id for i in chunk})[:1000],
                    outcome=Outcome.OK if not (failed or rejected) else Outcome.FAILED,
                    detail={
                        "peer": target.node_id,
                        "sent": len(chunk),
                        "delivered": delivered,
                        "rejected": rejected,
                        "failed": failed,
                        "error": error[:500],
                    },
                )
                if progress is not None:
                    progress(
                        f"peer {target.node_id}: {delivered} delivered, {rejected} rejected, "
                        f"{failed} failed" + (f" ({error})" if error else "")
                    )
                if failed and not delivered:
                    # The peer is unreachable: leave the rest for the next pass.
                    _fail(items[start + ENVELOPE_SIZE :], error, timezone.now())
                    report.failed += len(items[start + ENVELOPE_SIZE :])
                    break
    finally:
        if own:
            http.close()
    return report
