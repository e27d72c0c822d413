"""Quality: the UN Consolidated List's own aliases must find their entry (issue 5).

The list is imported with the node's importer (``parse_un_xml``); a ``WatchlistIndex`` holds one
entry per listed person or organisation with its *primary* name only (FIRST_NAME..FOURTH_NAME),
its birth date and nationalities. Every other name the list gives for the entry (good-quality
aliases, low-quality aliases, former names, the name in original script) is then screened alone,
as a name-only query, and must bring back its own entry:

* ``top5``: the entry is among the first five results (whatever the score): the analyst sees it;
* ``threshold``: the entry is among them with a score at or above the algorithm's threshold (an
  alert is raised).

Two kinds of alias cannot be found by comparing names, and are counted apart by explicit rules
(``exclusion``), never dropped silently:

* ``different name``: the alias shares no name part with the primary name (no pair of parts,
  romanised and respelled, at Levenshtein similarity 0.75 or more, nor with the same phonetic
  skeleton): a nom de guerre, a kunya (``Abu Hamza``), a changed name, an acronym. A name
  matcher cannot link two unrelated names; screening finds these because the node indexes
  every name of an entry (``screening`` app), which this test deliberately does not.
* ``one part``: of two or more parts, the alias shares only one with the primary name, the
  others are different names (``Muhammad Syawal`` for ``Yassin Syawal``): by name alone this is
  the pattern of a namesake (same family name, another given name), which the matcher is
  designed to refuse (the benchmark's ``hard_same_family`` and ``hard_same_given`` negatives).
* ``one word``: the alias has a single name part (``Yusuf``, ``Al-Qahtani``): one word is shared
  by many listed persons and cannot single one out; such queries are expected to score under the
  threshold (measured, not asserted).

Organisations are reported but not asserted: the matcher is built for personal names (particles,
patronymics, transliteration) and organisation names differ by generic words (``Charitable`` /
``Charity``) that it treats as name parts.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rapidfuzz.distance import Levenshtein

from accord.engine.imports.un_xml import parse_un_xml
from accord.engine.matching import Person, WatchlistIndex
from accord.engine.matching.normalize import name_form
from accord.engine.stix.person import PERSON_EXTENSION_ID, matching_birth_dates

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "matching" / "un_aliases.xml"
NODE = "identity--5a1c8f0e-2b7d-4c3e-9f1a-6d2e8b4c7a90"
#: Two name parts are "the same part" at this Levenshtein similarity (or the same skeleton).
PART_SIMILARITY = 0.75


@dataclass(frozen=True, slots=True)
class Case:
    entry_id: str
    primary: str
    alias: str
    category: str  # alias | weak_alias | former | original_script
    subject: str  # individual | organization
    exclusion: str  # "" (asserted), "different name", "one part", "one word"


def _shared_parts(alias: str, primary: str) -> int:
    """How many parts of the alias are a part of the primary name (spelling aside)."""
    a, p = name_form(alias), name_form(primary)
    p_parts = list(zip(p.content, p.content_skeletons, strict=False))
    return sum(
        any(
            sa == sp or Levenshtein.normalized_similarity(ta, tp) >= PART_SIMILARITY
            for tp, sp in p_parts
        )
        for ta, sa in zip(a.content, a.content_skeletons, strict=False)
    )


def _exclusion(alias: str, primary: str) -> str:
    shared = _shared_parts(alias, primary)
    if shared == 0:
        return "different name"
    if len(name_form(alias).content) < 2:
        return "one word"
    if shared == 1:
        return "one part"
    return ""


def load(path: Path) -> tuple[WatchlistIndex, list[Case]]:
    """The index of primary names and the alias cases of a UN list file."""
    result = parse_un_xml(path.read_bytes(), created_by_ref=NODE)
    index = WatchlistIndex()
    cases: list[Case] = []
    for obj in result.objects:
        ext = obj["extensions"][PERSON_EXTENSION_ID]
        names = ext["names"]
        primary = names[0]["full_name"]
        index.add(
            Person(
                (primary,),
                next(iter(matching_birth_dates(ext)), ""),
                tuple(ext.get("nationalities", ())),
                ext.get("gender") or "",
                id=obj["id"],
            )
        )
        for n in names[1:]:
            category = "original_script" if n["name_type"] == "primary" else n["name_type"]
            cases.append(
                Case(
                    obj["id"],
                    primary,
                    n["full_name"],
                    category,
                    obj["identity_class"],
                    _exclusion(n["full_name"], primary),
                )
            )
    return index, cases


@dataclass
class Figures:
    total: Counter[tuple[str, str, str]]
    top5: Counter[tuple[str, str, str]]
    threshold: Counter[tuple[str, str, str]]

    def share(self, which: Counter[tuple[str, str, str]], keep: Any) -> float:
        n = sum(v for k, v in self.total.items() if keep(k))
        return sum(v for k, v in which.items() if keep(k)) / max(n, 1)

    def report(self) -> str:
        lines = [f"{'subject':<13}{'category':<16}{'exclusion':<15}{'n':>5}{'top5':>7}{'thr':>7}"]
        for k in sorted(self.total):
            n = self.total[k]
            lines.append(
                f"{k[0]:<13}{k[1]:<16}{k[2] or '-':<15}{n:>5}"
                f"{self.top5[k] / n:>7.3f}{self.threshold[k] / n:>7.3f}"
            )
        return "\n".join(lines)


def screen(index: WatchlistIndex, cases: list[Case]) -> Figures:
    """Screens each alias alone; counts, per (subject, category, exclusion), the finds."""
    threshold = index.algorithm.threshold
    figures = Figures(Counter(), Counter(), Counter())
    for case in cases:
        key = (case.subject, case.category, case.exclusion)
        top = index.search(Person((case.alias,)), limit=5)
        mine = [c for c in top if c.person.id == case.entry_id]
        figures.total[key] += 1
        figures.top5[key] += bool(mine)
        figures.threshold[key] += bool(mine) and mine[0].score >= threshold
    return figures


def _asserted(key: tuple[str, str, str]) -> bool:
    return key[0] == "individual" and not key[2]


def test_fixture_aliases_find_their_entry() -> None:
    """Invented entries (tests/fixtures/matching): spelling, transliteration, script variants."""
    index, cases = load(FIXTURE)
    by_alias = {c.alias: c.exclusion for c in cases}
    # the rules put each invented alias where it belongs
    assert by_alias["Abu Hamza"] == "one word"  # a kunya: Hamza is a part of the name
    assert by_alias["Abu Bakr al-Iraqi"] == "different name"
    assert by_alias["Emir Ruslan"] == "one part"  # a title and the given name
    assert by_alias["NCCF"] == "different name"  # acronym
    assert by_alias["Yusuf"] == "one word"
    assert by_alias["Al-Qahtani"] == "one word"
    assert by_alias["Halid Abdurrahman Kahtani"] == ""
    assert by_alias["خالد عبد الرحمن حمزة القحطاني"] == ""
    figures = screen(index, cases)
    print("\n" + figures.report())
    found = figures.share(figures.top5, _asserted)
    alerted = figures.share(figures.threshold, _asserted)
    print(f"individual aliases found in the top 5: {found:.3f}, at the threshold: {alerted:.3f}")
    assert found == 1.0
    assert alerted >= ALERT_FLOOR_FIXTURE


def test_un_list_aliases_find_their_entry(shared_data: Path) -> None:
    """The real list (2018-10-29): every alias screened against the primary names."""
    path = shared_data / "un-sc-consolidated" / "consolidated_2018-10-29.xml"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    index, cases = load(path)
    figures = screen(index, cases)
    print("\n" + figures.report())
    found = figures.share(figures.top5, _asserted)
    alerted = figures.share(figures.threshold, _asserted)
    everything = figures.share(figures.top5, lambda k: True)
    print(
        f"individual aliases (rules applied) found in the top 5: {found:.3f}, at the threshold: "
        f"{alerted:.3f}; all {len(cases)} names, top 5: {everything:.3f}"
    )
    assert found >= TOP5_FLOOR
    assert alerted >= ALERT_FLOOR


#: Measured with accord-name-v4: 0.974 in the top 5, 0.717 at the threshold. With accord-name-v3
#: (calibrated threshold 0.9005; docs/matching.md). The real list,
#: individual aliases sharing two parts or more with the primary name: 0.974 in the top 5, 0.705
#: at the threshold (0.654 at 0.9073; accord-name-v2: 0.966 and 0.331: its weights punished
#: dropped parts hard; v3's first fit, threshold 0.936: 0.966 and 0.696, with more false
#: alerts on travellers whose names are in other scripts, docs/matching.md). The fixture: 1.0
#: and 1.0 (v2: 0.462). The floors keep a small margin.
TOP5_FLOOR = 0.95
ALERT_FLOOR = 0.68
ALERT_FLOOR_FIXTURE = 0.9
