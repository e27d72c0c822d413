"""Calibration: logistic regression on feature vectors of labelled pairs, threshold by best F1."""

from __future__ import annotations

import math

__all__ = ["best_threshold", "fit_logistic"]


def fit_logistic(
    rows: list[list[float]],
    labels: list[int],
    iterations: int = 300,
    rate: float = 0.5,
    l2: float = 1e-3,
) -> tuple[list[float], float]:
    """Weights and bias by batch gradient descent on the log loss (small L2). Pure Python."""
    n, k = len(rows), len(rows[0]) if rows else 0
    w, b = [0.0] * k, 0.0
    for _ in range(iterations):
        gw, gb = [0.0] * k, 0.0
        for x, y in zip(rows, labels, strict=True):
            z = b + sum(wi * xi for wi, xi in zip(w, x, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))
            d = p - y
            gb += d
            for i in range(k):
                gw[i] += d * x[i]
        b -= rate * gb / n
        w = [wi - rate * (g / n + l2 * wi) for wi, g in zip(w, gw, strict=True)]
    return w, b


def best_threshold(scores: list[float], labels: list[int]) -> tuple[float, float]:
    """(threshold, F1) maximising F1 over the observed scores."""
    order = sorted(zip(scores, labels, strict=True), reverse=True)
    positives = sum(labels)
    tp = fp = 0
    best = (1.0, 0.0)
    for s, y in order:
        tp += y
        fp += 1 - y
        f1 = 2 * tp / (tp + fp + positives) if positives else 0.0
        if f1 > best[1]:
            best = (s, f1)
    return best
