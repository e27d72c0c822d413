"""The UN Security Council Consolidated List (XML) as STIX 2.1 ``identity`` objects.

Source format: ``scsanctions.un.org/resources/xml/en/consolidated.xml`` and its XSD
(``sc-sanctions.xsd``). The root ``CONSOLIDATED_LIST`` holds ``INDIVIDUALS/INDIVIDUAL`` and
``ENTITIES/ENTITY``; ``DATAID`` is the stable key. Each record becomes one ``identity``
(``identity_class`` ``individual`` or ``organization``) carrying the Accord person-of-interest
extension, with an asset-freeze watchlist entry (UNSC resolution 1267/1390 regimes and the other
sanctions committees' lists: "freeze funds and economic resources").

The reader is tolerant of what real files do (elements out of XSD order, unknown elements, empty
elements, stray whitespace) and strict about safety: no DTD, no entity expansion, no network, no
huge trees; a document that declares a DTD (the carrier of "billion laughs" and external-entity
attacks; the UN file never has one) is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, Final

from lxml import etree

from accord.engine.imports.files import detect_format, looks_like, require_content
from accord.engine.imports.result import (
    ImportFormatError,
    ParseProblem,
    ParseResult,
    Progress,
    country_code,
    date_only,
    detect_script,
    stix_id,
    stix_timestamp,
    trim,
    unique,
)
from accord.engine.stix.limits import MAX_NAME_LENGTH, MAX_TEXT_LENGTH
from accord.engine.stix.person import PERSON_EXTENSION_ID

__all__ = ["UN_SOURCE_NAME", "parse_un_xml"]

UN_SOURCE_NAME: Final = "UN Security Council Consolidated List"

_SPACES: Final = re.compile(r"\s+")
#: The longest DATAID or reference number kept (the list's own are a few characters).
_MAX_KEY: Final = 100
_YEAR: Final = re.compile(r"^\s*(\d{4})\s*$")
_ALIAS_TYPES: Final[dict[str, str]] = {
    "good": "alias",
    "a.k.a.": "alias",
    "aka": "alias",
    "low": "weak_alias",
    "f.k.a.": "former",
    "fka": "former",
}
_GENDERS: Final[dict[str, str]] = {"male": "male", "female": "female", "unknown": "unknown"}


def _parser() -> Any:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _local(element: Any) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _children(element: Any, name: str | None = None) -> Iterator[Any]:
    for child in element:
        local = _local(child)
        if local and (name is None or local == name):
            yield child


def _text(element: Any | None) -> str:
    """All the text of ``element`` (markup inside it kept as text), whitespace collapsed."""
    if element is None:
        return ""
    return _SPACES.sub(" ", "".join(element.itertext())).strip()


def _first(element: Any, name: str) -> str:
    for child in _children(element, name):
        value = _text(child)
        if value:
            return value
    return ""


def _all(element: Any, name: str) -> list[str]:
    return [v for v in (_text(c) for c in _children(element, name)) if v]


def _values(element: Any, name: str) -> list[str]:
    """``<NAME><VALUE>a</VALUE><VALUE>b</VALUE></NAME>`` (possibly repeated) -> [a, b]."""
    out: list[str] = []
    for holder in _children(element, name):
        out.extend(v for v in (_text(c) for c in _children(holder, "VALUE")) if v)
    return out


_DTD_MARKERS: Final = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("ascii", "utf-16-le", "utf-16-be")
)
_DTD_REFUSED: Final = (
    "The XML declares a document type (DTD) or entities; the UN list never does, and entity "
    'declarations are how XML bombs ("billion laughs") and external-entity attacks work. '
    "Refused: import the list as published by the UN."
)


#: Separators the list uses between several names in one ALIAS_NAME (Latin and Arabic
#: semicolons, the Arabic comma). A Latin comma is not one: "SURNAME, Given" is one name.
_ALIAS_SEPARATORS: Final = re.compile(r"\s*[;\u061b\u060c]\s*")
#: A name followed by its form in another script in brackets: "عبدالله السندي (Abdullah Sindhi)".
_BRACKETED: Final = re.compile(r"^(?P<outer>[^()]+?)\s*\((?P<inner>[^()]+)\)\s*$")


def alias_names(value: str) -> list[str]:
    """The names one ALIAS_NAME holds: split on the semicolons (and Arabic comma) the list puts
    between several aliases, and a bracketed form in another script taken as a name of its own
    (a bracket in the same script is a comment or a part of the name, and stays)."""
    names: list[str] = []
    for part in _ALIAS_SEPARATORS.split(value.strip()):
        bracketed = _BRACKETED.match(part)
        if bracketed and detect_script(bracketed["outer"]) != detect_script(bracketed["inner"]):
            names.extend((bracketed["outer"].strip(), bracketed["inner"].strip()))
        elif part.strip():
            names.append(part.strip())
    return names


def _load(data: bytes) -> Any:
    require_content(data, "UN list file")
    if detect_format(data) in ("stix", "ftm"):
        raise ImportFormatError(f"The file is not the UN list XML: {looks_like(data)}.")
    if any(marker in data for marker in _DTD_MARKERS):
        raise ImportFormatError(_DTD_REFUSED)
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, exc.offset)
        if "amplification" in str(exc.msg) or "entity" in str(exc.msg).casefold():
            raise ImportFormatError(_DTD_REFUSED) from exc
        raise ImportFormatError(
            f"The UN list XML is malformed at line {line} column {column}: {exc.msg}. "
            "Download the list again (scsanctions.un.org/resources/xml/en/consolidated.xml)."
        ) from exc
    except ValueError as exc:  # e.g. str with an encoding declaration
        raise ImportFormatError(f"The UN list XML cannot be read: {exc}.") from exc
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise ImportFormatError(_DTD_REFUSED)
    if _local(root) != "CONSOLIDATED_LIST":
        raise ImportFormatError(
            f"The root element is <{_local(root) or root.tag}>, not <CONSOLIDATED_LIST>: this is "
            "not the UN Security Council Consolidated List. Choose the format that matches it."
        )
    return root


class _Record:
    """One INDIVIDUAL or ENTITY being converted."""

    def __init__(self, element: Any, kind: str, where: str) -> None:
        self.element = element
        self.kind = kind
        self.where = where
        self.problems: list[ParseProblem] = []
        self.comments: list[str] = []

    def problem(self, message: str) -> None:
        self.problems.append(ParseProblem(self.where, message))

    def country(self, text: str, what: str) -> str | None:
        code = country_code(text)
        if code is None and text:
            self.problem(f"{what} {text!r} is not a country name known to ISO 3166; kept as text.")
        return code

    # -- names -----------------------------------------------------------------------------

    def names(self, primary: str) -> list[dict[str, Any]]:
        names: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()

        def add(full_name: str, name_type: str) -> None:
            full_name = full_name.strip()
            if not full_name or (full_name.casefold(), name_type) in seen:
                return
            seen.add((full_name.casefold(), name_type))
            if len(full_name) > MAX_NAME_LENGTH:
                self.problem(
                    f"A name longer than {MAX_NAME_LENGTH} characters was cut: "
                    f"{full_name[:40]!r}..."
                )
                full_name = trim(full_name, MAX_NAME_LENGTH)
            entry: dict[str, Any] = {"full_name": full_name, "name_type": name_type}
            script = detect_script(full_name)
            if script:
                entry["script"] = script
            names.append(entry)

        add(primary, "primary")
        for original in _all(self.element, "NAME_ORIGINAL_SCRIPT"):
            add(original, "primary")
        alias_tag = "INDIVIDUAL_ALIAS" if self.kind == "individual" else "ENTITY_ALIAS"
        for alias in _children(self.element, alias_tag):
            name = _first(alias, "ALIAS_NAME")
            if not name:
                continue
            quality = _first(alias, "QUALITY").casefold()
            name_type = _ALIAS_TYPES.get(quality, "alias")
            if quality and quality not in _ALIAS_TYPES:
                self.problem(f"Alias {name!r} has an unknown QUALITY {quality!r}; kept as alias.")
            for part in alias_names(name):
                add(part, name_type)
            note = _first(alias, "NOTE")
            if note:
                self.comments.append(f"Alias {name}: {note}")
        return names

    # -- individuals -----------------------------------------------------------------------

    def birth_dates(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for dob in _children(self.element, "INDIVIDUAL_DATE_OF_BIRTH"):
            entry = self._birth_date(dob)
            if entry is not None and entry not in out:
                out.append(entry)
        for alias in _children(self.element, "INDIVIDUAL_ALIAS"):
            day = date_only(_first(alias, "DATE_OF_BIRTH"))
            name = _first(alias, "ALIAS_NAME")
            if day is not None and 1800 <= day.year <= 2200:
                out.append(
                    {
                        "precision": "exact",
                        "date": day.isoformat(),
                        "note": trim(f"Given with the alias {name}", 1000),
                    }
                )
        return out

    def _birth_date(self, dob: Any) -> dict[str, Any] | None:
        kind = _first(dob, "TYPE_OF_DATE").upper()
        day = date_only(_first(dob, "DATE"))
        year = self._year(_first(dob, "YEAR"))
        note = _first(dob, "NOTE")
        entry: dict[str, Any]
        if kind == "BETWEEN":
            low, high = self._year(_first(dob, "FROM_YEAR")), self._year(_first(dob, "TO_YEAR"))
            if low is None or high is None:
                if any(_first(dob, t) for t in ("FROM_YEAR", "TO_YEAR", "DATE", "YEAR")):
                    self.problem("A BETWEEN date of birth lacks FROM_YEAR or TO_YEAR; skipped.")
                return None
            entry = {"precision": "between", "from_year": min(low, high), "to_year": max(low, high)}
        elif day is not None and 1800 <= day.year <= 2200:
            precision = "approximate" if kind == "APPROXIMATELY" else "exact"
            entry = {"precision": precision, "date": day.isoformat()}
        elif year is not None:
            entry = {"precision": "approximate" if kind == "APPROXIMATELY" else "year"}
            entry["year"] = year
        else:
            raw = _first(dob, "DATE") or _first(dob, "YEAR")
            if raw:
                self.problem(f"Date of birth {raw!r} is not a date or a year; skipped.")
            return None
        if kind and kind not in ("EXACT", "APPROXIMATELY", "BETWEEN"):
            self.problem(f"Unknown TYPE_OF_DATE {kind!r}; read as exact.")
        if note:
            entry["note"] = trim(note, 1000)
        return entry

    def _year(self, text: str) -> int | None:
        match = _YEAR.match(text)
        if not match:
            return None
        year = int(match[1])
        if 1800 <= year <= 2200:
            return year
        self.problem(f"Year {year} is outside 1800-2200; skipped.")
        return None

    def birth_places(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for place in _children(self.element, "INDIVIDUAL_PLACE_OF_BIRTH"):
            entry = self._place(
                _first(place, "CITY"),
                _first(place, "STATE_PROVINCE"),
                _first(place, "COUNTRY"),
                _first(place, "NOTE"),
            )
            if entry and entry not in out:
                out.append(entry)
        for alias in _children(self.element, "INDIVIDUAL_ALIAS"):
            entry = self._place(
                _first(alias, "CITY_OF_BIRTH"), "", _first(alias, "COUNTRY_OF_BIRTH"), ""
            )
            if entry and entry not in out:
                out.append(entry)
        return out

    def _place(self, city: str, region: str, country: str, note: str) -> dict[str, Any]:
        entry: dict[str, Any] = {}
        if city:
            entry["city"] = trim(city, 1000)
        if region:
            entry["region"] = trim(region, 1000)
        code = self.country(country, "Country of birth") if country else None
        if code:
            entry["country"] = code
        text = ", ".join(p for p in (note, "" if code else country) if p)
        if text:
            entry["text"] = trim(text, 1000)
        return entry

    def nationalities(self) -> list[str]:
        codes: list[str] = []
        for value in _values(self.element, "NATIONALITY"):
            code = self.country(value, "Nationality")
            if code:
                codes.append(code)
            else:
                self.comments.append(f"Nationality as listed: {value}")
        return unique(codes)

    def documents(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for doc in _children(self.element, "INDIVIDUAL_DOCUMENT"):
            number = _first(doc, "NUMBER")
            kind = _first(doc, "TYPE_OF_DOCUMENT") or _first(doc, "TYPE_OF_DOCUMENT2")
            note_parts = [_first(doc, "NOTE")]
            if not number:
                if kind or note_parts[0]:
                    self.comments.append(
                        "Document without number: " + "; ".join(p for p in (kind, *note_parts) if p)
                    )
                continue
            if len(number) > 100:
                self.problem(f"Document number {number[:40]!r}... is over 100 characters; cut.")
            entry: dict[str, Any] = {
                "document_type": trim(kind or "Identity document", 100),
                "number": trim(number, 100),
            }
            second = _first(doc, "TYPE_OF_DOCUMENT2")
            if second and second != kind:
                note_parts.append(second)
            country = _first(doc, "ISSUING_COUNTRY") or _first(doc, "COUNTRY_OF_ISSUE")
            code = self.country(country, "Issuing country") if country else None
            if code:
                entry["issuing_country"] = code
            elif country:
                note_parts.append(f"issued by {country}")
            city = _first(doc, "CITY_OF_ISSUE")
            if city:
                note_parts.append(f"issued in {city}")
            issued = _first(doc, "DATE_OF_ISSUE")
            issued_day = date_only(issued)
            if issued_day is not None:
                entry["issued_on"] = issued_day.isoformat()
            elif issued:
                note_parts.append(f"issued on {issued}")
            note = "; ".join(p for p in note_parts if p)
            if note:
                entry["note"] = trim(note, 1000)
            out.append(entry)
        return out

    def addresses(self) -> list[str]:
        tag = "INDIVIDUAL_ADDRESS" if self.kind == "individual" else "ENTITY_ADDRESS"
        out: list[str] = []
        for address in _children(self.element, tag):
            parts = [
                _first(address, name)
                for name in ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY", "NOTE")
            ]
            text = ", ".join(p for p in parts if p)
            if text:
                out.append(trim(text, 1000))
        return unique(out)

    def gender(self) -> str | None:
        value = _first(self.element, "GENDER")
        if not value:
            return None
        gender = _GENDERS.get(value.casefold())
        if gender is None:
            self.problem(f"GENDER {value!r} is not Male, Female or Unknown; skipped.")
        return gender


def _dates(record: _Record) -> tuple[str, str] | None:
    listed = date_only(_first(record.element, "LISTED_ON"))
    updates = [d for d in map(date_only, _values(record.element, "LAST_DAY_UPDATED")) if d]
    if listed is None:
        if not updates:
            record.problem("LISTED_ON is missing or not a date (YYYY-MM-DD); record skipped.")
            return None
        listed = min(updates)
        record.problem("LISTED_ON is missing; the first LAST_DAY_UPDATED is used instead.")
    modified: date = max([listed, *updates])
    return stix_timestamp(listed), stix_timestamp(modified)


def _data_id(record: _Record) -> str | None:
    """The record's DATAID, its stable key (None, with the problem, when it has none)."""
    data_id = _first(record.element, "DATAID")
    if not data_id:
        record.problem("DATAID is missing: the record has no stable key; skipped.")
        return None
    if len(data_id) > _MAX_KEY:
        record.problem(f"DATAID is over {_MAX_KEY} characters: not a record key; skipped.")
        return None
    return data_id


def _record_names(record: _Record) -> list[dict[str, Any]] | None:
    """The record's names, the primary one first (an alias when FIRST_NAME is empty); None,
    with the problem, when it has none."""
    element = record.element
    if record.kind == "individual":
        parts = [_first(element, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME")]
        parts.append(_first(element, "FOURTH_NAME"))
        primary = " ".join(p for p in parts if p)
    else:
        primary = _first(element, "FIRST_NAME")
    names = record.names(primary)
    if not names:
        record.problem("The record has no name (FIRST_NAME, aliases); skipped.")
        return None
    if not primary:
        names[0]["name_type"] = "primary"
        record.problem("FIRST_NAME is empty; the first alias is used as the name.")
    return names


def _individual_facts(record: _Record, ext: dict[str, Any]) -> None:
    """What the person extension holds of an individual only (birth dates and places,
    nationalities, gender, documents); titles and designations become comments."""
    for key, value in (
        ("birth_dates", record.birth_dates()),
        ("birth_places", record.birth_places()),
        ("nationalities", record.nationalities()),
        ("gender", record.gender()),
        ("documents", record.documents()),
    ):
        if value:
            ext[key] = value
    for title in _values(record.element, "TITLE"):
        record.comments.append(f"Title: {title}")
    for designation in _values(record.element, "DESIGNATION"):
        record.comments.append(f"Designation: {designation}")


def _watchlist(element: Any, list_type: str, comments1: str, reference: str) -> dict[str, Any]:
    """The watch-list facts of a listed record: the action (freeze assets), the reason, the
    date listed, the list and the reference."""
    watchlist: dict[str, Any] = {"action": "freeze_assets"}
    reason = ": ".join(p for p in (list_type, comments1) if p)
    if reason:
        watchlist["reason"] = trim(reason, 1000)
    listed_on = date_only(_first(element, "LISTED_ON"))
    if listed_on:
        watchlist["listed_on"] = listed_on.isoformat()
    watchlist["list_name"] = trim(f"UN Security Council {list_type}".strip(), 200)
    if reference:
        watchlist["reference"] = trim(reference, 100)
    return watchlist


def _convert(
    record: _Record, created_by_ref: str, marking_refs: Sequence[str]
) -> dict[str, Any] | None:
    element = record.element
    data_id = _data_id(record)
    if data_id is None:
        return None
    names = _record_names(record)
    if names is None:
        return None
    stamps = _dates(record)
    if stamps is None:
        return None
    created, modified = stamps

    reference = _first(element, "REFERENCE_NUMBER")
    list_type = _first(element, "UN_LIST_TYPE")
    comments1 = _first(element, "COMMENTS1")
    ext: dict[str, Any] = {
        "extension_type": "property-extension",
        "subject_type": "person" if record.kind == "individual" else "organization",
        "names": names,
    }
    if record.kind == "individual":
        _individual_facts(record, ext)
    addresses = record.addresses()
    if addresses:
        ext["addresses"] = addresses
    if reference:
        ext["reference_numbers"] = [trim(reference, 100)]
    ext["watchlist"] = _watchlist(element, list_type, comments1, reference)
    if record.comments:
        ext["comments"] = trim("\n".join(unique(record.comments)), 10000)

    obj: dict[str, Any] = {
        "type": "identity",
        "spec_version": "2.1",
        "id": stix_id("identity", created_by_ref, f"un-sc-consolidated|{data_id}"),
        "created": created,
        "modified": modified,
        "created_by_ref": created_by_ref,
        "name": names[0]["full_name"],
        "identity_class": "individual" if record.kind == "individual" else "organization",
        "extensions": {PERSON_EXTENSION_ID: ext},
    }
    if comments1:
        obj["description"] = trim(comments1, MAX_TEXT_LENGTH)
    external: dict[str, Any] = {"source_name": UN_SOURCE_NAME}
    if reference:
        external["external_id"] = trim(reference, _MAX_KEY)
    external["description"] = f"DATAID {data_id}"
    obj["external_references"] = [external]
    if marking_refs:
        obj["object_marking_refs"] = list(marking_refs)
    return obj


def parse_un_xml(
    data: bytes,
    *,
    created_by_ref: str,
    marking_refs: Sequence[str] = (),
    progress: Progress | None = None,
) -> ParseResult:
    """Convert the UN Security Council Consolidated List XML into STIX ``identity`` objects.

    Ids are UUIDv5 of ``created_by_ref`` and the record's DATAID, so importing the same list
    again yields the same ids. ``created`` is LISTED_ON and ``modified`` the latest
    LAST_DAY_UPDATED. Records without a usable name, DATAID or listing date are skipped with a
    problem; values that cannot be mapped (an unknown country name) are kept as text and reported.
    """
    root = _load(data)
    records: list[_Record] = []
    for group, tag, kind in (
        ("INDIVIDUALS", "INDIVIDUAL", "individual"),
        ("ENTITIES", "ENTITY", "entity"),
    ):
        for holder in _children(root, group):
            for element in _children(holder, tag):
                data_id = _first(element, "DATAID") or f"#{len(records) + 1}"
                records.append(_Record(element, kind, f"{tag} DATAID={trim(data_id, 40)}"))
    result = ParseResult(format="un-xml")
    counts = {"individuals": 0, "entities": 0, "skipped": 0}
    seen_ids: set[str] = set()
    total = len(records)
    for done, record in enumerate(records, start=1):
        obj = _convert(record, created_by_ref, marking_refs)
        if obj is not None and obj["id"] in seen_ids:
            record.problem("The DATAID appears twice in the file; the second record is skipped.")
            obj = None
        if obj is None:
            counts["skipped"] += 1
        else:
            seen_ids.add(obj["id"])
            result.objects.append(obj)
            counts["individuals" if record.kind == "individual" else "entities"] += 1
        result.problems.extend(record.problems)
        if progress is not None:
            progress(done, total)
    counts["objects"] = len(result.objects)
    result.counts = counts
    return result
