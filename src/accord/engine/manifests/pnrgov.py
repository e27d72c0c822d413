"""PNRGOV (IATA/WCO/ICAO PNRGOV EDIFACT, versions 10.1 to 13.1): the travellers of each PNR.

Only what screening needs is read (EU PNR Directive Annex I items 4 and 18: names and API data
collected), everything else (payment, contact, itinerary details) is skipped:

- ``TVL`` at message level (flight: date, departure and arrival airports, carrier, number);
- ``SRC`` starts a PNR; ``RCI`` (reservation control information) gives its record locator;
- ``TIF`` (traveller information): C322 surname, C324 given name (with the title run on:
  ``JOHNMR``, removed), traveller type and reference number. A TIF repeated later in the PNR
  (the check-in group after ``TRI``) is the same traveller;
- ``SSR`` with code ``DOCS`` (special service request, advance passenger information): the free
  text ``/P/GBR/123456789/GBR/12JUL64/M/23AUG19/SMITHJR/JONATHON/ROBERT`` is document type,
  issuing country, number, nationality, birth date (DDMMMYY), gender, expiry, surname, given
  names. It belongs to the TIF it follows, or to the traveller its reference names (C332).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from accord.engine.manifests import traveller
from accord.engine.manifests.edifact import EdiSegment, component, element, read_segments
from accord.engine.manifests.traveller import Document, Traveller, TravellerDraft

__all__ = ["parse_docs", "read_pnrgov", "strip_title"]

_TITLES: Final = ("MSTR", "MISS", "MRS", "PROF", "CHD", "INF", "REV", "MR", "MS", "DR")
_MONTH_NAMES: Final = (
    "JAN",
    "FEB",
    "MAR",
    "APR",
    "MAY",
    "JUN",
    "JUL",
    "AUG",
    "SEP",
    "OCT",
    "NOV",
    "DEC",
)
_MONTHS: Final = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_DDMMMYY: Final = re.compile(r"^(\d{1,2})([A-Z]{3})(\d{2}|\d{4})$")


def strip_title(given: str) -> str:
    """``JOHNMR`` -> ``JOHN``, ``KONG CHUN MRS`` -> ``KONG CHUN`` (a title run on to the given
    name, as reservation systems write it); a name that would be left shorter than two letters
    is kept (``AMR``)."""
    text = " ".join(given.split())
    if not text:
        return ""
    words = text.split(" ")
    last = words[-1].upper()
    if last in _TITLES and len(words) > 1:
        return " ".join(words[:-1])
    for title in _TITLES:
        if last.endswith(title) and len(last) - len(title) >= 2:
            words[-1] = words[-1][: -len(title)]
            return " ".join(words)
    return text


def _docs_date(value: str, *, past: bool) -> str:
    m = _DDMMMYY.match(value.strip().upper())
    if not m or m.group(2) not in _MONTHS:
        return ""
    day, month = int(m.group(1)), _MONTHS[m.group(2)]
    if len(m.group(3)) == 4:
        try:
            return date(int(m.group(3)), month, day).isoformat()
        except ValueError:
            return ""
    return traveller.two_digit_year_date(int(m.group(3)), month, day, past=past)


@dataclass(frozen=True, slots=True)
class Docs:
    """The fields of one SSR DOCS free text."""

    document: Document | None
    nationality: str
    birth_date: str
    gender: str
    name: str


def parse_docs(text: str) -> Docs:
    """Read ``/P/GBR/123456789/GBR/12JUL64/M/23AUG19/SMITHJR/JONATHON/ROBERT`` (empty fields
    allowed: ``////GBR/12JUL64/M//JONES/WILLIAM``)."""
    body = text.strip()
    if body.startswith("/"):
        body = body[1:]
    f = [p.strip() for p in body.split("/")] + [""] * 11
    kind, issuer, number, nationality, dob, gender, expiry = f[0:7]
    surname, given = f[7], " ".join(x for x in (strip_title(f[8]), f[9]) if x)
    document = (
        Document(
            number[:100], kind[:3], traveller.country_code(issuer), _docs_date(expiry, past=False)
        )
        if number
        else None
    )
    name = " ".join(x for x in (given, surname) if x)
    return Docs(
        document,
        traveller.country_code(nationality),
        _docs_date(dob, past=True),
        traveller.gender_code(gender),
        name,
    )


@dataclass(kw_only=True)
class _Traveller(TravellerDraft):
    number: int
    ref: str
    key: tuple[str, str, str]


def _tvl(seg: EdiSegment) -> str:
    when = component(seg, 0, 0)
    day = ""
    if len(when) == 6 and when.isdigit():
        day = traveller.two_digit_year_date(
            int(when[4:6]), int(when[2:4]), int(when[0:2]), past=False
        )
    route = "-".join(x for x in (element(seg, 1), element(seg, 2)) if x)
    flight = element(seg, 3) + element(seg, 4)
    return " ".join(x for x in (flight, route, day) if x)


def _docs_target(
    seg: EdiSegment, pnr: list[_Traveller], current: _Traveller | None
) -> _Traveller | None:
    """The traveller an SSR DOCS is about: the one its reference names, else the current one
    (the last TIF), else the PNR's only traveller."""
    ref = component(seg, 1, 2).strip()
    if ref:
        return next((t for t in pnr if t.ref == ref), current)
    if current is None and len(pnr) == 1:
        return pnr[0]
    return current


def _apply_docs(target: _Traveller, docs: Docs) -> None:
    """What an SSR DOCS adds to ``target``: a document not known yet, a nationality, the
    birth date and gender when not known yet, a name."""
    if docs.document is not None and docs.document.number not in {
        d.number for d in target.documents
    }:
        target.documents.append(docs.document)
    if docs.nationality:
        target.nationalities.append(docs.nationality)
    target.birth_date = target.birth_date or docs.birth_date
    target.gender = target.gender or docs.gender
    if docs.name:
        target.names.append(docs.name)


def read_pnrgov(data: bytes, *, max_bytes: int = traveller.DEFAULT_MAX_BYTES) -> list[Traveller]:
    """The travellers of every PNR of a PNRGOV interchange, in file order.

    Raises :class:`ManifestError` naming the segment and byte of a fault."""
    segments = read_segments(data, max_bytes=max_bytes, expect=("PNRGOV",))
    out: list[Traveller] = []
    travel = ""
    locator = ""
    pnr: list[_Traveller] = []
    current: _Traveller | None = None
    pnr_number = 0

    def flush() -> None:
        for t in pnr:
            ident = f"{locator or 'PNR' + str(pnr_number)}/{t.ref or t.number}"
            out.append(t.traveller(len(out) + 1, ident, travel=travel, name_segment="TIF"))
        pnr.clear()

    for seg in segments:
        tag = seg.tag
        if tag == "UNH":
            flush()
            travel, locator, current = "", "", None
        elif tag == "SRC":
            flush()
            pnr_number += 1
            locator, current = "", None
        elif tag == "TVL" and pnr_number == 0 and not travel:
            travel = _tvl(seg)
        elif tag == "TVL" or tag == "TRI":
            current = None
        elif tag == "RCI" and not locator:
            locator = component(seg, 0, 1)[:20]
        elif tag == "TIF":
            surname = component(seg, 0, 0).strip()
            given = component(seg, 1, 0).strip()
            ref = component(seg, 1, 2).strip()[:10]
            key = (surname.upper(), given.upper(), ref)
            current = next((t for t in pnr if t.key == key), None)
            if current is None:
                traveller.check_count(len(out) + len(pnr) + 1, seg.where)
                name = " ".join(x for x in (strip_title(given), surname) if x)
                current = _Traveller(number=len(pnr) + 1, ref=ref, key=key, names=[name])
                pnr.append(current)
        elif tag == "SSR" and component(seg, 0, 0) == "DOCS":
            docs = parse_docs(component(seg, 0, 8))
            target = _docs_target(seg, pnr, current)
            if target is not None:
                _apply_docs(target, docs)
    flush()
    return out
