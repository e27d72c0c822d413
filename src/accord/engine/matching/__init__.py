"""Screening matcher: cross-script name matching, features, algorithms, index (no Django)."""

from accord.engine.matching.algorithm import DEFAULT, Algorithm, MatchResult, get_algorithm
from accord.engine.matching.features import FeatureResult, Pair, Person
from accord.engine.matching.index import Candidate, WatchlistIndex

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
