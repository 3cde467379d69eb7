"""``inference.GRPCInferenceService`` (KServe v2 / Triton) over the model runtime: transport only.

Every request becomes numpy arrays, is checked against the model's config, and goes to ``Runtime.infer_async``
so that concurrent callers meet in the model's dynamic batcher. Caller mistakes are INVALID_ARGUMENT naming
the tensor, an unknown model is NOT_FOUND, a broken model is UNAVAILABLE and a model that fails is INTERNAL
with the model's message, as Triton answers.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

import grpc
import numpy as np
from tritonclient.grpc import service_pb2, service_pb2_grpc

from server import __version__
from server.api.tensors import TensorError, config_datatype, input_array, output_tensor
from server.api.validation import check_inputs, check_outputs, full_dims
from server.errors import InferenceError, ModelRepositoryError
from server.runtime import Outputs, Runtime
from server.runtime.repository import ModelEntry

log = logging.getLogger(__name__)

SERVER_NAME = "hirelens"
# Only what is implemented: ModelConfig. Load/unload, statistics, shared memory, sequences and
# classification are not, so they are not claimed (clients read this list to pick features).
EXTENSIONS = ("model_configuration",)


class RpcStatus(Exception):
    """A gRPC status to answer with; raised anywhere below a handler."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(slots=True)
class _Pending:
    """One ModelInfer in flight: what is needed to build its response once the model answers."""

    request: service_pb2.ModelInferRequest
    entry: ModelEntry | None
    requested: tuple[str, ...]
    future: Future[Outputs]


def _failed(error: RpcStatus) -> Future[Outputs]:
    future: Future[Outputs] = Future()
    future.set_exception(error)
    return future


class InferenceServicer(service_pb2_grpc.GRPCInferenceServiceServicer):
    """Serves the runtime's model repository; models load lazily, on their first inference."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._load_failures: dict[str, str] = {}

    # --- health and metadata -------------------------------------------------------------------------

    def ServerLive(self, request, context):
        return service_pb2.ServerLiveResponse(live=True)

    def ServerReady(self, request, context):
        # The repository was read when the runtime was built; a broken model makes only itself unavailable.
        return service_pb2.ServerReadyResponse(ready=True)

    def ModelReady(self, request, context):
        return service_pb2.ModelReadyResponse(ready=self._is_ready(request.name, request.version))

    def ServerMetadata(self, request, context):
        return service_pb2.ServerMetadataResponse(
            name=SERVER_NAME, version=__version__, extensions=list(EXTENSIONS)
        )

    def ModelMetadata(self, request, context):
        entry = self._call(context, self._entry, request.name, request.version)
        config = entry.config

        def tensors(specs):
            return [
                service_pb2.ModelMetadataResponse.TensorMetadata(
                    name=spec.name,
                    datatype=config_datatype(spec.data_type),
                    shape=full_dims(config, spec.dims),
                )
                for spec in specs
            ]

        return service_pb2.ModelMetadataResponse(
            name=entry.name,
            versions=[entry.version],
            platform=config.platform or config.backend,
            inputs=tensors(config.input),
            outputs=tensors(config.output),
        )

    def ModelConfig(self, request, context):
        entry = self._call(context, self._entry, request.name, request.version)
        return service_pb2.ModelConfigResponse(config=entry.config)

    def RepositoryIndex(self, request, context):
        index = service_pb2.RepositoryIndexResponse.ModelIndex
        repository = self.runtime.repository
        models = []
        for name in sorted([*repository.names(), *repository.broken]):
            if name in repository.broken:
                models.append(index(name=name, state="UNAVAILABLE", reason=str(repository.broken[name])))
            elif name in self._load_failures:
                version = repository.get(name).version
                models.append(
                    index(name=name, version=version, state="UNAVAILABLE", reason=self._load_failures[name])
                )
            else:
                models.append(index(name=name, version=repository.get(name).version, state="READY"))
        if request.ready:
            models = [model for model in models if model.state == "READY"]
        return service_pb2.RepositoryIndexResponse(models=models)

    # --- inference -----------------------------------------------------------------------------------

    def ModelInfer(self, request, context):
        return self._call(context, self._finish, self._start(request, lambda: not context.is_active()))

    def ModelStreamInfer(self, request_iterator, context):
        """Answers each request in order; a failed request is an ``error_message`` and the stream goes on.

        A reader thread submits requests as they arrive, so several of one stream can share a batch.
        """
        pending: queue.Queue[_Pending | None] = queue.Queue()

        def cancelled() -> bool:
            return not context.is_active()

        def read() -> None:
            try:
                for request in request_iterator:
                    pending.put(self._start(request, cancelled))
            except Exception as exc:  # the client went away or cancelled: end the stream quietly
                log.debug("inference stream reader stopped: %s", exc)
            finally:
                pending.put(None)

        threading.Thread(target=read, name="infer-stream-reader", daemon=True).start()
        while (item := pending.get()) is not None:
            try:
                yield service_pb2.ModelStreamInferResponse(infer_response=self._finish(item))
            except RpcStatus as exc:
                yield service_pb2.ModelStreamInferResponse(
                    error_message=exc.message,
                    infer_response=service_pb2.ModelInferResponse(
                        model_name=item.request.model_name, id=item.request.id
                    ),
                )

    def _start(self, request: service_pb2.ModelInferRequest, cancelled: Callable[[], bool]) -> _Pending:
        """Decode, check and submit one request; any failure travels in the returned future. ``cancelled``
        tells the model when the caller went away (deadline, cancel), as Triton's request cancellation does.
        """
        try:
            entry = self._entry(request.model_name, request.model_version)
            inputs = self._inputs(request)
            requested = tuple(output.name for output in request.outputs)
            for output in request.outputs:
                if "classification" in output.parameters:
                    raise TensorError(f"output '{output.name}': classification is not supported")
            check_inputs(entry.config, inputs, {tensor.name: tensor.datatype for tensor in request.inputs})
            check_outputs(entry.config, requested)
        except TensorError as exc:
            return _Pending(request, None, (), _failed(RpcStatus(grpc.StatusCode.INVALID_ARGUMENT, str(exc))))
        except RpcStatus as exc:
            return _Pending(request, None, (), _failed(exc))
        try:
            future = self.runtime.infer_async(entry.name, inputs, requested, cancelled)
        except ModelRepositoryError as exc:
            self._load_failures[entry.name] = str(exc)
            log.error("model %s is unavailable: %s", entry.name, exc)
            future = _failed(RpcStatus(grpc.StatusCode.UNAVAILABLE, str(exc)))
        return _Pending(request, entry, requested, future)

    def _finish(self, pending: _Pending) -> service_pb2.ModelInferResponse:
        """Wait for the model and encode its outputs (in this gRPC thread, never in the batcher's)."""
        try:
            outputs = pending.future.result()
        except InferenceError as exc:
            raise RpcStatus(grpc.StatusCode.INTERNAL, str(exc)) from None
        assert pending.entry is not None  # a request without an entry failed before it was submitted
        names = pending.requested or tuple(outputs)
        response = service_pb2.ModelInferResponse(
            model_name=pending.entry.name, model_version=pending.entry.version, id=pending.request.id
        )
        for name in names:
            if name not in outputs:
                raise RpcStatus(
                    grpc.StatusCode.INTERNAL, f"model '{pending.entry.name}' returned no '{name}'"
                )
            try:
                meta, raw = output_tensor(name, np.asarray(outputs[name]))
            except TensorError as exc:
                raise RpcStatus(grpc.StatusCode.INTERNAL, f"output '{name}': {exc}") from None
            response.outputs.append(meta)
            response.raw_output_contents.append(raw)
        return response

    @staticmethod
    def _inputs(request: service_pb2.ModelInferRequest) -> dict[str, np.ndarray]:
        raw = request.raw_input_contents
        if raw and len(raw) != len(request.inputs):
            raise TensorError(
                f"raw_input_contents holds {len(raw)} tensors for {len(request.inputs)} inputs; "
                "send every input raw or none"
            )
        inputs: dict[str, np.ndarray] = {}
        for i, tensor in enumerate(request.inputs):
            if tensor.name in inputs:
                raise TensorError(f"input '{tensor.name}' appears twice")
            inputs[tensor.name] = input_array(tensor, raw[i] if raw else None)
        return inputs

    # --- models --------------------------------------------------------------------------------------

    def _entry(self, name: str, version: str) -> ModelEntry:
        repository = self.runtime.repository
        if name in repository.broken:
            raise RpcStatus(
                grpc.StatusCode.UNAVAILABLE, f"model '{name}' is unavailable: {repository.broken[name]}"
            )
        if name not in repository.names():
            raise RpcStatus(
                grpc.StatusCode.NOT_FOUND,
                f"unknown model '{name}'; the repository has: {', '.join(repository.names())}",
            )
        entry = repository.get(name)
        if version and version != entry.version:
            raise RpcStatus(
                grpc.StatusCode.NOT_FOUND,
                f"model '{name}' has no version {version}; it serves {entry.version}",
            )
        return entry

    def _is_ready(self, name: str, version: str) -> bool:
        """Loadable: in the repository, not broken, not failed to load. Loading itself waits for a request."""
        try:
            self._entry(name, version)
        except RpcStatus:
            return False
        return name not in self._load_failures

    @staticmethod
    def _call(context: grpc.ServicerContext, fn, *args):
        try:
            return fn(*args)
        except RpcStatus as exc:
            context.abort(exc.code, exc.message)
