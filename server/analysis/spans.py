"""Small helpers for slicing time-stamped features to an answer and merging flagged instants into spans."""

from __future__ import annotations

from collections.abc import Sequence

from server.analysis.base import Answer, FrameObservation, Word
from server.analysis.signals import Evidence


def words_in(answer: Answer, words: Sequence[Word]) -> list[Word]:
    if answer.start_s is None or answer.end_s is None:
        return list(words)
    return [w for w in words if answer.start_s <= (w.start_s + w.end_s) / 2 < answer.end_s]


def frames_in(answer: Answer, frames: Sequence[FrameObservation]) -> list[FrameObservation]:
    if answer.start_s is None or answer.end_s is None:
        return list(frames)
    return [f for f in frames if answer.start_s <= f.t < answer.end_s]


def flagged_spans(
    times: Sequence[float], flags: Sequence[bool], step_s: float, min_s: float = 0.0
) -> list[tuple[float, float]]:
    """Merge consecutive flagged sample times into (start, end) spans at least ``min_s`` long."""
    spans: list[tuple[float, float]] = []
    start: float | None = None
    last = 0.0
    for t, flag in zip(times, flags, strict=True):
        if flag and start is None:
            start = t
        if not flag and start is not None:
            spans.append((start, t))
            start = None
        last = t
    if start is not None:
        spans.append((start, last + step_s))
    return [(a, b) for a, b in spans if b - a >= min_s]


def span_evidence(spans: Sequence[tuple[float, float]], note: str, limit: int = 5) -> tuple[Evidence, ...]:
    """The longest spans first: they are the ones a reviewer should look at."""
    ranked = sorted(spans, key=lambda s: s[1] - s[0], reverse=True)[:limit]
    return tuple(Evidence(start_s=a, end_s=b, note=note) for a, b in sorted(ranked))
