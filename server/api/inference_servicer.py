"""``inference.GRPCInferenceService`` (KServe v2 / Triton) over the model runtime: transport only.

Every request becomes numpy arrays, is checked against the model's config, and goes to ``Runtime.infer_async``
so that concurrent callers meet in the model's dynamic batcher. Caller mistakes are INVALID_ARGUMENT naming
the tensor (also when the model itself rejects the input), an unknown model is NOT_FOUND, a broken model or a
server shutting down is UNAVAILABLE, a cancelled request is CANCELLED and a model that fails is INTERNAL
with the model's message, as Triton answers.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass

import grpc
import numpy as np
from tritonclient.grpc import service_pb2, service_pb2_grpc

from server import __version__
from server.api.status import from_domain
from server.api.tensors import TensorError, config_datatype, input_array, output_tensor
from server.api.validation import check_inputs, check_outputs, full_dims
from server.errors import InferenceError, ModelRepositoryError, clipped, quoted
from server.runtime import Outputs, Runtime
from server.runtime.repository import ModelEntry

log = logging.getLogger(__name__)

SERVER_NAME = "hirelens"
# Only what is implemented: ModelConfig. Load/unload, statistics, shared memory, sequences and
# classification are not, so they are not claimed (clients read this list to pick features).
EXTENSIONS = ("model_configuration",)
# Each ModelStreamInfer holds a gRPC worker thread and a reader thread for as long as it is open; past this
# many at once a new stream is refused (RESOURCE_EXHAUSTED), so unary calls always find a thread.
MAX_INFERENCE_STREAMS = 32
NOT_LOADED = "not loaded: it loads on its first inference or RepositoryModelLoad"
STREAM_READER_EXIT_S = 30.0  # a reader submitting a request may wait for its model to load


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

    def __init__(self, runtime: Runtime, max_streams: int = MAX_INFERENCE_STREAMS) -> None:
        self.runtime = runtime
        self._load_failures: dict[str, str] = {}
        self._max_streams = max_streams
        self._draining = threading.Event()
        self._count_lock = threading.Condition()
        self._streams = 0  # open ModelStreamInfer calls (each holds a reader thread)
        self._requests = 0  # inference requests submitted and not yet answered

    # --- shutdown ------------------------------------------------------------------------------------

    @property
    def open_streams(self) -> int:
        """ModelStreamInfer calls open now (a metrics gauge reads it)."""
        return self._streams

    def drain(self, timeout_s: float) -> bool:
        """Shutdown's first step, as Triton's: ServerReady turns false and new inference requests get
        UNAVAILABLE while the ones in flight finish; True when none is left within ``timeout_s``."""
        self._draining.set()
        end = time.monotonic() + timeout_s
        with self._count_lock:
            return self._count_lock.wait_for(lambda: self._requests == 0, max(0.0, end - time.monotonic()))

    @contextmanager
    def _counted_request(self) -> Iterator[None]:
        with self._count_lock:
            self._requests += 1
        try:
            yield
        finally:
            self._answered()

    # --- health and metadata -------------------------------------------------------------------------

    def ServerLive(self, request, context):
        return service_pb2.ServerLiveResponse(live=True)

    def ServerReady(self, request, context):
        # The repository was read when the runtime was built; a broken model makes only itself unavailable.
        # Once shutdown begins the server is not ready, so load balancers send new work elsewhere.
        return service_pb2.ServerReadyResponse(ready=not self._draining.is_set())

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
        loaded = self.runtime.executor.loaded()
        models = []
        for name in sorted([*repository.names(), *repository.broken]):
            if name in repository.broken:
                models.append(index(name=name, state="UNAVAILABLE", reason=str(repository.broken[name])))
            elif name in self._load_failures:
                version = repository.get(name).version
                models.append(
                    index(name=name, version=version, state="UNAVAILABLE", reason=self._load_failures[name])
                )
            elif name in loaded:
                models.append(index(name=name, version=repository.get(name).version, state="READY"))
            else:  # as Triton lists a model it has not loaded: known, not ready
                version = repository.get(name).version
                models.append(index(name=name, version=version, state="UNAVAILABLE", reason=NOT_LOADED))
        if request.ready:
            models = [model for model in models if model.state == "READY"]
        return service_pb2.RepositoryIndexResponse(models=models)

    def RepositoryModelLoad(self, request, context):
        """Load a model now rather than on its first inference, so ModelReady turns true (Triton's explicit
        load). Config and file overrides in ``parameters`` are not supported; Unload is not implemented."""
        self._call(context, self._load, request)
        return service_pb2.RepositoryModelLoadResponse()

    def _load(self, request: service_pb2.RepositoryModelLoadRequest) -> None:
        if self._draining.is_set():
            raise RpcStatus(grpc.StatusCode.UNAVAILABLE, "the server is shutting down; send to another one")
        if request.parameters:
            raise RpcStatus(
                grpc.StatusCode.INVALID_ARGUMENT,
                "load parameters (config or file overrides) are not supported; edit the model repository",
            )
        entry = self._entry(request.model_name, "")
        try:
            self.runtime.executor.model(entry)
        except Exception as exc:  # the model's own load error, kept and reported as inference would
            message = f"model '{entry.name}' failed to load: {exc}"
            self._load_failures[entry.name] = message
            log.error("model %s is unavailable: %s", entry.name, exc)
            raise RpcStatus(grpc.StatusCode.UNAVAILABLE, message) from None

    # --- inference -----------------------------------------------------------------------------------

    def ModelInfer(self, request, context):
        with self._counted_request():
            return self._call(context, self._finish, self._start(request, lambda: not context.is_active()))

    def ModelStreamInfer(self, request_iterator, context):
        """Answers each request in order; a failed request is an ``error_message`` and the stream goes on.

        A reader thread submits requests as they arrive, so several of one stream can share a batch. At most
        ``max_streams`` streams (so reader threads) are open at once; one more is RESOURCE_EXHAUSTED.
        """
        with self._count_lock:
            if self._streams >= self._max_streams:
                full = True
            else:
                full = False
                self._streams += 1
        if full:
            context.abort(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"too many inference streams open at once ({self._max_streams}, "
                "server.max_inference_streams); close one, retry shortly, or use ModelInfer",
            )
        try:
            yield from self._stream(request_iterator, context)
        finally:
            with self._count_lock:
                self._streams -= 1

    def _stream(self, request_iterator, context) -> Iterator[service_pb2.ModelStreamInferResponse]:
        pending: queue.Queue[_Pending | None] = queue.Queue()
        stopped = threading.Event()  # the response side ended: the reader must not wait on the client

        def cancelled() -> bool:
            return not context.is_active()

        def read() -> None:
            try:
                for request in request_iterator:
                    if stopped.is_set():
                        break
                    with self._count_lock:
                        self._requests += 1  # answered (and uncounted) by the response loop
                    pending.put(self._start(request, cancelled))
            except Exception as exc:  # the client went away or cancelled: end the stream quietly
                log.debug("inference stream reader stopped: %s", exc)
            finally:
                pending.put(None)

        reader = threading.Thread(target=read, name="infer-stream-reader", daemon=True)
        reader.start()
        ended = False
        try:
            while (item := pending.get()) is not None:
                try:
                    yield self._stream_response(item)
                finally:
                    self._answered()
            ended = True
        finally:
            if not ended:  # the caller went away mid-stream: stop the reader, forget what it read
                stopped.set()
                context.cancel()  # ends the request iterator the reader may be waiting on
                try:
                    while pending.get(timeout=STREAM_READER_EXIT_S) is not None:
                        self._answered()
                except queue.Empty:
                    log.warning("an inference stream's reader did not stop in %s s", STREAM_READER_EXIT_S)

    def _answered(self) -> None:
        with self._count_lock:
            self._requests -= 1
            self._count_lock.notify_all()

    def _stream_response(self, item: _Pending) -> service_pb2.ModelStreamInferResponse:
        try:
            return service_pb2.ModelStreamInferResponse(infer_response=self._finish(item))
        except RpcStatus as exc:
            return service_pb2.ModelStreamInferResponse(
                error_message=exc.message,
                infer_response=service_pb2.ModelInferResponse(
                    model_name=item.request.model_name, id=item.request.id
                ),
            )

    def _start(self, request: service_pb2.ModelInferRequest, cancelled: Callable[[], bool]) -> _Pending:
        """Decode, check and submit one request; any failure travels in the returned future. ``cancelled``
        tells the model when the caller went away (deadline, cancel), as Triton's request cancellation does.
        """
        if self._draining.is_set():
            error = RpcStatus(grpc.StatusCode.UNAVAILABLE, "the server is shutting down; send to another one")
            return _Pending(request, None, (), _failed(error))
        try:
            entry = self._entry(request.model_name, request.model_version)
            inputs = self._inputs(request)
            requested = tuple(output.name for output in request.outputs)
            for output in request.outputs:
                if "classification" in output.parameters:
                    raise TensorError(f"output {quoted(output.name)}: classification is not supported")
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
        except InferenceError as exc:  # whose fault it was decides the code (the table in docs/api.md)
            raise RpcStatus(from_domain(exc).code, str(exc)) from None
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
                raise TensorError(f"input {quoted(tensor.name)} appears twice")
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
                f"unknown model {quoted(name)}; the repository has: {', '.join(repository.names())}",
            )
        entry = repository.get(name)
        if version and version != entry.version:
            raise RpcStatus(
                grpc.StatusCode.NOT_FOUND,
                f"model '{name}' has no version {clipped(version)}; it serves {entry.version}",
            )
        return entry

    def _is_ready(self, name: str, version: str) -> bool:
        """Loaded, as Triton means it: the model can answer now. A model not yet loaded (models load on
        their first inference or RepositoryModelLoad) or whose load failed is not ready."""
        try:
            self._entry(name, version)
        except RpcStatus:
            return False
        return name in self.runtime.executor.loaded()

    @staticmethod
    def _call(context: grpc.ServicerContext, fn, *args):
        try:
            return fn(*args)
        except RpcStatus as exc:
            context.abort(exc.code, exc.message)
