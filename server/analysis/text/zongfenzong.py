"""总分总 (point, supporting points, point restated): the structure Chinese interviewers expect of an opinion
answer, and a good one in English too."""

from __future__ import annotations

from typing import ClassVar

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.signals import Evidence, Signal, Signals
from server.analysis.text.cues import Part, PartMatch, compile_cues, cue_score, find_part, strength
from server.analysis.text.evidence import TextEvidence
from server.analysis.text.sentences import Sentence, split_sentences
from server.analysis.text.tokens import tokenize

_COUNT = r"(?:two|three|four|five|several|a few|a couple of)"
_THINGS = r"(?:main |key |big )?(?:reasons|ways|points|things|aspects|factors|steps|parts|areas|priorities)"

POINT = Part(
    "point",
    compile_cues(
        [
            r"i (?:think|believe|feel|would say|'d say)|in my (?:view|opinion|experience)",
            r"my (?:answer|view|point|approach|take|philosophy) is",
            r"the (?:key|main thing|short answer|core) is",
            rf"(?:there are|i have|i see|i'd highlight|comes down to) {_COUNT} {_THINGS}",
            r"simply put|in short|my main point",
            "我认为|我觉得|我的(?:观点|看法|理解|答案)是|主要有[两三四五几]个?(?:方面|点|原因|理由|步骤|部分)|有以下几点"
            "|分为[两三四五几]个?(?:方面|部分|步骤|阶段)|(?:关键|核心|重点)(?:在于|是)|简单来说|一句话",
        ]
    ),
    compile_cues([r"important|key|essential|matters", "重要|关键|核心"]),
)

SUPPORT = Part(
    "support",
    compile_cues(
        [
            r"first(?:ly)?|second(?:ly)?|third(?:ly)?|another|for example|for instance|in addition|moreover",
            r"on top of that|the (?:first|second|third|last|other) (?:one|reason|point|thing|aspect)",
            "第[一二三四五]|首先|其次|再次|另外|此外|一是|二是|三是|一方面|另一方面|比如|例如|举个例子",
        ]
    ),
    compile_cues([r"also|because|finally", "还有|因为|最后"]),
)

CONCLUSION = Part(
    "conclusion",
    compile_cues(
        [
            r"in (?:conclusion|summary|short|sum|a word)|to (?:sum up|summari[sz]e|conclude|wrap up)",
            r"overall|all in all|that'?s why|which is why|therefore|so in the end|at the end of the day",
            "总之|总的来说|总而言之|综上所述|综上|归根结底|这就是为什么|一句话|因此",
        ]
    ),
    compile_cues([r"so|thus", "所以"]),
)

RESTATED_OVERLAP = 0.15
"""Share of content words (Jaccard) the closing sentence shares with the opening one for the conclusion to
count as the point restated even without a summary phrase: half a strong cue."""


def _content_words(sentence: Sentence, language: str) -> set[str]:
    """Words long enough to carry meaning: 2+ characters in Chinese, 4+ letters in English."""
    shortest = 2 if language == "zh" else 4
    return {t.text.lower() for t in tokenize(sentence.text, language) if len(t.text) >= shortest}


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


class ZongFenZongAnalyzer:
    """``text.zongfenzong`` (0-1): the mean strength of the point (in the opening sentences), the supporting
    points (enumerated in the body: two or more sentences = 1, one = 0.5) and the conclusion (in the closing
    sentences, by a summary phrase or by restating the opening's words)."""

    name: ClassVar[str] = "text.zongfenzong"
    models: ClassVar[tuple[str, ...]] = ()
    signals: ClassVar[tuple[str, ...]] = ("text.zongfenzong",)
    needs_recording: ClassVar[bool] = False

    def analyze(self, answer: Answer, features: RecordingFeatures) -> Signals:
        sentences = split_sentences(answer.text, answer.language)
        if not sentences:
            return {}
        if len(sentences) < 3:
            note = f"{len(sentences)} sentence(s): too short for point, support and conclusion"
            return {"text.zongfenzong": Signal(0.0, (Evidence(note=note),))}
        edge = min(2, max(1, round(len(sentences) / 4)))
        head, body, tail = sentences[:edge], sentences[edge:-edge], sentences[-edge:]
        point = find_part(POINT, head)
        supports = [s for s in body if find_part(SUPPORT, [s]).present]
        conclusion = self._conclusion(head, tail, answer.language)
        support_strength = min(1.0, len(supports) / 2)
        value = (point.strength + support_strength + conclusion.strength) / 3
        evidence = TextEvidence(answer)
        found = []
        if point.sentence:
            found.append(evidence.sentence(point.sentence, point.note("point")))
        found += [evidence.sentence(s, "supporting point") for s in supports]
        if conclusion.sentence:
            found.append(evidence.sentence(conclusion.sentence, conclusion.note("conclusion")))
        return {"text.zongfenzong": Signal(round(value, 3), tuple(found))}

    @staticmethod
    def _conclusion(head: list[Sentence], tail: list[Sentence], language: str) -> PartMatch:
        """The closing sentence with the strongest summary cue; restating the opening's words adds half."""
        opening = set().union(*(_content_words(s, language) for s in head))
        best = PartMatch(0.0)
        for sentence in tail:
            score, cues = cue_score(CONCLUSION, sentence.text)
            if _overlap(opening, _content_words(sentence, language)) >= RESTATED_OVERLAP:
                score, cues = score + 0.5, (*cues, "opening restated")
            if strength(score) > best.strength:
                best = PartMatch(round(strength(score), 3), sentence, cues)
        return best
