"""Calls that hold a server thread long (uploads, watches, text scoring) counted per tenant and in all, and
an upload's idle timeout.

A cap for all tenants together keeps threads free for short calls; a smaller cap per tenant keeps one tenant
(64 idle uploads) from taking every slot. Past either cap a call is refused at once with
``RESOURCE_EXHAUSTED``, never queued.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import grpc

from server.api.status import ApiError

T = TypeVar("T")
CONFIRM_S = 0.5
"""An idle timeout is declared only if the upload is still waiting, for the same message, this much later."""


@dataclass(frozen=True, slots=True)
class Cap:
    """A cap on calls at once, the setting that sets it, the refusal's reason and what the calls are."""

    limit: int
    setting: str
    reason: str
    what: str
    hint: str = ""


class CallSlots:
    """``per_tenant`` maps a kind of call (``upload``, ``watch``) to its cap for one tenant; ``total`` bounds
    every kind of every tenant together."""

    def __init__(self, total: Cap, per_tenant: Mapping[str, Cap]) -> None:
        self._total = total
        self._per_tenant = dict(per_tenant)
        self._open: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    @contextmanager
    def hold(self, tenant_id: str, kind: str) -> Iterator[None]:
        cap = self._per_tenant[kind]
        key = (tenant_id, kind)
        with self._lock:
            if self._open[key] >= cap.limit:
                raise _refusal(cap, f"this tenant already has {cap.limit} {cap.what} open, its limit")
            if self._open.total() >= self._total.limit:
                raise _refusal(
                    self._total, f"this server already has {self._total.limit} {self._total.what} open"
                )
            self._open[key] += 1
        try:
            yield
        finally:
            with self._lock:
                self._open[key] -= 1


def _refusal(cap: Cap, what: str) -> ApiError:
    return ApiError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        f"{what} ({cap.setting}); retry when one has ended{cap.hint}",
        reason=cap.reason,
    )


class IdleTimeout:
    """Ends a client-streamed call with ``DEADLINE_EXCEEDED`` when the client sends nothing for ``idle_s``
    while the handler waits for its next message (the handler's own work does not count).

    The handler's thread is blocked inside grpcio waiting for that message, so a watchdog thread (alive for
    the ``with`` block) ends the call; the handler then sees the request stream fail, ``timed_out`` says why.
    """

    def __init__(self, context: grpc.ServicerContext, idle_s: float, message: str) -> None:
        self._context = context
        self._idle_s = idle_s
        self._message = message
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._waiting_since: float | None = None
        self._finished = False
        self.timed_out = False

    def __enter__(self) -> IdleTimeout:
        threading.Thread(target=self._watch, name="upload-idle", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._finished = True
        self._wake.set()

    def messages(self, requests: Iterator[T]) -> Iterator[T]:
        """``requests``, each wait for the next one timed (inside the ``with`` block only)."""
        source = iter(requests)
        while True:
            self._set_waiting(time.monotonic())
            try:
                message = next(source)
            except StopIteration:
                return
            finally:
                self._set_waiting(None)
            yield message

    def _set_waiting(self, since: float | None) -> None:
        with self._lock:
            self._waiting_since = since
        self._wake.set()

    def _watch(self) -> None:
        expired_since: float | None = None  # the wait seen past the timeout once, not yet confirmed
        while True:
            self._wake.clear()  # before reading the state, so a change after the read still wakes us
            with self._lock:
                if self._finished:
                    return
                since = self._waiting_since
                expired = since is not None and time.monotonic() - since >= self._idle_s
                if expired and expired_since == since:
                    self.timed_out = True
                    break
            if expired:
                # Confirm after a moment: when the whole process stalled (an import holding the GIL, a model
                # load), a message may have arrived that the handler's thread has not taken yet.
                expired_since = since
                self._wake.wait(CONFIRM_S)
            else:
                self._wake.wait(None if since is None else since + self._idle_s - time.monotonic())
        end_call(self._context, grpc.StatusCode.DEADLINE_EXCEEDED, self._message)


def end_call(context: grpc.ServicerContext, code: grpc.StatusCode, message: str) -> None:
    """End a call from a thread other than its handler's. grpcio's public ``abort`` only raises in the
    handler's thread and ``cancel`` always says CANCELLED; its core call can end with any status."""
    call = getattr(getattr(context, "_rpc_event", None), "call", None)
    if call is None:
        context.cancel()
    else:
        call.cancel(code.value[0], message)
