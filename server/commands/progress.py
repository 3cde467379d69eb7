"""A progress line for long remote jobs: upload percentage, then the job's state and progress, on stderr."""

from __future__ import annotations

import sys
from typing import TextIO

from hirelens_client import Job, UploadProgress

WIDTH = 30


class ProgressBar:
    """Redraws one line on a terminal; elsewhere (CI logs, pipes) prints a line per stage only."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._last = ""

    def _show(self, label: str, fraction: float) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        if self._tty:
            filled = round(WIDTH * fraction)
            bar = "#" * filled + "-" * (WIDTH - filled)
            self._stream.write(f"\r{label:<10} [{bar}] {fraction * 100:5.1f}%")
            self._stream.flush()
        elif label != self._last:
            self._stream.write(f"{label}...\n")
            self._stream.flush()
        self._last = label

    def upload(self, progress: UploadProgress) -> None:
        self._show("uploading", progress.fraction)

    def job(self, job: Job) -> None:
        self._show(job.state.value, job.progress)

    def done(self) -> None:
        if self._tty and self._last:
            self._stream.write("\n")
            self._stream.flush()
