"""A gRPC server interceptor that counts and times every call by service, method and status code.

It wraps the handler rather than the servicer, so every service on the server (inference, health,
reflection, the interview API) is measured the same way without touching its code. A streaming response is
timed until its last message is sent (or the client goes away), not until the handler returns the iterator.
Calls refused before any handler runs (``maximum_concurrent_rpcs`` exceeded, unknown method) never reach an
interceptor and are not counted here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc

from server.observability.metrics import Metrics

log = logging.getLogger(__name__)

_CODE_NAMES = {code: code.name for code in grpc.StatusCode}


def split_method(full_method: str) -> tuple[str, str]:
    """``/inference.GRPCInferenceService/ModelInfer`` -> ``("inference.GRPCInferenceService", "ModelInfer")``.

    Prometheus labels want the two apart: dashboards group by service, alerts pick a method.
    """
    service, _, method = full_method.lstrip("/").rpartition("/")
    return service or "unknown", method or full_method


def _code(context: grpc.ServicerContext, failed: bool) -> str:
    """The status the call ends with: what the handler set or aborted with; CANCELLED or DEADLINE_EXCEEDED
    when the client went away first (a handler may return normally then, as health's Watch does); else OK,
    or UNKNOWN when the handler raised."""
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return _CODE_NAMES[code]
    if not context.is_active():
        remaining = context.time_remaining()
        return "DEADLINE_EXCEEDED" if remaining is not None and remaining <= 0 else "CANCELLED"
    return "UNKNOWN" if failed else "OK"


class MetricsInterceptor(grpc.ServerInterceptor):
    """Feeds ``hirelens_grpc_requests_total`` and ``hirelens_grpc_request_seconds`` for every call."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        service, method = split_method(handler_call_details.method)
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(handler.unary_unary, service, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._unary(handler.stream_unary, service, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._streaming(handler.unary_stream, service, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_stream:
            return grpc.stream_stream_rpc_method_handler(
                self._streaming(handler.stream_stream, service, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler

    def _record(self, service: str, method: str, code: str, started: float) -> None:
        seconds = time.perf_counter() - started
        self.metrics.observe_rpc(service, method, code, seconds)
        log.debug(
            "rpc finished",
            extra={"method": f"{service}/{method}", "code": code, "duration_ms": round(seconds * 1000, 3)},
        )

    def _unary(self, behavior: Callable[..., Any], service: str, method: str) -> Callable[..., Any]:
        def wrapped(request_or_iterator: Any, context: grpc.ServicerContext) -> Any:
            started = time.perf_counter()
            try:
                response = behavior(request_or_iterator, context)
            except BaseException:
                self._record(service, method, _code(context, failed=True), started)
                raise
            self._record(service, method, _code(context, failed=False), started)
            return response

        return wrapped

    def _streaming(self, behavior: Callable[..., Any], service: str, method: str) -> Callable[..., Any]:
        def wrapped(request_or_iterator: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            started = time.perf_counter()
            code: str | None = None
            try:
                yield from behavior(request_or_iterator, context)
            except GeneratorExit:  # gRPC closes the stream: the client cancelled or the deadline passed
                code = "CANCELLED"
                raise
            except BaseException:
                code = _code(context, failed=True)
                raise
            finally:
                if code is None:
                    code = _code(context, failed=False)
                self._record(service, method, code, started)

        return wrapped
