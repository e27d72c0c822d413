"""Feature functions of the screening matcher: small, pure, each returning (score, explanation).

A feature takes a ``Pair`` (the query person and a candidate watchlist person) and returns a
``FeatureResult``: a score in [0, 1] and a short explanation. Algorithms (``algorithm.py``) are
weighted lists of these features. Name features share one alignment of the best pair of names
(``Pair.names``), computed once per pair.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from typing import Any, Final

from rapidfuzz.distance import OSA, Levenshtein

from accord.engine.matching import translit
from accord.engine.matching.normalize import NameForm, expand_names, name_form

__all__ = [
    "BirthDate",
    "FeatureResult",
    "NameAlignment",
    "Pair",
    "Person",
    "align_names",
    "birth_date_match",
    "birth_date_mismatch",
    "contained_coverage",
    "devowel",
    "document_match",
    "gender_mismatch",
    "name_best_coverage",
    "name_candidate_coverage",
    "name_joined",
    "name_part_contradiction",
    "name_query_coverage",
    "name_several_parts",
    "name_skeletons",
    "name_weakest_part",
    "nationality_match",
    "nationality_mismatch",
    "normalise_document",
    "parse_birth_date",
    "token_similarity",
    "whole_names_on_skeletons",
]


@dataclass(frozen=True, slots=True)
class FeatureResult:
    score: float
    explanation: str

    def __reduce__(self) -> tuple[type[FeatureResult], tuple[float, str]]:
        return FeatureResult, (self.score, self.explanation)


@dataclass(frozen=True, slots=True)
class Person:
    """What screening compares: names (any script), birth date, nationalities, gender, documents.

    ``birth_date`` is ``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY``, ``~YYYY`` (approximate, +/- 2 years)
    or ``YYYY..YYYY`` (a range). ``schema``: ``Person`` (or '': screening compares people) or an
    organisation's (``Organization``, ``Company``, ``LegalEntity``, ``Vessel``), whose names
    are also compared on their initials (``normalize.name_variants``)."""

    names: tuple[str, ...]
    birth_date: str = ""
    nationalities: tuple[str, ...] = ()
    gender: str = ""
    documents: tuple[str, ...] = ()
    id: str = ""
    schema: str = ""

    @property
    def organisation(self) -> bool:
        """Whether this is an organisation (a schema other than Person)."""
        return self.schema not in ("", "Person")

    def __reduce__(self) -> tuple[type[Person], tuple[Any, ...]]:
        # explicit, so that the compiled class (``native``) pickles as the Python one does
        return Person, (
            self.names,
            self.birth_date,
            self.nationalities,
            self.gender,
            self.documents,
            self.id,
            self.schema,
        )


@dataclass(frozen=True, slots=True)
class BirthDate:
    first: date
    last: date
    precision: str  # exact | month | year | approximate | between

    @property
    def exact(self) -> bool:
        return self.precision == "exact"

    def __reduce__(self) -> tuple[type[BirthDate], tuple[date, date, str]]:
        return BirthDate, (self.first, self.last, self.precision)


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
#: Scripts whose romanisations are compared on their consonants too (``devowel``): abjads,
#: which leave short vowels out, and the syllabaries (Hangul, kana), which add vowels a foreign
#: name lacks (Blake: ブレイク, bureiku; Trump: 트럼프, teureompeu).
ABJADS: Final = frozenset({"Arab", "Hebr", "Hang", "Jpan", "Hani"})
#: Of those, the East Asian scripts (Hangul, kana, Han), whose consonants fold further
#: (``devowel`` with ``east``): one letter for t/d and k/g, and no r after a vowel.
EAST_ASIAN: Final = frozenset({"Hang", "Jpan", "Hani"})
#: Scripts written without short vowels: names in them are compared whole on their skeletons.
VOWELLESS: Final = frozenset({"Arab", "Hebr"})
#: ``consonants`` modes: compared on letters only, on abjad consonants, on East Asian ones.
LETTERS: Final = 0
ABJAD: Final = 1
EAST: Final = 2


def consonants(script: str) -> int:
    """How a name in ``script`` is compared on its consonants (``LETTERS``, ``ABJAD``, ``EAST``);
    a pair of names takes the larger mode of its two."""
    if script in EAST_ASIAN:
        return EAST
    return ABJAD if script in ABJADS else LETTERS


#: Letters these scripts write alike, folded before the consonant skeleton is taken: Arabic has
#: no p, v or hard g; Hangul and kana write f as p, v as b and l and r with one letter.
#: z/s is left apart: folding it cost precision (measured).
_ABJAD_FOLD: Final = str.maketrans(
    {"p": "b", "v": "b", "f": "b", "l": "r", "g": "y", "j": "y",
     "e": "a", "i": "a", "o": "a", "u": "a"}
)  # fmt: skip


#: Digraphs of Latin romanisations that abjads write with one letter (ש, ח, צ; ش, خ).
_DIGRAPHS: Final = (("sh", "s"), ("ch", "h"), ("kh", "h"), ("tz", "z"), ("ts", "z"), ("ck", "k"))
#: East Asian scripts write t and d, k and g alike in foreign names (哈灵顿 halingdun, Harrington;
#: 고든 godeun, Gordon); applied before ``_ABJAD_FOLD``.
_EAST_FOLD: Final = str.maketrans({"t": "d", "k": "g"})
#: An r after a vowel and before a consonant or at the end, which Chinese, Japanese and Korean
#: leave out of a foreign name (Gartner 高德納 gaodena, Fuhrman ファーマン famaan).
_SILENT_R: Final = re.compile(r"(?<=[aeiou])r+(?=[^aeiouy]|$)")


@lru_cache(maxsize=100_000)
def devowel(token: str, east: bool = False) -> str:
    """Consonants of a token as an abjad or a syllabary writes them: digraphs one letter (sh, ch,
    kh, tz/ts), letters these scripts cannot tell apart folded (``_ABJAD_FOLD``), doubled letters
    collapsed, a final h after a consonant (a written vowel: Golda, גולדה) dropped, first letter
    kept, later vowels (and the y/w that Arabic and Hebrew write for long vowels) and h (Hebrew
    he and het, Arabic ha and hha: written h, kh, ch or not at all) dropped: haddad, hdad -> dd;
    gamal, jamal -> ymr;
    golda, gwldh -> yrd; yitzhak, yzhq -> yzk. ``east``: ``_SILENT_R`` first and ``_EAST_FOLD``
    before ``_ABJAD_FOLD`` (harrington, halingdun -> hrndn; gartner, gaodena -> ydn)."""
    if east:
        token = _SILENT_R.sub("", token)
    for digraph, letter in _DIGRAPHS:
        if digraph in token:
            token = token.replace(digraph, letter)
    t = (token.translate(_EAST_FOLD) if east else token).translate(_ABJAD_FOLD)
    if len(t) > 2 and t[-1] == "h" and t[-2] not in _VOWELS:
        t = t[:-1]
    out = [t[:1]]
    last = t[:1]
    for ch in t[1:]:
        if ch != last and ch not in _VOWELS and ch != "h":
            out.append(ch)
        last = ch
    return "".join(out)


_INITIAL_FOLD: Final = {"q": "k", "c": "k", "g": "k", "z": "s", "v": "w", "p": "b"}


def _initial_class(ch: str) -> str:
    return "v" if ch in "aeiou" else _INITIAL_FOLD.get(ch, ch)


#: First letters that romanisations of one name write either way (besides ``_initial_class``).
_SAME_INITIALS: Final = frozenset({frozenset("gj"), frozenset("jy"), frozenset("iy")})
#: The similarity of two short parts that differ only in their first consonant (Wang / Jang,
#: Chen / Shen, Bill / Jill): other names, not spellings of one, so below the contradiction
#: line (``CONTRADICTION_BELOW``).
RHYME: Final = 0.5


#: Two parts with one skeleton are alike only when the shorter has this share of the longer's
#: letters at least.
SKELETON_LENGTHS: Final = 0.75
#: Joined skeletons shorter than this count for their share of it in ``name_joined``.
JOINED_FULL: Final = 4
#: Consonant skeletons (``devowel``) shorter than this agree by chance too often to count fully.
SHORT_SKELETON: Final = 3


def _same_initial(x: str, y: str) -> bool:
    return _initial_class(x) == _initial_class(y) or frozenset((x, y)) in _SAME_INITIALS


def token_similarity(a: str, sa: str, b: str, sb: str, abjad: int = LETTERS) -> float:
    """Similarity of two canonical tokens (with their skeletons) in [0, 1].

    ``abjad`` (``consonants``): one side was written in a script without short vowels (Arabic,
    Hebrew) or in one that adds vowels (Hangul, kana, Han), so the tokens are also compared on
    their consonants (``devowel``, East Asian folding with ``EAST``)."""
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:  # an initial
        return 0.6 if a[0] == b[0] else 0.0
    if len(a) <= 5 and a[1:] == b[1:] and not _same_initial(a[0], b[0]):
        return RHYME  # a short name with another first consonant: Wang, Zhang; Chen, Shen
    # optimal string alignment: two letters swapped are one typo (Mohmamed), not two edits
    best = OSA.normalized_similarity(a, b)
    if abjad:
        east = abjad == EAST
        da, db = devowel(a, east), devowel(b, east)
        # two short skeletons agree by chance (Sunja, Song: sn): they count for less
        weight = 0.98 if min(len(da), len(db)) >= SHORT_SKELETON else 0.7
        best = max(best, weight * Levenshtein.normalized_similarity(da, db))
    if sa and sa == sb:
        # one skeleton is not enough (Ahmed, Muhammad): the first letters must agree too, and
        # the parts be of about one length (Junhyok, Jong: jnk)
        alike = min(len(a), len(b)) >= SKELETON_LENGTHS * max(len(a), len(b))
        if alike and _initial_class(a[0]) == _initial_class(b[0]):
            # a skeleton of one consonant (Liu, Lala: l) says little
            return max(best, 0.92 if len(sa) >= 2 else 0.6)
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
    #: How many content parts each name has.
    query_parts: int = 0
    candidate_parts: int = 0

    @property
    def several_parts(self) -> bool:
        """Both names have at least two content parts."""
        return self.query_parts >= 2 and self.candidate_parts >= 2

    @property
    def best_coverage(self) -> float:
        """``contained_coverage`` of this alignment."""
        return contained_coverage(
            self.query_coverage, self.candidate_coverage, self.query_parts, self.candidate_parts
        )

    @property
    def overall(self) -> float:
        return (self.query_coverage + self.candidate_coverage + self.joined) / 3


def contained_coverage(q_cov: float, c_cov: float, q_parts: int, c_parts: int) -> float:
    """The larger coverage when one name of two or more parts may be the other with one part
    more or less (Fuad Khalaf, Fuad Mohamed Khalaf: a dropped middle name); else the smaller.
    A single word found in a longer name (Abdullah in Abdullah al-Senussi), or two common parts
    found in a name of five (Mohammad Ahmadi in Ahmed Jan Wazir Akhtar Mohammad), is not a name
    found whole: it is counted by the smaller coverage. Non-decreasing in both coverages."""
    if q_parts >= 2 and c_parts >= 2 and abs(q_parts - c_parts) <= 1:
        return max(q_cov, c_cov)
    return min(q_cov, c_cov)


def align_names(q: NameForm, c: NameForm) -> NameAlignment:
    """Greedy best-first token alignment, coverage of each side weighted by token length."""
    qt, qs = _content(q)
    ct, cs = _content(c)
    if not qt or not ct:
        return NameAlignment(q, c, 0.0, 0.0, 0.0, 0.0, ())
    abjad = max(consonants(q.script), consonants(c.script))
    on_skeletons = whole_names_on_skeletons(
        q.script in VOWELLESS, c.script in VOWELLESS, len(qt), len(ct)
    )
    q_joined, c_joined = (qs, cs) if on_skeletons else (qt, ct)
    cells = [
        (token_similarity(qt[i], qs[i], ct[j], cs[j], abjad), i, j)
        for i in range(len(qt))
        for j in range(len(ct))
    ]
    q_cov, c_cov, joined, shared, weakest, aligned = combine_alignment(
        cells,
        token_weights(qt),
        token_weights(ct),
        "".join(q_joined),
        "".join(reversed(q_joined)),
        "".join(c_joined),
        set(qs),
        set(cs),
    )
    pairs = tuple((qt[i], ct[j], sim) for i, j, sim in aligned)
    return NameAlignment(q, c, q_cov, c_cov, joined, shared, pairs, weakest, len(qt), len(ct))


def whole_names_on_skeletons(
    q_vowelless: bool, c_vowelless: bool, q_parts: int, c_parts: int
) -> bool:
    """Whether ``name_joined`` compares two names on their skeletons: where one is written
    without vowels (``VOWELLESS``) or both are one word; else on their letters (skeletons of
    names of several parts often agree: Sangon, Yongwon)."""
    return q_vowelless or c_vowelless or q_parts == c_parts == 1


def token_weights(tokens: tuple[str, ...]) -> tuple[int, ...]:
    """Weight of each name part in the coverages: its length, at least 2 (initials count)."""
    return tuple(max(len(t), 2) for t in tokens)


def combine_alignment(
    cells: list[tuple[float, int, int]],
    qw: Sequence[int],
    cw: Sequence[int],
    q_joined: str,
    q_joined_reversed: str,
    c_joined: str,
    q_skeletons: Set[str],
    c_skeletons: Set[str],
) -> tuple[float, float, float, float, float, list[tuple[int, int, float]]]:
    """The name-feature values of one pair of names from its token similarity grid.

    ``cells`` are ``(similarity, i, j)`` for every query part ``i`` and candidate part ``j``;
    ``qw``/``cw`` the part weights (``token_weights``); the joined skeletons of the query in
    order and reversed and of the candidate; the skeleton sets of both. Returns the query and
    candidate coverages, the joined-skeleton similarity, the skeleton share, the weakest part
    of the shorter name and the aligned ``(i, j, similarity)``. Shared by ``align_names`` and
    the precomputed fast path (``prepared.py``) so that both give the same numbers."""
    cells.sort(reverse=True)
    n_q, n_c = len(qw), len(cw)
    used_q = [0.0] * n_q  # similarity of the part each query part is aligned to (0: none)
    used_c = [0.0] * n_c
    aligned: list[tuple[int, int, float]] = []
    for sim, i, j in cells:
        if sim <= 0.0 or used_q[i] or used_c[j]:
            continue
        used_q[i] = sim
        used_c[j] = sim
        aligned.append((i, j, sim))
    q_cov = sum(map(operator.mul, used_q, qw)) / sum(qw)
    c_cov = sum(map(operator.mul, used_c, cw)) / sum(cw)
    joined = max(
        Levenshtein.normalized_similarity(q_joined, c_joined),
        Levenshtein.normalized_similarity(q_joined_reversed, c_joined),
    )
    # joined skeletons of fewer than four consonants agree by chance (Lei Liu, Loi Lala: ll)
    joined *= min(len(q_joined), len(c_joined), JOINED_FULL) / JOINED_FULL
    shared = len(q_skeletons & c_skeletons) / max(len(q_skeletons | c_skeletons), 1)
    # the weakest part of the shorter name: a contradiction (Ahmed / Muhammad Khalil) stays low
    # even when the rest agrees; a part only dropped or added does not lower it
    weakest = min(used_q if n_q <= n_c else used_c, default=0.0)
    if n_q == n_c >= 2 and weakest < CONTRADICTION_BELOW:
        # names of as many parts agree whole only as far as their weakest part does (Wang
        # Xiaoming, Zhang Xiaoming: alike letter for letter, yet another family name); a glued or
        # split name has a part more or less and keeps its whole-name similarity
        joined *= weakest / CONTRADICTION_BELOW
    elif n_q != n_c and joined >= GLUED:
        # a part glued or split (Geunhye, Geun-hye; Petergadet, Peter Gadet): the whole names
        # agree, so each is found in the other as far as their letters agree, and the part
        # aligned to half of a glued one is not another name
        q_cov, c_cov, weakest = max(q_cov, joined), max(c_cov, joined), max(weakest, joined)
    return q_cov, c_cov, joined, shared, weakest, aligned


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
        organisation = self.query.organisation or self.candidate.organisation
        candidate_names = expand_names(self.candidate.names, organisation)
        for qn in expand_names(self.query.names, organisation):
            qf = name_form(qn)
            for cn in candidate_names:
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
    """Whole-name similarity, parts joined (split or glued parts: Abdulrahman, Xiao Ming): of the
    letters, or of the skeletons where a name is written without vowels (Arabic, Hebrew)."""
    al = pair.names
    return FeatureResult(al.joined, f"whole names similarity {al.joined:.2f}")


def name_weakest_part(pair: Pair) -> FeatureResult:
    """Similarity of the least similar part of the shorter name (a contradiction lowers it)."""
    al = pair.names
    return FeatureResult(al.weakest, f"weakest aligned part {al.weakest:.2f}")


def name_best_coverage(pair: Pair) -> FeatureResult:
    """One name found whole in the other (Fuad Khalaf in Fuad Mohamed Khalaf), whichever side is
    the longer, when they differ by one part at most (``contained_coverage``)."""
    al = pair.names
    best = al.best_coverage
    return FeatureResult(best, f"one name found in the other {best:.2f}: {_pairs_text(al)}")


#: A part of the shorter name aligned below this similarity is a different part, not a spelling.
CONTRADICTION_BELOW: Final = 0.8
#: Names with a part more or less whose joined letters agree at least this much are one name
#: glued or split, not a contradiction (``combine_alignment``).
GLUED: Final = 0.9


def name_several_parts(pair: Pair) -> FeatureResult:
    """1 when both names have at least two parts (a single word says less about a person)."""
    several = pair.names.several_parts
    return FeatureResult(1.0 if several else 0.0, "both names have several parts" if several
                         else "a name of one part")  # fmt: skip


def name_part_contradiction(pair: Pair) -> FeatureResult:
    """1 when both names have several parts and one part of the shorter name differs (below
    ``CONTRADICTION_BELOW``): Mohammed Khalil / Ahmed Khalil, John Smith / Jane Smith."""
    al = pair.names
    if al.several_parts and al.weakest < CONTRADICTION_BELOW:
        return FeatureResult(1.0, f"a part differs (weakest {al.weakest:.2f})")
    return FeatureResult(0.0, "no part differs")


def name_skeletons(pair: Pair) -> FeatureResult:
    """Share of phonetic skeletons in common (Jaccard)."""
    al = pair.names
    return FeatureResult(al.skeleton_share, f"shared skeletons {al.skeleton_share:.2f}")


#: The most parts a name is compared with part by part by ``transliteration`` (every
#: assignment of parts is tried: 4! = 24).
TRANSLITERATION_PARTS: Final = 4


@lru_cache(maxsize=200_000)
def transliteration(latin_tokens: tuple[str, ...], words: str) -> float:
    """``translit.probability`` of a Latin name's content tokens as a transliteration of a
    name in a covered script (``translit.covered``: its words, space-separated).

    One word (Chinese and Japanese write a name without spaces): the whole Latin name, in
    order and reversed (family name first or last). As many words as Latin parts (up to
    ``TRANSLITERATION_PARTS``): part by part, for the assignment of parts whose weakest part is
    the most likely, and that weakest part's probability (a part that is another name makes
    another person: Mohammed Ali is not احمد علي). Otherwise 0.0 (neutral): the rules compare
    names with parts more or less."""
    parts = words.split(" ")
    if len(parts) == 1:
        return translit.probability(
            translit.model_letters(latin_tokens),
            translit.model_letters(tuple(reversed(latin_tokens))),
            words,
        )
    if len(parts) != len(latin_tokens) or len(parts) > TRANSLITERATION_PARTS:
        return 0.0
    letters = [translit.model_letters((t,)) for t in latin_tokens]
    table = [[translit.probability(x, x, part) for x in letters] for part in parts]
    best = 0.0
    for order in itertools.permutations(range(len(parts))):
        weakest = min(table[i][j] for i, j in enumerate(order))
        best = max(best, weakest)
    return best


#: What ``transliteration`` reads of a person's names: the content tokens of each name in Latin
#: script, and the words (``translit.covered``) of each name in a covered script, each with the
#: first name it came from (for the explanation).
TransliterationSides = tuple[dict[tuple[str, ...], str], dict[str, str]]


def transliteration_sides(names: Sequence[str]) -> TransliterationSides:
    """``TransliterationSides`` of names (a person's names with their variants)."""
    latin: dict[tuple[str, ...], str] = {}
    covered: dict[str, str] = {}
    for text in names:
        form = name_form(text)
        if form.script == "Latn":
            latin.setdefault(_content(form)[0], form.original)
        else:
            words = translit.covered(text)
            if words:
                covered.setdefault(words, form.original)
    return latin, covered


def best_transliteration(
    query: tuple[Sequence[tuple[str, ...]], Sequence[str]],
    candidate: tuple[Sequence[tuple[str, ...]], Sequence[str]],
) -> tuple[float, tuple[str, ...], str, bool]:
    """The largest ``transliteration`` between a Latin name of one side and a covered name of
    the other (0.0 when no pair crosses: neutral), that Latin name's tokens, the covered name's
    words, and whether the Latin name is the query's."""
    best: tuple[float, tuple[str, ...], str, bool] = (0.0, (), "", True)
    for latin, covered, from_query in ((query[0], candidate[1], True),
                                       (candidate[0], query[1], False)):  # fmt: skip
        for tokens in latin if covered else ():
            for words in covered:
                value = transliteration(tokens, words)
                if value > best[0]:
                    best = (value, tokens, words, from_query)
    return best


def name_transliteration(pair: Pair) -> FeatureResult:
    """The learned likelihood that a Latin name is a transliteration of the other, written in
    Arabic, Cyrillic, Han or kana script (``translit``): 高克 / Gauck, 李文森 / Levinson, which
    romanisation rules miss; the best pair of names; 0 when no pair crosses those scripts."""
    organisation = pair.query.organisation or pair.candidate.organisation
    q_latin, q_covered = transliteration_sides(expand_names(pair.query.names, organisation))
    c_latin, c_covered = transliteration_sides(expand_names(pair.candidate.names, organisation))
    best, tokens, words, from_query = best_transliteration(
        (tuple(q_latin), tuple(q_covered)), (tuple(c_latin), tuple(c_covered))
    )
    if not words:
        return FeatureResult(0.0, "no names in Latin and in Arabic, Cyrillic, Han or kana script")
    if from_query:
        between = f"{q_latin[tokens]} / {c_covered[words]}"
    else:
        between = f"{q_covered[words]} / {c_latin[tokens]}"
    return FeatureResult(best, f"transliteration likelihood {best:.2f}: {between}")


def _dates(pair: Pair) -> tuple[BirthDate | None, BirthDate | None]:
    return parse_birth_date(pair.query.birth_date), parse_birth_date(pair.candidate.birth_date)


#: Cases of ``birth_date_case`` and their ``birth_date_match`` scores.
BIRTH_MISSING, BIRTH_SAME, BIRTH_SWAPPED, BIRTH_DIGIT, BIRTH_YEAR, BIRTH_DIFFERENT = range(6)
BIRTH_COMPATIBLE, BIRTH_INCOMPATIBLE = 6, 7
BIRTH_MATCH_SCORES: Final = (0.0, 1.0, 0.8, 0.6, 0.3, 0.0, 0.3, 0.0)


def birth_date_case(a: BirthDate | None, b: BirthDate | None) -> int:
    """How two parsed birth dates agree (one of the ``BIRTH_*`` cases), for ``birth_date_match``
    and the precomputed fast path alike."""
    if a is None or b is None:
        return BIRTH_MISSING
    if a.exact and b.exact:
        x, y = a.first, b.first
        if x == y:
            return BIRTH_SAME
        if x.year == y.year and x.month == y.day and x.day == y.month:
            return BIRTH_SWAPPED
        if Levenshtein.distance(x.isoformat(), y.isoformat()) == 1:
            return BIRTH_DIGIT
        if x.year == y.year:
            return BIRTH_YEAR
        return BIRTH_DIFFERENT
    if a.first <= b.last and b.first <= a.last:
        return BIRTH_COMPATIBLE
    return BIRTH_INCOMPATIBLE


def birth_date_match(pair: Pair) -> FeatureResult:
    """1 same day; 0.8 day and month swapped; 0.6 one digit off; 0.3 same year, or a year or range
    that holds the other date (no more evidence than a year: 0.5 made a traveller's birth in a
    listed person's year of birth outweigh most of a name's doubt); 0 else."""
    a, b = _dates(pair)
    case = birth_date_case(a, b)
    score = BIRTH_MATCH_SCORES[case]
    if a is None or b is None:
        return FeatureResult(score, "birth date missing")
    x, y = a.first, b.first
    reason = {
        BIRTH_SAME: f"same birth date {x}",
        BIRTH_SWAPPED: f"birth date with day and month swapped: {x} / {y}",
        BIRTH_DIGIT: f"birth dates one digit apart: {x} / {y}",
        BIRTH_YEAR: f"same birth year {x.year}",
        BIRTH_DIFFERENT: f"different birth dates {x} / {y}",
        BIRTH_COMPATIBLE: f"birth dates compatible ({a.precision} / {b.precision})",
        BIRTH_INCOMPATIBLE: "birth dates incompatible",
    }[case]
    return FeatureResult(score, reason)


def birth_date_gap(a: BirthDate | None, b: BirthDate | None) -> int | None:
    """Days between two birth dates outside their ranges (None when one is missing)."""
    if a is None or b is None:
        return None
    return max(a.first.toordinal() - b.last.toordinal(), b.first.toordinal() - a.last.toordinal())


def birth_date_mismatch(pair: Pair) -> FeatureResult:
    """1 when both birth dates are known and more than a year apart (outside any range)."""
    gap = birth_date_gap(*_dates(pair))
    if gap is None:
        return FeatureResult(0.0, "birth date missing")
    if gap > 366:
        return FeatureResult(1.0, f"birth dates {gap // 365} years apart")
    return FeatureResult(0.0, "birth dates within a year")


def countries(values: tuple[str, ...]) -> set[str]:
    """Nationality codes as compared: trimmed, upper-case, at most 3 letters."""
    return {v.strip().upper()[:3] for v in values if v and v.strip()}


def nationality_match(pair: Pair) -> FeatureResult:
    common = countries(pair.query.nationalities) & countries(pair.candidate.nationalities)
    if common:
        return FeatureResult(1.0, f"same nationality {', '.join(sorted(common))}")
    return FeatureResult(0.0, "no common nationality")


def nationality_mismatch(pair: Pair) -> FeatureResult:
    a, b = countries(pair.query.nationalities), countries(pair.candidate.nationalities)
    if a and b and not a & b:
        return FeatureResult(1.0, f"different nationalities {sorted(a)} / {sorted(b)}")
    return FeatureResult(0.0, "nationalities not in conflict")


_GENDER: Final = {"m": "m", "male": "m", "f": "f", "female": "f"}


def gender_code(gender: str) -> str | None:
    """``m``, ``f`` or None (unknown)."""
    return _GENDER.get(gender.strip().lower())


def gender_mismatch(pair: Pair) -> FeatureResult:
    a = gender_code(pair.query.gender)
    b = gender_code(pair.candidate.gender)
    if a and b and a != b:
        return FeatureResult(1.0, "different genders")
    return FeatureResult(0.0, "genders not in conflict")


def normalise_document(number: str) -> str:
    """Upper-case letters and digits only; O read as 0 (``ab-12 O34`` -> ``AB12034``)."""
    return "".join(ch for ch in number.upper() if ch.isalnum() and ch.isascii()).replace("O", "0")


def document_numbers(documents: tuple[str, ...]) -> set[str]:
    """The normalised, non-empty document numbers of a person."""
    return {normalise_document(d) for d in documents} - {""}


def document_match(pair: Pair) -> FeatureResult:
    a = document_numbers(pair.query.documents)
    b = document_numbers(pair.candidate.documents)
    common = a & b
    if common:
        return FeatureResult(1.0, f"same document number {sorted(common)[0]}")
    return FeatureResult(0.0, "no common document number")
