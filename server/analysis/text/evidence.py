"""Evidence for spans of an answer's text: the excerpt always, the time span when the words are known."""

from __future__ import annotations

import bisect

from server.analysis.base import Answer
from server.analysis.signals import Evidence
from server.analysis.text.sentences import Sentence

MAX_SKIP_CHARS = 40
"""A recognised word is searched for this far ahead of the previous one; beyond that the text and the word
list disagree (edited transcript) and the word is left without a place rather than matched wrongly."""


class TextEvidence:
    """Places each recognised word at its character offsets in the answer text, once, so that any span of
    the text can be given the recording times of the words inside it. Text-only answers get excerpts only."""

    def __init__(self, answer: Answer) -> None:
        self.text = answer.text
        self._spans: list[tuple[int, int]] = []
        self._times: list[tuple[float, float]] = []
        folded = answer.text.lower()
        if len(folded) != len(answer.text):  # a few characters change length when lowered: match exactly
            folded = answer.text
        cursor = 0
        for word in answer.words:
            token = word.text.strip().lower()
            if not token:
                continue
            at = folded.find(token, cursor, cursor + MAX_SKIP_CHARS + len(token))
            if at < 0:
                continue
            self._spans.append((at, at + len(token)))
            self._times.append((word.start_s, word.end_s))
            cursor = at + len(token)
        self._ends = [end for _, end in self._spans]

    def _overlapping(self, start: int, end: int) -> range:
        first = bisect.bisect_right(self._ends, start)
        last = first
        while last < len(self._spans) and self._spans[last][0] < end:
            last += 1
        return range(first, last)

    def span(self, start: int, end: int, note: str | None = None, context: int = 0) -> Evidence:
        """Evidence for text[start:end]; ``context`` characters either side widen the excerpt only."""
        a, b = max(0, start - context), min(len(self.text), end + context)
        excerpt = self.text[a:b].strip()
        if context:
            excerpt = ("…" if a else "") + excerpt + ("…" if b < len(self.text) else "")
        hits = self._overlapping(start, end)
        if not hits:
            return Evidence(excerpt=excerpt, note=note)
        return Evidence(
            start_s=self._times[hits[0]][0], end_s=self._times[hits[-1]][1], excerpt=excerpt, note=note
        )

    def sentence(self, sentence: Sentence, note: str | None = None) -> Evidence:
        return self.span(sentence.start, sentence.end, note)

    def _word_at(self, offset: int) -> int | None:
        i = bisect.bisect_right(self._ends, offset)
        return i if i < len(self._spans) and self._spans[i][0] <= offset else None

    def silence_after(self, end: int) -> float | None:
        """Seconds of silence after the word holding character ``end - 1``; None when unknown."""
        i = self._word_at(end - 1)
        if i is None or i + 1 >= len(self._spans):
            return None
        return self._times[i + 1][0] - self._times[i][1]

    def silence_before(self, start: int) -> float | None:
        """Seconds of silence before the word holding character ``start``; None when unknown."""
        i = self._word_at(start)
        if i is None or i == 0:
            return None
        return self._times[i][0] - self._times[i - 1][1]
