"""The analyzers a run uses: the built-ins, in the order their signals appear in a result, then those that
installed packages register (entry-point group ``hirelens.analyzers``), filtered by the deployment policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from server.analysis.base import Analyzer
from server.analysis.face import FaceAnalyzer
from server.analysis.fillers import FillerAnalyzer
from server.analysis.motion import MotionAnalyzer
from server.analysis.speech import SpeechAnalyzer
from server.analysis.text import TEXT_ANALYZERS
from server.analysis.voice import VoiceAnalyzer
from server.scoring.registry import PluginError, plugin_analyzers

if TYPE_CHECKING:
    from server.scoring.policy import Policy


def builtin_analyzer_classes() -> list[type]:
    return [
        SpeechAnalyzer,
        FillerAnalyzer,
        VoiceAnalyzer,
        FaceAnalyzer,
        MotionAnalyzer,
        *(type(a) for a in TEXT_ANALYZERS),
    ]


def builtin_analyzers() -> list[Analyzer]:
    return [
        SpeechAnalyzer(),
        FillerAnalyzer(),
        VoiceAnalyzer(),
        FaceAnalyzer(),
        MotionAnalyzer(),
        *TEXT_ANALYZERS,
    ]


def analyzer_classes() -> list[type]:
    """Built-in and plugin analyzer classes; a plugin reusing a name would make results ambiguous."""
    classes = builtin_analyzer_classes()
    seen = {cls.name: cls for cls in classes}
    for cls in plugin_analyzers():
        if cls.name in seen:
            raise PluginError(
                f"analyzer plugin {cls.__module__}.{cls.__qualname__} is named '{cls.name}', "
                f"like {seen[cls.name].__module__}.{seen[cls.name].__qualname__}; expected a name of its own"
            )
        seen[cls.name] = cls
        classes.append(cls)
    return classes


def analyzers_for(policy: Policy | None = None) -> list[Analyzer]:
    """One instance of every analyzer ``policy`` allows; a forbidden one is never instantiated, so it
    loads no model and cannot run by mistake."""
    return [cls() for cls in analyzer_classes() if policy is None or policy.allows(cls) is None]


def text_analyzers(analyzers: list[Analyzer]) -> list[Analyzer]:
    """Those that work on text alone: what a text-only interview gets."""
    return [a for a in analyzers if not a.needs_recording]
