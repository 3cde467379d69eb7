"""Choose which decoded video frames are kept: one per sampling interval, on a fixed time grid."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# A frame this close before a grid point (in intervals) counts as on it: timestamps in coarse time bases
# land a hair early, and skipping such a frame would shift every later sample by a whole frame.
_TOLERANCE = 1e-3


@dataclass(frozen=True, slots=True)
class SampledFrame:
    """One kept frame: its time on the recording's timeline and its pixels at analysis size."""

    t: float
    rgb: np.ndarray  # H x W x 3 uint8


class FrameSampler:
    """Keeps the first frame at or after each grid point k / rate (k = 0, 1, ...).

    Frames must be offered in time order. When frames are sparser than the grid (a gap, a low frame rate),
    one frame covers all the grid points it passed, so no frame is ever kept twice.
    """

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"sampling rate must be positive, got {rate}")
        self.rate = rate
        self._next = 0  # index of the next grid point

    def wants(self, t: float) -> bool:
        position = t * self.rate
        if position < self._next - _TOLERANCE:
            return False
        self._next = math.floor(position + _TOLERANCE) + 1
        return True
