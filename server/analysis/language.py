"""Which language a text-only answer is in, from its share of Chinese characters."""

from __future__ import annotations

import re
from typing import Literal

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_WORD = re.compile(r"[A-Za-z]+")
ZH_SHARE = 0.5
"""One Chinese character and one English word count as one unit each; Chinese wins at half the units, so
Chinese answers full of English product names ("我们用Kubernetes部署") stay Chinese."""


def cjk_share(text: str) -> float:
    """Chinese characters over Chinese characters plus Latin-script words; 0.0 for text with neither."""
    cjk = len(CJK.findall(text))
    units = cjk + len(LATIN_WORD.findall(text))
    return cjk / units if units else 0.0


def has_cjk(text: str) -> bool:
    return CJK.search(text) is not None


def detect_language(text: str) -> Literal["en", "zh"]:
    """Chinese ("zh") when at least half of the text's units are Chinese characters, else English ("en")."""
    return "zh" if cjk_share(text) >= ZH_SHARE else "en"
