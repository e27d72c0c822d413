"""Fit the transliteration model of the screening matcher (``accord.engine.matching.translit``)
on the train split of real labelled name pairs (``scripts/names_corpus.py`` builds it).

Only the train split is read: its positive pairs of a Latin name and a name in a covered script
(Arabic, Cyrillic, Han, kana) fit the segment probabilities by expectation maximisation (forward
and backward passes over the segmentations), its Latin names the background letter bigrams, and
all its cross-script pairs (positives and negatives) the logistic map of the evidence to a
probability. Hebrew and Korean are not in the corpus (held out), so they are not covered.

Usage: .venv/bin/python scripts/names_translit_fit.py [--corpus build/names-corpus]
       [--iterations 6] [--out src/accord/engine/matching/translit-v1.json]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from accord.engine.matching.calibrate import fit_logistic_newton
from accord.engine.matching.features import _content
from accord.engine.matching.normalize import name_form
from accord.engine.matching.translit import MAX_SEGMENT, Model, covered, model_letters

BETA, RHO = 1.0, 0.5
#: lambda: the length of a segment that the backoff spells, 0 to 4 letters.
LENGTHS = [0.1, 0.3, 0.3, 0.2, 0.1]


def cross_script_pairs(path: Path) -> list[tuple[str, str, int]]:
    """(Latin letters, covered characters, label) of the file's pairs of a Latin name and a
    name in a covered script."""
    out = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            left, right = row["left"], row["right"]
            if name_form(left).script != "Latn":
                left, right = right, left
            if name_form(left).script != "Latn":
                continue
            chars = covered(right)
            letters = model_letters(_content(name_form(left))[0])
            # single words: which Latin part a word of a longer name stands for is not known
            if chars and letters and " " not in chars:
                out.append((letters, chars, int(row["is_match"])))
    return out


def model(segments: dict[str, dict[str, float]], bigrams: dict[str, float]) -> Model:
    data: dict[str, Any] = {
        "beta": BETA,
        "rho": RHO,
        "lengths": LENGTHS,
        "segments": segments,
        "bigrams": bigrams,
        "alphabet": 28,
        "calibration": [1.0, 0.0],
    }
    return Model(data)


def passes(m: Model, letters: str, chars: str) -> tuple[list[list[float]], list[list[float]]]:
    """The forward rows (``Model.forward``, as scoring computes them) and the backward rows."""
    n, k_max = len(chars), len(letters)
    bwd = [[0.0] * (k_max + 1) for _ in range(n + 1)]
    bwd[n][k_max] = 1.0
    for i in range(n - 1, -1, -1):
        for k in range(k_max + 1):
            bwd[i][k] = sum(
                m.segment_probability(chars[i], letters[k:j]) * bwd[i + 1][j]
                for j in range(k, min(k_max, k + MAX_SEGMENT) + 1)
                if bwd[i + 1][j]
            )
    return m.forward(letters, chars), bwd


def em(pairs: list[tuple[str, str, int]], bigrams: dict[str, float], iterations: int) -> Model:
    segments: dict[str, dict[str, float]] = {}
    m = model(segments, bigrams)
    for it in range(iterations):
        counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        total_ll = 0.0
        for letters, chars, _ in pairs:
            fwd, bwd = passes(m, letters, chars)
            z = fwd[len(chars)][len(letters)]
            if z <= 0.0:
                continue
            total_ll += math.log(z)
            for i in range(1, len(chars) + 1):
                ch = chars[i - 1]
                for j in range(len(letters) + 1):
                    if not bwd[i][j]:
                        continue
                    for k in range(max(0, j - MAX_SEGMENT), j + 1):
                        if fwd[i - 1][k]:
                            share = (
                                fwd[i - 1][k]
                                * m.segment_probability(ch, letters[k:j])
                                * bwd[i][j]
                                / z
                            )
                            if share > 1e-4:
                                counts[ch][letters[k:j]] += share
        segments = {
            ch: {s: round(v, 3) for s, v in d.items() if v >= 0.05} for ch, d in counts.items()
        }
        m = model(segments, bigrams)
        print(
            f"  iteration {it + 1}: log-likelihood per pair {total_ll / len(pairs):.3f}, "
            f"{len(segments)} characters",
            file=sys.stderr,
        )
    return m


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("build/names-corpus"))
    parser.add_argument("--iterations", type=int, default=6)
    parser.add_argument(
        "--out", type=Path, default=Path("src/accord/engine/matching/translit-v1.json")
    )
    args = parser.parse_args()

    pairs = cross_script_pairs(args.corpus / "train.csv")
    positives = [p for p in pairs if p[2] == 1 and len(p[1]) <= 16 and len(p[0]) <= 30]
    print(f"  {len(pairs)} cross-script pairs, {len(positives)} positives fitted", file=sys.stderr)
    bigrams: dict[str, float] = defaultdict(float)
    for letters in {p[0] for p in pairs}:
        text = "^" + letters + "$"
        for a, b in itertools.pairwise(text):
            bigrams[a + b] += 1
    m = em(positives, dict(bigrams), args.iterations)
    xs = [[m.evidence(letters, chars)] for letters, chars, _ in pairs]
    ys = [label for _, _, label in pairs]
    (slope,), intercept = fit_logistic_newton(xs, ys, l2=1e-4)
    print(f"  calibration: slope {slope:.3f}, intercept {intercept:.3f}", file=sys.stderr)
    data = {
        "about": "accord.engine.matching.translit: fitted by scripts/names_translit_fit.py on "
        "the train split of scripts/names_corpus.py (Wikidata names, CC0; names-ar2en, "
        "Apache-2.0; the UN list)",
        "beta": BETA,
        "rho": RHO,
        "lengths": LENGTHS,
        "alphabet": 28,
        "calibration": [round(slope, 4), round(intercept, 4)],
        "bigrams": dict(sorted(bigrams.items())),
        "segments": {ch: dict(sorted(d.items())) for ch, d in sorted(m.segments.items())},
    }
    args.out.write_text(
        json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n",
        "utf-8",
    )
    print(f"  written to {args.out} ({args.out.stat().st_size:,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
