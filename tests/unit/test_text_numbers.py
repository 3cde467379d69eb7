"""Quantified results: figures in both languages, and the sentences that tie a figure to an outcome."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.text.numbers import NumbersAnalyzer, find_figures

DATA = Path(__file__).resolve().parent.parent / "data"


def stored(language: str, key: str) -> Answer:
    item = json.loads((DATA / f"answers_{language}.json").read_text(encoding="utf-8"))[key]
    return Answer(index=0, question=item["question"], text=item["text"], language=language)


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("We cut latency by 40% and saved $2 million.", ["40%", "$2 million"]),
        ("About 1,200 users, 3.5x faster, in 2021.", ["1,200 users", "3.5x", "2021"]),
        (
            "It took two weeks and thirty percent fewer tickets; revenue doubled.",
            ["two weeks", "thirty percent", "doubled"],
        ),
        ("I had three reasons and one of them was MP3 support on S3.", []),
        ("转化率提升了百分之二十，成本降低了三成，效率提高了两倍。", ["百分之二十", "三成", "两倍"]),
        (
            "用了一个月，十几个人，服务了200万用户，从800毫秒降到200毫秒。",
            ["一个月", "十几个人", "200万", "800毫秒", "200毫秒"],
        ),
        ("有一次我们一起加班，这一天很长。", []),
    ],
)
def test_figures(text: str, figures: list[str]) -> None:
    assert [f.text for f in find_figures(text)] == figures


@pytest.mark.parametrize("language", ["en", "zh"])
def test_star_answer_is_quantified_and_rambling_is_not(language: str) -> None:
    strong = NumbersAnalyzer().analyze(stored(language, "star_strong"), RecordingFeatures())
    rambling = NumbersAnalyzer().analyze(stored(language, "rambling"), RecordingFeatures())
    assert strong["text.quantified_results"].value >= 6
    assert len(strong["text.quantified_results"].evidence) == strong["text.quantified_results"].value
    assert strong["text.result_statements"].value >= 1
    assert rambling["text.quantified_results"].value == 0
    assert rambling["text.result_statements"].value == 0


def test_result_statement_needs_a_number_and_an_outcome() -> None:
    text = "We had 40 people on the team. Latency dropped from 2.4 seconds to 380 ms. Things improved a lot."
    signals = NumbersAnalyzer().analyze(Answer(0, None, text, "en"), RecordingFeatures())
    assert [e.note for e in signals["text.quantified_results"].evidence] == [
        "40 people",
        "2.4 seconds",
        "380 ms",
    ]
    assert [e.excerpt for e in signals["text.result_statements"].evidence] == [
        "Latency dropped from 2.4 seconds to 380 ms."
    ]
