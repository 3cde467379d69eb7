"""Hedging: how often an answer qualifies its own claims ("I think", "maybe", "可能")."""

from __future__ import annotations

import re
from typing import ClassVar

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.signals import Evidence, Signal, Signals

ENGLISH = re.compile(
    r"\b(i think|i guess|i believe|i suppose|maybe|perhaps|probably|possibly|sort of|kind of|somewhat"
    r"|might)\b",
    re.IGNORECASE,
)
CHINESE = re.compile(r"可能|也许|大概|好像|差不多|我觉得|或许")
ENGLISH_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
CHINESE_CHAR = re.compile(r"[\u4e00-\u9fff]")


class HedgingAnalyzer:
    """``hedging.count`` (hedges found) and ``hedging.rate`` (per 100 English words, or per 100 Chinese
    characters for Chinese answers)."""

    name: ClassVar[str] = "hedging"
    models: ClassVar[tuple[str, ...]] = ()
    signals: ClassVar[tuple[str, ...]] = ("hedging.count", "hedging.rate")
    needs_recording: ClassVar[bool] = False

    def analyze(self, answer: Answer, features: RecordingFeatures) -> Signals:
        chinese = answer.language == "zh"
        units = len((CHINESE_CHAR if chinese else ENGLISH_WORD).findall(answer.text))
        if not units:
            return {}
        found = list((CHINESE if chinese else ENGLISH).finditer(answer.text))
        evidence = tuple(
            Evidence(excerpt=answer.text[max(0, m.start() - 20) : m.end() + 20], note=m.group(0).lower())
            for m in found
        )
        unit = "Chinese characters" if chinese else "words"
        return {
            "hedging.count": Signal(len(found), evidence),
            "hedging.rate": Signal(
                100.0 * len(found) / units, (Evidence(note=f"{len(found)} in {units} {unit}"),)
            ),
        }
