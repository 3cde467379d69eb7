"""Speech delivery: transcript, rate, pauses and recogniser confidence of one answer."""

from __future__ import annotations

import itertools
from typing import ClassVar

import numpy as np

from server.analysis.base import Answer, RecordingFeatures, Word
from server.analysis.signals import Evidence, Signal, Signals
from server.analysis.spans import span_evidence, words_in

LONG_PAUSE_S = 2.0
"""A silence between words this long reads as a hesitation, not a breath (a coaching rule of thumb)."""


def _count_units(words: list[Word], language: str) -> int:
    """Words for English; characters for Chinese, whose speaking rate is conventionally 字/分钟."""
    if language == "zh":
        return sum(sum(1 for ch in w.text if ch.isalnum()) for w in words)
    return sum(1 for w in words if any(ch.isalnum() for ch in w.text))


class SpeechAnalyzer:
    """Rate, pauses and confidence from the recogniser's word timings."""

    name: ClassVar[str] = "speech"
    models: ClassVar[tuple[str, ...]] = ("vad_silero", "asr_whisper_tiny_en", "asr_whisper_base")
    signals: ClassVar[tuple[str, ...]] = (
        "speech.word_count",
        "speech.speaking_time_s",
        "speech.words_per_minute",
        "speech.pause_ratio",
        "speech.long_pauses",
        "speech.asr_confidence",
    )
    needs_recording: ClassVar[bool] = True

    def analyze(self, answer: Answer, features: RecordingFeatures) -> Signals:
        words = answer.words or words_in(answer, features.words)
        if not words:
            return {}
        first, last = words[0].start_s, words[-1].end_s
        span = Evidence(start_s=first, end_s=last, excerpt=_excerpt(words))
        talk_s = max(last - first, 1e-6)
        gaps = [(a.end_s, b.start_s) for a, b in itertools.pairwise(words) if b.start_s > a.end_s]
        silent_s = sum(b - a for a, b in gaps)
        long_gaps = [(a, b) for a, b in gaps if b - a >= LONG_PAUSE_S]
        units = _count_units(words, answer.language)
        unit = "characters" if answer.language == "zh" else "words"
        return {
            "speech.word_count": Signal(units, (span,)),
            "speech.speaking_time_s": Signal(round(talk_s, 2), (span,)),
            "speech.words_per_minute": Signal(
                units / talk_s * 60.0, (Evidence(start_s=first, end_s=last, note=f"{unit} per minute"),)
            ),
            "speech.pause_ratio": Signal(silent_s / talk_s, span_evidence(gaps, "silence between words")),
            "speech.long_pauses": Signal(
                len(long_gaps), span_evidence(long_gaps, f"pause of {LONG_PAUSE_S:.0f} s or more")
            ),
            "speech.asr_confidence": Signal(
                float(np.mean([w.probability for w in words])), _least_confident(words)
            ),
        }


def _excerpt(words: list[Word], limit: int = 24) -> str:
    text = " ".join(w.text for w in words[:limit])
    return text + (" ..." if len(words) > limit else "")


def _least_confident(words: list[Word], limit: int = 3) -> tuple[Evidence, ...]:
    worst = sorted(words, key=lambda w: w.probability)[:limit]
    return tuple(
        Evidence(start_s=w.start_s, end_s=w.end_s, excerpt=w.text, note=f"p={w.probability:.2f}")
        for w in worst
    )
