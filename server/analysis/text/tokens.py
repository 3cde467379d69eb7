"""Words with their character offsets: a regex for English, jieba's segmentation for Chinese."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import jieba

jieba.setLogLevel(logging.WARNING)  # jieba announces its dictionary load at INFO on the root handler

EN_WORD = re.compile(r"[A-Za-z0-9]+(?:['’.\-][A-Za-z0-9]+)*|[\u3400-\u4dbf\u4e00-\u9fff]")


@dataclass(frozen=True, slots=True)
class Token:
    """One word of the text and where it sits: ``text[start:end] == token.text``."""

    text: str
    start: int
    end: int


def tokenize(text: str, language: str) -> list[Token]:
    """Words without punctuation or spaces. Chinese goes through jieba (which keeps English words whole);
    English through a regex that keeps contractions, decimals and hyphenated words as one token."""
    if language == "zh":
        return [
            Token(word, start, end)
            for word, start, end in jieba.tokenize(text)
            if any(ch.isalnum() for ch in word)
        ]
    return [Token(m.group(), m.start(), m.end()) for m in EN_WORD.finditer(text)]
