"""Voice: pitch and loudness level and how much they vary (a monotone voice varies little)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.signals import Evidence, Signal, Signals

MIN_VOICED_FRAMES = 50
"""Half a second of voiced frames at a 10 ms hop: less than that gives no stable pitch statistics."""


class VoiceAnalyzer:
    """Pitch in Hz and semitones, loudness in dBFS, over the voiced frames of one answer."""

    name: ClassVar[str] = "voice"
    models: ClassVar[tuple[str, ...]] = ("voice_prosody",)
    signals: ClassVar[tuple[str, ...]] = (
        "voice.pitch_median_hz",
        "voice.pitch_variability_st",
        "voice.loudness_db",
        "voice.loudness_variability_db",
    )
    needs_recording: ClassVar[bool] = True

    def analyze(self, answer: Answer, features: RecordingFeatures) -> Signals:
        prosody = features.prosody
        if prosody is None:
            return {}
        start = answer.start_s or 0.0
        end = answer.end_s if answer.end_s is not None else features.duration_s
        window = prosody.window(start, end)
        voiced = window.f0_hz > 0
        if int(voiced.sum()) < MIN_VOICED_FRAMES:
            return {}
        f0 = window.f0_hz[voiced]
        loudness = window.loudness_db[voiced]
        median_f0 = float(np.median(f0))
        semitones = 12.0 * np.log2(f0 / median_f0)
        evidence = (Evidence(start_s=start, end_s=end, note=f"{int(voiced.sum())} voiced 10 ms frames"),)
        return {
            "voice.pitch_median_hz": Signal(median_f0, evidence),
            "voice.pitch_variability_st": Signal(float(np.std(semitones)), evidence),
            "voice.loudness_db": Signal(float(np.median(loudness)), evidence),
            "voice.loudness_variability_db": Signal(float(np.std(loudness)), evidence),
        }
