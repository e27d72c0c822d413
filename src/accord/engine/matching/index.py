"""In-memory candidate retrieval over a watchlist (framework-free).

Entries are ``Person`` objects kept in a list (slot = int id); each name contributes blocking
keys: the phonetic skeleton of each content token, of each pair of adjacent tokens joined (split
or merged parts: Abd al-Rahman / Abdulrahman, Xiao Ming / Xiaoming) and of the whole name
(Kim Min-jun / 김민준). Keys are interned strings mapping to ``array('i')`` posting lists.
``add`` appends; ``revoke`` tombstones the slot (postings are skipped, and compacted when a
quarter of them are dead), so neither needs a rebuild. ``search`` counts key hits per slot over
the rarer keys (very common keys are used only when nothing rarer exists), keeps the best
``pool`` slots and scores them with the algorithm, returning the top ``limit``.
"""

from __future__ import annotations

import itertools
import sys
from array import array
from collections import Counter
from dataclasses import dataclass

from accord.engine.matching.algorithm import DEFAULT, Algorithm
from accord.engine.matching.features import Person
from accord.engine.matching.normalize import name_form, skeleton

__all__ = ["Candidate", "WatchlistIndex", "blocking_keys"]

#: Keys whose posting list exceeds this share of the index are skipped when rarer keys exist.
COMMON_SHARE = 0.02


def blocking_keys(name: str) -> list[str]:
    """Blocking keys of one name (skeletons of tokens, adjacent pairs, the whole name)."""
    form = name_form(name)
    tokens = form.content
    skels = [s for s in form.content_skeletons if s]
    keys: dict[str, None] = {}
    for s in skels:
        keys[s] = None
    for a, b in itertools.pairwise(tokens):
        keys[skeleton(a + b)] = None
        keys[skeleton(b + a)] = None
    if len(tokens) > 2:
        keys[skeleton("".join(tokens))] = None
    return [sys.intern(k) for k in keys if k]


@dataclass(frozen=True, slots=True)
class Candidate:
    slot: int
    person: Person
    score: float


class WatchlistIndex:
    """Watchlist entries in memory with blocking-key postings; add and revoke in place."""

    def __init__(self, algorithm: Algorithm = DEFAULT) -> None:
        self.algorithm = algorithm
        self._people: list[Person | None] = []
        self._postings: dict[str, array[int]] = {}
        self._by_id: dict[str, int] = {}
        self._dead = 0

    def __len__(self) -> int:
        return len(self._people) - self._dead

    def add(self, person: Person) -> int:
        """Add (or replace, by ``person.id``) an entry; returns its slot."""
        if person.id and person.id in self._by_id:
            self.revoke(person.id)
        slot = len(self._people)
        self._people.append(person)
        if person.id:
            self._by_id[person.id] = slot
        keys: dict[str, None] = {}
        for name in person.names:
            for k in blocking_keys(name):
                keys[k] = None
        postings = self._postings
        for k in keys:
            p = postings.get(k)
            if p is None:
                postings[k] = array("i", (slot,))
            else:
                p.append(slot)
        return slot

    def revoke(self, entry_id: str) -> bool:
        """Remove an entry by id (tombstone; postings compacted lazily)."""
        slot = self._by_id.pop(entry_id, None)
        if slot is None or self._people[slot] is None:
            return False
        self._people[slot] = None
        self._dead += 1
        if self._dead * 4 > len(self._people):
            self.compact()
        return True

    def compact(self) -> None:
        """Drop dead slots from the posting lists (slots keep their numbers)."""
        people = self._people
        for k, p in list(self._postings.items()):
            live = array("i", (s for s in p if people[s] is not None))
            if live:
                self._postings[k] = live
            else:
                del self._postings[k]

    def get(self, entry_id: str) -> Person | None:
        slot = self._by_id.get(entry_id)
        return None if slot is None else self._people[slot]

    def candidates(self, query: Person, pool: int = 12) -> list[int]:
        """Slots sharing the most (rarer) blocking keys with the query, best first."""
        keys: dict[str, None] = {}
        for name in query.names:
            for k in blocking_keys(name):
                keys[k] = None
        lists = [p for k in keys if (p := self._postings.get(k)) is not None]
        if not lists:
            return []
        limit = max(int(len(self._people) * COMMON_SHARE), 1000)
        rare = [p for p in lists if len(p) <= limit]
        if not rare:
            rare = [min(lists, key=len)]
        counts: Counter[int] = Counter()
        for p in rare:
            counts.update(p)
        people = self._people
        out = []
        for slot, _ in counts.most_common(pool * 2):
            if people[slot] is not None:
                out.append(slot)
                if len(out) >= pool:
                    break
        return out

    def search(self, query: Person, limit: int = 5, pool: int = 12) -> list[Candidate]:
        """Top ``limit`` entries for ``query`` by the algorithm's score, best first."""
        people = self._people
        scored = []
        for slot in self.candidates(query, pool):
            person = people[slot]
            if person is not None:
                scored.append(Candidate(slot, person, self.algorithm.score(query, person)))
        scored.sort(key=lambda c: -c.score)
        return scored[:limit]
