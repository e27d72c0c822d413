"""What every manifest reader produces: ``Traveller`` records, and the errors it raises.

A traveller is one person to screen, read from a batch CSV or JSON lines file, a UN/EDIFACT
PAXLST message (Advance Passenger Information) or a PNRGOV message (Passenger Name Record). The
readers never import Django: they take bytes and return plain frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, Final

import pycountry

from accord.engine.stix.limits import MAX_NAME_LENGTH

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_NAME_LENGTH",
    "MAX_TRAVELLERS",
    "Document",
    "ManifestError",
    "Traveller",
    "TravellerDraft",
    "check_count",
    "check_size",
    "country_code",
    "gender_code",
    "screened_name",
    "two_digit_year_date",
]

#: Files larger than this are refused before parsing (16 MiB: a wide-body PNRGOV push with
#: every PNR is about 1 MiB).
DEFAULT_MAX_BYTES: Final = 16 * 1024 * 1024
#: At most this many travellers per file.
MAX_TRAVELLERS: Final = 100_000


class ManifestError(ValueError):
    """The file is refused as a whole (too large, unreadable, malformed EDIFACT).

    ``where`` names the place of the fault (``segment 14 (NAD) at byte 512``, ``line 3``) or is
    empty when the fault is the file itself (its size)."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message
        self.where = where


@dataclass(frozen=True, slots=True)
class Document:
    """A travel document: number, type (P passport, I identity card, V visa...), issuer."""

    number: str
    kind: str = ""
    issuing_country: str = ""
    expires_on: str = ""


@dataclass(frozen=True, slots=True)
class Traveller:
    """One person to screen.

    ``row`` is the 1-based position in the input (the output keeps this order); ``id`` the
    input's own identifier (CSV ``id``, PNR locator and traveller reference, PAXLST message
    reference and position); ``names`` every form of the name read; ``birth_date``
    ``YYYY-MM-DD`` (or ``YYYY``); ``gender`` ``male``/``female``/``other``/``unknown``/'';
    ``nationalities`` ISO 3166-1 alpha-2 where known; ``problem`` says why a row cannot be
    screened (no name), else ''."""

    row: int
    id: str
    names: tuple[str, ...]
    birth_date: str = ""
    gender: str = ""
    nationalities: tuple[str, ...] = ()
    documents: tuple[Document, ...] = ()
    place_of_birth: str = ""
    role: str = "passenger"
    travel: str = ""
    problem: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def nationality(self) -> str:
        return self.nationalities[0] if self.nationalities else ""

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (as stored on a hit and printed by the CLI)."""
        out: dict[str, Any] = {
            "row": self.row,
            "id": self.id,
            "names": list(self.names),
            "birth_date": self.birth_date,
            "gender": self.gender,
            "nationalities": list(self.nationalities),
            "documents": [
                {
                    "number": d.number,
                    "kind": d.kind,
                    "issuing_country": d.issuing_country,
                    "expires_on": d.expires_on,
                }
                for d in self.documents
            ],
            "place_of_birth": self.place_of_birth,
        }
        if self.role != "passenger":
            out["role"] = self.role
        if self.travel:
            out["travel"] = self.travel
        return out


@dataclass(kw_only=True)
class TravellerDraft:
    """A traveller being read from a message segment by segment (PAXLST, PNRGOV): the values
    gathered so far, made into a :class:`Traveller` by :meth:`traveller` once the person is
    read. ``names`` are the name forms as written; the traveller gets them screened and without
    repeats."""

    names: list[str] = field(default_factory=list)
    birth_date: str = ""
    gender: str = ""
    nationalities: list[str] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    place_of_birth: str = ""
    role: str = "passenger"

    def traveller(
        self,
        row: int,
        id: str,
        *,
        travel: str,
        name_segment: str,
        extra: dict[str, Any] | None = None,
    ) -> Traveller:
        """The :class:`Traveller`; without a name its ``problem`` says that ``name_segment``
        (the segment that names a person in this format) gave none."""
        names = tuple(dict.fromkeys(n for n in map(screened_name, self.names) if n))
        return Traveller(
            row=row,
            id=id,
            names=names,
            birth_date=self.birth_date,
            gender=self.gender,
            nationalities=tuple(dict.fromkeys(self.nationalities)),
            documents=tuple(self.documents),
            place_of_birth=self.place_of_birth,
            role=self.role,
            travel=travel,
            problem="" if names else f"no name in the {name_segment} segment",
            extra=extra or {},
        )


def check_count(count: int, where: str) -> None:
    """Refuse a message once it names more than :data:`MAX_TRAVELLERS` travellers; ``where``
    is the segment that names the one too many."""
    if count > MAX_TRAVELLERS:
        raise ManifestError(f"more than {MAX_TRAVELLERS:,} travellers", where)


def screened_name(text: str) -> str:
    """``text`` with its white space collapsed, cut to :data:`MAX_NAME_LENGTH` characters: the
    longest name the record store accepts is also the longest one screened."""
    return " ".join(text.split())[:MAX_NAME_LENGTH]


def check_size(data: bytes, max_bytes: int) -> None:
    """Refuse an enormous file before reading it."""
    if len(data) > max_bytes:
        raise ManifestError(
            f"the file has {len(data):,} bytes; this node screens files of at most "
            f"{max_bytes:,} bytes (split it)"
        )


#: ICAO Doc 9303 codes that are not ISO 3166-1 alpha-3.
_ICAO: Final = {
    "D": "DE",
    "GBD": "GB",
    "GBN": "GB",
    "GBO": "GB",
    "GBP": "GB",
    "GBS": "GB",
    "UNO": "UN",
    "UNA": "UN",
    "UNK": "XK",
    "RKS": "XK",
    "EUE": "EU",
}


@lru_cache(maxsize=1024)
def country_code(value: str) -> str:
    """ISO 3166-1 alpha-2 for an alpha-2, alpha-3 or ICAO code (upper-cased input kept when
    unknown, '' when empty)."""
    code = "".join(ch for ch in value.strip().upper() if ch.isalnum())[:3]
    if not code:
        return ""
    if code in _ICAO:
        return _ICAO[code]
    if len(code) == 2:
        return code
    if len(code) == 3:
        found = pycountry.countries.get(alpha_3=code)
        if found is not None:
            return str(found.alpha_2)
    return code


_GENDERS: Final = {
    "M": "male",
    "MALE": "male",
    "F": "female",
    "FEMALE": "female",
    "X": "other",
    "U": "unknown",
    "MI": "male",
    "FI": "female",
}


def gender_code(value: str) -> str:
    """``male``/``female``/``other``/``unknown`` from M, F, X, U (and MI/FI: infants), else ''."""
    return _GENDERS.get(value.strip().upper(), "")


def two_digit_year_date(yy: int, month: int, day: int, *, past: bool = True) -> str:
    """``YYYY-MM-DD`` for a YYMMDD date; a birth date (``past``) is never in the future."""
    this_year = date.today().year
    year = 2000 + yy
    if past and year > this_year:
        year -= 100
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return ""
