"""Keywords: KeyBERT over MiniLM (through the runtime) for English, jieba TF-IDF for Chinese."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.text.embedding import MINILM
from server.analysis.text.keywords import KeywordAnalyzer, english_candidates, keybert

DATA = Path(__file__).resolve().parent.parent / "data"


def keywords(language: str, key: str) -> list[str]:
    item = json.loads((DATA / f"answers_{language}.json").read_text(encoding="utf-8"))[key]
    answer = Answer(index=0, question=item["question"], text=item["text"], language=language)
    signal = KeywordAnalyzer().analyze(answer, RecordingFeatures())["text.keywords"]
    assert 0 < len(signal.value) <= 5
    assert len(signal.evidence) == len(signal.value)  # each keyword is shown where it occurs
    return signal.value


@pytest.mark.parametrize(
    ("language", "key", "topic"),
    [
        ("en", "star_strong", ("checkout", "latency", "load test", "connection")),
        ("en", "zongfenzong", ("team",)),
        ("en", "off_topic", ("cooking", "pasta")),
        ("zh", "star_strong", ("压测", "超时", "订单", "连接池")),
        ("zh", "zongfenzong", ("团队",)),
        ("zh", "off_topic", ("意面", "科幻小说")),
    ],
)
def test_keywords_name_the_topic(runtime, language: str, key: str, topic: tuple[str, ...]) -> None:
    found = keywords(language, key)
    assert any(word in keyword for keyword in found for word in topic), found


def test_keywords_leave_out_fillers_and_stop_words(runtime) -> None:
    found = " ".join(keywords("en", "rambling") + keywords("zh", "rambling"))
    for filler in ("um", "uh", "you know", "嗯", "那个", "就是", "然后"):
        assert filler not in found.split()


def test_candidates_leave_out_every_spelling_of_a_hesitation() -> None:
    candidates = english_candidates("Uhm, the ahh database umm migration, mhm, ehm, took errr two weeks.")
    assert not {"uhm", "ahh", "umm", "mhm", "ehm", "errr"} & {w for c in candidates for w in c.split()}
    assert "database" in candidates and "migration" in candidates


def test_candidates_do_not_pair_words_across_punctuation_or_stop_words() -> None:
    candidates = english_candidates("Traffic peaked at night, and customers left. We added load tests.")
    assert "load tests" in candidates
    assert "night customers" not in candidates
    assert "peaked night" not in candidates


def test_runtime_embedder_reaches_minilm_through_the_runtime(runtime) -> None:
    before = (
        runtime.executor.loaded()[MINILM].batcher.stats.requests if MINILM in runtime.executor.loaded() else 0
    )
    vectors = keybert().model.embed([f"phrase {i}" for i in range(70)])  # more than one request of 64
    assert vectors.shape == (70, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert runtime.executor.loaded()[MINILM].batcher.stats.requests - before == 2
