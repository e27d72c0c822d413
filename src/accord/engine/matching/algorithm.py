"""Matching algorithms: named, versioned lists of weighted features, combined by a logistic model.

``score = sigmoid(bias + sum(weight_i * feature_i))``: a logistic regression over the feature
scores, its weights fitted on labelled synthetic pairs (``calibrate.fit_logistic``, see
docs/matching.md), so the score reads as a probability of a match on that data. The operating
threshold was chosen on the same training pairs (best F1) and is part of the algorithm's version.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from accord.engine.matching import features as f
from accord.engine.matching.calibrate import sigmoid
from accord.engine.matching.features import FeatureResult, Pair, Person
from accord.engine.matching.prepared import (
    FAST_FEATURES,
    PreparedPerson,
    QueryParts,
    TokenMemo,
    feature_values,
)

__all__ = [
    "ALGORITHMS",
    "DEFAULT",
    "FEATURE_NAMES",
    "NAME_FEATURES",
    "V1",
    "V2",
    "V3",
    "V4",
    "Algorithm",
    "MatchResult",
    "Weighted",
    "calibrated",
    "get_algorithm",
    "make_algorithm",
    "make_v2",
    "make_v3",
    "make_v4",
]


def calibrated(p: float, knots: Sequence[Sequence[float]]) -> float:
    """``p`` through a calibration map given as ``(output, probability)`` knots: linear between
    knots, flat beyond the ends; ``p`` itself when there are no knots."""
    if not knots:
        return p
    if p <= knots[0][0]:
        return knots[0][1]
    for i in range(1, len(knots)):
        x1, y1 = knots[i]
        if p <= x1:
            x0, y0 = knots[i - 1]
            return y0 + (y1 - y0) * (p - x0) / (x1 - x0) if x1 > x0 else y1
    return knots[-1][1]


@dataclass(frozen=True, slots=True)
class Weighted:
    name: str
    function: Callable[[Pair], FeatureResult]
    weight: float


@dataclass(frozen=True, slots=True)
class MatchResult:
    score: float
    match: bool
    explanation: dict[str, dict[str, float | str]]

    def __reduce__(self) -> tuple[type[MatchResult], tuple[Any, ...]]:
        return MatchResult, (self.score, self.match, self.explanation)


@dataclass(frozen=True, slots=True)
class Algorithm:
    """A named, versioned matcher: features with weights, a bias and an operating threshold."""

    name: str
    version: str
    features: tuple[Weighted, ...]
    bias: float
    threshold: float
    #: A monotone map from the logistic model's output to the observed share of matches, as
    #: ``(model output, probability)`` knots joined by straight lines (fitted on held-out pairs
    #: by isotonic regression); empty: the model's output is the score.
    calibration: tuple[tuple[float, float], ...] = ()
    #: The calibration of pairs whose ``name_transliteration`` has a value (a Latin name and
    #: one in a script the transliteration model covers: evidence other pairs do not have, so
    #: they are calibrated on their own); empty: ``calibration`` for every pair.
    crossed_calibration: tuple[tuple[float, float], ...] = ()
    #: The weights in feature order, and where each feature sits in ``prepared.feature_values``
    #: (None when a feature has no precomputed form: then only the ``Pair`` path scores).
    _weights: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _fast: tuple[int, ...] | None = field(init=False, repr=False, compare=False)
    #: The weights in ``FAST_FEATURES`` order (0.0 for a feature this algorithm does not use):
    #: summed in that order they give ``score_vector``'s sum exactly when the algorithm's
    #: features follow that order (adding 0.0 changes no float); else None.
    _fast_weights: tuple[float, ...] | None = field(init=False, repr=False, compare=False)
    #: Where ``name_transliteration`` sits in the features and in ``FAST_FEATURES`` (-1: not
    #: used, or no ``crossed_calibration``).
    _crossed: int = field(init=False, repr=False, compare=False)
    _crossed_fast: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_weights", tuple(w.weight for w in self.features))
        names = [w.name for w in self.features]
        crossed = (
            names.index("name_transliteration")
            if self.crossed_calibration and "name_transliteration" in names
            else -1
        )
        object.__setattr__(self, "_crossed", crossed)
        object.__setattr__(
            self,
            "_crossed_fast",
            FAST_FEATURES.index(f.name_transliteration) if crossed >= 0 else -1,
        )
        fast = [
            FAST_FEATURES.index(w.function) for w in self.features if w.function in FAST_FEATURES
        ]
        ok = len(fast) == len(self.features)
        object.__setattr__(self, "_fast", tuple(fast) if ok else None)
        in_order = ok and fast == sorted(set(fast))
        weights = [0.0] * len(FAST_FEATURES)
        for i, w in zip(fast, self.features, strict=False):
            weights[i] = w.weight
        object.__setattr__(self, "_fast_weights", tuple(weights) if in_order else None)

    @property
    def supports_prepared(self) -> bool:
        """Whether ``score_prepared`` can score this algorithm (every feature has a fast form)."""
        return self._fast is not None

    def vector(self, pair: Pair) -> list[float]:
        return [w.function(pair).score for w in self.features]

    def score_vector(self, values: Sequence[float]) -> float:
        if len(values) != len(self._weights):
            raise ValueError(f"{len(values)} values for {len(self._weights)} features")
        p = sigmoid(self.bias + sum(map(operator.mul, self._weights, values)))
        return self._calibrated(p, self._crossed >= 0 and values[self._crossed] > 0.0)

    def _calibrated(self, p: float, crossed: bool = False) -> float:
        return calibrated(p, self.crossed_calibration if crossed else self.calibration)

    def score_prepared(
        self,
        query: PreparedPerson,
        candidate: PreparedPerson,
        memo: TokenMemo,
        parts: QueryParts | None = None,
    ) -> float:
        """``score`` on prepared persons (``prepared.prepare``): the same value, computed from
        the per-person values kept by the index; ``memo`` holds the query's token
        similarities."""
        if self._fast is None:
            raise ValueError(f"{self.name} has features without a prepared form")
        values = feature_values(query, candidate, memo, parts)
        weights = self._fast_weights
        if weights is None:
            return self.score_vector([values[i] for i in self._fast])
        p = sigmoid(self.bias + sum(map(operator.mul, weights, values)))
        return self._calibrated(p, self._crossed_fast >= 0 and values[self._crossed_fast] > 0.0)

    def score(self, query: Person, candidate: Person) -> float:
        """Score only (no explanation strings kept): the fast path of the index."""
        return self.score_vector(self.vector(Pair(query, candidate)))

    def compare(self, query: Person, candidate: Person) -> MatchResult:
        """Score with an explanation per feature (value, weight, contribution, reason)."""
        pair = Pair(query, candidate)
        explanation: dict[str, dict[str, float | str]] = {}
        values = []
        for w in self.features:
            r = w.function(pair)
            values.append(r.score)
            explanation[w.name] = {
                "score": round(r.score, 4),
                "weight": w.weight,
                "contribution": round(w.weight * r.score, 4),
                "reason": r.explanation,
            }
        s = self.score_vector(values)
        return MatchResult(round(s, 4), s >= self.threshold, explanation)


#: Feature list of accord-name-v1. Non-name weights and the bias from calibrate.fit_logistic on
#: synthetic pairs (bench.fit); the four name weights raised by hand so that a name-only
#: comparison can match (the training pairs nearly all had birth dates). See docs/matching.md.
_V1_FEATURES: Final = (
    ("name_query_coverage", f.name_query_coverage, 2.5),
    ("name_candidate_coverage", f.name_candidate_coverage, 2.0),
    ("name_joined", f.name_joined, 2.0),
    ("name_skeletons", f.name_skeletons, 1.5),
    ("birth_date_match", f.birth_date_match, 4.687),
    ("birth_date_mismatch", f.birth_date_mismatch, -2.035),
    ("nationality_match", f.nationality_match, 0.950),
    ("nationality_mismatch", f.nationality_mismatch, -0.964),
    ("gender_mismatch", f.gender_mismatch, -1.604),
    # no documents in the synthetic training data: set by hand (a shared number is strong)
    ("document_match", f.document_match, 4.0),
)
_V1_BIAS: Final = -6.836
_V1_THRESHOLD: Final = 0.5


def make_algorithm(
    name: str, version: str, weights: dict[str, float], bias: float, threshold: float
) -> Algorithm:
    """accord-name-v1's feature list with other weights (used by calibration)."""
    return Algorithm(
        name,
        version,
        tuple(Weighted(n, fn, weights.get(n, w)) for n, fn, w in _V1_FEATURES),
        bias,
        threshold,
    )


V1: Final = make_algorithm("accord-name-v1", "1", {}, _V1_BIAS, _V1_THRESHOLD)

#: Feature list of accord-name-v2: v1's features plus the weakest aligned name part; all weights,
#: the bias and the threshold fitted by ``bench.fit`` (Newton logistic regression on a separate
#: calibration watchlist and query seed, see docs/matching.md).
V2_FEATURES: Final = (
    ("name_query_coverage", f.name_query_coverage),
    ("name_candidate_coverage", f.name_candidate_coverage),
    ("name_joined", f.name_joined),
    ("name_skeletons", f.name_skeletons),
    ("name_weakest_part", f.name_weakest_part),
    ("birth_date_match", f.birth_date_match),
    ("birth_date_mismatch", f.birth_date_mismatch),
    ("nationality_match", f.nationality_match),
    ("nationality_mismatch", f.nationality_mismatch),
    ("gender_mismatch", f.gender_mismatch),
    ("document_match", f.document_match),
)
#: Fitted by ``bench.fit(100_000, 4000)`` (calibration watchlist seed 13, query seed 11; 119,508
#: candidate pairs, 9,986 positive; each query as generated, without birth date, and name only).
#: No synthetic pair has a document number: ``document_match`` is set by hand.
_V2_WEIGHTS: Final = {
    "name_query_coverage": 6.192,
    "name_candidate_coverage": 10.423,
    "name_joined": -1.311,
    "name_skeletons": -2.582,
    "name_weakest_part": 6.306,
    "birth_date_match": 4.442,
    "birth_date_mismatch": -1.051,
    "nationality_match": 0.363,
    "nationality_mismatch": -2.429,
    "gender_mismatch": -1.244,
    "document_match": 6.0,
}
_V2_BIAS: Final = -18.747
#: Best query-level F1 (0.964) on the calibration queries (not the benchmark's).
_V2_THRESHOLD: Final = 0.375


def make_v2(weights: dict[str, float], bias: float, threshold: float) -> Algorithm:
    """accord-name-v2's feature list with the given weights (used by calibration)."""
    return Algorithm(
        "accord-name-v2",
        "2",
        tuple(Weighted(n, fn, weights.get(n, _V2_WEIGHTS[n])) for n, fn in V2_FEATURES),
        bias,
        threshold,
    )


V2: Final = make_v2(_V2_WEIGHTS, _V2_BIAS, _V2_THRESHOLD)

#: Feature list of accord-name-v3: the whole-name similarity, the larger of the two coverages
#: (one name found whole in the other, whichever is longer), whether both names have several
#: parts and whether one of those parts differs, then v2's other evidence. Every name weight but
#: the contradiction's is positive, so a closer name never scores lower (v2's query and candidate
#: coverages, skeleton share and weakest part, the smaller coverage and squared similarities
#: took negative weights when fitted together on real pairs, so that an exact name could score
#: below a near one, and were dropped).
V3_FEATURES: Final = (
    ("name_joined", f.name_joined),
    *V2_FEATURES[5:],
    ("name_best_coverage", f.name_best_coverage),
    ("name_several_parts", f.name_several_parts),
    ("name_part_contradiction", f.name_part_contradiction),
)
#: The name weights and the bias: fitted by ``scripts/names_fit.py`` on the train split of real
#: labelled name pairs (``scripts/names_corpus.py``: Wikidata transliterations, the UN list's
#: aliases, names-ar2en), name-only pairs, so that a name-only score is calibrated on its own.
#: The other evidence keeps v2's weights, read as log-odds added to the name's: a field missing
#: on either side scores 0 and moves nothing (neutral, not evidence against).
V3_NAME_WEIGHTS: Final = {
    "name_joined": 1.726,
    "name_best_coverage": 5.886,
    "name_several_parts": 1.051,
    "name_part_contradiction": -2.477,
}
_V3_EVIDENCE: Final = {
    n: _V2_WEIGHTS[n]
    for n in (
        "birth_date_match",
        "birth_date_mismatch",
        "nationality_match",
        "nationality_mismatch",
        "gender_mismatch",
        "document_match",
    )
}
_V3_BIAS: Final = -4.274
#: The best F1 on the dev split among thresholds with a dev precision of at least 0.97 (on the
#: calibrated score; the precision the issue's owners set for recall across scripts).
_V3_THRESHOLD: Final = 0.9005


#: The isotonic map of the model's output to the share of matches on the dev split (knots).
_V3_CALIBRATION: Final[tuple[tuple[float, float], ...]] = (
    (0.0, 0.0),
    (0.0227, 0.018),
    (0.0484, 0.03911),
    (0.0639, 0.04692),
    (0.0931, 0.06093),
    (0.156, 0.11254),
    (0.2611, 0.28438),
    (0.4703, 0.67789),
    (0.6448, 0.89665),
    (0.8053, 0.91549),
    (0.9064, 0.96874),
    (0.9419, 0.98436),
    (0.9639, 0.98628),
    (1.0, 1.0),
)


def _fitted(
    version: str,
    features: tuple[tuple[str, Callable[[Pair], FeatureResult]], ...],
    name_weights: dict[str, float],
    bias: float,
    threshold: float,
    calibration: tuple[tuple[float, float], ...],
    crossed_calibration: tuple[tuple[float, float], ...] = (),
) -> Algorithm:
    """accord-name-v``version``: ``features`` with the fitted name weights and v2's weights of
    the other evidence (v3 onwards)."""
    weights = {**_V3_EVIDENCE, **name_weights}
    return Algorithm(
        f"accord-name-v{version}",
        version,
        tuple(Weighted(n, fn, weights[n]) for n, fn in features),
        bias,
        threshold,
        calibration,
        crossed_calibration,
    )


def make_v3(
    name_weights: dict[str, float],
    bias: float,
    threshold: float,
    calibration: tuple[tuple[float, float], ...] = (),
) -> Algorithm:
    """accord-name-v3's feature list with the given name weights (used by calibration)."""
    return _fitted(
        "3", V3_FEATURES, {**V3_NAME_WEIGHTS, **name_weights}, bias, threshold, calibration
    )


V3: Final = make_v3({}, _V3_BIAS, _V3_THRESHOLD, _V3_CALIBRATION)

#: Feature list of accord-name-v4: v3's and the learned transliteration likelihood of a Latin
#: name and one in Arabic, Cyrillic, Han or kana script (``features.name_transliteration``,
#: ``translit``), 0 (neutral) for any other pair of scripts.
V4_FEATURES: Final = (*V3_FEATURES, ("name_transliteration", f.name_transliteration))
#: Fitted by ``scripts/names_fit.py`` as v3's (train split, name-only pairs).
V4_NAME_WEIGHTS: Final = {
    "name_joined": 1.726,
    "name_best_coverage": 5.886,
    "name_several_parts": 1.051,
    "name_part_contradiction": -2.477,
    "name_transliteration": 6.214,
}
_V4_BIAS: Final = -4.274
_V4_THRESHOLD: Final = _V3_THRESHOLD
#: Pairs without transliteration evidence keep v3's map and threshold (they score as in v3).
_V4_CALIBRATION: Final = _V3_CALIBRATION
#: The isotonic map of the crossed pairs of the dev split (``Algorithm.crossed_calibration``).
_V4_CROSSED_CALIBRATION: Final[tuple[tuple[float, float], ...]] = (
    (0.0, 0.0),
    (0.0137, 0.0149),
    (0.0275, 0.01871),
    (0.0442, 0.02242),
    (0.0776, 0.02435),
    (0.1585, 0.03003),
    (0.3356, 0.10473),
    (0.8899, 0.82467),
    (0.9962, 0.96273),
    (0.9991, 0.98691),
    (0.9997, 0.9963),
    (0.9999, 0.9991),
    (1.0, 1.0),
)


def make_v4(
    name_weights: dict[str, float],
    bias: float,
    threshold: float,
    calibration: tuple[tuple[float, float], ...] = (),
    crossed_calibration: tuple[tuple[float, float], ...] = (),
) -> Algorithm:
    """accord-name-v4's feature list with the given name weights (used by calibration)."""
    weights = {**V4_NAME_WEIGHTS, **name_weights}
    return _fitted("4", V4_FEATURES, weights, bias, threshold, calibration, crossed_calibration)


V4: Final = make_v4({}, _V4_BIAS, _V4_THRESHOLD, _V4_CALIBRATION, _V4_CROSSED_CALIBRATION)
DEFAULT: Final = V4
ALGORITHMS: Final[dict[str, Algorithm]] = {
    V4.name: V4,
    V3.name: V3,
    V2.name: V2,
    V1.name: V1,
}
FEATURE_NAMES: Final = tuple(n for n, _ in V4_FEATURES)
#: The features that read names only (fitted on name-only pairs).
NAME_FEATURES: Final = tuple(n for n in FEATURE_NAMES if n.startswith("name_"))


def get_algorithm(name: str = DEFAULT.name) -> Algorithm:
    return ALGORITHMS[name]
