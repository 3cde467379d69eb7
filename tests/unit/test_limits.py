"""Limits within one process (docs/operations.md, Limits and abuse): stream slots, the byte-bounded embedding
cache, and the text limits as the local commands apply them."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from concurrent import futures
from pathlib import Path

import grpc
import numpy as np
import pytest

from server.api.status import ApiError
from server.api.streams import CallSlots, Cap, IdleTimeout
from server.config import ServerSettings, TextLimits
from server.errors import InputError
from server.pipeline.text_limits import TextLimitError, check_text_limits
from server.scoring import rubric
from server.scoring.byte_cache import ByteBoundedCache, size_of
from tests.conftest import REPO_ROOT


def test_a_tenant_at_its_cap_leaves_the_other_slots_to_other_tenants():
    slots = CallSlots(
        Cap(4, "server.max_streams", "TOO_MANY_STREAMS", "uploads and watches"),
        {
            "upload": Cap(2, "server.max_uploads_per_tenant", "TOO_MANY_UPLOADS", "uploads"),
            "watch": Cap(1, "server.max_watches_per_tenant", "TOO_MANY_WATCHES", "watches"),
        },
    )
    with slots.hold("acme", "upload"), slots.hold("acme", "upload"):
        with pytest.raises(ApiError) as refused, slots.hold("acme", "upload"):
            pass
        assert refused.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert refused.value.reason == "TOO_MANY_UPLOADS"
        assert "2 uploads open, its limit (server.max_uploads_per_tenant)" in str(refused.value)
        with slots.hold("globex", "upload"), slots.hold("globex", "watch"):
            with pytest.raises(ApiError) as full, slots.hold("initech", "upload"):
                pass
            assert full.value.reason == "TOO_MANY_STREAMS" and "server.max_streams" in str(full.value)
    with slots.hold("acme", "upload"), slots.hold("acme", "upload"):  # released when the calls end
        pass


def test_per_tenant_caps_must_stay_below_the_total():
    with pytest.raises(ValueError, match="max_streams"):
        ServerSettings(max_streams=16, max_uploads_per_tenant=8, max_watches_per_tenant=8)
    with pytest.raises(ValueError, match="max_text_scorings"):
        ServerSettings(max_text_scorings=4, max_text_scorings_per_tenant=4)


def test_the_cache_holds_at_most_its_budget_in_bytes():
    cache = ByteBoundedCache(lambda: 100_000)
    calls = []

    @cache.memoize
    def vectors(text: str) -> np.ndarray:
        calls.append(text)
        return np.zeros((len(text) // 100, 8), np.float32)

    for i in range(50):
        vectors(f"{i:03d}" + "x" * 20_000)  # about 26 kB each with its key
        assert cache.bytes <= 100_000
    vectors("049" + "x" * 20_000)
    assert len(calls) == 50  # the newest entry is still there
    vectors("000" + "x" * 20_000)
    assert len(calls) == 51  # the oldest was evicted
    vectors("q" * 1_000_000)  # larger than the whole budget: computed, never kept
    assert cache.bytes <= 100_000 and not cache.get(("vectors", "q" * 1_000_000))[0]


def test_size_of_counts_arrays_and_the_text_of_nested_values():
    sentences = rubric.TextVectors([], np.zeros((10, 384), np.float32), np.zeros(384, np.float32))
    assert size_of(sentences) >= 11 * 384 * 4
    assert size_of(("a" * 10_000, "minilm")) > 10_000


def test_answer_embeddings_are_counted_in_bytes(runtime):
    before = rubric.EMBEDDINGS.bytes
    text = "I led the migration of our billing system to a new provider. " * 40
    vectors = rubric.text_vectors(text, "en", "text_embed_minilm")
    assert rubric.EMBEDDINGS.bytes - before >= len(text) + vectors.sentence_vectors.nbytes
    assert rubric.EMBEDDINGS.bytes <= runtime.settings.text_limits.cache_bytes


def test_the_text_check_names_the_item_and_the_setting():
    limits = TextLimits(max_questions=2, max_question_chars=5, max_answer_chars=10, max_request_bytes=20)
    with pytest.raises(TextLimitError, match=r"answers\[1\].question has 6 characters.*max_question_chars"):
        check_text_limits([("q", "a"), ("q" * 6, "a")], limits, "answers")
    with pytest.raises(TextLimitError, match="max_questions") as many:
        check_text_limits([("q", "a")] * 3, limits, "answers")
    assert many.value.field == "answers" and isinstance(many.value, InputError)
    with pytest.raises(TextLimitError, match=r"24 bytes.*max_request_bytes"):
        check_text_limits([("", "因为" * 4)], limits, "answers")  # 8 characters, 24 bytes


def test_local_scoring_refuses_a_huge_question_before_loading_models(tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps([{"question": "q" * 1_000_000, "answer": "I led it."}]), encoding="utf-8")
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "server.cli",
            "score",
            "--answers",
            str(answers),
            "--scenario",
            "general_behavioral",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "answers.json[0].question has 1000000 characters" in result.stderr
    assert "text_limits.max_question_chars" in result.stderr
    assert time.monotonic() - started < 60  # scoring it would take minutes


def test_a_settings_file_sets_the_text_limits(tmp_path: Path):
    from server.config import Settings

    path = tmp_path / "hirelens.yaml"
    path.write_text("text_limits:\n  max_answer_chars: 500\n", encoding="utf-8")
    assert Settings.load(path).text_limits.max_answer_chars == 500


def _stream_server(handler) -> tuple[grpc.Server, grpc.Channel]:
    """A real gRPC server with one client-streaming method, ``/t.T/Up``."""
    server = grpc.server(futures.ThreadPoolExecutor(4))
    methods = {"Up": grpc.stream_unary_rpc_method_handler(handler)}
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("t.T", methods),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, grpc.insecure_channel(f"127.0.0.1:{port}")


def test_the_idle_timeout_counts_only_waits_for_the_client_and_ends_with_its_block():
    def handler(requests, context):
        with IdleTimeout(context, 1.0, "idle for 1 s") as idle:
            for count, _ in enumerate(idle.messages(requests), start=1):
                if count == 1:
                    time.sleep(2)  # the server's own work: not the client's idleness
                if count == 2:
                    break  # stops reading early, as an idempotent retry does
        return b"ok"

    server, channel = _stream_server(handler)
    try:
        up = channel.stream_unary("/t.T/Up")
        assert up(iter([b"a", b"b", b"c"]), timeout=30) == b"ok"
        assert not [t for t in threading.enumerate() if t.name == "upload-idle"]  # the watch ended with it

        resume = threading.Event()

        def quiet():
            yield b"a"
            resume.wait(30)

        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as ended:
            up(quiet(), timeout=30)
        resume.set()
        assert ended.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert ended.value.details() == "idle for 1 s"
        assert 1.0 <= time.monotonic() - started < 20
    finally:
        channel.close()
        server.stop(None)
