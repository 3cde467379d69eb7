"""Benchmarks run on the bundled sample interview; `make bench` enables pytest-benchmark."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "sample_interview.mp4"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture(scope="session")
def sample() -> Path:
    return SAMPLE
