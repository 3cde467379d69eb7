"""Cue lexicons matched sentence by sentence: the explainable core of the structure analyzers.

A *part* of an answer structure (STAR's result, 总分总's conclusion, a plan's goal) is found by cue phrases in
both languages. Each distinct strong cue in a sentence adds 1 to its score and each weak cue 0.5; the score
becomes a strength ``1 - 0.5 ** score`` (one strong cue 0.5, two 0.75), times a factor for where the sentence
sits in the answer (a situation is told early, a result late). The part's strength is that of its best
sentence, which is also its evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from server.analysis.text.sentences import Sentence

PRESENT = 0.5
"""Strength from which a part counts as present: one strong cue in a well-placed sentence."""

Position = Callable[[float], float]


def compile_cues(patterns: Iterable[str]) -> re.Pattern[str]:
    """One case-insensitive regex from cue patterns. English (ASCII) cues must stand as whole words, with
    any run of spaces between words; Chinese cues match anywhere, as Chinese has no spaces."""
    wrapped = [
        "(?<![A-Za-z])(?:" + p.replace(" ", r"\s+") + ")(?![A-Za-z])" if p.isascii() else p for p in patterns
    ]
    return re.compile("|".join(f"(?:{w})" for w in wrapped), re.IGNORECASE)


def before(limit: float, outside: float = 0.5) -> Position:
    """Full weight for sentences in the first ``limit`` of the answer, ``outside`` after."""
    return lambda position: 1.0 if position <= limit else outside


def after(limit: float, outside: float = 0.5) -> Position:
    """Full weight for sentences after the first ``limit`` of the answer, ``outside`` before."""
    return lambda position: 1.0 if position >= limit else outside


def anywhere(position: float) -> float:
    return 1.0


@dataclass(frozen=True, slots=True)
class Part:
    """One part of an answer structure and the cues that reveal it."""

    name: str
    strong: re.Pattern[str]
    weak: re.Pattern[str]
    position: Position = anywhere
    boost: Callable[[str], str | None] | None = None
    """A check beyond the lexicons (e.g. a number tied to an outcome); its label counts as a strong cue."""


@dataclass(frozen=True, slots=True)
class PartMatch:
    """The best sentence for a part: its strength (0-1) and the cues it matched."""

    strength: float
    sentence: Sentence | None = None
    cues: tuple[str, ...] = ()

    @property
    def present(self) -> bool:
        return self.strength >= PRESENT

    def note(self, part: str) -> str:
        return f"{part}: {', '.join(self.cues)}"


def cue_score(part: Part, text: str) -> tuple[float, tuple[str, ...]]:
    """Distinct strong cues count 1, distinct weak cues not inside a strong one 0.5."""
    strong = {m.group().lower(): m.span() for m in part.strong.finditer(text)}
    weak = {
        m.group().lower()
        for m in part.weak.finditer(text)
        if not any(a <= m.start() < b for a, b in strong.values())
    }
    cues = [*strong, *sorted(weak)]
    score = len(strong) + 0.5 * len(weak)
    if part.boost is not None and (label := part.boost(text)):
        cues.append(label)
        score += 1
    return score, tuple(cues)


def strength(score: float) -> float:
    return 1.0 - 0.5**score


def find_part(part: Part, sentences: list[Sentence]) -> PartMatch:
    """The sentence that best shows ``part``, weighted by where it sits (0 = first, 1 = last)."""
    best = PartMatch(0.0)
    for i, sentence in enumerate(sentences):
        score, cues = cue_score(part, sentence.text)
        value = strength(score) * part.position((i + 0.5) / len(sentences))
        if value > best.strength:
            best = PartMatch(round(value, 3), sentence, cues)
    return best
