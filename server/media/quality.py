"""Capture quality: turn measurements of a recording into numeric measures and named, actionable warnings.

Pure functions over what other stages measured (frame observations, head yaw, audio levels, VAD segments,
word probabilities). A measure whose input is absent (no video in an audio-only file, nothing at all for a
text-only interview) is left out and raises no warning: nothing is ever guessed. Warning codes are stable;
messages carry the measured value and the advice an interview studio would give.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from server.analysis.base import FrameObservation
from server.media.levels import AudioLevels
from server.media.probe import VideoInfo


@dataclass(frozen=True, slots=True)
class QualityThresholds:
    """Where a measure starts to hurt analysis. Luma is 0-255 (BT.601), levels dBFS, shares 0-1."""

    min_face_luma: float = 70.0  # median face brightness; well-lit faces read 110-170
    max_face_luma: float = 200.0  # above this skin texture and landmarks wash out
    min_face_contrast: float = 18.0  # median luma standard deviation inside the face box
    min_face_visible_share: float = 0.8  # sampled frames with at least one face
    max_multiple_faces_share: float = 0.1  # sampled frames with two or more faces
    max_yaw_deg: float = 30.0  # a head turned further than this is "turned away"
    max_head_turned_share: float = 0.3  # frames with the head turned away
    min_short_side_px: int = 360  # below 360p a face spans too few pixels for landmarks
    min_fps: float = 15.0  # below this, head movement and gaze become unreliable
    min_speech_dbfs: float = -42.0  # RMS of speech; well-set microphones give -30 to -18
    max_clipped_fraction: float = 0.001  # samples at full scale
    min_speech_share: float = 0.25  # speech seconds per recording second
    min_asr_confidence: float = 0.6  # mean recogniser word probability


@dataclass(frozen=True, slots=True)
class QualityWarning:
    """One problem: a stable ``code``, a message for people, and the measured value behind it."""

    code: str
    message: str
    value: float


@dataclass(frozen=True, slots=True)
class CaptureQuality:
    """All measures taken (name -> value) and the warnings they raised."""

    measures: Mapping[str, float]
    warnings: tuple[QualityWarning, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(warning.code for warning in self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form: ``{"measures": {...}, "warnings": [{"code", "message", "value"}, ...]}``."""
        return {
            "measures": dict(self.measures),
            "warnings": [
                {"code": warning.code, "message": warning.message, "value": warning.value}
                for warning in self.warnings
            ],
        }


_Result = tuple[dict[str, float], list[QualityWarning]]


def assess_capture(
    *,
    video: VideoInfo | None = None,
    frames: Sequence[FrameObservation] = (),
    yaw_deg: Sequence[float] = (),
    speech_levels: AudioLevels | None = None,
    duration_s: float = 0.0,
    speech_segments: Sequence[tuple[float, float]] | None = None,
    word_probabilities: Sequence[float] = (),
    thresholds: QualityThresholds | None = None,
) -> CaptureQuality:
    """Measure and warn on everything given; leave out what is not.

    ``speech_levels`` should cover the speech segments (``levels.spans_levels``) so pauses do not count as
    quiet; ``speech_segments`` None means no VAD ran, an empty list means it found no speech.
    """
    limits = thresholds or QualityThresholds()
    results = [
        face_light(frames, limits),
        face_presence(frames, limits),
        head_turn(yaw_deg, limits),
        video_format(video, limits),
        audio_level(speech_levels, limits),
        speech_presence(speech_segments, duration_s, limits),
        recognition_confidence(word_probabilities, limits),
    ]
    measures = {name: value for found, _ in results for name, value in found.items()}
    return CaptureQuality(measures, tuple(warning for _, warned in results for warning in warned))


def face_light(frames: Sequence[FrameObservation], limits: QualityThresholds) -> _Result:
    """Brightness and contrast of the face region, as medians over the frames that show a face."""
    means = [frame.face_luma_mean for frame in frames if frame.face_luma_mean is not None]
    spreads = [frame.face_luma_std for frame in frames if frame.face_luma_std is not None]
    measures: dict[str, float] = {}
    warnings: list[QualityWarning] = []
    if means:
        luma = measures["face_luma_mean"] = statistics.median(means)
        if luma < limits.min_face_luma:
            warnings.append(
                QualityWarning(
                    "low_light",
                    f"Face region is dark (mean luma {luma:.0f}/255): add light in front of the candidate",
                    luma,
                )
            )
        elif luma > limits.max_face_luma:
            warnings.append(
                QualityWarning(
                    "overexposed",
                    f"Face region is washed out (mean luma {luma:.0f}/255): soften or move the light on the "
                    "face, or lower the camera's exposure",
                    luma,
                )
            )
    if spreads:
        contrast = measures["face_luma_std"] = statistics.median(spreads)
        if contrast < limits.min_face_contrast:
            warnings.append(
                QualityWarning(
                    "low_contrast",
                    f"Face region lacks contrast (luma spread {contrast:.0f}/255): light the face from the "
                    "front and keep bright windows out of the background",
                    contrast,
                )
            )
    return measures, warnings


def face_presence(frames: Sequence[FrameObservation], limits: QualityThresholds) -> _Result:
    """Share of sampled frames with a face, and with more than one."""
    if not frames:
        return {}, []
    visible = sum(1 for frame in frames if frame.faces) / len(frames)
    several = sum(1 for frame in frames if len(frame.faces) > 1) / len(frames)
    warnings = []
    if visible < limits.min_face_visible_share:
        warnings.append(
            QualityWarning(
                "face_not_visible",
                f"Face visible in only {visible:.0%} of sampled frames: keep the candidate's face in the "
                "centre of the camera view",
                visible,
            )
        )
    if several > limits.max_multiple_faces_share:
        warnings.append(
            QualityWarning(
                "multiple_faces",
                f"More than one face in {several:.0%} of sampled frames: record with only the candidate "
                "in view",
                several,
            )
        )
    return {"face_visible_share": visible, "multiple_faces_share": several}, warnings


def head_turn(yaw_deg: Sequence[float], limits: QualityThresholds) -> _Result:
    """Share of frames (with a face) whose head yaw exceeds ``max_yaw_deg`` either way."""
    if not yaw_deg:
        return {}, []
    turned = sum(1 for yaw in yaw_deg if abs(yaw) > limits.max_yaw_deg) / len(yaw_deg)
    warnings = []
    if turned > limits.max_head_turned_share:
        warnings.append(
            QualityWarning(
                "head_turned",
                f"Head turned more than {limits.max_yaw_deg:.0f}° in {turned:.0%} of frames: place the "
                "camera at the screen the candidate looks at",
                turned,
            )
        )
    return {"head_turned_share": turned}, warnings


def video_format(video: VideoInfo | None, limits: QualityThresholds) -> _Result:
    """Resolution (by the short side, so portrait and landscape are judged alike) and frame rate."""
    if video is None:
        return {}, []
    short_side = min(video.width, video.height)
    warnings = []
    if short_side < limits.min_short_side_px:
        warnings.append(
            QualityWarning(
                "low_resolution",
                f"Video is {video.width}x{video.height}: record at 1280x720 or more so the face shows detail",
                short_side,
            )
        )
    measures = {"width": float(video.width), "height": float(video.height)}
    if video.fps:
        measures["fps"] = video.fps
        if video.fps < limits.min_fps:
            warnings.append(
                QualityWarning(
                    "low_frame_rate",
                    f"Video runs at {video.fps:.0f} fps: record at 25-30 fps, with enough light that the "
                    "camera need not slow down",
                    video.fps,
                )
            )
    return measures, warnings


def audio_level(levels: AudioLevels | None, limits: QualityThresholds) -> _Result:
    """Speech loudness (RMS dBFS) and the share of clipped samples."""
    if levels is None or levels.samples == 0:
        return {}, []
    warnings = []
    if levels.rms_dbfs < limits.min_speech_dbfs:
        warnings.append(
            QualityWarning(
                "audio_too_quiet",
                f"Speech level is {levels.rms_dbfs:.0f} dBFS RMS: move the microphone closer or raise its "
                "input gain",
                levels.rms_dbfs,
            )
        )
    if levels.clipped_fraction > limits.max_clipped_fraction:
        warnings.append(
            QualityWarning(
                "audio_clipping",
                f"{levels.clipped_fraction:.1%} of audio samples are clipped: lower the microphone "
                "input gain",
                levels.clipped_fraction,
            )
        )
    return {"speech_rms_dbfs": levels.rms_dbfs, "clipped_fraction": levels.clipped_fraction}, warnings


def speech_presence(
    segments: Sequence[tuple[float, float]] | None, duration_s: float, limits: QualityThresholds
) -> _Result:
    """Share of the recording that VAD found to be speech."""
    if segments is None or duration_s <= 0:
        return {}, []
    speech_s = sum(max(0.0, min(end, duration_s) - max(start, 0.0)) for start, end in segments)
    share = speech_s / duration_s
    warnings = []
    if share < limits.min_speech_share:
        warnings.append(
            QualityWarning(
                "little_speech",
                f"Speech fills only {share:.0%} of the recording: check the microphone is on and the "
                "candidate answers aloud",
                share,
            )
        )
    return {"speech_share": share}, warnings


def recognition_confidence(probabilities: Sequence[float], limits: QualityThresholds) -> _Result:
    """Mean word probability from the speech recogniser."""
    if not probabilities:
        return {}, []
    confidence = sum(probabilities) / len(probabilities)
    warnings = []
    if confidence < limits.min_asr_confidence:
        warnings.append(
            QualityWarning(
                "low_asr_confidence",
                f"Mean word confidence is {confidence:.2f}: reduce background noise and echo, and keep the "
                "microphone close to the candidate",
                confidence,
            )
        )
    return {"asr_confidence": confidence}, warnings
