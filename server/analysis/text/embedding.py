"""Sentence embeddings through the model runtime: which model suits a text, and many texts in one go."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

from server.analysis.language import has_cjk
from server.analysis.text.sentences import Sentence
from server.analysis.text.tokens import tokenize
from server.runtime import get_runtime, infer_async
from server.runtime.backend_utils import bytes_array

MINILM = "text_embed_minilm"
USE_MULTILINGUAL = "text_embed_use_multilingual"
CHUNK_WORDS = 120
"""MiniLM reads at most 256 word pieces (about 180 English words) and drops the rest, so a long answer is
embedded as chunks of whole sentences of about this many words, averaged by length."""


def chunks(sentences: list[Sentence], language: str) -> list[tuple[str, int]]:
    """Consecutive sentences packed into chunks of at most CHUNK_WORDS words: (text, word count)."""
    joiner = "" if language == "zh" else " "
    packed: list[tuple[str, int]] = []
    texts: list[str] = []
    count = 0
    for sentence in sentences:
        words = len(tokenize(sentence.text, language))
        if texts and count + words > CHUNK_WORDS:
            packed.append((joiner.join(texts), count))
            texts, count = [], 0
        texts.append(sentence.text)
        count += words
    packed.append((joiner.join(texts), count))
    return packed


def model_for(language: str, *texts: str) -> str:
    """MiniLM is the stronger English model but turns Chinese into [UNK]: anything Chinese, or English
    compared with Chinese, goes to the multilingual USE."""
    if language == "en" and not any(has_cjk(text) for text in texts):
        return MINILM
    return USE_MULTILINGUAL


_interview_vectors: ContextVar[dict[tuple[str, str], np.ndarray] | None] = ContextVar(
    "interview_vectors", default=None
)


@contextmanager
def one_interview() -> Iterator[None]:
    """Embed each (model, text) once while scoring one interview.

    Relevance, keywords (per answer and for the whole interview), the rubric and content matching all embed
    the same sentences, chunks and phrases; inside this scope the second caller reads the first one's vectors.
    The vectors live only as long as the outermost scope (one call, one thread), so nothing grows across
    interviews; an inner scope shares the outer one's vectors.
    """
    if _interview_vectors.get() is not None:
        yield
        return
    token = _interview_vectors.set({})
    try:
        yield
    finally:
        _interview_vectors.reset(token)


def embed(texts: Sequence[str], model: str) -> np.ndarray:
    """L2-normalised embeddings [len(texts), dim]; inside ``one_interview`` only texts not embedded yet in
    this interview reach the model."""
    vectors = _interview_vectors.get()
    if vectors is None or not texts:
        return _embed(texts, model)
    missing = [text for text in dict.fromkeys(texts) if (model, text) not in vectors]
    if missing:
        vectors.update(zip([(model, text) for text in missing], _embed(missing, model), strict=True))
    return np.stack([vectors[model, text] for text in texts])


def _embed(texts: Sequence[str], model: str) -> np.ndarray:
    """Texts go out as requests of at most the model's max_batch_size rows, all in flight at once, so the
    dynamic batcher can group them (and other callers')."""
    rows = get_runtime().repository.get(model).config.max_batch_size or 1
    futures = [
        infer_async(model, {"TEXT": bytes_array(texts[i : i + rows]).reshape(-1, 1)})
        for i in range(0, len(texts), rows)
    ]
    return np.concatenate([future.result()["EMBEDDING"] for future in futures])


def document_vector(sentences: list[Sentence], language: str, model: str) -> np.ndarray:
    """One L2-normalised vector for a text of any length: its chunks' embeddings averaged by word count."""
    pieces = chunks(sentences, language)
    weights = np.array([max(words, 1) for _, words in pieces], dtype=np.float32)
    pooled = weights @ embed([text for text, _ in pieces], model)
    return pooled / max(float(np.linalg.norm(pooled)), 1e-12)
