"""Sentence splitting for Chinese and English (and both mixed in one answer), keeping character offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

BOUNDARY = re.compile(r"[。！？!?]+[”\"'’）)]*|(?<![.\d])\.(?=\s|$)[”\"'’)]*|\n+")
ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "vs", "inc", "ltd", "approx"})
TITLES = frozenset({"Mr", "Mrs", "Ms", "Dr", "Prof"})
"""Titles only when capitalised: "380 ms." ends a sentence, "Ms. Chen" does not."""
CLAUSE = re.compile(r"[，,；;：:]\s*|\s+")
MAX_CHARS = {"en": 400, "zh": 120}
"""A "sentence" longer than this had its end punctuation lost (speech-to-text often drops it, especially in
Chinese); it is cut again at clause punctuation or spaces so that sentence positions still mean something."""


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence: ``text`` is ``answer_text[start:end]`` without surrounding spaces."""

    text: str
    start: int
    end: int


def _is_abbreviation(text: str, dot: int) -> bool:
    word = re.search(r"[A-Za-z.]+$", text[:dot])
    return word is not None and (word.group().lower() in ABBREVIATIONS or word.group() in TITLES)


def _pieces(text: str, pattern: re.Pattern[str], start: int, end: int) -> list[tuple[int, int]]:
    """Cut text[start:end] after each match of ``pattern`` (abbreviation dots excepted)."""
    pieces, begin = [], start
    for match in pattern.finditer(text, start, end):
        if match.group().startswith(".") and _is_abbreviation(text, match.start()):
            continue
        pieces.append((begin, match.end()))
        begin = match.end()
    pieces.append((begin, end))
    return pieces


def _rebalance(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Group clauses of an over-long sentence back into pieces no longer than ``limit`` characters."""
    out: list[tuple[int, int]] = []
    for a, b in _pieces(text, CLAUSE, start, end):
        if out and b - out[-1][0] <= limit:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def split_sentences(text: str, language: str) -> list[Sentence]:
    limit = MAX_CHARS.get(language, MAX_CHARS["en"])
    sentences = []
    for a, b in _pieces(text, BOUNDARY, 0, len(text)):
        for c, d in _rebalance(text, a, b, limit) if b - a > limit else [(a, b)]:
            piece = text[c:d]
            stripped = piece.strip()
            if any(ch.isalnum() for ch in stripped):
                first = c + len(piece) - len(piece.lstrip())
                sentences.append(Sentence(stripped, first, first + len(stripped)))
    return sentences
