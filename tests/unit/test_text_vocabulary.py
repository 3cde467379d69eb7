"""MATTR: lexical diversity that does not fall just because an answer is longer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.text.vocabulary import VocabularyAnalyzer, mattr

DATA = Path(__file__).resolve().parent.parent / "data"


def test_mattr_bounds() -> None:
    assert mattr([f"w{i}" for i in range(200)]) == 1.0
    assert mattr(["same"] * 200) == pytest.approx(1 / 50)
    assert mattr(["a", "b", "a", "b"]) == 0.5  # shorter than the window: plain type-token ratio


def test_mattr_matches_a_direct_computation() -> None:
    words = [f"w{(i * 7) % 23}" for i in range(120)]
    direct = sum(len(set(words[k : k + 50])) / 50 for k in range(len(words) - 49)) / (len(words) - 49)
    assert mattr(words) == pytest.approx(direct)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_mattr_is_length_robust_where_ttr_is_not(language: str) -> None:
    answers = json.loads((DATA / f"answers_{language}.json").read_text(encoding="utf-8"))
    text = answers["star_strong"]["text"]
    once = VocabularyAnalyzer().analyze(Answer(0, None, text, language), RecordingFeatures())
    twice = VocabularyAnalyzer().analyze(Answer(0, None, f"{text} {text}", language), RecordingFeatures())
    assert twice["text.word_count"].value == 2 * once["text.word_count"].value
    # plain TTR would halve; MATTR barely moves
    assert twice["text.vocabulary_richness"].value == pytest.approx(
        once["text.vocabulary_richness"].value, abs=0.03
    )


def test_repetitive_answer_is_poorer() -> None:
    varied = (
        "We profiled the service, pooled connections, queued fraud checks and replayed peak traffic nightly."
    )
    repetitive = "We fixed it and then we fixed it again and then we fixed it and it was fixed, it was fixed."
    score = {
        text: VocabularyAnalyzer()
        .analyze(Answer(0, None, text, "en"), RecordingFeatures())["text.vocabulary_richness"]
        .value
        for text in (varied, repetitive)
    }
    assert score[varied] > score[repetitive]


def test_word_count_only_for_empty_text() -> None:
    assert (
        VocabularyAnalyzer().analyze(Answer(0, None, "", "en"), RecordingFeatures())["text.word_count"].value
        == 0
    )
