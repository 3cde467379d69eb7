"""What the model.py files share: string parameters, input readers, BYTES outputs and per-request errors.

A model.py uses Triton's ``triton_python_backend_utils`` inside a real Triton server and
``server.runtime.pb_utils`` inside HireLens; the helpers that touch tensors or responses take whichever it
imported as ``pb_utils``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any

import numpy as np


class RequestError(ValueError):
    """A request the model cannot serve; it fails that request alone. ``code`` names the Triton error code
    it travels with: the caller's input by default (INVALID_ARG, which callers see as INVALID_ARGUMENT)."""

    code = "INVALID_ARG"


class RequestCancelled(RequestError):
    """The caller gave up on the request while the model worked on it."""

    code = "CANCELLED"


def parameters(config: Mapping[str, Any]) -> dict[str, str]:
    """A model config's ``parameters`` (``json.loads(args["model_config"])``) as name -> string value."""
    return {key: value.get("string_value", "") for key, value in config.get("parameters", {}).items()}


def refuse_weights_path(pb_utils: ModuleType, model: str, params: Mapping[str, str], reason: str) -> None:
    """Fail loading a model that has no weights to replace when an operator names ``weights_path`` anyway."""
    if params.get("weights_path"):
        raise pb_utils.TritonModelException(
            f"{model}: weights_path '{params['weights_path']}' cannot be used: {reason}"
        )


def audio_input(pb_utils: ModuleType, request: Any, name: str = "AUDIO") -> np.ndarray:
    """The request's 1-D, finite 16 kHz mono samples as float32."""
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    if tensor is None:
        raise RequestError(f"input {name} is missing")
    audio = np.asarray(tensor.as_numpy(), dtype=np.float32)
    if audio.ndim != 1:
        raise RequestError(f"{name} must be 1-D 16 kHz mono samples, got shape {list(audio.shape)}")
    if not np.isfinite(audio).all():
        raise RequestError(f"{name} holds NaN or infinite samples")
    return audio


def _utf8(name: str, value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestError(f"{name} is not valid UTF-8: {exc}") from None


def text_rows(pb_utils: ModuleType, request: Any, name: str = "TEXT") -> list[str]:
    """The rows of the request's BYTES [batch, 1] input as str."""
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    if tensor is None:
        raise RequestError(f"input {name} is missing")
    array = tensor.as_numpy()
    if array.ndim != 2 or array.shape[1] != 1:
        raise RequestError(f"{name} must have shape [batch, 1], got {list(array.shape)}")
    texts = []
    for item in array[:, 0]:
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, bytes):
            texts.append(_utf8(name, item))
        else:
            raise RequestError(f"{name} rows must be UTF-8 bytes, got {type(item).__name__}")
    return texts


def string_input(pb_utils: ModuleType, request: Any, name: str) -> str | None:
    """An optional BYTES input holding one string; None when the request leaves it out."""
    tensor = pb_utils.get_input_tensor_by_name(request, name)
    if tensor is None:
        return None
    values = tensor.as_numpy().reshape(-1)
    if values.size != 1:
        raise RequestError(f"{name} must hold exactly one string, got {values.size}")
    value = values[0]
    return _utf8(name, value) if isinstance(value, bytes) else str(value)


def bytes_array(texts: Iterable[str]) -> np.ndarray:
    """A 1-D BYTES output: the texts UTF-8 encoded in a numpy object array."""
    return np.array([text.encode("utf-8") for text in texts], dtype=object)


def _failed(pb_utils: ModuleType, error: RequestError) -> Any:
    code = getattr(pb_utils.TritonError, error.code, None)  # Tritons before 23.x take no code
    if code is None:
        return pb_utils.InferenceResponse(error=pb_utils.TritonError(str(error)))
    return pb_utils.InferenceResponse(error=pb_utils.TritonError(str(error), code))


def check_not_cancelled(request: Any) -> None:
    """For a long model, between its steps: stop work on a request its caller gave up on (Triton's
    ``is_cancelled``; older Tritons lack it). Requests cancelled before their turn never reach a model."""
    is_cancelled = getattr(request, "is_cancelled", None)
    if is_cancelled is not None and is_cancelled():
        raise RequestCancelled("request cancelled")


def respond(pb_utils: ModuleType, requests: list[Any], outputs: Callable[[Any], list[Any]]) -> list[Any]:
    """One response per request: the tensors ``outputs(request)`` gives, or the RequestError it raised."""
    responses = []
    for request in requests:
        try:
            responses.append(pb_utils.InferenceResponse(outputs(request)))
        except RequestError as error:
            responses.append(_failed(pb_utils, error))
    return responses


def encode_text_requests(
    pb_utils: ModuleType,
    requests: list[Any],
    encode: Callable[[list[str]], np.ndarray],
    dim: int,
    output: str = "EMBEDDING",
) -> list[Any]:
    """One response per request, with every TEXT row of every request put through one ``encode`` call (that
    is where dynamic batching pays); each request gets its own rows back as ``output``, a bad one an error."""
    parsed: list[list[str] | RequestError] = []
    for request in requests:
        try:
            parsed.append(text_rows(pb_utils, request))
        except RequestError as error:
            parsed.append(error)
    flat = [text for texts in parsed if isinstance(texts, list) for text in texts]
    vectors = encode(flat) if flat else np.zeros((0, dim), dtype=np.float32)
    responses, row = [], 0
    for texts in parsed:
        if isinstance(texts, RequestError):
            responses.append(_failed(pb_utils, texts))
            continue
        responses.append(
            pb_utils.InferenceResponse([pb_utils.Tensor(output, vectors[row : row + len(texts)])])
        )
        row += len(texts)
    return responses
