"""gRPC errors with ``google.rpc.Status`` details: what went wrong, named so a program can act on it.

A ``BadRequest`` names each field at fault (``metadata.scenario_id``); an ``ErrorInfo`` carries a stable
``reason`` (``NOT_SCORABLE``, ``QUEUE_FULL``) in the ``hirelens.ai`` domain. Clients read both from the
``grpc-status-details-bin`` trailer (the hirelens-client SDK decodes them into exceptions).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from server.errors import (
    HireLensError,
    InferenceCancelled,
    InferenceError,
    InferenceRejected,
    InferenceUnavailable,
    InputError,
    MediaError,
    ModelRepositoryError,
    UnscorableError,
)
from server.jobs.database import is_disk_full

DOMAIN = "hirelens.ai"
log = logging.getLogger(__name__)


class ApiError(Exception):
    """A refusal on its way to the caller: status code, message, and optionally the field or a reason."""

    def __init__(
        self, code: grpc.StatusCode, message: str, *, field: str | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.reason = reason

    def to_status(self) -> grpc.Status:
        details = []
        if self.field is not None:
            violation = error_details_pb2.BadRequest.FieldViolation(
                field=self.field, description=self.message
            )
            details.append(error_details_pb2.BadRequest(field_violations=[violation]))
        if self.reason is not None:
            details.append(error_details_pb2.ErrorInfo(reason=self.reason, domain=DOMAIN))
        packed = []
        for detail in details:
            item = any_pb2.Any()
            item.Pack(detail)
            packed.append(item)
        code = getattr(code_pb2, self.code.name)
        return rpc_status.to_status(status_pb2.Status(code=code, message=self.message, details=packed))


# Domain errors and what they mean on the wire: the caller's input (INVALID_ARGUMENT), input that is readable
# but holds nothing to score (FAILED_PRECONDITION), or the server's own fault. The first match wins, so a
# subclass comes before its base. The inference protocol uses the same codes (Triton's mapping).
DOMAIN_ERRORS: tuple[tuple[type[HireLensError], grpc.StatusCode, str], ...] = (
    (MediaError, grpc.StatusCode.INVALID_ARGUMENT, "BAD_MEDIA"),
    (InputError, grpc.StatusCode.INVALID_ARGUMENT, "BAD_INPUT"),
    (UnscorableError, grpc.StatusCode.FAILED_PRECONDITION, "NOT_SCORABLE"),
    (InferenceRejected, grpc.StatusCode.INVALID_ARGUMENT, "BAD_INPUT"),
    (InferenceCancelled, grpc.StatusCode.CANCELLED, "CANCELLED"),
    (InferenceUnavailable, grpc.StatusCode.UNAVAILABLE, "MODEL_UNAVAILABLE"),
    (InferenceError, grpc.StatusCode.INTERNAL, "INFERENCE_FAILED"),
    (ModelRepositoryError, grpc.StatusCode.UNAVAILABLE, "MODEL_UNAVAILABLE"),
)


def from_domain(exc: HireLensError, field: str | None = None) -> ApiError:
    for kind, code, reason in DOMAIN_ERRORS:
        if isinstance(exc, kind):
            return ApiError(code, str(exc), field=field, reason=reason)
    return ApiError(grpc.StatusCode.INTERNAL, str(exc), reason="INTERNAL")


def abort(context: grpc.ServicerContext, error: ApiError) -> NoReturn:
    context.abort_with_status(error.to_status())
    raise AssertionError("abort_with_status returned")  # grpc raises; this line keeps type checkers honest


def _refusal(exc: Exception, context: grpc.ServicerContext, method: str) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, HireLensError):
        return from_domain(exc)
    if is_disk_full(exc):
        log.error("a call failed: the job database's disk is full: %s", exc.__class__.__name__)
        return ApiError(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            "the server's job database disk is full; nothing was stored, retry later",
            reason="DISK_FULL",
        )
    if isinstance(exc, grpc.RpcError) and not context.is_active():
        # grpcio raises a bare RpcError from the request stream when the caller cancels or its deadline
        # passes: an everyday event (a closed laptop mid-upload), not a server fault worth a traceback
        log.info("%s ended early: the caller cancelled the call or its deadline passed", method)
        return ApiError(grpc.StatusCode.CANCELLED, "the call was cancelled before it finished")
    log.exception("unexpected error serving a call")  # the traceback stays in the server's log
    return ApiError(grpc.StatusCode.INTERNAL, "internal error", reason="INTERNAL")


def grpc_errors(method: Callable[..., Any]) -> Callable[..., Any]:
    """Turn what a unary or response-streaming RPC raises into a status with details; never a bare crash."""
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def streaming(self: Any, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            try:
                yield from method(self, request, context)
            except Exception as exc:
                if _is_abort(exc):
                    raise
                abort(context, _refusal(exc, context, method.__name__))

        return streaming

    @functools.wraps(method)
    def unary(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return method(self, request, context)
        except Exception as exc:
            if _is_abort(exc):
                raise
            abort(context, _refusal(exc, context, method.__name__))

    return unary


def _is_abort(exc: Exception) -> bool:
    """grpc's ``context.abort`` raises a bare ``Exception()``; let it through unchanged."""
    return type(exc) is Exception and not exc.args
