"""Cutting an interview into answers, and the caller's question / answer files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.analysis.base import Word
from server.config import TextLimits
from server.errors import InputError
from server.pipeline.answers import cut_answers
from server.pipeline.questions import Question, load_questions, load_text_answers


def _words(spans: list[tuple[float, float, str]]) -> list[Word]:
    return [Word(text, a, b, 0.9) for a, b, text in spans]


def test_longest_silences_separate_answers() -> None:
    segments = [(1.0, 10.0), (10.5, 20.0), (25.0, 40.0), (40.4, 50.0), (56.0, 70.0)]
    words = _words([(2, 3, "first"), (26, 27, "second"), (41, 42, "still"), (60, 61, "third")])
    questions = [Question(question=q) for q in ("A?", "B?", "C?")]
    answers = cut_answers(questions, segments, words, 72.0, "en")
    assert [(round(a.start_s, 2), round(a.end_s, 2)) for a in answers] == [
        (0.0, 22.5),
        (22.5, 53.0),
        (53.0, 72.0),
    ]
    assert [a.text for a in answers] == ["first", "second still", "third"]
    assert [a.question for a in answers] == ["A?", "B?", "C?"]


def test_caller_timestamps_win() -> None:
    words = _words([(1, 2, "hello"), (12, 13, "world")])
    questions = [Question(question="A?", start_s=0, end_s=10), Question(question="B?", start_s=10, end_s=99)]
    answers = cut_answers(questions, [(0.5, 13.5)], words, 20.0, "en")
    assert [(a.start_s, a.end_s, a.text) for a in answers] == [(0, 10, "hello"), (10, 20.0, "world")]


def test_no_questions_means_one_answer() -> None:
    answers = cut_answers([], [(0.0, 3.0)], _words([(0.5, 1, "只"), (1, 1.5, "有")]), 3.0, "zh")
    assert len(answers) == 1 and answers[0].question is None and answers[0].text == "只有"


def test_more_questions_than_turns_leaves_empty_answers() -> None:
    answers = cut_answers(
        [Question(question=q) for q in "ABC"], [(1.0, 5.0)], _words([(1, 2, "x")]), 6.0, "en"
    )
    assert [a.text for a in answers] == ["x", "", ""]


def test_timestamp_after_the_end_is_named() -> None:
    questions = [Question(question="Late?", start_s=30, end_s=40)]
    with pytest.raises(InputError, match=r"'Late\?' starts at 30.0 s, after the recording ends"):
        cut_answers(questions, [], [], 20.0, "en")


def test_question_file_errors_name_item_and_field(tmp_path: Path) -> None:
    path = tmp_path / "q.json"
    path.write_text(json.dumps([{"question": "A?", "start_s": 5, "end_s": 2}]))
    with pytest.raises(InputError, match=r"q.json: item 0: .*end_s \(2.0\) must be after start_s"):
        load_questions(path, TextLimits())
    path.write_text(json.dumps([{"question": "A?", "start_s": 0, "end_s": 5}, {"question": "B?"}]))
    with pytest.raises(InputError, match="either every question has start_s/end_s or none"):
        load_questions(path, TextLimits())
    path.write_text("{not json")
    with pytest.raises(InputError, match="not valid UTF-8 JSON"):
        load_questions(path, TextLimits())
    with pytest.raises(InputError, match="does not exist"):
        load_questions(tmp_path / "missing.json", TextLimits())


def test_questions_may_be_plain_strings(tmp_path: Path) -> None:
    path = tmp_path / "q.json"
    path.write_text(json.dumps(["Tell me about yourself.", "Why us?"]))
    assert [q.question for q in load_questions(path, TextLimits())] == ["Tell me about yourself.", "Why us?"]


def test_answers_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps([{"question": "A?"}]))
    with pytest.raises(InputError, match=r"a.json: item 0.answer: Field required"):
        load_text_answers(path, TextLimits())
    path.write_text(json.dumps([{"question": "A?", "answer": "  "}]))
    with pytest.raises(InputError, match="every answer is empty"):
        load_text_answers(path, TextLimits())
    path.write_text(json.dumps([]))
    with pytest.raises(InputError, match="non-empty JSON list"):
        load_text_answers(path, TextLimits())
