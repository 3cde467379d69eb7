"""The subset of Triton's ``triton_python_backend_utils`` that model.py files use.

A model.py imports the real module when it runs inside Triton and this one when it runs inside HireLens,
so the same file serves both (see Triton's python_backend ``examples/add_sub``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np


class TritonError(Exception):
    """An error a model returns for one request instead of raising for the whole batch; its code (Triton's
    constants) says whose fault it is, and so which status the caller gets (see docs/api.md)."""

    UNKNOWN = 0
    INTERNAL = 1
    NOT_FOUND = 2
    INVALID_ARG = 3
    UNAVAILABLE = 4
    UNSUPPORTED = 5
    ALREADY_EXISTS = 6
    CANCELLED = 7

    def __init__(self, message: str, code: int = INTERNAL) -> None:
        super().__init__(message)
        self._message = message
        self._code = code

    def message(self) -> str:
        return self._message

    def code(self) -> int:
        return self._code


class TritonModelException(Exception):
    """Raised by a model when a whole execute() call fails."""


class Tensor:
    """A named numpy array; BYTES tensors are numpy object arrays of ``bytes``."""

    def __init__(self, name: str, array: np.ndarray) -> None:
        self._name = name
        self._array = array

    def name(self) -> str:
        return self._name

    def as_numpy(self) -> np.ndarray:
        return self._array


class InferenceRequest:
    """One request: its input tensors, the outputs the caller wants, and whether the caller gave up on it."""

    def __init__(
        self,
        inputs: Iterable[Tensor],
        requested_output_names: Iterable[str] = (),
        model_name: str = "",
        cancelled: Callable[[], bool] | None = None,
    ) -> None:
        self._inputs = list(inputs)
        self._requested = list(requested_output_names)
        self._model_name = model_name
        self._cancelled = cancelled

    def inputs(self) -> list[Tensor]:
        return self._inputs

    def requested_output_names(self) -> list[str]:
        return self._requested

    def model_name(self) -> str:
        return self._model_name

    def is_cancelled(self) -> bool:
        """Triton's request cancellation: a long model checks it between steps and stops early."""
        return self._cancelled is not None and self._cancelled()


class InferenceResponse:
    """One response per request: output tensors, or an error for that request alone."""

    def __init__(self, output_tensors: Iterable[Tensor] = (), error: TritonError | None = None) -> None:
        self._outputs = list(output_tensors)
        self._error = error

    def output_tensors(self) -> list[Tensor]:
        return self._outputs

    def has_error(self) -> bool:
        return self._error is not None

    def error(self) -> TritonError | None:
        return self._error


def get_input_tensor_by_name(request: InferenceRequest, name: str) -> Tensor | None:
    return next((t for t in request.inputs() if t.name() == name), None)


def get_output_tensor_by_name(response: InferenceResponse, name: str) -> Tensor | None:
    return next((t for t in response.output_tensors() if t.name() == name), None)
