"""Contradictions between agreements: two agreements in force that cover the same jurisdictions,
data category and purpose over the same days, and say different things.

The policy engine never has to choose between them: every agreement that applies contributes
its forbids, and a Cedar forbid overrides any permit, so the stricter clause always decides
(docs/policy.md, "Several agreements that apply and disagree"). This module states the same
rule as data, so that the legal officer's pages can say *which* agreements disagree, *on what*,
and *which one wins*, exactly as the engine will decide.

Framework-free (plain values in, plain values out); the clause-by-clause strictness order:

- sharing mode: ``none`` is stricter than ``hit_no_hit``, which is stricter than ``full``;
- onward transfer: ``forbidden`` > ``with_consent`` > ``allowed_within_parties`` (the engine
  applies onward-transfer clauses to every re-share between the parties, whatever the category
  or purpose, so this one needs only the jurisdictions and dates to overlap);
- retention: the shorter ``max_retention_days`` (the engine keeps the shortest of the agreements
  that allowed a disclosure);
- conditions: requiring a supervisor's approval, or an assurance reference, is stricter than not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from itertools import combinations

from accord.engine.policy.agreements import Agreement
from accord.engine.policy.profiles import ProfileSet

__all__ = ["Contradiction", "Disagreement", "find_contradictions"]

_SHARING_RANK: Mapping[str, int] = {"full": 0, "hit_no_hit": 1, "none": 2}
_ONWARD_RANK: Mapping[str, int] = {"allowed_within_parties": 0, "with_consent": 1, "forbidden": 2}

_SHARING_TEXT: Mapping[str, str] = {
    "full": "full sharing",
    "hit_no_hit": "hit/no-hit only",
    "none": "no sharing",
}
_ONWARD_TEXT: Mapping[str, str] = {
    "allowed_within_parties": "onward transfer allowed within the parties",
    "with_consent": "onward transfer only with the originator's consent",
    "forbidden": "no onward transfer",
}


@dataclass(frozen=True, slots=True)
class Disagreement:
    """One clause on which two agreements differ: what each says and which one wins."""

    topic: str
    label: str
    first: str
    second: str
    stricter_id: str
    outcome: str

    def message(self, first_id: str, second_id: str) -> str:
        return (
            f"{self.label}: {first_id} says {self.first}, {second_id} says {self.second}; "
            f"the stricter one wins: {self.stricter_id} ({self.outcome})"
        )


@dataclass(frozen=True, slots=True)
class Contradiction:
    """Two agreements that overlap and disagree (``first`` sorts before ``second`` by id)."""

    first_id: str
    first_version: int
    second_id: str
    second_version: int
    jurisdictions: tuple[str, ...]
    categories: tuple[str, ...]
    purposes: tuple[str, ...]
    overlap_from: date
    overlap_until: date | None
    disagreements: tuple[Disagreement, ...]

    def involves(self, agreement_id: str) -> bool:
        return agreement_id in (self.first_id, self.second_id)

    @property
    def scope(self) -> str:
        """Where they overlap, in words."""
        days = f"from {self.overlap_from.isoformat()}" + (
            f" until {self.overlap_until.isoformat()}" if self.overlap_until else ""
        )
        parts = [f"between {', '.join(self.jurisdictions)}"]
        if self.categories:
            parts.append(f"for {', '.join(self.categories)}")
        if self.purposes:
            parts.append(f"for the purpose {', '.join(self.purposes)}")
        return " ".join(parts) + f", {days}"

    @property
    def messages(self) -> tuple[str, ...]:
        return tuple(d.message(self.first_id, self.second_id) for d in self.disagreements)

    def summary(self) -> str:
        """One sentence for an audit entry or a flash message."""
        return (
            f"{self.first_id} v{self.first_version} and {self.second_id} v{self.second_version} "
            f"overlap {self.scope} and disagree: " + "; ".join(self.messages)
        )


def _members(agreement: Agreement, profiles: ProfileSet | None) -> frozenset[str]:
    found: set[str] = set()
    for party in agreement.parties:
        found |= profiles.members(party) if profiles is not None else {party}
    return frozenset(found)


def _overlap_days(a: Agreement, b: Agreement) -> tuple[date, date | None] | None:
    start = max(a.in_force_from, b.in_force_from)
    ends = [d for d in (a.in_force_until, b.in_force_until) if d is not None]
    until = min(ends) if ends else None
    if until is not None and until < start:
        return None
    return start, until


def _ranked(
    topic: str,
    label: str,
    a: Agreement,
    b: Agreement,
    va: str,
    vb: str,
    rank: Mapping[str, int],
    text: Mapping[str, str],
) -> Disagreement | None:
    if va == vb:
        return None
    winner, value = (a, va) if rank[va] > rank[vb] else (b, vb)
    return Disagreement(topic, label, text[va], text[vb], winner.id, text[value])


def _disagreements(a: Agreement, b: Agreement, same_scope: bool) -> list[Disagreement]:
    found: list[Disagreement | None] = []
    if same_scope:
        found.append(
            _ranked(
                "sharing_mode",
                "Sharing mode",
                a,
                b,
                a.sharing_mode,
                b.sharing_mode,
                _SHARING_RANK,
                _SHARING_TEXT,
            )
        )
        if a.max_retention_days != b.max_retention_days:
            winner = a if a.max_retention_days < b.max_retention_days else b
            found.append(
                Disagreement(
                    "retention",
                    "Retention",
                    f"{a.max_retention_days} days",
                    f"{b.max_retention_days} days",
                    winner.id,
                    f"{winner.max_retention_days} days",
                )
            )
        for topic, label, wins in (
            ("supervisor_approval", "Supervisor approval", "a supervisor's approval required"),
            (
                "assurance_reference_required",
                "Assurance reference",
                "an assurance reference required",
            ),
        ):
            va, vb = bool(getattr(a, topic)), bool(getattr(b, topic))
            if va != vb:
                found.append(
                    Disagreement(
                        topic,
                        label,
                        "required" if va else "not required",
                        "required" if vb else "not required",
                        a.id if va else b.id,
                        wins,
                    )
                )
    found.append(
        _ranked(
            "onward_transfer",
            "Onward transfer",
            a,
            b,
            a.onward_transfer,
            b.onward_transfer,
            _ONWARD_RANK,
            _ONWARD_TEXT,
        )
    )
    return [d for d in found if d is not None]


def find_contradictions(
    agreements: Iterable[Agreement], profiles: ProfileSet | None = None
) -> list[Contradiction]:
    """Every pair of agreements in force (status ``in_force``, date ranges that meet) whose
    jurisdictions share at least two members and that disagree on a clause that then applies:
    sharing mode, retention and conditions where the data categories and purposes overlap too;
    onward transfer wherever the jurisdictions and dates overlap. Pass the latest version of
    each agreement (as the engine is given). Sorted by the two ids."""
    live = sorted((a for a in agreements if a.status == "in_force"), key=lambda a: a.id)
    found: list[Contradiction] = []
    for a, b in combinations(live, 2):
        if a.id == b.id:
            continue
        common = _members(a, profiles) & _members(b, profiles)
        days = _overlap_days(a, b)
        if len(common) < 2 or days is None:
            continue
        categories = tuple(sorted(a.data_categories & b.data_categories))
        purposes = tuple(sorted(a.permitted_purposes & b.permitted_purposes))
        same_scope = bool(categories and purposes)
        disagreements = _disagreements(a, b, same_scope)
        if not disagreements:
            continue
        found.append(
            Contradiction(
                first_id=a.id,
                first_version=a.version,
                second_id=b.id,
                second_version=b.version,
                jurisdictions=tuple(sorted(common)),
                categories=categories if same_scope else (),
                purposes=purposes if same_scope else (),
                overlap_from=days[0],
                overlap_until=days[1],
                disagreements=tuple(disagreements),
            )
        )
    return found
