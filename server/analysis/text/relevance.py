"""How close an answer is to its question in meaning: cosine similarity of sentence embeddings."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.signals import Signal, Signals
from server.analysis.text.embedding import MINILM, USE_MULTILINGUAL, document_vector, embed, model_for
from server.analysis.text.evidence import TextEvidence
from server.analysis.text.sentences import split_sentences


class RelevanceAnalyzer:
    """``text.relevance``: cosine between the question and the answer (0-1); the evidence is the sentence
    closest to the question. Raw cosine, not calibrated: compare answers scored by the same model."""

    name: ClassVar[str] = "text.relevance"
    models: ClassVar[tuple[str, ...]] = (MINILM, USE_MULTILINGUAL)
    signals: ClassVar[tuple[str, ...]] = ("text.relevance",)
    needs_recording: ClassVar[bool] = False

    def analyze(self, answer: Answer, features: RecordingFeatures) -> Signals:
        question = (answer.question or "").strip()
        sentences = split_sentences(answer.text, answer.language)
        if not question or not sentences:
            return {}
        model = model_for(answer.language, question, answer.text)
        whole = document_vector(sentences, answer.language, model)
        vectors = embed([question] + [s.text for s in sentences], model)
        q, per_sentence = vectors[0], vectors[1:] @ vectors[0]
        best = int(np.argmax(per_sentence))
        evidence = TextEvidence(answer).sentence(
            sentences[best],
            note=f"closest sentence to the question (cosine {per_sentence[best]:.2f}, {model})",
        )
        return {"text.relevance": Signal(float(np.clip(whole @ q, 0.0, 1.0)), (evidence,))}
