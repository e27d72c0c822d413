"""Agreements, markings and safeguards rendered as Cedar policies (the text a legal officer reads).

Every policy carries ``@id`` (``<agreement>.v<version>.<topic>`` for agreement clauses,
``marking.<rule>`` or ``safeguard.<rule>``) and ``@source`` (the clause, marking or article it
encodes). :func:`build_policies` returns the text and, for each policy in order, the
:class:`PolicyMeta` that turns a determining policy back into a :class:`~.engine.Reason`: the
engine evaluates exactly this text with cedarpy (Cedar's ids for unnamed policies are
``policy0``, ``policy1``... in text order).

Request model (Cedar, no entities needed):

- principal ``Node::"<recipient node>"``, resource ``Record::"record"``;
- action ``Action::"disclose"`` (the record itself) or ``Action::"match"`` (hit/no-hit
  encodings only; a hit reveals "originator X holds a matching record", details follow by a
  request that is itself a disclosure);
- ``context``: the facts of :class:`~.engine.PolicyRequest` plus the two jurisdictions' profiles.

Permits come only from agreements in force; forbids (markings, stricter agreements, safeguards)
always win over permits in Cedar, which is what makes a DENY unbypassable. Forbids that an
approval can lift carry ``@gate`` and an ``unless`` on the approval facts.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from accord.engine.policy.agreements import Agreement
from accord.engine.policy.profiles import ProfileSet

__all__ = ["PolicyMeta", "build_policies", "policies_for"]


@dataclass(frozen=True, slots=True)
class PolicyMeta:
    """What a policy means when it decides: the reason code, its message, its source, and
    whether an approval (``gate``: consent, approval, assurance) can lift it."""

    id: str
    effect: str
    code: str
    message: str
    source: str
    gate: str = ""
    agreement_id: str = ""
    retention_days: int = 0
    #: the jurisdictions of the agreement (empty for marking and safeguard policies)
    members: frozenset[str] = frozenset()
    #: the actions the policy constrains
    actions: tuple[str, ...] = ()
    #: the policy's own Cedar text
    text: str = ""


def _lit(text: str) -> str:
    clean = "".join(c if c >= " " else " " for c in text)
    return json.dumps(clean, ensure_ascii=False)


def _set(values: Iterable[str]) -> str:
    return "[" + ", ".join(_lit(v) for v in sorted(values)) + "]"


def _day(day: date) -> str:
    return f'datetime("{day.isoformat()}")'


class _Builder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.metas: list[PolicyMeta] = []

    def comment(self, text: str) -> None:
        self.parts.append("\n".join(f"// {line}" for line in text.splitlines()))

    def add(
        self, meta: PolicyMeta, actions: tuple[str, ...], when: list[str], unless: str = ""
    ) -> None:
        if len(actions) == 1:
            scope = f'action == Action::"{actions[0]}"'
        else:
            scope = "action in [" + ", ".join(f'Action::"{a}"' for a in actions) + "]"
        lines = [f"@id({_lit(meta.id)})", f"@source({_lit(meta.source)})"]
        if meta.gate:
            lines.append(f"@gate({_lit(meta.gate)})")
        lines.append(f"{meta.effect} (principal, {scope}, resource)")
        lines.append("when {\n  " + " &&\n  ".join(when or ["true"]) + "\n}")
        if unless:
            lines.append("unless { " + unless + " }")
        text = "\n".join(lines) + ";"
        self.parts.append(text)
        self.metas.append(dataclasses.replace(meta, actions=actions, text=text))


BOTH = ("disclose", "match")
DISCLOSE = ("disclose",)


def _static_policies(b: _Builder) -> None:
    b.comment(
        "Markings set by the originator (TLP 2.0, FIRST 2022; Europol handling codes, ER Art 19)."
    )
    b.add(
        PolicyMeta(
            "marking.tlp_red",
            "forbid",
            "marking.tlp_red",
            "TLP:RED: for the named recipients only; never to another node",
            "TLP 2.0 TLP:RED",
        ),
        BOTH,
        ['context.tlp == "red"', "context.recipient_node != context.originator_node"],
    )
    b.add(
        PolicyMeta(
            "marking.tlp_amber_strict",
            "forbid",
            "marking.tlp_amber_strict",
            "TLP:AMBER+STRICT: the recipient's own organisation only; another node is another "
            "organisation",
            "TLP 2.0 TLP:AMBER+STRICT",
        ),
        BOTH,
        ['context.tlp == "amber+strict"', "context.recipient_node != context.originator_node"],
    )
    b.add(
        PolicyMeta(
            "marking.tlp_amber_onward",
            "forbid",
            "marking.tlp_amber_onward",
            "TLP:AMBER: a recipient may share only within its organisation and its clients, "
            "never onward to another agency",
            "TLP 2.0 TLP:AMBER",
        ),
        BOTH,
        ["context.onward", 'context.tlp == "amber"'],
    )
    b.add(
        PolicyMeta(
            "marking.releasability",
            "forbid",
            "marking.releasability",
            "the recipient's jurisdiction is not on the record's releasability list",
            "originator's releasability marking (ER Art 19)",
        ),
        BOTH,
        ["context.has_releasability", "!context.releasable_to.contains(context.recipient)"],
    )
    b.add(
        PolicyMeta(
            "marking.purpose",
            "forbid",
            "marking.purpose",
            "the requested purpose is not among the record's permitted purposes",
            "originator's purpose restriction (ER Arts 19, 28; Directive (EU) 2016/680 Art 4)",
        ),
        BOTH,
        ["context.has_record_purposes", "!context.record_purposes.contains(context.purpose)"],
    )
    b.add(
        PolicyMeta(
            "marking.h2_onward",
            "forbid",
            "marking.h2_onward",
            "originator consent required: H2, no further dissemination without the "
            "originator's permission",
            "handling code H2 (Europol handling codes)",
            gate="originator_consent",
        ),
        BOTH,
        ["context.onward", 'context.handling == "H2"'],
        unless="context.originator_consent",
    )
    b.comment(
        "Human-rights safeguards before a transfer of personal data (Directive (EU) 2016/680\n"
        "Arts 35-39; ECHR Art 3 and Protocols 6 and 13; Convention against Torture Art 3;\n"
        "EU Charter Art 19(2)). Lifted only by supervisor approval AND an assurance reference."
    )
    lift = "context.supervisor_approved && context.has_assurance"
    b.add(
        PolicyMeta(
            "safeguard.death_penalty",
            "forbid",
            "safeguard.death_penalty",
            "the recipient's jurisdiction retains the death penalty (or for terrorism) while "
            "the originator's has abolished it: supervisor approval and an assurance reference "
            "are required",
            "safeguard: death penalty (ECHR Protocols 6 and 13; EU Charter Art 19(2); "
            "ECE Art 11 assurance)",
            gate="supervisor_approval+assurance",
        ),
        DISCLOSE,
        [
            "context.personal_data",
            'context.originator_death_penalty == "abolitionist"',
            '(context.recipient_death_penalty == "retentionist" || '
            "context.recipient_death_penalty_for_terrorism)",
        ],
        unless=lift,
    )
    b.add(
        PolicyMeta(
            "safeguard.torture_risk",
            "forbid",
            "safeguard.torture_risk",
            "the legal officer assesses the recipient's torture risk as elevated or high: "
            "supervisor approval and an assurance reference are required",
            "safeguard: torture (Convention against Torture Art 3; ECHR Art 3; Othman v UK "
            "2012 criteria for assurances)",
            gate="supervisor_approval+assurance",
        ),
        DISCLOSE,
        [
            "context.personal_data",
            '(context.recipient_torture_risk == "elevated" || '
            'context.recipient_torture_risk == "high")',
        ],
        unless=lift,
    )
    b.add(
        PolicyMeta(
            "safeguard.unknown_profile",
            "forbid",
            "safeguard.unknown_profile",
            "the recipient's jurisdiction has no profile: its death-penalty and torture risk "
            "cannot be assessed",
            "safeguard: Directive (EU) 2016/680 Art 35 (assessment before transfer)",
            gate="supervisor_approval+assurance",
        ),
        DISCLOSE,
        ["context.personal_data", 'context.recipient_death_penalty == "unknown"'],
        unless=lift,
    )


def _agreement_policies(b: _Builder, agreement: Agreement, profiles: ProfileSet | None) -> None:
    first = len(b.metas)
    _agreement_policies_of(b, agreement, profiles)
    members = _members(agreement, profiles)
    for i in range(first, len(b.metas)):
        b.metas[i] = dataclasses.replace(b.metas[i], members=members)


def _members(agreement: Agreement, profiles: ProfileSet | None) -> frozenset[str]:
    members: set[str] = set()
    for party in agreement.parties:
        members |= profiles.members(party) if profiles is not None else {party}
    return frozenset(members)


def _agreement_policies_of(b: _Builder, agreement: Agreement, profiles: ProfileSet | None) -> None:
    a = agreement
    members = _members(a, profiles)
    prefix = f"{a.id}.v{a.version}"
    b.comment(
        f"Agreement {a.id} v{a.version}: {a.title}\n"
        f"type {a.type}; parties {', '.join(a.parties)}; status {a.status}; in force from "
        f"{a.in_force_from.isoformat()}"
        + (f" until {a.in_force_until.isoformat()}" if a.in_force_until else "")
        + f"; sharing {a.sharing_mode}; onward {a.onward_transfer}; "
        f"retention {a.max_retention_days} days"
    )
    if a.status != "in_force":
        b.comment(f"{a.status}: no disclosure under this agreement (no policy).")
        return
    parties = _set(members)
    dates = [f"context.today >= {_day(a.in_force_from)}"]
    if a.in_force_until is not None:
        dates.append(f"context.today <= {_day(a.in_force_until)}")
    applies = [
        f"{parties}.contains(context.originator)",
        f"{parties}.contains(context.recipient)",
        *dates,
        f"{_set(a.data_categories)}.contains(context.category)",
        f"{_set(a.permitted_purposes)}.contains(context.purpose)",
    ]
    scope = a.clause("scope")
    if a.sharing_mode in ("full", "hit_no_hit"):
        mode = a.clause("sharing_mode")
        b.add(
            PolicyMeta(
                f"{prefix}.permit",
                "permit",
                "agreement.permits",
                f"agreement {a.id} v{a.version} permits "
                + ("sharing" if a.sharing_mode == "full" else "hit/no-hit matching")
                + " of this category for this purpose between these parties",
                f"{scope}; {mode}",
                agreement_id=a.id,
                retention_days=a.max_retention_days,
            ),
            BOTH if a.sharing_mode == "full" else ("match",),
            applies,
        )
    if a.sharing_mode == "hit_no_hit":
        b.add(
            PolicyMeta(
                f"{prefix}.hit_no_hit",
                "forbid",
                "agreement.hit_no_hit",
                f"agreement {a.id} allows hit/no-hit only (the stricter agreement wins)",
                str(a.clause("sharing_mode")),
                agreement_id=a.id,
            ),
            DISCLOSE,
            applies,
        )
    if a.sharing_mode == "none":
        b.add(
            PolicyMeta(
                f"{prefix}.none",
                "forbid",
                "agreement.sharing_none",
                f"agreement {a.id} allows no sharing (the stricter agreement wins)",
                str(a.clause("sharing_mode")),
                agreement_id=a.id,
            ),
            BOTH,
            applies,
        )
    if a.supervisor_approval:
        b.add(
            PolicyMeta(
                f"{prefix}.supervisor_approval",
                "forbid",
                "agreement.supervisor_approval",
                f"agreement {a.id} requires a supervisor's approval",
                str(a.clause("conditions")),
                gate="supervisor_approval",
                agreement_id=a.id,
            ),
            DISCLOSE,
            applies,
            unless="context.supervisor_approved",
        )
    if a.assurance_reference_required:
        b.add(
            PolicyMeta(
                f"{prefix}.assurance_reference",
                "forbid",
                "agreement.assurance_reference",
                f"agreement {a.id} requires an assurance reference",
                str(a.clause("conditions")),
                gate="assurance",
                agreement_id=a.id,
            ),
            DISCLOSE,
            applies,
            unless="context.has_assurance",
        )
    onward = [
        "context.onward",
        f"{parties}.contains(context.originator)",
        f"{parties}.contains(context.sender)",
        *dates,
    ]
    clause = str(a.clause("onward_transfer"))
    if a.onward_transfer == "forbidden":
        b.add(
            PolicyMeta(
                f"{prefix}.onward_forbidden",
                "forbid",
                "agreement.onward_forbidden",
                f"agreement {a.id} forbids onward transfer by the recipient",
                clause,
                agreement_id=a.id,
            ),
            BOTH,
            onward,
        )
    elif a.onward_transfer == "with_consent":
        b.add(
            PolicyMeta(
                f"{prefix}.onward_consent",
                "forbid",
                "agreement.onward_consent",
                f"originator consent required: agreement {a.id} allows onward transfer only "
                "with the originator's consent",
                clause,
                gate="originator_consent",
                agreement_id=a.id,
            ),
            BOTH,
            onward,
            unless="context.originator_consent",
        )
    else:
        b.add(
            PolicyMeta(
                f"{prefix}.onward_parties",
                "forbid",
                "agreement.onward_outside_parties",
                f"agreement {a.id} allows onward transfer only within its parties",
                clause,
                agreement_id=a.id,
            ),
            BOTH,
            [*onward, f"!{parties}.contains(context.recipient)"],
        )


def build_policies(
    agreements: Iterable[Agreement], profiles: ProfileSet | None = None
) -> tuple[str, list[PolicyMeta]]:
    """The Cedar text of all policies, and each policy's meaning in text order."""
    b = _Builder()
    _static_policies(b)
    for agreement in sorted(agreements, key=lambda a: (a.id, a.version)):
        _agreement_policies(b, agreement, profiles)
    return "\n\n".join(b.parts) + "\n", b.metas


def policies_for(agreements: Iterable[Agreement], profiles: ProfileSet | None = None) -> str:
    """Readable Cedar policies generated from ``agreements`` (with the static marking and
    safeguard policies), as the engine evaluates them."""
    return build_policies(agreements, profiles)[0]
