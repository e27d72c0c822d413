"""Calibration: logistic regression on feature vectors of labelled pairs, threshold by best F1."""

from __future__ import annotations

import math

__all__ = ["fit_logistic", "fit_logistic_newton", "sigmoid"]


def sigmoid(z: float) -> float:
    """The logistic function, its argument clipped to [-40, 40] (no overflow)."""
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


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
            p = sigmoid(z)
            d = p - y
            gb += d
            for i in range(k):
                gw[i] += d * x[i]
        b -= rate * gb / n
        w = [wi - rate * (g / n + l2 * wi) for wi, g in zip(w, gw, strict=True)]
    return w, b


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (small dense systems)."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for c in range(n):
        piv = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[piv] = m[piv], m[c]
        d = m[c][c] or 1e-12
        for r in range(c + 1, n):
            f = m[r][c] / d
            if f:
                for k in range(c, n + 1):
                    m[r][k] -= f * m[c][k]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][k] * x[k] for k in range(r + 1, n))) / (m[r][r] or 1e-12)
    return x


def fit_logistic_newton(
    rows: list[list[float]],
    labels: list[int],
    l2: float = 1e-4,
    iterations: int = 30,
    offsets: list[float] | None = None,
    intercept: bool = True,
) -> tuple[list[float], float]:
    """Weights and bias by Newton's method (IRLS) on the log loss with an L2 penalty.

    ``offsets``: a fixed log-odds added to each row's (a model already fitted, extended by the
    new weights); ``intercept=False`` fits no bias (0.0 is returned for it).
    Pure Python; the cost is one pass over the rows per iteration with a (k+1)^2 Hessian, so a
    few tens of thousands of pairs fit in seconds."""
    k = len(rows[0]) if rows else 0
    beta = [0.0] * (k + 1)  # bias last
    xs = [[*r, 1.0 if intercept else 0.0] for r in rows]
    base = offsets if offsets is not None else [0.0] * len(xs)
    for _ in range(iterations):
        grad = [0.0] * (k + 1)
        hess = [[0.0] * (k + 1) for _ in range(k + 1)]
        for x, y, o in zip(xs, labels, base, strict=True):
            z = o + sum(bi * xi for bi, xi in zip(beta, x, strict=True))
            p = sigmoid(z)
            d = p - y
            wgt = max(p * (1 - p), 1e-9)
            for i in range(k + 1):
                xi = x[i]
                if xi:
                    grad[i] += d * xi
                    hi = hess[i]
                    wx = wgt * xi
                    for j in range(i + 1):
                        hi[j] += wx * x[j]
        for i in range(k + 1):
            for j in range(i + 1):
                hess[j][i] = hess[i][j]
        for i in range(k):
            grad[i] += l2 * beta[i] * len(xs)
            hess[i][i] += l2 * len(xs)
        if not intercept:
            hess[k][k] = 1.0
        step = _solve(hess, grad)
        beta = [b - s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return beta[:k], beta[k]
