"""What every importer returns, and the small building blocks they share.

An importer turns one file into STIX 2.1 objects (plain dicts) plus a list of per-record problems.
A file that cannot be read at all raises :class:`ImportFormatError` instead; its message says what
is wrong, where (line and column where known) and what to do about it.

The shared helpers give every importer the same conventions: deterministic ids (UUIDv5 of the
importing node's identity and the source's stable key, so a re-import of the same file yields the
same ids, while two nodes importing the same public list do not claim each other's objects),
RFC 3339 timestamps with milliseconds, country names and codes as ISO 3166-1 alpha-2, and the
ISO 15924 script of a name.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, Final

import pycountry

__all__ = [
    "IMPORT_NAMESPACE",
    "ImportFormatError",
    "ParseProblem",
    "ParseResult",
    "Progress",
    "country_code",
    "date_only",
    "detect_script",
    "now_timestamp",
    "stix_id",
    "stix_timestamp",
    "trim",
    "unique",
]

#: Namespace of the UUIDv5 ids that importers derive; never change it (ids would all change).
IMPORT_NAMESPACE: Final = uuid.UUID("5b0e8f7c-3a51-4c4e-9d2a-6f1c0b7e9a42")

#: ``progress(done, total)``: called as records are converted.
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class ParseProblem:
    """A record that was skipped or imported incompletely: where it is, and what was wrong."""

    where: str
    message: str


@dataclass(slots=True)
class ParseResult:
    """The STIX objects built from one file, the problems met, and counts by kind."""

    format: str
    objects: list[dict[str, Any]] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


class ImportFormatError(ValueError):
    """The whole file is unreadable: malformed, of the wrong format, too large or a bomb."""


def stix_id(object_type: str, created_by_ref: str, source_key: str) -> str:
    """A deterministic STIX id: UUIDv5 of the creating identity and the source's stable key."""
    return f"{object_type}--{uuid.uuid5(IMPORT_NAMESPACE, f'{created_by_ref}|{source_key}')}"


def stix_timestamp(value: datetime | date) -> str:
    """RFC 3339 UTC with milliseconds and ``Z``, as STIX 2.1 requires for ``created``."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def now_timestamp() -> str:
    """The current time as a STIX timestamp."""
    return stix_timestamp(datetime.now(UTC))


_DATE_RE: Final = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")


def date_only(text: str | None) -> date | None:
    """The calendar date at the start of ``text`` (``1965-01-01-05:00`` too), or None."""
    if not text:
        return None
    match = _DATE_RE.match(text)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def trim(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with an ellipsis when it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _fold(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()


#: Names used in UN and national lists that pycountry does not know under that spelling.
_COUNTRY_ALIASES: Final[dict[str, str]] = {
    "democratic people s republic of korea": "KP",
    "north korea": "KP",
    "republic of korea": "KR",
    "south korea": "KR",
    "russia": "RU",
    "iran": "IR",
    "syria": "SY",
    "united kingdom": "GB",
    "great britain": "GB",
    "united states": "US",
    "usa": "US",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "united republic of tanzania": "TZ",
    "vietnam": "VN",
    "viet nam": "VN",
    "laos": "LA",
    "moldova": "MD",
    "republic of moldova": "MD",
    "turkey": "TR",
    "turkiye": "TR",
    "ivory coast": "CI",
    "cote d ivoire": "CI",
    "congo": "CG",
    "republic of the congo": "CG",
    "democratic republic of the congo": "CD",
    "the former yugoslav republic of macedonia": "MK",
    "macedonia": "MK",
    "kosovo": "XK",
    "palestine": "PS",
    "state of palestine": "PS",
    "occupied palestinian territory": "PS",
    "gaza strip": "PS",
    "west bank": "PS",
    "swaziland": "SZ",
    "czech republic": "CZ",
    "cape verde": "CV",
    "brunei": "BN",
    "micronesia": "FM",
    # Adjectives that lists use in place of the country's name.
    "afghan": "AF",
    "algerian": "DZ",
    "bahraini": "BH",
    "egyptian": "EG",
    "ethiopian": "ET",
    "french": "FR",
    "german": "DE",
    "indonesian": "ID",
    "iranian": "IR",
    "iraqi": "IQ",
    "jordanian": "JO",
    "kuwaiti": "KW",
    "lebanese": "LB",
    "libyan": "LY",
    "moroccan": "MA",
    "pakistani": "PK",
    "palestinian": "PS",
    "palestinian territories": "PS",
    "russian": "RU",
    "saudi": "SA",
    "saudi arabian": "SA",
    "somali": "SO",
    "sudanese": "SD",
    "syrian": "SY",
    "tunisian": "TN",
    "turkish": "TR",
    "yemeni": "YE",
    "rpdc": "KP",
    "dprk": "KP",
}


@lru_cache(maxsize=4096)
def _country_lookup(folded: str) -> str | None:
    if folded in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[folded]
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value and _fold(value) == folded:
                return str(country.alpha_2)
        # "Iran (Islamic Republic of)", "Korea, Democratic People's Republic of"
        name = str(country.name)
        if "," in name:
            head, _, tail = name.partition(",")
            if _fold(f"{tail} {head}") == folded:
                return str(country.alpha_2)
        if "(" in name and _fold(name.split("(")[0]) == folded:
            return str(country.alpha_2)
    return None


def country_code(text: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code for a country name or code (``"Iraq"``, ``"iq"``), or None."""
    if not text or not text.strip():
        return None
    raw = text.strip()
    if len(raw) == 2 and raw.isalpha():
        found = pycountry.countries.get(alpha_2=raw.upper())
        return str(found.alpha_2) if found else None
    if len(raw) == 3 and raw.isalpha() and raw.isupper():
        found = pycountry.countries.get(alpha_3=raw)
        if found:
            return str(found.alpha_2)
    folded = _fold(raw)
    code = _country_lookup(folded)
    if code is None and folded.endswith(" passport"):
        code = _country_lookup(folded.removesuffix(" passport"))
    return code


#: Unicode character-name prefixes -> ISO 15924 script codes.
_SCRIPTS: Final[dict[str, str]] = {
    "LATIN": "Latn",
    "ARABIC": "Arab",
    "CYRILLIC": "Cyrl",
    "GREEK": "Grek",
    "HEBREW": "Hebr",
    "CJK": "Hani",
    "HANGUL": "Hang",
    "HIRAGANA": "Hira",
    "KATAKANA": "Kana",
    "DEVANAGARI": "Deva",
    "BENGALI": "Beng",
    "GURMUKHI": "Guru",
    "TAMIL": "Taml",
    "THAI": "Thai",
    "GEORGIAN": "Geor",
    "ARMENIAN": "Armn",
    "ETHIOPIC": "Ethi",
    "SYRIAC": "Syrc",
    "THAANA": "Thaa",
    "KHMER": "Khmr",
    "MYANMAR": "Mymr",
    "TIBETAN": "Tibt",
    "MONGOLIAN": "Mong",
}


def detect_script(text: str) -> str | None:
    """The ISO 15924 code of the script most letters of ``text`` are written in, or None."""
    counts: dict[str, int] = {}
    for char in text:
        if not char.isalpha():
            continue
        prefix = unicodedata.name(char, "").split(" ", 1)[0]
        script = _SCRIPTS.get(prefix)
        if script:
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return None
    return max(counts.items(), key=lambda item: item[1])[0]


def unique(values: Iterable[str]) -> list[str]:
    """``values`` without repeats, in first-seen order."""
    return list(dict.fromkeys(values))
