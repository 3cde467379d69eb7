"""Cooperative cancellation of one analysis, and throttled progress reports.

A job runner cancels an analysis from another thread (a user pressed cancel, the job was deleted) or through
``check``, a predicate it supplies (e.g. "the database says this job was cancelled"). The pipeline asks the
token often (every few decoded packets, between ASR chunks, between answers), so a cancelled analysis stops
within about a second. ``check`` may be slow (a database query), so it runs at most once per ``interval_s``
whatever the number of callers; a cancellation it reports sticks.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from server.errors import HireLensError

STAGES = ("decoding", "analysing")


class Cancelled(HireLensError):
    """The analysis was cancelled; nothing of it is kept."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)


class CancelToken:
    """Thread-safe: ``cancel()`` from any thread; ``cancelled`` / ``raise_if_cancelled()`` from the workers.

    An exception raised by ``check`` propagates to the caller of ``cancelled`` (the analysis fails with it):
    the job runner decides what a failing check means.
    """

    def __init__(self, check: Callable[[], bool] | None = None, *, interval_s: float = 1.0) -> None:
        self._event = threading.Event()
        self._check = check
        self._interval_s = interval_s
        self._checking = threading.Lock()
        self._last_check = -math.inf

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        if self._event.is_set():
            return True
        # One caller runs the predicate; others meanwhile see the last answer instead of queueing on it.
        due = self._check is not None and time.monotonic() - self._last_check >= self._interval_s
        if due and self._checking.acquire(blocking=False):
            try:
                if self._check is not None and time.monotonic() - self._last_check >= self._interval_s:
                    self._last_check = time.monotonic()
                    if self._check():
                        self._event.set()
            finally:
                self._checking.release()
        return self._event.is_set()

    @property
    def seen(self) -> bool:
        """Whether a cancellation has been seen, without running ``check``: cheap and safe in a model's
        thread, which must not wait on (or fail with) the job database; the pipeline's own checks keep it
        current."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self.cancelled:
            raise Cancelled()


ProgressCallback = Callable[[str, float], None]


class ProgressReporter:
    """Forwards ``(stage, fraction)`` to a caller's callback at most ``max_rate`` times a second.

    Stages only move forward (a late report of an earlier stage is dropped), fractions never go back within
    a stage, and the first report of a stage and its completion (1.0) are always passed on.
    """

    def __init__(self, callback: ProgressCallback | None, max_rate: float = 10.0) -> None:
        self._callback = callback
        self._min_gap_s = 1.0 / max_rate
        self._lock = threading.Lock()
        self._stage = -1
        self._fraction = 0.0
        self._sent = -1.0  # the fraction last passed on in the current stage
        self._sent_at = -math.inf

    def report(self, stage: str, fraction: float) -> None:
        if self._callback is None:
            return
        index = STAGES.index(stage)
        fraction = min(1.0, max(0.0, fraction))
        with self._lock:
            if index < self._stage:
                return
            if index > self._stage:
                self._stage, self._fraction, self._sent = index, fraction, -1.0
            self._fraction = max(self._fraction, fraction)
            now = time.monotonic()
            finished = self._fraction >= 1.0 > self._sent
            due = self._sent < 0 or finished or now - self._sent_at >= self._min_gap_s
            if not due or self._fraction <= self._sent:
                return
            self._sent, self._sent_at = self._fraction, now
            # Called under the lock so reports from several threads reach the caller in order.
            self._callback(stage, self._fraction)
