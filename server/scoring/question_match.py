"""Which scenario question an interviewer's own wording asks, and which competencies an answer evidences.

Interviewers rarely read a question verbatim ("So, what would you say is your biggest weakness?",
"说说你最大的缺点"). A question given by id or by one of its scenario texts matches directly; free text is
embedded with the multilingual USE (so Chinese wording matches English text and back) and compared with every
language text of every scenario question.

An answer can also evidence a competency its question did not ask about (a "why should we hire you" answer
that tells how the candidate led a team): when the answer resembles that competency's solid or strong rubric
examples more than a threshold, and more than its weak ones, it counts toward that competency too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from server.analysis.base import Answer
from server.analysis.text.embedding import MINILM, USE_MULTILINGUAL, model_for
from server.scoring.rubric import RUBRIC_LANGUAGES, cached_vectors, text_vectors
from server.scoring.scenario import Scenario

MATCH_THRESHOLD = 0.45
"""USE cosine a free-text question needs with a scenario question. Measured on general_behavioral with 20
paraphrases and 15 other questions in both languages: paraphrases scored 0.26-0.89 ("So, what would you say is
your biggest weakness?" 0.89, "说说你最大的缺点" 0.73, "Give me an example of when you were in charge of a
group." 0.47), other questions 0.16-0.43 except three false matches to ``weakness`` ("What is your greatest
strength?" 0.77, "你有什么优点" 0.57, "你上一份工作主要做什么？" 0.52: the encoder puts antonyms and
"你...什么" questions close together). At 0.45, 15 of 20 paraphrases match and 12 of 15 others stay
unmatched."""
CONTENT_THRESHOLDS = {MINILM: 0.5, USE_MULTILINGUAL: 0.6}
"""Cosine an answer needs with a competency's solid or strong examples to evidence it; per model, since USE's
cosines run higher than MiniLM's. Measured over the hand-written answers of the seven built-in scenarios
against general_behavioral's rubrics: answers about something else reached 0.47 (MiniLM) and 0.59 (USE),
mostly on self-awareness, whose examples are whole stories; a story of leading a team reached 0.54 (MiniLM)
and 0.65 (USE) on leadership. Conservative on purpose: a wrongly added answer moves a score with evidence
that is not there."""

MatchMethod = Literal["id", "text", "embedding", "unmatched"]


@dataclass(frozen=True, slots=True)
class QuestionMatch:
    """``question_id`` None when unmatched; ``closest``/``similarity`` say how near the nearest one came."""

    question_id: str | None
    method: MatchMethod
    closest: str | None = None
    similarity: float | None = None


def _question_texts(scenario: Scenario) -> tuple[tuple[str, ...], tuple[str, ...]]:
    ids, texts = [], []
    for question in scenario.questions:
        for text in question.text.model_dump().values():
            if text:
                ids.append(question.id)
                texts.append(text)
    return tuple(ids), tuple(texts)


def _normalised(text: str) -> str:
    return " ".join(text.split()).casefold()


def match_question(scenario: Scenario, wording: str | None) -> QuestionMatch:
    """The scenario question that ``wording`` (an id, a scenario text or free text) asks."""
    wording = (wording or "").strip()
    if not wording:
        return QuestionMatch(None, "unmatched")
    ids, texts = _question_texts(scenario)
    if wording in ids:
        return QuestionMatch(wording, "id", wording, 1.0)
    for question_id, text in zip(ids, texts, strict=True):
        if _normalised(text) == _normalised(wording):
            return QuestionMatch(question_id, "text", question_id, 1.0)
    similarities = cached_vectors(texts, USE_MULTILINGUAL) @ cached_vectors((wording,), USE_MULTILINGUAL)[0]
    best = int(np.argmax(similarities))
    similarity = round(float(similarities[best]), 4)
    if similarity >= MATCH_THRESHOLD:
        return QuestionMatch(ids[best], "embedding", ids[best], similarity)
    return QuestionMatch(None, "unmatched", ids[best], similarity)


def evidenced_competencies(scenario: Scenario, answer: Answer) -> dict[str, float]:
    """Competency id -> cosine with its solid/strong examples, for every competency with a rubric that the
    answer's content evidences (see the module docstring)."""
    language = answer.language
    if language not in RUBRIC_LANGUAGES or not answer.text.strip():
        return {}
    found = {}
    for competency in scenario.competencies:
        rubric = competency.rubric
        if rubric is None:
            continue
        weak = tuple(rubric.levels[0].examples.get(language) or [])
        good = tuple(text for level in rubric.levels[1:] for text in level.examples.get(language) or [])
        if not weak or not good:
            continue
        model = model_for(language, answer.text, *weak, *good)
        vectors = text_vectors(answer.text, language, model)
        if vectors is None:
            return {}
        good_similarity = float((cached_vectors(good, model) @ vectors.document).max())
        weak_similarity = float((cached_vectors(weak, model) @ vectors.document).max())
        if good_similarity >= CONTENT_THRESHOLDS[model] and good_similarity > weak_similarity:
            found[competency.id] = round(good_similarity, 4)
    return found
