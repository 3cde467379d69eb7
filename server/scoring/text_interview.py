"""A text-only interview (chat answers, an existing transcript) from answers to a scored result, the one path
the CLI and the API share."""

from __future__ import annotations

from collections.abc import Iterable

from server.analysis.text.embedding import one_interview
from server.pipeline.analyze import analyze_text
from server.pipeline.questions import TextAnswer
from server.scoring.engine import ScoreResult, score_interview
from server.scoring.interview_questions import text_answers_for
from server.scoring.policy import Policy
from server.scoring.refusals import MODALITIES
from server.scoring.scenario import Scenario


def score_text_answers(
    scenario: Scenario,
    answers: list[TextAnswer],
    language: str = "auto",
    policy: Policy | None = None,
    consent: Iterable[str] = MODALITIES,
) -> ScoreResult:
    """Questions given by scenario id read as the scenario's wording; text carries no face or voice, so
    biometric consent changes nothing here and defaults to the caller's usual answer."""
    with one_interview():
        analysis = analyze_text(text_answers_for(scenario, answers, language), language, policy)
        return score_interview(scenario, analysis, frozenset(consent), policy)
