"""Turning STIX objects into what a reader needs on screen. Plain Python, no Django.

The person-of-interest extension (``accord.engine.stix.person``) becomes readable rows (birth
dates in words with their precision, country names, watchlist action with its meaning); two
versions of an object become a list of changed properties.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from accord.engine.jurisdiction import jurisdiction_name
from accord.engine.stix.markings import HANDLING_CODES, PURPOSES
from accord.engine.stix.person import WATCHLIST_ACTIONS, person_extension

__all__ = [
    "TLP_LABELS",
    "MarkingBanner",
    "PersonView",
    "VersionView",
    "birth_date_in_words",
    "changed_properties",
    "country_name",
    "marking_banner",
    "person_view",
    "pretty_json",
    "version_views",
]

#: TLP 2.0 colour -> label (FIRST TLP 2.0).
TLP_LABELS: dict[str, str] = {
    "clear": "TLP:CLEAR",
    "green": "TLP:GREEN",
    "amber": "TLP:AMBER",
    "amber+strict": "TLP:AMBER+STRICT",
    "red": "TLP:RED",
}
TLP_MEANINGS: dict[str, str] = {
    "clear": "Disclosure is not limited.",
    "green": "Limited disclosure: the recipient's community.",
    "amber": "Limited disclosure: the recipient's organisation and its clients, need to know.",
    "amber+strict": "Limited disclosure: the recipient's organisation only.",
    "red": "For the eyes and ears of individual named recipients only.",
}


def country_name(code: str) -> str:
    """'DE' -> 'Germany'; multilateral bodies by their name; unknown codes unchanged."""
    try:
        return jurisdiction_name(str(code))
    except Exception:  # pragma: no cover - pycountry lookup errors on odd input
        return str(code)


def _date_words(value: str, precision: str = "exact") -> str:
    try:
        d = date.fromisoformat(value)
    except ValueError:
        return value
    if precision == "month":
        return d.strftime("%B %Y")
    if precision in ("year", "approximate"):
        return str(d.year)
    return f"{d.day} {d.strftime('%B %Y')}"


def birth_date_in_words(entry: dict[str, Any]) -> str:
    """A birth date with its precision in words: '14 March 1975', 'March 1975', '1975',
    'about 1975', 'between 1970 and 1975'."""
    precision = str(entry.get("precision", "exact"))
    if precision == "between":
        return f"between {entry.get('from_year', '?')} and {entry.get('to_year', '?')}"
    if precision in ("year", "approximate"):
        year = entry.get("year") or (
            _date_words(str(entry["date"]), "year") if entry.get("date") else "?"
        )
        return f"about {year}" if precision == "approximate" else f"in {year}"
    if entry.get("date"):
        return _date_words(str(entry["date"]), precision)
    return "unknown"


@dataclass
class PersonView:
    """The person-of-interest extension in readable form."""

    subject_type: str = "person"
    names: list[dict[str, str]] = field(default_factory=list)
    birth_dates: list[str] = field(default_factory=list)
    birth_places: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    gender: str = ""
    documents: list[dict[str, str]] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    reference_numbers: list[str] = field(default_factory=list)
    watchlist: dict[str, str] | None = None
    comments: str = ""


def _place(entry: dict[str, Any]) -> str:
    bits = [str(entry[k]) for k in ("city", "region") if entry.get(k)]
    if entry.get("country"):
        bits.append(country_name(str(entry["country"])))
    text = ", ".join(bits)
    if entry.get("text"):
        text = f"{text} ({entry['text']})" if text else str(entry["text"])
    return text


def person_view(obj: dict[str, Any]) -> PersonView | None:
    """The readable person view of ``obj``, or None when it carries no person extension."""
    ext = person_extension(obj)
    if ext is None:
        return None
    view = PersonView(subject_type=str(ext.get("subject_type", "person")))
    for n in ext.get("names", ()):
        view.names.append(
            {
                "full_name": str(n.get("full_name", "")),
                "name_type": str(n.get("name_type", "")).replace("_", " "),
                "script": str(n.get("script", "")),
                "lang": str(n.get("lang", "")),
            }
        )
    for bd in ext.get("birth_dates", ()):
        words = birth_date_in_words(bd)
        view.birth_dates.append(f"{words} ({bd['note']})" if bd.get("note") else words)
    view.birth_places = [_place(p) for p in ext.get("birth_places", ())]
    view.nationalities = [f"{country_name(c)} ({c})" for c in ext.get("nationalities", ())]
    view.gender = str(ext.get("gender", ""))
    for d in ext.get("documents", ()):
        view.documents.append(
            {
                "document_type": str(d.get("document_type", "")).replace("_", " "),
                "number": str(d.get("number", "")),
                "issuing_country": country_name(str(d["issuing_country"]))
                if d.get("issuing_country")
                else "",
                "issued_on": _date_words(str(d["issued_on"])) if d.get("issued_on") else "",
                "expires_on": _date_words(str(d["expires_on"])) if d.get("expires_on") else "",
                "note": str(d.get("note", "")),
            }
        )
    view.phones = [str(p) for p in ext.get("phones", ())]
    view.emails = [str(e) for e in ext.get("emails", ())]
    view.addresses = [str(a) for a in ext.get("addresses", ())]
    view.reference_numbers = [str(r) for r in ext.get("reference_numbers", ())]
    wl = ext.get("watchlist")
    if isinstance(wl, dict):
        action = str(wl.get("action", ""))
        view.watchlist = {
            "action": action,
            "meaning": WATCHLIST_ACTIONS.get(action, ""),
            "reason": str(wl.get("reason", "")),
            "listed_on": _date_words(str(wl["listed_on"])) if wl.get("listed_on") else "",
            "review_by": _date_words(str(wl["review_by"])) if wl.get("review_by") else "",
            "list_name": str(wl.get("list_name", "")),
            "reference": str(wl.get("reference", "")),
        }
    view.comments = str(ext.get("comments", ""))
    return view


@dataclass
class MarkingBanner:
    """What the markings banner at the top of a record page says."""

    tlp: str
    label: str
    meaning: str
    handling_code: str
    handling_meaning: str
    releasable_to: list[str]
    purposes: list[tuple[str, str]]

    @property
    def css_class(self) -> str:
        return "tlp-" + (self.tlp.replace("+", "-") or "none")


def marking_banner(
    tlp: str, handling_code: str, releasable_to: list[str], purposes: list[str]
) -> MarkingBanner:
    return MarkingBanner(
        tlp=tlp,
        label=TLP_LABELS.get(tlp, "NO TLP MARKING"),
        meaning=TLP_MEANINGS.get(tlp, "Handle as the originator's agreement requires."),
        handling_code=handling_code,
        handling_meaning=HANDLING_CODES.get(handling_code, ""),
        releasable_to=[f"{country_name(c)} ({c})" for c in releasable_to],
        purposes=[(p, PURPOSES.get(p, p)) for p in purposes],
    )


def pretty_json(value: Any) -> str:
    """Indented JSON text (non-ASCII kept); escaping is left to the template."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def changed_properties(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, str]]:
    """Top-level properties added, removed or changed from ``before`` to ``after``."""
    changes = []
    for key in sorted(set(before) | set(after)):
        if key not in before:
            changes.append({"property": key, "change": "added"})
        elif key not in after:
            changes.append({"property": key, "change": "removed"})
        elif before[key] != after[key]:
            changes.append({"property": key, "change": "changed"})
    return changes


@dataclass
class VersionView:
    modified: str
    added_at: Any
    source: str
    json_text: str
    changes: list[dict[str, str]]


def version_views(versions: list[Any]) -> list[VersionView]:
    """Each version (oldest first) with its JSON pretty-printed and what changed from the one
    before it."""
    views: list[VersionView] = []
    previous: dict[str, Any] | None = None
    for v in versions:
        try:
            data = json.loads(v.data)
        except ValueError:
            data = {}
        views.append(
            VersionView(
                modified=str(v.modified),
                added_at=getattr(v, "added_at", None),
                source=str(getattr(v, "source", "")),
                json_text=pretty_json(data),
                changes=changed_properties(previous, data) if previous is not None else [],
            )
        )
        previous = data
    return views
