"""FollowTheMoney entities (OpenSanctions, Aleph) as STIX 2.1 objects.

Input is JSON lines (one ``{id, schema, properties}`` entity a line) or a JSON array of them. Every
entity is read through the ``followthemoney`` library (``model.get_proxy``), so the schema names,
properties and value types are FtM's own: a property the schema does not have, or a value FtM's type
rejects, is reported as a problem rather than guessed at.

Mapping:

* ``Person`` -> ``identity`` (individual); ``Organization``, ``Company``, ``LegalEntity`` and other
  legal entities -> ``identity`` (organization); both with the Accord person-of-interest extension.
* ``Passport`` and ``Identification`` -> a document on the holder's extension (in any file order).
* ``Membership`` -> ``relationship`` ``member-of`` (member -> organization).
* ``Associate`` -> ``relationship`` ``associated-with`` (person -> associate).
* ``Sanction`` -> the watchlist entry (``freeze_assets``) of the sanctioned entity.

Ids are UUIDv5 of the importing identity and the FtM id, so re-importing gives the same ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, Final

import phonenumbers

from accord.engine.imports.files import looks_like, require_content
from accord.engine.imports.result import (
    ImportFormatError,
    ParseProblem,
    ParseResult,
    Progress,
    date_only,
    detect_script,
    now_timestamp,
    stix_id,
    stix_timestamp,
    trim,
    unique,
)
from accord.engine.imports.stix_bundle import load_json
from accord.engine.stix.limits import MAX_NAME_LENGTH, MAX_SHORT_TEXT_LENGTH
from accord.engine.stix.person import PERSON_EXTENSION_ID

__all__ = ["FTM_SOURCE_NAME", "parse_ftm"]

FTM_SOURCE_NAME: Final = "FollowTheMoney"

_EDGE_TYPES: Final[dict[str, tuple[str, str, str]]] = {
    # schema: (relationship_type, source property, target property)
    "Membership": ("member-of", "member", "organization"),
    "Associate": ("associated-with", "person", "associate"),
}
_GENDERS: Final[dict[str, str]] = {"male": "male", "female": "female", "other": "other"}
_PARTIAL_DATE: Final = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_TIMESTAMP: Final = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?")


def _entities(data: bytes) -> Iterator[tuple[str, Any]]:
    """(where, raw entity) for a JSON array or JSON lines document, or one JSON object spread
    over several lines (one pretty-printed entity)."""
    require_content(data, "FollowTheMoney file")
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        document = load_json(text, "FollowTheMoney file")
        if not isinstance(document, list):
            raise ImportFormatError("The FollowTheMoney file is not a JSON array of entities.")
        for index, item in enumerate(document):
            yield f"entity {index}", item
        return
    first = True
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = load_json(line.lstrip(b"\xef\xbb\xbf"), "FollowTheMoney line")
        except ImportFormatError as exc:
            if first and not text.startswith(b"{"):
                raise _not_ftm(data) from None
            whole = _one_document(text) if first else None
            if isinstance(whole, dict):
                yield "entity 0", whole
                return
            message = str(exc).replace("at line 1 column", f"at line {number} column")
            if "at line" not in message:
                message = f"Line {number}: {message}"
            raise ImportFormatError(message) from exc
        first = False
        yield f"line {number}", item


def _not_ftm(data: bytes) -> ImportFormatError:
    return ImportFormatError(
        "The file holds no FollowTheMoney entities (JSON objects with an id, a schema and "
        f"properties): {looks_like(data)}."
    )


def _one_document(text: bytes) -> Any:
    try:
        return load_json(text, "FollowTheMoney file")
    except ImportFormatError:
        return None


def _timestamp(value: str) -> str | None:
    match = _TIMESTAMP.match(value)
    if not match:
        return None
    try:
        parsed = datetime.fromisoformat(match[0].replace(" ", "T"))
    except ValueError:
        return None
    return stix_timestamp(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))


class _Entity:
    """One FtM entity: its proxy, its place in the file and the problems found with it."""

    def __init__(self, where: str, proxy: Any, raw: dict[str, Any]) -> None:
        self.proxy = proxy
        self.raw = raw
        self.where = f"{where} (id={proxy.id})"
        self.problems: list[ParseProblem] = []

    def problem(self, message: str) -> None:
        self.problems.append(ParseProblem(self.where, message))

    def values(self, prop: str) -> list[str]:
        if prop not in self.proxy.schema.properties:
            return []
        return [v.strip() for v in self.proxy.get(prop) if v and v.strip()]

    def raw_values(self, prop: str) -> list[str]:
        found = (self.raw.get("properties") or {}).get(prop) or []
        if isinstance(found, str):
            found = [found]
        return [str(v).strip() for v in found if isinstance(v, str | int) and str(v).strip()]

    def stamps(self, fallback: str) -> tuple[str, str]:
        created = [
            t
            for t in map(
                _timestamp, [*self.values("createdAt"), str(self.raw.get("first_seen", ""))]
            )
            if t
        ]
        modified = [
            t
            for t in map(
                _timestamp,
                [
                    *self.values("modifiedAt"),
                    str(self.raw.get("last_change", "")),
                    str(self.raw.get("last_seen", "")),
                ],
            )
            if t
        ]
        first = min(created) if created else (min(modified) if modified else fallback)
        last = max([first, *modified])
        return first, last


def _check_properties(entity: _Entity) -> None:
    """Report properties the schema lacks and values FtM's types reject (FtM drops both)."""
    schema = entity.proxy.schema
    raw_props = entity.raw.get("properties") or {}
    if not isinstance(raw_props, dict):
        entity.problem("'properties' is not an object; the entity has no properties.")
        return
    for name, values in raw_props.items():
        prop = schema.properties.get(name)
        if prop is None:
            entity.problem(f"{schema.name} has no property {name!r} in FollowTheMoney; ignored.")
            continue
        if name == "phone":  # normalised to E.164 below, with a better message
            continue
        kept = set(entity.proxy.get(name))
        for value in values if isinstance(values, list) else [values]:
            if not isinstance(value, str) or not value.strip():
                continue
            if value not in kept and prop.type.clean(value, proxy=entity.proxy) not in kept:
                entity.problem(f"{name} {value!r} is not a valid {prop.type.name}; ignored.")


def _birth_date(entity: _Entity, value: str) -> dict[str, Any] | None:
    match = _PARTIAL_DATE.match(value)
    if not match:
        entity.problem(f"birthDate {value!r} is not a date; ignored.")
        return None
    year = int(match[1])
    if not 1800 <= year <= 2200:
        entity.problem(f"birthDate {value!r} is outside 1800-2200; ignored.")
        return None
    if match[3]:
        day = date_only(match[0])
        if day is None:
            entity.problem(f"birthDate {value!r} is not a calendar date; ignored.")
            return None
        return {"precision": "exact", "date": day.isoformat()}
    if match[2]:
        month = int(match[2])
        if not 1 <= month <= 12:
            entity.problem(f"birthDate {value!r} has no month {month}; ignored.")
            return None
        return {"precision": "month", "date": date(year, month, 1).isoformat(), "year": year}
    return {"precision": "year", "year": year}


def _name_entry(full_name: str, name_type: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "full_name": trim(full_name, MAX_NAME_LENGTH),
        "name_type": name_type,
    }
    script = detect_script(full_name)
    if script:
        entry["script"] = script
    return entry


def _names(entity: _Entity, is_person: bool) -> list[dict[str, Any]]:
    names: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()

    def add(full_name: str, name_type: str) -> dict[str, Any] | None:
        key = (full_name.casefold(), name_type)
        if not full_name or key in seen:
            return None
        seen.add(key)
        entry = _name_entry(full_name, name_type)
        names.append(entry)
        return entry

    given = entity.values("firstName")
    middle = entity.values("middleName") + entity.values("secondName")
    family = entity.values("lastName")
    father = entity.values("fatherName")
    listed = entity.values("name")
    composed = " ".join(p for p in (*given[:1], *middle[:1], *family[:1]) if p)
    primary = add(listed[0] if listed else composed, "primary")
    if primary is not None and is_person:
        for key, parts in (
            ("given_name", given),
            ("middle_name", middle),
            ("family_name", family),
            ("patronymic", father),
        ):
            if len(parts) == 1:
                primary[key] = trim(parts[0], 200)
    for other in listed[1:]:
        add(other, "alias")
    if listed and composed:
        add(composed, "alias")
    for alias in entity.values("alias"):
        add(alias, "alias")
    for alias in entity.values("weakAlias"):
        add(alias, "weak_alias")
    for former in entity.values("previousName"):
        add(former, "former")
    return names


def _phones(entity: _Entity, regions: list[str]) -> list[str]:
    out: list[str] = []
    for raw in entity.raw_values("phone"):
        number = None
        for region in [None, *regions]:
            try:
                parsed = phonenumbers.parse(raw, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(parsed):
                number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
                break
        if number is None:
            entity.problem(
                f"phone {raw!r} is not a valid international number; write it with its "
                "country code (+CC ...). Ignored."
            )
        else:
            out.append(number)
    return unique(out)


def _person_facts(entity: _Entity, countries: list[str]) -> dict[str, Any]:
    """What the person extension holds of a person only: birth dates and places,
    nationalities (``countries``), gender."""
    facts: dict[str, Any] = {}
    births = [b for b in (_birth_date(entity, v) for v in entity.values("birthDate")) if b]
    if births:
        facts["birth_dates"] = [b for i, b in enumerate(births) if b not in births[:i]]
    places = [{"text": trim(p, 1000)} for p in unique(entity.values("birthPlace"))]
    if places:
        facts["birth_places"] = places
    if countries:
        facts["nationalities"] = unique(countries)
    genders = entity.values("gender")
    if genders:
        gender = _GENDERS.get(genders[0].casefold())
        if gender:
            facts["gender"] = gender
    return facts


def _legal_entity(
    entity: _Entity, created_by_ref: str, marking_refs: Sequence[str], fallback: str
) -> dict[str, Any] | None:
    is_person = entity.proxy.schema.is_a("Person")
    names = _names(entity, is_person)
    if not names:
        entity.problem("The entity has no name (name, firstName/lastName); skipped.")
        return None
    ext: dict[str, Any] = {
        "extension_type": "property-extension",
        "subject_type": "person" if is_person else "organization",
        "names": names,
    }
    countries = [c.upper() for c in entity.values("nationality") + entity.values("citizenship")]
    if is_person:
        ext.update(_person_facts(entity, countries))
    documents: list[dict[str, Any]] = []
    for number in entity.values("passportNumber"):
        documents.append({"document_type": "Passport", "number": trim(number, 100)})
    for number in entity.values("idNumber"):
        documents.append({"document_type": "Identification", "number": trim(number, 100)})
    if documents:
        ext["documents"] = documents
    regions = unique(c[:2] for c in countries + [v.upper() for v in entity.values("country")])
    phones = _phones(entity, regions)
    if phones:
        ext["phones"] = phones
    emails = [e for e in unique(entity.values("email")) if len(e) <= 320]
    if emails:
        ext["emails"] = emails
    addresses = [trim(a, 1000) for a in unique(entity.values("address"))]
    if addresses:
        ext["addresses"] = addresses
    notes = entity.values("notes") + entity.values("summary")
    if notes:
        ext["comments"] = trim("\n".join(unique(notes)), 10000)
    created, modified = entity.stamps(fallback)
    obj: dict[str, Any] = {
        "type": "identity",
        "spec_version": "2.1",
        "id": stix_id("identity", created_by_ref, f"ftm|{entity.proxy.id}"),
        "created": created,
        "modified": modified,
        "created_by_ref": created_by_ref,
        "name": names[0]["full_name"],
        "identity_class": "individual" if is_person else "organization",
        "external_references": [{"source_name": FTM_SOURCE_NAME, "external_id": entity.proxy.id}],
        "extensions": {PERSON_EXTENSION_ID: ext},
    }
    if marking_refs:
        obj["object_marking_refs"] = list(marking_refs)
    return obj


def _ref(entity: _Entity, prop: str, identities: dict[str, dict[str, Any]]) -> str | None:
    targets = entity.values(prop)
    if not targets:
        entity.problem(f"{entity.proxy.schema.name} has no {prop}; skipped.")
        return None
    if len(targets) > 1:
        entity.problem(f"{prop} names {len(targets)} entities; only the first is used.")
    if targets[0] not in identities:
        entity.problem(
            f"{prop} refers to {targets[0]!r}, which is not a person or organisation imported "
            "from this file (dangling reference); skipped."
        )
        return None
    return str(identities[targets[0]]["id"])


def _document(entity: _Entity, holder: dict[str, Any]) -> None:
    schema = entity.proxy.schema
    numbers = entity.values("number") + entity.values("passportNumber")
    if not numbers:
        entity.problem(f"{schema.name} has no number; skipped.")
        return
    kinds = entity.values("type")
    default = "Passport" if schema.is_a("Passport") else "Identification"
    document: dict[str, Any] = {
        "document_type": trim(kinds[0] if kinds else default, 100),
        "number": trim(numbers[0], 100),
    }
    countries = entity.values("country")
    if countries:
        document["issuing_country"] = countries[0].upper()
    for key, prop in (("issued_on", "startDate"), ("expires_on", "endDate")):
        values = entity.values(prop)
        day = date_only(values[0]) if values and len(values[0]) >= 10 else None
        if day is not None:
            document[key] = day.isoformat()
    ext = holder["extensions"][PERSON_EXTENSION_ID]
    documents: list[dict[str, Any]] = ext.setdefault("documents", [])
    for existing in documents:
        if (existing["document_type"].casefold(), existing["number"]) == (
            document["document_type"].casefold(),
            document["number"],
        ):
            existing.update(document)
            return
    documents.append(document)


def _sanction(entity: _Entity, target: dict[str, Any]) -> None:
    ext = target["extensions"][PERSON_EXTENSION_ID]
    references = entity.values("unscId") + entity.values("authorityId")
    if references:
        ext["reference_numbers"] = unique(
            [*ext.get("reference_numbers", []), *(trim(r, 100) for r in references)]
        )
    if "watchlist" in ext:
        entity.problem("The entity already has a sanction; this one adds only its references.")
        return
    watchlist: dict[str, Any] = {"action": "freeze_assets"}
    reason = "; ".join(unique(entity.values("program") + entity.values("reason")))
    if reason:
        watchlist["reason"] = trim(reason, 1000)
    listed = entity.values("listingDate") + entity.values("startDate")
    day = date_only(listed[0]) if listed and len(listed[0]) >= 10 else None
    if day is not None:
        watchlist["listed_on"] = day.isoformat()
    list_name = " ".join(unique(entity.values("authority") + entity.values("program")[:1]))
    if list_name:
        watchlist["list_name"] = trim(list_name, 200)
    if references:
        watchlist["reference"] = trim(references[0], 100)
    ext["watchlist"] = watchlist


def _relationship(
    entity: _Entity,
    identities: dict[str, dict[str, Any]],
    created_by_ref: str,
    marking_refs: Sequence[str],
    fallback: str,
) -> dict[str, Any] | None:
    relationship_type, source_prop, target_prop = _EDGE_TYPES[entity.proxy.schema.name]
    source = _ref(entity, source_prop, identities)
    target = _ref(entity, target_prop, identities)
    if source is None or target is None:
        return None
    created, modified = entity.stamps(fallback)
    obj: dict[str, Any] = {
        "type": "relationship",
        "spec_version": "2.1",
        "id": stix_id("relationship", created_by_ref, f"ftm|{entity.proxy.id}"),
        "created": created,
        "modified": modified,
        "created_by_ref": created_by_ref,
        "relationship_type": relationship_type,
        "source_ref": source,
        "target_ref": target,
        "external_references": [{"source_name": FTM_SOURCE_NAME, "external_id": entity.proxy.id}],
    }
    description = "; ".join(unique(entity.values("role") + entity.values("relationship")))
    if description:
        obj["description"] = description
    start = [d for d in map(date_only, entity.values("startDate")) if d]
    stop = [d for d in map(date_only, entity.values("endDate")) if d]
    if start:
        obj["start_time"] = stix_timestamp(start[0])
    if stop and (not start or stop[0] > start[0]):
        obj["stop_time"] = stix_timestamp(stop[0])
    if marking_refs:
        obj["object_marking_refs"] = list(marking_refs)
    return obj


def _entity(where: str, raw: Any) -> _Entity | ParseProblem:
    """The entity one JSON value of the file holds, or the problem that skips it."""
    # followthemoney takes over a second to import: it is loaded by the first FtM file read,
    # not by every node process and command that imports the importers.
    from followthemoney import model
    from followthemoney.exc import InvalidData

    if not isinstance(raw, dict):
        return ParseProblem(where, "is not a JSON object; skipped.")
    entity_id = raw.get("id")
    if not isinstance(entity_id, str) or not entity_id.strip():
        return ParseProblem(where, "has no 'id'; skipped.")
    if len(entity_id) > MAX_SHORT_TEXT_LENGTH:
        return ParseProblem(
            where,
            f"has an id of {len(entity_id):,} characters (at most "
            f"{MAX_SHORT_TEXT_LENGTH:,} are kept as a reference); skipped.",
        )
    schema = raw.get("schema")
    if not isinstance(schema, str) or model.get(schema) is None:
        return ParseProblem(
            f"{where} (id={trim(entity_id, 100)})",
            f"schema {trim(repr(schema), 100)} is not a FollowTheMoney schema; skipped.",
        )
    readable = raw
    if not isinstance(raw.get("properties", {}), dict):  # reported by _check_properties
        readable = {**raw, "properties": {}}
    try:
        proxy = model.get_proxy(readable, cleaned=False)
    except (InvalidData, TypeError, ValueError):
        return ParseProblem(
            f"{where} (id={trim(entity_id, 100)})",
            "FollowTheMoney cannot read the entity's properties; skipped.",
        )
    entity = _Entity(where, proxy, raw)
    _check_properties(entity)
    return entity


def _read_entities(data: bytes, problems: list[ParseProblem]) -> list[_Entity]:
    """The entities of the file, in file order; the values that are none go to ``problems``.
    Raises :class:`ImportFormatError` when nothing in it looks like an FtM entity."""
    entities: list[_Entity] = []
    read_any = False  # an object with a 'schema', as every FtM entity has
    for where, raw in _entities(data):
        read_any = read_any or (isinstance(raw, dict) and "schema" in raw)
        found = _entity(where, raw)
        if isinstance(found, ParseProblem):
            problems.append(found)
        else:
            entities.append(found)
    if not read_any:
        raise _not_ftm(data)
    return entities


class _Conversion:
    """The conversion of a file's entities: the result, the count of each kind of object, the
    identities by FtM id (what documents, relationships and sanctions refer to), progress."""

    def __init__(
        self,
        result: ParseResult,
        total: int,
        progress: Progress | None,
        created_by_ref: str,
        marking_refs: Sequence[str],
        fallback: str,
    ) -> None:
        self.result = result
        self.total = total
        self.progress = progress
        self.created_by_ref = created_by_ref
        self.marking_refs = marking_refs
        self.fallback = fallback
        self.done = 0
        self.counts: dict[str, int] = {}
        self.identities: dict[str, dict[str, Any]] = {}

    def count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    def finish(self, entity: _Entity) -> None:
        """``entity`` is done: its problems join the result's."""
        self.done += 1
        self.result.problems.extend(entity.problems)
        entity.problems = []
        if self.progress is not None:
            self.progress(self.done, self.total)

    def legal_entities(self, entities: list[_Entity]) -> list[_Entity]:
        """Convert the persons and organisations (a repeated id is skipped); the other
        entities, which refer to them, are returned for :meth:`others`."""
        seen: set[str] = set()
        later: list[_Entity] = []
        for entity in entities:
            schema = entity.proxy.schema
            if entity.proxy.id in seen:
                entity.problem("The id appears twice in the file; the second entity is skipped.")
                self.finish(entity)
                continue
            seen.add(entity.proxy.id)
            if schema.is_a("LegalEntity"):
                obj = _legal_entity(entity, self.created_by_ref, self.marking_refs, self.fallback)
                if obj is not None:
                    self.identities[entity.proxy.id] = obj
                    self.result.objects.append(obj)
                    self.count("persons" if schema.is_a("Person") else "organizations")
                self.finish(entity)
            else:
                later.append(entity)
        return later

    def others(self, later: list[_Entity]) -> None:
        """Convert documents, relationships and sanctions; skip any other schema."""
        identities = self.identities
        for entity in later:
            schema = entity.proxy.schema
            if schema.is_a("Identification"):
                holder = _ref(entity, "holder", identities)
                if holder is not None:
                    _document(entity, identities[entity.values("holder")[0]])
                    self.count("documents")
            elif schema.name in _EDGE_TYPES:
                rel = _relationship(
                    entity, identities, self.created_by_ref, self.marking_refs, self.fallback
                )
                if rel is not None:
                    self.result.objects.append(rel)
                    self.count("relationships")
            elif schema.is_a("Sanction"):
                if _ref(entity, "entity", identities) is not None:
                    _sanction(entity, identities[entity.values("entity")[0]])
                    self.count("sanctions")
            else:
                entity.problem(
                    f"FollowTheMoney schema {schema.name} is not imported (Person, Organization, "
                    "Company, LegalEntity, Passport, Identification, Membership, Associate and "
                    "Sanction are); skipped."
                )
                self.count("skipped")
            self.finish(entity)


def parse_ftm(
    data: bytes,
    *,
    created_by_ref: str,
    marking_refs: Sequence[str] = (),
    progress: Progress | None = None,
    fallback_timestamp: str | None = None,
) -> ParseResult:
    """Convert FollowTheMoney entities (JSON lines or a JSON array) into STIX objects.

    ``created``/``modified`` come from the entity's ``first_seen``/``last_change`` (OpenSanctions)
    or ``createdAt``/``modifiedAt``; entities without any use ``fallback_timestamp`` (default:
    now). Problems name the entity's line (or array index) and FtM id.
    """
    fallback = fallback_timestamp or now_timestamp()
    result = ParseResult(format="ftm")
    entities = _read_entities(data, result.problems)
    conversion = _Conversion(
        result, len(entities), progress, created_by_ref, marking_refs, fallback
    )
    later = conversion.legal_entities(entities)
    conversion.others(later)
    counts = conversion.counts
    counts["objects"] = len(result.objects)
    result.counts = counts
    return result
