"""Which decoded frames the sampler keeps."""

from __future__ import annotations

import pytest

from server.media.frame_sampler import FrameSampler


def _kept(rate: float, times: list[float]) -> list[float]:
    sampler = FrameSampler(rate)
    return [t for t in times if sampler.wants(t)]


def test_first_frame_at_or_after_each_grid_point() -> None:
    times_30fps = [i / 30 for i in range(75)]
    assert _kept(2.0, times_30fps) == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0])
    times_15fps = [i / 15 for i in range(24)]
    assert _kept(2.0, times_15fps) == pytest.approx([0.0, 8 / 15, 1.0, 23 / 15])


def test_a_hair_before_a_grid_point_counts_as_on_it() -> None:
    """Timestamps in coarse time bases land slightly early; that frame, not the next, is the sample."""
    assert _kept(2.0, [0.0, 0.4999999, 0.5333, 0.9999999, 1.0333]) == [0.0, 0.4999999, 0.9999999]


def test_a_gap_yields_one_frame_not_a_burst() -> None:
    assert _kept(2.0, [0.0, 0.1, 3.2, 3.3, 3.5, 3.6, 4.0]) == [0.0, 3.2, 3.5, 4.0]


def test_frames_before_the_start_are_ignored() -> None:
    assert _kept(1.0, [-0.5, -0.1, 0.0, 0.5, 1.0]) == [0.0, 1.0]


def test_sampling_as_fast_as_the_video_keeps_every_frame() -> None:
    times = [i / 30 for i in range(60)]
    assert _kept(30.0, times) == times


@pytest.mark.parametrize("rate", [0.0, -1.0])
def test_rate_must_be_positive(rate: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        FrameSampler(rate)
