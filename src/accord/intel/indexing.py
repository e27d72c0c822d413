"""What the store pulls out of a STIX object for its indexed columns and rows.

Pure functions over plain dicts (no database access): the display name, whether the object holds
personal data, the birth-year range of a person, the normalised name tokens (every script, case-
and accent-folded) and the normalised identifiers (documents, phones, e-mails, reference numbers,
external ids, observable values). ``services.ingest_objects`` calls :func:`index_object` once per
object; search normalises its input with the same functions, so that what is indexed and what
is asked always agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final

from accord.engine.names import name_tokens as _engine_name_tokens
from accord.engine.names import query_tokens as _engine_query_tokens
from accord.engine.stix.person import PERSON_EXTENSION_ID

__all__ = [
    "MAX_TOKEN_LENGTH",
    "IndexedObject",
    "identifier_candidates",
    "index_object",
    "name_tokens",
    "normalise_document",
    "parse_timestamp",
    "query_tokens",
]

#: Longest stored token (``NameToken.token`` is 64 characters).
MAX_TOKEN_LENGTH: Final = 64
#: Longest stored identifier (``Identifier.value`` is 200 characters).
MAX_IDENTIFIER_LENGTH: Final = 200

#: Object types whose ``name`` and ``aliases`` are names of an actor or a thing to search by.
_NAMED_TYPES_WITH_ALIASES: Final = frozenset(
    {"threat-actor", "intrusion-set", "campaign", "malware", "tool", "infrastructure"}
)
#: Observables whose ``value`` is an identifier, with how it is normalised.
_OBSERVABLE_VALUE_TYPES: Final = frozenset(
    {"email-addr", "ipv4-addr", "ipv6-addr", "domain-name", "url", "mac-addr", "phone-number"}
)


@lru_cache(maxsize=200_000)
def _word_tokens(word: str) -> tuple[str, ...]:
    return tuple(t[:MAX_TOKEN_LENGTH] for t in _engine_name_tokens(word) if t)


def name_tokens(text: str) -> list[str]:
    """Normalised tokens of a name, at most 64 characters each, without repeats.

    Names are normalised word by word (whitespace-separated) with a cache: a store holds the
    same given and family names many times over, and ICU transliteration is the costly step.
    """
    out: list[str] = []
    for word in text.split():
        for token in _word_tokens(word):
            if token not in out:
                out.append(token)
    return out


def query_tokens(text: str) -> list[str]:
    """Normalised tokens of a search text (the same folding as :func:`name_tokens`)."""
    out: list[str] = []
    for token in _engine_query_tokens(text):
        token = token[:MAX_TOKEN_LENGTH]
        if token and token not in out:
            out.append(token)
    return out


def normalise_document(value: str) -> str:
    """A document or reference number as stored: upper case, letters and digits only."""
    return "".join(c for c in str(value).upper() if c.isalnum())[:MAX_IDENTIFIER_LENGTH]


def _normalise_phone(value: str) -> str:
    digits = "".join(c for c in str(value) if c.isdigit())
    return ("+" + digits) if digits else ""


def _normalise_email(value: str) -> str:
    return str(value).strip().lower()[:MAX_IDENTIFIER_LENGTH]


def identifier_candidates(value: str) -> list[str]:
    """Every stored form ``value`` may have (document, phone, e-mail or observable value)."""
    raw = str(value).strip()
    if not raw:
        return []
    forms = [normalise_document(raw), _normalise_email(raw)]
    if raw.startswith("+") or raw.replace(" ", "").replace("-", "").isdigit():
        forms.append(_normalise_phone(raw))
    return [f for f in dict.fromkeys(forms) if f]


def parse_timestamp(value: Any) -> datetime | None:
    """A STIX timestamp as an aware UTC datetime, or None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


@dataclass(slots=True)
class IndexedObject:
    """The indexed facts of one STIX object."""

    display_name: str = ""
    personal_data: bool = False
    birth_year_min: int | None = None
    birth_year_max: int | None = None
    tokens: list[str] = field(default_factory=list)
    #: (kind, normalised value) pairs.
    identifiers: list[tuple[str, str]] = field(default_factory=list)


def _birth_years(births: Iterable[Any]) -> tuple[int | None, int | None]:
    years: list[int] = []
    for entry in births:
        if not isinstance(entry, dict):
            continue
        date = entry.get("date")
        if isinstance(date, str) and len(date) >= 4 and date[:4].isdigit():
            years.append(int(date[:4]))
        for key in ("year", "from_year", "to_year"):
            if isinstance(entry.get(key), int):
                years.append(int(entry[key]))
    if not years:
        return None, None
    return min(years), max(years)


def _add_tokens(into: list[str], seen: set[str], text: Any) -> None:
    if not isinstance(text, str) or not text:
        return
    for token in name_tokens(text):
        if token not in seen:
            seen.add(token)
            into.append(token)


def _index_person(
    out: IndexedObject,
    seen: set[str],
    idents: list[tuple[str, str]],
    person: dict[str, Any],
    obj: dict[str, Any],
) -> None:
    """The facts of the person extension: personal data or not, the names' tokens (the first
    full name as the display name when there is none yet), birth years, and identifiers
    (documents, phones, e-mail addresses, reference numbers, the watch-list reference)."""
    # Data about an organisation is not personal data; about a person (or of unknown
    # subject type, treated as a person: deny by default) it is.
    organisation = person.get("subject_type") == "organization" or (
        obj.get("type", "") == "identity" and obj.get("identity_class") == "organization"
    )
    out.personal_data = out.personal_data or not organisation
    for entry in person.get("names") or ():
        if isinstance(entry, dict):
            _add_tokens(out.tokens, seen, entry.get("full_name"))
            if not out.display_name and isinstance(entry.get("full_name"), str):
                out.display_name = entry["full_name"][:300]
    out.birth_year_min, out.birth_year_max = _birth_years(person.get("birth_dates") or ())
    for doc in person.get("documents") or ():
        if isinstance(doc, dict) and doc.get("number"):
            idents.append(("document", normalise_document(doc["number"])))
    for phone in person.get("phones") or ():
        idents.append(("phone", _normalise_phone(phone)))
    for email in person.get("emails") or ():
        idents.append(("email", _normalise_email(email)))
    for ref in person.get("reference_numbers") or ():
        idents.append(("reference", normalise_document(ref)))
    watch = person.get("watchlist")
    if isinstance(watch, dict) and watch.get("reference"):
        idents.append(("reference", normalise_document(watch["reference"])))


def _observable_identifier(stix_type: str, value: str) -> tuple[str, str]:
    """The identifier of an observable's value: a phone number or an e-mail address in its
    normal form, any other value under its type, lower-cased."""
    if stix_type == "phone-number":
        return "phone", _normalise_phone(value)
    if stix_type == "email-addr":
        return "email", _normalise_email(value)
    return stix_type, value.strip().lower()[:MAX_IDENTIFIER_LENGTH]


def _link_refs(obj: dict[str, Any]) -> list[Any]:
    """The objects a relationship or a sighting refers to (none for other objects), so that a
    record's links are found by index."""
    stix_type = obj.get("type", "")
    if stix_type == "relationship":
        return [obj.get("source_ref"), obj.get("target_ref")]
    if stix_type == "sighting":
        refs = [obj.get("sighting_of_ref"), *(obj.get("where_sighted_refs") or ())]
        return refs + list(obj.get("observed_data_refs") or ())
    return []


def index_object(obj: dict[str, Any]) -> IndexedObject:
    """Pull the display name, personal-data flag, birth years, tokens and identifiers out."""
    out = IndexedObject()
    stix_type = obj.get("type", "")
    seen: set[str] = set()
    name = obj.get("name")
    ext = (obj.get("extensions") or {}).get(PERSON_EXTENSION_ID)
    person = ext if isinstance(ext, dict) else None
    if isinstance(name, str):
        out.display_name = name[:300]
        _add_tokens(out.tokens, seen, name)
    elif stix_type in _OBSERVABLE_VALUE_TYPES and isinstance(obj.get("value"), str):
        out.display_name = obj["value"][:300]
    if stix_type in _NAMED_TYPES_WITH_ALIASES or stix_type == "identity":
        for alias in obj.get("aliases") or ():
            _add_tokens(out.tokens, seen, alias)
    if stix_type == "identity" and obj.get("identity_class") == "individual":
        out.personal_data = True
    idents: list[tuple[str, str]] = []
    if person is not None:
        _index_person(out, seen, idents, person, obj)
    for ref in obj.get("external_references") or ():
        if isinstance(ref, dict) and isinstance(ref.get("external_id"), str):
            idents.append(("external_id", normalise_document(ref["external_id"])))
    if stix_type in _OBSERVABLE_VALUE_TYPES and isinstance(obj.get("value"), str):
        idents.append(_observable_identifier(stix_type, obj["value"]))
    refs = _link_refs(obj)
    idents.extend(("ref", r) for r in refs if isinstance(r, str) and len(r) <= 200)
    if not out.display_name:
        out.display_name = str(obj.get("id", ""))[:300]
    out.identifiers = [(k, v) for k, v in dict.fromkeys(idents) if v]
    return out
