"""Text analyzers: what an answer says (relevance, keywords, structure, numbers, pronouns, vocabulary).

They read ``answer.text`` in ``answer.language`` and need no recording; when the answer has recognised words
their evidence carries times as well as excerpts.
"""

from __future__ import annotations

from server.analysis.text.keywords import KeywordAnalyzer
from server.analysis.text.numbers import NumbersAnalyzer
from server.analysis.text.plan import PlanAnalyzer
from server.analysis.text.pronouns import PronounAnalyzer
from server.analysis.text.relevance import RelevanceAnalyzer
from server.analysis.text.star import StarAnalyzer
from server.analysis.text.vocabulary import VocabularyAnalyzer
from server.analysis.text.zongfenzong import ZongFenZongAnalyzer

TEXT_ANALYZERS = (
    RelevanceAnalyzer(),
    KeywordAnalyzer(),
    StarAnalyzer(),
    ZongFenZongAnalyzer(),
    PlanAnalyzer(),
    NumbersAnalyzer(),
    PronounAnalyzer(),
    VocabularyAnalyzer(),
)

__all__ = [
    "TEXT_ANALYZERS",
    "KeywordAnalyzer",
    "NumbersAnalyzer",
    "PlanAnalyzer",
    "PronounAnalyzer",
    "RelevanceAnalyzer",
    "StarAnalyzer",
    "VocabularyAnalyzer",
    "ZongFenZongAnalyzer",
]
