"""Triton-style dynamic batching in front of one model instance group.

Requests queue up; a worker takes the first, then keeps taking requests whose non-batch shapes match until
``max_batch_size`` rows are gathered or ``max_queue_delay_microseconds`` has passed since the first arrived,
and hands the list to the model's ``execute(requests)`` (as Triton's Python backend does: the model gets a
list, one response per request). As in Triton, only a model whose config has ``dynamic_batching`` gets
requests gathered; any other model (``max_batch_size: 0`` or not) gets one request per call, which may itself
hold up to ``max_batch_size`` rows.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from server.errors import InferenceRejected, InferenceUnavailable
from server.runtime import pb_utils

log = logging.getLogger(__name__)

ExecuteFn = Callable[[list[pb_utils.InferenceRequest]], list[pb_utils.InferenceResponse]]
# Called after each successful execute with (model name, rows in the batch, seconds the execute took), on the
# worker thread: a metrics exporter needs per-execution timings, which BatchStats' counters cannot give.
BatchObserver = Callable[[str, int, float], None]


@dataclass(slots=True)
class _Pending:
    request: pb_utils.InferenceRequest
    rows: int
    shape_key: tuple
    future: Future = field(default_factory=Future)


@dataclass(slots=True)
class BatchStats:
    """Counters a metrics exporter can read: executions, requests and the batch-size histogram."""

    executions: int = 0
    requests: int = 0
    batch_sizes: dict[int, int] = field(default_factory=dict)


def _shape_key(request: pb_utils.InferenceRequest, batched: bool) -> tuple:
    """Requests batch together only when every input has the same dtype and non-batch dims."""
    skip = 1 if batched else 0
    return tuple(
        (t.name(), t.as_numpy().dtype.str, t.as_numpy().shape[skip:])
        for t in sorted(request.inputs(), key=_name)
    )


def _name(tensor: pb_utils.Tensor) -> str:
    return tensor.name()


class DynamicBatcher:
    """Queues requests for one model and runs them on ``instances`` worker threads."""

    def __init__(
        self,
        execute: Sequence[ExecuteFn],
        max_batch_size: int,
        max_queue_delay_us: int,
        name: str = "",
        on_batch: BatchObserver | None = None,
        dynamic: bool = True,
    ) -> None:
        self.name = name
        self.on_batch = on_batch
        self.max_batch_size = max_batch_size
        self.dynamic = dynamic
        self._closed = False
        self.max_queue_delay_s = max_queue_delay_us / 1e6
        self.stats = BatchStats()
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._carry: list[_Pending] = []
        self._lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self._workers = [
            threading.Thread(target=self._run, args=(fn,), name=f"batcher-{name}-{i}", daemon=True)
            for i, fn in enumerate(execute)
        ]
        for worker in self._workers:
            worker.start()

    def submit(self, request: pb_utils.InferenceRequest) -> Future:
        """Queue one request; the future resolves to its InferenceResponse."""
        batched = self.max_batch_size > 0
        rows = 1
        if batched:
            rows = request.inputs()[0].as_numpy().shape[0] if request.inputs() else 1
            if rows > self.max_batch_size:
                return _refused(
                    InferenceRejected(
                        f"batch of {rows} exceeds the model's max_batch_size {self.max_batch_size}"
                    )
                )
        pending = _Pending(request, rows, _shape_key(request, batched))
        with self._lock:  # a request queued after close would wait for a worker that is gone
            if self._closed:
                return _refused(self._closed_error())
            self._queue.put(pending)
        return pending.future

    def queue_depth(self) -> int:
        return self._queue.qsize() + len(self._carry)

    def close(self, timeout_s: float = 5.0) -> None:
        """Fail every request still waiting (UNAVAILABLE) at once, let each worker finish the batch it runs,
        then stop the workers: no request is left unresolved, so no caller waits on a model that is gone."""
        with self._lock:
            self._closed = True
            waiting, self._carry = self._carry, []
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    waiting.append(item)
            for _ in self._workers:
                self._queue.put(None)
        self._fail(waiting)
        for worker in self._workers:
            worker.join(timeout=timeout_s)
        with self._lock:  # a worker gathering at the close may have set one aside
            late, self._carry = self._carry, []
        self._fail(late)

    def _fail(self, items: list[_Pending]) -> None:
        for item in items:
            if item.future.set_running_or_notify_cancel():
                item.future.set_exception(self._closed_error())

    def _closed_error(self) -> InferenceUnavailable:
        return InferenceUnavailable(f"model '{self.name}' is shut down: the server is stopping")

    def _next(self, timeout: float | None) -> _Pending | None:
        with self._lock:
            if self._carry:
                return self._carry.pop(0)
        return (
            self._queue.get(timeout=timeout) if timeout is None or timeout > 0 else self._queue.get_nowait()
        )

    def _gather(self, first: _Pending) -> list[_Pending]:
        batch, rows = [first], first.rows
        if self.max_batch_size <= 0 or not self.dynamic:
            return batch
        deadline = time.monotonic() + self.max_queue_delay_s
        while rows < self.max_batch_size:
            try:
                item = self._next(max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)
                break
            if item.shape_key != first.shape_key or rows + item.rows > self.max_batch_size:
                with self._lock:
                    self._carry.append(item)
                break
            batch.append(item)
            rows += item.rows
        return batch

    def _run(self, execute: ExecuteFn) -> None:
        while True:
            first = self._next(None)
            if first is None:
                return
            batch = self._gather(first)
            self._execute(execute, batch)

    def _execute(self, execute: ExecuteFn, batch: list[_Pending]) -> None:
        batch = [item for item in batch if item.future.set_running_or_notify_cancel() and _wanted(item)]
        if not batch:
            return
        started = time.perf_counter()
        try:
            responses = execute([item.request for item in batch])
            if len(responses) != len(batch):
                raise RuntimeError(f"model returned {len(responses)} responses for {len(batch)} requests")
        except Exception as exc:  # a model failure fails this batch, never the worker
            for item in batch:
                item.future.set_exception(exc)
            return
        seconds = time.perf_counter() - started
        rows = sum(item.rows for item in batch)
        if self.on_batch is not None:
            try:
                self.on_batch(self.name, rows, seconds)
            except Exception:  # an observer's bug must never fail the requests it watched
                log.exception("batch observer failed", extra={"model": self.name})
        with self._stats_lock:
            self.stats.executions += 1
            self.stats.requests += len(batch)
            self.stats.batch_sizes[rows] = self.stats.batch_sizes.get(rows, 0) + 1
        for item, response in zip(batch, responses, strict=True):
            item.future.set_result(response)


def _refused(error: Exception) -> Future:
    future: Future = Future()
    future.set_exception(error)
    return future


def _wanted(item: _Pending) -> bool:
    """False (and the request answered with an error) when its caller cancelled it before its turn: as in
    Triton, a cancelled request never reaches the model."""
    if not item.request.is_cancelled():
        return True
    item.future.set_result(
        pb_utils.InferenceResponse(
            error=pb_utils.TritonError("request cancelled", pb_utils.TritonError.CANCELLED)
        )
    )
    return False
