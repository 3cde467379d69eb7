"""A scenario's questions as the pipeline needs them, shared by the CLI and the API."""

from __future__ import annotations

from server.analysis.language import detect_language
from server.pipeline.questions import Question, TextAnswer
from server.scoring.scenario import Scenario


def text_answers_for(scenario: Scenario, answers: list[TextAnswer], language: str) -> list[TextAnswer]:
    """A question given by id becomes its scenario text in the answer's language, so relevance is measured
    against a real question; free text stays as the interviewer worded it (the engine matches it)."""
    texts = {q.id: q.text for q in scenario.questions}
    out = []
    for item in answers:
        question = item.question
        if question in texts:
            lang = detect_language(item.answer) if language == "auto" else language
            question = getattr(texts[question], lang, None) or texts[question].en
        out.append(TextAnswer(question=question, answer=item.answer))
    return out


def recording_questions(scenario: Scenario, language: str) -> list[Question]:
    """The scenario's questions in order, without timestamps: answers are cut at the longest silences. With
    ``auto`` the English texts are used (the spoken language is not known before recognition)."""
    lang = "zh" if language == "zh" else "en"
    return [Question(id=q.id, question=getattr(q.text, lang)) for q in scenario.questions]
