"""CancelToken and ProgressReporter: what a job runner uses to stop an analysis and show how far it got."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from server.errors import HireLensError
from server.pipeline.cancel import Cancelled, CancelToken, ProgressReporter


def test_a_fresh_token_is_not_cancelled() -> None:
    token = CancelToken()
    assert not token.cancelled
    token.raise_if_cancelled()


def test_cancel_sticks_and_raises_a_hirelens_error_named_cancelled() -> None:
    token = CancelToken()
    token.cancel()
    assert token.cancelled
    with pytest.raises(Cancelled, match=r"^cancelled$") as raised:
        token.raise_if_cancelled()
    assert isinstance(raised.value, HireLensError)
    token.cancel()  # twice is harmless
    assert token.cancelled


def test_cancel_from_another_thread_is_seen() -> None:
    token = CancelToken()
    thread = threading.Thread(target=token.cancel)
    thread.start()
    thread.join()
    assert token.cancelled


def test_the_check_predicate_cancels_and_the_answer_sticks() -> None:
    answers = iter([False, True])
    token = CancelToken(lambda: next(answers), interval_s=0.0)
    assert not token.cancelled
    assert token.cancelled
    assert token.cancelled  # not asked again: the iterator is spent and would raise
    with pytest.raises(Cancelled):
        token.raise_if_cancelled()


def test_seen_reports_a_cancellation_without_running_the_check() -> None:
    """What a model's thread asks: it must not query (or fail with) the job database."""
    calls: list[int] = []
    token = CancelToken(lambda: calls.append(1) is None, interval_s=0.0)
    assert not token.seen and not calls
    assert token.cancelled and calls == [1]
    assert token.seen and calls == [1]


def test_the_check_predicate_runs_at_most_once_per_interval() -> None:
    calls: list[float] = []
    token = CancelToken(lambda: calls.append(time.monotonic()) is None and False, interval_s=0.2)
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        assert not token.cancelled
    assert 2 <= len(calls) <= 3
    assert all(b - a >= 0.19 for a, b in itertools.pairwise(calls))  # clock reads apart


def test_the_default_interval_is_a_second() -> None:
    calls: list[int] = []
    token = CancelToken(lambda: calls.append(1) is None and False)
    for _ in range(10_000):
        token.raise_if_cancelled()
    assert len(calls) == 1


def test_a_slow_check_does_not_hold_up_other_threads() -> None:
    """While one thread waits on the database, the others go on with the last answer."""
    started, release = threading.Event(), threading.Event()

    def slow_check() -> bool:
        started.set()
        release.wait(5)
        return True

    token = CancelToken(slow_check, interval_s=0.0)
    checker = threading.Thread(target=lambda: token.cancelled)
    checker.start()
    assert started.wait(5)
    began = time.monotonic()
    assert not token.cancelled
    assert time.monotonic() - began < 0.1
    release.set()
    checker.join()
    assert token.cancelled


def test_a_failing_check_propagates() -> None:
    def broken() -> bool:
        raise ConnectionError("database gone")

    with pytest.raises(ConnectionError):
        CancelToken(broken).raise_if_cancelled()


def test_progress_is_throttled_monotonic_and_stage_ordered() -> None:
    seen: list[tuple[str, float]] = []
    reporter = ProgressReporter(lambda stage, share: seen.append((stage, share)), max_rate=10.0)
    began = time.monotonic()
    for i in range(2001):
        reporter.report("decoding", i / 2000)
    reporter.report("decoding", 0.5)  # going back is ignored
    elapsed = time.monotonic() - began
    reporter.report("analysing", 0.2)
    reporter.report("decoding", 0.9)  # a late report of an earlier stage is dropped
    reporter.report("analysing", 1.0)
    decoding = [share for stage, share in seen if stage == "decoding"]
    assert decoding[0] == 0.0 and decoding[-1] == 1.0
    assert decoding == sorted(decoding)
    assert len(decoding) <= 2 + elapsed * 10 + 1
    assert [s for s in seen if s[0] == "analysing"] == [("analysing", 0.2), ("analysing", 1.0)]
    stages = [stage for stage, _ in seen]
    assert stages == sorted(stages, key=["decoding", "analysing"].index)


def test_progress_without_a_callback_does_nothing() -> None:
    ProgressReporter(None).report("decoding", 0.5)
