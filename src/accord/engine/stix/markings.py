"""TLP 2.0 and Accord handling markings as STIX 2.1 marking definitions.

TLP 2.0 ids are the official OASIS ones (extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d,
cti-stix-common-objects). Accord's own handling markings (Europol handling codes H0 to H3,
releasability to listed jurisdictions, permitted purposes) are marking definitions that carry the
Accord handling extension; their ids are derived from their content (UUIDv5), so that every node
computes the same id for the same restriction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "ACCORD_HANDLING_EXTENSION_ID",
    "ACCORD_IDENTITY_ID",
    "HANDLING_CODES",
    "MARKING_EPOCH",
    "PURPOSES",
    "TLP_2_0_EXTENSION_ID",
    "TLP_BY_ID",
    "TLP_IDS",
    "TLP_LEVELS",
    "HandlingMarking",
    "MarkingSummary",
    "Protection",
    "handling_extension_definition",
    "handling_marking_definition",
    "is_shared_definition",
    "lowered_protection",
    "marking_refs",
    "summarise_markings",
    "tlp_marking_definition",
]

TLP_2_0_EXTENSION_ID: Final = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

#: TLP 2.0 colour -> official marking-definition id (OASIS cti-stix-common-objects).
TLP_IDS: Final[dict[str, str]] = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP_BY_ID: Final[dict[str, str]] = {v: k for k, v in TLP_IDS.items()}

#: TLP 1.0 marking definitions (STIX 2.1 spec section 7.2.1.4), mapped onto TLP 2.0 colours.
TLP_1_0_IDS: Final[dict[str, str]] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "clear",  # TLP:WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
}

#: Order of restriction, least restrictive first. An object with several TLP markings takes the
#: most restrictive one.
TLP_LEVELS: Final[tuple[str, ...]] = ("clear", "green", "amber", "amber+strict", "red")

#: The identity that creates Accord's shared definitions (extension and marking definitions).
ACCORD_IDENTITY_ID: Final = "identity--4cb0a24a-ea08-4a84-8897-6f32db4f7fc6"
ACCORD_HANDLING_EXTENSION_ID: Final = "extension-definition--7ffa82bd-2c5f-4a7d-93fa-d2449dec46e3"
MARKING_EPOCH: Final = "2026-01-01T00:00:00.000Z"

#: Europol handling codes (DOMAIN.md section 1).
HANDLING_CODES: Final[dict[str, str]] = {
    "H0": "Use only to prevent and combat crime, under applicable law.",
    "H1": "No use in judicial proceedings without the originator's permission.",
    "H2": "No further dissemination without the originator's permission.",
    "H3": "Other restrictions, stated in free text.",
}

#: Purposes a record may be restricted to (its permitted purposes).
PURPOSES: Final[dict[str, str]] = {
    "counter-terrorism": "Prevention, detection and investigation of terrorist offences",
    "serious-crime": "Prevention and investigation of serious crime",
    "border-security": "Border management and security checks",
    "financial-intelligence": "Financial intelligence and terrorist financing",
    "cyber-defence": "Cyber threat intelligence and incident response",
    "oversight-review": "Independent oversight review",
}

_NAMESPACE: Final = uuid.UUID("ca15983a-f32a-4dac-b172-e912a6424036")


def tlp_marking_definition(colour: str) -> dict[str, Any]:
    """The official TLP 2.0 marking-definition object for ``colour`` (e.g. ``"amber+strict"``)."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP_IDS[colour],
        "created": "2022-10-01T00:00:00.000Z",
        "name": f"TLP:{colour.upper()}",
        "extensions": {
            TLP_2_0_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": colour}
        },
    }


@dataclass(frozen=True, slots=True)
class HandlingMarking:
    """An Accord handling restriction: one handling code, releasability and purposes."""

    handling_code: str = ""
    restriction: str = ""
    releasable_to: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()

    def content(self) -> dict[str, Any]:
        body: dict[str, Any] = {"extension_type": "property-extension"}
        if self.handling_code:
            body["handling_code"] = self.handling_code
        if self.restriction:
            body["restriction"] = self.restriction
        if self.releasable_to:
            body["releasable_to"] = sorted(set(self.releasable_to))
        if self.purposes:
            body["purposes"] = sorted(set(self.purposes))
        return body

    @property
    def id(self) -> str:
        parts = [
            self.handling_code,
            self.restriction,
            ",".join(sorted(set(self.releasable_to))),
            ",".join(sorted(set(self.purposes))),
        ]
        return f"marking-definition--{uuid.uuid5(_NAMESPACE, '|'.join(parts))}"

    @property
    def name(self) -> str:
        bits = []
        if self.handling_code:
            bits.append(self.handling_code)
        if self.releasable_to:
            bits.append("REL TO " + "/".join(sorted(set(self.releasable_to))))
        if self.purposes:
            bits.append("PURPOSE " + "/".join(sorted(set(self.purposes))))
        return "ACCORD " + (" ".join(bits) or "handling")


def handling_marking_definition(marking: HandlingMarking) -> dict[str, Any]:
    """The marking-definition object for an Accord handling restriction."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": marking.id,
        "created": MARKING_EPOCH,
        "created_by_ref": ACCORD_IDENTITY_ID,
        "name": marking.name,
        "extensions": {ACCORD_HANDLING_EXTENSION_ID: marking.content()},
    }


def handling_extension_definition() -> dict[str, Any]:
    """The extension-definition that Accord handling marking definitions carry."""
    return {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": ACCORD_HANDLING_EXTENSION_ID,
        "created_by_ref": ACCORD_IDENTITY_ID,
        "created": MARKING_EPOCH,
        "modified": MARKING_EPOCH,
        "name": "Accord handling marking",
        "description": (
            "Handling restrictions of law-enforcement information: Europol handling codes H0-H3, "
            "releasability to listed jurisdictions (ISO 3166-1 alpha-2 or multilateral body "
            "codes) and permitted purposes."
        ),
        "schema": (
            "JSON Schema (draft 2020-12) served by every Accord node at "
            "/schemas/accord-handling-marking.json"
        ),
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    }


@dataclass(slots=True)
class MarkingSummary:
    """What the markings of one object mean, pulled out for indexed columns and access checks."""

    tlp: str = ""
    handling_code: str = ""
    restriction: str = ""
    releasable_to: list[str] = field(default_factory=list)
    purposes: list[str] = field(default_factory=list)
    unknown_refs: list[str] = field(default_factory=list)


def marking_refs(obj: dict[str, Any]) -> list[str]:
    """Every marking definition ``obj`` refers to: its ``object_marking_refs`` and the
    ``marking_ref`` of each of its ``granular_markings`` (STIX 2.1 section 7.2.3), in order,
    without repeats. Granular entries that only carry a language (``lang``) add nothing.

    The store protects a record as a whole: a marking that applies to any part of the object
    (a name, an extension) applies to the record, so that no reader sees the marked part
    through a less restricted whole."""
    refs: dict[str, None] = {}
    for ref in obj.get("object_marking_refs") or ():
        if isinstance(ref, str):
            refs[ref] = None
    granular = obj.get("granular_markings") or ()
    if isinstance(granular, list):
        for entry in granular:
            if isinstance(entry, dict) and isinstance(entry.get("marking_ref"), str):
                refs[entry["marking_ref"]] = None
    return list(refs)


def summarise_markings(
    obj: dict[str, Any], definitions: dict[str, dict[str, Any]]
) -> MarkingSummary:
    """Read TLP and Accord handling out of the markings of ``obj``, object-level and granular
    (:func:`marking_refs`).

    ``definitions`` maps marking-definition ids to their objects (for Accord handling markings and
    any other marking definitions known to the store or the same bundle). TLP 1.0 and 2.0 ids are
    known without it. Refs that resolve to nothing are listed in ``unknown_refs``. Where several
    TLP markings apply the most restrictive wins; releasability lists intersect; purposes intersect.
    """
    summary = MarkingSummary()
    releasable: set[str] | None = None
    purposes: set[str] | None = None
    for ref in marking_refs(obj):
        colour = TLP_BY_ID.get(ref) or TLP_1_0_IDS.get(ref)
        if colour is None and ref in definitions:
            definition = definitions[ref]
            ext = (definition.get("extensions") or {}).get(TLP_2_0_EXTENSION_ID)
            if isinstance(ext, dict) and ext.get("tlp_2_0") in TLP_LEVELS:
                colour = str(ext["tlp_2_0"])
            handling = (definition.get("extensions") or {}).get(ACCORD_HANDLING_EXTENSION_ID)
            if isinstance(handling, dict):
                code = str(handling.get("handling_code", ""))
                if code and (
                    not summary.handling_code
                    or int(code[1:] or 0) > int(summary.handling_code[1:] or 0)
                ):
                    summary.handling_code = code
                if handling.get("restriction"):
                    summary.restriction = str(handling["restriction"])
                if "releasable_to" in handling:
                    rel = {str(c) for c in handling["releasable_to"]}
                    releasable = rel if releasable is None else releasable & rel
                if "purposes" in handling:
                    pur = {str(p) for p in handling["purposes"]}
                    purposes = pur if purposes is None else purposes & pur
            if colour is None and handling is None and definition.get("definition_type"):
                # STIX 2.0-style statement/tlp definitions: a known, non-TLP marking.
                tlp_old = (definition.get("definition") or {}).get("tlp")
                if isinstance(tlp_old, str) and tlp_old.lower() in (
                    "white",
                    "green",
                    "amber",
                    "red",
                ):
                    colour = "clear" if tlp_old.lower() == "white" else tlp_old.lower()
        elif colour is None:
            summary.unknown_refs.append(str(ref))
        if colour is not None and (
            not summary.tlp or TLP_LEVELS.index(colour) > TLP_LEVELS.index(summary.tlp)
        ):
            summary.tlp = colour
    summary.releasable_to = sorted(releasable) if releasable is not None else []
    summary.purposes = sorted(purposes) if purposes is not None else []
    return summary


@dataclass(frozen=True, slots=True)
class Protection:
    """The protection a node enforces for one record: TLP colour ('' when unmarked), handling
    code ('' or H0-H3), and the purposes and jurisdictions it is restricted to (empty: not
    restricted)."""

    tlp: str = ""
    handling_code: str = ""
    purposes: frozenset[str] = frozenset()
    releasable_to: frozenset[str] = frozenset()

    @classmethod
    def of(cls, summary: MarkingSummary) -> Protection:
        return cls(
            summary.tlp,
            summary.handling_code,
            frozenset(summary.purposes),
            frozenset(summary.releasable_to),
        )


def _tlp_rank(colour: str) -> int:
    return TLP_LEVELS.index(colour) if colour in TLP_LEVELS else 0


def _code_rank(code: str) -> int:
    return int(code[1:]) + 1 if code[1:].isdigit() else 0


def _restriction_widened(what: str, old: frozenset[str], new: frozenset[str]) -> str:
    if not old:
        return ""
    if not new:
        return f"the restriction to {what} {', '.join(sorted(old))} is removed"
    added = new - old
    if added:
        return f"{what} widened: {', '.join(sorted(added))} added"
    return ""


def lowered_protection(old: Protection, new: Protection) -> list[str]:
    """How ``new`` protects less than ``old``, in words (empty: it protects as much or more).

    TLP: a less restrictive colour (TLP_LEVELS order; unmarked counts as CLEAR). Handling code:
    a lower code or none (H0 < H1 < H2 < H3, the order the store already uses to pick the most
    restrictive). Purposes and releasability: a restriction removed, or values added to it.
    """
    lowered: list[str] = []
    if _tlp_rank(new.tlp) < _tlp_rank(old.tlp):
        was = f"TLP:{old.tlp.upper()}"
        now = f"TLP:{new.tlp.upper()}" if new.tlp else "no TLP marking"
        lowered.append(f"{was} becomes {now}")
    if _code_rank(new.handling_code) < _code_rank(old.handling_code):
        now = f"handling code {new.handling_code}" if new.handling_code else "no handling code"
        lowered.append(f"handling code {old.handling_code} becomes {now}")
    for what, before, after in (
        ("purposes", old.purposes, new.purposes),
        ("releasability", old.releasable_to, new.releasable_to),
    ):
        reason = _restriction_widened(what, before, after)
        if reason:
            lowered.append(reason)
    return lowered


def is_shared_definition(obj: Any) -> bool:
    """Whether ``obj`` is exactly one of the marking definitions every node derives itself: an
    official TLP 2.0 definition, or an Accord handling definition whose id is the digest of its
    own content. Such an object is self-certifying: it needs no originator's signature to be
    trusted, and any alteration changes its id."""
    if not isinstance(obj, dict) or obj.get("type") != "marking-definition":
        return False
    colour = TLP_BY_ID.get(str(obj.get("id")))
    if colour is not None:
        return obj == tlp_marking_definition(colour)
    ext = (obj.get("extensions") or {}).get(ACCORD_HANDLING_EXTENSION_ID)
    if not isinstance(ext, dict) or obj.get("created_by_ref") != ACCORD_IDENTITY_ID:
        return False
    try:
        marking = HandlingMarking(
            handling_code=str(ext.get("handling_code", "")),
            restriction=str(ext.get("restriction", "")),
            releasable_to=tuple(str(c) for c in ext.get("releasable_to", ())),
            purposes=tuple(str(p) for p in ext.get("purposes", ())),
        )
    except TypeError:
        return False
    return obj == handling_marking_definition(marking)
