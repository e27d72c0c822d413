"""Delivery of the outbox: signed TAXII 2.1 envelopes pushed to each peer, with retries.

One pass (:func:`deliver_pending`) first takes back the items that a process which has died
left ``sending`` (:func:`accord.federation.workers.recover`), then takes, per enabled
peer, the items that are due (queued, failed and past their ``next_attempt_at``, or claimed
more than :data:`STALE_CLAIM` ago by a process that cannot be judged), claims them in the name
of this process (so that two workers never send the same item at once, and a dead claimer is
recognised), and POSTs them in envelopes of at most :data:`ENVELOPE_SIZE` objects:

- to the peer's Accord inbox ``<url>federation/inbox/`` (default), or to its TAXII 2.1 Add
  Objects endpoint ``<url>taxii2/accord/collections/<inbox>/objects/`` (section 5.5) when the
  peer names an inbox collection;
- with ``Content-Type: application/taxii+json;version=2.1``, signed with this node's Ed25519
  key per RFC 9421 (``Content-Digest`` per RFC 9530), ``keyid`` = this node's id;
- each object carrying its originator's ``x_accord_signature`` (added here when this node is
  the originator; a relayed object keeps the signature it arrived with);
- beside ``objects``, the members other apps add (:data:`accord.node.extensions.
  ENVELOPE_MEMBER`; dissemination: the provenance of each disclosure), signed with the body.

An item is ``delivered`` only when the answer is 202 and its status resource lists the item's
(id, version) among the successes; listed among the failures it is ``rejected`` (the peer
refused the object itself: retrying cannot help; an operator must look). Any other answer
(connection refused, timeout, 401, 5xx, an envelope the status does not mention) leaves it
``failed`` with the error and a ``next_attempt_at`` after exponential back-off with jitter.
The receiver applies each (id, modified) idempotently, so a retry after a lost answer never
duplicates anything.

A **413** (the body is over the peer's size limit) is not retried as it was sent: an envelope
of several objects is cut in halves, each sent at once in the same pass (and halved again
while still too large); a single object too large alone is ``rejected`` with the peer's reason
(visible in ``accord peer outbox``, the dissemination page and the API; audited in
``peer.deliver``). The peer's announced ``max_content_length`` (its TAXII API root) is not read
first: that costs one more signed request per pass, the Accord inbox is not a TAXII API root,
and envelopes are already cut at :data:`ENVELOPE_BYTES`, well under the default limit; a peer
with a smaller limit costs a few halvings, not a stuck outbox.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
from accord.federation.models import OutboxItem, Peer
from accord.federation.workers import process_id, recover
from accord.http.taxii import TAXII_MEDIA_TYPE
from accord.node.chunking import chunks
from accord.node.extensions import ENVELOPE_MEMBER, registered
from accord.oversight.services import Outcome, audit

__all__ = [
    "ENVELOPE_BYTES",
    "ENVELOPE_SIZE",
    "STALE_CLAIM",
    "DeliveryReport",
    "backoff_seconds",
    "deliver_pending",
    "node_private_key",
    "outgoing_object",
    "peer_push_url",
    "signed_post",
    "version_sources",
]

log = logging.getLogger(__name__)

#: Most objects in one envelope; fewer when they would exceed :data:`ENVELOPE_BYTES`.
ENVELOPE_SIZE = 500
#: About the largest envelope body (bytes), well within the receiver's request limit
#: (``ACCORD_TAXII_MAX_CONTENT_LENGTH``, 10 MiB by default).
ENVELOPE_BYTES = 4 * 1024 * 1024
RETRY_BASE_SECONDS = 2.0
RETRY_CAP_SECONDS = 3600.0
#: An item left "sending" this long is taken back even when its claimer cannot be judged (a
#: process on another host); a dead claimer's items are taken back at once (federation.workers).
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


def node_private_key() -> Any:
    """This node's Ed25519 signing key, read from the data directory (``ACCORD_DATA_DIR``)."""
    from accord.node.services import load_private_key

    return load_private_key(Path(settings.DATA_DIR))


def signed_post(
    url: str, body: bytes, *, node_id: str, private_key: Any, client: httpx.Client
) -> httpx.Response:
    """POST ``body`` to ``url`` signed per RFC 9421 as ``node_id``."""
    headers = sign_request(
        "POST",
        url,
        {"Content-Type": TAXII_MEDIA_TYPE, "Accept": TAXII_MEDIA_TYPE},
        body,
        keyid=node_id,
        private_key=private_key,
    )
    return client.post(url, content=body, headers=headers)


def _claim(
    peer: Peer, now: datetime, force: bool, limit: int, exclude: frozenset[int] = frozenset()
) -> list[OutboxItem]:
    due = Q(status=OutboxItem.Status.QUEUED) | Q(status=OutboxItem.Status.FAILED)
    if not force:
        due &= Q(next_attempt_at__lte=now)
    stale = Q(status=OutboxItem.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    token = uuid.uuid4().hex
    with transaction.atomic():
        ids = list(
            OutboxItem.objects.filter(peer=peer)
            .filter(due | stale)
            .exclude(pk__in=exclude)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        OutboxItem.objects.filter(pk__in=ids).filter(due | stale).update(
            status=OutboxItem.Status.SENDING, claim=token, claimed_at=now, claimed_by=process_id()
        )
    return list(
        OutboxItem.objects.filter(claim=token, status=OutboxItem.Status.SENDING).order_by("pk")
    )


def version_sources(items: list[OutboxItem]) -> dict[int, tuple[str, str]]:
    """version id -> (the version's JSON, its record's origin node) for ``items``: plain rows
    in a few queries, not three model instances per item."""
    from accord.intel.models import RecordVersion

    ids = sorted({i.version_id for i in items})
    out: dict[int, tuple[str, str]] = {}
    for chunk in chunks(ids):
        for pk, data, origin in RecordVersion.objects.filter(pk__in=chunk).values_list(
            "pk", "data", "record__origin_node"
        ):
            out[pk] = (data, origin or "")
    return out


def outgoing_object(source: tuple[str, str] | None, me: Any, key: Any) -> dict[str, Any] | str:
    """The object to send (``source``: the version's JSON and its record's origin node), signed
    by its originator, or the reason it cannot be sent."""
    if source is None:
        return "the version is no longer stored"
    data, origin = source
    obj = orjson.loads(data)
    if not isinstance(obj, dict):
        return "the stored version is not a JSON object"
    if is_shared_definition(obj):
        return obj  # a TLP or Accord handling definition: self-certifying, no signature
    if SIGNATURE_PROPERTY in obj:
        return obj  # relayed (or already signed): the originator's signature travels
    if origin and origin != me.node_id:
        return f"no originator signature: cannot relay an object of {origin} unsigned"
    if obj.get("created_by_ref") != me.identity_id:
        return "created_by_ref is not this node's identity: this node cannot sign it"
    try:
        return sign_object(obj, me.node_id, key)
    except ValueError as exc:
        return f"cannot be signed: {exc}"


def _fail(items: list[OutboxItem], error: str, now: datetime) -> None:
    """Mark ``items`` failed with ``error``, retried after the back-off of their attempts (one
    bulk update, not one per item). Items failed together with the same number of attempts
    share one random draw, so that they are retried together, in one envelope, not scattered
    over the back-off window."""
    delays: dict[int, float] = {}
    for item in items:
        item.attempts += 1
        item.status = OutboxItem.Status.FAILED
        item.last_error = error[:2000]
        if item.attempts not in delays:
            delays[item.attempts] = backoff_seconds(item.attempts)
        item.next_attempt_at = now + timedelta(seconds=delays[item.attempts])
        item.claim = ""
    OutboxItem.objects.bulk_update(
        items, ["status", "attempts", "last_error", "next_attempt_at", "claim"], batch_size=500
    )


def _reject(items: list[OutboxItem], count_attempt: bool) -> None:
    """Store the ``rejected`` status (``last_error`` already set on each item)."""
    for item in items:
        item.status = OutboxItem.Status.REJECTED
        item.claim = ""
        if count_attempt:
            item.attempts += 1
    OutboxItem.objects.bulk_update(
        items, ["status", "attempts", "last_error", "claim"], batch_size=500
    )


@dataclass
class _Envelope:
    """One prepared envelope: the claimed items it covers, those actually in it (signed), those
    rejected before sending, and the signed-over body."""

    items: list[OutboxItem]
    sendable: list[OutboxItem]
    rejected: int
    body: bytes


def _envelopes(peer: Peer, items: list[OutboxItem], me: Any, key: Any) -> Iterator[_Envelope]:
    """Sign the claimed items and cut them into envelopes of at most :data:`ENVELOPE_SIZE`
    objects and about :data:`ENVELOPE_BYTES` bytes (an object larger than that goes alone), so
    that an envelope stays within the receiver's request size limit. Items that cannot be
    signed are marked ``rejected`` here. A generator: the next envelope is prepared while the
    previous one is in flight (see :func:`deliver_pending`)."""
    chunk: list[OutboxItem] = []
    sendable: list[OutboxItem] = []
    objects: list[dict[str, Any]] = []
    unsendable: list[OutboxItem] = []
    size = 0
    sources: dict[int, tuple[str, str]] = {}

    def cut() -> _Envelope:
        _reject(unsendable, count_attempt=False)
        envelope: dict[str, Any] = {"objects": objects}
        if sendable:
            for member in registered(ENVELOPE_MEMBER):
                envelope.update(member(peer, sendable))
        body = orjson.dumps(envelope) if sendable else b""
        return _Envelope(list(chunk), list(sendable), len(unsendable), body)

    for position, item in enumerate(items):
        if position % ENVELOPE_SIZE == 0:  # read the JSON as it is needed, not all up front
            sources = version_sources(items[position : position + ENVELOPE_SIZE])
        payload = outgoing_object(sources.get(item.version_id), me, key)
        if isinstance(payload, str):
            item.last_error = payload
            unsendable.append(item)
            chunk.append(item)
            continue
        weight = len(orjson.dumps(payload)) + 1
        if sendable and (len(sendable) >= ENVELOPE_SIZE or size + weight > ENVELOPE_BYTES):
            yield cut()
            chunk, sendable, objects, unsendable, size = [], [], [], [], 0
        chunk.append(item)
        sendable.append(item)
        objects.append(payload)
        size += weight
    if chunk:
        yield cut()


def _post(peer: Peer, body: bytes, me: Any, key: Any, client: httpx.Client) -> httpx.Response:
    """POST one envelope, signed (runs in the sending thread: no database access here)."""
    return signed_post(
        peer_push_url(peer), body, node_id=me.node_id, private_key=key, client=client
    )


def _settle(
    peer: Peer,
    envelope: _Envelope,
    outcome: httpx.Response | httpx.HTTPError | None,
    now: datetime,
) -> tuple[int, int, int, str]:
    """Record the peer's answer to one envelope on its items (``outcome`` None: nothing was
    sendable); (delivered, rejected, failed, error)."""
    rejected = envelope.rejected
    sendable = envelope.sendable
    if not sendable or outcome is None:
        return 0, rejected, 0, ""
    if isinstance(outcome, httpx.HTTPError):
        error = f"cannot reach {peer.node_id}: {type(outcome).__name__}: {outcome}"
        _fail(sendable, error, now)
        return 0, rejected, len(sendable), error
    response = outcome
    if response.status_code == 413 and len(sendable) == 1:
        # The object alone is over the peer's size limit: sending it again cannot help.
        (item,) = sendable
        error = f"{peer.node_id} refused it as too large (413): {_reason(response)}"
        item.last_error = error[:2000]
        _reject(sendable, count_attempt=True)
        return 0, rejected + 1, 0, error
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
    refused_items: list[OutboxItem] = []
    missing: list[OutboxItem] = []
    for item in sendable:
        pair = (item.stix_id, item.modified)
        if pair in ok:
            delivered.append(item.pk)
        elif pair in refused:
            item.last_error = f"refused by {peer.node_id}: {refused[pair]}"[:2000]
            refused_items.append(item)
        else:
            missing.append(item)
    if refused_items:
        _reject(refused_items, count_attempt=True)
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
    return len(delivered), rejected + len(refused_items), len(missing), error


def _reason(response: httpx.Response) -> str:
    """The peer's reason in an error answer: the TAXII error message's description (section
    3.6.1), else the start of the body."""
    try:
        error = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.text[:300]  # not a TAXII error message: its text is the reason
    if isinstance(error, dict) and isinstance(error.get("description"), str):
        return error["description"][:300]
    return response.text[:300]


def _halves(peer: Peer, envelope: _Envelope) -> list[_Envelope]:
    """``envelope`` (more than one object, answered 413) cut into two envelopes of half its
    objects each, re-using the signed objects already in its body. The items refused before
    sending stay with the first half (they are settled, and counted, once)."""
    objects = orjson.loads(envelope.body)["objects"]
    sendable = envelope.sendable
    half = len(sendable) // 2
    sent = {i.pk for i in sendable}
    unsendable = [i for i in envelope.items if i.pk not in sent]
    parts = (
        (unsendable + sendable[:half], sendable[:half], objects[:half], envelope.rejected),
        (sendable[half:], sendable[half:], objects[half:], 0),
    )
    out = []
    for items, part, payloads, rejected in parts:
        body: dict[str, Any] = {"objects": payloads}
        for member in registered(ENVELOPE_MEMBER):
            body.update(member(peer, part))
        out.append(_Envelope(items, part, rejected, orjson.dumps(body)))
    return out


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

    Envelopes to one peer leave one after another, in order (an envelope is sent only once the
    previous one is answered), but the next one is signed and serialised while the previous
    one is in flight, so the sender's work overlaps the receiver's.

    Legal effect: carries out disclosures already decided and queued (:func:`enqueue`); each
    envelope is audited (``peer.deliver``: peer, object ids, delivered/rejected/failed).
    """
    from accord.node.models import NodeIdentity

    me = NodeIdentity.current()
    report = DeliveryReport()
    if me is None:
        return report
    recover(tasks=False)  # items a dead process left "sending" are due again now
    key = node_private_key()
    peers = [peer] if peer is not None else list(Peer.objects.filter(enabled=True))
    own = client is None
    http = client or httpx.Client(timeout=30.0, follow_redirects=False, trust_env=False)
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="accord-peer-send") as sender:
            run = _Pass(me, key, http, sender, batch, report, progress)
            for target in peers:
                if target.enabled:
                    _deliver_to(target, run, force)
    finally:
        if own:
            http.close()
    return report


@dataclass(frozen=True)
class _Pass:
    """What every envelope of one delivery pass goes with: this node and its signing key, the
    HTTP client and the one thread that POSTs, the batch size, the report the pass fills and
    where its progress lines go."""

    me: Any
    key: Any
    http: httpx.Client
    sender: ThreadPoolExecutor
    batch: int
    report: DeliveryReport
    progress: Callable[[str], None] | None

    def post(self, target: Peer, body: bytes) -> Future[httpx.Response]:
        """Queue ``body`` for ``target`` on the sending thread, behind what is queued."""
        return self.sender.submit(_post, target, body, self.me, self.key, self.http)


def _deliver_to(target: Peer, run: _Pass, force: bool) -> None:
    """Send ``target``'s due items; when the peer took some (it answers again after being
    unreachable), its items still waiting out a back-off go at once too: the back-off spares a
    peer that is down, not one that answers."""
    before = run.report.delivered
    tried, answered = _deliver_claimed(target, run, force)
    if not force and answered and run.report.delivered > before:
        _deliver_claimed(target, run, True, exclude=tried)


def _deliver_claimed(
    target: Peer, run: _Pass, force: bool, exclude: frozenset[int] = frozenset()
) -> tuple[frozenset[int], bool]:
    """Claim ``target``'s due items (``force``: also those in back-off; never ``exclude``) and
    send them: envelope *n* is POSTed by the sending thread while this thread prepares
    envelope *n + 1*; when the peer is unreachable the rest wait for the next pass. Returns the
    items claimed and whether the peer answered every envelope."""
    items = _claim(target, timezone.now(), force, run.batch, exclude)
    settled: set[int] = set()
    in_flight: tuple[_Envelope, Future[httpx.Response]] | None = None
    prepared = _envelopes(target, items, run.me, run.key)

    def finish(envelope: _Envelope, future: Future[httpx.Response] | None) -> bool:
        """Settle and audit one envelope; False when the peer proved unreachable."""
        outcome: httpx.Response | httpx.HTTPError | None = None
        if future is not None:
            try:
                outcome = future.result()
            except httpx.HTTPError as exc:
                outcome = exc
        if (
            isinstance(outcome, httpx.Response)
            and outcome.status_code == 413
            and len(envelope.sendable) > 1
        ):
            # Too large for the peer: send each half at once (same pass); a half still too
            # large is halved again, down to one object, which is then rejected.
            log.info(
                "peer %s: 413 for %d objects, sending them in halves",
                target.node_id,
                len(envelope.sendable),
            )
            reachable = True
            for half in _halves(target, envelope):
                reachable = finish(half, run.post(target, half.body)) and reachable
            return reachable
        delivered, rejected, failed, error = _settle(target, envelope, outcome, timezone.now())
        settled.update(i.pk for i in envelope.items)
        run.report.attempted += len(envelope.items)
        run.report.delivered += delivered
        run.report.rejected += rejected
        run.report.failed += failed
        if error:
            run.report.errors[target.node_id] = error
        audit(
            None,
            "peer.deliver",
            object_ids=sorted({i.stix_id for i in envelope.items})[:1000],
            outcome=Outcome.OK if not (failed or rejected) else Outcome.FAILED,
            detail={
                "peer": target.node_id,
                "sent": len(envelope.items),
                "delivered": delivered,
                "rejected": rejected,
                "failed": failed,
                "error": error[:500],
            },
        )
        if run.progress is not None:
            run.progress(
                f"peer {target.node_id}: {delivered} delivered, {rejected} rejected, "
                f"{failed} failed" + (f" ({error})" if error else "")
            )
        return not (failed and not delivered)

    reachable = True
    for envelope in prepared:
        # Queued behind the envelope in flight on the single sending thread: envelopes leave
        # in order, and the next one starts as soon as the previous one is answered.
        future = run.post(target, envelope.body) if envelope.body else None
        if in_flight is not None:
            reachable = finish(*in_flight)
        in_flight = (envelope, future) if future is not None else None
        if future is None:
            finish(envelope, None)
        if not reachable:
            break
    if in_flight is not None:
        reachable = finish(*in_flight) and reachable
    rest = [i for i in items if i.pk not in settled and i.status == OutboxItem.Status.SENDING]
    if rest:
        # The peer is unreachable: leave the rest for the next pass.
        error = run.report.errors.get(target.node_id, f"{target.node_id} unreachable")
        _fail(rest, error, timezone.now())
        run.report.failed += len(rest)
    return frozenset(i.pk for i in items), reachable and not rest
