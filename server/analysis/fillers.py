"""Filler words ("um", "like", 嗯, 那个...) counted only where they fill, not where they carry meaning.

English: the hesitation sounds in the spellings transcripts use (um/umm/uhm, uh/uhh, er/erm, ah/ahh, eh,
hmm, mm, mhm; see HESITATION) always; "like", "you know" and "I mean" only in filler position (see
``_english``). Hyphenated yes/no sounds ("uh-huh", "mm-hmm", "uh-uh") are answers, not fillers.
Chinese: 嗯, 呃, 唔 always; 啊 when it opens a clause (at the end of one it is a modal particle,
"是啊"); 额 when set off by pauses on both sides; 那个, 就是, 然后 only in filler position (see ``_chinese``).
A *pause* is punctuation (comma, dash, ellipsis, sentence end; in Chinese also a space) or, when the words'
times are known, a silence of PAUSE_S or more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.hesitation import HESITATION
from server.analysis.signals import Evidence, Signal, Signals
from server.analysis.text.evidence import TextEvidence
from server.analysis.text.tokens import tokenize

PAUSE_S = 0.3
"""A silence this long between two words is a pause even where the transcript has no comma."""

EN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
EN_PAUSE = set(",;:…—–-.!?")
EN_TAG_EH = re.compile(r"e+h+\s*\?", re.IGNORECASE)
"""'Nice, eh?' asks for agreement (a tag question, like "right?"): not a hesitation."""
EN_YES_NO = re.compile(r"\b(?:uh|um|mm|m|hm|mhm|nuh|huh)-(?:huh|uh|hmm|hm|mm|mhm)\b", re.IGNORECASE)
"""Two-beat sounds that mean yes or no ("uh-huh", "mm-hmm", "uh-uh"): an answer, so never a filler."""


def _lexicon(words: str) -> frozenset[str]:
    return frozenset(words.split())


LIKE_MEANT_AFTER = _lexicon(
    """i you we they he she it i'd you'd we'd they'd he'd she'd would do does did don't doesn't didn't not
    really also to who people look looks looked looking seem seems seemed sound sounds sounded feel feels felt
    something anything nothing everything more much exactly things stuff likes"""
)
"""Words after which "like" is a verb or a comparison: "I like", "would like", "looks like", "things like"."""
LIKE_FILLER_AFTER = _lexicon("so and but")
"""Words after which "like" fills even without a comma: "so like we", "and like the"."""
YOU_KNOW_MEANT_AFTER = _lexicon(
    "do did don't didn't if as what how whether let would wouldn't all because when"
)
I_MEAN_MEANT_AFTER = _lexicon("what if that do did")

ZH_PAUSE = set("，,、；;：:…—-。！？!? \t\n")
ZH_ALWAYS = re.compile(r"嗯+|呃+|唔+")
ZH_FILLER_CHARS = set("嗯呃唔啊")
ZH_CONTEXT = re.compile(r"那个|就是|然后|啊+|额")
ZH_PRONOUN = re.compile(r"我|你|他|她|它|咱|大家")
ZH_PARTICLE = set("呢啊吧")
COPULA_BEFORE_JIUSHI = re.compile(
    r"(?:[这那也不正还可都]|原因|问题|关键|重点|目标|结果|办法|方法|思路|区别|意思|核心|难点|挑战)$"
)
"""Before these, 就是 means "is exactly" ("原因就是，…", "这就是"), even when a comma follows."""


@dataclass(frozen=True, slots=True)
class Filler:
    text: str
    start: int
    end: int


def _english(text: str, evidence: TextEvidence) -> list[Filler]:
    """Hesitation sounds (HESITATION) always, except "eh?" and yes/no sounds ("uh-huh"). "like" fills
    unless the word before it makes it a verb or comparison, and then only with a pause after it, next to
    another filler, or straight after "so/and/but". "you know" and "I mean" fill when a pause follows or
    another filler is next to them, unless they are part of a question or clause ("do you know", "what I
    mean")."""
    words = list(EN_WORD.finditer(text))
    lower = [w.group().lower() for w in words]

    def pause(k: int) -> bool:
        """A pause between word k and word k+1 (or the text ends)."""
        if k < 0 or k + 1 >= len(words):
            return True
        between = text[words[k].end() : words[k + 1].start()]
        silence = evidence.silence_after(words[k].end())
        return any(ch in EN_PAUSE for ch in between) or (silence is not None and silence >= PAUSE_S)

    def before(k: int) -> str | None:
        """The word right before word k, unless a pause separates them."""
        return None if k == 0 or pause(k - 1) else lower[k - 1]

    yes_no = [m.span() for m in EN_YES_NO.finditer(text)]
    always = {
        k
        for k, w in enumerate(words)
        if HESITATION.fullmatch(w.group())
        and not EN_TAG_EH.match(text, w.start())
        and not any(a <= w.start() < b for a, b in yes_no)
    }

    def next_to_filler(first: int, last: int) -> bool:
        return first - 1 in always or last + 1 in always

    spans = [(k, k) for k in always]
    for k, word in enumerate(lower):
        following = lower[k + 1] if k + 1 < len(lower) and not pause(k) else None
        if word == "like" and before(k) not in LIKE_MEANT_AFTER:
            if pause(k) or next_to_filler(k, k) or following == "like" or before(k) in LIKE_FILLER_AFTER:
                spans.append((k, k))
        elif (word, following) in {("you", "know"), ("i", "mean")}:
            meant_after = YOU_KNOW_MEANT_AFTER if word == "you" else I_MEAN_MEANT_AFTER
            if before(k) not in meant_after and (pause(k + 1) or next_to_filler(k, k + 1)):
                spans.append((k, k + 1))
    return [
        Filler(text[words[a].start() : words[b].end()], words[a].start(), words[b].end())
        for a, b in sorted(spans)
    ]


def _chinese(text: str, evidence: TextEvidence) -> list[Filler]:
    """嗯/呃/唔 always (a run counts once). 啊 when it opens a clause or sits in a filler cluster; 额 between
    pauses. 那个/就是/然后 when repeated (all but the last of a run), followed by a pause (a particle 呢/啊/吧
    may come first) or next to 嗯/呃/唔/啊; also 那个 before a pronoun ("那个我们…": a demonstrative never
    precedes one), clause-initial 就是 before a pronoun ("就是我觉得…"), and 就是说. Not 就是 after a word
    that makes it a copula ("原因就是，…", "这就是")."""

    def neighbour(at: int, step: int) -> str:
        """The nearest character from ``at`` in direction ``step`` that is not pause punctuation."""
        while 0 <= at < len(text) and text[at] in ZH_PAUSE:
            at += step
        return text[at] if 0 <= at < len(text) else ""

    def pause_after(end: int) -> bool:
        if end < len(text) and text[end] in ZH_PARTICLE:
            end += 1
        silence = evidence.silence_after(end)
        return end >= len(text) or text[end] in ZH_PAUSE or (silence is not None and silence >= PAUSE_S)

    def clause_start(start: int) -> bool:
        return start == 0 or text[start - 1] in ZH_PAUSE or text[start - 1] in ZH_FILLER_CHARS

    fillers = [Filler(m.group(), m.start(), m.end()) for m in ZH_ALWAYS.finditer(text)]
    for m in ZH_CONTEXT.finditer(text):
        word, start, end = m.group(), m.start(), m.end()
        next_char = text[end : end + 1]
        near_filler = neighbour(start - 1, -1) in ZH_FILLER_CHARS or neighbour(end, 1) in ZH_FILLER_CHARS
        if word.startswith("啊"):
            filler = clause_start(start)
        elif word == "额":
            filler = clause_start(start) and pause_after(end)
        elif word == "就是" and COPULA_BEFORE_JIUSHI.search(text[:start]):
            filler = False
        else:
            filler = (
                text.startswith(word, end)
                or pause_after(end)
                or near_filler
                or (word == "那个" and ZH_PRONOUN.match(next_char) is not None)
                or (
                    word == "就是"
                    and (next_char == "说" or (clause_start(start) and ZH_PRONOUN.match(next_char)))
                )
            )
        if filler:
            fillers.append(Filler(word, start, end))
    return sorted(fillers, key=lambda f: f.start)


class FillerAnalyzer:
    """``speech.filler_count`` and ``speech.filler_rate`` (fillers per 100 words; for Chinese per 100 jieba
    words, so a two-character filler such as 那个 counts as one word, as "um" does)."""

    name: ClassVar[str] = "fillers"
    models: ClassVar[tuple[str, ...]] = ()
    signals: ClassVar[tuple[str, ...]] = ("speech.filler_count", "speech.filler_rate")
    needs_recording: ClassVar[bool] = False

    def analyze(self, answer: Answer, features: RecordingFeatures) -> Signals:
        words = len(tokenize(answer.text, answer.language))
        if not words:
            return {}
        evidence = TextEvidence(answer)
        find = _chinese if answer.language == "zh" else _english
        fillers = find(answer.text, evidence)
        context = 8 if answer.language == "zh" else 20
        found = tuple(evidence.span(f.start, f.end, note=f.text, context=context) for f in fillers)
        unit = "jieba words" if answer.language == "zh" else "words"
        return {
            "speech.filler_count": Signal(len(fillers), found),
            "speech.filler_rate": Signal(
                100.0 * len(fillers) / words, (Evidence(note=f"{len(fillers)} fillers in {words} {unit}"),)
            ),
        }
