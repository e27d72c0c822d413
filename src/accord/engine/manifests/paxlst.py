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

from accord.engine.manifests import traveller
from accord.engine.manifests.edifact import EdiSegment, component, element, read_segments
from accord.engine.manifests.traveller import Document, Traveller, TravellerDraft

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


@dataclass(kw_only=True)
class _Person(TravellerDraft):
    number: int
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
        return traveller.two_digit_year_date(
            int(digits[:2]), int(digits[2:4]), int(digits[4:6]), past=past
        )
    return ""


def _flight(legs: list[dict[str, str]]) -> str:
    parts = []
    for leg in legs:
        route = "-".join(x for x in (leg.get("from", ""), leg.get("to", "")) if x)
        text = " ".join(x for x in (leg.get("flight", ""), route, leg.get("date", "")) if x)
        if text:
            parts.append(text)
    return "; ".join(parts)


@dataclass
class _Reader:
    """The state of reading a PAXLST interchange segment by segment: the travellers read so
    far, the message and its flight legs, and the person (and document) being read."""

    travellers: list[Traveller] = field(default_factory=list)
    message_ref: str = ""
    default_role: str = "passenger"
    legs: list[dict[str, str]] = field(default_factory=list)
    person: _Person | None = None
    in_doc: bool = False
    leg: dict[str, str] | None = None
    count: int = 0

    def flush(self) -> None:
        """The person being read, if any, joins the travellers."""
        person = self.person
        if person is None:
            return
        ident = f"{self.message_ref}/{person.number}" if self.message_ref else str(person.number)
        self.travellers.append(
            person.traveller(
                len(self.travellers) + 1,
                ident,
                travel=_flight(self.legs),
                name_segment="NAD",
                extra={"references": person.references} if person.references else None,
            )
        )
        self.person = None

    def read(self, seg: EdiSegment) -> None:
        tag = seg.tag
        if tag == "UNH":
            self.flush()
            self.message_ref = element(seg, 0)[:35]
            self.legs, self.leg, self.count, self.in_doc = [], None, 0, False
        elif tag == "BGM":
            self.default_role = "crew" if element(seg, 0) == "250" else "passenger"
        elif tag == "TDT":
            self.flush()
            self.leg = {"flight": element(seg, 1)[:17]}
            self.legs.append(self.leg)
        elif tag == "NAD":
            self.flush()
            self._party(seg)
        elif self.person is None:
            self._flight_detail(seg)
        else:
            self._person_detail(self.person, seg)

    def _party(self, seg: EdiSegment) -> None:
        """A NAD: a traveller, unless it names the reporting party (MS, who sends the list)."""
        qualifier = element(seg, 0)
        if qualifier == "MS":
            return
        self.count += 1
        # The person before this one was flushed into travellers by the NAD that starts this
        # one: this is traveller len(travellers) + 1 of the interchange, whatever its message.
        traveller.check_count(len(self.travellers) + 1, seg.where)
        self.leg = None
        self.in_doc = False
        family = component(seg, 3, 0).strip()
        value = seg.elements[3] if len(seg.elements) > 3 else ""
        given = [str(g).strip() for g in value[1:]] if isinstance(value, list) else []
        name = " ".join(x for x in (" ".join(g for g in given if g), family) if x)
        self.person = _Person(
            number=self.count, role=PARTY_ROLES.get(qualifier, self.default_role), names=[name]
        )

    def _flight_detail(self, seg: EdiSegment) -> None:
        """A segment outside a traveller: the current leg's places (LOC) and date (DTM)."""
        leg, tag = self.leg, seg.tag
        if leg is not None and tag == "LOC":
            qualifier, place = element(seg, 0), component(seg, 1, 0)
            if qualifier in ("125", "92") and "from" not in leg:
                leg["from"] = place
            elif qualifier in ("87", "92"):
                leg["to"] = place
        elif leg is not None and tag == "DTM" and component(seg, 0, 0) == "189":
            leg["date"] = _date(component(seg, 0, 1)[:6], "", past=False)

    def _person_detail(self, person: _Person, seg: EdiSegment) -> None:
        """A segment of the traveller's group (or the end of the message)."""
        tag = seg.tag
        if tag == "ATT" and element(seg, 0) == "2":
            person.gender = traveller.gender_code(component(seg, 2, 0))
        elif tag == "DTM":
            self._date_of(person, seg)
        elif tag == "LOC":
            self._place_of(person, seg)
        elif tag == "NAT" and element(seg, 0) in ("2", ""):
            code = traveller.country_code(component(seg, 1, 0))
            if code:
                person.nationalities.append(code)
        elif tag == "RFF":
            ref = component(seg, 0, 1).strip()
            if ref:
                person.references.append(f"{component(seg, 0, 0)}:{ref}"[:60])
        elif tag == "DOC":
            number = element(seg, 1).strip()[:100]
            self.in_doc = True
            if number:
                person.documents.append(Document(number, component(seg, 0, 0)[:3]))
        elif tag in ("CNT", "UNT"):
            self.flush()

    def _date_of(self, person: _Person, seg: EdiSegment) -> None:
        """DTM+329: the birth date; DTM+36 after a DOC: the document's expiry."""
        qualifier = component(seg, 0, 0)
        if qualifier == "329":
            person.birth_date = _date(component(seg, 0, 1), component(seg, 0, 2), past=True)
        elif qualifier == "36" and self.in_doc and person.documents:
            last = person.documents[-1]
            expiry = _date(component(seg, 0, 1), component(seg, 0, 2), past=False)
            person.documents[-1] = Document(last.number, last.kind, last.issuing_country, expiry)

    def _place_of(self, person: _Person, seg: EdiSegment) -> None:
        """LOC+180: the place of birth; LOC+91 after a DOC: the document's issuing country."""
        qualifier = element(seg, 0)
        if qualifier == "180":
            value = seg.elements[1] if len(seg.elements) > 1 else ""
            parts = [value] if isinstance(value, str) else [p for p in value if p]
            person.place_of_birth = ", ".join(p.strip() for p in parts if p.strip())[:200]
        elif qualifier == "91" and self.in_doc and person.documents:
            last = person.documents[-1]
            person.documents[-1] = Document(
                last.number,
                last.kind,
                traveller.country_code(component(seg, 1, 0)),
                last.expires_on,
            )


def read_paxlst(data: bytes, *, max_bytes: int = traveller.DEFAULT_MAX_BYTES) -> list[Traveller]:
    """The travellers (passengers and crew) of a PAXLST interchange, in file order.

    Raises :class:`ManifestError` naming the segment and byte of a fault; nothing is returned
    for a refused file."""
    reader = _Reader()
    for seg in read_segments(data, max_bytes=max_bytes, expect=("PAXLST",)):
        reader.read(seg)
    reader.flush()
    return reader.travellers
