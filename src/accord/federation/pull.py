"""Catch-up by pull: a peer reads, over signed requests, what this node disclosed to it.

Push (:mod:`accord.federation.delivery`) is the low-latency path; pull is the catch-up
path (issue #4: "push to the peer's inbox for low latency; pull with ``added_after`` for
catch-up"), for a receiver that was down, lost its data or restored a backup.

Serving (the disclosing node): ``GET /federation/outbox/objects/?added_after=…&limit=…&next=…``
(and ``x_accord_undelivered=true``: only items whose push the peer has not confirmed),
signed by a registered peer (RFC 9421, checked by the peers middleware), answers a TAXII 2.1
envelope (section 3.7: ``more``, ``next``, ``objects``) of the object versions this node
queued for **that** peer (its outbox items, in the order they were queued), each signed by its
originator exactly as pushed, plus the same envelope members as a push (the disclosure facts:
purpose, agreements, retention, revocation orders). ``X-TAXII-Date-Added-First`` / ``-Last``
carry the dates the items were queued (the "date added" of this log); the last one is repeated
in the body as ``x_accord_date_added_last``, under the answer's signature. Never served: items of
another peer, items refused (``rejected``), and for a revoked record every version but the
revoking one (which carries the revocation or deletion order). The answer is signed by this
node (RFC 9421 components of the request plus the answer's ``Content-Digest`` and
``Content-Type``, with the request's nonce), so the facts beside the objects travel signed as in
a push. Audited: ``peer.serve`` (the peer, the object ids read).

Pulling (the receiving node): :func:`pull_from` sends that request as this node, checks the
answer's signature (the peer's key, the nonce it sent), and hands each page to
:func:`~accord.federation.services.receive_envelope`: the same originator-signature and
provenance checks, the same idempotent store on (id, modified), the same provenance hooks as
the inbox. The peer's ``PullCursor`` keeps the last date added (signed); the next pull
asks ``added_after`` = cursor minus :func:`pull_overlap` seconds, because an item queued in a
transaction that commits late can carry an earlier date than one already read. Versions in
that overlap already held here, byte for byte, are not applied again. Audited: ``peer.pull``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
import orjson
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from accord.engine.signing import sign_request, verify_request
from accord.federation.models import OutboxItem, Peer, PullCursor
from accord.http.taxii import TAXII_MEDIA_TYPE, is_taxii_media_type, peer_error
from accord.node.chunking import chunks
from accord.oversight.services import Outcome, audit

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = [
    "PAGE_LIMIT",
    "PULL_PATH",
    "PullError",
    "PullReport",
    "disclosed_page",
    "outbox_objects",
    "pull_from",
    "pull_interval",
    "pull_overlap",
]

PULL_PATH = "federation/outbox/objects/"
#: Objects per page unless the puller asks for fewer; at most :data:`MAX_PAGE_LIMIT`.
PAGE_LIMIT = 500
MAX_PAGE_LIMIT = 1000
#: Pages one pull reads at most (the rest waits for the next pull).
MAX_PAGES = 200
#: Query parameter: only what the puller has not confirmed by push yet (scheduled pulls).
UNDELIVERED_PARAM = "x_accord_undelivered"
#: Envelope member repeating ``X-TAXII-Date-Added-Last`` under the answer's signature.
DATE_ADDED_LAST = "x_accord_date_added_last"


class PullError(Exception):
    """A pull request or its answer is not acceptable (the message says why)."""


def pull_overlap() -> int:
    """Seconds before the cursor that a pull asks again (``ACCORD_PEER_PULL_OVERLAP``, 60)."""
    return int(os.environ.get("ACCORD_PEER_PULL_OVERLAP", "60"))


def pull_interval() -> int:
    """Seconds between scheduled pulls from every enabled Accord peer
    (``ACCORD_PEER_PULL_INTERVAL``, 300; 0 turns scheduled pulls off)."""
    return int(os.environ.get("ACCORD_PEER_PULL_INTERVAL", "300"))


def _timestamp(value: datetime) -> str:
    """A TAXII 2.1 timestamp (RFC 3339, UTC, microseconds)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_timestamp(text: str) -> datetime:
    """An RFC 3339 timestamp in UTC (``Z``), with or without fractional seconds."""
    if not isinstance(text, str) or not text.endswith("Z") or len(text) > 40:
        raise ValueError(f"not an RFC 3339 UTC timestamp: {text!r}")
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00")
    except ValueError:
        raise ValueError(f"not an RFC 3339 UTC timestamp: {text!r}") from None
    return moment.astimezone(UTC)


# --------------------------------------------------------------------------------------------
# Serving what was disclosed to the requesting peer


@dataclass
class Page:
    """One page of a peer's disclosures: the envelope, the items it covers and where it ends."""

    envelope: dict[str, Any]
    items: list[OutboxItem]
    first: datetime | None
    last: datetime | None


def _parse_next(token: str) -> tuple[datetime, int]:
    moment, _, pk = token.rpartition("|")
    if not pk.isdigit():
        raise ValueError(f"not a next token of this server: {token!r}")
    return _parse_timestamp(moment), int(pk)


def disclosed_page(
    peer: Peer,
    *,
    added_after: datetime | None = None,
    next_token: str = "",
    limit: int = PAGE_LIMIT,
    undelivered_only: bool = False,
) -> Page:
    """The next page of what this node queued for ``peer`` (see the module docstring), after
    ``added_after`` or after the item a ``next`` token names; with ``undelivered_only``, only
    the items whose push the peer has not confirmed yet. Raises ``ValueError`` for a bad
    token."""
    from accord.federation.delivery import (
        ENVELOPE_BYTES,
        node_private_key,
        outgoing_object,
        version_sources,
    )
    from accord.intel.models import RecordVersion
    from accord.node.extensions import ENVELOPE_MEMBER, registered
    from accord.node.models import NodeIdentity

    items = OutboxItem.objects.filter(peer=peer).exclude(status=OutboxItem.Status.REJECTED)
    if undelivered_only:
        items = items.exclude(status=OutboxItem.Status.DELIVERED)
    if next_token:
        moment, pk = _parse_next(next_token)
        items = items.filter(Q(created_at__gt=moment) | Q(created_at=moment, pk__gt=pk))
    elif added_after is not None:
        items = items.filter(created_at__gt=added_after)
    rows = list(items.order_by("created_at", "pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    me = NodeIdentity.current()
    key = node_private_key() if rows else None
    sources = version_sources(rows)
    revoked = set(
        RecordVersion.objects.filter(
            pk__in=[r.version_id for r in rows], record__revoked=True
        ).values_list("pk", flat=True)
    )
    objects: list[dict[str, Any]] = []
    served: list[OutboxItem] = []
    scanned: list[OutboxItem] = []
    size = 0
    for item in rows:
        payload = outgoing_object(sources.get(item.version_id), me, key)
        if (
            not isinstance(payload, str)
            and item.version_id in revoked
            and not payload.get("revoked")
        ):
            payload = "the record was revoked: only the revoking version is served"
        if isinstance(payload, str):
            scanned.append(item)  # never sent: not served, but the page moves past it
            continue
        weight = len(orjson.dumps(payload)) + 1
        if served and size + weight > ENVELOPE_BYTES:
            more = True
            break
        objects.append(payload)
        served.append(item)
        scanned.append(item)
        size += weight
    envelope: dict[str, Any] = {"more": more, "objects": objects}
    if served:
        for member in registered(ENVELOPE_MEMBER):
            envelope.update(member(peer, served))
    last = scanned[-1] if scanned else None
    if more and last is not None:
        envelope["next"] = f"{_timestamp(last.created_at)}|{last.pk}"
    return Page(
        envelope=envelope,
        items=served,
        first=scanned[0].created_at if scanned else None,
        last=last.created_at if last is not None else None,
    )


@csrf_exempt
def outbox_objects(request: HttpRequest) -> HttpResponse:
    """``GET /federation/outbox/objects/``: the requesting peer reads what was disclosed to it
    (signed requests only; the answer is signed too)."""
    from accord.federation.delivery import node_private_key
    from accord.node.models import NodeIdentity

    if request.method != "GET":
        response = peer_error(405, "Method Not Allowed", "allowed: GET")
        response["Allow"] = "GET"
        return response
    peer: Peer | None = getattr(request, "peer", None)
    signature = getattr(request, "peer_signature", None)
    if peer is None or signature is None:
        return peer_error(401, "Unauthorized", "only requests signed by a peer (RFC 9421)")
    me = NodeIdentity.current()
    if me is None:
        return peer_error(503, "Service Unavailable", "this node has no identity yet")
    try:
        limit = int(request.GET.get("limit", PAGE_LIMIT))
        if not 1 <= limit <= MAX_PAGE_LIMIT:
            raise ValueError(f"limit must be 1 to {MAX_PAGE_LIMIT}")
        raw_after = request.GET.get("added_after", "")
        added_after = _parse_timestamp(raw_after) if raw_after else None
        undelivered = request.GET.get(UNDELIVERED_PARAM, "false")
        if undelivered not in ("true", "false"):
            raise ValueError(f"{UNDELIVERED_PARAM} must be true or false")
        page = disclosed_page(
            peer,
            added_after=added_after,
            next_token=request.GET.get("next", ""),
            limit=limit,
            undelivered_only=undelivered == "true",
        )
    except ValueError as exc:
        audit(
            peer.user,
            "peer.serve",
            outcome=Outcome.REFUSED,
            detail={"peer": peer.node_id, "query": request.META.get("QUERY_STRING", "")[:300],
                    "error": str(exc)[:300]},
        )  # fmt: skip
        return peer_error(400, "Bad Request", str(exc))
    audit(
        peer.user,
        "peer.serve",
        object_ids=sorted({i.stix_id for i in page.items}),
        detail={
            "peer": peer.node_id,
            "added_after": raw_after,
            "next": bool(request.GET.get("next")),
            "objects": len(page.items),
            "more": page.envelope["more"],
        },
    )
    headers = {"Content-Type": TAXII_MEDIA_TYPE}
    if page.first is not None and page.last is not None:
        headers["X-TAXII-Date-Added-First"] = _timestamp(page.first)
        headers["X-TAXII-Date-Added-Last"] = _timestamp(page.last)
        # The same in the body, which the answer's signature covers (the headers are not).
        page.envelope[DATE_ADDED_LAST] = headers["X-TAXII-Date-Added-Last"]
    body = orjson.dumps(page.envelope)
    signed = sign_request(
        "GET",
        request.build_absolute_uri(),
        headers,
        body,
        keyid=me.node_id,
        private_key=node_private_key(),
        nonce=signature.nonce,
    )
    response = HttpResponse(body, status=200, content_type=TAXII_MEDIA_TYPE)
    for name, value in signed.items():
        response[name] = value
    return response


# --------------------------------------------------------------------------------------------
# Pulling from a peer


@dataclass
class PullReport:
    """What one pull from a peer did."""

    peer: str
    pages: int = 0
    received: int = 0
    stored: int = 0
    already_held: int = 0
    refused: int = 0
    added_after_before: str = ""
    added_after: str = ""
    error: str = ""
    failures: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "peer": self.peer,
            "pages": self.pages,
            "received": self.received,
            "stored": self.stored,
            "already_held": self.already_held,
            "refused": self.refused,
            "added_after_before": self.added_after_before,
            "added_after": self.added_after,
            "error": self.error,
            "failures": self.failures[:100],
        }


def _held(objects: list[Any]) -> set[int]:
    """Indexes of the objects whose (id, modified) this node holds with exactly this content
    (re-read in the pull's overlap): applying them again would change nothing."""
    from accord.intel.models import RecordVersion

    wanted: dict[tuple[str, str], list[int]] = {}
    for i, obj in enumerate(objects):
        if isinstance(obj, dict) and isinstance(obj.get("id"), str):
            version = str(obj.get("modified") or obj.get("created") or "")
            wanted.setdefault((obj["id"], version), []).append(i)
    if not wanted:
        return set()
    ids = sorted({stix_id for stix_id, _ in wanted})
    held: set[int] = set()
    for chunk in chunks(ids):
        for stix_id, modified, data in RecordVersion.objects.filter(
            record__stix_id__in=chunk
        ).values_list("record__stix_id", "modified", "data"):
            for i in wanted.get((stix_id, modified), ()):
                if orjson.loads(data) == objects[i]:
                    held.add(i)
    return held


def _verify_answer(
    peer: Peer, url: str, response: httpx.Response, nonce: str
) -> tuple[dict[str, Any], str]:
    """The envelope of a verified answer and its date added last (from the signed body, not
    the unsigned ``X-TAXII-Date-Added-Last`` header); raises :class:`PullError` naming what is
    wrong."""
    from accord.federation.services import clock_skew, load_public_key, max_age

    if response.status_code != 200:
        raise PullError(f"{peer.node_id} answered {response.status_code}: {response.text[:300]}")
    peer_key = load_public_key(peer.public_key_pem)
    check = verify_request(
        "GET",
        url,
        dict(response.headers.items()),
        response.content,
        public_key_for=lambda keyid: peer_key if keyid == peer.node_id else None,
        remember_nonce=None,
        max_age=max_age(),
        clock_skew=clock_skew(),
    )
    if not check.ok:
        raise PullError(f"the answer's signature is refused: {check.reason}")
    if check.nonce != nonce:
        raise PullError("the answer's signature is for another request (nonce differs)")
    if not is_taxii_media_type(response.headers.get("content-type", "")):
        raise PullError(f"the answer is not {TAXII_MEDIA_TYPE}")
    try:
        envelope = orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise PullError(f"the answer is not valid JSON: {exc}") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("objects", []), list):
        raise PullError("the answer is not a TAXII envelope with an 'objects' list")
    last = envelope.get(DATE_ADDED_LAST) or ""
    if last:
        try:
            _parse_timestamp(last)
        except ValueError as exc:
            raise PullError(f"{DATE_ADDED_LAST}: {exc}") from None
    return envelope, str(last)


def _fetch_page(
    http: httpx.Client, peer: Peer, node_id: str, key: Ed25519PrivateKey, query: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """One page of ``query``, asked of ``peer`` in a request signed as ``node_id``; the
    verified envelope and its date added last (see :func:`_verify_answer`)."""
    url = f"{peer.url}{PULL_PATH}?{urlencode(query)}"
    nonce = secrets.token_urlsafe(16)
    headers = sign_request(
        "GET",
        url,
        {"Accept": TAXII_MEDIA_TYPE},
        b"",
        keyid=node_id,
        private_key=key,
        nonce=nonce,
    )
    try:
        response = http.get(url, headers=headers)
    except httpx.HTTPError as exc:
        raise PullError(f"cannot reach {peer.node_id}: {type(exc).__name__}: {exc}") from None
    return _verify_answer(peer, url, response, nonce)


def _apply_page(
    peer: Peer, report: PullReport, cursor: PullCursor, envelope: dict[str, Any], last: str
) -> None:
    """Store the page's objects this node does not hold yet, as if ``peer`` had pushed them,
    count them in ``report``, and move the cursor to the page's date added last when later."""
    from accord.federation.services import receive_envelope

    objects = envelope.get("objects") or []
    report.pages += 1
    report.received += len(objects)
    held = _held(objects)
    fresh = [o for i, o in enumerate(objects) if i not in held]
    report.already_held += len(held)
    if fresh:
        status = receive_envelope(peer, fresh, {**envelope, "objects": fresh})
        report.stored += int(status["success_count"])
        report.refused += int(status["failure_count"])
        report.failures.extend(status.get("failures", []))
    if last and (
        not cursor.added_after or _parse_timestamp(last) > _parse_timestamp(cursor.added_after)
    ):
        cursor.added_after = last
        cursor.save(update_fields=["added_after"])


def pull_from(
    peer: Peer,
    *,
    client: httpx.Client | None = None,
    limit: int = PAGE_LIMIT,
    reset: bool = False,
    undelivered_only: bool = False,
) -> PullReport:
    """Catch up on what ``peer`` disclosed to this node since the cursor (all of it with
    ``reset``); the cursor moves after every page that was applied. With ``undelivered_only``
    (the scheduled pull) the peer serves only what this node has not confirmed by push yet, so
    that objects are not transferred twice; a full pull (the default, and ``accord peer pull``)
    serves everything disclosed, for a node restored from a backup.

    Legal effect: the objects become records of this node exactly as if the peer had pushed
    them (same checks, provenance and audit: ``peer.receive``, ``peer.object``,
    ``dissemination.receive``); the pull itself is audited as ``peer.pull`` (peer, cursor
    before and after, counts, error).
    """
    from accord.federation.delivery import node_private_key
    from accord.node.models import NodeIdentity

    report = PullReport(peer=peer.node_id)
    me = NodeIdentity.current()
    if me is None:
        report.error = "this node has no identity yet"
        return report
    cursor, _ = PullCursor.objects.get_or_create(peer=peer)
    if reset:
        cursor.added_after = ""
    report.added_after_before = report.added_after = cursor.added_after
    query: dict[str, Any] = {"limit": max(1, min(limit, MAX_PAGE_LIMIT))}
    if undelivered_only:
        query[UNDELIVERED_PARAM] = "true"
    if cursor.added_after:
        since = _parse_timestamp(cursor.added_after) - timedelta(seconds=pull_overlap())
        query["added_after"] = _timestamp(since)
    key = node_private_key()
    own = client is None
    http = client or httpx.Client(timeout=60.0, follow_redirects=False, trust_env=False)
    try:
        if not peer.enabled:
            raise PullError(f"peer {peer.node_id} is disabled")
        for _ in range(MAX_PAGES):
            envelope, last = _fetch_page(http, peer, me.node_id, key, query)
            _apply_page(peer, report, cursor, envelope, last)
            token = envelope.get("next")
            if not envelope.get("more") or not isinstance(token, str) or not token:
                break
            query = {k: v for k, v in query.items() if k != "added_after"} | {"next": token}
    except PullError as exc:
        report.error = str(exc)
    finally:
        if own:
            http.close()
    report.added_after = cursor.added_after
    cursor.last_pull_at = timezone.now()
    cursor.last_error = report.error[:2000]
    cursor.pulled += report.stored
    cursor.refused += report.refused
    cursor.save()
    outcome = Outcome.FAILED if report.error else Outcome.OK
    if not report.error and report.refused:
        outcome = Outcome.REFUSED
    audit(
        None,
        "peer.pull",
        object_ids=[f"peer:{peer.node_id}"],
        outcome=outcome,
        detail={k: v for k, v in report.to_dict().items() if k != "failures"}
        | {"refused_ids": sorted({f.get("id", "") for f in report.failures})[:100]},
    )
    return report
