"""First-person pronouns: how much a candidate says "we" against "I"."""

from __future__ import annotations

import re
from typing import ClassVar

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.signals import Evidence, Signal, Signals
from server.analysis.text.evidence import TextEvidence

WE_PRONOUNS = re.compile(r"(?<![A-Za-z])(?:we|our|ours|us|ourselves)(?![A-Za-z])|我们|咱们", re.IGNORECASE)
I_PRONOUNS = re.compile(
    r"(?<![A-Za-z])(?:I|[Mm]e|[Mm]y|[Mm]ine|[Mm]yself|ME|MY)(?![A-Za-z])|(?<!自)我(?!们)|本人"
)
"""Capital "I" only (a lone lowercase "i" is more often a list marker than a pronoun); 自我 ("self") is not
the speaker."""
MAX_EVIDENCE = 10


def _occurrences(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    # "US" in capitals is the country, not "us"
    return [m for m in pattern.finditer(text) if m.group() != "US"]


def _evidence(matches: list[re.Match[str]], evidence: TextEvidence) -> tuple[Evidence, ...]:
    shown = tuple(
        evidence.span(m.start(), m.end(), note=m.group(), context=20) for m in matches[:MAX_EVIDENCE]
    )
    if len(matches) > MAX_EVIDENCE:
        shown += (Evidence(note=f"{len(matches) - MAX_EVIDENCE} more not shown"),)
    return shown


class PronounAnalyzer:
    """``text.i_count``, ``text.we_count`` and ``text.we_ratio`` = we / (we + I), the share of first-person
    pronouns that are plural (no ratio when the answer has none). Saying "we" more than "I" went with higher
    interview ratings in the MIT Interview study; a ratio near 1 can also hide the candidate's own part."""

    name: ClassVar[str] = "text.pronouns"
    models: ClassVar[tuple[str, ...]] = ()
    signals: ClassVar[tuple[str, ...]] = ("text.we_ratio", "text.i_count", "text.we_count")
    needs_recording: ClassVar[bool] = False

    def analyze(self, answer: Answer, features: RecordingFeatures) -> Signals:
        evidence = TextEvidence(answer)
        we, i = _occurrences(WE_PRONOUNS, answer.text), _occurrences(I_PRONOUNS, answer.text)
        signals = {
            "text.i_count": Signal(len(i), _evidence(i, evidence)),
            "text.we_count": Signal(len(we), _evidence(we, evidence)),
        }
        if we or i:
            note = f"{len(we)} plural of {len(we) + len(i)} first-person pronouns"
            signals["text.we_ratio"] = Signal(len(we) / (len(we) + len(i)), (Evidence(note=note),))
        return signals
