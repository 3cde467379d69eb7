"""MiniLM's CPU sub-batches: many short texts go through together, long ones a few at a time."""

from __future__ import annotations

import importlib.util
from pathlib import Path

MODEL_PY = Path(__file__).resolve().parents[2] / "model_repo" / "text_embed_minilm" / "1" / "model.py"


def minilm_model():
    spec = importlib.util.spec_from_file_location("minilm_model", MODEL_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_short_candidates_share_batches_and_long_sentences_do_not() -> None:
    model = minilm_model()
    sentence = "We moved the order-routing service to event-driven processing last spring. " * 2
    words = [f"word{i}" for i in range(70)]
    texts = [sentence, "latency", "checkout latency", sentence + "Then more.", *words]
    batches = model.cpu_batches(texts)
    assert sorted(i for batch in batches for i in batch) == list(range(len(texts)))
    assert len(batches[0]) == 71  # the one-word texts go through together, not in nine batches of eight
    assert len(batches) == 2
    for batch in batches:
        assert len(batch) <= model.CPU_MAX_ROWS
        assert len(batch) == 1 or len(batch) * max(len(texts[i]) for i in batch) <= model.CPU_BATCH_CHARS
    assert batches[-1][-1] == 3  # the longest goes last


def test_no_texts_no_batches() -> None:
    assert minilm_model().cpu_batches([]) == []
