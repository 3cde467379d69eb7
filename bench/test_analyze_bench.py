"""How fast the analysis runs on the 5-minute 720p30 sample interview, against the decode floor.

Run: ``make bench`` (or ``.venv/bin/pytest bench --benchmark-enable``). Each benchmark stores the realtime
factor (recording seconds per wall second) and the process's peak memory in ``extra_info``.
"""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from bench.conftest import peak_rss_mb
from server.config import Settings
from server.media.audio_spool import AudioSpool
from server.media.decoder import decode
from server.pipeline.analyze import analyze_recording
from server.pipeline.audio_features import extract_speech
from server.pipeline.frames import FrameObserver
from server.pipeline.questions import load_questions
from server.runtime import get_runtime

ROUNDS = 2


def _record(benchmark, duration_s: float) -> None:
    benchmark.extra_info["recording_s"] = round(duration_s, 1)
    benchmark.extra_info["realtime_factor"] = round(duration_s / benchmark.stats.stats.mean, 1)
    benchmark.extra_info["peak_rss_mb"] = round(peak_rss_mb())


def _duration(path: Path) -> float:
    with av.open(str(path)) as container:
        return container.duration / av.time_base


@pytest.fixture(scope="module")
def warm_runtime(sample: Path):
    """Models load once per process in production; load them before timing."""
    analyze_recording(sample, load_questions(sample.with_suffix(".questions.json")))
    return get_runtime()


def test_decode_every_frame(benchmark, sample: Path) -> None:
    """The floor: PyAV decoding every video and audio frame, converting nothing."""

    def run() -> None:
        with av.open(str(sample)) as container:
            for stream in container.streams:
                stream.thread_type = "AUTO"
            for _ in container.decode(*container.streams):
                pass

    benchmark.pedantic(run, rounds=ROUNDS, iterations=1)
    _record(benchmark, _duration(sample))


def test_decode_as_analysis_does(benchmark, sample: Path) -> None:
    """HireLens' one decode pass: frames sampled at 2 fps to RGB, audio resampled and spooled to disk."""

    def run() -> None:
        with AudioSpool() as spool:
            decode(sample, Settings(), lambda frame: None, spool)

    benchmark.pedantic(run, rounds=ROUNDS, iterations=1)
    _record(benchmark, _duration(sample))


def test_decode_with_faces(benchmark, sample: Path, warm_runtime) -> None:
    """The decode pass plus face detection, light and motion on every sampled frame."""

    def run() -> None:
        observer = FrameObserver(warm_runtime)
        with AudioSpool() as spool:
            decode(sample, warm_runtime.settings, observer, spool)
        observer.finish()

    benchmark.pedantic(run, rounds=ROUNDS, iterations=1)
    _record(benchmark, _duration(sample))


def test_speech_features(benchmark, sample: Path, warm_runtime) -> None:
    """VAD, language identification, Whisper tiny.en and pitch/loudness on the spooled audio."""
    spool = AudioSpool()
    decode(sample, warm_runtime.settings, lambda frame: None, spool)
    try:
        benchmark.pedantic(lambda: extract_speech(warm_runtime, spool, "auto"), rounds=ROUNDS, iterations=1)
    finally:
        spool.close()
    _record(benchmark, _duration(sample))


def test_analyze_sample_interview(benchmark, sample: Path, warm_runtime) -> None:
    """The whole analysis, models already loaded: what each further interview costs a running server."""
    questions = load_questions(sample.with_suffix(".questions.json"))
    result = benchmark.pedantic(lambda: analyze_recording(sample, questions), rounds=ROUNDS, iterations=1)
    assert len(result.answers) == len(questions)
    _record(benchmark, result.duration_s)
