"""Motion signals on real frames: a still scene reads idle, a real webcam clip reads active."""

from __future__ import annotations

from pathlib import Path

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.motion import MotionAnalyzer
from server.config import Settings
from server.media.audio_spool import AudioSpool
from server.media.decoder import decode
from server.pipeline.frames import FrameObserver
from server.runtime import get_runtime
from tests.media_factory import VideoSpec, real_frames, write_recording

RATE = 4.0


def motion_signals(path: Path) -> dict:
    observer = FrameObserver(get_runtime(), detect_faces=False)
    with AudioSpool() as spool:
        info = decode(path, Settings(frame_rate=RATE), observer, spool)
    features = RecordingFeatures(duration_s=info.duration_s, frames=observer.finish(), frame_rate=RATE)
    answer = Answer(index=0, question=None, text="", language="en", start_s=0.0, end_s=info.duration_s)
    return MotionAnalyzer().analyze(answer, features)


def test_a_still_scene_is_one_idle_gap(tmp_path: Path, fixtures_dir: Path) -> None:
    """One real webcam frame held for 6 s (synthetic stillness, real pixels)."""
    still = real_frames(fixtures_dir, 320, 180)[:1]
    path = write_recording(tmp_path / "still.mp4", 6.0, VideoSpec("libx264", 320, 180, fps=15), None, still)
    signals = motion_signals(path)
    assert signals["motion.active_ratio"].value == 0.0
    assert signals["motion.idle_gaps"].value == 1
    gap = signals["motion.idle_gaps"].evidence[0]
    assert gap.end_s - gap.start_s >= 5.0


def test_a_cartoon_is_mostly_active(fixtures_dir: Path) -> None:
    """face_noface.mov cuts from a webcam to an animated film with moving camera and characters."""
    signals = motion_signals(fixtures_dir / "video" / "face_noface.mov")
    assert signals["motion.active_ratio"].value > 0.5
    assert signals["motion.energy"].value > 2.5
    assert signals["motion.pace_per_min"].value > 0
