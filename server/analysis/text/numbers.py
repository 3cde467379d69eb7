"""Quantified claims: the numbers an answer quotes and the sentences that tie a number to an outcome."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.signals import Signal, Signals
from server.analysis.text.cues import compile_cues
from server.analysis.text.evidence import TextEvidence
from server.analysis.text.sentences import split_sentences

_EN_NUMBER_WORD = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty"
    r"|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|dozen|half|a few)"
)
_EN_UNIT = (
    r"(?:percent|per cent|percentage points?|times|x|fold|days?|weeks?|months?|quarters?|years?|hours?"
    r"|minutes?|seconds?|milliseconds?|ms|people|users|customers|clients|engineers|members|employees|dollars"
    r"|euros|pounds|yuan|million|billion|thousand|hundred|k|m|bn)"
)
_CN_DIGIT = "零一二两三四五六七八九十百千万亿几"
_CN_UNIT = (
    "个百分点|百分点|成|倍|%|个月|个小时|个人|个用户|个客户|个项目|人|位|名|天|周|年|季度|小时|分钟|秒|毫秒"
    "|万|亿|千|元|块钱|块|美元|次|单|家|款|篇|条"
)
_ONE_UNIT = "倍|成|万|亿|千|个百分点|百分点|个月|周|小时|分钟|秒|毫秒"
"""A lone 一 is a figure only with these units: 一次, 一天, 一个人 mostly tell a story ("有一次")."""

FIGURE = re.compile(
    "|".join(
        [
            # 百分之二十, 百分之30
            rf"百分之[{_CN_DIGIT}点\d.]+",
            # $2 million, 40%, 3.5x, 200万元, 2 weeks, 1,200
            rf"[$¥￥€£]?(?<![A-Za-z\d.,])\d+(?:[.,]\d+)*(?:\s?(?:{_EN_UNIT})(?![A-Za-z])|\s?(?:{_CN_UNIT}))?",
            # 两倍, 三成, 十几个人, 一个月 (but not 一次)
            rf"(?:[{_CN_DIGIT}]{{2,}}|[{_CN_DIGIT.replace('一', '')}])(?:点[{_CN_DIGIT}]+)?(?:{_CN_UNIT})",
            rf"一(?:点[{_CN_DIGIT}]+)?(?:{_ONE_UNIT})",
            # doubled, 翻倍, 减半
            r"(?<![A-Za-z])(?:doubled|tripled|quadrupled|halved)(?![A-Za-z])|翻了?一?倍|翻了一番|减半|一半",
            # thirty percent, two weeks, half a million
            rf"(?<![A-Za-z]){_EN_NUMBER_WORD}(?:[\s-]{_EN_NUMBER_WORD})*(?:\s(?:a\s)?{_EN_UNIT})(?![A-Za-z])",
        ]
    ),
    re.IGNORECASE,
)

OUTCOME = compile_cues(
    [
        r"increas\w*|reduc\w*|decreas\w*|improv\w*|grew|grow\w*|rais\w*|rose|lower\w*|cut|cutting|drop\w*",
        r"fell|sav(?:e|ed|es|ing|ings)|shorten\w*|doubl\w*|tripl\w*|halv\w*|boost\w*|achiev\w*|reach\w*|hit",
        r"exceed\w*|won|gain\w*|went (?:up|down|from)|(?:up|down) (?:by|from|to)|from \S+ to",
        "提升|提高|增长|增加|上涨|上升|降低|减少|下降|缩短|节省|节约|翻倍|翻了|达到|实现|突破|超过|超出|降到|降至|提到|升到|减半",
        r"从.{1,15}(?:降|提|升|涨|增|减|缩)?到",
    ]
)
"""Words that make a number an outcome: "cut latency by 40%", "转化率提升了百分之二十"."""


@dataclass(frozen=True, slots=True)
class Figure:
    text: str
    start: int
    end: int


def find_figures(text: str) -> list[Figure]:
    return [Figure(m.group().strip(), m.start(), m.end()) for m in FIGURE.finditer(text)]


def result_label(sentence: str) -> str | None:
    """The label "number tied to an outcome" when the sentence holds both a figure and an outcome word."""
    if FIGURE.search(sentence) and OUTCOME.search(sentence):
        return "number tied to an outcome"
    return None


class NumbersAnalyzer:
    """``text.quantified_results`` (figures quoted) and ``text.result_statements`` (sentences where a figure
    meets an outcome word): interviewers trust results that come with numbers."""

    name: ClassVar[str] = "text.numbers"
    models: ClassVar[tuple[str, ...]] = ()
    signals: ClassVar[tuple[str, ...]] = ("text.quantified_results", "text.result_statements")
    needs_recording: ClassVar[bool] = False

    def analyze(self, answer: Answer, features: RecordingFeatures) -> Signals:
        evidence = TextEvidence(answer)
        figures = find_figures(answer.text)
        statements = [s for s in split_sentences(answer.text, answer.language) if result_label(s.text)]
        return {
            "text.quantified_results": Signal(
                len(figures), tuple(evidence.span(f.start, f.end, note=f.text, context=24) for f in figures)
            ),
            "text.result_statements": Signal(
                len(statements),
                tuple(evidence.sentence(s, note="number tied to an outcome") for s in statements),
            ),
        }
