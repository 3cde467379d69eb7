"""Every built-in scenario scores the sample interview and text-only interviews, and ranks hand-written
strong answers above weak ones on every competency its rubric anchors, in English and in Chinese."""

from __future__ import annotations

import json
from functools import cache

import pytest

from server.pipeline.analyze import analyze_text
from server.pipeline.questions import TextAnswer
from server.scoring.engine import ScoreResult, score_interview
from server.scoring.registry import ScenarioRegistry
from server.scoring.scenario import Scenario
from tests.conftest import REPO_ROOT

ANSWERS = REPO_ROOT / "tests" / "data" / "scenario_answers"
SCENARIOS = {s.id: s for s in ScenarioRegistry(use_plugins=False).list()}
BUILT_IN = (
    "sales",
    "customer_service",
    "rd_engineer",
    "product_manager",
    "manufacturing_operator",
    "marketing",
    "ecommerce_ops",
    "management",
    "general_behavioral",
)


def test_every_scenario_the_issue_names_is_built_in() -> None:
    assert set(BUILT_IN) <= set(SCENARIOS)


@cache
def text_interview(scenario_id: str, language: str, level: str) -> ScoreResult:
    """One hand-written interview: every question of the scenario answered at one level, in one language."""
    scenario = SCENARIOS[scenario_id]
    texts = {q.id: q.text for q in scenario.questions}
    items = json.loads((ANSWERS / f"{scenario_id}.json").read_text(encoding="utf-8"))
    answers = [
        TextAnswer(question=getattr(texts[item["question_id"]], language), answer=item[language][level])
        for item in items
    ]
    return score_interview(scenario, analyze_text(answers, language))


def rubric_competencies(scenario: Scenario) -> list[str]:
    probed = {c for q in scenario.questions for c in q.competencies}
    return [c.id for c in scenario.competencies if c.rubric is not None and c.id in probed]


@pytest.mark.parametrize("scenario_id", BUILT_IN)
def test_scenario_scores_the_sample_interview(scenario_id: str, sample_analysis) -> None:
    result = score_interview(SCENARIOS[scenario_id], sample_analysis).to_dict()
    assert result["scenario"] == {"id": scenario_id, "version": SCENARIOS[scenario_id].version}
    assert {"overall", "competencies", "tags", "fit", "kpi_baselines", "quality"} <= set(result)
    for competency in result["competencies"]:
        # a number with its confidence and evidence, or the reasons there is none: never a silent gap
        if competency["score"] is None:
            assert competency["insufficient_data"], competency["id"]
        else:
            assert 0 <= competency["score"] <= 10 and 0 < competency["confidence"] <= 1
            assert competency["evidence"]
    for baseline in result["kpi_baselines"]:
        assert {"kpi", "competency", "score", "target", "unit", "source"} <= set(baseline)
        assert baseline["source"] == "declared"


def test_the_sample_is_a_general_behavioural_interview(sample_analysis) -> None:
    result = score_interview(SCENARIOS["general_behavioral"], sample_analysis)
    assert result.score is not None and result.fit.percent is not None
    assert all(c.score is not None for c in result.competencies)
    team = next(k for k in result.to_dict()["kpi_baselines"] if k["kpi"] == "team_contribution")
    assert team["target"] is not None and team["unit"] == "points"


@pytest.mark.parametrize("scenario_id", BUILT_IN)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_strong_answers_outscore_weak_ones_on_every_rubric_competency(
    scenario_id: str, language: str
) -> None:
    strong = text_interview(scenario_id, language, "strong")
    weak = text_interview(scenario_id, language, "weak")
    assert strong.score is not None, strong.to_dict()["overall"]
    for competency_id in rubric_competencies(SCENARIOS[scenario_id]):
        strong_score = strong.competency(competency_id).score
        weak_score = weak.competency(competency_id).score
        assert strong_score is not None and weak_score is not None, competency_id
        assert strong_score > weak_score, (competency_id, strong_score, weak_score)
    assert strong.score > weak.score
