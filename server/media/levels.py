"""Audio level measures (RMS, peak, clipping), accumulated chunk by chunk so long audio never sits in memory.

Levels are in dBFS with full scale 1.0 (a full-scale sine reads -3 dBFS RMS); digital silence reads
``SILENCE_DBFS`` rather than minus infinity so results stay plain numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from server.media.audio_spool import AudioSpool

# |x| at or above this (-0.9 dBFS) counts as clipped. Not 0.99: lossy codecs smear a clipped plateau, so
# speech with 6% of its samples clipped, coded as AAC and decoded, has only 0.05% left at 0.99 but 2% at 0.9,
# while loud unclipped speech peaking at -0.01 dBFS has 0.03% at 0.9 (measured; docs/media.md).
CLIP_LEVEL = 0.9
SILENCE_DBFS = -120.0
_CHUNK_S = 60.0


@dataclass(frozen=True, slots=True)
class AudioLevels:
    """Loudness of a stretch of audio; ``samples`` == 0 means there was nothing to measure.

    ``clipped_fraction`` is the share of samples at or above ``CLIP_LEVEL``.
    """

    samples: int
    rms_dbfs: float
    peak_dbfs: float
    clipped_fraction: float


class LevelMeter:
    """Accumulates level statistics over successive chunks of float samples."""

    def __init__(self) -> None:
        self._samples = 0
        self._sum_squares = 0.0
        self._peak = 0.0
        self._clipped = 0

    def add(self, samples: np.ndarray) -> None:
        if samples.size == 0:
            return
        magnitude = np.abs(samples)
        wide = samples.astype(np.float64)  # float32 sums lose precision over an hour of samples
        self._samples += samples.size
        self._sum_squares += float(np.dot(wide, wide))
        self._peak = max(self._peak, float(magnitude.max()))
        self._clipped += int(np.count_nonzero(magnitude >= CLIP_LEVEL))

    def levels(self) -> AudioLevels:
        if self._samples == 0:
            return AudioLevels(0, SILENCE_DBFS, SILENCE_DBFS, 0.0)
        rms = math.sqrt(self._sum_squares / self._samples)
        return AudioLevels(self._samples, _dbfs(rms), _dbfs(self._peak), self._clipped / self._samples)


def measure_levels(samples: np.ndarray) -> AudioLevels:
    """Levels of one in-memory buffer of float samples."""
    meter = LevelMeter()
    meter.add(np.asarray(samples, dtype=np.float32))
    return meter.levels()


def spans_levels(spool: AudioSpool, spans: Iterable[tuple[float, float]]) -> AudioLevels:
    """Levels over the given time spans of a spool (e.g. VAD speech segments), read a minute at a time."""
    meter = LevelMeter()
    for start_s, end_s in spans:
        position = start_s
        while position < end_s:
            stop = min(end_s, position + _CHUNK_S)
            meter.add(spool.read(position, stop))
            position = stop
    return meter.levels()


def _dbfs(amplitude: float) -> float:
    return max(SILENCE_DBFS, 20.0 * math.log10(amplitude)) if amplitude > 0 else SILENCE_DBFS
