"""Face on camera: presence, framing, head turned toward the camera, head movement, another face in frame.

Measured on the sampled frames of one answer. No expression or emotion is inferred here.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from server.analysis.base import Answer, FrameObservation, RecordingFeatures, largest_face
from server.analysis.head_pose import head_pose
from server.analysis.signals import Evidence, Signal, Signals
from server.analysis.spans import flagged_spans, frames_in, span_evidence

CAMERA_FACING_YAW_DEG = 20.0
"""Within this yaw the candidate reads as facing the camera (eye contact with the interviewer)."""
MIN_SPAN_S = 1.0


class FaceAnalyzer:
    """Aggregates per-frame face detections over one answer."""

    name: ClassVar[str] = "face"
    models: ClassVar[tuple[str, ...]] = ("face_dlib",)
    signals: ClassVar[tuple[str, ...]] = (
        "face.presence",
        "face.framing.centered",
        "face.framing.size",
        "face.gaze_at_camera",
        "face.head_movement_deg",
        "face.extra_faces",
    )
    needs_recording: ClassVar[bool] = True

    def analyze(self, answer: Answer, features: RecordingFeatures) -> Signals:
        frames = frames_in(answer, features.frames)
        if not frames:
            return {}
        step = 1.0 / features.frame_rate if features.frame_rate else 0.5
        times = [f.t for f in frames]
        present = [bool(f.faces) for f in frames]
        extra = [len(f.faces) > 1 for f in frames]
        signals: Signals = {
            "face.presence": Signal(
                float(np.mean(present)),
                span_evidence(
                    flagged_spans(times, [not p for p in present], step, MIN_SPAN_S), "no face visible"
                ),
            ),
            "face.extra_faces": Signal(
                float(np.mean(extra)),
                span_evidence(flagged_spans(times, extra, step, 0.0), "more than one face in frame"),
            ),
        }
        with_face = [f for f in frames if f.faces]
        if with_face:
            signals.update(_framing(with_face))
            signals.update(_pose(with_face, step))
        return signals


def _framing(frames: list[FrameObservation]) -> Signals:
    offsets, sizes = [], []
    for frame in frames:
        x0, y0, x1, y1 = largest_face(frame.faces).box
        cx, cy = (x0 + x1) / 2 / frame.width - 0.5, (y0 + y1) / 2 / frame.height - 0.5
        offsets.append(math.hypot(cx, cy) / math.hypot(0.5, 0.5))
        sizes.append((y1 - y0) / frame.height)
    span = (Evidence(start_s=frames[0].t, end_s=frames[-1].t, note=f"{len(frames)} frames with a face"),)
    return {
        "face.framing.centered": Signal(1.0 - float(np.mean(offsets)), span),
        "face.framing.size": Signal(float(np.median(sizes)), span),
    }


def _pose(frames: list[FrameObservation], step: float) -> Signals:
    poses = [(f.t, head_pose(largest_face(f.faces))) for f in frames]
    poses = [(t, p) for t, p in poses if p is not None]
    if not poses:
        return {}
    times = [t for t, _ in poses]
    yaws = np.array([p.yaw_deg for _, p in poses])
    facing = np.abs(yaws) <= CAMERA_FACING_YAW_DEG
    turned = flagged_spans(times, list(~facing), step, MIN_SPAN_S)
    return {
        "face.gaze_at_camera": Signal(
            float(facing.mean()),
            span_evidence(turned, f"head turned more than {CAMERA_FACING_YAW_DEG:.0f} deg"),
        ),
        "face.head_movement_deg": Signal(
            float(np.std(yaws)), (Evidence(start_s=times[0], end_s=times[-1], note="std of head yaw"),)
        ),
    }
