"""The words an answer is about: KeyBERT over MiniLM for English, jieba's TF-IDF for Chinese."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from typing import Any, ClassVar

import jieba.analyse
import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.hesitation import HESITATION
from server.analysis.signals import Signal, Signals
from server.analysis.text.embedding import MINILM, document_vector, embed
from server.analysis.text.evidence import TextEvidence
from server.analysis.text.sentences import split_sentences

TOP_N = 5
SPOKEN_STOP_WORDS = frozenset(
    {
        "um",
        "uh",
        "erm",
        "er",
        "hmm",
        "mm",
        "like",
        "yeah",
        "okay",
        "ok",
        "know",
        "mean",
        "kind",
        "sort",
        "really",
        "just",
        "actually",
        "basically",
        "gonna",
        "wanna",
        "thing",
        "things",
        "stuff",
        "lot",
        "pretty",
    }
)
"""Spoken filler and hedge words, which sklearn's written-English stop list lacks."""
STOP_WORDS = ENGLISH_STOP_WORDS | SPOKEN_STOP_WORDS
CLAUSE_BREAK = re.compile(r"[^\w\s'’-]+")
TOKEN = re.compile(r"[\w'’]+")
"""Words as sklearn's vectorizer sees them (hyphens split), apostrophes kept to spot contractions."""
ZH_STOP_WORDS = frozenset(
    {
        "我们",
        "咱们",
        "就是",
        "然后",
        "那个",
        "这个",
        "因为",
        "所以",
        "一个",
        "觉得",
        "时候",
        "可以",
        "还是",
        "如果",
        "他们",
        "你们",
        "自己",
        "已经",
        "没有",
        "进行",
        "什么",
        "比较",
        "一些",
        "这样",
        "那么",
        "当时",
    }
)
"""Pronouns, connectives and fillers that jieba's IDF table does not push down far enough in speech."""
ZH_KEYWORD_POS = ("n", "nr", "ns", "nt", "nz", "vn", "eng", "l", "j", "b", "an")
"""Nouns, verbal nouns, English words, idioms, abbreviations and attributives: what an answer is about,
not what the speaker did to it ("降到", "意味着")."""


@functools.cache
def keybert() -> Any:
    """KeyBERT over a backend that reaches MiniLM only through the model runtime (and its batcher).

    Built on first use: importing keybert pulls in sentence-transformers (seconds), which a command that
    refuses a bad file at once should not pay.
    """
    from keybert import KeyBERT
    from keybert.backend import BaseEmbedder

    class RuntimeEmbedder(BaseEmbedder):
        def embed(self, documents: Sequence[str], verbose: bool = False) -> np.ndarray:
            return embed(list(documents), MINILM)

    return KeyBERT(model=RuntimeEmbedder())


def english_candidates(text: str) -> list[str]:
    """Content words and pairs of them that stand side by side in the text. KeyBERT's own candidates drop
    stop words first and pair what is left, across commas too ("peak, and customers" -> "peak customers")."""
    candidates: set[str] = set()
    for clause in CLAUSE_BREAK.split(text.lower()):
        run: list[str] = []
        for token in [*TOKEN.findall(clause), ""]:  # "" ends the last run
            if (
                len(token) > 1
                and "'" not in token
                and token not in STOP_WORDS
                and not token.isdigit()
                and not HESITATION.fullmatch(token)  # "uhm", "ahh": never what an answer is about
            ):
                run.append(token)
                continue
            candidates.update(run)
            candidates.update(f"{a} {b}" for a, b in itertools.pairwise(run))
            run = []
    return sorted(candidates)


def english_keywords(text: str) -> list[str]:
    """Candidate words and two-word phrases ranked by similarity to the whole answer, with maximal marginal
    relevance so the list is not five variants of one phrase. The answer's vector is pooled over chunks, as
    MiniLM alone would read only its first 256 word pieces."""
    candidates = english_candidates(text)
    if not candidates:
        return []
    ranked = keybert().extract_keywords(
        text,
        candidates=candidates,
        doc_embeddings=document_vector(split_sentences(text, "en"), "en", MINILM)[None, :],
        keyphrase_ngram_range=(1, 2),
        stop_words=None,
        top_n=TOP_N,
        use_mmr=True,
        diversity=0.5,
    )
    return [phrase for phrase, _ in ranked]


def chinese_keywords(text: str) -> list[str]:
    """jieba's TF-IDF tags, dropping spoken stop words, single characters and numbers."""
    tags = jieba.analyse.extract_tags(text, topK=TOP_N * 4, allowPOS=ZH_KEYWORD_POS)
    kept = [t for t in tags if t not in ZH_STOP_WORDS and len(t) > 1 and not t.replace(".", "").isdigit()]
    return kept[:TOP_N]


class KeywordAnalyzer:
    """``text.keywords``: up to five keywords or two-word phrases, each evidenced where it first occurs."""

    name: ClassVar[str] = "text.keywords"
    models: ClassVar[tuple[str, ...]] = (MINILM,)
    signals: ClassVar[tuple[str, ...]] = ("text.keywords",)
    needs_recording: ClassVar[bool] = False

    def analyze(self, answer: Answer, features: RecordingFeatures) -> Signals:
        if not answer.text.strip():
            return {}
        keywords = chinese_keywords(answer.text) if answer.language == "zh" else english_keywords(answer.text)
        evidence = TextEvidence(answer)
        lowered = answer.text.lower()
        found = []
        for keyword in keywords:
            at = lowered.find(keyword.lower())
            if at >= 0:
                found.append(evidence.span(at, at + len(keyword), note=keyword, context=20))
        return {"text.keywords": Signal(keywords, tuple(found))}
