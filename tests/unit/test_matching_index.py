"""The watchlist index: the vectorised pre-score equals a pure-Python full read, batches,
add/revoke/replace without a rebuild."""

from __future__ import annotations

import heapq
from dataclasses import replace
from functools import cache

from accord.engine.matching import Person, WatchlistIndex
from accord.engine.matching.synthetic import Entry, Query, generate, queries


@cache
def _watchlist() -> tuple[WatchlistIndex, list[Entry], list[Query]]:
    entries = list(generate(4000, seed=31))
    index = WatchlistIndex()
    index.add_many(e.person for e in entries)
    return index, entries, queries(entries, {e.identity for e in entries}, 400, seed=32)


def _reference(index: WatchlistIndex, query: Person, pool: int) -> list[int]:
    """The best ``pool`` live slots by pre-score, in pure Python: every found key read for
    every slot, +2 for the exact birth date, ties to the higher slot."""
    acc: dict[int, float] = {}
    for _, w, p in index._found_keys(query):
        for s in (p,) if isinstance(p, int) else p:
            acc[s] = acc.get(s, 0.0) + w
    scored = []
    for s, v in acc.items():
        person = index._people[s]
        if person is None:
            continue
        bonus = 2.0 if query.birth_date and person.birth_date == query.birth_date else 0.0
        scored.append((v + bonus, s))
    return [s for _, s in heapq.nlargest(pool, scored)]


def test_numpy_pre_score_equals_the_python_reference() -> None:
    entries = list(generate(3000, seed=41))
    index = WatchlistIndex()
    index.add_many(e.person for e in entries)
    qs = queries(entries, {e.identity for e in entries}, 2500, seed=42)
    for e in entries[::9]:  # tombstoned slots (fewer than a quarter: not compacted away)
        assert index.revoke(e.person.id)
    assert index._dead > 0
    ties = 0
    for q in qs:
        for pool in (6, 30):
            found = index._found_keys(q.person)
            got = index._best(found, pool, q.person.birth_date) if found else []
            expected = _reference(index, q.person, pool)
            assert got == expected, (q, pool)
            ties += len(expected) == pool and _tied_at_the_cut(index, q.person, expected)
    assert ties > 0  # the tie rule itself was exercised
    assert index.candidates(qs[0].person, pool=0) == []


def _tied_at_the_cut(index: WatchlistIndex, query: Person, best: list[int]) -> bool:
    """Whether a slot outside ``best`` has the pre-score of its last slot."""
    acc: dict[int, float] = {}
    for _, w, p in index._found_keys(query):
        for s in (p,) if isinstance(p, int) else p:
            acc[s] = acc.get(s, 0.0) + w
    for s in acc:
        person = index._people[s]
        if person is not None and query.birth_date and person.birth_date == query.birth_date:
            acc[s] += 2.0
    return any(
        v == acc[best[-1]] and s not in best and index._people[s] is not None
        for s, v in acc.items()
    )


def test_search_many_equals_search() -> None:
    index, _, qs = _watchlist()
    persons = [q.person for q in qs[:150]]
    batch = index.search_many(persons, limit=3)
    assert batch == [index.search(p, limit=3) for p in persons]


def test_true_entries_are_found() -> None:
    index, entries, qs = _watchlist()
    matching = [q for q in qs if q.target >= 0]
    found = 0
    for q in matching:
        top = index.search(q.person, limit=1)
        found += bool(top) and entries[top[0].slot].identity == entries[q.target].identity
    assert found / len(matching) > 0.9


def test_revoke_replace_and_compact() -> None:
    index = WatchlistIndex()
    people = [Person((f"Ivan Petrovich Sidorov{c}",), "1970-01-01", id=f"p{c}") for c in "abcdefgh"]
    index.add_many(people)
    query = Person(("Ivan Petrovich Sidorova",), "1970-01-01")
    assert index.search(query, limit=1)[0].person.id == "pa"
    assert index.revoke("pa") and not index.revoke("pa")
    assert all(c.person.id != "pa" for c in index.search(query, limit=8))
    for c in "bcd":  # a quarter dead: postings compacted
        index.revoke(f"p{c}")
    assert len(index) == 4
    index.add(Person(("Ivan Petrovich Sidorova",), "1970-01-01", id="pe"))  # replaces pe
    top = index.search(query, limit=8)
    assert [c.person.id for c in top].count("pe") == 1
    assert top[0].person.id == "pe" and top[0].person.names == ("Ivan Petrovich Sidorova",)
    assert index.get("pe") is not None and index.get("pa") is None
    assert len(index) == 4


def test_pre_score_reads_the_postings_as_found_when_an_entry_was_added_since() -> None:
    """``_best`` reads the ``n`` postings ``_found`` counted, even if a list grew meanwhile."""
    entries = list(generate(500, seed=43))
    index = WatchlistIndex()
    index.add_many(e.person for e in entries)
    query = entries[10].person
    found = index._found_keys(query)
    before = index._best(found, 6, query.birth_date)
    index.add(replace(query, id="added-later"))  # the same keys: every list of the query grows
    assert any(not isinstance(p, int) and len(p) > n for n, _, p in found)
    assert index._best(found, 6, query.birth_date) == before
    assert index.candidates(query)[0] == len(entries)  # a fresh look-up finds the new entry
