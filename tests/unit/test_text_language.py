"""Language detection, sentence splitting, tokens and the evidence that maps text spans to word times."""

from __future__ import annotations

import pytest

from server.analysis.base import Answer, Word
from server.analysis.language import cjk_share, detect_language
from server.analysis.text.evidence import TextEvidence
from server.analysis.text.sentences import split_sentences
from server.analysis.text.tokens import tokenize


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("We rebuilt the checkout service.", "en"),
        ("我们重构了结账服务。", "zh"),
        ("我们用Kubernetes部署了整个服务。", "zh"),
        ("I worked with 王伟 on the payments team for two years.", "en"),
        ("", "en"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_cjk_share_counts_characters_against_words() -> None:
    assert cjk_share("我们 use Python") == pytest.approx(2 / 4)


def test_sentences_in_both_languages_keep_offsets() -> None:
    text = "At Acme Inc. we had 3.5 million users, e.g. in Berlin. It was slow! 然后我修好了。结果呢？好"
    sentences = split_sentences(text, "en")
    assert [s.text for s in sentences] == [
        "At Acme Inc. we had 3.5 million users, e.g. in Berlin.",
        "It was slow!",
        "然后我修好了。",
        "结果呢？",
        "好",
    ]
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_unpunctuated_chinese_is_cut_into_clauses() -> None:
    text = "我们当时遇到了很多问题 然后我就去分析了一下日志 发现数据库查询很慢 " * 4
    sentences = split_sentences(text, "zh")
    assert len(sentences) > 1
    assert all(len(s.text) <= 120 for s in sentences)


def test_tokens() -> None:
    assert [t.text for t in tokenize("We didn't ship v2.0 on-time.", "en")] == [
        "We",
        "didn't",
        "ship",
        "v2.0",
        "on-time",
    ]
    assert [t.text for t in tokenize("我们用Python重构了，很快。", "zh")] == [
        "我们",
        "用",
        "Python",
        "重构",
        "了",
        "很快",
    ]


def test_evidence_carries_word_times_when_words_are_known() -> None:
    words = [Word(" We", 1.0, 1.2, 0.9), Word(" cut", 1.2, 1.5, 0.9), Word(" latency,", 1.5, 2.0, 0.9)]
    words += [Word(" a", 2.6, 2.7, 0.9), Word(" lot.", 2.7, 3.0, 0.9)]
    answer = Answer(index=0, question=None, text="We cut latency, a lot.", language="en", words=words)
    evidence = TextEvidence(answer)
    span = evidence.span(3, 14, note="cut latency")
    assert (span.start_s, span.end_s, span.excerpt) == (1.2, 2.0, "cut latency")
    assert evidence.silence_after(14) == pytest.approx(0.6)
    assert evidence.silence_before(16) == pytest.approx(0.6)
    text_only = TextEvidence(Answer(index=0, question=None, text="We cut latency, a lot.", language="en"))
    assert text_only.span(3, 14).start_s is None
    assert text_only.silence_after(14) is None


def test_chinese_words_align_character_by_character() -> None:
    words = [Word("我们", 0.0, 0.4, 0.9), Word("上线", 0.4, 0.8, 0.9), Word("了", 0.8, 0.9, 0.9)]
    answer = Answer(index=0, question=None, text="我们上线了", language="zh", words=words)
    span = TextEvidence(answer).span(2, 4)
    assert (span.start_s, span.end_s, span.excerpt) == (0.4, 0.8, "上线")
