"""The built-in analyzers, in the order their signals appear in a result."""

from __future__ import annotations

from server.analysis.base import Analyzer
from server.analysis.face import FaceAnalyzer
from server.analysis.fillers import FillerAnalyzer
from server.analysis.motion import MotionAnalyzer
from server.analysis.speech import SpeechAnalyzer
from server.analysis.text import TEXT_ANALYZERS
from server.analysis.voice import VoiceAnalyzer


def builtin_analyzers() -> list[Analyzer]:
    return [
        SpeechAnalyzer(),
        FillerAnalyzer(),
        VoiceAnalyzer(),
        FaceAnalyzer(),
        MotionAnalyzer(),
        *TEXT_ANALYZERS,
    ]


def text_analyzers(analyzers: list[Analyzer]) -> list[Analyzer]:
    """Those that work on text alone: what a text-only interview gets."""
    return [a for a in analyzers if not a.needs_recording]
