"""The federation leg of a confirmed hit (BRIEF flow 2), as this node sends it: the screening
node tells the originator of a partner's record, and the originator's liaison officer answers.

- Sending (the screening node): :func:`notify_originator` decides with the policy engine what
  the agreement lets this node tell the originator about the person it encountered, and queues
  a signed ``screening.hit`` notice (durable, retried, RFC 9421; see
  :mod:`accord.dissemination.notices`) carrying only that.
- Receiving (the originator): :func:`accord.screening.handlers.receive_hit` (the handler of
  ``screening.hit``) keeps the hit only when the record is this node's own and was disclosed
  to that partner (its outbox); anything else is refused and audited as a forged or misrouted
  hit.
- Answering: :func:`answer_incoming_hit` (the liaison officer) sends a signed
  ``screening.hit_answer``; :func:`accord.screening.handlers.receive_answer` shows it on the
  screening node's hit.
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

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TypeGuard

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accord.oversight.services import Outcome, audit
from accord.screening.models import AnswerAction, Hit, IncomingHit
from accord.screening.querysets import LIAISON_ROLES
from accord.screening.retention import extend_after_answer

if TYPE_CHECKING:
    from accord.accounts.models import User
    from accord.engine.policy import Decision, PolicyResult
    from accord.federation.models import Peer
    from accord.intel.models import Record
    from accord.node.models import NodeIdentity

__all__ = [
    "ANSWER_KIND",
    "FULL",
    "HIT_KIND",
    "HIT_ONLY",
    "answer_incoming_hit",
    "can_answer",
    "decide_disclosure",
    "notify_originator",
    "traveller_details",
]

HIT_KIND: Final = "screening.hit"
ANSWER_KIND: Final = "screening.hit_answer"
FULL: Final = "full"
HIT_ONLY: Final = "hit_only"
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


def can_answer(user: User | None) -> TypeGuard[User]:
    """Only the liaison officer (the single point of contact) reads and answers partners' hits."""
    return bool(
        user is not None
        and getattr(user, "is_active", False)
        and getattr(user, "role", "") in LIAISON_ROLES
    )


def _iso(value: datetime) -> str:
    return str(value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z")


# --------------------------------------------------------------------------------------------
# Sending: the screening node tells the originator


def decide_disclosure(record: Record, peer: Peer, purpose: str, me: NodeIdentity) -> PolicyResult:
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


def _level(decision: Decision) -> str:
    from accord.engine.policy import Decision

    if decision is Decision.ALLOW:
        return FULL
    if decision in (Decision.HIT_NO_HIT_ONLY, Decision.NEEDS_APPROVAL):
        return HIT_ONLY
    return ""


def _reasons(result: PolicyResult) -> list[dict[str, str]]:
    return [{"code": r.code, "message": r.message, "source": r.source} for r in result.reasons]


def traveller_details(data: dict[str, Any]) -> dict[str, Any]:
    """The traveller's details a ``full`` notice carries (:data:`_TRAVELLER_FIELDS`, lists and
    strings capped): what the screening node sends, and what the originator keeps of it."""
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


def _body(hit: Hit, me: NodeIdentity, level: str, result: PolicyResult) -> dict[str, Any]:
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
        body["traveller"] = traveller_details(hit.traveller)
        body["score"] = round(float(hit.score), 4)
        body["algorithm"] = hit.screening.algorithm
    else:
        body["withheld"] = [
            {"code": r["code"], "source": r["source"]} for r in _reasons(result)
        ] or [{"code": "agreement.hit_no_hit", "source": "the agreement's sharing clause"}]
    return body


def notify_originator(hit: Hit, user: User | None = None) -> str:
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
    from accord.dissemination.notices import queue_notice
    from accord.federation.models import Peer
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
# The liaison officer


def _deny(user: User | None, action: str, purpose: str, why: str) -> PermissionDenied:
    audit(user, action, purpose=purpose, outcome=Outcome.DENIED, detail={"why": why})
    return PermissionDenied(why)


def answer_incoming_hit(
    user: User | None, incoming: IncomingHit, *, action: str, text: str, purpose: str
) -> IncomingHit:
    """The originator's liaison officer answers a partner's hit with the action to take.

    Legal effect: this node, as the originator of the record, asks the screening agency to
    act (arrest on the warrant, a specific, inquiry or discreet check, monitor, or nothing),
    with the officer's text (warrant reference, instructions, the reason). The partner acts
    under its own law; the answer is sent signed as ``screening.hit_answer`` and audited as
    ``screening.hit_answer``.
    """
    from accord.dissemination.notices import queue_notice

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
        answerable = IncomingHit.objects.restrict(user, purpose=purpose, action="answer")
        if not answerable.filter(pk=incoming.pk).exists():
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
