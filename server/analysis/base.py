"""What analyzers see and the contract they follow.

An *answer* is one question's span of the interview. The extraction stage (server.pipeline) runs the models
once over the whole recording and keeps compact per-frame and per-word features; analyzers then turn the
slice of those features that falls inside one answer into named signals with evidence. Analyzers never decode
media, and reach models only through ``server.runtime``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np

from server.analysis.signals import Signals


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word with its timing and the recogniser's probability for it."""

    text: str
    start_s: float
    end_s: float
    probability: float


@dataclass(frozen=True, slots=True)
class Face:
    """One detected face in a sampled frame, in that frame's pixel coordinates."""

    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    score: float
    landmarks: tuple[tuple[float, float], ...]  # dlib 5-point order: right eye (2), left eye (2), nose


def largest_face(faces: tuple[Face, ...]) -> Face:
    """The candidate's face when several are found: the largest box (closest to the camera)."""
    return max(faces, key=lambda f: (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))


@dataclass(frozen=True, slots=True)
class FrameObservation:
    """What was measured on one sampled video frame."""

    t: float
    width: int
    height: int
    faces: tuple[Face, ...]
    luma_mean: float  # whole frame, 0-255
    face_luma_mean: float | None  # face region of the largest face, 0-255
    face_luma_std: float | None  # contrast of that region
    motion: float  # mean absolute grey-level change from the previous sampled frame, 0-255


@dataclass(slots=True)
class Prosody:
    """Frame-level pitch (Hz, 0 where unvoiced) and loudness (dBFS) on a fixed hop."""

    hop_s: float
    f0_hz: np.ndarray
    loudness_db: np.ndarray

    def window(self, start_s: float, end_s: float) -> Prosody:
        a, b = int(start_s / self.hop_s), int(end_s / self.hop_s)
        return Prosody(self.hop_s, self.f0_hz[a:b], self.loudness_db[a:b])


@dataclass(slots=True)
class RecordingFeatures:
    """Whole-recording features; empty for text-only interviews."""

    duration_s: float = 0.0
    speech_segments: list[tuple[float, float]] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    prosody: Prosody | None = None
    frames: list[FrameObservation] = field(default_factory=list)
    frame_rate: float = 0.0


@dataclass(slots=True)
class Answer:
    """One answer: its question, its span (None for text-only input), its text and words."""

    index: int
    question: str | None
    text: str
    language: str  # "en" or "zh"
    start_s: float | None = None
    end_s: float | None = None
    words: list[Word] = field(default_factory=list)

    @property
    def duration_s(self) -> float | None:
        if self.start_s is None or self.end_s is None:
            return None
        return self.end_s - self.start_s


class Analyzer(Protocol):
    """Turns one answer into signals. ``models`` and ``signals`` are declarations the pipeline reads."""

    name: ClassVar[str]
    models: ClassVar[tuple[str, ...]]
    signals: ClassVar[tuple[str, ...]]
    needs_recording: ClassVar[bool]

    def analyze(self, answer: Answer, features: RecordingFeatures) -> Signals: ...
