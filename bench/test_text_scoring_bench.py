"""How long one text interview takes to score with the models loaded: what each ``ScoreAnswers`` call costs a
running server.

The interview is general_behavioral's five strong English answers (627 words). Each round numbers its answers
afresh (as ``bench.load_text`` does), so no cache from an earlier round answers for the models.

Run: ``.venv/bin/pytest bench/test_text_scoring_bench.py --benchmark-enable``.
"""

from __future__ import annotations

import itertools

import pytest

from bench.load_text import interview
from server.pipeline.questions import TextAnswer
from server.scoring.registry import ScenarioRegistry
from server.scoring.scenario import Scenario
from server.scoring.text_interview import score_text_answers

ROUNDS = 10


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    scenario = ScenarioRegistry().get("general_behavioral")
    score_text_answers(scenario, answers(-1), "en")  # loads the models
    return scenario


def answers(number: int) -> list[TextAnswer]:
    return [TextAnswer(question=q, answer=a) for q, a in interview(number)]


def test_score_text_interview(benchmark, scenario: Scenario) -> None:
    numbers = itertools.count()
    result = benchmark.pedantic(
        lambda items: score_text_answers(scenario, items, "en"),
        setup=lambda: ((answers(next(numbers)),), {}),
        rounds=ROUNDS,
        iterations=1,
    )
    assert len(result.answers) == 5
    benchmark.extra_info["words"] = sum(len(a.answer.split()) for a in answers(0))
