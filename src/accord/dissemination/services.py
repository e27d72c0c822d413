"""Dissemination services: decide, share, approve, revoke. Every call checks the role, restricts
the records to what the user may see (a hidden record answers exactly like a missing one),
asks the policy engine (:func:`accord.agreement.services.policy_engine`) per record and
recipient, runs in ``transaction.atomic()`` and writes its audit entry.

- ``preview(user, stix_ids, recipients, purpose, *, assurance_reference="")``: the decisions.
- ``share(...) -> Dissemination``: ALLOW -> the record's latest version is queued in the peers
  outbox (signed on delivery); NEEDS_APPROVAL -> a supervisor's :class:`ApprovalRequest` (or,
  for an onward share that needs the originator's consent, a consent request to the originator);
  HIT_NO_HIT_ONLY -> recorded, nothing sent; DENY -> recorded with its reasons, nothing sent.
- ``decide_approval(user, approval, approve, reason)``: four-eyes; re-checks the policy.
- ``revoke(user, stix_id, *, delete=False, reason)``: a new, revoked version by the originator,
  sent to every peer that received the record, with a deletion order when ``delete``.
- ``answer_consent(user, consent, grant, reason)``: the originator's liaison officer answers.
- ``decide_after_consent(entry)``: the requesting node re-checks an onward share the
  originator consented to (:mod:`accord.dissemination.consent`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accord.engine.policy import Decision, PolicyRequest, PolicyResult, Reason
from accord.engine.signing.objects import SIGNATURE_PROPERTY
from accord.engine.stix.markings import PURPOSES, is_shared_definition, marking_refs
from accord.oversight.services import Outcome, audit

if TYPE_CHECKING:
    from accord.accounts.models import User
    from accord.dissemination.models import (
        ApprovalRequest,
        ConsentRequest,
        Dissemination,
        DisseminationEntry,
        RevocationOrder,
    )
    from accord.engine.policy.engine import PolicyEngine
    from accord.federation.models import OutboxItem, Peer
    from accord.intel.models import Record
    from accord.node.models import NodeIdentity

__all__ = [
    "CONSENT_CODES",
    "UNSIGNABLE_CODE",
    "DisseminationError",
    "RecipientDecision",
    "answer_consent",
    "can_approve",
    "can_share",
    "data_category",
    "decide_after_consent",
    "decide_approval",
    "preview",
    "revoke",
    "share",
]

#: Reason codes of the gates that only the originator's consent opens (onward sharing).
CONSENT_CODES = frozenset({"marking.h2_onward", "agreement.onward_consent"})

#: STIX types whose records are cyber threat indicators (observables and detection content).
_CYBER_TYPES = frozenset(
    {
        "indicator",
        "observed-data",
        "malware",
        "malware-analysis",
        "tool",
        "vulnerability",
        "attack-pattern",
        "infrastructure",
        "course-of-action",
        "artifact",
        "autonomous-system",
        "directory",
        "domain-name",
        "email-addr",
        "email-message",
        "file",
        "ipv4-addr",
        "ipv6-addr",
        "mac-addr",
        "mutex",
        "network-traffic",
        "process",
        "software",
        "url",
        "user-account",
        "windows-registry-key",
        "x509-certificate",
    }
)
_ORGANISATION_TYPES = frozenset({"identity", "intrusion-set", "threat-actor", "campaign"})

#: Status of an entry per decision (the REST shape's ``status``).
STATUS_FOR = {
    Decision.ALLOW: "queued",
    Decision.NEEDS_APPROVAL: "awaiting_approval",
    Decision.HIT_NO_HIT_ONLY: "recorded",
    Decision.DENY: "denied",
}


class DisseminationError(ValueError):
    """The request cannot be carried out as asked (an unknown recipient, purpose ...)."""


@dataclass(frozen=True)
class RecipientDecision:
    """The policy decision for one record to one recipient, with its reasons as data."""

    recipient: str
    record: str
    result: PolicyResult
    onward: bool = False
    agreements: tuple[dict[str, Any], ...] = field(default=())

    @property
    def decision(self) -> str:
        return self.result.decision.value

    @property
    def consent_needed(self) -> bool:
        return self.result.decision is Decision.NEEDS_APPROVAL and any(
            r.code in CONSENT_CODES for r in self.result.reasons
        )

    @property
    def status(self) -> str:
        if self.consent_needed and self.onward:
            return "awaiting_consent"
        return STATUS_FOR[self.result.decision]

    def to_dict(self) -> dict[str, Any]:
        return {
            "recipient": self.recipient,
            "record": self.record,
            "decision": self.decision,
            "reasons": [
                {"code": r.code, "message": r.message, "source": r.source}
                for r in self.result.reasons
            ],
            "status": self.status,
            "conditions": list(self.result.conditions),
            "agreements": list(self.agreements),
            "max_retention_days": self.result.max_retention_days,
        }


# --------------------------------------------------------------------------------------------
# Roles


def can_share(user: User | None) -> bool:
    return bool(user is not None and user.can("record.share"))


def can_approve(user: User | None) -> bool:
    return bool(user is not None and user.can("disclosure.approve"))


def _require(user: User | None, permission: str, action: str, purpose: str = "") -> None:
    if user is None or not user.can(permission):
        audit(
            user,
            action,
            purpose=purpose,
            outcome=Outcome.DENIED,
            detail={"permission": permission},
        )
        raise PermissionDenied(f"your role may not do this ({permission})")


def _require_change(
    user: User | None, record: Record, action: str, purpose: str, *, share: bool = False
) -> None:
    """Refuse (audited) unless ``user`` holds the right to change ``record``
    (:func:`accord.intel.writes.change_denial`), or with ``share`` to disclose it
    (:func:`~accord.intel.writes.share_denial`): disclosing or revoking a user's record is
    its owner's decision, as writing a new version of it is."""
    from accord.intel.writes import change_denial, share_denial

    why = share_denial(user, record) if share else change_denial(user, record)
    if why:
        audit(
            user,
            action,
            object_ids=[record.stix_id],
            purpose=purpose,
            outcome=Outcome.DENIED,
            detail={"why": "no right to change the record"},
        )
        raise PermissionDenied(why)


# --------------------------------------------------------------------------------------------
# Facts for the policy engine


def data_category(record: Record) -> str:
    """The agreement data category of a record: persons for personal data, organisations,
    cyber indicators for indicators and observables, operations for the rest."""
    if record.personal_data:
        return "persons"
    if record.stix_type in _CYBER_TYPES:
        return "cyber_indicators"
    if record.stix_type in _ORGANISATION_TYPES:
        return "organisations"
    return "operations"


def _me() -> NodeIdentity:
    from accord.node.models import NodeIdentity

    me = NodeIdentity.current()
    if me is None:
        raise DisseminationError("this node has no identity (run accord init)")
    return me


def _peers(recipients: Iterable[str]) -> list[Peer]:
    from accord.federation.models import Peer

    wanted = list(dict.fromkeys(str(r) for r in recipients))
    if not wanted:
        raise DisseminationError("choose at least one recipient")
    found = {p.node_id: p for p in Peer.objects.filter(node_id__in=wanted, enabled=True)}
    unknown = [r for r in wanted if r not in found]
    if unknown:
        raise DisseminationError(f"unknown or disabled recipient(s): {', '.join(unknown)}")
    return [found[r] for r in wanted]


def _records(user: User | None, stix_ids: Iterable[str], purpose: str) -> list[Record]:
    """The records, each read through the restricted, audited record service (a hidden record
    raises ``RecordNotFound`` exactly as a missing one does)."""
    from accord.intel.services import get_record

    ids = list(dict.fromkeys(str(s) for s in stix_ids))
    if not ids:
        raise DisseminationError("choose at least one record")
    return [get_record(user, sid, purpose=purpose) for sid in ids]


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise DisseminationError(f"unknown purpose {purpose!r}")


def _markings(record: Record) -> tuple[frozenset[str], frozenset[str]]:
    rows = list(record.marking_rows.values_list("kind", "value"))
    return (
        frozenset(v for k, v in rows if k == "release"),
        frozenset(v for k, v in rows if k == "purpose"),
    )


def _request(
    record: Record,
    peer: Peer,
    purpose: str,
    me: NodeIdentity,
    *,
    assurance_reference: str = "",
    supervisor_approved: bool = False,
    originator_consent: bool = False,
) -> PolicyRequest:
    from accord.federation.models import Peer

    release, purposes = _markings(record)
    onward = bool(record.origin_node) and record.origin_node != me.node_id
    if onward:
        origin = Peer.objects.filter(node_id=record.origin_node).first()
        originator_node = record.origin_node
        originator_jurisdiction = origin.jurisdiction if origin else ""
    else:
        originator_node, originator_jurisdiction = me.node_id, me.jurisdiction
    return PolicyRequest(
        originator_node=originator_node,
        originator_jurisdiction=originator_jurisdiction,
        recipient_node=peer.node_id,
        recipient_jurisdiction=peer.jurisdiction,
        purpose=purpose,
        data_category=data_category(record),
        at=timezone.now().date(),
        tlp=record.tlp or "clear",
        handling_code=record.handling_code,
        releasable_to=release,
        record_purposes=purposes,
        personal_data=record.personal_data,
        onward=onward,
        sender_jurisdiction=me.jurisdiction if onward else "",
        originator_consent=originator_consent,
        assurance_reference=assurance_reference or None,
        supervisor_approved=supervisor_approved,
    )


#: The blocking reason of a record this node can neither sign nor relay (see :func:`_unsignable`).
UNSIGNABLE_CODE = "record.not_signable"


def _unsignable(record: Record, me: NodeIdentity) -> str:
    """Why this node cannot disclose ``record`` itself, or ``""`` when it can.

    Every object leaves this node signed by its originator (the peers delivery signs it on
    this node's behalf only when its ``created_by_ref`` is this node's identity). A record that
    another organisation created and that did not come from a peer (e.g. imported from a file)
    has no originator signature and this node may not sign in another's name: delivering it
    would fail, so the decision says so before anything is sent. A record received from a peer
    is an onward share (``onward``), decided on the originator's markings and consent, and is
    relayed with the originator's signature; shared marking definitions are self-certifying.
    """
    obj = orjson.loads(record.data)
    if not isinstance(obj, dict) or is_shared_definition(obj) or SIGNATURE_PROPERTY in obj:
        return ""
    creator = str(obj.get("created_by_ref") or "")
    if creator == me.identity_id:
        return ""
    return (
        f"another organisation created this record ({creator or 'no creator given'}) and it "
        "was not received from a partner: this node cannot sign it, so it cannot be sent. "
        "Ask its originator to share it"
    )


def _consented(record: Record, peer: Peer, purpose: str) -> bool:
    from accord.dissemination.models import ConsentRequest

    return ConsentRequest.objects.filter(
        direction="out",
        stix_id=record.stix_id,
        recipient_node=peer.node_id,
        purpose=purpose,
        status=ConsentRequest.Status.GRANTED,
    ).exists()


def _decide(
    record: Record,
    peer: Peer,
    purpose: str,
    me: NodeIdentity,
    engine: PolicyEngine,
    **facts: Any,
) -> RecipientDecision:
    request = _request(record, peer, purpose, me, **facts)
    if request.onward and not facts.get("originator_consent") and _consented(record, peer, purpose):
        request = _request(record, peer, purpose, me, **{**facts, "originator_consent": True})
    unsignable = "" if request.onward else _unsignable(record, me)
    if record.revoked:
        result = PolicyResult(
            Decision.DENY,
            (
                Reason(
                    "record.revoked",
                    "the originator has revoked this record: it is not disclosed again",
                    "STIX 2.1 section 3.6 (revoked); Accord principle: the originator can revoke",
                ),
            ),
        )
    elif unsignable:
        result = PolicyResult(
            Decision.DENY,
            (
                Reason(
                    UNSIGNABLE_CODE,
                    unsignable,
                    "Accord federation: every disclosed object carries its originator's "
                    "signature (x_accord_signature)",
                ),
            ),
        )
    else:
        result = engine.decide(request)
    versions = {a.id: a.version for a in engine.agreements}
    agreements = tuple({"id": a, "version": versions.get(a)} for a in result.agreements)
    return RecipientDecision(peer.node_id, record.stix_id, result, request.onward, agreements)


def _reasons_for_audit(decisions: Sequence[RecipientDecision]) -> list[dict[str, Any]]:
    return [
        {
            "recipient": d.recipient,
            "record": d.record,
            "decision": d.decision,
            "reasons": [r.code for r in d.result.reasons],
            "sources": [r.source for r in d.result.reasons],
        }
        for d in decisions
    ]


# --------------------------------------------------------------------------------------------
# Preview and share


@dataclass(frozen=True)
class _Sharing:
    """A request to share records with recipients for a purpose, checked (:meth:`check`), as
    a preview and a share decide it: this node, the recipients, the records and the policy
    engine."""

    user: User
    purpose: str
    assurance_reference: str
    me: NodeIdentity
    peers: list[Peer]
    records: list[Record]
    engine: PolicyEngine

    @classmethod
    def check(
        cls,
        user: User,
        stix_ids: Iterable[str],
        recipients: Iterable[str],
        purpose: str,
        assurance_reference: str,
    ) -> _Sharing:
        """Refuse a purpose this node does not know, a recipient that is not an active peer
        and a record the user may not read or share; else what the decisions need."""
        from accord.agreement.services import policy_engine

        _check_purpose(purpose)
        me = _me()
        peers = _peers(recipients)
        records = _records(user, stix_ids, purpose)
        for record in records:
            _require_change(user, record, "dissemination.share", purpose, share=True)
        return cls(user, purpose, assurance_reference, me, peers, records, policy_engine())

    def decide(self, record: Record, peer: Peer) -> RecipientDecision:
        """The policy decision for ``record`` to ``peer``, with its reasons."""
        return _decide(
            record,
            peer,
            self.purpose,
            self.me,
            self.engine,
            assurance_reference=self.assurance_reference,
        )

    def audit_decisions(
        self, action: str, decisions: list[RecipientDecision], **detail: Any
    ) -> None:
        """The audit entry of the preview or share (``action``): the records, the recipients,
        and every decision with its reasons, after ``detail``."""
        audit(
            self.user,
            action,
            object_ids=[r.stix_id for r in self.records],
            purpose=self.purpose,
            detail={
                **detail,
                "recipients": [p.node_id for p in self.peers],
                "assurance_reference": self.assurance_reference,
                "decisions": _reasons_for_audit(decisions),
            },
        )


def preview(
    user: User,
    stix_ids: Iterable[str],
    recipients: Iterable[str],
    purpose: str,
    *,
    assurance_reference: str = "",
) -> list[RecipientDecision]:
    """The policy decision, with its reasons, for every record and recipient; nothing is sent.

    Legal effect: none on the records (a consultation of their markings, audited as
    ``dissemination.preview`` with the purpose and the decisions, so that oversight sees what
    was considered as well as what was sent).
    """
    _require(user, "record.share", "dissemination.preview", purpose)
    sharing = _Sharing.check(user, stix_ids, recipients, purpose, assurance_reference)
    decisions = [sharing.decide(r, p) for r in sharing.records for p in sharing.peers]
    sharing.audit_decisions("dissemination.preview", decisions)
    return decisions


def _enqueue(record: Record, peer: Peer, user: User | None, purpose: str) -> OutboxItem | None:
    """Queue the record's latest version for ``peer``; the outbox item (new or existing)."""
    from accord.federation.models import OutboxItem
    from accord.federation.services import enqueue
    from accord.intel.models import Record

    # The Accord handling definitions the record refers to go first, so that a recipient that
    # has never seen them can resolve the record's markings (they are self-certifying).
    refs = [r for r in marking_refs(orjson.loads(record.data)) if r]
    definitions = [
        d
        for d in Record.objects.filter(stix_id__in=refs, stix_type="marking-definition")
        if is_shared_definition(orjson.loads(d.data))
    ]
    items = enqueue([*definitions, record], peer, actor=user, purpose=purpose)
    mine = [i for i in items if i.stix_id == record.stix_id]
    if mine:
        return mine[0]
    version = str(orjson.loads(record.data).get("modified") or "")
    return OutboxItem.objects.filter(peer=peer, stix_id=record.stix_id, modified=version).first()


def share(
    user: User,
    stix_ids: Iterable[str],
    recipients: Iterable[str],
    purpose: str,
    *,
    assurance_reference: str = "",
) -> Dissemination:
    """Share records with peers, each as its policy decision allows.

    Legal effect: for every ALLOW a disclosure of the record's latest version to that peer,
    made durable in the outbox (delivered signed, with its provenance: agreement, purpose,
    retention); NEEDS_APPROVAL entries wait for a supervisor (or the originator's consent for
    an onward share) and disclose nothing yet; HIT_NO_HIT_ONLY and DENY disclose nothing and
    are recorded with their reasons. Audited as ``dissemination.share`` with every decision.
    """
    from accord.dissemination.models import ApprovalRequest, Dissemination, DisseminationEntry

    _require(user, "record.share", "dissemination.share", purpose)
    sharing = _Sharing.check(user, stix_ids, recipients, purpose, assurance_reference)
    decisions: list[RecipientDecision] = []
    with transaction.atomic():
        dissemination = Dissemination.objects.create(
            requested_by=user, purpose=purpose, assurance_reference=assurance_reference
        )
        for record in sharing.records:
            for peer in sharing.peers:
                d = sharing.decide(record, peer)
                decisions.append(d)
                entry = DisseminationEntry.objects.create(
                    dissemination=dissemination,
                    record=record,
                    stix_id=record.stix_id,
                    peer=peer,
                    decision=d.decision,
                    reasons=d.to_dict()["reasons"],
                    conditions=list(d.result.conditions),
                    agreements=list(d.agreements),
                    max_retention_days=d.result.max_retention_days,
                    status=d.status,
                    onward=d.onward,
                )
                if d.result.decision is Decision.ALLOW:
                    entry.outbox_item = _enqueue(record, peer, user, purpose)
                    entry.save(update_fields=["outbox_item"])
                elif d.status == "awaiting_consent":
                    from accord.dissemination.consent import request_consent

                    request_consent(user, entry, record)
                elif d.result.decision is Decision.NEEDS_APPROVAL:
                    ApprovalRequest.objects.create(entry=entry)
        sharing.audit_decisions(
            "dissemination.share", decisions, dissemination=str(dissemination.id)
        )
    return dissemination


# --------------------------------------------------------------------------------------------
# Four-eyes approval


def decide_approval(
    user: User, approval: ApprovalRequest, *, approve: bool, reason: str
) -> ApprovalRequest:
    """A supervisor approves or denies a disclosure that needs approval (four-eyes: never the
    person who asked; a reason is mandatory).

    Legal effect: on approval the policy is decided again with the supervisor's approval and
    the dissemination's assurance reference; only if that decision is ALLOW is the record
    disclosed (queued in the outbox). A denial, or a re-check that is not ALLOW, discloses
    nothing. Audited as ``dissemination.approve`` / ``dissemination.deny`` with the reason.
    """
    from accord.agreement.services import policy_engine
    from accord.dissemination.models import ApprovalRequest, DisseminationEntry

    action = "dissemination.approve" if approve else "dissemination.deny"
    entry = approval.entry
    purpose = entry.dissemination.purpose
    _require(user, "disclosure.approve", action, purpose)
    if entry.dissemination.requested_by_id == user.pk:
        audit(
            user,
            action,
            object_ids=[entry.stix_id],
            purpose=purpose,
            outcome=Outcome.DENIED,
            detail={"approval": approval.pk, "why": "four-eyes: the requester cannot approve"},
        )
        raise PermissionDenied(
            "four-eyes: you asked for this disclosure; another supervisor decides"
        )
    reason = (reason or "").strip()
    if not reason:
        raise DisseminationError("a reason is required")
    with transaction.atomic():
        approval = ApprovalRequest.objects.select_for_update().get(pk=approval.pk)
        if approval.status != ApprovalRequest.Status.PENDING:
            raise DisseminationError(f"this request is already {approval.status}")
        approval.decided_by = user
        approval.reason = reason
        approval.decided_at = timezone.now()
        detail: dict[str, Any] = {
            "approval": approval.pk,
            "reason": reason,
            "peer": entry.peer.node_id,
        }
        if not approve:
            approval.status = ApprovalRequest.Status.DENIED
            entry.status = DisseminationEntry.Status.DENIED
        else:
            approval.status = ApprovalRequest.Status.APPROVED
            record = entry.record
            if record is None:
                raise DisseminationError("the record no longer exists")
            d = _decide(
                record,
                entry.peer,
                purpose,
                _me(),
                policy_engine(),
                assurance_reference=entry.dissemination.assurance_reference,
                supervisor_approved=True,
            )
            approval.recheck = d.to_dict()
            detail["recheck"] = _reasons_for_audit([d])[0]
            if d.result.decision is Decision.ALLOW:
                entry.outbox_item = _enqueue(record, entry.peer, user, purpose)
                entry.status = DisseminationEntry.Status.QUEUED
                entry.agreements = list(d.agreements)
                entry.max_retention_days = d.result.max_retention_days
            else:
                entry.status = DisseminationEntry.Status.DENIED
        approval.save()
        entry.save()
        audit(user, action, object_ids=[entry.stix_id], purpose=purpose, detail=detail)
    return approval


# --------------------------------------------------------------------------------------------
# Revocation and deletion (the originator)


def revoke(
    user: User, stix_id: str, *, purpose: str, delete: bool = False, reason: str = ""
) -> list[RevocationOrder]:
    """Revoke a record this node originated (a new STIX version with ``revoked: true``) and
    send the revocation, with a deletion order when ``delete``, to every peer that received it.

    Legal effect: the originator withdraws the information (BRIEF principle 1): recipients
    mark it revoked and, on a deletion order, purge its content within one delivery cycle and
    acknowledge (signed). Nothing revoked is disclosed again. Audited as
    ``dissemination.revoke`` (or ``dissemination.delete_order``) with the peers told.
    """
    from accord.dissemination.models import RevocationOrder
    from accord.federation.models import OutboxItem, Peer
    from accord.intel.services import create_record

    action = "dissemination.delete_order" if delete else "dissemination.revoke"
    _require(user, "record.revoke", action, purpose)
    record = _records(user, [stix_id], purpose)[0]
    me = _me()
    if record.origin_node and record.origin_node != me.node_id:
        audit(
            user,
            action,
            object_ids=[stix_id],
            purpose=purpose,
            outcome=Outcome.DENIED,
            detail={"why": "only the originator revokes", "originator": record.origin_node},
        )
        raise PermissionDenied(f"only the originator ({record.origin_node}) may revoke this record")
    _require_change(user, record, action, purpose)
    with transaction.atomic():
        obj = orjson.loads(record.data)
        if not obj.get("revoked"):
            now = timezone.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            if now <= str(obj.get("modified", "")):
                now = str(obj.get("modified"))[:-1] + "1Z"  # keep modified strictly increasing
            obj = {**obj, "revoked": True, "modified": now}
            obj.pop("x_accord_signature", None)
            # A record of the node itself (owner none) is revoked by the node on the user's
            # order (audited below with the user); a user's record by the user.
            writer = None if record.owner_id is None else user
            record = create_record(writer, obj, purpose=purpose)
        version = str(obj["modified"])
        peer_ids = set(OutboxItem.objects.filter(stix_id=stix_id).values_list("peer_id", flat=True))
        orders = []
        for peer in Peer.objects.filter(pk__in=peer_ids, enabled=True):
            item = _enqueue(record, peer, user, purpose)
            orders.append(
                RevocationOrder.objects.create(
                    stix_id=stix_id,
                    version=version,
                    peer=peer,
                    action="delete" if delete else "revoke",
                    reason=reason,
                    ordered_by=getattr(user, "username", "system"),
                    outbox_item=item,
                )
            )
        audit(
            user,
            action,
            object_ids=[stix_id],
            purpose=purpose,
            detail={
                "version": version,
                "peers": sorted(o.peer.node_id for o in orders),
                "reason": reason,
            },
        )
    return orders


# --------------------------------------------------------------------------------------------
# Onward sharing: after the originator's consent


def decide_after_consent(entry: DisseminationEntry) -> str:
    """Decide a waiting onward share (``entry``, status ``awaiting_consent``, its record still
    stored) again now that the originator has consented: the policy is asked with
    ``originator_consent=True`` and the dissemination's assurance reference, and the entry
    (not saved here: the caller saves it and writes the audit entry) becomes ``queued`` on
    ALLOW (the record's latest version goes to the outbox), ``awaiting_approval`` with a
    supervisor's :class:`ApprovalRequest` on NEEDS_APPROVAL, and ``denied`` otherwise.
    Returns the re-check's decision code.

    Legal effect: on ALLOW, the onward disclosure the originator consented to is made.
    """
    from accord.agreement.services import policy_engine
    from accord.dissemination.models import ApprovalRequest, DisseminationEntry

    record = entry.record
    if record is None:  # the caller denies an entry whose record is gone
        raise DisseminationError("the record no longer exists")
    d = _decide(
        record,
        entry.peer,
        entry.dissemination.purpose,
        _me(),
        policy_engine(),
        originator_consent=True,
        assurance_reference=entry.dissemination.assurance_reference,
    )
    entry.decision = d.decision
    entry.reasons = d.to_dict()["reasons"]
    if d.result.decision is Decision.ALLOW:
        entry.outbox_item = _enqueue(
            record,
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
    return d.decision


# --------------------------------------------------------------------------------------------
# Onward sharing: the originator's answer


def answer_consent(
    user: User, consent: ConsentRequest, *, grant: bool, reason: str
) -> ConsentRequest:
    """The originator's liaison officer grants or refuses a recipient's request to pass one of
    this node's records on (H2, or onward transfer with consent).

    Legal effect: a grant is the originator's consent to that one onward disclosure (that
    record, that recipient, that purpose); the answer goes back signed and the requesting
    node re-checks its policy. Audited as ``dissemination.consent``.
    """
    from accord.dissemination.consent import send_consent_answer

    _require(user, "consent.answer", "dissemination.consent")
    reason = (reason or "").strip()
    if not reason:
        raise DisseminationError("a reason is required")
    if consent.direction != "in" or consent.status != "pending":
        raise DisseminationError("this consent request is not waiting for an answer")
    with transaction.atomic():
        consent.status = "granted" if grant else "refused"
        consent.answered_by = getattr(user, "username", "")
        consent.reason = reason
        consent.answered_at = timezone.now()
        consent.save()
        send_consent_answer(consent)
        audit(
            user,
            "dissemination.consent",
            object_ids=[consent.stix_id],
            purpose=consent.purpose,
            detail={
                "consent": str(consent.id),
                "granted": grant,
                "reason": reason,
                "requester": consent.peer.node_id,
                "recipient": consent.recipient_node,
            },
        )
    return consent
