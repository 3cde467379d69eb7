"""KPI baselines: the three mapping kinds, each to the number the issue states."""

from __future__ import annotations

import pytest

from server.scoring.kpi import SOURCE_DECLARED, kpi_target
from server.scoring.loader import load_scenario
from server.scoring.scenario import KpiMapping
from tests.conftest import REPO_ROOT

SCENARIOS = REPO_ROOT / "plugins" / "scenarios"


def builtin_mapping(scenario_id: str, kpi: str) -> KpiMapping:
    """The issue's examples are read from the built-in scenarios that encode them, not restated here."""
    scenario = load_scenario(SCENARIOS / f"{scenario_id}.yaml")
    return next(m for m in scenario.kpi_mappings if m.kpi == kpi)


TEAMWORK = builtin_mapping("manufacturing_operator", "team_contribution")
OPERATOR = builtin_mapping("manufacturing_operator", "output_vs_team_average")
COMPOSURE = builtin_mapping("customer_service", "customer_satisfaction")


def test_general_behavioral_declares_the_same_teamwork_table() -> None:
    assert builtin_mapping("general_behavioral", "team_contribution").points == TEAMWORK.points


@pytest.mark.parametrize(
    ("score", "target", "label"),
    [(8, 85, "excellent"), (6, 70, "pass"), (7, 77.5, "pass"), (7.9, 84.25, "pass"), (9.5, 85, "excellent")],
)
def test_table_interpolates_and_holds_flat_beyond_the_anchors(score, target, label):
    result = kpi_target(TEAMWORK, score)
    assert result.target == pytest.approx(target)
    assert result.label == label
    assert result.unit == "points"
    assert result.source == SOURCE_DECLARED == "declared"


def test_table_below_the_lowest_anchor_has_its_target_and_no_label():
    result = kpi_target(TEAMWORK, 4)
    assert result.target == 70
    assert result.label is None


def test_table_anchor_order_in_the_file_does_not_matter():
    reversed_points = TEAMWORK.model_copy(update={"points": list(reversed(TEAMWORK.points))})
    assert kpi_target(reversed_points, 7).target == pytest.approx(77.5)


@pytest.mark.parametrize(("score", "percent"), [(9, 15), (7, 0), (8, 7.5), (6, -5), (10, 20), (5, -10)])
def test_relative_interpolates_between_anchors_and_uses_per_point_beyond(score, percent):
    result = kpi_target(OPERATOR, score)
    assert result.target == pytest.approx(percent)
    assert result.unit == "percent_vs_team_average"
    assert result.source == "declared"


def test_relative_labels_follow_the_anchor_reached():
    assert kpi_target(OPERATOR, 8).label == "average"
    assert kpi_target(OPERATOR, 9).label == "15% above average"
    assert kpi_target(OPERATOR, 6).label is None


def test_relative_with_one_anchor_is_a_line_through_it():
    one = OPERATOR.model_copy(update={"points": [OPERATOR.points[0]]})
    assert kpi_target(one, 9).target == pytest.approx(10)
    assert kpi_target(one, 6).target == pytest.approx(-5)


@pytest.mark.parametrize(("score", "target"), [(0, 60), (1, 62), (8, 76), (7.5, 75), (10, 80)])
def test_bonus_adds_per_point_to_the_base(score, target):
    result = kpi_target(COMPOSURE, score)
    assert result.target == pytest.approx(target)
    assert result.unit == "points"
    assert result.label is None


def test_bonus_counts_only_points_above_from_score():
    from_six = COMPOSURE.model_copy(update={"from_score": 6})
    assert kpi_target(from_six, 8).target == pytest.approx(64)
    assert kpi_target(from_six, 4).target == pytest.approx(60)  # no bonus, and no penalty
