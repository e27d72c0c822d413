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
it) and map to a slot (one entry) or an ``array('i')`` of slots (ascending: slots only grow).
``add`` appends and keeps the entry prepared for scoring (``prepared.prepare``); ``revoke``
tombstones the slot (postings are skipped, and compacted when a quarter of them are dead), so
neither needs a rebuild.

A query is answered in three steps: (1) the query's keys are looked up, rarest first (``t``
keys held by more than ``COMMON`` entries are skipped while rarer keys exist, ``MAX_POSTINGS``
read at most); when no entry holds every pair key of a query name, pair keys with one part's
skeleton changed by one edit (a typo: deletion, insertion, substitution, transposition) are
added, for edits that are skeletons of indexed parts; (2) each slot's pre-score is the summed
weight of the keys it shares (``p`` and ``i`` keys weigh more than ``t`` keys), +2 for the
query's exact birth date, summed over every found posting in numpy, and the best ``pool`` live
slots are kept, ties to the higher slot (``_best``); (3) those are scored with the algorithm,
on the prepared entries (the same score as ``Algorithm.score``).
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from accord.engine.matching.algorithm import DEFAULT, Algorithm
from accord.engine.matching.features import Person
from accord.engine.matching.normalize import expand_names, name_form, skeleton
from accord.engine.matching.prepared import (
    PreparedPerson,
    Shared,
    TokenMemo,
    prepare,
    query_parts,
)

__all__ = ["Candidate", "WatchlistIndex"]

#: ``t`` keys held by more entries than this are used only when no rarer key matches.
COMMON = 3000
#: Postings read per query at most (the rarest keys first).
MAX_POSTINGS = 12_000
#: Names with more content tokens than this index only the first ones in pairs.
MAX_TOKENS = 6
#: Token similarities kept across the queries of one ``search_many`` batch at most.
MEMO_SIZE = 200_000
#: Letters of skeletons (``normalize.skeleton`` folds the others away): typo variants use them.
_SKELETON_LETTERS = "bdfjklmnrstw"
_WEIGHT = {"t": 1.0, "j": 1.5, "p": 3.0, "i": 2.0, "e": 1.5, "y": 2.0}
#: ``_best`` packs a posting's slot and its key weight (in half units) into one integer, so
#: that one plain sort groups the postings by slot; the weights must be multiples of 0.5.
_WEIGHT_BITS = max(int(w * 2) for w in _WEIGHT.values()).bit_length()
if any(w * 2 != int(w * 2) for w in _WEIGHT.values()):
    raise ValueError("blocking key weights must be multiples of 0.5")


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


def _kth(score: np.ndarray[Any, np.dtype[np.int64]], k: int) -> int:
    """The ``k``-th highest of ``score`` (non-negative integers, ``len(score) >= k``): counted
    with ``np.bincount`` (pre-scores take a few dozen distinct values), no partition."""
    counts: list[int] = np.bincount(score).tolist()
    seen = 0
    for value in range(len(counts) - 1, -1, -1):
        seen += counts[value]
        if seen >= k:
            return value
    return 0


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


@lru_cache(maxsize=4096)
def _distinct_edits(s: str) -> tuple[str, ...]:
    """``_edits(s)`` without repeats, in order; cached, since query parts recur in a batch
    (about 150 edits of a six-letter skeleton: 4,096 skeletons keep some 40 MB at most)."""
    return tuple(dict.fromkeys(_edits(s)))


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry found for a query: its slot, the person and the algorithm's score."""

    slot: int
    person: Person
    score: float

    def __reduce__(self) -> tuple[type[Candidate], tuple[int, Person, float]]:
        return Candidate, (self.slot, self.person, self.score)


Posting = int | array  # type: ignore[type-arg]


class WatchlistIndex:
    """Watchlist entries in memory with blocking-key postings; add and revoke in place."""

    def __init__(self, algorithm: Algorithm = DEFAULT) -> None:
        self.algorithm = algorithm
        self._people: list[Person | None] = []
        self._prepared: list[PreparedPerson | None] = []
        self._shared: Shared = {}
        self._postings: dict[int, int | array[int]] = {}
        self._by_id: dict[str, int] = {}
        self._dead = 0
        #: Skeletons of the indexed name parts (typo variants not in it have no pair keys).
        self._vocabulary: set[str] = set()
        #: Per slot, for the vectorised pre-score (``_best``): whether the entry is live, and a
        #: code of its birth date (``_date_codes``); capacity doubles as slots are added.
        self._live = np.zeros(1024, dtype=np.bool_)
        self._dates = np.zeros(1024, dtype=np.int32)
        self._date_codes: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._people) - self._dead

    def add(self, person: Person) -> int:
        """Add (or replace, by ``person.id``) an entry; returns its slot."""
        if person.id and person.id in self._by_id:
            self.revoke(person.id)
        slot = len(self._people)
        if slot == len(self._live):
            self._live = np.concatenate([self._live, np.zeros_like(self._live)])
            self._dates = np.concatenate([self._dates, np.zeros_like(self._dates)])
        self._live[slot] = True
        self._dates[slot] = self._date_codes.setdefault(person.birth_date, len(self._date_codes))
        self._people.append(person)
        names = expand_names(person.names)
        self._prepared.append(prepare(person, self._shared, names))
        if person.id:
            self._by_id[person.id] = slot
        keys: set[int] = set()
        years = _years(person.birth_date)
        for name in names:
            tokens, skels = _tokens(name)
            for _, k in _name_keys(tokens, skels):
                keys.add(hash(k))
            self._vocabulary.update(s for t, s in zip(tokens, skels, strict=True) if len(t) > 1)
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
        self._prepared[slot] = None
        self._live[slot] = False
        self._dead += 1
        if self._dead * 4 > len(self._people):
            self.compact()
        return True

    def warm(self) -> int:
        """Read every object of the index once; returns how many values were read.

        A worker process forked from the process that built the index shares its memory
        copy-on-write, and CPython writes to every object it reads (its reference count): a
        fresh worker copies dozens of pages per query at a million entries (as much CPU again
        as the query). Called once in the worker, it copies them all up front (seconds at that
        size, and the index's size in memory per worker) and the worker then screens
        at the speed of the process that built the index. ``accord bench screening`` measures
        both."""
        read = 0
        for p in self._prepared:
            if p is None:
                continue
            for name in p.names:
                read += sum(1 for _ in name.tokens) + sum(1 for _ in name.skeletons)
                read += len(name.weights) + len(name.joined) + name.abjad
                read += len(name.letters) + name.vowelless
            read += (p.birth is not None) + (p.gender is not None)
            read += len(p.nationalities) + len(p.documents)
        read += sum(1 for person in self._people if person is not None)
        read += sum(1 for _ in self._postings.values())
        return read

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

    def _found(self, keys: dict[str, float]) -> list[tuple[int, float, Posting]]:
        """The postings of ``keys`` that will be read, rarest first: ``t`` keys held by more than
        ``COMMON`` entries are skipped once something rarer was found, and reading stops before
        ``MAX_POSTINGS`` postings."""
        postings = self._postings
        found: list[tuple[int, float, Posting]] = []
        for k, w in keys.items():
            p = postings.get(hash(k))
            if p is not None:
                found.append((1 if isinstance(p, int) else len(p), w, p))
        found.sort(key=lambda x: x[0])
        kept: list[tuple[int, float, Posting]] = []
        read = 0
        for n, w, p in found:
            if n > COMMON and read and w <= 1.0:
                continue
            if read + n > MAX_POSTINGS and read:
                break
            read += n
            kept.append((n, w, p))
        return kept

    def _shares_all_pairs(self, pair_keys: list[list[str]]) -> bool:
        """Whether a live entry holds every pair key of one of the query's names."""
        postings, people = self._postings, self._people
        for keys in pair_keys:
            lists: list[Sequence[int]] = []
            for k in keys:
                found = postings.get(hash(k))
                if found is None:
                    break
                lists.append((found,) if isinstance(found, int) else found)
            else:
                if not lists:
                    continue
                lists.sort(key=len)
                common = set(lists[0])
                for other in lists[1:]:
                    common.intersection_update(other)
                    if not common:
                        break
                if any(people[s] is not None for s in common):
                    return True
        return False

    def _typo_keys(
        self, names: list[tuple[list[str], list[str]]], keys: dict[str, float]
    ) -> dict[str, float]:
        """Pair keys with one part's skeleton one edit away (a typo), paired with the other
        parts; only edits that are the skeleton of some indexed part can have postings."""
        vocabulary = self._vocabulary
        weight = _WEIGHT["e"]
        extra: dict[str, float] = {}
        for tokens, skels in names:
            for i, s in enumerate(skels):
                if len(tokens[i]) < 3 or s.startswith("_"):
                    continue
                others = [o for j, o in enumerate(skels) if j != i and len(tokens[j]) > 1]
                if not others:
                    continue
                for e in _distinct_edits(s):
                    if e not in vocabulary:
                        continue
                    for o in others:
                        k = "p" + e + "|" + o if e < o else "p" + o + "|" + e
                        if k not in keys:
                            extra[k] = weight
        return extra

    def _best(self, found: list[tuple[int, float, Posting]], pool: int, dob: str) -> list[int]:
        """The ``pool`` live slots with the highest pre-score, best first: the summed weights of
        the keys they share, +2 for the query's exact birth date; ties go to the higher slot (the
        newer entry), as ``heapq.nlargest`` over ``(pre-score, slot)`` orders them.

        Every found posting is read (no pruning): the postings (``array('i')``, viewed by numpy
        without a copy) are concatenated, each shifted left by ``_WEIGHT_BITS`` with its key's
        weight in half units in the low bits, and sorted once (a plain integer sort: faster than
        ``np.unique``'s argsort), which groups them by slot; a slot's pre-score is the difference
        of the running sum of the low bits at the ends of its run. Only the slots within the date
        bonus of the ``pool``-th best pre-score (``_kth``, a count of the few distinct values)
        can be among the best, so only those have their birth date compared, and one sort of
        ``pre-score << 32 | slot`` ranks them with the tie rule. Pre-scores are integers of half
        units, hence exact. On the postings of a million-entry index this is faster than the
        same with ``np.add.reduceat`` and ``np.partition``, and several times faster than a
        Python loop.
        """
        if pool <= 0:
            return []
        lists: list[Any] = []  # the ``array('i')`` postings: numpy reads their buffers
        halves: list[int] = []
        lengths: list[int] = []
        singles: list[int] = []
        single_halves: list[int] = []
        for n, w, p in found:
            if isinstance(p, int):
                singles.append(p)
                single_halves.append(int(w * 2))
            else:
                lists.append(p)
                halves.append(int(w * 2))
                lengths.append(n)
        read = len(lengths)
        if singles:
            lists.append(np.array(singles, dtype=np.int32))
            halves.extend(single_halves)
            lengths.extend(itertools.repeat(1, len(singles)))
        if not lists:
            return []
        bits = _WEIGHT_BITS
        wide = len(self._people) >= 1 << (31 - bits)
        joined = np.concatenate(lists)  # one copy; the postings themselves are left intact
        if len(joined) != sum(lengths):  # a list grew since ``_found`` (an ``add`` meanwhile)
            views = [np.frombuffer(lists[i], dtype=np.int32, count=lengths[i]) for i in range(read)]
            joined = np.concatenate(views + lists[read:])
        packed: np.ndarray[Any, np.dtype[np.signedinteger[Any]]] = joined.astype(
            np.int64 if wide else np.int32, copy=False
        )
        packed <<= bits  # in place: ``np.concatenate`` made a new array, the postings are intact
        packed |= np.repeat(np.array(halves, dtype=packed.dtype), lengths)
        packed.sort()
        slots = packed >> bits
        last = np.flatnonzero(slots[1:] != slots[:-1])  # the last posting of each slot's run
        last = np.append(last, len(slots) - 1)
        # the running sum stays in the postings' integer type: at most a few million half units
        score = (packed & ((1 << bits) - 1)).cumsum(dtype=packed.dtype)[last]
        score[1:] -= score[:-1].copy()  # run sums from the running sum: half units
        slots = slots[last]
        if self._dead:
            live = self._live[slots]
            slots, score = slots[live], score[live]
        code = self._date_codes.get(dob) if dob else None
        bonus = 0 if code is None else 4  # +2, in half units
        if len(score) > pool:
            near = np.flatnonzero(score >= _kth(score, pool) - bonus)
            slots, score = slots[near], score[near]
        if code is not None:
            score += (self._dates[slots] == code) * bonus
        ranked = (score.astype(np.int64) << 32) | slots
        ranked.sort()
        best: list[int] = (ranked[::-1][:pool] & 0xFFFFFFFF).tolist()
        return best

    def _found_keys(self, query: Person) -> list[tuple[int, float, Posting]]:
        """The postings to read for ``query``: its blocking keys (and birth-year keys), and
        typo variants of its pair keys when no entry holds every pair key of a query name."""
        keys: dict[str, float] = {}
        names = [_tokens(n) for n in expand_names(query.names)]
        pair_keys: list[list[str]] = []
        for tokens, skels in names:
            pairs = []
            for cls, k in _name_keys(tokens, skels):
                keys[k] = max(keys.get(k, 0.0), _WEIGHT[cls])
                if cls == "p":
                    pairs.append(k)
            pair_keys.append(pairs)
            for y in _years(query.birth_date):
                for t, s in zip(tokens, skels, strict=True):
                    if len(t) > 1:
                        keys["y" + y + "|" + s] = _WEIGHT["y"]
        found = self._found(keys)
        if not self._shares_all_pairs(pair_keys):
            found += self._found(self._typo_keys(names, keys))
        return found

    def candidates(self, query: Person, pool: int = 6) -> list[int]:
        """Slots most likely to match ``query``, best first (key weights and birth date)."""
        found = self._found_keys(query)
        return self._best(found, pool, query.birth_date) if found else []

    def search(self, query: Person, limit: int = 5, pool: int = 6) -> list[Candidate]:
        """Top ``limit`` entries for ``query`` by the algorithm's score, best first."""
        return self._score(query, self.candidates(query, pool), limit, {})

    def search_many(
        self, queries: Iterable[Person], limit: int = 5, pool: int = 6
    ) -> list[list[Candidate]]:
        """``search`` for each query of a batch, in order; token similarities computed for one
        query are kept for the next ones (travellers share given and family names)."""
        memo: TokenMemo = {}
        out = []
        for query in queries:
            if len(memo) > MEMO_SIZE:
                memo.clear()
            out.append(self._score(query, self.candidates(query, pool), limit, memo))
        return out

    def _score(
        self, query: Person, slots: list[int], limit: int, memo: TokenMemo
    ) -> list[Candidate]:
        """The ``limit`` best of ``slots`` by the algorithm's score, best first (ties keep the
        pre-score order). Entries are scored on their prepared form; only the returned ones are
        looked up as ``Person`` (in a forked worker every object read is a page written)."""
        people, prepared, algorithm = self._people, self._prepared, self.algorithm
        scored: list[tuple[int, float]] = []
        if algorithm.supports_prepared:
            q = prepare(query)
            parts = query_parts(q)
            score = algorithm.score_prepared
            for slot in slots:
                c = prepared[slot]
                if c is not None:
                    scored.append((slot, score(q, c, memo, parts)))
        else:
            for slot in slots:
                person = people[slot]
                if person is not None:
                    scored.append((slot, algorithm.score(query, person)))
        scored.sort(key=lambda sc: -sc[1])
        return [Candidate(slot, people[slot], value) for slot, value in scored[:limit]]  # type: ignore[arg-type]
