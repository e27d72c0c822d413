"""The watchlist index: pre-score pruning, batches, add/revoke/replace without a rebuild."""

from __future__ import annotations

import heapq
from functools import cache

from accord.engine.matching import Person, WatchlistIndex
from accord.engine.matching.synthetic import Entry, Query, generate, queries


@cache
def _watchlist() -> tuple[WatchlistIndex, list[Entry], list[Query]]:
    entries = list(generate(4000, seed=31))
    index = WatchlistIndex()
    index.add_many(e.person for e in entries)
    return index, entries, queries(entries, {e.identity for e in entries}, 400, seed=32)


def _brute_force(index: WatchlistIndex, query: Person, pool: int) -> list[float]:
    """The best ``pool`` pre-scores, every found key read for every slot (no pruning)."""
    found = index._found_keys(query)
    acc: dict[int, float] = {}
    for _, w, p in found:
        for s in (p,) if isinstance(p, int) else p:
            acc[s] = acc.get(s, 0.0) + w
    live = [s for s in acc if index._people[s] is not None]
    return heapq.nlargest(pool, (acc[s] + _bonus(index, query, s) for s in live))


def _bonus(index: WatchlistIndex, query: Person, slot: int) -> float:
    person = index._people[slot]
    assert person is not None
    return 2.0 if query.birth_date and person.birth_date == query.birth_date else 0.0


def test_pruned_pre_score_keeps_the_best_slots() -> None:
    index, _, qs = _watchlist()
    pruned = 0
    for q in qs:
        found = index._found_keys(q.person)
        expected = _brute_force(index, q.person, 6)
        got = index._best(found, 6, q.person.birth_date, stats := {})
        pruned += stats.get("pruned", 0)
        acc = stats["scores"]
        scores = [acc[s] + _bonus(index, q.person, s) for s in got]
        assert sorted(scores, reverse=True) == expected, q
    assert pruned > 0  # the pruning path itself was exercised


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
