"""The federation leg of a confirmed hit (issue 5 item 6): the screening node tells the
originator of a partner's record, and the originator's liaison officer answers.

- Sending (the screening node): :func:`notify_originator` decides with the policy engine what
  the agreement lets this node tell the originator about the person it encountered, and queues
  a signed ``screening.hit`` notice (durable, retried, RFC 9421; see
  :mod:`accord.dissemination.transport`) carrying only that.
- Receiving (the originator): :func:`receive_hit` (registered for ``screening.hit``) keeps the
  hit only when the record is this node's own and was disclosed to that partner (its outbox);
  anything else is refused and audited as a forged or misrouted hit.
- Answering: :func:`answer_incoming_hit` (the liaison officer) sends a signed
  ``screening.hit_answer``; :func:`receive_answer` shows it on the screening node's hit.
- Retention: a received hit keeps the traveller's details until its ``retain_until``
  (:mod:`accord.screening.retention`), then only a tombstone.

Levels of what is sent, from the policy decision for personal data (category ``persons``) from
this node to the originator, for the screening's purpose:

- ALLOW -> ``full``: the hit (record, sighting, reviewing agency, review date) plus when and
  where the person was seen (flight, border point), the traveller's details as screened, the
  score and the algorithm;
- HIT_NO_HIT_ONLY or NEEDS_APPROVAL -> ``hit_only``: the hit only, with the reasons why the
  details were withheld;
- DENY -> nothing is sent.
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any, Final

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accord.oversight.services import Outcome, audit
from accord.screening.models import AnswerAction, Hit, IncomingHit
from accord.screening.retention import extend_after_answer, retention_for

__all__ = [
    "ANSWER_KIND",
    "FULL",
    "HIT_KIND",
    "HIT_ONLY",
    "answer_incoming_hit",
    "can_answer",
    "decide_disclosure",
    "incoming_hit",
    "incoming_hits",
    "notify_originator",
    "receive_answer",
    "receive_hit",
    "register",
]

HIT_KIND: Final = "screening.hit"
ANSWER_KIND: Final = "screening.hit_answer"
FULL: Final = "full"
HIT_ONLY: Final = "hit_only"
_ROLES_LIAISON: Final = frozenset({"liaison"})
_STIX_ID: Final = re.compile(
    r"^[a-z][a-z0-9-]{0,40}--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
#: Traveller fields the ``full`` level carries (never the input's own row or reference).
_TRAVELLER_FIELDS: Final = (
    "names",
    "birth_date",
    "gender",
    "nationalities",
    "documents",
    "place_of_birth",
    "role",
)
_DOCUMENT_FIELDS: Final = ("number", "kind", "issuing_country", "expires_on")
#: The STIX 2.1 sighting properties (section 5.2) kept from a received notice.
_SIGHTING_KEYS: Final = (
    "type",
    "spec_version",
    "id",
    "created",
    "modified",
    "created_by_ref",
    "sighting_of_ref",
    "where_sighted_refs",
    "count",
    "first_seen",
    "last_seen",
    "object_marking_refs",
)
#: Members of a notice that only the ``full`` level may carry.
_FULL_ONLY: Final = ("seen_at", "where", "traveller", "score", "algorithm")


def register() -> None:
    """Receive ``screening.hit`` and ``screening.hit_answer`` notices (from ``ready``)."""
    from accord.dissemination.transport import register_notice_kind

    register_notice_kind(HIT_KIND, receive_hit)
    register_notice_kind(ANSWER_KIND, receive_answer)


def can_answer(user: Any) -> bool:
    """Only the liaison officer (the single point of contact) reads and answers partners' hits."""
    return bool(
        user is not None
        and getattr(user, "is_active", False)
        and getattr(user, "role", "") in _ROLES_LIAISON
    )


def _iso(value: Any) -> str:
    return str(value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z")


# --------------------------------------------------------------------------------------------
# Sending: the screening node tells the originator


def decide_disclosure(record: Any, peer: Any, purpose: str, me: Any) -> Any:
    """The policy decision for telling ``peer`` (the originator) about a person this node
    encountered: personal data (category ``persons``) from this node's jurisdiction to the
    originator's, for ``purpose``, under the TLP of the record the sighting is of.

    The originator's own restrictions on its record (releasability, handling code) do not
    apply to reporting back to the originator; the agreement, the safeguards and the TLP do.
    """
    from accord.agreement.services import policy_engine
    from accord.engine.policy import PolicyRequest

    request = PolicyRequest(
        originator_node=me.node_id,
        originator_jurisdiction=me.jurisdiction,
        recipient_node=peer.node_id,
        recipient_jurisdiction=peer.jurisdiction,
        purpose=purpose,
        data_category="persons",
        at=timezone.now().date(),
        tlp=record.tlp or "clear",
        personal_data=True,
    )
    return policy_engine().decide(request)


def _level(decision: Any) -> str:
    from accord.engine.policy import Decision

    if decision is Decision.ALLOW:
        return FULL
    if decision in (Decision.HIT_NO_HIT_ONLY, Decision.NEEDS_APPROVAL):
        return HIT_ONLY
    return ""


def _reasons(result: Any) -> list[dict[str, str]]:
    return [{"code": r.code, "message": r.message, "source": r.source} for r in result.reasons]


def _traveller(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _TRAVELLER_FIELDS:
        value = data.get(key)
        if key == "documents" and isinstance(value, list):
            value = [
                {k: str(d.get(k, ""))[:100] for k in _DOCUMENT_FIELDS}
                for d in value[:10]
                if isinstance(d, dict)
            ]
        elif isinstance(value, list):
            value = [str(v)[:300] for v in value[:20]]
        elif value is not None:
            value = str(value)[:300]
        if value:
            out[key] = value
    return out


def _body(hit: Hit, me: Any, level: str, result: Any) -> dict[str, Any]:
    """The notice for ``level``: never more than that level allows. The sighting is the one
    stored on review, without its description (which names the reviewer and the reason)."""
    import orjson

    from accord.intel.models import Record

    stored = Record.objects.filter(stix_id=hit.sighting_id).values_list("data", flat=True).first()
    kept = orjson.loads(stored) if stored else {}
    sighting: dict[str, Any] = {
        "type": "sighting",
        "spec_version": "2.1",
        "id": hit.sighting_id,
        "created": kept.get("created", _iso(timezone.now())),
        "modified": kept.get("modified", _iso(timezone.now())),
        "created_by_ref": me.identity_id,
        "sighting_of_ref": hit.record_stix_id,
        "where_sighted_refs": [me.identity_id],
        "count": 1,
    }
    if kept.get("object_marking_refs"):
        sighting["object_marking_refs"] = list(kept["object_marking_refs"])
    body: dict[str, Any] = {
        "hit": hit.pk,
        "record": hit.record_stix_id,
        "level": level,
        "sighting": sighting,
        "reviewed_at": _iso(hit.reviewed_at or timezone.now()),
        "reviewing_agency": {
            "node": me.node_id,
            "jurisdiction": me.jurisdiction,
            "name": me.name,
        },
        "purpose": hit.screening.purpose,
        "agreements": list(result.agreements),
        "conditions": list(result.conditions),
    }
    if level == FULL:
        seen = _iso(hit.screening.created_at)
        sighting["first_seen"] = sighting["last_seen"] = seen
        body["seen_at"] = seen
        body["where"] = str(hit.traveller.get("travel", ""))[:500]
        body["traveller"] = _traveller(hit.traveller)
        body["score"] = round(float(hit.score), 4)
        body["algorithm"] = hit.screening.algorithm
    else:
        body["withheld"] = [
            {"code": r["code"], "source": r["source"]} for r in _reasons(result)
        ] or [{"code": "agreement.hit_no_hit", "source": "the agreement's sharing clause"}]
    return body


def notify_originator(hit: Hit, user: Any = None) -> str:
    """Tell the originator of a partner's record that a supervisor confirmed a hit on it.

    Runs inside :func:`accord.screening.services.review_hit`'s transaction. For a record
    received from a partner (``origin_node`` set) the policy engine decides what the agreement
    lets this node tell that partner (the levels in the module's docstring); a signed
    ``screening.hit`` notice with only that is queued for the originator (sent after the
    commit, retried with back-off). ``hit.notification`` says what was decided;
    ``hit.disclosure`` keeps the level, decision, reasons, agreements and the fields sent.

    Legal effect: a disclosure to the originator of the fact that its record was hit (and, at
    level ``full``, of when and where the person was encountered and their details as
    screened), under the agreement that allowed it; or, on DENY, none. Audited as
    ``screening.notify`` with the decision's reasons.
    """
    from accord.dissemination.transport import queue_notice
    from accord.federation.peers.models import Peer
    from accord.node.models import NodeIdentity

    origin = hit.record.origin_node
    me = NodeIdentity.current()
    detail: dict[str, Any] = {"hit": hit.pk, "originator": origin}
    outcome = Outcome.OK
    if not origin or (me is not None and origin == me.node_id):
        hit.notification = "not applicable: this node's own record"
        Hit.objects.filter(pk=hit.pk).update(notification=hit.notification)
        return hit.notification
    peer = Peer.objects.filter(node_id=origin, enabled=True).first()
    if me is None or peer is None:
        why = "this node has no identity" if me is None else f"{origin} is not an enabled peer"
        hit.notification = f"not sent: {why}"[:200]
        hit.disclosure = {"level": "", "why": why}
        outcome = Outcome.REFUSED
        detail["why"] = why
    else:
        result = decide_disclosure(hit.record, peer, hit.screening.purpose, me)
        level = _level(result.decision)
        reasons = _reasons(result)
        hit.disclosure = {
            "level": level,
            "decision": result.decision.value,
            "reasons": reasons,
            "agreements": list(result.agreements),
            "conditions": list(result.conditions),
        }
        detail.update(
            decision=result.decision.value,
            level=level,
            reasons=[r["code"] for r in reasons],
            sources=[r["source"] for r in reasons],
            agreements=list(result.agreements),
        )
        if not level:
            hit.notification = f"not sent to {origin}: the policy decided DENY"
            outcome = Outcome.DENIED
        else:
            body = _body(hit, me, level, result)
            hit.notice = queue_notice(peer, HIT_KIND, body)
            hit.disclosure["fields"] = sorted(body)
            hit.notification = f"sent to {origin} ({level})"
            detail["notice"] = str(hit.notice.pk)
            detail["fields"] = sorted(body)
    Hit.objects.filter(pk=hit.pk).update(
        notification=hit.notification[:200], notice=hit.notice, disclosure=hit.disclosure
    )
    audit(
        user,
        "screening.notify",
        object_ids=[hit.record_stix_id, hit.sighting_id],
        purpose=hit.screening.purpose,
        case=hit.screening.case,
        outcome=outcome,
        detail=detail,
    )
    return hit.notification


# --------------------------------------------------------------------------------------------
# Receiving (the originator)


class _Refused(ValueError):
    """A notice that is not applied; its message goes back to the sender and to the audit."""


def _text(body: dict[str, Any], key: str, limit: int, *, required: bool = False) -> str:
    value = body.get(key, "")
    if not isinstance(value, str):
        raise _Refused(f"{key} must be a string")
    if required and not value.strip():
        raise _Refused(f"{key} is required")
    if len(value) > limit:
        raise _Refused(f"{key} is longer than {limit} characters")
    return value


def _hit_id(body: dict[str, Any]) -> int:
    value = body.get("hit")
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**62:
        raise _Refused("hit must be a positive integer")
    return value


def _record_id(body: dict[str, Any]) -> str:
    value = _text(body, "record", 100, required=True)
    if not _STIX_ID.match(value):
        raise _Refused("record must be a STIX identifier")
    return value


def _parse_hit(body: dict[str, Any]) -> dict[str, Any]:
    """The checked members of a ``screening.hit`` body (raises :class:`_Refused`)."""
    hit, record = _hit_id(body), _record_id(body)
    level = body.get("level")
    if level not in (FULL, HIT_ONLY):
        raise _Refused("level must be 'full' or 'hit_only'")
    if level == HIT_ONLY and any(k in body for k in _FULL_ONLY):
        raise _Refused("a hit_only notice carries no sighting details nor traveller")
    sighting = body.get("sighting")
    if not isinstance(sighting, dict) or sighting.get("type") != "sighting":
        raise _Refused("sighting must be a STIX sighting object")
    sid = sighting.get("id")
    if not isinstance(sid, str) or not sid.startswith("sighting--") or not _STIX_ID.match(sid):
        raise _Refused("sighting.id must be a sighting identifier")
    if sighting.get("sighting_of_ref") != record:
        raise _Refused("sighting.sighting_of_ref must be the record")
    agency = body.get("reviewing_agency")
    if not isinstance(agency, dict):
        raise _Refused("reviewing_agency must be an object")
    traveller = body.get("traveller", {})
    if not isinstance(traveller, dict):
        raise _Refused("traveller must be an object")
    lists = {}
    for key in ("agreements", "conditions", "withheld"):
        value = body.get(key, [])
        if not isinstance(value, list) or len(value) > 50:
            raise _Refused(f"{key} must be a list")
        lists[key] = value
    return {
        "hit": hit,
        "record": record,
        "level": level,
        "sighting": _sighting_members(sighting),
        "sighting_id": sid,
        "agency": {k: str(agency.get(k, ""))[:200] for k in ("node", "jurisdiction", "name")},
        "traveller": _traveller(traveller),
        "seen_at": _text(body, "seen_at", 40),
        "where": _text(body, "where", 500),
        "reviewed_at": _text(body, "reviewed_at", 40),
        "purpose": _text(body, "purpose", 64),
        **lists,
    }


def _sighting_members(sighting: dict[str, Any]) -> dict[str, Any]:
    """The STIX sighting members this node keeps (strings capped); anything else is dropped."""
    out: dict[str, Any] = {}
    for key in _SIGHTING_KEYS:
        value = sighting.get(key)
        if isinstance(value, str):
            out[key] = value[:200]
        elif isinstance(value, list):
            out[key] = [str(v)[:200] for v in value[:10]]
        elif isinstance(value, int) and not isinstance(value, bool):
            out[key] = value
    return out


def _disclosed_to(peer: Any, stix_id: str) -> Any:
    """This node's own record ``stix_id`` if it was disclosed to ``peer``, else None.

    Disclosed: a version of it is in ``peer``'s outbox and was not rejected by the peer. The
    outbox entry is the disclosure made durable (``accord.federation.peers.services.enqueue``),
    and the peer may have it by push or by pull (``/federation/outbox/objects/`` serves every
    entry that is not rejected), so a delivery receipt is not required.
    """
    from accord.federation.peers.models import OutboxItem
    from accord.intel.models import Record

    record = Record.objects.filter(stix_id=stix_id).first()
    if record is None or record.origin_node:
        return None
    disclosed = (
        OutboxItem.objects.filter(peer=peer, stix_id=stix_id)
        .exclude(status=OutboxItem.Status.REJECTED)
        .exists()
    )
    return record if disclosed else None


def receive_hit(peer: Any, body: dict[str, Any]) -> str:
    """A partner reports a confirmed hit on one of this node's records ('' or why refused).

    Runs inside the notices endpoint's transaction (the notice is signed by ``peer``, checked
    by the peers middleware; a repeated notice id never reaches here). Kept only when the
    record is this node's own and was disclosed to ``peer`` (its outbox); otherwise refused as
    forged or misrouted. The sender's level is checked against this node's own reading of the
    agreement: details the agreement does not allow are discarded, not kept.

    Legal effect: this node receives personal data from a partner (at level ``full``) under the
    agreement, kept until ``retain_until`` (the agreement's retention, or the node's:
    :mod:`accord.screening.retention`); audited as ``screening.hit_received`` (refusals too).
    """
    try:
        facts = _parse_hit(body)
    except _Refused as exc:
        return _refuse_hit(peer, body, f"malformed hit notice: {exc}")
    record = _disclosed_to(peer, facts["record"])
    if record is None:
        return _refuse_hit(
            peer,
            body,
            f"no record of this node was disclosed to {peer.node_id} under that id "
            "(forged or misrouted hit)",
            object_ids=[facts["record"]],
        )
    discarded: list[dict[str, str]] = []
    if facts["level"] == FULL:
        discarded = _check_level(peer, record, facts)
    existing = IncomingHit.objects.filter(peer=peer, remote_hit=facts["hit"]).first()
    if existing is not None:
        if existing.record_stix_id != facts["record"]:
            return _refuse_hit(peer, body, "this hit id was already reported for another record")
        return ""
    agreements = [str(a)[:100] for a in facts["agreements"]]
    incoming = IncomingHit.objects.create(
        peer=peer,
        remote_hit=facts["hit"],
        record=record,
        record_stix_id=facts["record"],
        level=facts["level"],
        sighting=facts["sighting"],
        traveller=facts["traveller"],
        seen_at=facts["seen_at"],
        where=facts["where"],
        reviewing_agency=facts["agency"],
        reviewed_at=facts["reviewed_at"],
        purpose=facts["purpose"],
        agreements=agreements,
        conditions=[str(c)[:500] for c in facts["conditions"]],
        withheld=[
            {k: str(w.get(k, ""))[:300] for k in ("code", "source")}
            for w in facts["withheld"]
            if isinstance(w, dict)
        ]
        + discarded,
    )
    kept = retention_for(agreements, incoming.received_at)
    incoming.retain_until = kept.until
    incoming.retention_basis = kept.basis[:300]
    incoming.retention_agreed = kept.agreed
    incoming.save(update_fields=["retain_until", "retention_basis", "retention_agreed"])
    audit(
        peer.user,
        "screening.hit_received",
        object_ids=[facts["record"], facts["sighting_id"]],
        purpose=facts["purpose"],
        detail={
            "peer": peer.node_id,
            "hit": facts["hit"],
            "incoming": str(incoming.pk),
            "level": incoming.level,
            "discarded": [d["code"] for d in discarded],
            "retain_until": kept.until.isoformat(),
            "retention": kept.basis,
        },
    )
    return ""


def _check_level(peer: Any, record: Any, facts: dict[str, Any]) -> list[dict[str, str]]:
    """Discard the details of a ``full`` notice when this node's reading of the agreement (the
    partner disclosing personal data to this node) does not allow them; the reasons."""
    from accord.agreement.services import policy_engine
    from accord.engine.policy import Decision, PolicyRequest
    from accord.node.models import NodeIdentity

    me = NodeIdentity.current()
    request = PolicyRequest(
        originator_node=peer.node_id,
        originator_jurisdiction=peer.jurisdiction,
        recipient_node=me.node_id if me else "",
        recipient_jurisdiction=me.jurisdiction if me else "",
        purpose=facts["purpose"],
        data_category="persons",
        at=timezone.now().date(),
        tlp=record.tlp or "clear",
        personal_data=True,
    )
    result = policy_engine().decide(request)
    if result.decision is Decision.ALLOW:
        return []
    facts["level"] = HIT_ONLY
    facts["traveller"], facts["seen_at"], facts["where"] = {}, "", ""
    for key in ("first_seen", "last_seen", "description"):
        facts["sighting"].pop(key, None)
    reasons = [{"code": r.code, "source": r.source} for r in result.reasons]
    discarded = {"code": "received.details_discarded", "source": "this node's policy decision"}
    return [discarded, *reasons]


def _refuse_hit(peer: Any, body: Any, why: str, object_ids: list[str] | None = None) -> str:
    audit(
        peer.user,
        "screening.hit_received",
        object_ids=object_ids or [],
        outcome=Outcome.REFUSED,
        detail={"peer": peer.node_id, "why": why, "hit": str(body.get("hit", ""))[:40]},
    )
    return why


# --------------------------------------------------------------------------------------------
# The liaison officer


def _deny(user: Any, action: str, purpose: str, why: str) -> PermissionDenied:
    audit(user, action, purpose=purpose, outcome=Outcome.DENIED, detail={"why": why})
    return PermissionDenied(why)


def incoming_hits(
    user: Any, *, purpose: str, case: str = "", status: str = ""
) -> list[IncomingHit]:
    """Partners' hits on this node's records that ``user`` may read, newest first (200 at most).

    Legal effect: a consultation of personal data received from partners (the traveller's
    details) and of this node's records they refer to; liaison officers only, restricted to the
    records the officer may see under ``purpose``; audited as ``screening.incoming_read`` with
    the records listed.
    """
    from accord.intel.models import Record

    if not can_answer(user):
        raise _deny(user, "screening.incoming_read", purpose, "only liaison officers")
    if status and status not in IncomingHit.Status.values:
        raise ValidationError(f"unknown status {status!r}")
    visible = Record.objects.restrict(user, purpose=purpose).values("pk")
    rows = IncomingHit.objects.filter(record__in=visible).select_related("peer", "answered_by")
    if status:
        rows = rows.filter(status=status)
    listed = list(rows[:200])
    audit(
        user,
        "screening.incoming_read",
        object_ids=sorted({h.record_stix_id for h in listed}),
        purpose=purpose,
        case=case,
        detail={"incoming": [str(h.pk) for h in listed], "status": status or "all"},
    )
    return listed


def incoming_hit(user: Any, pk: Any, *, purpose: str, case: str = "") -> IncomingHit:
    """One partner's hit, read by a liaison officer (audited ``screening.incoming_read``);
    ``IncomingHit.DoesNotExist`` also for one the officer may not see."""
    from accord.intel.models import Record

    if not can_answer(user):
        raise _deny(user, "screening.incoming_read", purpose, "only liaison officers")
    visible = Record.objects.restrict(user, purpose=purpose).values("pk")
    hit = IncomingHit.objects.select_related("peer", "answered_by").get(pk=pk, record__in=visible)
    audit(
        user,
        "screening.incoming_read",
        object_ids=[hit.record_stix_id],
        purpose=purpose,
        case=case,
        detail={"incoming": str(hit.pk), "peer": hit.peer.node_id},
    )
    return hit


def answer_incoming_hit(
    user: Any, incoming: IncomingHit, *, action: str, text: str, purpose: str
) -> IncomingHit:
    """The originator's liaison officer answers a partner's hit with the action to take.

    Legal effect: this node, as the originator of the record, asks the screening agency to
    act (arrest on the warrant, a specific, inquiry or discreet check, monitor, or nothing),
    with the officer's text (warrant reference, instructions, the reason). The partner acts
    under its own law; the answer is sent signed as ``screening.hit_answer`` and audited as
    ``screening.hit_answer``.
    """
    from accord.dissemination.transport import queue_notice
    from accord.intel.models import Record

    if not can_answer(user):
        raise _deny(user, "screening.hit_answer", purpose, "only liaison officers answer hits")
    if action not in AnswerAction.values:
        raise ValidationError(f"choose one of: {', '.join(AnswerAction.values)}")
    text = " ".join((text or "").split())
    if len(text) < 3:
        raise ValidationError("say what to do and why (the answer's text is required)")
    if len(text) > 2000:
        raise ValidationError("the answer's text is longer than 2000 characters")
    with transaction.atomic():
        incoming = (
            IncomingHit.objects.select_for_update().select_related("peer").get(pk=incoming.pk)
        )
        visible = Record.objects.restrict(user, purpose=purpose).filter(pk=incoming.record_id)
        if not visible.exists():
            raise _deny(user, "screening.hit_answer", purpose, "you may not see this record")
        if incoming.status != IncomingHit.Status.NEW:
            raise ValidationError("this hit was already answered")
        now = timezone.now()
        incoming.status = IncomingHit.Status.ANSWERED
        incoming.answer_action = action
        incoming.answer_text = text
        incoming.answered_by = user
        incoming.answered_at = now
        extend_after_answer(incoming, now)
        incoming.answer_notice = queue_notice(
            incoming.peer,
            ANSWER_KIND,
            {
                "hit": incoming.remote_hit,
                "record": incoming.record_stix_id,
                "action": action,
                "text": text,
                "answered_by": getattr(user, "username", ""),
                "answered_at": _iso(now),
            },
        )
        incoming.save()
        audit(
            user,
            "screening.hit_answer",
            object_ids=[incoming.record_stix_id],
            purpose=purpose,
            detail={
                "incoming": str(incoming.pk),
                "peer": incoming.peer.node_id,
                "hit": incoming.remote_hit,
                "action": action,
                "text": text,
                "notice": str(incoming.answer_notice.pk),
            },
        )
    return incoming


def receive_answer(peer: Any, body: dict[str, Any]) -> str:
    """The originator answered one of this node's hit notices ('' or why refused).

    Only the node the hit was sent to may answer it, once. Legal effect: the originator's
    request about the action to take is recorded on the hit for this node's officers, who act
    under their own law; audited as ``screening.hit_answered``.
    """
    try:
        hit_id, record = _hit_id(body), _record_id(body)
        action = body.get("action")
        if action not in AnswerAction.values:
            raise _Refused(f"action must be one of {', '.join(AnswerAction.values)}")
        text = _text(body, "text", 2000)
        by = _text(body, "answered_by", 150)
    except _Refused as exc:
        return _refuse_answer(peer, body, f"malformed hit answer: {exc}")
    hit = (
        Hit.objects.select_for_update()
        .filter(pk=hit_id, record_stix_id=record, notice__peer=peer)
        .first()
    )
    if hit is None:
        return _refuse_answer(
            peer, body, f"no hit of this node was reported to {peer.node_id} under that id"
        )
    if hit.answered_at is not None:
        if (hit.answer_action, hit.answer_text) == (action, text):
            return ""
        return _refuse_answer(peer, body, "this hit was already answered")
    hit.answer_action = action
    hit.answer_text = text
    hit.answered_by = f"{peer.node_id}:{by}"[:200]
    hit.answered_at = timezone.now()
    hit.save(update_fields=["answer_action", "answer_text", "answered_by", "answered_at"])
    audit(
        peer.user,
        "screening.hit_answered",
        object_ids=[record, hit.sighting_id],
        purpose=hit.screening.purpose,
        detail={"peer": peer.node_id, "hit": hit.pk, "action": action, "text": text},
    )
    return ""


def _refuse_answer(peer: Any, body: Any, why: str) -> str:
    audit(
        peer.user,
        "screening.hit_answered",
        outcome=Outcome.REFUSED,
        detail={"peer": peer.node_id, "why": why, "hit": str(body.get("hit", ""))[:40]},
    )
    return why
