"""The analysis result and its JSON shape (the contract of ``hirelens analyze --json``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from server.analysis.base import Answer, Word
from server.analysis.signals import Signals
from server.media.probe import MediaInfo
from server.media.quality import CaptureQuality
from server.scoring.refusals import NotAnalysed


@dataclass(slots=True)
class AnalysedAnswer:
    answer: Answer
    signals: Signals


@dataclass(slots=True)
class AnalysisResult:
    duration_s: float
    language: str
    quality: CaptureQuality
    words: list[Word]
    answers: list[AnalysedAnswer]
    signals: Signals
    media: MediaInfo | None = None
    models: dict[str, str] = field(default_factory=dict)
    not_analysed: tuple[NotAnalysed, ...] = ()  # modalities left out for want of consent

    def transcript_text(self) -> str:
        separator = "" if self.language == "zh" else " "
        return separator.join(a.answer.text for a in self.answers if a.answer.text).strip()

    def to_dict(self) -> dict[str, Any]:
        return {
            "duration_s": round(self.duration_s, 3),
            "language": self.language,
            "media": _media(self.media),
            "models": self.models,
            "quality": self.quality.to_dict(),
            "transcript": {
                "text": self.transcript_text(),
                "words": [
                    {
                        "word": w.text,
                        "start_s": round(w.start_s, 2),
                        "end_s": round(w.end_s, 2),
                        "probability": round(w.probability, 3),
                    }
                    for w in self.words
                ],
            },
            "answers": [
                {
                    "index": a.answer.index,
                    "question": a.answer.question,
                    "start_s": a.answer.start_s,
                    "end_s": a.answer.end_s,
                    "transcript": a.answer.text,
                    "signals": {name: s.to_dict() for name, s in a.signals.items()},
                }
                for a in self.answers
            ],
            "signals": {name: s.to_dict() for name, s in self.signals.items()},
            "not_analysed": [n.to_dict() for n in self.not_analysed],
        }


def _media(info: MediaInfo | None) -> dict[str, Any] | None:
    if info is None:
        return None
    return {
        "container": info.container,
        "duration_s": round(info.duration_s, 3),
        "video": None if info.video is None else asdict(info.video),
        "audio": None if info.audio is None else asdict(info.audio),
    }
