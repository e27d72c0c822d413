"""What screening plugs into the federation: the handlers of the signed notices partners send
it, registered at :data:`accord.node.extensions.NOTICE_HANDLER` (by
:meth:`accord.screening.apps.ScreeningConfig.ready`) and applied by
:func:`accord.dissemination.notices.receive_notice` inside the receiving notice's transaction.
Each returns '' when applied or why it refused the notice, and writes its own audit entry
(refusals too).

- On the originator: :func:`receive_hit` (``screening.hit``) keeps a partner's confirmed hit
  only when the record is this node's own and was disclosed to that partner (its outbox);
  anything else is refused and audited as a forged or misrouted hit. Details the agreement, as
  this node reads it, does not allow are discarded, not kept; the rest is kept until its
  ``retain_until`` (:mod:`accord.screening.retention`).
- On the screening node: :func:`receive_answer` (``screening.hit_answer``) records the
  originator's liaison officer's answer on the hit it was sent for.

What this node sends (:func:`~accord.screening.notices.notify_originator`,
:func:`~accord.screening.notices.answer_incoming_hit`) and the levels of what a hit notice may
carry are in :mod:`accord.screening.notices`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from django.utils import timezone

from accord.oversight.services import Outcome, audit
from accord.screening.models import AnswerAction, Hit, IncomingHit
from accord.screening.notices import FULL, HIT_ONLY, traveller_details
from accord.screening.retention import retention_for

if TYPE_CHECKING:
    from accord.federation.models import Peer
    from accord.intel.models import Record

__all__ = ["receive_answer", "receive_hit"]

_STIX_ID: Final = re.compile(
    r"^[a-z][a-z0-9-]{0,40}--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
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


# --------------------------------------------------------------------------------------------
# A partner's hit (the originator)


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
        "traveller": traveller_details(traveller),
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


def _disclosed_to(peer: Peer, stix_id: str) -> Record | None:
    """This node's own record ``stix_id`` if it was disclosed to ``peer``, else None.

    Disclosed: a version of it is in ``peer``'s outbox and was not rejected by the peer. The
    outbox entry is the disclosure made durable (``accord.federation.services.enqueue``),
    and the peer may have it by push or by pull (``/federation/outbox/objects/`` serves every
    entry that is not rejected), so a delivery receipt is not required.
    """
    from accord.federation.models import OutboxItem
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


def receive_hit(peer: Peer, body: dict[str, Any]) -> str:
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


def _check_level(peer: Peer, record: Record, facts: dict[str, Any]) -> list[dict[str, str]]:
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


def _refuse_hit(
    peer: Peer, body: dict[str, Any], why: str, object_ids: list[str] | None = None
) -> str:
    audit(
        peer.user,
        "screening.hit_received",
        object_ids=object_ids or [],
        outcome=Outcome.REFUSED,
        detail={"peer": peer.node_id, "why": why, "hit": str(body.get("hit", ""))[:40]},
    )
    return why


# --------------------------------------------------------------------------------------------
# The originator's answer (the screening node)


def receive_answer(peer: Peer, body: dict[str, Any]) -> str:
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


def _refuse_answer(peer: Peer, body: dict[str, Any], why: str) -> str:
    audit(
        peer.user,
        "screening.hit_answered",
        outcome=Outcome.REFUSED,
        detail={"peer": peer.node_id, "why": why, "hit": str(body.get("hit", ""))[:40]},
    )
    return why
