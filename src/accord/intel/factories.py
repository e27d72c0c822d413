# ruff: noqa: RUF001
"""Synthetic STIX objects for tests and benchmarks (no database access).

:func:`person_object` builds one person of interest (an ``identity`` with the Accord person
extension: a Latin name with Arabic- or Cyrillic-script variants, a birth date, a passport, a
phone); :func:`synthetic_objects` yields a reproducible mix of persons, indicators and
relationships, fast enough to feed a million-record import.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any, Final

from accord.engine.stix.markings import TLP_IDS
from accord.engine.stix.person import PERSON_EXTENSION_ID

__all__ = [
    "BENCH_CREATOR",
    "FAMILY",
    "GIVEN",
    "person_object",
    "synthetic_objects",
]

BENCH_CREATOR: Final = "identity--0f5c0e1e-5b4e-4a7b-9c6a-3d2f1e0b9a87"
_NS: Final = uuid.UUID("7d1f6b8a-2c3e-4f5a-8b9c-0d1e2f3a4b5c")

#: (Latin, Arabic, Cyrillic) spellings of given and family names.
GIVEN: Final = [
    ("Mohammed", "محمد", "Мухаммед"),
    ("Ahmed", "أحمد", "Ахмед"),
    ("Omar", "عمر", "Омар"),
    ("Yusuf", "يوسف", "Юсуф"),
    ("Ibrahim", "إبراهيم", "Ибрагим"),
    ("Khalid", "خالد", "Халид"),
    ("Hassan", "حسن", "Хасан"),
    ("Ali", "علي", "Али"),
    ("Tariq", "طارق", "Тарик"),
    ("Karim", "كريم", "Карим"),
    ("Bilal", "بلال", "Билал"),
    ("Hamza", "حمزة", "Хамза"),
    ("Mustafa", "مصطفى", "Мустафа"),
    ("Samir", "سمير", "Самир"),
    ("Nabil", "نبيل", "Набиль"),
    ("Fatima", "فاطمة", "Фатима"),
    ("Aisha", "عائشة", "Аиша"),
    ("Layla", "ليلى", "Лейла"),
    ("Ivan", "إيفان", "Иван"),
    ("Dmitri", "ديمتري", "Дмитрий"),
    ("Sergei", "سيرغي", "Сергей"),
    ("Ruslan", "رسلان", "Руслан"),
    ("Timur", "تيمور", "Тимур"),
    ("Zaur", "زاور", "Заур"),
]
FAMILY: Final = [
    ("Haddad", "حداد", "Хаддад"),
    ("Mansour", "منصور", "Мансур"),
    ("Nasser", "ناصر", "Насер"),
    ("Saleh", "صالح", "Салех"),
    ("Khoury", "خوري", "Хури"),
    ("Rahman", "رحمن", "Рахман"),
    ("Aziz", "عزيز", "Азиз"),
    ("Hakim", "حكيم", "Хаким"),
    ("Qasim", "قاسم", "Касим"),
    ("Jaber", "جابر", "Джабер"),
    ("Farouk", "فاروق", "Фарук"),
    ("Zayed", "زايد", "Заид"),
    ("Petrov", "بيتروف", "Петров"),
    ("Ivanov", "إيفانوف", "Иванов"),
    ("Sokolov", "سوكولوف", "Соколов"),
    ("Basayev", "باساييف", "Басаев"),
    ("Umarov", "عمروف", "Умаров"),
    ("Kadyrov", "قديروف", "Кадыров"),
    ("Aliyev", "علييف", "Алиев"),
    ("Nazarov", "نزاروف", "Назаров"),
    ("Yusupov", "يوسوبوف", "Юсупов"),
    ("Al-Masri", "المصري", "Аль-Масри"),
    ("Al-Iraqi", "العراقي", "Аль-Ираки"),
    ("Al-Shami", "الشامي", "Аль-Шами"),
]
#: Extra syllables so that family names are many (prefix search meets realistic spreads).
_SUFFIXES: Final = ["", "i", "ov", "an", "in", "ani", "ski", "zade", "oglu", "ev"]
_TLPS: Final = ["clear", "green", "green", "amber", "amber", "amber", "amber+strict", "red"]


def _sid(kind: str, key: str) -> str:
    return f"{kind}--{uuid.uuid5(_NS, key)}"


def person_object(
    n: int,
    *,
    rng: random.Random | None = None,
    tlp: str = "amber",
    created_by_ref: str = BENCH_CREATOR,
    modified: str = "2026-01-02T03:04:05.000Z",
    extra_refs: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Person number ``n``: deterministic names in Latin and Arabic or Cyrillic script."""
    rng = rng or random.Random(n)
    gi = rng.randrange(len(GIVEN))
    fi = rng.randrange(len(FAMILY))
    suffix = _SUFFIXES[rng.randrange(len(_SUFFIXES))]
    given, family = GIVEN[gi], FAMILY[fi]
    latin = f"{given[0]} {family[0]}{suffix}"
    other = 1 + (n % 2)
    variant = f"{given[other]} {family[other]}"
    year = 1950 + rng.randrange(55)
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": _sid("identity", f"person-{n}"),
        "created_by_ref": created_by_ref,
        "created": "2026-01-02T03:04:05.000Z",
        "modified": modified,
        "name": latin,
        "identity_class": "individual",
        "object_marking_refs": [TLP_IDS[tlp], *extra_refs],
        "extensions": {
            PERSON_EXTENSION_ID: {
                "extension_type": "property-extension",
                "subject_type": "person",
                "names": [
                    {"full_name": latin, "name_type": "primary", "script": "Latn"},
                    {
                        "full_name": variant,
                        "name_type": "alias",
                        "script": "Arab" if other == 1 else "Cyrl",
                    },
                ],
                "birth_dates": [
                    {"precision": "exact", "date": f"{year}-{1 + n % 12:02d}-{1 + n % 28:02d}"}
                ],
                "nationalities": [["IQ", "SY", "RU", "FR", "DE", "TR"][n % 6]],
                "documents": [
                    {"document_type": "passport", "number": f"P{n:08d}", "issuing_country": "IQ"}
                ],
                "phones": [f"+4479{n:08d}"],
            }
        },
    }


def _indicator(n: int, tlp: str) -> dict[str, Any]:
    octets = f"{10 + n % 200}.{(n // 200) % 256}.{(n // 51200) % 256}.{n % 251}"
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": _sid("indicator", f"indicator-{n}"),
        "created_by_ref": BENCH_CREATOR,
        "created": "2026-01-02T03:04:05.000Z",
        "modified": "2026-01-02T03:04:05.000Z",
        "name": f"C2 server {octets}",
        "pattern": f"[ipv4-addr:value = '{octets}']",
        "pattern_type": "stix",
        "valid_from": "2026-01-02T03:04:05Z",
        "indicator_types": ["malicious-activity"],
        "object_marking_refs": [TLP_IDS[tlp]],
    }


def synthetic_objects(count: int, *, seed: int = 7, start: int = 0) -> Iterator[dict[str, Any]]:
    """``count`` objects: 80% persons, 10% indicators, 10% relationships (person -> indicator)."""
    rng = random.Random(seed + start)
    for n in range(start, start + count):
        tlp = _TLPS[rng.randrange(len(_TLPS))]
        kind = n % 10
        if kind == 8:
            yield _indicator(n, tlp)
        elif kind == 9:
            yield {
                "type": "relationship",
                "spec_version": "2.1",
                "id": _sid("relationship", f"rel-{n}"),
                "created_by_ref": BENCH_CREATOR,
                "created": "2026-01-02T03:04:05.000Z",
                "modified": "2026-01-02T03:04:05.000Z",
                "relationship_type": "related-to",
                "source_ref": _sid("identity", f"person-{n - 9}"),
                "target_ref": _sid("indicator", f"indicator-{n - 1}"),
                "object_marking_refs": [TLP_IDS[tlp]],
            }
        else:
            yield person_object(n, tlp=tlp)
