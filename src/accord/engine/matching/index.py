"""In-memory candidate retrieval over a watchlist (framework-free).

Entries are ``Person`` objects kept in a list (slot = int id). Each name contributes blocking
keys built on the phonetic skeletons of its content tokens (``normalize.skeleton``):

* ``t``: one token's skeleton, and the skeleton of two adjacent tokens joined in either order
  (split or merged parts: Abd al-Rahman / Abdulrahman, Xiao Ming / Xiaoming);
* ``p``: an unordered pair of token skeletons (any two parts in common: survives reordering,
  dropped and added parts);
* ``i``: the initial of one token with the skeleton of another (``S. Lasoin``);
* ``y``: the birth year with one token's skeleton (entries with one known year; a query
  looks up each year its date allows), which separates namesakes of common names.

Keys are hashed to ints (one process, so Python's string hash is stable; forked workers inherit
it) and map to a slot (one entry) or an ``array('i')`` of slots. ``add`` appends; ``revoke``
tombstones the slot (postings are skipped, and compacted when a quarter of them are dead), so
neither needs a rebuild.

A query is answered in three steps: (1) the query's keys are looked up and each slot collects
the weights of the keys it shares (``p`` and ``i`` keys weigh more than ``t`` keys; ``t`` keys
held by more than ``COMMON`` entries are skipped while rarer keys exist); when no slot shares
every pair of query parts, the pair keys are looked up again with each part's skeleton changed
by one edit (a typo: deletion, insertion, substitution, transposition); (2) a cheap pre-score
adds agreement of birth dates (same day, same year) to the key weight; (3) the best ``pool``
slots are scored with the algorithm.
"""

from __future__ import annotations

import heapq
import itertools
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from accord.engine.matching.algorithm import DEFAULT, Algorithm
from accord.engine.matching.features import Person
from accord.engine.matching.normalize import name_form, skeleton

__all__ = ["Candidate", "WatchlistIndex", "blocking_keys"]

#: ``t`` keys held by more entries than this are used only when no rarer key matches.
COMMON = 3000
#: Postings read per query at most (the rarest keys first).
MAX_POSTINGS = 12_000
#: Names with more content tokens than this index only the first ones in pairs.
MAX_TOKENS = 6
#: Letters of skeletons (``normalize.skeleton`` folds the others away): typo variants use them.
_SKELETON_LETTERS = "bdfjklmnrstw"
_WEIGHT = {"t": 1.0, "j": 1.5, "p": 3.0, "i": 2.0, "e": 1.5, "y": 2.0}


def _years(birth_date: str) -> list[str]:
    """Birth years a date allows (exact, year only, ``~YYYY`` +/- 2, a range up to 5 years)."""
    d = birth_date.strip()
    if d.startswith("~") and d[1:5].isdigit():
        y = int(d[1:5])
        return [str(v) for v in range(y - 2, y + 3)]
    if ".." in d:
        a, _, b = d.partition("..")
        if a[:4].isdigit() and b[:4].isdigit() and 0 <= int(b[:4]) - int(a[:4]) <= 5:
            return [str(v) for v in range(int(a[:4]), int(b[:4]) + 1)]
        return []
    return [d[:4]] if d[:4].isdigit() else []


def _tokens(name: str) -> tuple[list[str], list[str]]:
    form = name_form(name)
    tokens = list(form.content)[:MAX_TOKENS]
    skels = [skeleton(t) or "_" + t for t in tokens]
    return tokens, skels


def _name_keys(tokens: list[str], skels: list[str]) -> Iterator[tuple[str, str]]:
    """(class, key) of one name; classes weigh differently in the pre-score."""
    initials = [len(t) == 1 for t in tokens]
    for s, ini in zip(skels, initials, strict=True):
        if not ini:
            yield "t", "t" + s
    for (a, sa, ia), (b, sb, ib) in itertools.combinations(
        zip(tokens, skels, initials, strict=True), 2
    ):
        if not ia and not ib:
            yield "p", "p" + min(sa, sb) + "|" + max(sa, sb)
        if not ib:
            yield "i", "i" + a[0] + "|" + sb
        if not ia:
            yield "i", "i" + b[0] + "|" + sa
    for a, b in itertools.pairwise(tokens):
        if len(a) > 1 and len(b) > 1:
            yield "j", "t" + skeleton(a + b)
            yield "j", "t" + skeleton(b + a)


def blocking_keys(name: str) -> list[str]:
    """Blocking keys of one name (see the module docstring)."""
    return list(dict.fromkeys(k for _, k in _name_keys(*_tokens(name))))


def _edits(s: str) -> Iterator[str]:
    """Skeletons one edit away from ``s``."""
    n = len(s)
    for i in range(n):
        yield s[:i] + s[i + 1 :]
        for ch in _SKELETON_LETTERS:
            if ch != s[i]:
                yield s[:i] + ch + s[i + 1 :]
    for i in range(n + 1):
        for ch in _SKELETON_LETTERS:
            yield s[:i] + ch + s[i:]
    for i in range(n - 1):
        yield s[:i] + s[i + 1] + s[i] + s[i + 2 :]


@dataclass(frozen=True, slots=True)
class Candidate:
    slot: int
    person: Person
    score: float


Posting = int | array  # type: ignore[type-arg]


class WatchlistIndex:
    """Watchlist entries in memory with blocking-key postings; add and revoke in place."""

    def __init__(self, algorithm: Algorithm = DEFAULT) -> None:
        self.algorithm = algorithm
        self._people: list[Person | None] = []
        self._postings: dict[int, int | array[int]] = {}
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
        keys: set[int] = set()
        years = _years(person.birth_date)
        for name in person.names:
            tokens, skels = _tokens(name)
            for _, k in _name_keys(tokens, skels):
                keys.add(hash(k))
            for y in years[:1] if len(years) == 1 else ():
                for t, s in zip(tokens, skels, strict=True):
                    if len(t) > 1:
                        keys.add(hash("y" + y + "|" + s))
        postings = self._postings
        for h in keys:
            p = postings.get(h)
            if p is None:
                postings[h] = slot
            elif isinstance(p, int):
                postings[h] = array("i", (p, slot))
            else:
                p.append(slot)
        return slot

    def add_many(self, people: Iterable[Person]) -> None:
        for p in people:
            self.add(p)

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
            if isinstance(p, int):
                if people[p] is None:
                    del self._postings[k]
                continue
            live = array("i", (s for s in p if people[s] is not None))
            if len(live) > 1:
                self._postings[k] = live
            elif live:
                self._postings[k] = live[0]
            else:
                del self._postings[k]

    def get(self, entry_id: str) -> Person | None:
        slot = self._by_id.get(entry_id)
        return None if slot is None else self._people[slot]

    def _lookup(self, keys: dict[str, float]) -> dict[int, float]:
        """Slots with the summed weights of the keys they share (rarest keys first)."""
        postings = self._postings
        found: list[tuple[int, float, int | array[int]]] = []
        for k, w in keys.items():
            p = postings.get(hash(k))
            if p is not None:
                found.append((1 if isinstance(p, int) else len(p), w, p))
        found.sort(key=lambda x: x[0])
        acc: dict[int, float] = {}
        read = 0
        for n, w, p in found:
            if n > COMMON and (acc or read) and w <= 1.0:
                continue
            if read + n > MAX_POSTINGS and acc:
                break
            read += n
            if isinstance(p, int):
                acc[p] = acc.get(p, 0.0) + w
            else:
                get = acc.get
                for s in p:
                    acc[s] = get(s, 0.0) + w
        return acc

    def candidates(self, query: Person, pool: int = 6) -> list[int]:
        """Slots most likely to match ``query``, best first (key weights and birth date)."""
        keys: dict[str, float] = {}
        names = [_tokens(n) for n in query.names]
        pair_count = 0
        for tokens, skels in names:
            n_pairs = 0
            for cls, k in _name_keys(tokens, skels):
                keys[k] = max(keys.get(k, 0.0), _WEIGHT[cls])
                n_pairs += cls == "p"
            pair_count = max(pair_count, n_pairs)
            for y in _years(query.birth_date):
                for t, s in zip(tokens, skels, strict=True):
                    if len(t) > 1:
                        keys["y" + y + "|" + s] = _WEIGHT["y"]
        acc = self._lookup(keys)
        full = 3.0 * pair_count
        if not acc or max(acc.values()) < full + 1.0:
            # typo variants: each part's skeleton one edit away, paired with the other parts
            extra: dict[str, float] = {}
            for tokens, skels in names:
                for i, s in enumerate(skels):
                    if len(tokens[i]) < 3 or s.startswith("_"):
                        continue
                    others = [o for j, o in enumerate(skels) if j != i and len(tokens[j]) > 1]
                    for e in _edits(s):
                        for o in others:
                            k = "p" + min(e, o) + "|" + max(e, o)
                            if k not in keys:
                                extra[k] = _WEIGHT["e"]
            if extra:
                for slot, w in self._lookup(extra).items():
                    acc[slot] = acc.get(slot, 0.0) + w
        if not acc:
            return []
        people = self._people
        dob = query.birth_date
        if len(acc) > pool:
            top = heapq.nlargest(max(pool * 40, 400), acc.items(), key=lambda kv: kv[1])
        else:
            top = list(acc.items())
        scored: list[tuple[float, int]] = []
        for slot, w in top:
            person = people[slot]
            if person is None:
                continue
            if dob:
                b = person.birth_date
                if b == dob:
                    w += 2.0
            scored.append((w, slot))
        return [slot for _, slot in heapq.nlargest(pool, scored)]

    def search(self, query: Person, limit: int = 5, pool: int = 6) -> list[Candidate]:
        """Top ``limit`` entries for ``query`` by the algorithm's score, best first."""
        people = self._people
        scored = []
        score = self.algorithm.score
        for slot in self.candidates(query, pool):
            person = people[slot]
            if person is not None:
                scored.append(Candidate(slot, person, score(query, person)))
        scored.sort(key=lambda c: -c.score)
        return scored[:limit]
