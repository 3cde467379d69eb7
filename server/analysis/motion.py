"""Motion for tasks demonstrated on camera (assembling a part): active time, idle gaps, pace.

Motion is the mean grey-level change between consecutive sampled frames of the whole picture, so it sees
hands and tools as well as the person; it cannot tell useful work from fidgeting.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.signals import Evidence, Signal, Signals
from server.analysis.spans import flagged_spans, frames_in, span_evidence

ACTIVE_MOTION = 2.5
"""Mean absolute grey change (0-255) above sensor noise of a still webcam scene at the sampling rate."""
IDLE_GAP_S = 3.0


class MotionAnalyzer:
    name: ClassVar[str] = "motion"
    models: ClassVar[tuple[str, ...]] = ()
    signals: ClassVar[tuple[str, ...]] = (
        "motion.active_ratio",
        "motion.idle_gaps",
        "motion.pace_per_min",
        "motion.energy",
    )
    needs_recording: ClassVar[bool] = True

    def analyze(self, answer: Answer, features: RecordingFeatures) -> Signals:
        frames = frames_in(answer, features.frames)[1:]  # the first frame has no predecessor
        if len(frames) < 2:
            return {}
        step = 1.0 / features.frame_rate if features.frame_rate else 0.5
        times = [f.t for f in frames]
        energy = np.array([f.motion for f in frames])
        active = energy >= ACTIVE_MOTION
        idle = flagged_spans(times, list(~active), step, IDLE_GAP_S)
        minutes = (times[-1] - times[0] + step) / 60.0
        bursts = int(np.sum(active[1:] & ~active[:-1]) + int(active[0]))
        span = (Evidence(start_s=times[0], end_s=times[-1] + step, note=f"{len(frames)} sampled frames"),)
        return {
            "motion.active_ratio": Signal(float(active.mean()), span),
            "motion.idle_gaps": Signal(
                len(idle), span_evidence(idle, f"no motion for {IDLE_GAP_S:.0f} s or more")
            ),
            "motion.pace_per_min": Signal(bursts / minutes, span),
            "motion.energy": Signal(float(energy.mean()), span),
        }
