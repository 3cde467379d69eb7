"""Emotional tone from a word list: it infers emotion, so it declares ``infers_emotion`` and an EU deployment
never runs it (EU AI Act Art. 5(1)(f))."""

from __future__ import annotations

import re
from typing import ClassVar

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.signals import Evidence, Signal, Signals

POSITIVE = {"happy", "glad", "excited", "proud", "enjoyed", "love", "loved", "pleased", "grateful", "calm"}
NEGATIVE = {
    "angry",
    "upset",
    "frustrated",
    "annoyed",
    "stressed",
    "afraid",
    "worried",
    "sad",
    "hate",
    "hated",
}
WORD = re.compile(r"[a-z]+")


class EmotionLexiconAnalyzer:
    """``emotion.valence``: (positive - negative) / (positive + negative) emotion words, -1 to 1; no value
    when the answer has none. English only."""

    name: ClassVar[str] = "emotion_lexicon"
    models: ClassVar[tuple[str, ...]] = ()
    signals: ClassVar[tuple[str, ...]] = ("emotion.valence",)
    needs_recording: ClassVar[bool] = False
    infers_emotion: ClassVar[bool] = True

    def analyze(self, answer: Answer, features: RecordingFeatures) -> Signals:
        words = WORD.findall(answer.text.lower()) if answer.language == "en" else []
        positive = [w for w in words if w in POSITIVE]
        negative = [w for w in words if w in NEGATIVE]
        if not positive and not negative:
            return {}
        valence = (len(positive) - len(negative)) / (len(positive) + len(negative))
        note = f"positive: {', '.join(positive) or '-'}; negative: {', '.join(negative) or '-'}"
        return {"emotion.valence": Signal(valence, (Evidence(note=note),))}
