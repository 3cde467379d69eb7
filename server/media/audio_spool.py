"""A disk-backed store for a recording's audio: 16 kHz mono float32, appended while decoding, read by range.

An hour of audio is 230 MB as float32; keeping it in an anonymous temporary file instead of memory keeps the
server's footprint flat whatever the recording's length, and the OS deletes the file even if the process dies.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import numpy as np

from server.media.levels import AudioLevels, LevelMeter

_BYTES_PER_SAMPLE = 4


class AudioSpool:
    """16 kHz mono float32 samples in a temporary file; also keeps running level statistics."""

    sample_rate: int = 16000

    def __init__(self, directory: Path | None = None) -> None:
        self._file: IO[bytes] | None = tempfile.TemporaryFile(  # noqa: SIM115 - closed by close()
            prefix="hirelens-audio-", dir=directory
        )
        self._samples = 0
        self._meter = LevelMeter()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def duration_s(self) -> float:
        return self._samples / self.sample_rate

    @property
    def levels(self) -> AudioLevels:
        """Levels of everything appended so far: silence-only recordings show here without a re-read."""
        return self._meter.levels()

    def append(self, samples: np.ndarray) -> None:
        """Add mono samples at ``sample_rate`` to the end."""
        data = np.ascontiguousarray(samples, dtype=np.float32)
        if data.ndim != 1:
            raise ValueError(f"AudioSpool takes mono samples, got shape {data.shape}")
        file = self._open_file()
        file.seek(self._samples * _BYTES_PER_SAMPLE)
        file.write(memoryview(data).cast("B"))
        self._samples += data.size
        self._meter.add(data)

    def read(self, start_s: float = 0.0, end_s: float | None = None) -> np.ndarray:
        """A float32 copy of the samples from ``start_s`` to ``end_s`` (clamped to what was appended)."""
        file = self._open_file()
        first = min(self._samples, max(0, round(start_s * self.sample_rate)))
        last = self._samples if end_s is None else min(self._samples, max(0, round(end_s * self.sample_rate)))
        out = np.empty(max(0, last - first), dtype=np.float32)
        if out.size:
            file.seek(first * _BYTES_PER_SAMPLE)
            file.readinto(memoryview(out).cast("B"))
        return out

    def close(self) -> None:
        """Delete the temporary file; further reads or appends raise ``ValueError``."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def _open_file(self) -> IO[bytes]:
        if self._file is None:
            raise ValueError("AudioSpool is closed")
        return self._file
