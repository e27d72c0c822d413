"""Persons prepared once for scoring: the fast path of the feature functions (framework-free).

A watchlist entry is compared with thousands of queries, so everything the features derive from
it alone (canonical content tokens, skeletons, part weights, joined skeleton, script, parsed birth
date, nationality codes, gender, document numbers) is computed once, when it is added to the
index (``prepare``). ``feature_values`` then gives the same numbers as the feature functions of
``features.py`` on the original persons, without building ``Pair`` objects or explanation
strings: both paths share the same helpers (``combine_alignment``, ``birth_date_case``...), and
``tests/unit/test_matching_prepared.py`` checks them equal on the benchmark's queries. The
explanations of reported matches still come from ``Algorithm.compare`` (the feature functions).

Names of one person that give the same canonical content tokens in scripts of the same kind
(abjad or not) align identically, so only the first is kept: aliases such as Mohammed /
Muhammad / محمد often collapse into one prepared name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from accord.engine.matching import features as f
from accord.engine.matching.features import BirthDate, FeatureResult, Pair, Person
from accord.engine.matching.normalize import expand_names, name_form

__all__ = [
    "FAST_FEATURES",
    "PreparedName",
    "PreparedPerson",
    "QueryParts",
    "TokenMemo",
    "feature_values",
    "prepare",
    "prepare_name",
    "query_parts",
]

#: Token similarities of one query already computed: ``(query part, candidate part, abjad)``.
TokenMemo = dict[tuple[str, str, int], float]


@dataclass(frozen=True, slots=True)
class PreparedName:
    """The content tokens of one name with what the name features derive from them alone."""

    tokens: tuple[str, ...]
    skeletons: tuple[str, ...]
    weights: tuple[int, ...]
    joined: str
    #: ``features.consonants`` of the name's script.
    abjad: int
    #: The tokens joined, and whether the name's script is written without vowels (its whole
    #: name is then compared on ``joined``, the skeletons; else on ``letters``).
    letters: str
    vowelless: bool


@dataclass(frozen=True, slots=True)
class PreparedPerson:
    """A person with every per-person input of the features computed."""

    names: tuple[PreparedName, ...]
    birth: BirthDate | None
    nationalities: frozenset[str]
    gender: str | None
    documents: frozenset[str]
    #: For ``features.name_transliteration``: the content tokens of the names in Latin script,
    #: and the letters (``translit.covered``) of the names in a script the model covers.
    latin: tuple[tuple[str, ...], ...] = ()
    covered: tuple[str, ...] = ()


T = TypeVar("T")
#: Distinct values already held (``prepare``'s ``shared``): one object per value.
Shared = dict[Any, Any]


def _one(shared: Shared | None, value: T) -> T:
    if shared is None:
        return value
    kept: T = shared.setdefault(value, value)
    return kept


def prepare_name(text: str, shared: Shared | None = None) -> PreparedName:
    """The prepared form of one name (``features._content`` of its ``NameForm``)."""
    form = name_form(text)
    tokens, skeletons = f._content(form)
    return PreparedName(
        _one(shared, tuple(_one(shared, t) for t in tokens)),
        _one(shared, tuple(_one(shared, s) for s in skeletons)),
        _one(shared, f.token_weights(tokens)),
        "".join(skeletons),
        f.consonants(form.script),
        "".join(tokens),
        form.script in f.VOWELLESS,
    )


def prepare(
    person: Person, shared: Shared | None = None, variants: tuple[str, ...] | None = None
) -> PreparedPerson:
    """Everything the features need from ``person`` alone (see the module docstring).

    ``shared`` (the index passes its own) keeps one object per distinct token, tuple and set:
    the same parts and nationalities recur across a million entries. ``variants``: the person's
    names with their variants when the caller has them already (``expand_names``)."""
    names: dict[tuple[tuple[str, ...], int, bool], PreparedName] = {}
    names_ = expand_names(person.names, person.organisation) if variants is None else variants
    for text in names_:
        p = prepare_name(text, shared)
        names.setdefault((p.tokens, p.abjad, p.vowelless), p)
    latin, covered = f.transliteration_sides(names_)
    return PreparedPerson(
        tuple(names.values()),
        f.parse_birth_date(person.birth_date),
        _one(shared, frozenset(f.countries(person.nationalities))),
        f.gender_code(person.gender),
        _one(shared, frozenset(f.document_numbers(person.documents))),
        _one(shared, tuple(_one(shared, t) for t in latin)),
        _one(shared, tuple(_one(shared, w) for w in covered)),
    )


def _align(
    q: PreparedName,
    q_reversed: str,
    q_letters_reversed: str,
    q_set: frozenset[str],
    c: PreparedName,
    memo: TokenMemo,
) -> tuple[float, float, float, float, float, float, float]:
    """``features.align_names`` on prepared names: coverages, joined, share, weakest, 1.0 when
    both names have several parts, and ``features.contained_coverage``."""
    qt, qs, ct, cs = q.tokens, q.skeletons, c.tokens, c.skeletons
    if not qt or not ct:
        return 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    abjad = max(q.abjad, c.abjad)
    cells: list[tuple[float, int, int]] = []
    for i, a in enumerate(qt):
        sa = qs[i]
        for j, b in enumerate(ct):
            key = (a, b, abjad)
            sim = memo.get(key)
            if sim is None:
                sim = memo[key] = f.token_similarity(a, sa, b, cs[j], abjad)
            cells.append((sim, i, j))
    if f.whole_names_on_skeletons(q.vowelless, c.vowelless, len(qt), len(ct)):
        q_joined, q_rev, c_joined = q.joined, q_reversed, c.joined
    else:
        q_joined, q_rev, c_joined = q.letters, q_letters_reversed, c.letters
    q_cov, c_cov, joined, shared, weakest, _ = f.combine_alignment(
        cells, q.weights, c.weights, q_joined, q_rev, c_joined, q_set, frozenset(cs)
    )
    nq, nc = len(qt), len(ct)
    several = 1.0 if nq >= 2 and nc >= 2 else 0.0
    return (
        q_cov,
        c_cov,
        joined,
        shared,
        weakest,
        several,
        f.contained_coverage(q_cov, c_cov, nq, nc),
    )


#: Per query name, what the alignment derives from it alone: the name, its joined skeletons
#: and joined tokens reversed and its set of skeletons (``query_parts``: computed once per
#: query, not per pair).
QueryParts = tuple[tuple[PreparedName, str, str, frozenset[str]], ...]


def query_parts(query: PreparedPerson) -> QueryParts:
    """The query side of every name alignment of ``query`` (pass it to ``feature_values``)."""
    return tuple(
        (
            q,
            "".join(reversed(q.skeletons)),
            "".join(reversed(q.tokens)),
            frozenset(q.skeletons),
        )
        for q in query.names
    )


def _name_values(
    query: PreparedPerson, candidate: PreparedPerson, memo: TokenMemo, parts: QueryParts | None
) -> tuple[tuple[float, float, float, float, float, float, float], float]:
    """The alignment of the best pair of names, as ``Pair.names`` chooses it, and the best
    ``features.transliteration`` over every pair of names (``features.name_transliteration``)."""
    best = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    best_overall = -1.0
    for q, q_reversed, q_letters_reversed, q_set in query_parts(query) if parts is None else parts:
        for c in candidate.names:
            values = _align(q, q_reversed, q_letters_reversed, q_set, c, memo)
            overall = (values[0] + values[1] + values[2]) / 3
            if overall > best_overall:
                best, best_overall = values, overall
    if query.covered or candidate.covered:
        crossed = f.best_transliteration(
            (query.latin, query.covered), (candidate.latin, candidate.covered)
        )[0]
    else:
        crossed = 0.0
    return best, crossed


#: The features this module computes, in the order of ``feature_values``.
FAST_FEATURES: Final[tuple[Callable[[Pair], FeatureResult], ...]] = (
    f.name_query_coverage,
    f.name_candidate_coverage,
    f.name_joined,
    f.name_skeletons,
    f.name_weakest_part,
    f.birth_date_match,
    f.birth_date_mismatch,
    f.nationality_match,
    f.nationality_mismatch,
    f.gender_mismatch,
    f.document_match,
    f.name_best_coverage,
    f.name_several_parts,
    f.name_part_contradiction,
    f.name_transliteration,
)


def feature_values(
    query: PreparedPerson,
    candidate: PreparedPerson,
    memo: TokenMemo,
    parts: QueryParts | None = None,
) -> tuple[float, ...]:
    """The scores of ``FAST_FEATURES`` for a pair, equal to the feature functions' scores.

    ``memo`` keeps token similarities between calls: pass one dict per query (or batch);
    ``parts`` is ``query_parts(query)``, computed once per query (else per call)."""
    (q_cov, c_cov, joined, shared, weakest, several, contained), transliteration = _name_values(
        query, candidate, memo, parts
    )
    a, b = query.birth, candidate.birth
    gap = f.birth_date_gap(a, b)
    qn, cn = query.nationalities, candidate.nationalities
    qg, cg = query.gender, candidate.gender
    return (
        q_cov,
        c_cov,
        joined,
        shared,
        weakest,
        f.BIRTH_MATCH_SCORES[f.birth_date_case(a, b)],
        1.0 if gap is not None and gap > 366 else 0.0,
        1.0 if qn & cn else 0.0,
        1.0 if qn and cn and not qn & cn else 0.0,
        1.0 if qg and cg and qg != cg else 0.0,
        1.0 if query.documents & candidate.documents else 0.0,
        contained,
        several,
        several if weakest < f.CONTRADICTION_BELOW else 0.0,
        transliteration,
    )
