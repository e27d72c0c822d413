"""UN/EDIFACT PAXLST (passenger and crew list, D:02B/D:05B, WCO/IATA/ICAO API guidelines).

Read per message (UNH ... UNT):

- ``BGM`` (beginning of message): 745 passenger list, 250 crew list (sets the default role);
- segment group 2, ``TDT+20`` (transport information: flight number, carrier) with its ``LOC``
  (125 departure, 87 arrival, 92 routing) and ``DTM`` (189 departure, 232 arrival): the flight;
- segment group 4, ``NAD`` (name and address) with party qualifier FL (passenger), FM (crew
  member), DDT/DDU (in-transit crew/passenger), COT/CPT... : element C080 is family name :
  given name : further given names. In the group:
  ``ATT+2`` (gender, C956 code M/F/U/X), ``DTM+329`` (birth date, YYMMDD or CCYYMMDD with
  format 102), ``LOC+180`` (place of birth, code or name in C517), ``NAT+2`` (nationality),
  ``RFF+AVF``/``RFF+ABO`` (reservation and passenger references);
- segment group 5, ``DOC`` (document: C002 type P passport, I/C identity card, V visa; C503
  number) with ``DTM+36`` (expiry) and ``LOC+91`` (issuing country).

Segments the reader does not use (COM, FTX, EMP, GEI, QTY, CNT...) are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from accord.engine.manifests.edifact import component, element, read_segments
from accord.engine.manifests.traveller import (
    DEFAULT_MAX_BYTES,
    MAX_TRAVELLERS,
    Document,
    ManifestError,
    Traveller,
    country_code,
    gender_code,
    screened_name,
    two_digit_year_date,
)

__all__ = ["PARTY_ROLES", "read_paxlst"]

#: NAD party qualifiers that name a traveller (WCO/IATA/ICAO PAXLST guidelines, 3035).
PARTY_ROLES: Final = {
    "FL": "passenger",
    "DDU": "passenger in transit",
    "COT": "passenger",
    "FM": "crew",
    "DDT": "crew in transit",
    "CPT": "crew",
    "ZZZ": "passenger",
}


@dataclass
class _Person:
    number: int
    role: str
    family: str
    given: list[str]
    birth_date: str = ""
    gender: str = ""
    nationalities: list[str] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    place_of_birth: str = ""
    references: list[str] = field(default_factory=list)


def _date(value: str, fmt: str, *, past: bool) -> str:
    """A DTM value: YYMMDD (default, format 2/101) or CCYYMMDD (format 102); '' when unreadable."""
    digits = value.strip()
    if not digits.isdigit():
        return ""
    if len(digits) >= 8 and (fmt == "102" or len(digits) == 8):
        y, m, d = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
        try:
            from datetime import date

            return date(y, m, d).isoformat()
        except ValueError:
            return ""
    if len(digits) >= 6:
        return two_digit_year_date(int(digits[:2]), int(digits[2:4]), int(digits[4:6]), past=past)
    return ""


def _flight(legs: list[dict[str, str]]) -> str:
    parts = []
    for leg in legs:
        route = "-".join(x for x in (leg.get("from", ""), leg.get("to", "")) if x)
        text = " ".join(x for x in (leg.get("flight", ""), route, leg.get("date", "")) if x)
        if text:
            parts.append(text)
    return "; ".join(parts)


def _name_forms(family: str, given: list[str]) -> tuple[str, ...]:
    given_text = " ".join(g for g in given if g)
    if not family and not given_text:
        return ()
    name = screened_name(" ".join(x for x in (given_text, family) if x))
    return (name,) if name else ()


def read_paxlst(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[Traveller]:
    """The travellers (passengers and crew) of a PAXLST interchange, in file order.

    Raises :class:`ManifestError` naming the segment and byte of a fault; nothing is returned
    for a refused file."""
    segments = read_segments(data, max_bytes=max_bytes, expect=("PAXLST",))
    travellers: list[Traveller] = []
    message_ref = ""
    default_role = "passenger"
    legs: list[dict[str, str]] = []
    person: _Person | None = None
    in_doc = False
    leg: dict[str, str] | None = None
    count = 0

    def flush() -> None:
        nonlocal person
        if person is None:
            return
        names = _name_forms(person.family, person.given)
        ident = f"{message_ref}/{person.number}" if message_ref else str(person.number)
        travellers.append(
            Traveller(
                row=len(travellers) + 1,
                id=ident,
                names=names,
                birth_date=person.birth_date,
                gender=person.gender,
                nationalities=tuple(dict.fromkeys(person.nationalities)),
                documents=tuple(person.documents),
                place_of_birth=person.place_of_birth,
                role=person.role,
                travel=_flight(legs),
                problem="" if names else "no name in the NAD segment",
                extra={"references": person.references} if person.references else {},
            )
        )
        person = None

    for seg in segments:
        tag = seg.tag
        if tag == "UNH":
            flush()
            message_ref = element(seg, 0)[:35]
            legs, leg, count, in_doc = [], None, 0, False
        elif tag == "BGM":
            default_role = "crew" if element(seg, 0) == "250" else "passenger"
        elif tag == "TDT":
            flush()
            leg = {"flight": element(seg, 1)[:17]}
            legs.append(leg)
        elif tag == "NAD":
            flush()
            qualifier = element(seg, 0)
            if qualifier == "MS":  # the reporting party (who sends the list)
                continue
            count += 1
            if count + len(travellers) > MAX_TRAVELLERS:
                raise ManifestError(f"more than {MAX_TRAVELLERS:,} travellers", seg.where)
            leg = None
            in_doc = False
            family = component(seg, 3, 0).strip()
            value = seg.elements[3] if len(seg.elements) > 3 else ""
            given = [str(g).strip() for g in value[1:]] if isinstance(value, list) else []
            role = PARTY_ROLES.get(qualifier, default_role)
            person = _Person(count, role, family, given)
        elif person is None:
            if leg is not None and tag == "LOC":
                qualifier, place = element(seg, 0), component(seg, 1, 0)
                if qualifier in ("125", "92") and "from" not in leg:
                    leg["from"] = place
                elif qualifier in ("87", "92"):
                    leg["to"] = place
            elif leg is not None and tag == "DTM" and component(seg, 0, 0) == "189":
                leg["date"] = _date(component(seg, 0, 1)[:6], "", past=False)
            continue
        elif tag == "ATT" and element(seg, 0) == "2":
            person.gender = gender_code(component(seg, 2, 0))
        elif tag == "DTM":
            qualifier = component(seg, 0, 0)
            if qualifier == "329":
                person.birth_date = _date(component(seg, 0, 1), component(seg, 0, 2), past=True)
            elif qualifier == "36" and in_doc and person.documents:
                last = person.documents[-1]
                expiry = _date(component(seg, 0, 1), component(seg, 0, 2), past=False)
                person.documents[-1] = Document(
                    last.number, last.kind, last.issuing_country, expiry
                )
        elif tag == "LOC":
            qualifier = element(seg, 0)
            if qualifier == "180":
                value = seg.elements[1] if len(seg.elements) > 1 else ""
                parts = [value] if isinstance(value, str) else [p for p in value if p]
                person.place_of_birth = ", ".join(p.strip() for p in parts if p.strip())[:200]
            elif qualifier == "91" and in_doc and person.documents:
                last = person.documents[-1]
                person.documents[-1] = Document(
                    last.number, last.kind, country_code(component(seg, 1, 0)), last.expires_on
                )
        elif tag == "NAT" and element(seg, 0) in ("2", ""):
            code = country_code(component(seg, 1, 0))
            if code:
                person.nationalities.append(code)
        elif tag == "RFF":
            ref = component(seg, 0, 1).strip()
            if ref:
                person.references.append(f"{component(seg, 0, 0)}:{ref}"[:60])
        elif tag == "DOC":
            number = element(seg, 1).strip()[:100]
            in_doc = True
            if number:
                person.documents.append(Document(number, component(seg, 0, 0)[:3]))
        elif tag in ("CNT", "UNT"):
            flush()
    flush()
    return travellers
