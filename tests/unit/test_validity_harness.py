"""The validity harness's statistics and fitting (bench/validity), checked against scipy and known data, so
the figures in docs/VALIDITY.md can be trusted; the harness itself runs with `make validity`."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from bench.validity.fit import cross_validate, folds, nn_ridge
from bench.validity.stats import correlate, fisher_ci
from bench.validity.weights import with_weights
from server.scoring.registry import ScenarioRegistry


def test_correlation_matches_scipy_and_fisher_interval() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=400)
    y = 0.3 * x + rng.normal(size=400)
    c = correlate(list(x), list(y))
    assert c is not None and c.n == 400
    assert c.pearson_r == pytest.approx(stats.pearsonr(x, y)[0])
    assert c.spearman_rho == pytest.approx(stats.spearmanr(x, y).statistic)
    z, se = math.atanh(c.pearson_r), 1 / math.sqrt(397)
    assert c.pearson_ci95 == pytest.approx((math.tanh(z - 1.96 * se), math.tanh(z + 1.96 * se)), abs=1e-3)
    assert c.pearson_ci95[0] < c.pearson_r < c.pearson_ci95[1]


def test_missing_values_are_left_out_and_tiny_samples_make_no_claim() -> None:
    c = correlate(
        [1.0, None, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0], [2, 5, 3, 5, 4, 6, 8, 7, 9, 12, 10]
    )
    assert c is not None and c.n == 10
    assert correlate([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) is None
    assert correlate([1.0] * 20, list(range(20))) is None  # no variance, no correlation
    assert all(math.isnan(v) for v in fisher_ci(0.5, 3))


def test_non_negative_ridge_recovers_weights_and_never_goes_negative() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2000, 3))
    y = 2.0 * x[:, 0] + 0.5 * x[:, 1] - 1.0 * x[:, 2] + rng.normal(scale=0.5, size=2000)
    w, _ = nn_ridge(x, y, alpha=1.0)
    assert w[0] == pytest.approx(2.0, abs=0.1) and w[1] == pytest.approx(0.5, abs=0.1)
    assert w[2] == 0.0  # a negative relation gets no weight, not a negative one


def test_cross_validation_keeps_a_person_in_one_fold_and_predicts_held_out() -> None:
    rng = np.random.default_rng(5)
    groups = [f"p{i // 3}" for i in range(900)]
    assert all(len(set(folds(groups)[i : i + 3])) == 1 for i in range(0, 900, 3))
    x = rng.normal(size=(900, 2))
    y = x[:, 0] + rng.normal(size=900)
    fit = cross_validate(["a", "b"], x, y, groups)
    assert 0.6 < fit.cv_r < 0.8 and fit.weights[0] > 0.8 and len(fit.fold_weights) == 5


def test_with_weights_rewrites_shared_signals_and_rubric_share() -> None:
    scenario = ScenarioRegistry().get("general_behavioral")
    weighted = with_weights(scenario, {"text.word_count": 0.5, "speech.filler_rate": 0.0, "rubric": 0.5})
    teamwork = next(c for c in weighted.competencies if c.id == "teamwork")
    signals = {s.signal: s.weight for s in teamwork.signals}
    assert signals["text.word_count"] == 0.5 and "speech.filler_rate" not in signals
    assert teamwork.rubric is not None and teamwork.rubric.weight == pytest.approx(0.5)
