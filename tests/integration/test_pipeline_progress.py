"""Progress and cancellation of a real analysis (the sample interview, composed from the shared fixtures).

A cancelled analysis must raise ``Cancelled`` promptly, leave no model work running (the process's CPU time
stays flat afterwards) and close what it opened (the audio spool, the decoder's file).
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from server.pipeline.analyze import analyze_recording
from server.pipeline.cancel import Cancelled, CancelToken
from tests.conftest import REPO_ROOT

SAMPLE = REPO_ROOT / "samples" / "sample_interview.mp4"


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _open_files() -> list[str]:
    """What this process holds open: a leaked spool shows as a deleted temp file, a leaked decoder as the
    recording itself."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            found.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
    return found


def _leaks(before: list[str]) -> list[str]:
    return [
        f
        for f in _open_files()
        if f not in before and (f.startswith("/tmp") or "hirelens" in f or f == str(SAMPLE))
    ]


@pytest.fixture(scope="module")
def warm(runtime, fixtures_dir: Path) -> None:
    """Load every model first, so timings are an analysis's own."""
    analyze_recording(fixtures_dir / "video" / "single_face.mp4")


def test_progress_stages_arrive_in_order_and_rise_to_one(warm) -> None:
    seen: list[tuple[float, str, float]] = []
    result = analyze_recording(
        SAMPLE, progress=lambda stage, share: seen.append((time.monotonic(), stage, share))
    )
    assert result.words
    stages = [stage for _, stage, _ in seen]
    assert stages[0] == "decoding" and stages[-1] == "analysing"
    assert stages == ["decoding"] * stages.count("decoding") + ["analysing"] * stages.count("analysing")
    for name in ("decoding", "analysing"):
        shares = [share for _, stage, share in seen if stage == name]
        assert len(shares) >= 3, f"{name}: too few reports {shares}"
        assert shares == sorted(shares)
        assert all(0.0 <= s <= 1.0 for s in shares)
        assert shares[-1] == pytest.approx(1.0)
        middle = [s for s in shares if 0.1 < s < 0.9]
        assert middle, f"{name}: nothing reported between start and end: {shares}"
    span = seen[-1][0] - seen[0][0]
    assert len(seen) <= 10 * span + 4  # at most about ten a second (plus each stage's first and last)


def _cancel_when(
    stage: str, share: float
) -> tuple[CancelToken, Callable[[str, float], None], threading.Event, list[float]]:
    """A token another thread cancels once progress passes ``share`` of ``stage``, and that progress."""
    token, reached, when = CancelToken(), threading.Event(), []

    def progress(name: str, fraction: float) -> None:
        if name == stage and fraction >= share:
            reached.set()

    def canceller() -> None:
        if reached.wait(120):
            when.append(time.monotonic())
            token.cancel()

    threading.Thread(target=canceller, daemon=True).start()
    return token, progress, reached, when


@pytest.mark.parametrize(
    ("stage", "share"), [("decoding", 0.3), ("analysing", 0.3)], ids=["mid-decode", "mid-asr"]
)
def test_a_cancelled_analysis_stops_promptly_and_leaves_nothing_behind(
    warm, stage: str, share: float
) -> None:
    token, progress, reached, when = _cancel_when(stage, share)
    before = _open_files()
    with pytest.raises(Cancelled):
        analyze_recording(SAMPLE, progress=progress, cancel=token)
    raised = time.monotonic()
    assert reached.is_set() and when, f"progress never reached {stage} {share}"
    # Speech runs beside the video decode, so at either point the recogniser has chunks running: they stop
    # at their next 30 s window before Cancelled is raised; nothing queued starts.
    limit = 4.0
    assert raised - when[0] < limit, f"Cancelled came {raised - when[0]:.2f} s after cancel()"
    cpu = _cpu_s()
    time.sleep(2.0)
    assert _cpu_s() - cpu < 0.5, "model work kept running after Cancelled"
    assert not _leaks(before)
