"""We against I, counted on examples whose pronouns were counted by hand."""

from __future__ import annotations

import pytest

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.text.pronouns import PronounAnalyzer


def pronouns(text: str, language: str = "en") -> tuple[int, int, float | None]:
    signals = PronounAnalyzer().analyze(Answer(0, None, text, language), RecordingFeatures())
    ratio = signals.get("text.we_ratio")
    return signals["text.we_count"].value, signals["text.i_count"].value, ratio.value if ratio else None


@pytest.mark.parametrize(
    ("text", "language", "we", "i"),
    [
        ("We shipped it, but I wrote the tests myself and our manager thanked us.", "en", 3, 2),
        ("My team and I moved to the US office; we're happy there.", "en", 1, 2),
        ("Ourselves, ours, me, mine.", "en", 2, 2),
        ("我们上线了，我写了测试，咱们一起复盘。", "zh", 2, 1),
        ("我先做了自我介绍，然后我们开始讨论。", "zh", 1, 1),
    ],
)
def test_counts_and_ratio(text: str, language: str, we: int, i: int) -> None:
    assert pronouns(text, language) == (we, i, pytest.approx(we / (we + i)))


def test_no_first_person_gives_no_ratio() -> None:
    assert pronouns("The service was slow.") == (0, 0, None)


def test_evidence_is_capped() -> None:
    signals = PronounAnalyzer().analyze(Answer(0, None, "I did it. " * 15, "en"), RecordingFeatures())
    evidence = signals["text.i_count"].evidence
    assert signals["text.i_count"].value == 15
    assert len(evidence) == 11
    assert evidence[-1].note == "5 more not shown"
