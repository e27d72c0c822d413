"""Agreements as data: the published JSON Schema, the :class:`Agreement` value and its loader.

An agreement (memorandum of understanding, treaty, multilateral convention or regional
partnership) states between which parties, from when until when, for which data categories and
purposes, in which mode (full sharing, hit/no-hit only, none) information may flow, what the
recipient may do with it onward, how long it may keep it and under which conditions (supervisor
approval, assurance reference). The policy engine turns agreements into Cedar policies.

Validation: the JSON Schema (draft 2020-12, checked with jsonschema-rs), then semantic checks the
schema cannot express (known jurisdictions or partnerships, dates in order, no duplicate parties).
Every refusal names the JSON path of the first error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import jsonschema_rs

from accord.engine.policy.profiles import ProfileSet
from accord.engine.stix.markings import PURPOSES

__all__ = [
    "AGREEMENT_SCHEMA",
    "AGREEMENT_TYPES",
    "DATA_CATEGORIES",
    "ONWARD_TRANSFER",
    "SHARING_MODES",
    "STATUSES",
    "Agreement",
    "AgreementError",
    "Clause",
    "load_agreement",
]

AGREEMENT_TYPES: Final = (
    "bilateral_memorandum",
    "treaty",
    "multilateral_convention",
    "regional_partnership",
)
STATUSES: Final = ("in_force", "suspended", "withdrawn")
DATA_CATEGORIES: Final = (
    "persons",
    "organisations",
    "cyber_indicators",
    "operations",
    "financial",
    "travel",
)
SHARING_MODES: Final = ("full", "hit_no_hit", "none")
ONWARD_TRANSFER: Final = ("forbidden", "with_consent", "allowed_within_parties")

#: Which clause of an agreement a reason cites, by topic (keys of ``clauses``).
CLAUSE_TOPICS: Final = (
    "scope",
    "purpose",
    "sharing_mode",
    "onward_transfer",
    "retention",
    "conditions",
    "duration",
)

_DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}

#: The published JSON Schema of an agreement (also at docs/schemas/agreement.schema.json).
AGREEMENT_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://accord.invalid/schemas/agreement.schema.json",
    "title": "Accord information-sharing agreement",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "version",
        "title",
        "type",
        "parties",
        "in_force",
        "status",
        "data_categories",
        "permitted_purposes",
        "sharing_mode",
        "onward_transfer",
        "max_retention_days",
    ],
    "properties": {
        "id": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9._-]{1,99}$"},
        "version": {"type": "integer", "minimum": 1},
        "title": {"type": "string", "minLength": 1, "maxLength": 300},
        "type": {"enum": list(AGREEMENT_TYPES)},
        "parties": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "minLength": 2, "maxLength": 64},
            "description": "Jurisdiction codes or partnership names (resolved to their members)",
        },
        "in_force": {
            "type": "object",
            "additionalProperties": False,
            "required": ["from"],
            "properties": {"from": _DATE, "until": {"oneOf": [_DATE, {"type": "null"}]}},
        },
        "status": {"enum": list(STATUSES)},
        "data_categories": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"enum": list(DATA_CATEGORIES)},
        },
        "permitted_purposes": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"enum": sorted(PURPOSES)},
        },
        "sharing_mode": {"enum": list(SHARING_MODES)},
        "onward_transfer": {"enum": list(ONWARD_TRANSFER)},
        "max_retention_days": {"type": "integer", "minimum": 1, "maximum": 36500},
        "conditions": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "supervisor_approval": {"type": "boolean"},
                "assurance_reference_required": {"type": "boolean"},
            },
        },
        "clauses": {
            "type": "object",
            "description": "Article number and title cited in explanations, by topic",
            "propertyNames": {"enum": list(CLAUSE_TOPICS)},
            "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 300},
        },
    },
}

_VALIDATOR = jsonschema_rs.Draft202012Validator(AGREEMENT_SCHEMA, validate_formats=True)


class AgreementError(ValueError):
    """An agreement that cannot be loaded; ``path`` is the JSON path of the first error."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True)
class Clause:
    """A citable clause of an agreement (for a reason's ``source``)."""

    agreement_id: str
    topic: str
    text: str

    def __str__(self) -> str:
        return f"agreement {self.agreement_id} {self.text}"


@dataclass(frozen=True, slots=True)
class Agreement:
    """One version of an agreement (fields as in :data:`AGREEMENT_SCHEMA`)."""

    id: str
    version: int
    title: str
    type: str
    parties: tuple[str, ...]
    in_force_from: date
    in_force_until: date | None
    status: str
    data_categories: frozenset[str]
    permitted_purposes: frozenset[str]
    sharing_mode: str
    onward_transfer: str
    max_retention_days: int
    supervisor_approval: bool = False
    assurance_reference_required: bool = False
    clauses: Mapping[str, str] = field(default_factory=dict)

    def clause(self, topic: str) -> Clause:
        """The clause to cite for ``topic`` (the topic's name where the text gives none)."""
        return Clause(self.id, topic, self.clauses.get(topic) or f"({topic.replace('_', ' ')})")

    def in_force_on(self, day: date) -> bool:
        """In force on ``day``: status in force and ``from <= day <= until`` (until inclusive)."""
        return (
            self.status == "in_force"
            and self.in_force_from <= day
            and (self.in_force_until is None or day <= self.in_force_until)
        )

    def to_dict(self) -> dict[str, Any]:
        """The agreement's JSON form (loads back to an equal agreement)."""
        data: dict[str, Any] = {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "type": self.type,
            "parties": list(self.parties),
            "in_force": {
                "from": self.in_force_from.isoformat(),
                "until": self.in_force_until.isoformat() if self.in_force_until else None,
            },
            "status": self.status,
            "data_categories": sorted(self.data_categories),
            "permitted_purposes": sorted(self.permitted_purposes),
            "sharing_mode": self.sharing_mode,
            "onward_transfer": self.onward_transfer,
            "max_retention_days": self.max_retention_days,
            "conditions": {
                "supervisor_approval": self.supervisor_approval,
                "assurance_reference_required": self.assurance_reference_required,
            },
        }
        if self.clauses:
            data["clauses"] = dict(self.clauses)
        return data


def _json_path(parts: Any) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def load_agreement(data: Any, profiles: ProfileSet | None = None) -> Agreement:
    """Validate ``data`` (the agreement's JSON form) and return the :class:`Agreement`.

    Raises :class:`AgreementError` naming the JSON path of the first error, e.g.
    ``$.parties[1]: 'XX' is not a known jurisdiction``. Parties are checked against ``profiles``
    (jurisdictions and partnerships); without profiles, against ISO 3166-1 and the multilateral
    bodies of :mod:`accord.engine.jurisdiction`.
    """
    errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: [str(p) for p in e.instance_path])
    if errors:
        first = errors[0]
        raise AgreementError(_json_path(first.instance_path), first.message)
    assert isinstance(data, dict)
    seen: set[str] = set()
    for i, party in enumerate(data["parties"]):
        if party in seen:
            raise AgreementError(f"$.parties[{i}]", f"{party!r} is listed twice")
        seen.add(party)
        if profiles is not None:
            if not profiles.knows(party):
                raise AgreementError(
                    f"$.parties[{i}]",
                    f"{party!r} is not a known jurisdiction (no profile) nor partnership",
                )
        else:
            from accord.engine.jurisdiction import JurisdictionError, validate_jurisdiction

            try:
                if validate_jurisdiction(party) != party:
                    raise JurisdictionError(party)
            except JurisdictionError:
                raise AgreementError(
                    f"$.parties[{i}]", f"{party!r} is not a known jurisdiction"
                ) from None
    if profiles is not None:
        members: set[str] = set()
        for party in data["parties"]:
            members |= profiles.members(party)
        if len(members) < 2:
            raise AgreementError("$.parties", "an agreement needs at least two jurisdictions")
    start = date.fromisoformat(data["in_force"]["from"])
    until_text = data["in_force"].get("until")
    until = date.fromisoformat(until_text) if until_text else None
    if until is not None and until < start:
        raise AgreementError(
            "$.in_force.until", f"{until_text} is before $.in_force.from ({start.isoformat()})"
        )
    conditions = data.get("conditions") or {}
    return Agreement(
        id=data["id"],
        version=int(data["version"]),
        title=data["title"],
        type=data["type"],
        parties=tuple(data["parties"]),
        in_force_from=start,
        in_force_until=until,
        status=data["status"],
        data_categories=frozenset(data["data_categories"]),
        permitted_purposes=frozenset(data["permitted_purposes"]),
        sharing_mode=data["sharing_mode"],
        onward_transfer=data["onward_transfer"],
        max_retention_days=int(data["max_retention_days"]),
        supervisor_approval=bool(conditions.get("supervisor_approval", False)),
        assurance_reference_required=bool(conditions.get("assurance_reference_required", False)),
        clauses=dict(data.get("clauses") or {}),
    )
