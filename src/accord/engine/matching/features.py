"""Feature functions of the screening matcher: small, pure, each returning (score, explanation).

A feature takes a ``Pair`` (the query person and a candidate watchlist person) and returns a
``FeatureResult``: a score in [0, 1] and a short explanation. Algorithms (``algorithm.py``) are
weighted lists of these features. Name features share one alignment of the best pair of names
(``Pair.names``), computed once per pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from typing import Final

from rapidfuzz.distance import Levenshtein

from accord.engine.matching.normalize import NameForm, name_form

__all__ = [
    "BirthDate",
    "FeatureResult",
    "NameAlignment",
    "Pair",
    "Person",
    "align_names",
    "birth_date_match",
    "birth_date_mismatch",
    "devowel",
    "document_match",
    "gender_mismatch",
    "name_candidate_coverage",
    "name_joined",
    "name_query_coverage",
    "name_skeletons",
    "name_weakest_part",
    "nationality_match",
    "nationality_mismatch",
    "normalise_document",
    "parse_birth_date",
    "token_similarity",
]


@dataclass(frozen=True, slots=True)
class FeatureResult:
    score: float
    explanation: str


@dataclass(frozen=True, slots=True)
class Person:
    """What screening compares: names (any script), birth date, nationalities, gender, documents.

    ``birth_date`` is ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY``, ``~YYYY`` (approximate, +/- 2 years)
    or ``YYYY..YYYY`` (a range)."""

    names: tuple[str, ...]
    birth_date: str = ""
    nationalities: tuple[str, ...] = ()
    gender: str = ""
    documents: tuple[str, ...] = ()
    id: str = ""


@dataclass(frozen=True, slots=True)
class BirthDate:
    first: date
    last: date
    precision: str  # exact | month | year | approximate | between

    @property
    def exact(self) -> bool:
        return self.precision == "exact"


_DATE: Final = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


@lru_cache(maxsize=50_000)
def parse_birth_date(text: str) -> BirthDate | None:
    """Parse a birth date; None when empty or unreadable (never raises)."""
    s = (text or "").strip()
    if not s:
        return None
    try:
        if ".." in s:
            a, b = s.split("..", 1)
            lo, hi = int(a[:4]), int(b[:4])
            return BirthDate(date(min(lo, hi), 1, 1), date(max(lo, hi), 12, 31), "between")
        if s.startswith("~"):
            y = int(s[1:5])
            return BirthDate(date(y - 2, 1, 1), date(y + 2, 12, 31), "approximate")
        m = _DATE.match(s)
        if not m:
            return None
        y = int(m.group(1))
        if m.group(3):
            d = date(y, int(m.group(2)), int(m.group(3)))
            return BirthDate(d, d, "exact")
        if m.group(2):
            mo = int(m.group(2))
            last = date(y + (mo == 12), mo % 12 + 1, 1).toordinal() - 1
            return BirthDate(date(y, mo, 1), date.fromordinal(last), "month")
        return BirthDate(date(y, 1, 1), date(y, 12, 31), "year")
    except (ValueError, OverflowError):
        return None


_VOWELS: Final = frozenset("aeiouyw")
_ABJADS: Final = frozenset({"Arab", "Hebr"})


@lru_cache(maxsize=100_000)
def devowel(token: str) -> str:
    """Consonants of a token as an abjad writes them: first letter kept, later vowels (and the
    y/w that Arabic writes for long vowels) dropped, doubles collapsed: haddad, hdad -> hdd."""
    out = [token[:1]]
    for ch in token[1:]:
        if ch not in _VOWELS and ch != out[-1]:
            out.append(ch)
    return "".join(out)


_INITIAL_FOLD: Final = {"q": "k", "c": "k", "g": "k", "z": "s", "v": "w", "p": "b"}


def _initial_class(ch: str) -> str:
    return "v" if ch in "aeiou" else _INITIAL_FOLD.get(ch, ch)


def token_similarity(a: str, sa: str, b: str, sb: str, abjad: bool = False) -> float:
    """Similarity of two canonical tokens (with their skeletons) in [0, 1].

    ``abjad``: one side was written in a script without short vowels (Arabic, Hebrew), so the
    tokens are also compared on their consonants (``devowel``)."""
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:  # an initial
        return 0.6 if a[0] == b[0] else 0.0
    best = Levenshtein.normalized_similarity(a, b)
    if abjad:
        best = max(best, 0.98 * Levenshtein.normalized_similarity(devowel(a), devowel(b)))
    if sa and sa == sb:
        # one skeleton is not enough (Ahmed, Muhammad): the first letters must agree too
        if _initial_class(a[0]) == _initial_class(b[0]):
            return max(best, 0.92 if len(sa) >= 2 else 0.8)
        return max(best, 0.6)
    if sa and sb:
        best = max(best, 0.9 * Levenshtein.normalized_similarity(sa, sb))
    return best


@dataclass(frozen=True, slots=True)
class NameAlignment:
    """Best one-to-one alignment of the content tokens of two names."""

    query: NameForm
    candidate: NameForm
    query_coverage: float
    candidate_coverage: float
    joined: float
    skeleton_share: float
    pairs: tuple[tuple[str, str, float], ...]
    weakest: float = 0.0

    @property
    def overall(self) -> float:
        return (self.query_coverage + self.candidate_coverage + self.joined) / 3


def align_names(q: NameForm, c: NameForm) -> NameAlignment:
    """Greedy best-first token alignment, coverage of each side weighted by token length."""
    qt, qs = _content(q)
    ct, cs = _content(c)
    if not qt or not ct:
        return NameAlignment(q, c, 0.0, 0.0, 0.0, 0.0, ())
    abjad = q.script in _ABJADS or c.script in _ABJADS
    cells = sorted(
        (
            (token_similarity(qt[i], qs[i], ct[j], cs[j], abjad), i, j)
            for i in range(len(qt))
            for j in range(len(ct))
        ),
        reverse=True,
    )
    used_q: dict[int, float] = {}
    used_c: dict[int, float] = {}
    pairs: list[tuple[str, str, float]] = []
    for sim, i, j in cells:
        if sim <= 0.0 or i in used_q or j in used_c:
            continue
        used_q[i] = sim
        used_c[j] = sim
        pairs.append((qt[i], ct[j], sim))
    qw = [max(len(t), 2) for t in qt]
    cw = [max(len(t), 2) for t in ct]
    q_cov = sum(used_q.get(i, 0.0) * w for i, w in enumerate(qw)) / sum(qw)
    c_cov = sum(used_c.get(j, 0.0) * w for j, w in enumerate(cw)) / sum(cw)
    js = "".join(cs)
    joined = max(
        Levenshtein.normalized_similarity("".join(qs), js),
        Levenshtein.normalized_similarity("".join(reversed(qs)), js),
    )
    shared = len(set(qs) & set(cs)) / max(len(set(qs) | set(cs)), 1)
    # the weakest part of the shorter name: a contradiction (Ahmed / Muhammad Khalil) stays low
    # even when the rest agrees; a part only dropped or added does not lower it
    short = used_q if len(qt) <= len(ct) else used_c
    n_short = min(len(qt), len(ct))
    weakest = min((short.get(i, 0.0) for i in range(n_short)), default=0.0)
    return NameAlignment(q, c, q_cov, c_cov, joined, shared, tuple(pairs), weakest)


def _content(f: NameForm) -> tuple[tuple[str, ...], tuple[str, ...]]:
    keep = [i for i, p in enumerate(f.particles) if not p and f.tokens[i]]
    if not keep:
        keep = list(range(len(f.tokens)))
    return tuple(f.tokens[i] for i in keep), tuple(f.skeletons[i] for i in keep)


@dataclass
class Pair:
    """A query person and a candidate; name alignment computed once, on first use."""

    query: Person
    candidate: Person
    _forms: tuple[tuple[NameForm, ...], tuple[NameForm, ...]] | None = field(default=None)

    @cached_property
    def names(self) -> NameAlignment:
        """The alignment of the best-matching pair of names (query name x candidate alias)."""
        best: NameAlignment | None = None
        for qn in self.query.names:
            qf = name_form(qn)
            for cn in self.candidate.names:
                al = align_names(qf, name_form(cn))
                if best is None or al.overall > best.overall:
                    best = al
        if best is None:
            empty = name_form("")
            return NameAlignment(empty, empty, 0.0, 0.0, 0.0, 0.0, ())
        return best


def _pairs_text(al: NameAlignment) -> str:
    return ", ".join(f"{a}~{b} {s:.2f}" for a, b, s in al.pairs) or "no name parts"


def name_query_coverage(pair: Pair) -> FeatureResult:
    """How much of the query name is found in the candidate name."""
    al = pair.names
    return FeatureResult(al.query_coverage, f"query name parts found: {_pairs_text(al)}")


def name_candidate_coverage(pair: Pair) -> FeatureResult:
    """How much of the candidate name is found in the query name (dropped parts lower it)."""
    al = pair.names
    return FeatureResult(
        al.candidate_coverage, f"{len(al.pairs)}/{len(_content(al.candidate)[0])} candidate parts"
    )


def name_joined(pair: Pair) -> FeatureResult:
    """Whole-name skeleton similarity (parts split or joined: Abdulrahman, Xiao Ming)."""
    al = pair.names
    return FeatureResult(al.joined, f"joined skeletons similarity {al.joined:.2f}")


def name_weakest_part(pair: Pair) -> FeatureResult:
    """Similarity of the least similar part of the shorter name (a contradiction lowers it)."""
    al = pair.names
    return FeatureResult(al.weakest, f"weakest aligned part {al.weakest:.2f}")


def name_skeletons(pair: Pair) -> FeatureResult:
    """Share of phonetic skeletons in common (Jaccard)."""
    al = pair.names
    return FeatureResult(al.skeleton_share, f"shared skeletons {al.skeleton_share:.2f}")


def _dates(pair: Pair) -> tuple[BirthDate | None, BirthDate | None]:
    return parse_birth_date(pair.query.birth_date), parse_birth_date(pair.candidate.birth_date)


def birth_date_match(pair: Pair) -> FeatureResult:
    """1 same day; 0.8 day and month swapped; 0.6 one digit off; 0.5 year or range; 0 else."""
    a, b = _dates(pair)
    if a is None or b is None:
        return FeatureResult(0.0, "birth date missing")
    if a.exact and b.exact:
        x, y = a.first, b.first
        if x == y:
            return FeatureResult(1.0, f"same birth date {x}")
        if x.year == y.year and x.month == y.day and x.day == y.month:
            return FeatureResult(0.8, f"birth date with day and month swapped: {x} / {y}")
        if Levenshtein.distance(x.isoformat(), y.isoformat()) == 1:
            return FeatureResult(0.6, f"birth dates one digit apart: {x} / {y}")
        if x.year == y.year:
            return FeatureResult(0.3, f"same birth year {x.year}")
        return FeatureResult(0.0, f"different birth dates {x} / {y}")
    if a.first <= b.last and b.first <= a.last:
        return FeatureResult(0.5, f"birth dates compatible ({a.precision} / {b.precision})")
    return FeatureResult(0.0, "birth dates incompatible")


def birth_date_mismatch(pair: Pair) -> FeatureResult:
    """1 when both birth dates are known and more than a year apart (outside any range)."""
    a, b = _dates(pair)
    if a is None or b is None:
        return FeatureResult(0.0, "birth date missing")
    gap = max(a.first.toordinal() - b.last.toordinal(), b.first.toordinal() - a.last.toordinal())
    if gap > 366:
        return FeatureResult(1.0, f"birth dates {gap // 365} years apart")
    return FeatureResult(0.0, "birth dates within a year")


def _countries(values: tuple[str, ...]) -> set[str]:
    return {v.strip().upper()[:3] for v in values if v and v.strip()}


def nationality_match(pair: Pair) -> FeatureResult:
    common = _countries(pair.query.nationalities) & _countries(pair.candidate.nationalities)
    if common:
        return FeatureResult(1.0, f"same nationality {', '.join(sorted(common))}")
    return FeatureResult(0.0, "no common nationality")


def nationality_mismatch(pair: Pair) -> FeatureResult:
    a, b = _countries(pair.query.nationalities), _countries(pair.candidate.nationalities)
    if a and b and not a & b:
        return FeatureResult(1.0, f"different nationalities {sorted(a)} / {sorted(b)}")
    return FeatureResult(0.0, "nationalities not in conflict")


_GENDER: Final = {"m": "m", "male": "m", "f": "f", "female": "f"}


def gender_mismatch(pair: Pair) -> FeatureResult:
    a = _GENDER.get(pair.query.gender.strip().lower())
    b = _GENDER.get(pair.candidate.gender.strip().lower())
    if a and b and a != b:
        return FeatureResult(1.0, "different genders")
    return FeatureResult(0.0, "genders not in conflict")


def normalise_document(number: str) -> str:
    """Upper-case letters and digits only; O read as 0 (``ab-12 O34`` -> ``AB12034``)."""
    return "".join(ch for ch in number.upper() if ch.isalnum() and ch.isascii()).replace("O", "0")


def document_match(pair: Pair) -> FeatureResult:
    a = {normalise_document(d) for d in pair.query.documents} - {""}
    b = {normalise_document(d) for d in pair.candidate.documents} - {""}
    common = a & b
    if common:
        return FeatureResult(1.0, f"same document number {sorted(common)[0]}")
    return FeatureResult(0.0, "no common document number")
