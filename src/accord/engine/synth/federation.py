"""Synthetic STIX 2.1 intelligence: persons, organisations, threat actors, links, indicators.

Everything is deterministic from a seed (ids, names, dates), so that a demo, a test or a
benchmark can be reproduced exactly, and realistic where screening and analysis care: names in
Arabic, Cyrillic and Latin script with the romanisations real records carry, birth dates of
every precision, passports, E.164 phones, watchlist entries, membership networks with a few
cross-border bridges, and TLP 2.0 / Accord handling markings spread as an agency would set them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from accord.engine.stix.markings import (
    TLP_IDS,
    TLP_LEVELS,
    HandlingMarking,
    handling_marking_definition,
)
from accord.engine.stix.person import PERSON_EXTENSION_ID
from accord.engine.synth.geography import COUNTRIES, RESIDENCE_COUNTRIES, Country
from accord.engine.synth.names import CULTURES, ORGANISATION_PARTS, Culture, NamePart

__all__ = [
    "HANDLING_MARKINGS",
    "PersonFactory",
    "federation_bundle",
    "generate_federation_data",
    "iter_persons",
]

#: TLP colours of synthetic objects, weighted (mostly AMBER, as for police intelligence).
_TLP_WEIGHTED: Final = ("clear",) * 1 + ("green",) * 3 + ("amber",) * 5 + ("amber+strict",) * 1
#: Accord handling restrictions some synthetic persons carry (besides their TLP).
HANDLING_MARKINGS: Final[tuple[HandlingMarking, ...]] = (
    HandlingMarking(handling_code="H2", purposes=("counter-terrorism",)),
    HandlingMarking(
        handling_code="H1",
        releasable_to=("BE", "DE", "FR", "NL", "EUROPOL"),
        purposes=("counter-terrorism", "serious-crime"),
    ),
    HandlingMarking(
        handling_code="H3",
        restriction="Do not approach the subject; report sightings to the originator only.",
        purposes=("counter-terrorism", "border-security"),
    ),
)
_HANDLING_IDS: Final = tuple(m.id for m in HANDLING_MARKINGS)

_EPOCH_MS: Final = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp() * 1000)
_SPAN_MS: Final = 3 * 365 * 24 * 3600 * 1000  # records created over three years
_TODAY_YEAR: Final = 2026
_LETTERS: Final = "ABCDEFGHJKLMNPRSTUVWXYZ"
_ALNUM: Final = _LETTERS + "0123456789"
_REASONS: Final = (
    "Suspected member of a terrorist organisation",
    "Foreign terrorist fighter, returned from a conflict zone",
    "Suspected facilitator: travel and logistics",
    "Suspected financier: transfers to a listed organisation",
    "Recruitment and propaganda online",
    "Subject of a European Arrest Warrant for terrorist offences",
    "Associate of a convicted person; intelligence interest",
)
_ACTIONS: Final = (
    "discreet_check",
    "discreet_check",
    "specific_check",
    "inquiry_check",
    "arrest",
    "deny_entry",
    "notify_originator",
    "monitor",
)


def _timestamp(ms: int) -> str:
    """RFC 3339 with milliseconds and ``Z`` (STIX 2.1 section 3.2)."""
    dt = datetime.fromtimestamp(ms // 1000, UTC)
    return f"{dt:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


class PersonFactory:
    """Makes synthetic STIX objects from one random stream (one factory per data set)."""

    def __init__(self, seed: int, created_by_ref: str) -> None:
        self.rng = random.Random(seed)
        self.created_by_ref = created_by_ref
        self._rand = self.rng.random
        self._bits = self.rng.getrandbits

    # -- small draws -------------------------------------------------------------------------

    def _pick(self, seq: Sequence[Any]) -> Any:
        return seq[int(self._rand() * len(seq))]

    def stix_id(self, stix_type: str) -> str:
        """A version-4 UUID from the seeded stream (STIX 2.1 section 2.9)."""
        h = f"{self._bits(128):032x}"
        variant = "89ab"[int(h[16], 16) & 3]
        return f"{stix_type}--{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:32]}"

    def _times(self) -> tuple[str, str]:
        created = _EPOCH_MS + int(self._rand() * _SPAN_MS)
        modified = created if self._rand() < 0.7 else created + int(self._rand() * 9e9)
        return _timestamp(created), _timestamp(modified)

    def tlp(self) -> str:
        return str(self._pick(_TLP_WEIGHTED))

    def _format(self, pattern: str) -> str:
        out = []
        for ch in pattern:
            if ch == "A":
                out.append(self._pick(_LETTERS))
            elif ch == "9":
                out.append(str(int(self._rand() * 10)))
            elif ch == "X":
                out.append(self._pick(_ALNUM))
            else:
                out.append(ch)
        return "".join(out)

    def _phone(self, country: Country) -> str:
        width = country.phone_digits
        digits = str(int(self._rand() * 10**width)).zfill(width)
        return f"{self._pick(country.phone_prefixes)}{digits}"

    def _date(self, year: int) -> str:
        return f"{year:04d}-{1 + int(self._rand() * 12):02d}-{1 + int(self._rand() * 28):02d}"

    # -- names -------------------------------------------------------------------------------

    def _roman(self, part: NamePart) -> str:
        """A romanisation, most often the commonest one."""
        if len(part.latin) == 1 or self._rand() < 0.6:
            return part.latin[0]
        return part.latin[1 + int(self._rand() * (len(part.latin) - 1))]

    def _names(self, culture: Culture, female: bool) -> tuple[str, list[dict[str, Any]]]:
        given = self._pick(culture.female if female else culture.male)
        family = self._pick(culture.family)
        middle: NamePart | None = None
        if culture.father_name == "given" and self._rand() < 0.7:
            middle = self._pick(culture.male)
        elif culture.father_name == "patronymic":
            father = self._pick(_PATRONYMIC_FATHERS[culture.key])
            middle = _patronymic(father, female)
        if culture.feminine_family and female:
            family = NamePart(family.native + "\u0430", tuple(f + "a" for f in family.latin))
        parts = [given] + ([middle] if middle else []) + [family]
        if not culture.native_script:
            full = " ".join(p.native for p in parts)
            names: list[dict[str, Any]] = [
                {
                    "full_name": full,
                    "given_name": given.native,
                    "family_name": family.native,
                    "name_type": "primary",
                    "script": "Latn",
                    "lang": culture.lang,
                }
            ]
            return full, names
        native = " ".join(p.native for p in parts)
        middle_key = "patronymic" if culture.father_name == "patronymic" else "middle_name"
        native_entry: dict[str, Any] = {
            "full_name": native,
            "given_name": given.native,
            "family_name": family.native,
            "name_type": "primary",
            "script": culture.script,
            "lang": culture.lang,
        }
        if middle:
            native_entry[middle_key] = middle.native
        names = [native_entry]
        # The primary romanisation, then one to three others as aliases (as other records,
        # other clerks and other countries wrote the same name).
        seen: set[str] = set()
        wanted = 2 + int(self._rand() * 3)
        for attempt in range(8):
            romans = [self._roman(p) for p in parts] if attempt else [p.latin[0] for p in parts]
            full = " ".join(romans)
            if full in seen:
                continue
            seen.add(full)
            entry: dict[str, Any] = {
                "full_name": full,
                "given_name": romans[0],
                "family_name": romans[-1],
                "name_type": "primary" if not attempt else "alias",
                "script": "Latn",
            }
            if middle:
                entry[middle_key] = romans[1]
            names.append(entry)
            if len(seen) >= wanted:
                break
        if len(seen) == 1:
            # No other spelling exists: records then differ in order (family name first, as
            # in Russian usage and in passports' machine-readable zone).
            romans = [p.latin[0] for p in parts]
            reordered = [romans[-1], *romans[:-1]]
            alias = dict(names[1], full_name=" ".join(reordered), name_type="alias")
            names.append(alias)
        return names[1]["full_name"], names

    # -- objects -----------------------------------------------------------------------------

    def person(self, *, marking_refs: Sequence[str] | None = None) -> dict[str, Any]:
        """One ``identity`` (individual) with the Accord person-of-interest extension."""
        rand = self._rand
        culture: Culture = self._pick(CULTURES)
        female = rand() < 0.18
        name, names = self._names(culture, female)
        birth_country: str = self._pick(culture.countries)
        country = COUNTRIES[birth_country]
        year = _TODAY_YEAR - 18 - int(rand() * 47)
        r = rand()
        birth: list[dict[str, Any]]
        if r < 0.6:
            birth = [{"precision": "exact", "date": self._date(year)}]
        elif r < 0.72:
            birth = [{"precision": "month", "date": self._date(year)[:8] + "01"}]
        elif r < 0.84:
            birth = [{"precision": "year", "year": year}]
        elif r < 0.92:
            birth = [{"precision": "approximate", "year": year, "note": f"about {year}"}]
        else:
            birth = [{"precision": "between", "from_year": year - 2, "to_year": year + 2}]
        if rand() < 0.08:  # a second, conflicting date from another source
            birth.append({"precision": "exact", "date": self._date(year + 1)})
        nationalities = [birth_country]
        documents_country = birth_country
        if rand() < 0.35:
            residence: str = self._pick(RESIDENCE_COUNTRIES)
            if residence != birth_country:
                nationalities.append(residence)
                if rand() < 0.6:
                    documents_country = residence
        passport_country = COUNTRIES[documents_country]
        issued = self._date(_TODAY_YEAR - 1 - int(rand() * 8))
        ext: dict[str, Any] = {
            "extension_type": "property-extension",
            "subject_type": "person",
            "names": names,
            "birth_dates": birth,
            "birth_places": [{"city": self._pick(country.cities), "country": birth_country}],
            "nationalities": nationalities,
            "gender": "female" if female else "male",
            "documents": [
                {
                    "document_type": "passport",
                    "number": self._format(passport_country.passport),
                    "issuing_country": documents_country,
                    "issued_on": issued,
                    "expires_on": f"{int(issued[:4]) + 10}{issued[4:]}",
                }
            ],
            "phones": [self._phone(COUNTRIES[self._pick(nationalities)])],
        }
        if rand() < 0.3:
            ext["phones"].append(self._phone(COUNTRIES[self._pick(RESIDENCE_COUNTRIES)]))
        if rand() < 0.15:
            latin = next(n for n in names if n["script"] == "Latn")
            local = f"{latin['given_name']}.{latin['family_name']}".lower()
            local = "".join(c for c in local if c.isascii() and (c.isalnum() or c == "."))
            ext["emails"] = [f"{local or 'user'}{int(rand() * 100)}@example.org"]
        created, modified = self._times()
        if rand() < 0.15:
            listed = f"{created[:10]}"
            ext["watchlist"] = {
                "action": self._pick(_ACTIONS),
                "reason": self._pick(_REASONS),
                "listed_on": listed,
                "review_by": f"{int(listed[:4]) + 3}{listed[4:]}",
                "list_name": "National counter-terrorism watchlist",
                "reference": f"CT-{listed[:4]}-{int(rand() * 100000):05d}",
            }
        if marking_refs is None:
            refs = [TLP_IDS[self.tlp()]]
            if rand() < 0.1:
                refs.append(self._pick(_HANDLING_IDS))
        else:
            refs = list(marking_refs)
        return {
            "type": "identity",
            "spec_version": "2.1",
            "id": self.stix_id("identity"),
            "created": created,
            "modified": modified,
            "created_by_ref": self.created_by_ref,
            "name": name,
            "identity_class": "individual",
            "object_marking_refs": refs,
            "extensions": {PERSON_EXTENSION_ID: ext},
        }

    def organisation(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """A fictional organisation (``identity`` organization) and its ``threat-actor``."""
        script = self._pick(("Arab", "Arab", "Arab", "Cyrl", "Latn"))
        heads, tails = ORGANISATION_PARTS[script]
        head, tail = self._pick(heads), self._pick(tails)
        native = f"{head[0]} {tail[0]}"
        roman = f"{head[1]} {tail[1]}"
        names: list[dict[str, Any]] = [
            {"full_name": roman, "name_type": "primary", "script": "Latn"}
        ]
        if script != "Latn":
            names.insert(0, {"full_name": native, "name_type": "primary", "script": script})
        acronym = "".join(w[0] for w in roman.replace("al-", "").split() if w[0].isalpha())
        if len(acronym) > 1:
            names.append({"full_name": acronym.upper(), "name_type": "weak_alias"})
        created, modified = self._times()
        tlp = self.tlp()
        org_id = self.stix_id("identity")
        org = {
            "type": "identity",
            "spec_version": "2.1",
            "id": org_id,
            "created": created,
            "modified": modified,
            "created_by_ref": self.created_by_ref,
            "name": roman,
            "identity_class": "organization",
            "object_marking_refs": [TLP_IDS[tlp]],
            "extensions": {
                PERSON_EXTENSION_ID: {
                    "extension_type": "property-extension",
                    "subject_type": "organization",
                    "names": names,
                }
            },
        }
        actor = {
            "type": "threat-actor",
            "spec_version": "2.1",
            "id": self.stix_id("threat-actor"),
            "created": created,
            "modified": modified,
            "created_by_ref": self.created_by_ref,
            "name": roman,
            "aliases": [n["full_name"] for n in names if n["full_name"] != roman],
            "threat_actor_types": ["terrorist"],
            "roles": ["agent"],
            "sophistication": self._pick(("minimal", "intermediate", "advanced")),
            "resource_level": self._pick(("individual", "club", "organization")),
            "primary_motivation": "ideology",
            "object_marking_refs": [TLP_IDS[tlp]],
        }
        if not actor["aliases"]:
            del actor["aliases"]
        return org, actor

    def relationship(
        self, kind: str, source: dict[str, Any], target: dict[str, Any]
    ) -> dict[str, Any]:
        """A relationship marked with the stricter TLP of its two ends."""
        created, _ = self._times()
        tlp = max(_tlp_of(source), _tlp_of(target), key=TLP_LEVELS.index)
        return {
            "type": "relationship",
            "spec_version": "2.1",
            "id": self.stix_id("relationship"),
            "created": created,
            "modified": created,
            "created_by_ref": self.created_by_ref,
            "relationship_type": kind,
            "source_ref": source["id"],
            "target_ref": target["id"],
            "object_marking_refs": [TLP_IDS[tlp]],
        }

    def indicator(self) -> dict[str, Any]:
        """An indicator over documentation-range addresses and example domains (RFC 5737, 2606)."""
        r = self._rand()
        if r < 0.35:
            value = f"198.51.100.{1 + int(self._rand() * 254)}"
            pattern, label = f"[ipv4-addr:value = '{value}']", f"C2 server {value}"
        elif r < 0.7:
            value = f"{self._format('AAXX').lower()}-relay{int(self._rand() * 99)}.example.net"
            pattern, label = f"[domain-name:value = '{value}']", f"Propaganda relay {value}"
        else:
            value = f"{self._bits(256):064x}"
            pattern = f"[file:hashes.'SHA-256' = '{value}']"
            label = "Encrypted messenger dropper"
        created, _ = self._times()
        return {
            "type": "indicator",
            "spec_version": "2.1",
            "id": self.stix_id("indicator"),
            "created": created,
            "modified": created,
            "created_by_ref": self.created_by_ref,
            "name": label,
            "indicator_types": ["malicious-activity"],
            "pattern": pattern,
            "pattern_type": "stix",
            "valid_from": created,
            "object_marking_refs": [TLP_IDS[self._pick(("green", "amber"))]],
        }


_PATRONYMIC_FATHERS: Final[dict[str, tuple[NamePart, ...]]] = {
    "russian": (
        NamePart("Александрович", ("Aleksandrovich", "Alexandrovich")),
        NamePart("Сергеевич", ("Sergeevich", "Sergeyevich")),
        NamePart("Иванович", ("Ivanovich",)),
        NamePart("Николаевич", ("Nikolaevich", "Nikolayevich")),
        NamePart("Викторович", ("Viktorovich", "Victorovich")),
    ),
    "chechen": (
        NamePart("Ахмедович", ("Akhmedovich", "Ahmedovich")),
        NamePart("Магомедович", ("Magomedovich",)),
        NamePart("Русланович", ("Ruslanovich",)),
        NamePart("Шамилевич", ("Shamilevich",)),
        NamePart("Хасанович", ("Khasanovich", "Hasanovich")),
    ),
    "uzbek": (
        NamePart("Рустамович", ("Rustamovich",)),
        NamePart("Азизович", ("Azizovich",)),
        NamePart("Тимурович", ("Timurovich",)),
        NamePart("Бахтиёрович", ("Bakhtiyorovich", "Baxtiyorovich")),
        NamePart("Каримович", ("Karimovich",)),
    ),
}


def _patronymic(father: NamePart, female: bool) -> NamePart:
    if not female:
        return father
    native = father.native.replace("ович", "овна").replace("евич", "евна")
    latin = tuple(s.replace("ovich", "ovna").replace("evich", "evna") for s in father.latin)
    return NamePart(native, latin)


def _tlp_of(obj: dict[str, Any]) -> str:
    for ref in obj.get("object_marking_refs", ()):
        for colour, tlp_id in TLP_IDS.items():
            if ref == tlp_id:
                return colour
    return "clear"


def iter_persons(
    seed: int,
    n: int,
    *,
    created_by_ref: str,
    marking_refs: Sequence[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield ``n`` synthetic persons, one at a time (for benchmarks at millions of entries).

    With ``marking_refs`` every person carries exactly those markings; otherwise TLP colours
    (and a few Accord handling markings, see :data:`HANDLING_MARKINGS`) are spread at random.
    """
    factory = PersonFactory(seed, created_by_ref)
    for _ in range(n):
        yield factory.person(marking_refs=marking_refs)


def generate_federation_data(
    seed: int, persons: int, *, created_by_ref: str
) -> list[dict[str, Any]]:
    """A complete synthetic data set: handling marking definitions, ``persons`` persons, about
    one organisation and threat actor per 40 persons, membership and association networks,
    attributions, and a few indicators with what they indicate.

    Persons in the same organisation are mostly associated with each other (communities); one
    association in ten crosses organisations (the bridges network analysis should find).
    """
    factory = PersonFactory(seed, created_by_ref)
    rand = factory.rng.random
    out: list[dict[str, Any]] = [handling_marking_definition(m) for m in HANDLING_MARKINGS]
    people = [factory.person() for _ in range(persons)]
    out += people
    orgs: list[dict[str, Any]] = []
    actors: list[dict[str, Any]] = []
    for _ in range(max(3, persons // 40) if persons else 0):
        org, actor = factory.organisation()
        orgs.append(org)
        actors.append(actor)
    out += orgs + actors
    members: list[list[dict[str, Any]]] = [[] for _ in orgs]
    for person in people:
        if orgs and rand() < 0.6:
            k = int(rand() * len(orgs))
            members[k].append(person)
            out.append(factory.relationship("member-of", person, orgs[k]))
    for org, actor in zip(orgs, actors, strict=True):
        out.append(factory.relationship("attributed-to", actor, org))
    for k, group in enumerate(members):
        for person in group:
            for _ in range(int(rand() * 3)):
                if rand() < 0.1 or len(group) < 2:
                    other_group = members[int(rand() * len(members))] or group
                else:
                    other_group = members[k]
                other = other_group[int(rand() * len(other_group))]
                if other["id"] != person["id"]:
                    out.append(factory.relationship("associated-with", person, other))
    for _ in range(len(actors) // 2 + 2 if actors else 0):
        indicator = factory.indicator()
        out.append(indicator)
        out.append(factory.relationship("indicates", indicator, actors[int(rand() * len(actors))]))
    return out


def federation_bundle(seed: int, persons: int, *, created_by_ref: str) -> dict[str, Any]:
    """:func:`generate_federation_data` wrapped in a STIX 2.1 ``bundle``."""
    objects = generate_federation_data(seed, persons, created_by_ref=created_by_ref)
    bundle_id = PersonFactory(seed ^ 0x5EED, created_by_ref).stix_id("bundle")
    return {"type": "bundle", "id": bundle_id, "objects": objects}
