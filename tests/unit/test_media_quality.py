"""Capture quality on real recordings: warnings fire on real footage made dark, bright, clipped or quiet, and
stay silent on the clean fixtures. Faces are found with dlib's HOG detector, as the face analyzer does."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import cv2
import dlib
import numpy as np
import pytest

from server.analysis.base import Face, FrameObservation
from server.config import Settings
from server.media.audio_spool import AudioSpool
from server.media.decoder import decode
from server.media.frame_sampler import SampledFrame
from server.media.frame_stats import grey, luma_stats, motion
from server.media.levels import AudioLevels, spans_levels
from server.media.probe import MediaInfo, VideoInfo
from server.media.quality import CaptureQuality, QualityThresholds, assess_capture
from tests.media_factory import AudioSpec, VideoSpec, real_frames, real_speech, write_recording

SPEECH_FILES = ["speech_en/sense_and_sensibility_01_austen_64kb-0870.wav", "speech_zh/BAC009S0764W0121.wav"]
FACE_CODES = {"low_light", "overexposed", "low_contrast", "face_not_visible", "multiple_faces"}
AUDIO_CODES = {"audio_too_quiet", "audio_clipping"}


@pytest.fixture(scope="module")
def detector() -> Callable[[np.ndarray], list[dlib.rectangle]]:
    return dlib.get_frontal_face_detector()


def _observe(frames: list[SampledFrame], detector: Callable) -> list[FrameObservation]:
    """FrameObservations as the extraction stage builds them: dlib boxes plus this package's frame stats."""
    observations = []
    previous = None
    for frame in frames:
        luma = grey(frame.rgb)
        faces = tuple(
            Face(box=(box.left(), box.top(), box.right(), box.bottom()), score=1.0, landmarks=())
            for box in detector(frame.rgb, 0)
        )
        largest = max(
            faces, key=lambda face: (face.box[2] - face.box[0]) * (face.box[3] - face.box[1]), default=None
        )
        face_stats = luma_stats(luma, largest.box) if largest else None
        observations.append(
            FrameObservation(
                t=frame.t,
                width=frame.rgb.shape[1],
                height=frame.rgb.shape[0],
                faces=faces,
                luma_mean=luma_stats(luma)[0],
                face_luma_mean=face_stats[0] if face_stats else None,
                face_luma_std=face_stats[1] if face_stats else None,
                motion=motion(previous, luma),
            )
        )
        previous = luma
    return observations


def _decode(path: Path) -> tuple[MediaInfo, list[SampledFrame], AudioLevels]:
    frames: list[SampledFrame] = []
    with AudioSpool() as spool:
        info = decode(path, Settings(), frames.append, spool)
        return info, frames, spans_levels(spool, [(0.0, spool.duration_s)])


def _video_quality(path: Path, detector: Callable) -> CaptureQuality:
    info, frames, _ = _decode(path)
    return assess_capture(video=info.video, frames=_observe(frames, detector))


@pytest.fixture(scope="module")
def face_frames(fixtures_dir: Path) -> list[np.ndarray]:
    return real_frames(fixtures_dir, 480, 270)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("single_face.mp4", set()),
        ("face_noface.mov", {"face_not_visible"}),
        ("no_face.mp4", {"face_not_visible"}),
    ],
)
def test_fixture_videos(fixtures_dir: Path, detector: Callable, name: str, expected: set[str]) -> None:
    quality = _video_quality(fixtures_dir / "video" / name, detector)
    assert set(quality.codes) & FACE_CODES == expected
    assert not {"low_resolution", "low_frame_rate"} & set(quality.codes)


def test_clean_face_measures(fixtures_dir: Path, detector: Callable) -> None:
    quality = _video_quality(fixtures_dir / "video" / "single_face.mp4", detector)
    assert quality.measures["face_visible_share"] == 1.0
    assert 110 < quality.measures["face_luma_mean"] < 150
    assert quality.measures["face_luma_std"] > 30
    assert quality.measures["fps"] == pytest.approx(30.0, abs=0.1)


def test_face_in_half_the_frames(fixtures_dir: Path, detector: Callable) -> None:
    quality = _video_quality(fixtures_dir / "video" / "face_noface.mov", detector)
    assert quality.measures["face_visible_share"] == pytest.approx(5 / 13)
    warning = next(w for w in quality.warnings if w.code == "face_not_visible")
    assert warning.message.startswith("Face visible in only 38% of sampled frames")


@pytest.mark.parametrize(
    ("name", "exposure", "expected"),
    [
        ("dark", lambda rgb: (rgb * 0.3).astype(np.uint8), {"low_light", "low_contrast"}),
        ("bright", lambda rgb: np.clip(rgb * 2.0, 0, 255).astype(np.uint8), {"overexposed"}),
        ("flat", lambda rgb: (rgb * 0.35 + 90).astype(np.uint8), {"low_contrast"}),
    ],
)
def test_badly_lit_face(
    face_frames: list[np.ndarray],
    detector: Callable,
    tmp_path: Path,
    name: str,
    exposure: Callable[[np.ndarray], np.ndarray],
    expected: set[str],
) -> None:
    """The real face clip re-exposed, encoded, decoded and measured like any upload."""
    frames = [exposure(frame.astype(np.float32)) for frame in face_frames]
    path = write_recording(tmp_path / f"{name}.mp4", 1.6, VideoSpec("libx264", 480, 270, 15), None, frames)
    quality = _video_quality(path, detector)
    assert quality.measures["face_visible_share"] == 1.0  # the face is still found: only the light is wrong
    assert set(quality.codes) & FACE_CODES == expected


def test_dark_face_message_gives_value_and_advice(
    face_frames: list[np.ndarray], detector: Callable, tmp_path: Path
) -> None:
    frames = [(frame * 0.3).astype(np.uint8) for frame in face_frames]
    path = write_recording(tmp_path / "dark.mp4", 1.0, VideoSpec("libx264", 480, 270, 15), None, frames)
    warning = next(w for w in _video_quality(path, detector).warnings if w.code == "low_light")
    assert warning.value == pytest.approx(38, abs=3)
    assert (
        warning.message
        == f"Face region is dark (mean luma {warning.value:.0f}/255): add light in front of the candidate"
    )


def test_group_photo_has_multiple_faces(fixtures_dir: Path, detector: Callable) -> None:
    bgr = cv2.imread(str(fixtures_dir / "faces" / "multi_face.jpg"))
    rgb = cv2.cvtColor(cv2.resize(bgr, (480, 320), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
    observations = _observe([SampledFrame(t=i / 2, rgb=rgb) for i in range(4)], detector)
    quality = assess_capture(frames=observations)
    assert quality.measures["multiple_faces_share"] == 1.0
    assert "multiple_faces" in quality.codes


def test_small_slow_video(tmp_path: Path, face_frames: list[np.ndarray]) -> None:
    frames = [cv2.resize(frame, (160, 96), interpolation=cv2.INTER_AREA) for frame in face_frames]
    path = write_recording(tmp_path / "small.mp4", 2.0, VideoSpec("libx264", 160, 96, fps=10), None, frames)
    info, _, _ = _decode(path)
    quality = assess_capture(video=info.video)
    assert set(quality.codes) == {"low_resolution", "low_frame_rate"}
    assert quality.measures["fps"] == pytest.approx(10.0, abs=0.05)
    assert "Video is 160x96" in quality.warnings[0].message


@pytest.mark.parametrize("name", SPEECH_FILES)
def test_clean_speech_has_no_audio_warning(fixtures_dir: Path, name: str) -> None:
    _, _, levels = _decode(fixtures_dir / name)
    quality = assess_capture(speech_levels=levels)
    assert quality.codes == ()
    assert quality.measures["clipped_fraction"] == 0.0


@pytest.mark.parametrize(
    ("gain", "expected"),
    [(8.0, "audio_clipping"), (0.01, "audio_too_quiet")],
)
def test_speech_recorded_too_hot_or_too_quiet(
    fixtures_dir: Path, tmp_path: Path, gain: float, expected: str
) -> None:
    speech = np.clip(real_speech(fixtures_dir) * gain, -1.0, 1.0)
    path = write_recording(tmp_path / "speech.wav", 7.0, None, AudioSpec("pcm_s16le"), speech=speech)
    _, _, levels = _decode(path)
    quality = assess_capture(speech_levels=levels)
    assert set(quality.codes) & AUDIO_CODES == {expected}


def test_loud_speech_that_does_not_clip_is_not_flagged(fixtures_dir: Path, tmp_path: Path) -> None:
    speech = real_speech(fixtures_dir)
    loud = speech / np.abs(speech).max() * 0.999  # peaks at -0.01 dBFS
    path = write_recording(tmp_path / "loud.m4a", 7.0, None, AudioSpec("aac", 44100), speech=loud)
    _, _, levels = _decode(path)
    assert assess_capture(speech_levels=levels).codes == ()


def test_clipping_survives_lossy_coding_in_the_message(fixtures_dir: Path, tmp_path: Path) -> None:
    speech = np.clip(real_speech(fixtures_dir) * 8.0, -1.0, 1.0)
    path = write_recording(tmp_path / "hot.m4a", 7.0, None, AudioSpec("aac", 44100), speech=speech)
    _, _, levels = _decode(path)
    warning = assess_capture(speech_levels=levels).warnings[0]
    assert warning.code == "audio_clipping" and warning.value > 0.01
    assert warning.message.endswith("of audio samples are clipped: lower the microphone input gain")


def test_head_turned_share() -> None:
    quality = assess_capture(yaw_deg=[0.0, 5.0, -45.0, 50.0, -10.0])
    assert quality.measures["head_turned_share"] == pytest.approx(0.4)
    assert quality.codes == ("head_turned",)
    assert assess_capture(yaw_deg=[0.0, 12.0, -29.0, 31.0]).codes == ()


def test_speech_share_from_vad_segments() -> None:
    quality = assess_capture(duration_s=100.0, speech_segments=[(-5.0, 10.0), (50.0, 60.0), (95.0, 130.0)])
    assert quality.measures["speech_share"] == pytest.approx(0.25)
    assert quality.codes == ()
    assert assess_capture(duration_s=100.0, speech_segments=[(0.0, 20.0)]).codes == ("little_speech",)
    found_none = assess_capture(duration_s=100.0, speech_segments=[])
    assert found_none.measures["speech_share"] == 0.0 and found_none.codes == ("little_speech",)


def test_recognition_confidence() -> None:
    assert assess_capture(word_probabilities=[0.9, 0.8, 0.95]).codes == ()
    quality = assess_capture(word_probabilities=[0.3, 0.5, 0.7])
    assert quality.measures["asr_confidence"] == pytest.approx(0.5)
    assert quality.codes == ("low_asr_confidence",)
    assert "Mean word confidence is 0.50" in quality.warnings[0].message


def test_json_form() -> None:
    quality = assess_capture(word_probabilities=[0.3, 0.5, 0.7], yaw_deg=[0.0])
    assert json.loads(json.dumps(quality.to_dict())) == {
        "measures": {"head_turned_share": 0.0, "asr_confidence": 0.5},
        "warnings": [{"code": "low_asr_confidence", "message": quality.warnings[0].message, "value": 0.5}],
    }


def test_absent_inputs_are_not_measured() -> None:
    """A text-only interview has nothing to measure; an audio-only one has no face or video measures."""
    nothing = assess_capture()
    assert dict(nothing.measures) == {} and nothing.warnings == ()
    audio_only = assess_capture(
        speech_levels=AudioLevels(16000, -25.0, -6.0, 0.0), duration_s=10.0, speech_segments=[(0.0, 8.0)]
    )
    assert set(audio_only.measures) == {"speech_rms_dbfs", "clipped_fraction", "speech_share"}
    assert assess_capture(speech_levels=AudioLevels(0, -120.0, -120.0, 0.0)).measures == {}
    assert assess_capture(duration_s=0.0, speech_segments=[]).measures == {}


def test_thresholds_are_adjustable() -> None:
    video = VideoInfo(codec="h264", width=640, height=360, fps=30.0)
    assert assess_capture(video=video).codes == ()
    strict = QualityThresholds(min_short_side_px=720)
    assert assess_capture(video=video, thresholds=strict).codes == ("low_resolution",)


def test_frame_stats_on_a_real_frame(face_frames: list[np.ndarray]) -> None:
    frame = face_frames[0]
    luma = grey(frame)
    expected = frame.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    assert np.abs(luma.astype(np.float64) - expected).max() <= 1.0
    mean, std = luma_stats(luma, (100.4, 50.0, 200.0, 150.6))
    region = luma[50:151, 100:200].astype(np.float64)
    assert (mean, std) == pytest.approx((region.mean(), region.std()))
    assert luma_stats(luma, (-50.0, -50.0, 10.0, 10.0)) == pytest.approx(luma_stats(luma[:10, :10]))
    assert luma_stats(luma, (500.0, 10.0, 600.0, 100.0)) is None


def test_motion_between_real_frames(face_frames: list[np.ndarray]) -> None:
    first, later = grey(face_frames[0]), grey(face_frames[30])
    assert motion(None, first) == 0.0
    assert motion(first, first) == 0.0
    assert motion(first, later) == pytest.approx(np.abs(first.astype(float) - later.astype(float)).mean())
    assert motion(first, later) > 1.0
    assert motion(first, cv2.resize(later, (240, 135))) == 0.0
