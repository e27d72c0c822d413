"""The receiving side's check of the disclosure facts a peer sends with its objects.

A push may carry, beside ``objects``, the sender's disclosure facts (``x_accord_disclosures``,
see :mod:`accord.dissemination.transport`): per object version, the purpose, the agreements
({id, version}) it was disclosed under and the maximum retention. They are covered by the
request signature, so they are the sender's word, but nothing made them true: a sender may
name an agreement this node never signed, one between other jurisdictions, a purpose the
agreement does not permit or a retention beyond what it allows. Such provenance would become
this node's record of why it holds the data, so it is checked before anything is stored.

:func:`check_disclosures` is registered in the peers inbox's ``ADMISSION_HOOKS`` (it runs
inside :func:`~accord.federation.peers.services.receive_envelope`'s transaction, before the
record store). An object whose facts fail is refused with the reason (in the TAXII status,
and audited by the inbox as ``peer.object``, denied); nothing of it is stored, and no
``ReceivedDisclosure`` is written. Objects without facts (a plain push or pull outside a
dissemination) and revocation or deletion orders (the originator withdrawing what it sent)
are not checked here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils import timezone

__all__ = ["check_disclosures", "check_fact"]

#: The envelope member that carries the facts (as :data:`transport.ENVELOPE_MEMBER`).
_MEMBER = "x_accord_disclosures"


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
    peer: Any, envelope: Mapping[str, Any], objects: Sequence[Any], indexes: list[int]
) -> dict[int, str]:
    """The ``indexes`` of ``objects`` whose disclosure facts (matched on id and version, as
    the inbox records them) this node's agreements do not support, with the reason; see the
    module docstring. Runs before the objects are stored."""
    facts = envelope.get(_MEMBER)
    if not isinstance(facts, list) or not indexes:
        return {}
    by_key = {
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
