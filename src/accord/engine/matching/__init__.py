"""Screening matcher: cross-script name matching, features, algorithms, index (no Django).

The hot modules run compiled when a fresh mypyc build exists (``native``), else as Python.
"""

from accord.engine.matching import native

native.load()

from accord.engine.matching.algorithm import DEFAULT, Algorithm, MatchResult, get_algorithm  # noqa: E402
from accord.engine.matching.features import FeatureResult, Pair, Person  # noqa: E402
from accord.engine.matching.index import Candidate, WatchlistIndex  # noqa: E402

__all__ = [
    "DEFAULT",
    "Algorithm",
    "Candidate",
    "FeatureResult",
    "MatchResult",
    "Pair",
    "Person",
    "WatchlistIndex",
    "get_algorithm",
]
