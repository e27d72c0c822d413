"""Jurisdiction profiles: what the human-rights safeguards of the policy engine need to know.

A profile records, for one jurisdiction (ISO 3166-1 alpha-2 country or multilateral body):

- its death-penalty status in Amnesty International's classification (abolitionist for all
  crimes, abolitionist in practice, retentionist; Amnesty's "abolitionist for ordinary crimes
  only" is recorded as ``abolitionist`` with a note), and whether terrorist offences are capital;
- the universal counter-terrorism instruments it is party to (UN Treaty Collection; DOMAIN.md
  section 6), keyed by :data:`CT_INSTRUMENTS`;
- a torture-risk assessment kept by the node's legal officer (Convention against Torture Art 3;
  ECHR Art 3; Law Enforcement Directive (EU) 2016/680 Arts 35-39 require this check before a
  third-country transfer). The shipped values are an initial assessment for review, not a finding.

Profiles are plain frozen values; :class:`ProfileSet` carries a content version so that cached
policy decisions are keyed by the profiles they were taken under.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final, Literal, cast

__all__ = [
    "CT_INSTRUMENTS",
    "DEATH_PENALTY_STATUSES",
    "TORTURE_RISKS",
    "JurisdictionProfile",
    "ProfileError",
    "ProfileSet",
    "default_profiles",
    "load_profiles",
    "profile_from_dict",
]

DeathPenalty = Literal["abolitionist", "abolitionist_in_practice", "retentionist"]
TortureRisk = Literal["low", "elevated", "high"]

#: Amnesty International's classification (three of its four classes; see module docstring).
DEATH_PENALTY_STATUSES: Final[tuple[str, ...]] = (
    "abolitionist",
    "abolitionist_in_practice",
    "retentionist",
)
TORTURE_RISKS: Final[tuple[str, ...]] = ("low", "elevated", "high")

#: The 19 universal counter-terrorism instruments (UN CTC list; DOMAIN.md section 6).
CT_INSTRUMENTS: Final[dict[str, str]] = {
    "tokyo_1963": "Convention on Offences Committed on Board Aircraft (Tokyo, 1963)",
    "hague_1970": "Convention for the Suppression of Unlawful Seizure of Aircraft (Hague, 1970)",
    "montreal_1971": "Convention for the Suppression of Unlawful Acts against the Safety of "
    "Civil Aviation (Montreal, 1971)",
    "protected_persons_1973": "Convention on Crimes against Internationally Protected Persons "
    "(1973)",
    "hostages_1979": "International Convention against the Taking of Hostages (1979)",
    "nuclear_material_1980": "Convention on the Physical Protection of Nuclear Material (1980)",
    "airports_protocol_1988": "Protocol on Violence at Airports (Montreal, 1988)",
    "sua_1988": "Convention on Unlawful Acts against the Safety of Maritime Navigation (1988)",
    "fixed_platforms_1988": "Protocol on Fixed Platforms on the Continental Shelf (1988)",
    "plastic_explosives_1991": "Convention on the Marking of Plastic Explosives (1991)",
    "bombings_1997": "International Convention for the Suppression of Terrorist Bombings (1997)",
    "financing_1999": "International Convention for the Suppression of the Financing of "
    "Terrorism (1999)",
    "nuclear_terrorism_2005": "International Convention for the Suppression of Acts of Nuclear "
    "Terrorism (2005)",
    "nuclear_material_amendment_2005": "Amendment to the Convention on the Physical Protection "
    "of Nuclear Material (2005)",
    "sua_protocol_2005": "Protocol of 2005 to the SUA Convention",
    "platforms_protocol_2005": "Protocol of 2005 to the Fixed Platforms Protocol",
    "beijing_convention_2010": "Convention on the Suppression of Unlawful Acts Relating to "
    "International Civil Aviation (Beijing, 2010)",
    "beijing_protocol_2010": "Protocol Supplementary to the Hague Convention (Beijing, 2010)",
    "montreal_protocol_2014": "Protocol to Amend the Tokyo Convention (Montreal, 2014)",
}


class ProfileError(ValueError):
    """A profile that is not well formed; the message names the path of the error."""


@dataclass(frozen=True, slots=True)
class JurisdictionProfile:
    """What the safeguards know about one jurisdiction (see the module docstring)."""

    code: str
    name: str
    death_penalty: DeathPenalty
    death_penalty_for_terrorism: bool
    ct_instruments: frozenset[str] = frozenset()
    torture_risk: TortureRisk = "low"
    notes: str = ""
    sources: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "death_penalty": self.death_penalty,
            "death_penalty_for_terrorism": self.death_penalty_for_terrorism,
            "ct_instruments": sorted(self.ct_instruments),
            "torture_risk": self.torture_risk,
            "notes": self.notes,
            "sources": list(self.sources),
        }


def profile_from_dict(data: Mapping[str, Any], path: str = "$") -> JurisdictionProfile:
    """Build a profile from its JSON form; :class:`ProfileError` names the path of the error."""
    from accord.engine.jurisdiction import JurisdictionError, validate_jurisdiction

    if not isinstance(data, Mapping):
        raise ProfileError(f"{path}: a profile is an object")
    try:
        code = validate_jurisdiction(str(data.get("code", "")))
    except JurisdictionError as exc:
        raise ProfileError(f"{path}.code: {exc}") from None
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        raise ProfileError(f"{path}.name: a non-empty string is required")
    if data.get("death_penalty") not in DEATH_PENALTY_STATUSES:
        raise ProfileError(
            f"{path}.death_penalty: one of {', '.join(DEATH_PENALTY_STATUSES)} is required"
        )
    if not isinstance(data.get("death_penalty_for_terrorism"), bool):
        raise ProfileError(f"{path}.death_penalty_for_terrorism: true or false is required")
    instruments = data.get("ct_instruments", [])
    if not isinstance(instruments, list):
        raise ProfileError(f"{path}.ct_instruments: a list is required")
    for i, key in enumerate(instruments):
        if key not in CT_INSTRUMENTS:
            raise ProfileError(f"{path}.ct_instruments[{i}]: {key!r} is not a known instrument")
    risk = data.get("torture_risk", "low")
    if risk not in TORTURE_RISKS:
        raise ProfileError(f"{path}.torture_risk: one of {', '.join(TORTURE_RISKS)} is required")
    sources = data.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise ProfileError(f"{path}.sources: a list of strings is required")
    return JurisdictionProfile(
        code=code,
        name=str(data["name"]),
        death_penalty=cast(DeathPenalty, data["death_penalty"]),
        death_penalty_for_terrorism=bool(data["death_penalty_for_terrorism"]),
        ct_instruments=frozenset(str(k) for k in instruments),
        torture_risk=cast(TortureRisk, risk),
        notes=str(data.get("notes", "")),
        sources=tuple(sources),
    )


@dataclass(frozen=True)
class ProfileSet:
    """Profiles by code, partnerships (name -> member codes) and a content version."""

    profiles: Mapping[str, JurisdictionProfile]
    partnerships: Mapping[str, frozenset[str]] = field(default_factory=dict)
    version: str = ""

    @classmethod
    def of(
        cls,
        profiles: Iterable[JurisdictionProfile],
        partnerships: Mapping[str, Iterable[str]] | None = None,
    ) -> ProfileSet:
        by_code = {p.code: p for p in profiles}
        parts = {k: frozenset(v) for k, v in (partnerships or {}).items()}
        body = json.dumps(
            {
                "profiles": [by_code[c].to_dict() for c in sorted(by_code)],
                "partnerships": {k: sorted(v) for k, v in sorted(parts.items())},
            },
            sort_keys=True,
        )
        return cls(by_code, parts, hashlib.sha256(body.encode()).hexdigest()[:16])

    def get(self, code: str) -> JurisdictionProfile | None:
        return self.profiles.get(code)

    def knows(self, party: str) -> bool:
        """Whether ``party`` names a profiled jurisdiction or a partnership."""
        return party in self.profiles or party in self.partnerships

    def members(self, party: str) -> frozenset[str]:
        """The jurisdictions a party stands for: a partnership's members, or itself."""
        if party in self.partnerships:
            return self.partnerships[party]
        return frozenset({party})


def load_profiles(data: Mapping[str, Any]) -> ProfileSet:
    """A :class:`ProfileSet` from the JSON form of ``data/profiles.json``."""
    items = data.get("profiles")
    if not isinstance(items, list):
        raise ProfileError("$.profiles: a list is required")
    profiles = [profile_from_dict(item, f"$.profiles[{i}]") for i, item in enumerate(items)]
    codes = {p.code for p in profiles}
    partnerships = data.get("partnerships", {})
    if not isinstance(partnerships, Mapping):
        raise ProfileError("$.partnerships: an object is required")
    for name, members in partnerships.items():
        if name in codes:
            raise ProfileError(f"$.partnerships.{name}: the name is also a jurisdiction code")
        if not isinstance(members, list):
            raise ProfileError(f"$.partnerships.{name}: a list of codes is required")
        for i, member in enumerate(members):
            if member not in codes:
                raise ProfileError(
                    f"$.partnerships.{name}[{i}]: {member!r} has no jurisdiction profile"
                )
    return ProfileSet.of(profiles, {k: [str(m) for m in v] for k, v in partnerships.items()})


def default_profiles() -> ProfileSet:
    """The profiles shipped with Accord (``data/profiles.json``), for the legal officer's review."""
    text = resources.files("accord.engine.policy").joinpath("data/profiles.json").read_text("utf-8")
    return load_profiles(json.loads(text))
