"""The federation side of dissemination: provenance with each push, revocation and deletion on
the recipient, and signed notices (acknowledgements, consent requests and answers).

- Sending: :func:`envelope_disclosures` (registered in the peers delivery's
  ``ENVELOPE_MEMBERS``) adds ``x_accord_disclosures`` beside ``objects`` in the pushed TAXII
  envelope: per object version, the disclosure's purpose, agreements ({id, version}) and
  maximum retention, or the originator's revocation / deletion order. The envelope body is
  covered by the RFC 9530 ``Content-Digest`` that the RFC 9421 signature signs, so these facts
  travel signed without touching the signed STIX object.
- Receiving: :func:`~accord.dissemination.admission.check_disclosures` (in the peers
  ``ADMISSION_HOOKS``, before the objects are stored) refuses an object whose facts this
  node's agreements do not support; then :func:`on_received` (in the peers ``RECEIVE_HOOKS``,
  inside the inbox's transaction) writes a :class:`ReceivedDisclosure` for each stored object
  (sender, agreement, purpose, retention deadline = received_at + max_retention_days), marks
  revoked objects, purges ordered deletions (a tombstone keeps the id) and queues a signed
  acknowledgement.
- Notices: :class:`FederationNotice` rows, POSTed signed (RFC 9421) as JSON to the peer's
  ``/federation/dissemination/notices/`` by :func:`deliver_notices`: a pass is queued right
  after the commit (low latency), and the peers delivery schedule (:func:`notices_tick`, in
  ``accord.federation.peers.tasks.SCHEDULE_HOOKS``) queues one on every tick while notices are
  due, so failed notices are retried with the outbox's back-off by the same scheduler that
  retries the outbox; received by :func:`notices_view`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django_tasks import task

from accord.dissemination.admission import check_disclosures
from accord.dissemination.models import (
    ApprovalRequest,
    ConsentRequest,
    DisseminationEntry,
    FederationNotice,
    ReceivedDisclosure,
    RevocationOrder,
)
from accord.oversight.services import Outcome, audit

__all__ = [
    "ENVELOPE_MEMBER",
    "deliver_notices",
    "envelope_disclosures",
    "install",
    "notices_due",
    "notices_tick",
    "notices_view",
    "on_received",
    "request_consent",
    "send_consent_answer",
]

log = logging.getLogger(__name__)

#: The envelope member that carries the disclosure facts beside ``objects``.
ENVELOPE_MEMBER = "x_accord_disclosures"
NOTICE_PATH = "federation/dissemination/notices/"
NOTICE_KINDS = ("ack", "consent_request", "consent_answer")

#: Notice kinds other apps handle (``register_notice_kind``): kind -> handler(peer, body),
#: which returns '' when applied or why it was refused; it runs inside the receiving
#: transaction and writes its own audit entry.
_EXTRA_HANDLERS: dict[str, Callable[[Any, dict[str, Any]], str]] = {}


def register_notice_kind(kind: str, handler: Callable[[Any, dict[str, Any]], str]) -> None:
    """Let another app (screening's hit notices) receive signed notices of ``kind``; call it
    from that app's ``AppConfig.ready``. Sending is :func:`queue_notice` with the same kind."""
    if kind in NOTICE_KINDS:
        raise ValueError(f"notice kind {kind!r} is dissemination's own")
    _EXTRA_HANDLERS[kind] = handler


def install() -> None:
    """Register the sending, admission and receiving hooks with the peers transport (once)."""
    from accord.federation.peers import delivery, services, tasks

    if notices_tick not in tasks.SCHEDULE_HOOKS:
        tasks.SCHEDULE_HOOKS.append(notices_tick)
    if envelope_disclosures not in delivery.ENVELOPE_MEMBERS:
        delivery.ENVELOPE_MEMBERS.append(envelope_disclosures)
    if on_received not in services.RECEIVE_HOOKS:
        services.RECEIVE_HOOKS.append(on_received)
    if check_disclosures not in services.ADMISSION_HOOKS:
        services.ADMISSION_HOOKS.append(check_disclosures)


# --------------------------------------------------------------------------------------------
# Sending: the facts beside the objects


def envelope_disclosures(peer: Any, items: list[Any]) -> dict[str, Any]:
    """``{"x_accord_disclosures": [...]}`` for the outbox items in one envelope (or {})."""
    ids = [i.pk for i in items]
    facts: dict[int, dict[str, Any]] = {}
    for entry in DisseminationEntry.objects.filter(outbox_item_id__in=ids).select_related(
        "dissemination"
    ):
        facts.setdefault(
            entry.outbox_item_id,
            {
                "id": entry.stix_id,
                "purpose": entry.dissemination.purpose,
                "agreements": entry.agreements,
                "max_retention_days": entry.max_retention_days,
                "dissemination": str(entry.dissemination_id),
            },
        )
    for order in RevocationOrder.objects.filter(outbox_item_id__in=ids):
        facts[order.outbox_item_id] = {
            "id": order.stix_id,
            "notice": order.action,
            "order": order.pk,
            "reason": order.reason,
        }
    out = []
    for item in items:
        fact = facts.get(item.pk)
        if fact is not None:
            out.append({**fact, "version": item.modified})
    return {ENVELOPE_MEMBER: out} if out else {}


# --------------------------------------------------------------------------------------------
# Receiving


def _clean_agreements(value: Any) -> list[dict[str, Any]]:
    out = []
    for a in value if isinstance(value, list) else ():
        if isinstance(a, dict) and isinstance(a.get("id"), str):
            version = a.get("version")
            out.append(
                {"id": a["id"][:100], "version": version if isinstance(version, int) else None}
            )
    return out[:20]


def on_received(peer: Any, envelope: Any, successes: list[dict[str, str]]) -> None:
    """Provenance, revocation and deletion for the objects of one envelope that were stored.

    The records and the existing provenance rows are read in one query each and the new rows
    written in bulk (not one query per object: this runs inside the inbox's transaction for
    every envelope); revocations and deletion orders, rare, are applied one by one.
    """
    facts = envelope.get(ENVELOPE_MEMBER) if isinstance(envelope, dict) else None
    if not isinstance(facts, list):
        facts = []
    stored = sorted({(s["id"], s["version"]) for s in successes})
    by_key = {
        (f.get("id"), f.get("version")): f
        for f in facts
        if isinstance(f, dict) and isinstance(f.get("id"), str)
    }
    from accord.intel.models import Record

    ids = sorted({stix_id for stix_id, _ in stored})
    records: dict[str, _RecordRef] = {}
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        for pk, stix_id, revoked, origin in Record.objects.filter(
            stix_id__in=ids[start : start + _LOOKUP_CHUNK]
        ).values_list("pk", "stix_id", "revoked", "origin_node"):
            records[stix_id] = _RecordRef(pk, revoked, origin or "")
    provenance: dict[str, tuple[str, _RecordRef | None, dict]] = {}
    for stix_id, version in stored:
        fact = by_key.get((stix_id, version))
        ref = records.get(stix_id)
        notice = fact.get("notice") if fact else None
        if notice in ("revoke", "delete"):
            record = Record.objects.filter(pk=ref.pk).first() if ref else None
            _apply_revocation(peer, stix_id, version, record, fact or {})
        elif ref is not None and ref.revoked:
            _mark_revoked(peer, stix_id, ref, {})
        elif fact is not None:
            # Two versions of one object in an envelope: the provenance row (one per object and
            # sender) keeps the newest; ``stored`` is sorted, so the later one wins.
            provenance[stix_id] = (version, ref, fact)
    if provenance:
        _record_provenance(peer, provenance)


@dataclass(frozen=True)
class _RecordRef:
    """What provenance needs of a stored record (not its content)."""

    pk: int
    revoked: bool
    origin_node: str


#: Most values in one ``IN (...)`` look-up (SQLite's variable limit).
_LOOKUP_CHUNK = 2000
_PROVENANCE_FIELDS = (
    "record_id",
    "originator_node",
    "version",
    "agreements",
    "purpose",
    "max_retention_days",
    "received_at",
    "retention_until",
    "dissemination",
)


def _record_provenance(peer: Any, entries: dict[str, tuple[str, _RecordRef | None, dict]]) -> None:
    """Write (or refresh) one :class:`ReceivedDisclosure` per object of ``entries`` (stix id ->
    (version, record, disclosure fact)) from ``peer`` (a version received again keeps the first
    receipt's ``received_at``, its retention counted from then; a later version is a new
    disclosure, dated now), and audit them as
    ``dissemination.receive``: one entry per purpose, agreements and retention, listing every
    object id (in entries of at most 1000 ids) with the versions received."""
    now = timezone.now()
    values: dict[str, dict[str, Any]] = {}
    for stix_id, (version, record, fact) in entries.items():
        days = fact.get("max_retention_days")
        days = days if isinstance(days, int) and 0 < days < 100_000 else None
        values[stix_id] = {
            "record_id": record.pk if record is not None else None,
            "originator_node": record.origin_node if record is not None else "",
            "version": version,
            "agreements": _clean_agreements(fact.get("agreements")),
            "purpose": str(fact.get("purpose") or "")[:64],
            "max_retention_days": days,
            "received_at": now,
            "retention_until": now + timedelta(days=days) if days else None,
            "dissemination": str(fact.get("dissemination") or "")[:64],
        }
    ids = sorted(values)
    existing: dict[str, ReceivedDisclosure] = {}
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        for row in ReceivedDisclosure.objects.filter(
            sender_node=peer.node_id, stix_id__in=ids[start : start + _LOOKUP_CHUNK]
        ):
            existing[row.stix_id] = row
    fresh: list[ReceivedDisclosure] = []
    changed: list[ReceivedDisclosure] = []
    for stix_id in ids:
        row = existing.get(stix_id)
        if row is None:
            fresh.append(
                ReceivedDisclosure(stix_id=stix_id, sender_node=peer.node_id, **values[stix_id])
            )
        else:
            if not _later_version(values[stix_id]["version"], row.version):
                # A re-delivery (a retry after a lost answer, a pull of what a push brought):
                # the retention still runs from the first receipt, never later.
                days = values[stix_id]["max_retention_days"]
                values[stix_id]["received_at"] = row.received_at
                values[stix_id]["retention_until"] = (
                    row.received_at + timedelta(days=days) if days else None
                )
            for name, value in values[stix_id].items():
                setattr(row, name, value)
            changed.append(row)
    ReceivedDisclosure.objects.bulk_create(fresh, batch_size=500)
    if changed:
        ReceivedDisclosure.objects.bulk_update(changed, _PROVENANCE_FIELDS, batch_size=500)
    groups: dict[tuple[str, bytes, Any], list[str]] = {}
    for stix_id in ids:
        v = values[stix_id]
        key = (v["purpose"], orjson.dumps(v["agreements"]), v["max_retention_days"])
        groups.setdefault(key, []).append(stix_id)
    for (purpose, agreements, days), members in groups.items():
        for start in range(0, len(members), 1000):
            chunk = members[start : start + 1000]
            audit(
                peer.user,
                "dissemination.receive",
                object_ids=chunk,
                purpose=purpose,
                detail={
                    "sender": peer.node_id,
                    "objects": len(chunk),
                    "versions": sorted({values[i]["version"] for i in chunk}),
                    "agreements": orjson.loads(agreements),
                    "max_retention_days": days,
                },
            )


def _later_version(version: str, than: str) -> bool:
    """Whether the STIX timestamp ``version`` is later than ``than`` (a new version of the
    object, received as a new disclosure), not the same or an older one sent again."""
    try:
        return datetime.fromisoformat(version) > datetime.fromisoformat(than)
    except (TypeError, ValueError):  # not timestamps, or one without a time zone
        return version > than


def _mark_revoked(peer: Any, stix_id: str, record: Any, fact: dict) -> None:
    now = timezone.now()
    updated = ReceivedDisclosure.objects.filter(stix_id=stix_id, revoked_at__isnull=True).update(
        revoked_at=now
    )
    if updated:
        audit(
            peer.user,
            "dissemination.revoked",
            object_ids=[stix_id],
            detail={"sender": peer.node_id, "reason": str(fact.get("reason", ""))[:500]},
        )


def _purge(record: Any) -> str:
    """Delete the record's content; "deleted", or "blanked" when another record (a confirmed
    screening hit) must keep pointing at it: then only a tombstone's JSON stays."""
    from accord.intel.models import Identifier, NameToken, RecordMarking, RecordVersion

    try:
        with transaction.atomic():
            record.delete()
        return "deleted"
    except ProtectedError:
        tomb = orjson.dumps(
            {
                "type": record.stix_type,
                "id": record.stix_id,
                "revoked": True,
                "x_accord_tombstone": "content deleted on the originator's order",
            }
        ).decode()
        RecordVersion.objects.filter(record=record).update(data=tomb, sha256="")
        NameToken.objects.filter(record=record).delete()
        Identifier.objects.filter(record=record).delete()
        RecordMarking.objects.filter(record=record).delete()
        type(record).objects.filter(pk=record.pk).update(data=tomb, display_name="", revoked=True)
        return "blanked"


def _apply_revocation(peer: Any, stix_id: str, version: str, record: Any, fact: dict) -> None:
    """The originator revoked (and maybe ordered the deletion of) a record: comply, then
    acknowledge, signed. Only the originator's order counts."""
    notice = fact.get("notice")
    if record is not None and record.origin_node and record.origin_node != peer.node_id:
        audit(
            peer.user,
            "dissemination.revoked",
            object_ids=[stix_id],
            outcome=Outcome.DENIED,
            detail={
                "sender": peer.node_id,
                "why": "only the originator revokes",
                "originator": record.origin_node,
            },
        )
        return
    _mark_revoked(peer, stix_id, record, fact)
    now = timezone.now()
    outcome = "revoked"
    if notice == "delete":
        outcome = _purge(record) if record is not None else "deleted"
        rows = ReceivedDisclosure.objects.filter(stix_id=stix_id)
        if not rows.exists():
            ReceivedDisclosure.objects.create(
                stix_id=stix_id,
                sender_node=peer.node_id,
                originator_node=peer.node_id,
                version=version,
                received_at=now,
                revoked_at=now,
            )
        rows.update(deleted_at=now, revoked_at=now, record=None if outcome == "deleted" else record)
        audit(
            peer.user,
            "dissemination.purge",
            object_ids=[stix_id],
            detail={
                "sender": peer.node_id,
                "order": fact.get("order"),
                "outcome": outcome,
                "reason": str(fact.get("reason", ""))[:500],
            },
        )
    queue_notice(
        peer,
        "ack",
        {
            "id": stix_id,
            "version": version,
            "order": fact.get("order"),
            "action": notice,
            "outcome": outcome,
            "at": now.isoformat(),
        },
    )


# --------------------------------------------------------------------------------------------
# Notices


def queue_notice(peer: Any, kind: str, body: dict[str, Any]) -> Any:
    """Queue a signed notice for ``peer``; sent after the commit (and retried)."""
    notice = FederationNotice.objects.create(
        direction="out",
        peer=peer,
        kind=kind,
        body=body,
        status=FederationNotice.Status.QUEUED,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(_schedule)
    return notice


_pending: list[Any] = []


def _schedule() -> None:
    """Queue a notice delivery pass, unless the last one queued from this process has not run
    yet (as the outbox's ``request_delivery``)."""
    try:
        if _pending:
            try:
                _pending[0].refresh()
                if _pending[0].status in ("READY", "RUNNING"):
                    return
            except Exception:  # unreadable result: queue a new pass
                log.debug("dissemination: the last notice pass is unreadable; queueing another")
        _pending[:] = [deliver_notices_task.enqueue()]
    except Exception:  # the next tick sends it; never fail the caller's commit
        log.exception("dissemination: could not queue the notice delivery")


def notices_due(now: Any = None) -> bool:
    """Whether an outgoing notice is waiting to be sent (queued, or failed and past its
    back-off)."""
    now = now or timezone.now()
    return FederationNotice.objects.filter(
        Q(direction="out"),
        Q(status__in=(FederationNotice.Status.QUEUED, FederationNotice.Status.FAILED)),
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True),
        peer__enabled=True,
    ).exists()


def notices_tick() -> None:
    """One tick of the peers delivery schedule: queue a notice pass when notices are due (a
    first send lost with its task, or a retry after back-off)."""
    if notices_due():
        _schedule()


def deliver_notices(client: httpx.Client | None = None) -> dict[str, int]:
    """Send the due notices, each one signed POST; the outcome is on each row.

    A 2xx answer marks the notice delivered; a 4xx other than 408 and 429 marks it
    ``refused`` with the peer's answer (resending the same notice cannot change it); anything
    else (unreachable, 408, 429, 5xx) leaves it ``failed``, retried after back-off.

    Legal effect: carries acknowledgements and consent messages already decided; audited as
    ``dissemination.notice`` per notice sent (outcome ok, failed or refused).
    """
    from accord.federation.peers.delivery import _private_key, backoff_seconds, signed_post
    from accord.node.models import NodeIdentity

    me = NodeIdentity.current()
    counts = {"delivered": 0, "failed": 0, "refused": 0}
    if me is None:
        return counts
    now = timezone.now()
    due = FederationNotice.objects.filter(
        Q(direction="out"),
        Q(status__in=(FederationNotice.Status.QUEUED, FederationNotice.Status.FAILED)),
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True),
    ).select_related("peer")
    notices = list(due[:500])
    if not notices:
        return counts
    key = _private_key()
    http = client or httpx.Client(timeout=30.0, follow_redirects=False, trust_env=False)
    try:
        for n in notices:
            body = orjson.dumps({"id": str(n.id), "kind": n.kind, "body": n.body})
            url = n.peer.url + NOTICE_PATH
            final = False  # the peer refused it for good: a 4xx other than 408 and 429
            try:
                response = signed_post(url, body, node_id=me.node_id, private_key=key, client=http)
                error = (
                    ""
                    if response.status_code in (200, 202)
                    else (
                        f"{n.peer.node_id} answered {response.status_code}: {response.text[:300]}"
                    )
                )
                final = 400 <= response.status_code < 500 and response.status_code not in (
                    408,
                    429,
                )
            except httpx.HTTPError as exc:
                error = f"cannot reach {n.peer.node_id}: {type(exc).__name__}: {exc}"
            if final:
                n.attempts += 1
                n.status = FederationNotice.Status.REFUSED
                n.last_error = error[:2000]
                n.next_attempt_at = None
                counts["refused"] += 1
            elif error:
                n.attempts += 1
                n.status = FederationNotice.Status.FAILED
                n.last_error = error[:2000]
                n.next_attempt_at = timezone.now() + timedelta(seconds=backoff_seconds(n.attempts))
                counts["failed"] += 1
            else:
                n.status = FederationNotice.Status.DELIVERED
                n.delivered_at = timezone.now()
                n.last_error = ""
                counts["delivered"] += 1
            n.save()
            audit(
                None,
                "dissemination.notice",
                object_ids=[str(n.body.get("id", ""))],
                outcome=Outcome.REFUSED if final else Outcome.FAILED if error else Outcome.OK,
                detail={
                    "peer": n.peer.node_id,
                    "kind": n.kind,
                    "notice": str(n.id),
                    "error": error[:500],
                },
            )
    finally:
        if client is None:
            http.close()
    return counts


@task()
def deliver_notices_task() -> dict[str, int]:
    """One pass over the due notices (see :func:`deliver_notices`)."""
    return deliver_notices()


def _taxii_error(status: int, message: str) -> HttpResponse:
    from accord.federation.peers.middleware import taxii_error

    return taxii_error(status, "Refused", message)


@csrf_exempt
def notices_view(request: HttpRequest) -> HttpResponse:
    """``POST /federation/dissemination/notices/``: a signed notice from a peer (RFC 9421
    signature checked by the peers middleware); 202 once recorded, idempotent on its id. A
    notice its handler refuses is kept with status ``refused`` and the reason, and answered
    422; a resend of that id gets the same 422 (not "already received"), so the sender never
    takes a refused notice for a delivered one."""
    if request.method != "POST":
        response = _taxii_error(405, "allowed: POST")
        response["Allow"] = "POST"
        return response
    peer = getattr(request, "peer", None)
    if peer is None:
        return _taxii_error(401, "only requests signed by a peer (RFC 9421)")
    try:
        data = orjson.loads(request.body)
        notice_id, kind, body = str(data["id"]), str(data["kind"]), data["body"]
        known = kind in NOTICE_KINDS or kind in _EXTRA_HANDLERS
        if not known or not isinstance(body, dict):
            raise ValueError(kind)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        return _taxii_error(400, f"a notice is {{id, kind, body}} with a known kind: {exc}")
    try:
        with transaction.atomic():
            notice = FederationNotice.objects.create(
                id=notice_id,
                direction="in",
                peer=peer,
                kind=kind,
                body=body,
                status=FederationNotice.Status.RECEIVED,
            )
            refused = _handle_notice(peer, kind, body)
            if refused:
                # Kept as refused, with the reason: a resend of this id is refused again.
                notice.status = FederationNotice.Status.REFUSED
                notice.last_error = refused[:2000]
                notice.save(update_fields=["status", "last_error"])
    except (IntegrityError, ValueError) as exc:
        earlier = FederationNotice.objects.filter(pk=notice_id, direction="in", peer=peer).first()
        if earlier is not None and earlier.status == FederationNotice.Status.REFUSED:
            return _taxii_error(422, earlier.last_error or "refused")
        if earlier is not None:
            return HttpResponse(
                b'{"status":"already received"}', status=202, content_type="application/json"
            )
        return _taxii_error(400, f"notice refused: {exc}")
    if refused:
        return _taxii_error(422, refused)
    return HttpResponse(b'{"status":"received"}', status=202, content_type="application/json")


def _handle_notice(peer: Any, kind: str, body: dict[str, Any]) -> str:
    """Apply a received notice; '' or why it was refused (audited either way)."""
    if kind in _EXTRA_HANDLERS:
        return _EXTRA_HANDLERS[kind](peer, body)
    stix_id = str(body.get("id", ""))[:100]
    if kind == "ack":
        updated = RevocationOrder.objects.filter(
            peer=peer, stix_id=stix_id, version=str(body.get("version", ""))
        ).update(acknowledged_at=timezone.now(), acknowledgement=body)
        audit(
            peer.user,
            "dissemination.acknowledged",
            object_ids=[stix_id],
            outcome=Outcome.OK if updated else Outcome.REFUSED,
            detail={"peer": peer.node_id, "ack": body},
        )
        return "" if updated else "no such revocation order"
    if kind == "consent_request":
        return _consent_requested(peer, stix_id, body)
    return _consent_answered(peer, body)


# --------------------------------------------------------------------------------------------
# Onward sharing: consent


def request_consent(user: Any, entry: Any, record: Any) -> None:
    """Ask the originator of a received record for consent to this onward share (inside the
    share's transaction); without a registered originator the entry is denied."""
    from accord.federation.peers.models import Peer

    origin = Peer.objects.filter(node_id=record.origin_node, enabled=True).first()
    if origin is None:
        entry.status = DisseminationEntry.Status.DENIED
        entry.reasons = [
            *entry.reasons,
            {
                "code": "consent.no_originator",
                "message": f"the originator {record.origin_node} is not a registered peer",
                "source": "handling code H2 / onward transfer with consent",
            },
        ]
        entry.save(update_fields=["status", "reasons"])
        return
    consent = ConsentRequest.objects.create(
        direction="out",
        peer=origin,
        stix_id=record.stix_id,
        recipient_node=entry.peer.node_id,
        recipient_jurisdiction=entry.peer.jurisdiction,
        purpose=entry.dissemination.purpose,
        entry=entry,
    )
    queue_notice(
        origin,
        "consent_request",
        {
            "consent": str(consent.id),
            "id": record.stix_id,
            "recipient_node": entry.peer.node_id,
            "recipient_jurisdiction": entry.peer.jurisdiction,
            "purpose": consent.purpose,
            "requested_by": getattr(user, "username", ""),
        },
    )
    audit(
        user,
        "dissemination.consent_request",
        object_ids=[record.stix_id],
        purpose=consent.purpose,
        detail={"originator": origin.node_id, "recipient": entry.peer.node_id},
    )


def _consent_requested(peer: Any, stix_id: str, body: dict[str, Any]) -> str:
    from accord.intel.models import Record

    record = Record.objects.filter(stix_id=stix_id).first()
    if record is None or record.origin_node:
        audit(
            peer.user,
            "dissemination.consent_request",
            object_ids=[stix_id],
            outcome=Outcome.REFUSED,
            detail={"peer": peer.node_id, "why": "not ours"},
        )
        return "this node is not the originator of that record"
    ConsentRequest.objects.create(
        id=str(body.get("consent")),
        direction="in",
        peer=peer,
        stix_id=stix_id,
        recipient_node=str(body.get("recipient_node", ""))[:64],
        recipient_jurisdiction=str(body.get("recipient_jurisdiction", ""))[:16],
        purpose=str(body.get("purpose", ""))[:64],
    )
    audit(
        peer.user,
        "dissemination.consent_request",
        object_ids=[stix_id],
        purpose=str(body.get("purpose", ""))[:64],
        detail={"requester": peer.node_id, "recipient": body.get("recipient_node")},
    )
    return ""


def send_consent_answer(consent: Any) -> None:
    queue_notice(
        consent.peer,
        "consent_answer",
        {
            "consent": str(consent.id),
            "id": consent.stix_id,
            "granted": consent.status == "granted",
            "reason": consent.reason,
            "answered_by": consent.answered_by,
        },
    )


def _consent_answered(peer: Any, body: dict[str, Any]) -> str:
    """The originator answered: re-check the waiting onward share and release or deny it."""
    from accord.agreement.services import policy_engine
    from accord.dissemination.services import _decide, _enqueue, _me
    from accord.engine.policy import Decision

    consent = ConsentRequest.objects.filter(
        pk=str(body.get("consent")), direction="out", peer=peer, status="pending"
    ).first()
    if consent is None:
        return "no pending consent request with that id from this originator"
    granted = body.get("granted") is True
    consent.status = "granted" if granted else "refused"
    consent.reason = str(body.get("reason", ""))[:2000]
    consent.answered_by = f"{peer.node_id}:{str(body.get('answered_by', ''))[:100]}"
    consent.answered_at = timezone.now()
    consent.save()
    entry = consent.entry
    detail: dict[str, Any] = {"originator": peer.node_id, "granted": granted}
    if entry is not None and entry.status == DisseminationEntry.Status.AWAITING_CONSENT:
        if not granted or entry.record is None:
            entry.status = DisseminationEntry.Status.DENIED
        else:
            d = _decide(
                entry.record,
                entry.peer,
                entry.dissemination.purpose,
                _me(),
                policy_engine(),
                originator_consent=True,
                assurance_reference=entry.dissemination.assurance_reference,
            )
            detail["recheck"] = d.to_dict()["decision"]
            entry.decision = d.decision
            entry.reasons = d.to_dict()["reasons"]
            if d.result.decision is Decision.ALLOW:
                entry.outbox_item = _enqueue(
                    entry.record,
                    entry.peer,
                    entry.dissemination.requested_by,
                    entry.dissemination.purpose,
                )
                entry.status = DisseminationEntry.Status.QUEUED
                entry.agreements = list(d.agreements)
            elif d.result.decision is Decision.NEEDS_APPROVAL:
                entry.status = DisseminationEntry.Status.AWAITING_APPROVAL
                ApprovalRequest.objects.get_or_create(entry=entry)
            else:
                entry.status = DisseminationEntry.Status.DENIED
        entry.save()
    audit(
        peer.user,
        "dissemination.consent_answer",
        object_ids=[consent.stix_id],
        purpose=consent.purpose,
        detail=detail,
    )
    return ""
