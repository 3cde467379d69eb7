"""Correlations with their uncertainty: what a validity claim needs (r, rho, N, a 95 % interval, p)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Correlation:
    n: int
    pearson_r: float
    pearson_ci95: tuple[float, float]
    spearman_rho: float
    spearman_ci95: tuple[float, float]
    p_value: float


def fisher_ci(r: float, n: int, se_scale: float = 1.0) -> tuple[float, float]:
    """95 % interval of a correlation by Fisher's z; ``se_scale`` widens it (Bonett & Wright for rho)."""
    if n <= 3 or not math.isfinite(r):
        return (math.nan, math.nan)
    r = max(min(r, 0.999999), -0.999999)
    z, se = math.atanh(r), se_scale / math.sqrt(n - 3)
    return (math.tanh(z - Z95 * se), math.tanh(z + Z95 * se))


def correlate(x: Sequence[float | None], y: Sequence[float | None]) -> Correlation | None:
    """Pairs where both are present; None with fewer than 10 pairs or no variance (no claim possible)."""
    pairs = [(a, b) for a, b in zip(x, y, strict=True) if a is not None and b is not None]
    if len(pairs) < 10:
        return None
    xs, ys = np.array([p[0] for p in pairs], float), np.array([p[1] for p in pairs], float)
    if xs.std() == 0 or ys.std() == 0:
        return None
    r, p = stats.pearsonr(xs, ys)
    rho = stats.spearmanr(xs, ys).statistic
    n = len(pairs)
    return Correlation(
        n=n,
        pearson_r=float(r),
        pearson_ci95=fisher_ci(float(r), n),
        spearman_rho=float(rho),
        spearman_ci95=fisher_ci(float(rho), n, math.sqrt(1 + rho**2 / 2)),
        p_value=float(p),
    )
