"""Everything the text analyzers and the rubric will embed for an interview, embedded up front in one batched
call per model.

Answer by answer, relevance, keywords and the rubric would each send a few texts and wait: some twenty rounds
through the runtime per interview, each a separate pass through the batcher queue, interleaved with every
other caller's. Sent at once, the rows fill whole batches; the analyzers then read the vectors from the
interview's scope (``embedding.one_interview``). A text predicted here but not asked for later costs a row;
one asked for but not predicted is embedded when asked, so a wrong prediction costs time, never a result.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.analysis.base import Answer
from server.analysis.text.embedding import MINILM, chunks, embed, model_for
from server.analysis.text.keywords import english_candidates
from server.analysis.text.sentences import split_sentences


def embed_ahead(answers: Sequence[Answer], whole: Answer, keywords: bool) -> None:
    """Embed each answer's question, sentences and chunks in the model relevance and the rubric choose and,
    when the keyword analyzer runs (``keywords``), the chunks and candidates of every answer it reads as
    English, and of the ``whole`` interview, in MiniLM."""
    wanted: dict[str, list[str]] = {}
    for answer in answers:
        sentences = split_sentences(answer.text, answer.language)
        if not sentences:
            continue
        question = (answer.question or "").strip()
        pieces = [text for text, _ in chunks(sentences, answer.language)]
        texts = [question] if question else []
        texts += [sentence.text for sentence in sentences] + pieces
        wanted.setdefault(model_for(answer.language, question, answer.text), []).extend(texts)
        if keywords and answer.language != "zh":
            wanted.setdefault(MINILM, []).extend(pieces + english_candidates(answer.text))
    if keywords and whole.language != "zh" and whole.text.strip():
        pieces = [text for text, _ in chunks(split_sentences(whole.text, "en"), "en")]
        wanted.setdefault(MINILM, []).extend(pieces + english_candidates(whole.text))
    for model, texts in wanted.items():
        embed(texts, model)
