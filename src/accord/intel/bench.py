# ruff: noqa: RUF001
"""Synthetic STIX objects for the store benchmark and tests (no database access).

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
    "bench_queries",
    "person_object",
    "run_store_bench",
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


# --------------------------------------------------------------------------------------------
# The benchmark itself (needs Django set up on a fresh data directory).


def validator_baselines(sample: list[dict[str, Any]]) -> dict[str, Any]:
    """Objects/s of Accord's validator and of the reference tools on the same objects, measured
    in this run: ``stix2-validator`` (OASIS) and the ``stix2`` parser. The reference tools are
    test dependencies; where one is absent its figure is None."""
    import time

    from accord.engine.stix.validate import measure_validator_throughput

    out: dict[str, Any] = {
        "sample_objects": len(sample),
        "accord_validator_objects_per_s": round(measure_validator_throughput(sample, 3)),
        "stix2_validator_objects_per_s": None,
        "stix2_parse_objects_per_s": None,
    }
    try:
        from stix2validator import ValidationOptions, validate_instance
    except ImportError:  # a test dependency: without it the figure stays None
        validate_instance = None
    if validate_instance is not None:
        options = ValidationOptions(version="2.1", silent=True)
        few = sample[:200]
        started = time.perf_counter()
        for obj in few:
            validate_instance(obj, options)
        out["stix2_validator_objects_per_s"] = round(len(few) / (time.perf_counter() - started))
    try:
        import stix2
    except ImportError:  # likewise
        stix2 = None
    if stix2 is not None:
        few = sample[:1000]
        started = time.perf_counter()
        for obj in few:
            stix2.parse(obj, allow_custom=True)
        out["stix2_parse_objects_per_s"] = round(len(few) / (time.perf_counter() - started))
    return out


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


def bench_queries(count: int, records: int, *, seed: int = 11) -> list[Any]:
    """``count`` mixed searches: name prefix, full name (three scripts), identifier, filters."""
    from accord.intel.search import SearchQuery

    rng = random.Random(seed)
    persons = [n for n in range(records) if n % 10 < 8] or [0]
    out: list[Any] = []
    for i in range(count):
        kind = i % 5
        if kind == 0:
            family = FAMILY[rng.randrange(len(FAMILY))][0]
            out.append(SearchQuery(text=family[: 3 + rng.randrange(3)]))
        elif kind == 1:
            person = person_object(rng.choice(persons))
            out.append(SearchQuery(text=str(person["name"])))
        elif kind == 2:
            person = person_object(rng.choice(persons))
            names = person["extensions"][PERSON_EXTENSION_ID]["names"]
            out.append(SearchQuery(text=str(names[1]["full_name"])))
        elif kind == 3:
            out.append(SearchQuery(identifier=f"P{rng.choice(persons):08d}"))
        else:
            out.append(
                SearchQuery(
                    stix_type=rng.choice(["identity", "indicator"]),
                    tlp=[rng.choice(["green", "amber", "clear"])],
                )
            )
    return out


def run_store_bench(
    size: int,
    *,
    batch: int = 50_000,
    queries: int = 300,
    progress: Any = None,
) -> dict[str, Any]:
    """Import ``size`` synthetic objects through ``ingest_objects`` and time searches.

    Runs against the database Django is set up on (the caller makes a fresh data directory).
    Returns records, import seconds and objects/s, and search p50/p95/p99 in milliseconds.
    """
    import time

    from django.db import connection

    from accord.accounts.services import add_user
    from accord.intel.models import Record
    from accord.intel.search import search_records
    from accord.intel.services import ingest_objects

    baseline = validator_baselines(list(synthetic_objects(min(size, 2_000), start=0)))
    import_seconds = 0.0
    done = 0
    while done < size:
        count = min(batch, size - done)
        objects = list(synthetic_objects(count, start=done))
        started = time.perf_counter()
        report = ingest_objects(None, objects, source=f"bench batch {done // batch}")
        import_seconds += time.perf_counter() - started
        if not report.ok:
            raise RuntimeError(f"bench import refused: {report.refused[:3]}")
        done += count
        if progress is not None:
            progress("import", done, size)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    analyst = add_user(None, "bench-analyst", role="analyst", password=None, agency="ctu")
    timings: list[float] = []
    results: list[int] = []
    plan = bench_queries(queries, size)
    for i, query in enumerate(plan):
        started = time.perf_counter()
        page = search_records(analyst, query, purpose="counter-terrorism")
        timings.append((time.perf_counter() - started) * 1000)
        results.append(len(page.results))
        if progress is not None and (i + 1) % 30 == 0:
            progress("search", i + 1, len(plan))
    return {
        "records": Record.objects.count(),
        "objects": size,
        "import_seconds": round(import_seconds, 2),
        "import_objects_per_s": round(size / import_seconds) if import_seconds else None,
        "search_queries": len(plan),
        "search_p50_ms": round(_percentile(timings, 0.50), 2),
        "search_p95_ms": round(_percentile(timings, 0.95), 2),
        "search_p99_ms": round(_percentile(timings, 0.99), 2),
        "search_max_ms": round(max(timings), 2) if timings else 0.0,
        "search_with_results": sum(1 for r in results if r),
        "baseline": baseline,
        "import_vs_stix2_validator": (
            round(size / import_seconds / baseline["stix2_validator_objects_per_s"], 1)
            if import_seconds and baseline.get("stix2_validator_objects_per_s")
            else None
        ),
    }
