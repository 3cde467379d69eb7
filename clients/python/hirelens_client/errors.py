"""Exceptions: one class per gRPC status a caller handles differently, with the server's details attached.

The server puts a ``google.rpc.Status`` in the ``grpc-status-details-bin`` trailer: a ``BadRequest`` naming
each wrong field and an ``ErrorInfo`` whose ``reason`` is stable (``NOT_SCORABLE``, ``QUEUE_FULL``). Programs
should branch on the class and ``reason``, never on the message text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import grpc

from hirelens_client._rpc_status import FieldViolation, details_from_trailers

if TYPE_CHECKING:
    from hirelens_client.results import Job

__all__ = [
    "Cancelled",
    "DeadlineExceeded",
    "FailedPrecondition",
    "FieldViolation",
    "HireLensError",
    "InvalidArgument",
    "JobCancelled",
    "JobFailed",
    "NotFound",
    "PermissionDenied",
    "ResourceExhausted",
    "Unauthenticated",
    "Unavailable",
    "error_from_rpc",
]


class HireLensError(Exception):
    """A call the server (or the network) refused: the gRPC status code, the server's message, the stable
    ``reason`` from its ErrorInfo (empty when it sent none) and the fields at fault."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        reason: str = "",
        field_violations: Sequence[FieldViolation] = (),
        *,
        domain: str = "",
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.field_violations = list(field_violations)
        self.domain = domain
        self.metadata = dict(metadata or {})

    def __str__(self) -> str:
        text = f"{self.code.name}: {self.message}"
        if self.reason:
            text += f" [{self.reason}]"
        for violation in self.field_violations:
            if violation.description != self.message:
                text += f"; {violation.field}: {violation.description}"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.name}, {self.message!r}, reason={self.reason!r})"


class InvalidArgument(HireLensError):
    """The request is wrong (a field, the file): fix it before sending again."""


class NotFound(HireLensError):
    """No such job, scenario or version for this tenant."""


class Unauthenticated(HireLensError):
    """No API key, or one the server does not know."""


class PermissionDenied(HireLensError):
    """The key is known but may not do this."""


class ResourceExhausted(HireLensError):
    """The server's queue or a quota is full: try later (not retried automatically)."""


class FailedPrecondition(HireLensError):
    """The input was readable but holds nothing to score (e.g. no speech)."""


class Unavailable(HireLensError):
    """The server could not be reached, even after the configured retries."""


class DeadlineExceeded(HireLensError):
    """The call (or ``wait``) ran out of time; the job itself may still finish."""


class Cancelled(HireLensError):
    """The call was cancelled before it completed."""


class JobFailed(HireLensError):
    """``wait`` saw the job end FAILED: ``reason`` and ``message`` are the job's own JobError."""

    def __init__(self, job: Job) -> None:
        error = job.error
        code = _code_of(error.code if error else 0) or grpc.StatusCode.UNKNOWN
        super().__init__(
            code,
            (error.message if error else "") or f"job {job.job_id} failed",
            error.reason if error else "",
        )
        self.job = job


class JobCancelled(HireLensError):
    """``wait`` saw the job end CANCELLED (by ``cancel`` or an erasure request)."""

    def __init__(self, job: Job) -> None:
        super().__init__(grpc.StatusCode.CANCELLED, f"job {job.job_id} was cancelled", "JOB_CANCELLED")
        self.job = job


_BY_CODE: dict[grpc.StatusCode, type[HireLensError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.CANCELLED: Cancelled,
}


def _code_of(number: int) -> grpc.StatusCode | None:
    return next((c for c in grpc.StatusCode if c.value[0] == number), None)


def error_class(code: grpc.StatusCode) -> type[HireLensError]:
    """The exception class for a status code (``HireLensError`` itself for the codes without one)."""
    return _BY_CODE.get(code, HireLensError)


def error_from_rpc(error: Any) -> HireLensError:
    """Turn a ``grpc.RpcError`` (sync) or ``grpc.aio.AioRpcError`` into the matching ``HireLensError``."""
    code_fn = getattr(error, "code", None)
    code = code_fn() if callable(code_fn) else grpc.StatusCode.UNKNOWN
    code = code if isinstance(code, grpc.StatusCode) else grpc.StatusCode.UNKNOWN
    details_fn = getattr(error, "details", None)
    message = (details_fn() if callable(details_fn) else None) or str(error)
    trailers_fn = getattr(error, "trailing_metadata", None)
    trailers = trailers_fn() if callable(trailers_fn) else None
    status = details_from_trailers(trailers)
    if status is None:
        return error_class(code)(code, message)
    return error_class(code)(
        code,
        status.message or message,
        status.reason,
        status.field_violations,
        domain=status.domain,
        metadata=status.metadata,
    )
