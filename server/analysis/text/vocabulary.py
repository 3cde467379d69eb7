"""Lexical diversity that does not fall just because an answer is long (MATTR), the word count and the number
of distinct words (how much an answer says: the strongest single text predictor of hireability ratings in
docs/VALIDITY.md)."""

from __future__ import annotations

from typing import ClassVar

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.signals import Evidence, Signal, Signals
from server.analysis.text.tokens import tokenize

WINDOW = 50
"""Covington & McFall's moving-average type-token ratio over 50-word windows: plain TTR falls with length,
so long answers would look poorer in vocabulary than short ones."""


def mattr(words: list[str], window: int = WINDOW) -> float:
    """Mean type-token ratio over every window of ``window`` consecutive words (plain TTR when shorter)."""
    if len(words) <= window:
        return len(set(words)) / len(words)
    counts: dict[str, int] = {}
    for word in words[:window]:
        counts[word] = counts.get(word, 0) + 1
    types = len(counts)
    for k in range(window, len(words)):
        outgoing, incoming = words[k - window], words[k]
        counts[outgoing] -= 1
        if not counts[outgoing]:
            del counts[outgoing]
        counts[incoming] = counts.get(incoming, 0) + 1
        types += len(counts)
    return types / window / (len(words) - window + 1)


class VocabularyAnalyzer:
    """``text.vocabulary_richness`` (MATTR, 0-1), ``text.word_count`` and ``text.distinct_words`` (different
    words, case-folded; English words, jieba words for Chinese)."""

    name: ClassVar[str] = "text.vocabulary"
    models: ClassVar[tuple[str, ...]] = ()
    signals: ClassVar[tuple[str, ...]] = (
        "text.vocabulary_richness",
        "text.word_count",
        "text.distinct_words",
    )
    needs_recording: ClassVar[bool] = False

    def analyze(self, answer: Answer, features: RecordingFeatures) -> Signals:
        words = [t.text.lower() for t in tokenize(answer.text, answer.language)]
        unit = "jieba words" if answer.language == "zh" else "words"
        count = Signal(len(words), (Evidence(note=unit),))
        if not words:
            return {"text.word_count": count}
        method = (
            f"MATTR, {WINDOW}-word window"
            if len(words) > WINDOW
            else f"type-token ratio of {len(words)} words"
        )
        return {
            "text.vocabulary_richness": Signal(mattr(words), (Evidence(note=method),)),
            "text.word_count": count,
            "text.distinct_words": Signal(len(set(words)), (Evidence(note=f"different {unit}"),)),
        }
