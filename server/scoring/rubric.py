"""Rubric score of one answer: how much it resembles each level's example answers, as a 0-10 score.

Behaviourally anchored rating (BARS) without a trained grader: the answer and each level's examples are
embedded in the answer's language through the runtime (MiniLM for English, multilingual USE for Chinese), and
the level similarities become weights over the levels' scores.

1. **Topic removed.** Every level's example answers the same question, so a large part of any similarity is
   "talks about the question" (a weak "I don't have weaknesses" resembles a strong answer about a real
   weakness because both say "weakness"). The component along the question's embedding is projected out of the
   answer and the examples before comparing, leaving what the answer says *about* the topic. Measured on the
   general_behavioral rubric: the strong hand-written English weakness answer went from 2.3 to 5.2 with the
   projection, the weak one stayed 2.0.
2. **Similarity per level** is the best cosine between the answer (its chunk-pooled document vector) and that
   level's examples.
3. **Score** = sum of softmax(similarity / TEMPERATURE) x level score. A rubric's examples are never
   matched as closely by a new answer as by themselves, so raw similarities crowd together (0.2-0.5); the
   temperature turns a lead of 0.05 in cosine into e times the weight, so the nearest level dominates without
   ignoring a close second.

Evidence: the answer sentence closest to the level the answer resembles most, with that level and cosine.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from server.analysis.base import Answer
from server.analysis.signals import Evidence
from server.analysis.text.embedding import document_vector, embed, model_for
from server.analysis.text.evidence import TextEvidence
from server.analysis.text.sentences import Sentence, split_sentences
from server.runtime import get_runtime
from server.scoring.byte_cache import ByteBoundedCache
from server.scoring.scenario import Rubric

TEMPERATURE = 0.05
"""Cosine units per factor e of weight between levels (see the module docstring)."""
RUBRIC_LANGUAGES = ("en", "zh")
"""Languages a rubric has examples in (the schema requires both)."""


@dataclass(frozen=True, slots=True)
class RubricMatch:
    """An answer against a rubric: the 0-10 score, the level it resembles most, the per-level similarity
    (cosine after the question's topic is removed) and the sentence that resembles that level most."""

    score: float
    level: str
    similarities: dict[str, float]
    weights: dict[str, float]
    evidence: Evidence


EMBEDDINGS = ByteBoundedCache(lambda: get_runtime().settings.text_limits.cache_bytes)
"""Embeddings of rubric examples, questions and answers, bounded in bytes (text_limits.cache_bytes)."""


@EMBEDDINGS.memoize
def cached_vectors(texts: tuple[str, ...], model: str) -> np.ndarray:
    """Embeddings of rubric examples and questions, computed once while the cache has room for them."""
    vectors = embed(list(texts), model)
    vectors.setflags(write=False)
    return vectors


@dataclass(frozen=True, slots=True)
class TextVectors:
    """One answer text embedded: its sentences, their vectors, and the whole text's vector."""

    sentences: list[Sentence]
    sentence_vectors: np.ndarray
    document: np.ndarray


@EMBEDDINGS.memoize
def text_vectors(text: str, language: str, model: str) -> TextVectors | None:
    """Sentence and document vectors of an answer, shared by the rubric and content matching of every
    competency; None when the text has no sentence."""
    sentences = split_sentences(text, language)
    if not sentences:
        return None
    return TextVectors(
        sentences, embed([s.text for s in sentences], model), document_vector(sentences, language, model)
    )


def without_topic(vectors: np.ndarray, topic: np.ndarray | None) -> np.ndarray:
    """``vectors`` (1-D or rows) without their component along the unit vector ``topic``, renormalised."""
    if topic is None:
        return vectors
    out = vectors - np.multiply.outer(vectors @ topic, topic)
    norms = np.linalg.norm(out, axis=-1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


def level_weights(similarities: np.ndarray) -> np.ndarray:
    logits = (similarities - similarities.max()) / TEMPERATURE
    weights = np.exp(logits)
    return weights / weights.sum()


def rubric_match(rubric: Rubric, answer: Answer) -> RubricMatch | None:
    """The answer's rubric score; None when the rubric has no examples in the answer's language or the
    answer has no text."""
    language = answer.language
    if language not in RUBRIC_LANGUAGES or not answer.text.strip():
        return None
    examples = [level.examples.get(language) or [] for level in rubric.levels]
    if not all(examples):
        return None
    flat = tuple(text for level in examples for text in level)
    question = (answer.question or "").strip()
    model = model_for(language, answer.text, question, *flat)
    vectors = text_vectors(answer.text, language, model)
    if vectors is None:
        return None
    topic = cached_vectors((question,), model)[0] if question else None
    example_vectors = without_topic(cached_vectors(flat, model), topic)
    document = without_topic(vectors.document, topic)
    sentences = without_topic(vectors.sentence_vectors, topic)
    bounds = np.cumsum([0] + [len(level) for level in examples])
    per_level = [example_vectors[a:b] for a, b in itertools.pairwise(bounds)]
    similarities = np.array([float((level @ document).max()) for level in per_level])
    weights = level_weights(similarities)
    scores = np.array([level.score for level in rubric.levels], dtype=float)
    best = int(np.argmax(weights))
    name = rubric.levels[best].level
    sentence_similarity = (sentences @ per_level[best].T).max(axis=1)
    closest = int(np.argmax(sentence_similarity))
    evidence = TextEvidence(answer).sentence(
        vectors.sentences[closest],
        note=f"closest sentence to the rubric's {name} example (cosine {sentence_similarity[closest]:.2f}, "
        f"{model})",
    )
    names = [level.level for level in rubric.levels]
    return RubricMatch(
        score=float(weights @ scores),
        level=name,
        similarities=dict(zip(names, similarities.round(4).tolist(), strict=True)),
        weights=dict(zip(names, weights.round(4).tolist(), strict=True)),
        evidence=evidence,
    )
