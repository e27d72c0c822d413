"""Screening the UN list against itself: an altered copy must find its entries, other listed
people must not raise alerts (the shape of the outside probe in docs/matching.md, on the copy of
the UN Security Council Consolidated List in ``../shared/data/un-sc-consolidated``).

The index holds every listed individual with all its names (primary, aliases, original script),
birth date and nationalities, as a node's watchlist does.

* **Altered copy**: each individual's primary name changed once (the alteration chosen by a
  fixed seed: a typo in one part, the family name first after a comma, a middle part dropped,
  diacritics and case lost, two parts glued), with its birth date and nationalities; recall is
  the share whose own entry scores at or above the threshold.
* **Non-listed people** (Faker's real given and family names of 18 locales, combined at random,
  two lists of 1,000, with and without a birth date): the share with any entry at or above the
  threshold.
* **Listed namesakes**: each individual's primary name (with and without its birth date)
  screened against the index without that individual: any other entry at or above the
  threshold is a false alert. These are hard negatives (relatives and namesakes on the list
  share family and given names), harder than a list of ordinary travellers.

Usage: .venv/bin/python scripts/un_screen_eval.py [--xml PATH] [--algorithm NAME] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import unicodedata
from pathlib import Path

from accord.engine.imports.un_xml import parse_un_xml
from accord.engine.matching import DEFAULT, Person, WatchlistIndex, get_algorithm
from accord.engine.stix.person import PERSON_EXTENSION_ID, matching_birth_dates

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "un-sc-consolidated"
NODE = "identity--5a1c8f0e-2b7d-4c3e-9f1a-6d2e8b4c7a90"


def individuals(path: Path) -> list[Person]:
    result = parse_un_xml(path.read_bytes(), created_by_ref=NODE)
    people = []
    for obj in result.objects:
        if obj["identity_class"] != "individual":
            continue
        ext = obj["extensions"][PERSON_EXTENSION_ID]
        names = tuple(dict.fromkeys(n["full_name"] for n in ext["names"] if n["full_name"]))
        people.append(
            Person(
                names,
                next(iter(matching_birth_dates(ext)), ""),
                tuple(ext.get("nationalities", ())),
                id=obj["id"],
            )
        )
    return people


def alter(name: str, rng: random.Random) -> tuple[str, str]:
    parts = name.split()
    kinds = ["typo", "diacritics"]
    if len(parts) >= 2:
        kinds += ["family first", "glued"]
    if len(parts) >= 3:
        kinds.append("middle dropped")
    kind = rng.choice(kinds)
    if kind == "typo":
        i = max(range(len(parts)), key=lambda k: len(parts[k]))
        word = parts[i]
        if len(word) >= 4:
            j = rng.randrange(1, len(word) - 1)
            word = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        parts[i] = word
        return " ".join(parts), kind
    if kind == "diacritics":
        plain = unicodedata.normalize("NFKD", name)
        return "".join(c for c in plain if not unicodedata.combining(c)).lower(), kind
    if kind == "family first":
        return f"{parts[-1]}, {' '.join(parts[:-1])}", kind
    if kind == "glued":
        return " ".join([parts[0] + parts[1], *parts[2:]]), kind
    return " ".join([parts[0], *parts[2:]]), kind


#: Two lists of people who are not listed: names drawn from Faker's lists of real given and
#: family names per locale (combined at random), with a birth date between 1950 and 2000.
LATIN_LOCALES = ("en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "pl_PL", "tr_TR", "id_ID", "az_AZ")
OTHER_LOCALES = ("ar_AA", "ar_SA", "fa_IR", "ru_RU", "uk_UA", "zh_CN", "ko_KR", "he_IL", "ja_JP")


def travellers(locales: tuple[str, ...], count: int, seed: int) -> list[Person]:
    from faker import Faker

    fakers = [Faker(loc) for loc in locales]
    rng = random.Random(seed)
    out = []
    for i, fake in enumerate(fakers * (count // len(fakers) + 1)):
        if len(out) == count:
            break
        fake.seed_instance(seed * 1000 + i)
        name = f"{fake.first_name()} {fake.last_name()}"
        born = f"{rng.randint(1950, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        out.append(Person((name,), born))
    return out


def false_alerts(index: WatchlistIndex, people: list[Person], threshold: float) -> dict:
    with_date = name_only = 0
    for person in people:
        with_date += any(c.score >= threshold for c in index.search(person, limit=3))
        bare = Person(person.names)
        name_only += any(c.score >= threshold for c in index.search(bare, limit=3))
    n = len(people)
    return {"people": n, "with_birth_date": round(with_date / n, 4),
            "name_only": round(name_only / n, 4)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xml", type=Path, default=DATA / "consolidated_2018-10-29.xml")
    parser.add_argument("--algorithm", default=DEFAULT.name)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    algorithm = get_algorithm(args.algorithm)
    people = individuals(args.xml)
    index = WatchlistIndex(algorithm)
    index.add_many(people)
    threshold = algorithm.threshold
    rng = random.Random(args.seed)

    found, by_kind = 0, {}
    for person in people:
        altered, kind = alter(person.names[0], rng)
        query = Person((altered,), person.birth_date, person.nationalities)
        top = index.search(query, limit=5)
        hit = any(c.person.id == person.id and c.score >= threshold for c in top)
        found += hit
        n, k = by_kind.get(kind, (0, 0))
        by_kind[kind] = (n + 1, k + hit)

    false_with_date = false_name_only = 0
    for person in people:
        for query, counter in (
            (Person((person.names[0],), person.birth_date, person.nationalities), "date"),
            (Person((person.names[0],)), "name"),
        ):
            top = index.search(query, limit=5)
            other = any(c.person.id != person.id and c.score >= threshold for c in top)
            if counter == "date":
                false_with_date += other
            else:
                false_name_only += other
    n = len(people)
    try:
        lists = {
            "latin_locales": false_alerts(index, travellers(LATIN_LOCALES, 1000, 1), threshold),
            "other_locales": false_alerts(index, travellers(OTHER_LOCALES, 1000, 2), threshold),
        }
    except ImportError:
        lists = {"skipped": "Faker is not installed"}
    result = {
        "algorithm": f"{algorithm.name} v{algorithm.version}",
        "threshold": threshold,
        "individuals": n,
        "altered_recall": round(found / n, 4),
        "altered_recall_by_kind": {k: round(h / t, 4) for k, (t, h) in sorted(by_kind.items())},
        "listed_namesakes_false_alert_rate_with_birth_date": round(false_with_date / n, 4),
        "listed_namesakes_false_alert_rate_name_only": round(false_name_only / n, 4),
        "non_listed_false_alert_rate": lists,
    }
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
