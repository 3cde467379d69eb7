"""Fillers: found where they fill, left alone where they mean something, timed when words are known."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.analysis.base import Answer, RecordingFeatures, Word
from server.analysis.fillers import FillerAnalyzer

DATA = Path(__file__).resolve().parent.parent / "data"


def stored(language: str, key: str) -> Answer:
    item = json.loads((DATA / f"answers_{language}.json").read_text(encoding="utf-8"))[key]
    return Answer(index=0, question=item["question"], text=item["text"], language=language)


def fillers(text: str, language: str = "en", words: list[Word] | None = None) -> list[str]:
    answer = Answer(index=0, question=None, text=text, language=language, words=words or [])
    signals = FillerAnalyzer().analyze(answer, RecordingFeatures())
    return [e.note for e in signals["speech.filler_count"].evidence]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I like pizza.", []),
        ("It looks like rain.", []),
        ("We would like to ship it on Friday.", []),
        ("Things like caching helped.", []),
        ("It's like a cache in front of the database.", []),
        ("Like I said, the cache was cold.", []),
        ("So, like, we had no tests.", ["like"]),
        ("And it was, like, really slow.", ["like"]),
        ("I, like, think so.", ["like"]),
        ("so like we just restarted it", ["like"]),
        ("um like the server crashed", ["um", "like"]),
        ("Do you know the answer?", []),
        ("You know the answer.", []),
        ("You know, the system was slow.", ["You know"]),
        ("That's what I mean.", []),
        ("I mean it.", []),
        ("I mean, it worked.", ["I mean"]),
        ("Hmm, umm, er, erm, uhh.", ["Hmm", "umm", "er", "erm", "uhh"]),
    ],
)
def test_english_fillers_only_in_filler_position(text: str, expected: list[str]) -> None:
    assert fillers(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The spellings human transcripts and transcription guides use for the same sounds.
        ("Uhm, so I led it.", ["Uhm"]),
        ("Umm, I think so.", ["Umm"]),
        ("It was, uhh, hard.", ["uhh"]),
        ("Ah, I see what you mean.", ["Ah"]),
        ("We, ahh, shipped it.", ["ahh"]),
        ("It was, eh, fine.", ["eh"]),
        ("Ehm, let me think.", ["Ehm"]),
        ("Mhm, so the plan was simple.", ["Mhm"]),
        ("Hm. Mmm, yes.", ["Hm", "Mmm"]),
        ("I, errr, forgot.", ["errr"]),
        # Real words and answers, not hesitations.
        ("The answer is in Utah, ahead of the others.", []),
        ("To err is human.", []),
        ("Aha, that was it. Oh, right.", []),
        ("Nice, eh? We won.", []),
        ("Uh-huh. Mm-hmm, that's right. Uh-uh, never.", []),
    ],
)
def test_english_filler_spellings_of_human_transcripts(text: str, expected: list[str]) -> None:
    """Issue 10: a transcript full of "uhm" and "ah" scored as fluent, "0 fillers"."""
    assert fillers(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("然后我们上线了。", []),
        ("然后，我们上线了。", ["然后"]),
        ("然后然后我们上线了。", ["然后"]),
        ("然后呢，我们就上线了。", ["然后"]),
        ("就是这个问题。", []),
        ("这就是原因。", []),
        ("原因就是，我们没有压测。", []),
        ("就是我觉得这个不太对。", ["就是"]),
        ("我们就是说先做灰度。", ["就是"]),
        ("那个项目很难。", []),
        ("那个时候我们人很少。", []),
        ("那个我们当时没想到。", ["那个"]),
        ("我们那个，嗯，数据库挂了。", ["那个", "嗯"]),
        ("是啊，这个很难啊。", []),
        ("啊，这个我想一下。", ["啊"]),
        ("嗯嗯，呃，好的。", ["嗯嗯", "呃"]),
        ("金额很大，额度不够。", []),
    ],
)
def test_chinese_fillers_only_in_filler_position(text: str, expected: list[str]) -> None:
    assert fillers(text, "zh") == expected


def test_every_filler_of_the_synthetic_recordings_script_counts() -> None:
    """The script espeak-ng read for tests/data/fillers_en: 14 fillers, half of them "uhm" or "ah"."""
    script = (DATA / "fillers_en" / "espeak_fillers_en.txt").read_text(encoding="utf-8")
    assert len(fillers(script)) == 14


def test_rambling_english_answer() -> None:
    signals = FillerAnalyzer().analyze(stored("en", "rambling"), RecordingFeatures())
    found = [e.note for e in signals["speech.filler_count"].evidence]
    assert found == ["Um", "like", "you know", "I mean", "uh", "like", "um", "you know", "uh", "I mean"]
    assert signals["speech.filler_count"].value == 10
    # "people didn't like it" and "I like working on" are verbs: neither excerpt is evidence
    assert not any("I like working" in (e.excerpt or "") for e in signals["speech.filler_count"].evidence)


def test_rambling_chinese_answer() -> None:
    signals = FillerAnalyzer().analyze(stored("zh", "rambling"), RecordingFeatures())
    found = [e.note for e in signals["speech.filler_count"].evidence]
    # 然后我们上线了 and 那个时候 are real words; 问题啊 is a sentence particle
    assert found == ["嗯", "就是", "那个", "然后", "就是", "嗯", "呃", "就是"]


def test_structured_answers_have_no_fillers() -> None:
    for language in ("en", "zh"):
        signals = FillerAnalyzer().analyze(stored(language, "star_strong"), RecordingFeatures())
        assert signals["speech.filler_count"].value == 0


def test_rate_is_per_hundred_words() -> None:
    answer = Answer(index=0, question=None, text="Um, I think, uh, it works.", language="en")
    signals = FillerAnalyzer().analyze(answer, RecordingFeatures())
    assert signals["speech.filler_rate"].value == pytest.approx(100 * 2 / 6)
    # Chinese: per 100 jieba words (嗯 / 我们 / 上线 / 了)
    answer = Answer(index=0, question=None, text="嗯，我们上线了。", language="zh")
    assert FillerAnalyzer().analyze(answer, RecordingFeatures())["speech.filler_rate"].value == 25.0


def _timed(text: str, gaps: dict[str, float]) -> list[Word]:
    """Words of ``text`` 0.3 s long, followed by the silence given for that word (0.05 s otherwise)."""
    words, t = [], 0.0
    for token in text.split():
        words.append(Word(token, t, t + 0.3, 0.9))
        t += 0.3 + gaps.get(token, 0.05)
    return words


def test_silence_makes_a_pause_and_evidence_is_timed() -> None:
    text = "the server was like down for an hour"
    assert fillers(text, words=_timed(text, {})) == []
    words = _timed(text, {"like": 0.8})
    answer = Answer(index=0, question=None, text=text, language="en", words=words)
    evidence = FillerAnalyzer().analyze(answer, RecordingFeatures())["speech.filler_count"].evidence
    assert [e.note for e in evidence] == ["like"]
    like = words[3]
    assert (evidence[0].start_s, evidence[0].end_s) == (like.start_s, like.end_s)


def test_empty_answer_has_no_signals() -> None:
    assert FillerAnalyzer().analyze(Answer(0, None, "  ", "en"), RecordingFeatures()) == {}
