"""STAR, 总分总 and goal-strategy-execution on hand-written answers in both languages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.signals import Signals
from server.analysis.text.plan import PlanAnalyzer
from server.analysis.text.star import StarAnalyzer
from server.analysis.text.zongfenzong import ZongFenZongAnalyzer

DATA = Path(__file__).resolve().parent.parent / "data"
STAR_PARTS = ("situation", "task", "action", "result")
LANGUAGES = ("en", "zh")


def stored(language: str, key: str) -> Answer:
    item = json.loads((DATA / f"answers_{language}.json").read_text(encoding="utf-8"))[key]
    return Answer(index=0, question=item["question"], text=item["text"], language=language)


def star(language: str, key: str) -> Signals:
    return StarAnalyzer().analyze(stored(language, key), RecordingFeatures())


@pytest.mark.parametrize("language", LANGUAGES)
def test_star_answer_has_all_four_parts(language: str) -> None:
    signals = star(language, "star_strong")
    assert signals["text.star.complete"].value is True
    for part in STAR_PARTS:
        signal = signals[f"text.star.{part}"]
        assert signal.value >= 0.5, part
        assert signal.evidence[0].excerpt in stored(language, "star_strong").text


@pytest.mark.parametrize("language", LANGUAGES)
def test_star_parts_are_evidenced_by_the_right_sentences(language: str) -> None:
    signals = star(language, "star_strong")
    excerpt = {part: signals[f"text.star.{part}"].evidence[0].excerpt for part in STAR_PARTS}
    if language == "en":
        assert excerpt["situation"].startswith("At my previous company")
        assert excerpt["task"].startswith("I was responsible")
        assert excerpt["result"].startswith("As a result")
    else:
        assert excerpt["situation"].startswith("去年双十一之前")
        assert excerpt["task"].startswith("我的任务是")
        assert excerpt["result"].startswith("最终")


@pytest.mark.parametrize("language", LANGUAGES)
def test_rambling_answer_is_not_star(language: str) -> None:
    signals = star(language, "rambling")
    present = [part for part in STAR_PARTS if signals[f"text.star.{part}"].value >= 0.5]
    assert len(present) <= 1
    assert signals["text.star.complete"].value is False
    assert "missing" in (signals["text.star.complete"].evidence[0].note or "")


@pytest.mark.parametrize("language", LANGUAGES)
def test_zongfenzong_is_high_only_for_the_structured_answer(language: str) -> None:
    scores = {
        key: ZongFenZongAnalyzer().analyze(stored(language, key), RecordingFeatures())["text.zongfenzong"]
        for key in ("zongfenzong", "star_strong", "rambling", "launch_plan", "off_topic")
    }
    structured = scores.pop("zongfenzong")
    assert structured.value >= 0.75
    assert all(other.value < 0.4 for other in scores.values())
    notes = [e.note or "" for e in structured.evidence]
    assert notes[0].startswith("point")
    assert notes.count("supporting point") >= 2
    assert notes[-1].startswith("conclusion")


def test_zongfenzong_needs_three_sentences() -> None:
    answer = Answer(index=0, question=None, text="I think trust matters. So trust matters.", language="en")
    signal = ZongFenZongAnalyzer().analyze(answer, RecordingFeatures())["text.zongfenzong"]
    assert signal.value == 0.0
    assert "too short" in (signal.evidence[0].note or "")


@pytest.mark.parametrize("language", LANGUAGES)
def test_launch_plan_has_goal_strategy_and_execution(language: str) -> None:
    plan = PlanAnalyzer().analyze(stored(language, "launch_plan"), RecordingFeatures())
    signal = plan["text.goal_strategy_execution"]
    assert signal.value >= 0.7
    assert [(e.note or "").split(":")[0] for e in signal.evidence] == ["goal", "strategy", "execution"]
    for key in ("star_strong", "rambling", "off_topic", "zongfenzong"):
        other = PlanAnalyzer().analyze(stored(language, key), RecordingFeatures())
        assert other["text.goal_strategy_execution"].value < 0.5, key


def test_empty_answer_gives_no_structure_signals() -> None:
    empty = Answer(index=0, question=None, text="", language="en")
    for analyzer in (StarAnalyzer(), ZongFenZongAnalyzer(), PlanAnalyzer()):
        assert analyzer.analyze(empty, RecordingFeatures()) == {}
