"""Relevance to the question through the embedding models (MiniLM for English, USE for Chinese)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.text.embedding import MINILM, USE_MULTILINGUAL, model_for
from server.analysis.text.relevance import RelevanceAnalyzer

DATA = Path(__file__).resolve().parent.parent / "data"


def stored(language: str, key: str) -> Answer:
    item = json.loads((DATA / f"answers_{language}.json").read_text(encoding="utf-8"))[key]
    return Answer(index=0, question=item["question"], text=item["text"], language=language)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_on_topic_answer_is_more_relevant_than_off_topic(runtime, language: str) -> None:
    on_topic = RelevanceAnalyzer().analyze(stored(language, "star_strong"), RecordingFeatures())
    off_topic = RelevanceAnalyzer().analyze(stored(language, "off_topic"), RecordingFeatures())
    assert 0.0 <= off_topic["text.relevance"].value < on_topic["text.relevance"].value <= 1.0
    assert on_topic["text.relevance"].value - off_topic["text.relevance"].value > 0.1


@pytest.mark.parametrize("language", ["en", "zh"])
def test_same_answer_is_more_relevant_to_its_own_question(runtime, language: str) -> None:
    answer = stored(language, "zongfenzong")
    own = RelevanceAnalyzer().analyze(answer, RecordingFeatures())["text.relevance"]
    answer.question = stored(language, "launch_plan").question
    other = RelevanceAnalyzer().analyze(answer, RecordingFeatures())["text.relevance"]
    assert own.value > other.value
    # the closest sentence is the one that states the point about teams
    assert "team" in (own.evidence[0].excerpt or "") or "团队" in (own.evidence[0].excerpt or "")


def test_mixed_languages_go_to_the_multilingual_model(runtime) -> None:
    assert model_for("en", "How do you handle conflict?", "I talk to them first.") == MINILM
    assert model_for("en", "你如何处理冲突？", "I talk to them first.") == USE_MULTILINGUAL
    assert model_for("zh", "How do you handle conflict?", "I talk to them first.") == USE_MULTILINGUAL
    english = stored("en", "star_strong")
    chinese_question = Answer(0, stored("zh", "star_strong").question, english.text, "en")
    signal = RelevanceAnalyzer().analyze(chinese_question, RecordingFeatures())["text.relevance"]
    assert USE_MULTILINGUAL in (signal.evidence[0].note or "")
    assert (
        signal.value
        > RelevanceAnalyzer()
        .analyze(
            Answer(0, chinese_question.question, stored("en", "off_topic").text, "en"), RecordingFeatures()
        )["text.relevance"]
        .value
    )


def test_no_question_gives_no_relevance(runtime) -> None:
    answer = stored("en", "star_strong")
    answer.question = None
    assert RelevanceAnalyzer().analyze(answer, RecordingFeatures()) == {}
