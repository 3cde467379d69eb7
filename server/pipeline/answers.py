"""Cut a recording into one answer per question.

With the caller's timestamps the spans are theirs. Without them, the N-1 longest silences between speech
turns (from voice activity detection) separate N answers: an asynchronous interview pauses between questions
far longer than within an answer. With no question list the whole recording is one answer.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from server.analysis.base import Answer, Word
from server.analysis.spans import words_in
from server.errors import InputError
from server.pipeline.questions import Question


def _join(words: Sequence[Word], language: str) -> str:
    separator = "" if language == "zh" else " "
    return separator.join(w.text for w in words).strip()


def _spans_from_silences(
    segments: Sequence[tuple[float, float]], count: int, duration_s: float
) -> list[tuple[float, float]]:
    if count <= 1 or len(segments) < 2:
        return [(0.0, duration_s)] + [(duration_s, duration_s)] * (count - 1)
    gaps = [(segments[i + 1][0] - segments[i][1], i) for i in range(len(segments) - 1)]
    cuts = sorted(i for _, i in sorted(gaps, reverse=True)[: count - 1])
    bounds = [0.0] + [(segments[i][1] + segments[i + 1][0]) / 2 for i in cuts] + [duration_s]
    spans = list(itertools.pairwise(bounds))
    return spans + [(duration_s, duration_s)] * (count - len(spans))


def cut_answers(
    questions: Sequence[Question],
    speech_segments: Sequence[tuple[float, float]],
    words: Sequence[Word],
    duration_s: float,
    language: str,
) -> list[Answer]:
    if not questions:
        spans = [(0.0, duration_s)]
        texts: list[str | None] = [None]
    elif questions[0].start_s is not None:
        for q in questions:
            if q.start_s is not None and q.start_s >= duration_s:
                raise InputError(
                    f"question '{q.question}' starts at {q.start_s:.1f} s, after the recording ends "
                    f"({duration_s:.1f} s)"
                )
        spans = [(q.start_s or 0.0, min(q.end_s or duration_s, duration_s)) for q in questions]
        texts = [q.question for q in questions]
    else:
        spans = _spans_from_silences(speech_segments, len(questions), duration_s)
        texts = [q.question for q in questions]
    answers = []
    for index, ((start, end), question) in enumerate(zip(spans, texts, strict=True)):
        answer = Answer(index=index, question=question, text="", language=language, start_s=start, end_s=end)
        answer.words = words_in(answer, words)
        answer.text = _join(answer.words, language)
        answers.append(answer)
    return answers
