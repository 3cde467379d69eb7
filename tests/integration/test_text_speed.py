"""A text interview sends each text to the embedding model once (issue 10, point 6: speed of text scoring)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from server.analysis.text.embedding import MINILM, chunks, embed, one_interview
from server.analysis.text.keywords import english_candidates
from server.analysis.text.sentences import split_sentences
from server.pipeline.questions import TextAnswer
from server.scoring.interview_questions import text_answers_for
from server.scoring.registry import ScenarioRegistry
from server.scoring.text_interview import score_text_answers

ANSWERS = Path(__file__).resolve().parent.parent / "data" / "scenario_answers" / "general_behavioral.json"


def rows_embedded(runtime, model: str) -> int:
    """Rows the model has executed so far in this process."""
    stats = runtime.executor.loaded()[model].batcher.stats
    return sum(size * count for size, count in stats.batch_sizes.items())


def test_a_text_is_embedded_once_per_interview_scope(runtime) -> None:
    text = f"A sentence seen for the first time: {uuid.uuid4()}."
    embed(["warm-up"], MINILM)
    before = rows_embedded(runtime, MINILM)
    with one_interview():
        first = embed([text, text], MINILM)
        with one_interview():
            again = embed([text], MINILM)
    assert rows_embedded(runtime, MINILM) - before == 1
    assert (first[0] == again[0]).all() and (first[1] == again[0]).all()
    embed([text], MINILM)  # the scope has ended: nothing is kept across interviews
    assert rows_embedded(runtime, MINILM) - before == 2


def test_scoring_an_interview_embeds_each_of_its_texts_once(runtime) -> None:
    """Relevance, keywords (per answer and for the whole interview), the rubric and content matching read
    the same sentences, chunks and phrases; each used to embed them again (five strong general_behavioral
    answers: 769 rows for 362 distinct texts)."""
    scenario = ScenarioRegistry().get("general_behavioral")
    items = json.loads(ANSWERS.read_text(encoding="utf-8"))
    strong = {item["question_id"]: item["en"]["strong"] for item in items}
    warm = [TextAnswer(question=q, answer=a) for q, a in strong.items()]
    score_text_answers(scenario, warm, "en")  # embeds the rubric examples, kept for the process

    tag = uuid.uuid4().hex[:8]
    answers = [
        TextAnswer(question=q, answer=f"{a} Reference {tag}-{i} noted.")
        for i, (q, a) in enumerate(strong.items())
    ]
    texts: set[str] = set()
    for item in text_answers_for(scenario, answers, "en"):
        sentences = split_sentences(item.answer, "en")
        texts |= {item.question or ""} | {s.text for s in sentences}
        texts |= {t for t, _ in chunks(sentences, "en")} | set(english_candidates(item.answer))
    whole = " ".join(a.answer for a in answers)
    texts |= {t for t, _ in chunks(split_sentences(whole, "en"), "en")} | set(english_candidates(whole))

    before = rows_embedded(runtime, MINILM)
    result = score_text_answers(scenario, answers, "en")
    assert len(result.answers) == 5
    assert rows_embedded(runtime, MINILM) - before <= len(texts)
