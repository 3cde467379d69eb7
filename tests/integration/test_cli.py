"""``hirelens analyze`` as a user runs it: a real process, real files, exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import REPO_ROOT
from tests.media_factory import (
    AudioSpec,
    VideoSpec,
    real_frames,
    real_speech,
    truncated,
    with_matroska_duration,
    without_tracks,
    write_recording,
)

HANG_GUARD_S = 120  # a bad file must fail in seconds; this only stops a hung test run


def hirelens(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *map(str, args)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("hirelens: error: ")
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def _silent_wav(path: Path, seconds: float) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(np.zeros(int(seconds * 16000), np.int16).tobytes())
    return path


def _bad_files(tmp: Path, fixtures: Path) -> dict[str, tuple[Path, tuple[str, ...]]]:
    single = fixtures / "video" / "single_face.mp4"
    (tmp / "zero.mp4").write_bytes(b"")
    (tmp / "random.mp4").write_bytes(np.random.default_rng(1).bytes(50_000))
    (tmp / "notes.mp4").write_text("Candidate notes: strong on SQL.\n" * 50)
    huge_frame = cv2.resize(real_frames(fixtures, 640, 360)[0], (8192, 4320), interpolation=cv2.INTER_NEAREST)
    huge = write_recording(tmp / "huge.mp4", 1.0, VideoSpec("libx264", 8192, 4320, fps=1), None, [huge_frame])
    short = write_recording(
        tmp / "short.webm",
        1.6,
        VideoSpec("libvpx"),
        AudioSpec("libopus", 48000),
        real_frames(fixtures, 160, 96),
        real_speech(fixtures),
    )
    return {
        "zero bytes": (tmp / "zero.mp4", ("zero.mp4", "empty")),
        "truncated mp4": (truncated(single, tmp / "cut.mp4", 0.5), ("cut.mp4",)),
        "random bytes": (tmp / "random.mp4", ("random.mp4",)),
        "text renamed .mp4": (tmp / "notes.mp4", ("notes.mp4",)),
        "no streams": (without_tracks(single, tmp / "no_tracks.mp4"), ("no audio or video stream",)),
        "silence only": (_silent_wav(tmp / "silence.wav", 4.0), ("no speech found",)),
        "absurd frame size": (huge, ("frame size 8192x4320 exceeds the limit",)),
        "absurd duration": (
            with_matroska_duration(short, tmp / "endless.webm", 10 * 3600),
            ("declared duration 10.0 h exceeds the limit",),
        ),
        "missing file": (tmp / "absent.mp4", ("absent.mp4", "file not found")),
    }


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory, fixtures_dir: Path):
    return _bad_files(tmp_path_factory.mktemp("bad"), fixtures_dir)


@pytest.mark.parametrize(
    "case",
    [
        "zero bytes",
        "truncated mp4",
        "random bytes",
        "text renamed .mp4",
        "no streams",
        "silence only",
        "absurd frame size",
        "absurd duration",
        "missing file",
    ],
)
def test_bad_input_is_refused_with_a_clear_message(bad_files, case: str) -> None:
    path, fragments = bad_files[case]
    assert_refused(hirelens("analyze", path, "--json"), *fragments)


def test_bad_questions_file_is_refused(tmp_path: Path, fixtures_dir: Path) -> None:
    questions = tmp_path / "questions.json"
    questions.write_text('[{"question": "Why us?", "start_s": 9, "end_s": 3}]')
    result = hirelens("analyze", fixtures_dir / "video" / "single_face.mp4", "--questions", questions)
    assert_refused(result, "questions.json", "end_s (3.0) must be after start_s (9.0)")


def test_video_json_has_the_documented_shape(fixtures_dir: Path) -> None:
    result = hirelens("analyze", fixtures_dir / "video" / "single_face.mp4", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert {"duration_s", "language", "quality", "transcript", "answers", "signals"} <= set(out)
    assert "warnings" in out["quality"]
    assert {"text", "words"} <= set(out["transcript"])
    answer = out["answers"][0]
    assert {"question", "start_s", "end_s", "transcript", "signals"} <= set(answer)
    presence = answer["signals"]["face.presence"]
    assert presence["value"] >= 0.9 and isinstance(presence["evidence"], list)
    assert all(set(signal) == {"value", "evidence"} for signal in out["signals"].values())


def test_text_only_answers_in_both_languages(tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(
        json.dumps(
            [
                {
                    "question": "Tell me about a time you led a team.",
                    "answer": "Um, last year our checkout failed under load. I was asked to fix it "
                    "before the sale. We profiled the database and I rewrote the slow queries. "
                    "As a result, errors fell by 80%.",
                },
                {
                    "question": "你如何处理客户投诉？",
                    "answer": "嗯，我认为关键是先倾听。首先，我会记录问题；其次，我们在两小时内给出方案。"
                    "结果投诉率下降了百分之三十。总之，倾听和速度最重要。",
                },
            ],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    result = hirelens("analyze", "--answers", answers, "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    english = out["answers"][0]["signals"]
    assert english["speech.filler_count"]["value"] >= 1
    assert english["text.star.complete"]["value"] is True
    assert english["text.quantified_results"]["value"] >= 1
    assert out["transcript"]["words"] == []


def test_human_report_is_printed_without_json(fixtures_dir: Path) -> None:
    result = hirelens("analyze", fixtures_dir / "video" / "no_face.mp4")
    assert result.returncode == 0, result.stderr
    assert "Capture quality:" in result.stdout
    assert "face_not_visible" in result.stdout
