"""The model runtime: the only way analysis code reaches a model.

``infer("text_embed_minilm", {"TEXT": ...})`` queues a request for the model's dynamic batcher and returns its
outputs as numpy arrays; ``infer_async`` returns a future so callers can put many requests in flight and let
the batcher group them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future

import numpy as np

from server.config import Settings
from server.errors import (
    InferenceCancelled,
    InferenceError,
    InferenceRejected,
    InferenceUnavailable,
    ModelRepositoryError,
)
from server.runtime import pb_utils
from server.runtime.local_executor import LocalExecutor
from server.runtime.repository import ModelRepository

Outputs = dict[str, np.ndarray]


# A model's per-request error code (Triton's) and the error it becomes; any other code is the model's fault.
_ERROR_CODES: dict[int, type[InferenceError]] = {
    pb_utils.TritonError.INVALID_ARG: InferenceRejected,
    pb_utils.TritonError.CANCELLED: InferenceCancelled,
    pb_utils.TritonError.UNAVAILABLE: InferenceUnavailable,
}


def _outputs(model: str, response: pb_utils.InferenceResponse) -> Outputs:
    error = response.error()
    if error is not None:
        kind = _ERROR_CODES.get(error.code(), InferenceError)
        raise kind(f"model '{model}': {error.message()}")
    return {t.name(): t.as_numpy() for t in response.output_tensors()}


class Runtime:
    """A model repository bound to an executor (local, in-process, by default)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.repository = ModelRepository(settings.model_repo)
        unknown = sorted(set(settings.model_weights) - set(self.repository.names()))
        if unknown:
            raise ModelRepositoryError(
                f"model_weights names unknown model(s) {', '.join(unknown)}; "
                f"the repository has: {', '.join(self.repository.names())}"
            )
        overrides = {name: {"weights_path": path} for name, path in settings.model_weights.items()}
        self.executor = LocalExecutor(overrides)

    def infer_async(
        self,
        model: str,
        inputs: Mapping[str, np.ndarray],
        outputs: Sequence[str] = (),
        cancelled: Callable[[], bool] | None = None,
    ) -> Future[Outputs]:
        """``cancelled`` says when the caller no longer wants the answer: the request is then skipped if it
        has not started, and a model that checks (Whisper, between 30 s windows) stops early with an error."""
        entry = self.repository.get(model)
        request = pb_utils.InferenceRequest(
            [pb_utils.Tensor(name, np.asarray(array)) for name, array in inputs.items()],
            outputs,
            model,
            cancelled,
        )
        result: Future[Outputs] = Future()

        def done(response_future: Future) -> None:
            try:
                result.set_result(_outputs(model, response_future.result()))
            except InferenceError as exc:
                result.set_exception(exc)
            except Exception as exc:
                result.set_exception(InferenceError(f"model '{model}' failed: {exc}"))

        try:
            submitted = self.executor.submit(entry, request)
        except ModelRepositoryError:
            raise
        except Exception as exc:
            raise ModelRepositoryError(f"model '{model}' failed to load: {exc}") from exc
        submitted.add_done_callback(done)
        return result

    def infer(self, model: str, inputs: Mapping[str, np.ndarray], outputs: Sequence[str] = ()) -> Outputs:
        return self.infer_async(model, inputs, outputs).result()

    def close(self) -> None:
        self.executor.close()


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def get_runtime(settings: Settings | None = None) -> Runtime:
    """The process-wide runtime: models load once and every job shares them."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = Runtime(settings or Settings.load())
        return _runtime


def infer(model: str, inputs: Mapping[str, np.ndarray], outputs: Sequence[str] = ()) -> Outputs:
    return get_runtime().infer(model, inputs, outputs)


def infer_async(model: str, inputs: Mapping[str, np.ndarray], outputs: Sequence[str] = ()) -> Future[Outputs]:
    return get_runtime().infer_async(model, inputs, outputs)
