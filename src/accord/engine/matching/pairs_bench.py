"""``accord bench matching --pairs FILE.csv``: the matcher measured on any labelled pairs file.

Framework-free (no node, no Django). Columns: ``left``, ``right``, ``is_match`` (1/0, true/false,
yes/no) and optionally ``schema`` (default Person) and ``left_birth_date``, ``right_birth_date``,
``left_nationality``, ``right_nationality`` (as ``accord compare`` reads them). Reports
precision, recall and F1 at the algorithm's shipped threshold, the threshold that maximises F1 on
this file, the same figures by schema and by script pair (``latin/latin``, ``latin/other``,
``other/other``: a name is Latin when Latin is its dominant script), pairs scored per second
(the scoring loop alone), and, when nomenklatura is importable, the same for its ``logic-v1`` and
``logic-v2`` at their default threshold.

nomenklatura's logic-v2 caches the names it reads from an entity by the entity's id
(``functools.lru_cache`` on ``EntityProxy.__hash__``): entities that reuse an id get another
pair's names, and bulk scores come out wrong (0 for matches that score 0.9 alone). Each
comparison here gets a fresh query and result entity with ids never used before in the process,
and :func:`check_baseline` scores a few obvious matches and non-matches through the same path
before the bulk run is trusted.
"""

from __future__ import annotations

import csv
import itertools
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Final, TypeVar

from accord.engine.matching import DEFAULT, Algorithm, Person, get_algorithm
from accord.engine.names import script_of

__all__ = [
    "NOMENKLATURA_THRESHOLDS",
    "LabelledPair",
    "PairsBenchError",
    "best_threshold",
    "check_baseline",
    "figures",
    "main",
    "measure",
    "nomenklatura_baseline",
    "read_pairs",
    "row_person",
    "run_pairs_bench",
    "script_pair",
    "table",
]

T = TypeVar("T")
Progress = Callable[[str, int, int], None]

REQUIRED_COLUMNS: Final = ("left", "right", "is_match")
#: The schemas a row may name (case-insensitive): those screening compares.
SCHEMAS: Final = ("Person", "Organization", "Company", "LegalEntity", "Vessel")
_TRUE: Final = frozenset({"1", "true", "yes", "y", "t"})
_FALSE: Final = frozenset({"0", "false", "no", "n", "f"})
SCRIPT_PAIRS: Final = ("latin/latin", "latin/other", "other/other")
#: nomenklatura defines no match threshold itself; yente (its screening API) marks a result as a
#: match at ``SCORE_THRESHOLD = 0.70`` whatever the algorithm, logic-v1 included.
NOMENKLATURA_THRESHOLDS: Final = {"logic-v1": 0.7, "logic-v2": 0.7}
#: Files with fewer pairs than this are scored without progress reports.
PROGRESS_MIN_PAIRS: Final = 1000
NOT_INSTALLED: Final = "nomenklatura not installed (pip install nomenklatura)"

#: Obvious pairs scored before a bulk nomenklatura run, interleaved so that a harness which
#: reuses entity ids (stale cached names) shows: a match must score above 0 and above every
#: non-match.
OBVIOUS_MATCHES: Final = (
    ("Person", "Vladimir Putin", "Vladimir Putin"),
    ("Person", "Angela Merkel", "Ангела Меркель"),
    ("Person", "John Smith", "John Smith"),
    ("Organization", "Gazprom", "Gazprom"),
    ("Company", "Rosneft Oil Company", "Rosneft Oil Company"),
)
OBVIOUS_NON_MATCHES: Final = (
    ("Person", "Maria Garcia", "Vladimir Putin"),
    ("Person", "Kim Jong Un", "Angela Merkel"),
    ("Organization", "Acme Bakery", "Gazprom"),
)


class PairsBenchError(ValueError):
    """A pairs file or option the benchmark cannot use; the message says what to change."""


@dataclass(frozen=True)
class LabelledPair:
    """One row of the pairs file: its number (1 = first data row), schema, both sides, label and
    script pair."""

    row: int
    schema: str
    left: Person
    right: Person
    is_match: bool
    script: str


def script_pair(left: str, right: str) -> str:
    """``latin/latin``, ``latin/other`` or ``other/other``: whether each name's dominant script
    is Latin (order-insensitive)."""
    latin = (script_of(left) == "Latn") + (script_of(right) == "Latn")
    return SCRIPT_PAIRS[2 - latin]


def row_person(row: dict[str, str | None], side: str) -> Person:
    """The person of one side (``left`` or ``right``) of a pairs row: its name, and its
    ``<side>_birth_date`` and ``<side>_nationality`` columns when present (as ``accord compare``
    reads them), and the row's ``schema`` (an organisation's names are also compared on their
    initials)."""
    nat = (row.get(f"{side}_nationality") or "").strip()
    given = (row.get("schema") or "").strip()
    return Person(
        ((row.get(side) or "").strip(),),
        (row.get(f"{side}_birth_date") or "").strip(),
        (nat,) if nat else (),
        schema=next((s for s in SCHEMAS if s.lower() == given.lower()), given),
    )


def _parse_row(row: dict[str, str | None], n: int, line: int) -> LabelledPair:
    where = f"row {n} (line {line})"
    raw = row.get("is_match")
    label = (raw or "").strip().lower()
    if label not in _TRUE and label not in _FALSE:
        raise PairsBenchError(f"{where}: is_match is {raw or ''!r}; use 1/0, true/false or yes/no")
    for side in ("left", "right"):
        if not (row.get(side) or "").strip():
            raise PairsBenchError(f"{where}: {side} is empty; each pair needs two names")
    given = (row.get("schema") or "").strip() or "Person"
    schema = next((s for s in SCHEMAS if s.lower() == given.lower()), None)
    if schema is None:
        raise PairsBenchError(f"{where}: schema {given!r} is not one of {', '.join(SCHEMAS)}")
    left, right = row_person(row, "left"), row_person(row, "right")
    return LabelledPair(
        n, schema, left, right, label in _TRUE, script_pair(left.names[0], right.names[0])
    )


def read_pairs(path: str | Path) -> list[LabelledPair]:
    """The labelled pairs of a CSV file (UTF-8, BOM allowed); :class:`PairsBenchError` for a
    missing or unreadable file, missing columns, a bad row or a file without pairs."""
    try:
        handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
    except OSError as exc:
        raise PairsBenchError(f"cannot read {path}: {exc.strerror or exc}") from exc
    pairs: list[LabelledPair] = []
    with handle:
        reader = csv.DictReader(handle)
        try:
            fields = reader.fieldnames
            if not fields:
                raise PairsBenchError(
                    f"{path} is empty: it needs a header row with columns "
                    f"{', '.join(REQUIRED_COLUMNS)} and one row per pair"
                )
            missing = [c for c in REQUIRED_COLUMNS if c not in fields]
            if missing:
                raise PairsBenchError(
                    f"{path} lacks column(s) {', '.join(missing)}: the header needs "
                    f"{', '.join(REQUIRED_COLUMNS)} (found: {', '.join(fields)})"
                )
            for n, row in enumerate(reader, start=1):
                pairs.append(_parse_row(row, n, reader.line_num))
        except UnicodeDecodeError as exc:
            raise PairsBenchError(f"{path} is not UTF-8 text ({exc.reason})") from exc
        except csv.Error as exc:
            raise PairsBenchError(f"{path} is not a readable CSV file: {exc}") from exc
    if not pairs:
        raise PairsBenchError(f"{path} has a header but no pairs")
    return pairs


def figures(scores: Sequence[float], labels: Sequence[bool], threshold: float) -> dict[str, Any]:
    """``pairs``, ``positives``, ``precision``, ``recall``, ``f1`` with a match at ``score >=
    threshold``; 0.0 where a ratio has no denominator (no predicted or no actual matches)."""
    tp = fp = 0
    for score, label in zip(scores, labels, strict=True):
        if score >= threshold:
            tp += label
            fp += not label
    positives = sum(labels)
    fn = positives - tp
    return {
        "pairs": len(scores),
        "positives": positives,
        "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "recall": round(tp / positives, 4) if positives else 0.0,
        "f1": round(2 * tp / (2 * tp + fp + fn), 4) if tp + fp + fn else 0.0,
    }


def best_threshold(scores: Sequence[float], labels: Sequence[bool]) -> tuple[float, float]:
    """The observed score that, as threshold (match at ``score >=``), maximises F1, and that F1;
    the highest such score on ties. ``(0.0, 0.0)`` for no scores."""
    ranked = sorted(zip(scores, labels, strict=True), key=lambda sl: -sl[0])
    positives = sum(labels)
    best = (ranked[0][0], 0.0) if ranked else (0.0, 0.0)
    tp = fp = 0
    for i, (score, label) in enumerate(ranked):
        tp += label
        fp += not label
        if i + 1 < len(ranked) and ranked[i + 1][0] == score:
            continue  # a threshold takes every pair with this score
        f1 = 2 * tp / (tp + fp + positives)  # 2tp + fp + fn, as fn = positives - tp
        if f1 > best[1]:
            best = (score, f1)
    return best[0], round(best[1], 4)


def _grouped(
    pairs: Sequence[LabelledPair],
    scores: Sequence[float],
    threshold: float,
    key: Callable[[LabelledPair], str],
    order: Sequence[str],
) -> dict[str, dict[str, Any]]:
    groups: dict[str, tuple[list[float], list[bool]]] = {}
    for pair, score in zip(pairs, scores, strict=True):
        group = groups.setdefault(key(pair), ([], []))
        group[0].append(score)
        group[1].append(pair.is_match)
    names = [k for k in order if k in groups] + sorted(k for k in groups if k not in order)
    return {k: figures(*groups[k], threshold) for k in names}


def measure(
    pairs: Sequence[LabelledPair], scores: Sequence[float], threshold: float, seconds: float
) -> dict[str, Any]:
    """The benchmark's figures for ``scores`` of ``pairs`` (in order), scored in ``seconds``."""
    labels = [p.is_match for p in pairs]
    best_t, best_f1 = best_threshold(scores, labels)
    return {
        **figures(scores, labels, threshold),
        "threshold": threshold,
        "best_threshold": round(best_t, 4),
        "best_f1": best_f1,
        "by_schema": _grouped(pairs, scores, threshold, lambda p: p.schema, SCHEMAS),
        "by_script": _grouped(pairs, scores, threshold, lambda p: p.script, SCRIPT_PAIRS),
        "pairs_per_s": round(len(scores) / seconds, 1) if seconds > 0 else 0.0,
    }


def _score_all(
    items: Sequence[T], score: Callable[[T], float], progress: Progress | None, stage: str
) -> tuple[list[float], float]:
    """Scores of ``items`` and the seconds the scoring took (progress reports excluded)."""
    total = len(items)
    step = max(1, total // 10) if progress is not None and total >= PROGRESS_MIN_PAIRS else 0
    scores: list[float] = []
    seconds = 0.0
    start = time.perf_counter()
    for i, item in enumerate(items, start=1):
        scores.append(score(item))
        if step and progress is not None and (i % step == 0 or i == total):
            seconds += time.perf_counter() - start
            progress(stage, i, total)
            start = time.perf_counter()
    seconds += time.perf_counter() - start
    return scores, seconds


# -- nomenklatura (optional) ----------------------------------------------------------------

#: Entity ids, unique in the process: nomenklatura caches names by entity id.
_ENTITY_IDS: Iterator[int] = itertools.count()


def _entity(model: Any, schema: str, person: Person) -> Any:
    """A fresh FtM entity with an id never used before."""
    entity = model.make_entity(schema)
    entity.id = f"accord-pairs-{next(_ENTITY_IDS)}"
    entity.add("name", list(person.names))
    if person.birth_date[:1].isdigit() and entity.schema.get("birthDate") is not None:
        entity.add("birthDate", person.birth_date[:10], quiet=True)
    country = "nationality" if entity.schema.get("nationality") is not None else "country"
    entity.add(country, list(person.nationalities), quiet=True, fuzzy=True)
    return entity


def _nomenklatura_scorer(algorithm: Any) -> Callable[[tuple[Any, Any]], float]:
    """Score a (query, result) pair of entities as nomenklatura's own code calls a matcher:
    ``compare(query, result, config)`` with the algorithm's default configuration."""
    config = algorithm.default_config()

    def score(entities: tuple[Any, Any]) -> float:
        return float(algorithm.compare(entities[0], entities[1], config).score)

    return score


def _by_names(
    model: Any, score: Callable[[tuple[Any, Any]], float]
) -> Callable[[str, str, str], float]:
    """``score`` for ``(schema, left name, right name)``, through the bulk run's entities."""

    def by_names(schema: str, left: str, right: str) -> float:
        return score(
            (_entity(model, schema, Person((left,))), _entity(model, schema, Person((right,))))
        )

    return by_names


def check_baseline(
    score: Callable[[str, str, str], float], name: str = "baseline"
) -> dict[str, float]:
    """Score :data:`OBVIOUS_MATCHES` and :data:`OBVIOUS_NON_MATCHES` interleaved through
    ``score(schema, left, right)``; :class:`PairsBenchError` unless every match scores above 0
    and above every non-match. The scores by ``left / right``."""
    scored: dict[str, float] = {}
    matches: list[float] = []
    non_matches: list[float] = []
    for i, (schema, left, right) in enumerate(OBVIOUS_MATCHES):
        matches.append(score(schema, left, right))
        scored[f"{left} / {right}"] = matches[-1]
        if i < len(OBVIOUS_NON_MATCHES):
            schema, left, right = OBVIOUS_NON_MATCHES[i]
            non_matches.append(score(schema, left, right))
            scored[f"{left} / {right}"] = non_matches[-1]
    if min(matches) <= 0 or max(non_matches) >= min(matches):
        raise PairsBenchError(
            f"{name} failed its check on obvious pairs, so its bulk figures would mean "
            f"nothing: {json.dumps(scored, ensure_ascii=False)}"
        )
    return scored


def nomenklatura_baseline(
    pairs: Sequence[LabelledPair], progress: Progress | None = None
) -> dict[str, Any] | None:
    """nomenklatura's ``logic-v1`` and ``logic-v2`` on ``pairs``, each at its default threshold
    (:data:`NOMENKLATURA_THRESHOLDS`); None when nomenklatura is not importable. An algorithm
    that fails :func:`check_baseline` gets ``{"error": ...}`` instead of figures."""
    try:
        from followthemoney import model
        from nomenklatura.matching import get_algorithm as get_nk_algorithm
    except ImportError:
        return None
    version = f"nomenklatura {metadata.version('nomenklatura')}"
    result: dict[str, Any] = {}
    for name, threshold in NOMENKLATURA_THRESHOLDS.items():
        algorithm = get_nk_algorithm(name)
        if algorithm is None:
            result[name] = {"error": f"{version} has no algorithm {name}"}
            continue
        score = _nomenklatura_scorer(algorithm)
        try:
            check_baseline(_by_names(model, score), name)
        except PairsBenchError as exc:
            result[name] = {"error": str(exc), "version": version}
            continue
        entities = [
            (_entity(model, p.schema, p.left), _entity(model, p.schema, p.right)) for p in pairs
        ]
        scores, seconds = _score_all(entities, score, progress, name)
        figures_ = {
            "algorithm": name,
            "version": version,
            **measure(pairs, scores, threshold, seconds),
        }
        if figures_["positives"] and not any(scores):
            figures_["warning"] = "every pair scored 0: check how the entities are built"
        result[name] = figures_
    return result


# -- entry points ---------------------------------------------------------------------------


def run_pairs_bench(
    path: str | Path,
    algorithm: str | None = None,
    progress: Progress | None = None,
    baseline: bool = True,
) -> dict[str, Any]:
    """The benchmark's result for the pairs file ``path`` (see the module's docstring)."""
    try:
        algo: Algorithm = get_algorithm(algorithm) if algorithm else DEFAULT
    except KeyError:
        from accord.engine.matching.algorithm import ALGORITHMS

        raise PairsBenchError(
            f"unknown algorithm {algorithm!r}; known: {', '.join(ALGORITHMS)}"
        ) from None
    pairs = read_pairs(path)
    algo.compare(pairs[0].left, pairs[0].right)  # warm-up (lazy tables), as the baseline's check
    scores, seconds = _score_all(
        pairs, lambda p: algo.compare(p.left, p.right).score, progress, algo.name
    )
    result: dict[str, Any] = {
        "benchmark": "matching",
        "file": str(path),
        "algorithm": f"{algo.name} v{algo.version}",
        **measure(pairs, scores, algo.threshold, seconds),
    }
    base = nomenklatura_baseline(pairs, progress) if baseline else None
    result["baseline"] = base or {}
    if base is None:
        result["baseline_skipped"] = NOT_INSTALLED if baseline else "not asked for"
    return result


def _rows(label: str, figures_: dict[str, Any]) -> str:
    return (
        f"  {label:<22}{figures_['pairs']:>8,}{figures_['positives']:>10,}"
        f"{figures_['precision']:>11.4f}{figures_['recall']:>9.4f}{figures_['f1']:>9.4f}"
    )


def _block(title: str, result: dict[str, Any]) -> list[str]:
    lines = [
        f"{title}: threshold {result['threshold']}, {result['pairs_per_s']:,} pairs/s; "
        f"best threshold {result['best_threshold']} (F1 {result['best_f1']:.4f})",
        f"  {'':<22}{'pairs':>8}{'positives':>10}{'precision':>11}{'recall':>9}{'f1':>9}",
        _rows("all", result),
    ]
    lines += [_rows(f"schema {k}", v) for k, v in result["by_schema"].items()]
    lines += [_rows(f"script {k}", v) for k, v in result["by_script"].items()]
    if result.get("warning"):
        lines.append(f"  warning: {result['warning']}")
    return lines


def table(result: dict[str, Any]) -> str:
    """The result as text: Accord's figures, then the baseline's."""
    lines = [f"{result['file']}", *_block(result["algorithm"], result)]
    if not result["baseline"]:
        lines.append(f"\nbaseline: {result.get('baseline_skipped', NOT_INSTALLED)}")
    for name, base in result["baseline"].items():
        lines.append("")
        if "error" in base:
            lines.append(f"{name}: {base['error']}")
        else:
            lines += _block(f"{name} ({base['version']})", base)
    return "\n".join(lines)


def main(
    path: str | None, algorithm: str | None, as_json: bool, progress: Progress | None = None
) -> int:
    """Entry point of ``accord bench matching``: prints the table or one JSON object; exit 2
    with a message on standard error for a file or option it cannot use."""
    if not path:
        print(
            "accord bench matching: give --pairs FILE.csv (columns left, right, is_match)",
            file=sys.stderr,
        )
        return 2
    try:
        result = run_pairs_bench(path, algorithm, progress)
    except PairsBenchError as exc:
        print(f"accord bench matching: {exc}", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        if "baseline_skipped" in result:
            print(f"accord bench matching: baseline: {result['baseline_skipped']}", file=sys.stderr)
    else:
        print(table(result))
    return 0
