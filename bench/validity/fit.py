"""Weights chosen by evidence: a sign-constrained, ridge-regularised regression of a rating on the normed
(0-10) signal scores and the rubric score, cross-validated with folds that keep each person's items together.

Sign-constrained (non-negative): a signal whose norm says "higher is better" may not get a negative weight
because one sample says so; a signal the data cannot support gets 0. Ridge keeps weights small and shared
among correlated signals. The weights are readable: each is how many rating units one normed point buys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from server.pipeline.result import AnalysisResult
from server.scoring.norms import norm_score
from server.scoring.rubric import rubric_match
from server.scoring.scenario import Scenario

ALPHAS = (0.1, 1.0, 10.0, 100.0, 1000.0)
RUBRIC = "rubric"


def shared_signals(scenario: Scenario) -> list[str]:
    """Signals declared by more than one competency, or by the competency probed first: the parts of the
    scenario whose weight is shared (each competency = shared evidence + its own rubric)."""
    seen: dict[str, int] = {}
    for competency in scenario.competencies:
        for item in competency.signals:
            seen[item.signal] = seen.get(item.signal, 0) + 1
    return sorted(seen)


def features(scenario: Scenario, analysis: AnalysisResult, signals: Sequence[str]) -> list[float | None]:
    """Per item: the mean over answers of each signal's normed score (its first declared norm), and the mean
    over answers of the rubric score of the first competency with a rubric (communication in
    general_behavioral, which every question probes)."""
    norms = {}
    for competency in scenario.competencies:
        for item in competency.signals:
            norms.setdefault(item.signal, item)
    row: list[float | None] = []
    for name in signals:
        scores = [
            norm_score(norms[name].norm_for(a.answer.language), a.signals[name].value)
            for a in analysis.answers
            if name in a.signals
        ]
        row.append(float(np.mean(scores)) if scores else None)
    rubric = next(c.rubric for c in scenario.competencies if c.rubric is not None)
    rubrics = [
        m.score
        for a in analysis.answers
        if a.answer.text.strip() and (m := rubric_match(rubric, a.answer)) is not None
    ]
    row.append(float(np.mean(rubrics)) if rubrics else None)
    return row


def nn_ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """min |y - b - Xw|^2 + alpha |w|^2 with w >= 0 (columns standardised inside, weights returned per raw
    unit), by NNLS on the augmented system."""
    mu, sd = x.mean(0), x.std(0)
    sd[sd == 0] = 1.0
    z = (x - mu) / sd
    yc = y - y.mean()
    k = z.shape[1]
    a = np.vstack([z, np.sqrt(alpha) * np.eye(k)])
    b = np.concatenate([yc, np.zeros(k)])
    w, _ = nnls(a, b)
    w = w / sd
    return w, float(y.mean() - mu @ w)


@dataclass(frozen=True, slots=True)
class Fit:
    names: list[str]
    alpha: float
    fold_weights: list[list[float]]
    weights: list[float]
    cv_r: float
    n: int


def _r(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else float("nan")


def folds(groups: Sequence[str], k: int = 5) -> np.ndarray:
    """Fold of each item; a person's items share a fold (hash of the group id, reproducible)."""
    import zlib

    return np.array([zlib.crc32(g.encode()) % k for g in groups])


def cross_validate(names: list[str], x: np.ndarray, y: np.ndarray, groups: Sequence[str], k: int = 5) -> Fit:
    """Alpha chosen by an inner grouped CV inside each outer training part; the outer held-out predictions
    give the cross-validated r; the reported weights are the mean over the outer folds (normalised to 1)."""
    fold = folds(groups, k)
    predictions = np.zeros_like(y)
    fold_weights = []
    alphas = []
    for f in range(k):
        train, test = fold != f, fold == f
        inner = fold[train]
        best = max(
            ALPHAS,
            key=lambda al: _r(
                np.concatenate(
                    [
                        _predict(x[train][inner != g], y[train][inner != g], x[train][inner == g], al)
                        for g in np.unique(inner)
                    ]
                ),
                np.concatenate([y[train][inner == g] for g in np.unique(inner)]),
            ),
        )
        w, b = nn_ridge(x[train], y[train], best)
        predictions[test] = b + x[test] @ w
        fold_weights.append(list(w / w.sum()) if w.sum() > 0 else list(w))
        alphas.append(best)
    mean = np.mean(fold_weights, axis=0)
    return Fit(names, float(np.median(alphas)), fold_weights, list(mean), _r(predictions, y), len(y))


def _predict(x: np.ndarray, y: np.ndarray, x_new: np.ndarray, alpha: float) -> np.ndarray:
    w, b = nn_ridge(x, y, alpha)
    return b + x_new @ w
