"""The policy engine: may this record go to this recipient for this purpose?

:meth:`PolicyEngine.decide` evaluates the Cedar policies generated from the agreements
(:mod:`accord.engine.policy.cedar`) with cedarpy and answers ALLOW, NEEDS_APPROVAL,
HIT_NO_HIT_ONLY or DENY with the reasons as data. Order of evaluation (docs/policy.md):

1. ``disclose`` with the request's facts: permitted by an agreement in force and no forbid
   (marking, stricter agreement, safeguard) applies -> ALLOW.
2. ``disclose`` as if every approval had been given (supervisor approval, assurance reference,
   originator consent): allowed -> NEEDS_APPROVAL, the reasons name the gates still closed.
3. ``match`` (hit/no-hit) with the request's facts -> HIT_NO_HIT_ONLY.
4. ``match`` as if every approval had been given -> NEEDS_APPROVAL.
5. Otherwise DENY, with the hard forbids that decided, or why no agreement applies.

Approvals only ever open *gated* forbids; a hard forbid (TLP:RED, AMBER+STRICT, releasability,
purpose, withdrawn or stricter agreement) holds in every step, so no combination of approval,
consent and assurance turns a DENY into anything else (Cedar: forbid overrides permit).

Decisions are pure functions of (request, agreements, profiles); an engine is built for one set of
agreements and profiles, so its cache keyed by the request is always correct.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import cedarpy

from accord.engine.policy.agreements import Agreement
from accord.engine.policy.cedar import PolicyMeta, build_policies, policies_for
from accord.engine.policy.profiles import ProfileSet
from accord.engine.stix.markings import HANDLING_CODES

__all__ = [
    "Decision",
    "PolicyEngine",
    "PolicyRequest",
    "PolicyResult",
    "Reason",
    "policies_for",
]


class Decision(StrEnum):
    """What may happen to the record; ordered from least to most permissive by :attr:`rank`."""

    DENY = "DENY"
    HIT_NO_HIT_ONLY = "HIT_NO_HIT_ONLY"
    NEEDS_APPROVAL = "NEEDS_APPROVAL"
    ALLOW = "ALLOW"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {
    Decision.DENY: 0,
    Decision.HIT_NO_HIT_ONLY: 1,
    Decision.NEEDS_APPROVAL: 2,
    Decision.ALLOW: 3,
}


@dataclass(frozen=True, slots=True)
class Reason:
    """Why: ``code`` (stable, for machines), ``message`` (for people), ``source`` (the agreement
    clause, the marking or the safeguard with its legal basis)."""

    code: str
    message: str
    source: str


@dataclass(frozen=True, slots=True)
class PolicyRequest:
    """The facts a decision depends on (and nothing else: the cache key).

    ``onward`` is a recipient re-sharing a record it received; ``sender_jurisdiction`` is then
    that recipient's jurisdiction (defaults to the originator's).
    """

    originator_node: str
    originator_jurisdiction: str
    recipient_node: str
    recipient_jurisdiction: str
    purpose: str
    data_category: str
    at: date
    tlp: str = "amber"
    handling_code: str = ""
    restriction: str = ""
    releasable_to: frozenset[str] = frozenset()
    record_purposes: frozenset[str] = frozenset()
    personal_data: bool = True
    onward: bool = False
    sender_jurisdiction: str = ""
    originator_consent: bool = False
    assurance_reference: str | None = None
    supervisor_approved: bool = False


@dataclass(frozen=True, slots=True)
class PolicyResult:
    """The decision, its reasons, the conditions the disclosure carries, the agreements that
    permitted it and the retention limit (the shortest of theirs)."""

    decision: Decision
    reasons: tuple[Reason, ...]
    conditions: tuple[str, ...] = ()
    agreements: tuple[str, ...] = ()
    max_retention_days: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision.value,
            "reasons": [dataclasses.asdict(r) for r in self.reasons],
            "conditions": list(self.conditions),
            "agreements": list(self.agreements),
            "max_retention_days": self.max_retention_days,
        }


class PolicyEngine:
    """Decides disclosures under one set of agreements and profiles (see the module docstring)."""

    def __init__(
        self,
        agreements: Iterable[Agreement],
        profiles: ProfileSet,
        *,
        cache_size: int = 65_536,
    ) -> None:
        self.agreements = tuple(agreements)
        self.profiles = profiles
        self.policy_text, self._metas = build_policies(self.agreements, profiles)
        self._sets: dict[tuple[str, str, str], tuple[Any, list[PolicyMeta]]] = {}
        self._entities = cedarpy.Entities.from_json_str("[]")
        self._cache: dict[tuple[Any, ...], PolicyResult] = {}
        self._cache_size = cache_size
        self.version = (
            profiles.version
            + ":"
            + ",".join(f"{a.id}@{a.version}" for a in sorted(self.agreements, key=lambda a: a.id))
        )

    # -- evaluation ------------------------------------------------------------------------

    def decide(self, request: PolicyRequest) -> PolicyResult:
        """The decision for ``request`` (cached; identical to :meth:`decide_uncached`)."""
        key = _cache_key(request)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        result = self.decide_uncached(request)
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[key] = result
        return result

    def decide_uncached(self, request: PolicyRequest) -> PolicyResult:
        """Evaluate the policies for ``request`` (order in the module docstring)."""
        context = self._context(request)
        opened = {
            **context,
            "supervisor_approved": True,
            "has_assurance": True,
            "originator_consent": True,
        }
        allow, fired = self._ask("disclose", request, context)
        if allow:
            return self._allowed(request, fired, context)
        hard = [m for m in fired if not m.gate]
        if any("match" in m.actions for m in hard):
            # the same forbid holds for hit/no-hit matching: nothing else can apply
            return PolicyResult(Decision.DENY, tuple(self._reason(m) for m in hard))
        if not hard:
            allow_opened, permits = self._ask("disclose", request, opened)
            if allow_opened:
                return PolicyResult(
                    Decision.NEEDS_APPROVAL,
                    tuple(self._reason(m) for m in fired),
                    conditions=self._conditions(request),
                    agreements=_ids(permits),
                    max_retention_days=_retention(permits),
                )
        match, match_fired = self._ask("match", request, context)
        if match:
            stricter = [m for m in fired if m.code in ("agreement.hit_no_hit",)]
            return PolicyResult(
                Decision.HIT_NO_HIT_ONLY,
                tuple(self._reason(m) for m in [*stricter, *match_fired]),
                conditions=("details only on a follow-up request, decided as a disclosure",),
                agreements=_ids(match_fired),
                max_retention_days=_retention(match_fired),
            )
        if not [m for m in match_fired if not m.gate] and match_fired:
            match_opened, permits = self._ask("match", request, opened)
            if match_opened:
                return PolicyResult(
                    Decision.NEEDS_APPROVAL,
                    tuple(self._reason(m) for m in match_fired),
                    conditions=("hit/no-hit only",),
                    agreements=_ids(permits),
                    max_retention_days=_retention(permits),
                )
        reasons = [self._reason(m) for m in hard] or [
            self._reason(m) for m in match_fired if not m.gate
        ]
        if not reasons:
            reasons = self._no_agreement(request)
        return PolicyResult(Decision.DENY, tuple(reasons))

    def _policy_set(self, context: dict[str, Any]) -> tuple[Any, list[PolicyMeta]]:
        """The policies that can apply between these jurisdictions: the marking and safeguard
        policies and those of agreements whose parties include the originator and the
        recipient or sender. Every other agreement policy requires exactly that membership in
        its ``when`` clause, so leaving it out changes no decision; it only saves time."""
        key = (context["originator"], context["recipient"], context["sender"])
        found = self._sets.get(key)
        if found is None:
            metas = [
                m
                for m in self._metas
                if not m.members
                or (key[0] in m.members and (key[1] in m.members or key[2] in m.members))
            ]
            text = "\n\n".join(m.text for m in metas)
            found = (cedarpy.PolicySet.from_str(text), metas)
            self._sets[key] = found
        return found

    def _ask(
        self, action: str, request: PolicyRequest, context: dict[str, Any]
    ) -> tuple[bool, list[PolicyMeta]]:
        policies, metas = self._policy_set(context)
        answer = cedarpy.is_authorized(
            {
                "principal": {"type": "Node", "id": request.recipient_node},
                "action": {"type": "Action", "id": action},
                "resource": {"type": "Record", "id": "record"},
                "context": context,
            },
            policies,
            self._entities,
        )
        if answer.diagnostics.errors:  # a policy that cannot be evaluated never allows
            raise RuntimeError(f"policy evaluation failed: {answer.diagnostics.errors}")
        # Cedar reports the determining policies as a set: sort them into text order
        order = sorted(int(pid.removeprefix("policy")) for pid in answer.diagnostics.reasons)
        fired = [metas[i] for i in order]
        return answer.allowed, fired

    def _context(self, request: PolicyRequest) -> dict[str, Any]:
        origin = self.profiles.get(request.originator_jurisdiction)
        target = self.profiles.get(request.recipient_jurisdiction)
        return {
            "originator_node": request.originator_node,
            "recipient_node": request.recipient_node,
            "originator": request.originator_jurisdiction,
            "recipient": request.recipient_jurisdiction,
            "sender": request.sender_jurisdiction or request.originator_jurisdiction,
            "tlp": request.tlp,
            "handling": request.handling_code,
            "has_releasability": bool(request.releasable_to),
            "releasable_to": sorted(request.releasable_to),
            "has_record_purposes": bool(request.record_purposes),
            "record_purposes": sorted(request.record_purposes),
            "purpose": request.purpose,
            "category": request.data_category,
            "personal_data": request.personal_data,
            "onward": request.onward,
            "originator_consent": request.originator_consent,
            "has_assurance": bool(request.assurance_reference),
            "supervisor_approved": request.supervisor_approved,
            "today": {"__extn": {"fn": "datetime", "arg": request.at.isoformat()}},
            "originator_death_penalty": origin.death_penalty if origin else "unknown",
            "recipient_death_penalty": target.death_penalty if target else "unknown",
            "recipient_death_penalty_for_terrorism": bool(
                target and target.death_penalty_for_terrorism
            ),
            "recipient_torture_risk": target.torture_risk if target else "unknown",
        }

    # -- explanations ----------------------------------------------------------------------

    def _allowed(
        self, request: PolicyRequest, permits: list[PolicyMeta], context: dict[str, Any]
    ) -> PolicyResult:
        conditions = list(self._conditions(request))
        reasons = [self._reason(m) for m in permits]
        gated = {**context, "supervisor_approved": False, "has_assurance": False}
        gated["originator_consent"] = False
        if request.supervisor_approved or request.assurance_reference or request.originator_consent:
            _, lifted = self._ask("disclose", request, gated)
            for meta in lifted:
                if meta.gate:
                    reasons.append(self._reason(meta))
                    conditions.append(_lifted_condition(meta, request))
        return PolicyResult(
            Decision.ALLOW,
            tuple(reasons),
            conditions=tuple(dict.fromkeys(conditions)),
            agreements=_ids(permits),
            max_retention_days=_retention(permits),
        )

    def _conditions(self, request: PolicyRequest) -> tuple[str, ...]:
        code = request.handling_code
        if code == "H1":
            return (
                "H1: no use as evidence in judicial proceedings without the originator's consent",
            )
        if code == "H2":
            return ("H2: no onward dissemination without the originator's consent",)
        if code == "H3":
            return (f"H3: {request.restriction or HANDLING_CODES['H3']}",)
        if code == "H0":
            return (f"H0: {HANDLING_CODES['H0']}",)
        return ()

    @staticmethod
    def _reason(meta: PolicyMeta) -> Reason:
        return Reason(meta.code, meta.message, meta.source)

    def _no_agreement(self, request: PolicyRequest) -> list[Reason]:
        """Why no agreement applies (agreement scope and dates; explanation only)."""
        reasons: list[Reason] = []
        for a in self.agreements:
            members: set[str] = set()
            for party in a.parties:
                members |= self.profiles.members(party)
            if not {request.originator_jurisdiction, request.recipient_jurisdiction} <= members:
                continue
            clause = str(a.clause("scope"))
            if a.status != "in_force":
                why, code, clause = (
                    f"agreement {a.id} is {a.status}",
                    f"agreement.{a.status}",
                    str(a.clause("duration")),
                )
            elif not a.in_force_on(request.at):
                why, code, clause = (
                    f"agreement {a.id} is not in force on {request.at.isoformat()}",
                    "agreement.not_in_force",
                    str(a.clause("duration")),
                )
            elif request.data_category not in a.data_categories:
                why, code = (
                    f"agreement {a.id} does not cover {request.data_category}",
                    "agreement.category",
                )
            elif request.purpose not in a.permitted_purposes:
                why, code, clause = (
                    f"agreement {a.id} does not permit the purpose {request.purpose}",
                    "agreement.purpose",
                    str(a.clause("purpose")),
                )
            else:
                continue
            reasons.append(Reason(code, why, clause))
        reasons.append(
            Reason(
                "agreement.none",
                "no agreement in force covers both jurisdictions, this data category and this "
                "purpose",
                "Accord principle: sharing only under an agreement (BRIEF section 3.1)",
            )
        )
        return reasons

    def clear_cache(self) -> None:
        self._cache.clear()


def _cache_key(r: PolicyRequest) -> tuple[Any, ...]:
    """The facts the policies read, and nothing else (see :meth:`PolicyEngine._context`): node
    names matter only as "same node or not", releasability and record purposes only as "listed or
    not" and "contains the recipient / the purpose", the assurance reference only as present.
    Decisions and their reasons are functions of exactly these facts, so caching by them is
    correct; the engine's agreements and profiles are fixed for its lifetime."""
    return (
        r.originator_node == r.recipient_node,
        r.originator_jurisdiction,
        r.recipient_jurisdiction,
        r.sender_jurisdiction or r.originator_jurisdiction,
        r.purpose,
        r.data_category,
        r.at,
        r.tlp,
        r.handling_code,
        r.restriction,
        bool(r.releasable_to),
        r.recipient_jurisdiction in r.releasable_to,
        bool(r.record_purposes),
        r.purpose in r.record_purposes,
        r.personal_data,
        r.onward,
        r.originator_consent,
        bool(r.assurance_reference),
        r.supervisor_approved,
    )


def _ids(metas: Iterable[PolicyMeta]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m.agreement_id for m in metas if m.agreement_id))


def _retention(metas: Iterable[PolicyMeta]) -> int | None:
    days = [m.retention_days for m in metas if m.retention_days]
    return min(days) if days else None


def _lifted_condition(meta: PolicyMeta, request: PolicyRequest) -> str:
    if meta.gate == "originator_consent":
        return f"originator consent given ({meta.code})"
    if meta.gate == "supervisor_approval":
        return f"supervisor approval recorded ({meta.code})"
    return f"supervisor approval and assurance reference recorded ({meta.code})"
