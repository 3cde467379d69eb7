"""The disk-backed audio spool and the level measures it keeps, on real speech."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from server.media.audio_spool import AudioSpool
from server.media.levels import CLIP_LEVEL, SILENCE_DBFS, measure_levels, spans_levels
from tests.media_factory import real_speech


@pytest.fixture(scope="module")
def speech(fixtures_dir: Path) -> np.ndarray:
    return real_speech(fixtures_dir)


def _open_files_in(folder: Path) -> list[str]:
    """Files this process holds open under ``folder`` (Linux /proc)."""
    links = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            links.append(os.readlink(f"/proc/self/fd/{fd}"))
        except FileNotFoundError:  # the descriptor listdir itself used
            continue
    return [link for link in links if link.startswith(str(folder))]


def test_reads_back_what_was_appended_by_time_range(speech: np.ndarray, tmp_path: Path) -> None:
    with AudioSpool(tmp_path) as spool:
        for start in range(0, speech.size, 4000):  # appended in decoder-sized pieces
            spool.append(speech[start : start + 4000])
        assert spool.duration_s == pytest.approx(speech.size / 16000)
        np.testing.assert_array_equal(spool.read(), speech)
        np.testing.assert_array_equal(spool.read(1.25, 2.5), speech[20000:40000])
        np.testing.assert_array_equal(spool.read(6.0), speech[96000:])
        assert spool.read(-1.0, 0.5).size == 8000  # clamped to the start
        assert spool.read(100.0).size == 0  # past the end
        assert spool.read(3.0, 2.0).size == 0


def test_read_returns_an_independent_float32_copy(speech: np.ndarray, tmp_path: Path) -> None:
    with AudioSpool(tmp_path) as spool:
        spool.append(speech[:16000])
        chunk = spool.read(0.0, 0.5)
        chunk[:] = 0.0
        assert chunk.dtype == np.float32
        np.testing.assert_array_equal(spool.read(0.0, 0.5), speech[:8000])


def test_appending_after_reading_continues_at_the_end(speech: np.ndarray, tmp_path: Path) -> None:
    with AudioSpool(tmp_path) as spool:
        spool.append(speech[:16000])
        spool.read(0.0, 0.25)
        spool.append(speech[16000:32000])
        np.testing.assert_array_equal(spool.read(), speech[:32000])


def test_samples_live_in_a_temporary_file_that_close_releases(speech: np.ndarray, tmp_path: Path) -> None:
    spool = AudioSpool(tmp_path)
    spool.append(speech)
    assert len(_open_files_in(tmp_path)) == 1
    assert list(tmp_path.iterdir()) == []  # unnamed: nothing to leak even if the process dies
    spool.close()
    assert _open_files_in(tmp_path) == []
    with pytest.raises(ValueError, match="closed"):
        spool.read()
    with pytest.raises(ValueError, match="closed"):
        spool.append(speech[:10])


def test_only_mono_is_accepted(tmp_path: Path) -> None:
    with AudioSpool(tmp_path) as spool, pytest.raises(ValueError, match="mono"):
        spool.append(np.zeros((2, 100), dtype=np.float32))


def test_running_levels_match_a_direct_measure(speech: np.ndarray, tmp_path: Path) -> None:
    with AudioSpool(tmp_path) as spool:
        for start in range(0, speech.size, 3000):
            spool.append(speech[start : start + 3000])
        levels = spool.levels
    samples = speech.astype(np.float64)
    assert levels.samples == speech.size
    assert levels.rms_dbfs == pytest.approx(20 * np.log10(np.sqrt(np.mean(samples**2))), abs=1e-4)
    assert levels.peak_dbfs == pytest.approx(20 * np.log10(np.abs(samples).max()), abs=1e-4)
    assert levels.clipped_fraction == 0.0
    direct = measure_levels(speech)
    assert direct.samples == levels.samples and direct.clipped_fraction == levels.clipped_fraction
    assert direct.rms_dbfs == pytest.approx(levels.rms_dbfs, abs=1e-6)


def test_clipping_is_the_share_of_full_scale_samples(speech: np.ndarray) -> None:
    loud = np.clip(speech * 8.0, -1.0, 1.0)
    levels = measure_levels(loud)
    assert levels.clipped_fraction == pytest.approx(np.mean(np.abs(loud) >= CLIP_LEVEL))
    assert levels.clipped_fraction > 0.01
    assert levels.peak_dbfs == pytest.approx(0.0)


def test_silence_and_nothing_have_a_floor_not_minus_infinity() -> None:
    assert measure_levels(np.zeros(1600, dtype=np.float32)).rms_dbfs == SILENCE_DBFS
    empty = measure_levels(np.zeros(0, dtype=np.float32))
    assert (empty.samples, empty.rms_dbfs, empty.clipped_fraction) == (0, SILENCE_DBFS, 0.0)


def test_levels_over_spans_read_only_those_spans(speech: np.ndarray, tmp_path: Path) -> None:
    spans = [(0.5, 1.5), (2.0, 4.25)]
    with AudioSpool(tmp_path) as spool:
        spool.append(speech)
        levels = spans_levels(spool, spans)
    expected = measure_levels(np.concatenate([speech[8000:24000], speech[32000:68000]]))
    assert levels.samples == expected.samples
    assert levels.rms_dbfs == pytest.approx(expected.rms_dbfs, abs=1e-4)
    assert levels.peak_dbfs == pytest.approx(expected.peak_dbfs, abs=1e-6)
