"""Capture quality of one recording, from what the decode pass and the speech models measured."""

from __future__ import annotations

from collections.abc import Sequence

from server.analysis.base import FrameObservation, largest_face
from server.analysis.head_pose import head_pose
from server.media.audio_spool import AudioSpool
from server.media.levels import spans_levels
from server.media.probe import MediaInfo
from server.media.quality import CaptureQuality, assess_capture
from server.pipeline.audio_features import SpeechFeatures


def _yaws(frames: Sequence[FrameObservation]) -> list[float]:
    yaws = []
    for frame in frames:
        if frame.faces:
            pose = head_pose(largest_face(frame.faces))
            if pose is not None:
                yaws.append(pose.yaw_deg)
    return yaws


def measure_capture(
    info: MediaInfo | None,
    frames: Sequence[FrameObservation],
    spool: AudioSpool | None,
    speech: SpeechFeatures | None,
    faces_detected: bool = True,
) -> CaptureQuality:
    """Measures and warnings for what was captured; a text-only interview has none. Without face detection
    (no consent to analyse the face, or no analyzer that needs it) the face measures are left out rather
    than read as "no face visible": only the video format is judged."""
    if info is None:
        return assess_capture()
    has_audio = spool is not None and spool.duration_s > 0 and speech is not None
    return assess_capture(
        video=info.video,
        frames=frames if faces_detected else (),
        yaw_deg=_yaws(frames),
        speech_levels=spans_levels(spool, speech.segments) if has_audio and speech.segments else None,
        duration_s=info.duration_s,
        speech_segments=speech.segments if has_audio else None,
        word_probabilities=[w.probability for w in speech.words] if speech else (),
    )
