"""Signal value -> 0-10 for each norm kind, and scenarios that weight signals which cannot be normed."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from server.scoring.norms import NormError, check_norms, norm_problems, norm_score
from server.scoring.scenario import BooleanNorm, NormGroupNorm, PiecewiseNorm, Scenario
from tests.conftest import REPO_ROOT

WPM = PiecewiseNorm(kind="piecewise", points=[(60, 2), (110, 7), (140, 10), (175, 8), (230, 2)])


def general_behavioral() -> dict:
    return yaml.safe_load(Path(REPO_ROOT / "plugins/scenarios/general_behavioral.yaml").read_text("utf-8"))


@pytest.mark.parametrize(
    ("value", "score"),
    [(110, 7), (125, 8.5), (140, 10), (157.5, 9), (200, 5.2727), (30, 2), (400, 2), (60, 2)],
)
def test_piecewise_interpolates_and_is_flat_outside(value, score):
    assert norm_score(WPM, value) == pytest.approx(score, abs=1e-4)


def test_piecewise_reads_ints_like_floats():
    fillers = PiecewiseNorm(kind="piecewise", points=[(0, 10), (2, 8), (6, 4), (12, 0)])
    assert norm_score(fillers, 3) == pytest.approx(7)


@pytest.mark.parametrize(("value", "score"), [(0.5, 5), (0.6, 7), (0.25, 0), (0.3, 1), (0.9, 10)])
def test_norm_group_is_5_plus_2z_clipped(value, score):
    norm = NormGroupNorm(kind="norm_group", mean=0.5, sd=0.1, group="test")
    assert norm_score(norm, value) == pytest.approx(score)


def test_norm_group_lower_is_better_mirrors():
    norm = NormGroupNorm(
        kind="norm_group", mean=4.0, sd=2.0, direction="lower", group="fillers per 100 words"
    )
    assert norm_score(norm, 2.0) == pytest.approx(7)
    assert norm_score(norm, 6.0) == pytest.approx(3)


def test_boolean_norm_scores_true_and_false():
    norm = BooleanNorm(kind="boolean", if_true=9, if_false=3)
    assert norm_score(norm, True) == 9
    assert norm_score(norm, False) == 3


@pytest.mark.parametrize(
    ("norm", "value"),
    [
        (BooleanNorm(kind="boolean"), 1),
        (BooleanNorm(kind="boolean"), "yes"),
        (WPM, True),
        (WPM, ["speed", "pace"]),
        (WPM, {"a": 1}),
        (WPM, "fast"),
        (WPM, math.nan),
        (NormGroupNorm(kind="norm_group", mean=0, sd=1, group="g"), [1, 2]),
    ],
)
def test_values_of_the_wrong_kind_are_refused(norm, value):
    with pytest.raises(NormError):
        norm_score(norm, value)


def test_the_built_in_scenario_passes_the_check():
    scenario = Scenario.model_validate(general_behavioral())
    assert norm_problems(scenario) == []
    check_norms(scenario)


def _with_signal(signal: str, norm: dict) -> Scenario:
    data = general_behavioral()
    data["competencies"][0]["signals"].append({"signal": signal, "weight": 0.1, "norm": norm})
    return Scenario.model_validate(data)


@pytest.mark.parametrize(
    ("signal", "norm", "problem"),
    [
        ("text.keywords", {"kind": "piecewise", "points": [[0, 0], [5, 10]]}, "its value is a list"),
        ("text.star.complete", {"kind": "piecewise", "points": [[0, 0], [1, 10]]}, "needs a boolean norm"),
        ("text.relevance", {"kind": "boolean"}, "numeric signal needs a piecewise or norm_group norm"),
        ("text.eloquence", {"kind": "boolean"}, "no analyzer emits this signal"),
    ],
)
def test_unscorable_signals_are_errors_at_validation(signal, norm, problem):
    scenario = _with_signal(signal, norm)
    problems = norm_problems(scenario)
    assert len(problems) == 1
    assert problems[0].startswith(f"competency communication: signal {signal}: ")
    assert problem in problems[0]
    with pytest.raises(NormError, match=problem):
        check_norms(scenario)
