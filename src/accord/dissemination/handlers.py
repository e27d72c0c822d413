"""What dissemination plugs into the federation, and the handlers of its own signed notices.

The callables here are registered by :meth:`accord.dissemination.apps.DisseminationConfig.ready`
at the points of :mod:`accord.node.extensions`, or dispatched by
:func:`accord.dissemination.notices.receive_notice` for the notice kinds dissemination reserves
there. Each runs in the transaction of the federation code that calls it and writes its own
audit entry (:func:`accord.oversight.services.audit`); signed notices it answers with are
queued through :func:`accord.dissemination.notices.queue_notice`.

- Sending: :func:`envelope_disclosures` (:data:`~accord.node.extensions.ENVELOPE_MEMBER` of the
  delivery's pushes and the pull's pages) adds ``x_accord_disclosures`` beside ``objects`` in
  the TAXII envelope: per object version, the disclosure's purpose, agreements ({id, version})
  and maximum retention, or the originator's revocation / deletion order. The envelope body is
  covered by the RFC 9530 ``Content-Digest`` that the RFC 9421 signature signs, so these facts
  travel signed without touching the signed STIX object.
- Admission: :func:`check_disclosures` (:data:`~accord.node.extensions.ADMISSION_HOOK` of the
  inbox, before the record store) refuses an object whose disclosure facts this node's
  agreements do not support. The facts are the sender's word, covered by the request
  signature, but nothing made them true: a sender may name an agreement this node never
  signed, one between other jurisdictions, a purpose the agreement does not permit or a
  retention beyond what it allows. Such provenance would become this node's record of why it
  holds the data, so it is checked before anything is stored: a refused object is refused with
  the reason (in the TAXII status, and audited by the inbox as ``peer.object``, denied);
  nothing of it is stored, and no ``ReceivedDisclosure`` is written. Objects without facts (a
  plain push or pull outside a dissemination) and revocation or deletion orders (the
  originator withdrawing what it sent) are not checked.
- Receiving: :func:`on_received` (:data:`~accord.node.extensions.RECEIVE_HOOK` of the inbox,
  inside its transaction) writes a :class:`ReceivedDisclosure` for each stored object (sender,
  agreement, purpose, retention deadline = received_at + max_retention_days), marks revoked
  objects, purges ordered deletions (a tombstone keeps the id) and queues a signed ``ack``
  notice for the originator.
- Notices of dissemination's own kinds (reserved at
  :data:`~accord.node.extensions.NOTICE_HANDLER`): :func:`receive_acknowledgement` (``ack``,
  on the originator: the recipient complied with an order), :func:`receive_consent_request`
  (``consent_request``, on the originator: a recipient asks to pass a record on) and
  :func:`receive_consent_answer` (``consent_answer``, on the requesting node). The requests
  and answers this node sends are services (:mod:`accord.dissemination.consent`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from accord.dissemination.models import (
    ConsentRequest,
    DisseminationEntry,
    ReceivedDisclosure,
    RevocationOrder,
)
from accord.dissemination.notices import queue_notice
from accord.node.chunking import chunks
from accord.oversight.services import Outcome, audit

if TYPE_CHECKING:
    from accord.federation.models import OutboxItem, Peer
    from accord.intel.models import Record

__all__ = [
    "DISCLOSURES_MEMBER",
    "check_disclosures",
    "check_fact",
    "envelope_disclosures",
    "on_received",
    "receive_acknowledgement",
    "receive_consent_answer",
    "receive_consent_request",
]

#: The envelope member that carries the disclosure facts beside ``objects``.
DISCLOSURES_MEMBER = "x_accord_disclosures"


# --------------------------------------------------------------------------------------------
# Sending: the facts beside the objects


def envelope_disclosures(peer: Peer, items: list[OutboxItem]) -> dict[str, Any]:
    """``{"x_accord_disclosures": [...]}`` for the outbox items in one envelope (or {})."""
    ids = [i.pk for i in items]
    facts: dict[int | None, dict[str, Any]] = {}
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
    return {DISCLOSURES_MEMBER: out} if out else {}


# --------------------------------------------------------------------------------------------
# Admission: the facts checked before anything is stored


def check_fact(
    fact: Mapping[str, Any],
    agreements: Mapping[str, Any],
    profiles: Any,
    mine: str,
    theirs: str,
) -> str:
    """Why the disclosure ``fact`` is not supported by this node's ``agreements`` (id ->
    current :class:`~accord.engine.policy.agreements.Agreement`), '' when it is.

    Every agreement it names must exist here, be in force today, have both this node's
    jurisdiction ``mine`` and the sender's ``theirs`` among its parties (partnerships resolved
    by ``profiles``) and permit the fact's purpose; the fact's maximum retention must be
    stated and within the shortest maximum of those agreements.
    """
    named = fact.get("agreements")
    if not isinstance(named, list) or not named:
        return "disclosure facts name no agreement"
    purpose = fact.get("purpose")
    if not isinstance(purpose, str) or not purpose:
        return "disclosure facts state no purpose"
    today = timezone.localdate()
    limits: list[int] = []
    for ref in named:
        agreement_id = ref.get("id") if isinstance(ref, dict) else None
        if not isinstance(agreement_id, str) or not agreement_id:
            return f"disclosure facts name a malformed agreement: {str(ref)[:100]!r}"
        agreement = agreements.get(agreement_id)
        if agreement is None:
            return f"agreement {agreement_id[:100]!r} does not exist on this node"
        if not agreement.in_force_on(today):
            return f"agreement {agreement_id!r} is not in force here ({agreement.status})"
        members: set[str] = set()
        for party in agreement.parties:
            members |= profiles.members(party)
        outside = [j for j in (mine, theirs) if j not in members]
        if outside:
            return (
                f"agreement {agreement_id!r} does not cover {', '.join(outside)} "
                f"(its parties: {', '.join(agreement.parties)})"
            )
        if purpose not in agreement.permitted_purposes:
            return f"agreement {agreement_id!r} does not permit the purpose {purpose[:64]!r}"
        limits.append(agreement.max_retention_days)
    days = fact.get("max_retention_days")
    if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
        return "disclosure facts state no valid maximum retention (max_retention_days)"
    if days > min(limits):
        return (
            f"maximum retention {days} days is beyond the {min(limits)} days "
            f"the agreements named allow"
        )
    return ""


def check_disclosures(
    peer: Peer, envelope: Mapping[str, Any], objects: Sequence[Any], indexes: list[int]
) -> dict[int, str]:
    """The ``indexes`` of ``objects`` whose disclosure facts (matched on id and version, as
    the inbox records them) this node's agreements do not support, with the reason; see the
    module docstring. Runs before the objects are stored."""
    facts = envelope.get(DISCLOSURES_MEMBER)
    if not isinstance(facts, list) or not indexes:
        return {}
    by_key: dict[tuple[Any, Any], Mapping[str, Any]] = {
        (f.get("id"), f.get("version")): f
        for f in facts
        if isinstance(f, dict) and isinstance(f.get("id"), str)
    }
    pending: list[tuple[int, Mapping[str, Any]]] = []
    for i in indexes:
        obj = objects[i]
        version = obj.get("modified") or obj.get("created")
        fact = by_key.get((obj.get("id"), version))
        if fact is not None and fact.get("notice") not in ("revoke", "delete"):
            pending.append((i, fact))
    if not pending:
        return {}
    from accord.agreement.services import current_agreements, current_profiles
    from accord.node.models import NodeIdentity

    me = NodeIdentity.current()
    if me is None:
        return {
            i: "this node has no identity: it cannot check disclosure facts" for i, _ in pending
        }
    agreements = {a.id: a for a in current_agreements()}
    profiles = current_profiles()
    refused: dict[int, str] = {}
    for i, fact in pending:
        reason = check_fact(fact, agreements, profiles, me.jurisdiction, peer.jurisdiction)
        if reason:
            refused[i] = f"disclosure refused: {reason}"
    return refused


# --------------------------------------------------------------------------------------------
# Receiving: provenance, revocation and deletion orders


def _clean_agreements(value: Any) -> list[dict[str, Any]]:
    out = []
    for a in value if isinstance(value, list) else ():
        if isinstance(a, dict) and isinstance(a.get("id"), str):
            version = a.get("version")
            out.append(
                {"id": a["id"][:100], "version": version if isinstance(version, int) else None}
            )
    return out[:20]


def on_received(peer: Peer, envelope: Mapping[str, Any], successes: list[dict[str, str]]) -> None:
    """Provenance, revocation and deletion for the objects of one envelope that were stored.

    The records and the existing provenance rows are read in one query each and the new rows
    written in bulk (not one query per object: this runs inside the inbox's transaction for
    every envelope); revocations and deletion orders, rare, are applied one by one.
    """
    facts = envelope.get(DISCLOSURES_MEMBER) if isinstance(envelope, dict) else None
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
    for chunk in chunks(ids):
        for pk, stix_id, revoked, origin in Record.objects.filter(stix_id__in=chunk).values_list(
            "pk", "stix_id", "revoked", "origin_node"
        ):
            records[stix_id] = _RecordRef(pk, revoked, origin or "")
    provenance: dict[str, tuple[str, _RecordRef | None, dict[str, Any]]] = {}
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


#: The columns of a provenance row that a new receipt rewrites (one bulk update).
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


def _record_provenance(
    peer: Peer, entries: dict[str, tuple[str, _RecordRef | None, dict[str, Any]]]
) -> None:
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
    for chunk in chunks(ids):
        for found in ReceivedDisclosure.objects.filter(sender_node=peer.node_id, stix_id__in=chunk):
            existing[found.stix_id] = found
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
        for chunk in chunks(members, 1000):
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


def _mark_revoked(
    peer: Peer, stix_id: str, record: Record | _RecordRef | None, fact: dict[str, Any]
) -> None:
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


def _purge(record: Record) -> str:
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


def _apply_revocation(
    peer: Peer, stix_id: str, version: str, record: Record | None, fact: dict[str, Any]
) -> None:
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
# Notices of dissemination's own kinds


def receive_acknowledgement(peer: Peer, stix_id: str, body: dict[str, Any]) -> str:
    """A recipient acknowledged (signed ``ack`` notice) a revocation or deletion order this node
    sent it: record the acknowledgement on the :class:`RevocationOrder` of that object version;
    '' when recorded, or why it was refused (no such order to that peer). Runs inside the
    receiving notice's transaction.

    Legal effect: the originator's evidence that the recipient complied (its outcome
    ``revoked``, ``deleted`` or ``blanked``); audited as ``dissemination.acknowledged``
    (refused when no order matches).
    """
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


def receive_consent_request(peer: Peer, stix_id: str, body: dict[str, Any]) -> str:
    """A recipient asks (signed ``consent_request`` notice) for this node's consent to pass on
    the record ``stix_id``: keep the request for this node's liaison officer
    (:func:`accord.dissemination.services.answer_consent`); '' when kept, or why it was
    refused (this node is not the record's originator). Runs inside the receiving notice's
    transaction; audited as ``dissemination.consent_request``."""
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


def receive_consent_answer(peer: Peer, body: dict[str, Any]) -> str:
    """The originator answered (signed ``consent_answer`` notice) a consent request this node
    sent: record the answer and re-check the waiting onward share, which is then queued, held
    for a supervisor's approval or denied
    (:func:`accord.dissemination.services.decide_after_consent`); '' when applied, or why it
    was refused (no pending request with that id from that originator). Runs inside the
    receiving notice's transaction; audited as ``dissemination.consent_answer``."""
    from accord.dissemination.services import decide_after_consent

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
            detail["recheck"] = decide_after_consent(entry)
        entry.save()
    audit(
        peer.user,
        "dissemination.consent_answer",
        object_ids=[consent.stix_id],
        purpose=consent.purpose,
        detail=detail,
    )
    return ""
