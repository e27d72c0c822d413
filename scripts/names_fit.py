"""Fit the name part of the screening matcher on real labelled pairs, choose its threshold on
the dev split and report on the test split (``scripts/names_corpus.py`` builds the splits).

The model is the engine's logistic model: ``score = sigmoid(bias + sum(w_i * f_i))``. Only the
bias and the weights of the five name features are fitted here, on name-only pairs (no birth
date, nationality, gender or document on either side, as most watchlist names and every
``accord compare`` row without them): a missing field gives its feature 0, so it is neutral and
the name-only score is the calibrated one. The weights of the other evidence (birth dates,
nationalities, gender, documents) stay as fitted on the synthetic set, where those fields exist
(docs/matching.md).

The threshold is the one with the best F1 on the dev split among those whose dev precision is
at least ``--min-precision`` (0.97: the precision at which the project's owners ask for recall
across scripts; a screening officer's queue of false hits stays small).

Usage: .venv/bin/python scripts/names_fit.py [--corpus build/names-corpus] [--json]
       [--reliability docs/images/reliability-name-v3.svg]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from accord.engine.matching import Person
from accord.engine.matching.algorithm import (
    DEFAULT,
    FEATURE_NAMES,
    NAME_FEATURES,
    V3,
    calibrated,
)
from accord.engine.matching.calibrate import fit_logistic_newton, sigmoid
from accord.engine.matching.features import Pair
from accord.engine.matching.pairs_bench import figures, script_pair
from accord.engine.names import normalize_name

COLUMNS = [FEATURE_NAMES.index(n) for n in NAME_FEATURES]


def in_scope(row: dict[str, str]) -> bool:
    """Whether a pair is a question of spelling: two names of one listed person or entity that
    share no part (a cover name, a kunya, a former name: JAMIL MUKULU / Steven Alirabaki) are
    different names, which no name matcher should call the same; they are counted apart.
    Judged on ICU's romanisation with a plain string ratio, not on the matcher being fitted."""
    if row["is_match"] != "1" or not row["source"].startswith("consolidated"):
        return True
    left, right = normalize_name(row["left"]), normalize_name(row["right"])
    return fuzz.token_set_ratio(left, right) >= 60


def other_given_negatives(rows: list[dict[str, str]], seed: int = 11) -> list[dict[str, str]]:
    """Hard negatives of the commonest kind in screening: two people with the same family name
    and different given names (John Smith / Jane Smith, Mohammed Ali / Ahmed Ali). For each
    positive pair whose left name is Latin with two to four parts, the left name's first part
    is replaced by the first part of another entity's name in the same split (a real given
    name, not a spelling of the same one: plain similarity below 0.7); the right name is kept,
    so the negative crosses scripts where the positive did."""
    rng = random.Random(seed)
    firsts = sorted(
        {
            r["left"].split()[0]
            for r in rows
            if r["is_match"] == "1" and r["left"].isascii() and len(r["left"].split()) >= 2
        }
    )
    out = []
    for row in rows:
        parts = row["left"].split()
        if row["is_match"] != "1" or not row["left"].isascii() or not 2 <= len(parts) <= 4:
            continue
        for _ in range(5):
            other = rng.choice(firsts)
            if fuzz.ratio(other.lower(), parts[0].lower()) < 70:
                swapped = " ".join([other, *parts[1:]])
                out.append({**row, "left": swapped, "is_match": "0", "group": "neg:other_given"})
                break
    return out


def load(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    kept = [r for r in rows if in_scope(r)]
    kept += other_given_negatives(kept)
    print(f"  {path.name}: {len(rows)} pairs, {len(rows) - len(kept)} alias pairs with no "
          "common part left out", file=sys.stderr)  # fmt: skip
    return kept


def vectors(rows: list[dict[str, str]]) -> list[list[float]]:
    out = []
    for i, row in enumerate(rows):
        schema = row.get("schema", "")
        pair = Pair(Person((row["left"],), schema=schema), Person((row["right"],), schema=schema))
        values = DEFAULT.vector(pair)
        out.append([values[i] for i in COLUMNS])
        if i % 5000 == 0:
            print(f"  features {i}/{len(rows)}", file=sys.stderr)
    return out


def scores(xs: list[list[float]], weights: list[float], bias: float) -> list[float]:
    return [sigmoid(bias + sum(w * x for w, x in zip(weights, v, strict=True))) for v in xs]


def isotonic(values: list[float], labels: list[int], bins: int = 20) -> list[list[float]]:
    """Knots of a monotone map from model output to the share of matches: the pairs in
    ``bins`` groups of equal size by output, adjacent groups pooled while their shares
    decrease (pool adjacent violators), each pool's mean output and share a knot; the map is
    kept strictly increasing, so that it never ties two different outputs."""
    order = sorted(range(len(values)), key=values.__getitem__)
    size = max(len(order) // bins, 1)
    pools: list[list[float]] = []  # [sum of outputs, sum of labels, count]
    for start in range(0, len(order), size):
        chunk = order[start : start + size]
        pools.append([sum(values[i] for i in chunk), sum(labels[i] for i in chunk), len(chunk)])
        while len(pools) > 1 and pools[-2][1] / pools[-2][2] >= pools[-1][1] / pools[-1][2]:
            last = pools.pop()
            for k in range(3):
                pools[-1][k] += last[k]
    knots = [[0.0, 0.0], *([round(x / n, 4), round(y / n, 4)] for x, y, n in pools)]
    # outputs strictly increasing: a pool whose mean output rounds onto the one before, or onto
    # the end (1.0), adds no knot
    knots = [
        k for i, k in enumerate(knots) if i == 0 or (0.0 < k[0] < 1.0 and k[0] > knots[i - 1][0])
    ]
    knots.append([1.0, 1.0])
    for i, knot in enumerate(knots):
        knot[1] = round(min(max(knot[1], 0.0), 1.0) * (1 - 1e-3) + 1e-3 * knot[0], 5)
        if i and knot[1] <= knots[i - 1][1]:
            knot[1] = knots[i - 1][1] + 1e-5
    knots[-1][1] = 1.0  # a probability: the steps above may have pushed the last past 1
    for i in range(len(knots) - 2, -1, -1):
        if knots[i][1] >= knots[i + 1][1]:
            knots[i][1] = round(knots[i + 1][1] - 1e-5, 5)
    return knots


def choose_threshold(labels: list[int], values: list[float], min_precision: float) -> float:
    candidates = sorted({round(v, 4) for v in values})
    best, best_f1 = 0.5, -1.0
    for t in candidates:
        fig = figures(values, labels, t)
        if fig["precision"] >= min_precision and fig["f1"] > best_f1:
            best, best_f1 = t, fig["f1"]
    return best


def reliability(labels: list[int], values: list[float], bins: int = 10) -> list[dict[str, Any]]:
    """Mean predicted score and observed share of matches per score bin (equal width)."""
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for y, s in zip(labels, values, strict=True):
        b = min(int(s * bins), bins - 1)
        sums[b][0] += s
        sums[b][1] += y
        sums[b][2] += 1
    return [
        {
            "bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}",
            "pairs": int(n),
            "predicted": round(p / n, 3),
            "observed": round(o / n, 3),
        }
        for b, (p, o, n) in sorted(sums.items())
    ]


def expected_calibration_error(table: list[dict[str, Any]]) -> float:
    """The pairs-weighted mean gap between predicted and observed per bin."""
    total = sum(row["pairs"] for row in table)
    gaps = sum(row["pairs"] * abs(row["predicted"] - row["observed"]) for row in table)
    return round(gaps / total, 4) if total else 0.0


def reliability_svg(table: list[dict[str, Any]], title: str) -> str:
    """A reliability diagram (predicted vs observed, the diagonal is perfect calibration)."""
    size, pad = 320, 40
    inner = size - 2 * pad

    def xy(px: float, py: float) -> tuple[float, float]:
        return pad + px * inner, size - pad - py * inner

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size + 20}" '
        f'viewBox="0 0 {size} {size + 20}" font-family="sans-serif" font-size="11">',
        f'<title>{title}</title><rect width="100%" height="100%" fill="white"/>',
        f'<text x="{size / 2}" y="16" text-anchor="middle">{title}</text>',
    ]
    x0, y0 = xy(0, 0)
    x1, y1 = xy(1, 1)
    parts.append(f'<rect x="{x0}" y="{y1}" width="{inner}" height="{inner}" fill="none" '
                 'stroke="#888"/>')  # fmt: skip
    parts.append(f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#bbb" '
                 'stroke-dasharray="4 3"/>')  # fmt: skip
    for t in (0, 0.5, 1):
        tx, ty = xy(t, 0)
        parts.append(f'<text x="{tx}" y="{ty + 14}" text-anchor="middle">{t}</text>')
        lx, ly = xy(0, t)
        parts.append(f'<text x="{lx - 6}" y="{ly + 4}" text-anchor="end">{t}</text>')
    parts.append(f'<text x="{size / 2}" y="{size - 6}" text-anchor="middle">predicted score</text>')
    parts.append(f'<text x="12" y="{size / 2}" transform="rotate(-90 12 {size / 2})" '
                 'text-anchor="middle">observed share of matches</text>')  # fmt: skip
    points = [xy(row["predicted"], row["observed"]) for row in table]
    path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    parts.append(f'<polyline points="{path}" fill="none" stroke="#1f5fa8" stroke-width="2"/>')
    for (px, py), row in zip(points, table, strict=True):
        r = 2 + min(row["pairs"], 4000) ** 0.5 / 12
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{r:.1f}" fill="#1f5fa8" '
                     f'fill-opacity="0.6"><title>{row["bin"]}: {row["pairs"]} pairs</title>'
                     "</circle>")  # fmt: skip
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def breakdown(rows: list[dict[str, str]], values: list[float], threshold: float) -> dict:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        groups["schema:" + (row.get("schema") or "Person")].append(i)
        groups["script:" + script_pair(row["left"], row["right"])].append(i)
        groups["source:" + row["source"].split("_")[0]].append(i)
    out = {}
    for key, idx in sorted(groups.items()):
        labels = [int(rows[i]["is_match"]) for i in idx]
        out[key] = figures([values[i] for i in idx], labels, threshold)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("build/names-corpus"))
    parser.add_argument("--min-precision", type=float, default=0.97)
    parser.add_argument("--l2", type=float, default=1e-4)
    parser.add_argument("--reliability", type=Path, help="write the test split's diagram (SVG)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--choose-threshold",
        action="store_true",
        help="choose the threshold on dev (else v3's, which pairs without v4's evidence keep)",
    )
    parser.add_argument(
        "--refit-all", action="store_true", help="fit every name weight (else only v4's new one)"
    )
    args = parser.parse_args()

    splits = {name: load(args.corpus / f"{name}.csv") for name in ("train", "dev", "test")}
    xs = {name: vectors(rows) for name, rows in splits.items()}
    ys = {name: [int(r["is_match"]) for r in rows] for name, rows in splits.items()}
    crossed_at = NAME_FEATURES.index("name_transliteration")
    if args.refit_all:
        weights, bias = fit_logistic_newton(xs["train"], ys["train"], l2=args.l2)
    else:
        # v3's name weights and bias kept (Latin/Latin pairs score as before); only the features
        # v4 added are fitted, on top of v3's log-odds
        v3_weights = {w.name: w.weight for w in V3.features}
        base = [v3_weights.get(n) for n in NAME_FEATURES]
        new = [i for i, w in enumerate(base) if w is None]
        # on the train pairs that have the new evidence (names across covered scripts), with
        # an intercept of their own: the crossed pairs' calibration map (below) absorbs it
        crossed_rows = [
            (v, y) for v, y in zip(xs["train"], ys["train"], strict=True) if v[crossed_at] > 0.0
        ]
        offsets = [
            V3.bias + sum(w * x for w, x in zip(base, v, strict=True) if w is not None)
            for v, _ in crossed_rows
        ]
        fitted, _ = fit_logistic_newton(
            [[v[i] for i in new] for v, _ in crossed_rows],
            [y for _, y in crossed_rows],
            l2=args.l2,
            offsets=offsets,
        )
        weights = [w if w is not None else 0.0 for w in base]
        for i, w in zip(new, fitted, strict=True):
            weights[i] = w
        bias = V3.bias
    raw = {name: scores(xs[name], weights, bias) for name in splits}
    crossed = {name: [v[crossed_at] > 0.0 for v in xs[name]] for name in splits}
    if args.refit_all:
        knots = isotonic(raw["dev"], ys["dev"])
        crossed_knots = knots
    else:
        # pairs without transliteration evidence keep v3's map; the crossed pairs of the dev
        # split get their own (a score stays the probability of a match given the evidence)
        knots = [list(k) for k in V3.calibration]
        dev_crossed = [i for i, c in enumerate(crossed["dev"]) if c]
        crossed_knots = isotonic(
            [raw["dev"][i] for i in dev_crossed], [ys["dev"][i] for i in dev_crossed]
        )
    values = {
        name: [
            calibrated(p, crossed_knots if c else knots)
            for p, c in zip(raw[name], crossed[name], strict=True)
        ]
        for name in splits
    }
    if args.refit_all or args.choose_threshold:
        threshold = choose_threshold(ys["dev"], values["dev"], args.min_precision)
    else:
        threshold = V3.threshold
    table = reliability(ys["test"], values["test"])
    result = {
        "weights": dict(zip(NAME_FEATURES, (round(w, 3) for w in weights), strict=True)),
        "bias": round(bias, 3),
        "threshold": threshold,
        "calibration": knots,
        "crossed_calibration": crossed_knots,
        "ece_test": expected_calibration_error(table),
        "ece_test_uncalibrated": expected_calibration_error(reliability(ys["test"], raw["test"])),
        "reliability_test_uncalibrated": reliability(ys["test"], raw["test"]),
        "train": figures(values["train"], ys["train"], threshold),
        "dev": figures(values["dev"], ys["dev"], threshold),
        "test": figures(values["test"], ys["test"], threshold),
        "test_breakdown": breakdown(splits["test"], values["test"], threshold),
        "reliability_test": table,
    }
    if args.reliability:
        args.reliability.parent.mkdir(parents=True, exist_ok=True)
        args.reliability.write_text(
            reliability_svg(table, "Name-only scores on the test split"), "utf-8"
        )
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
