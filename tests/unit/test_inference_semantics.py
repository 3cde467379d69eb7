"""Triton's semantics of the inference protocol, on an in-process server over tiny models in a temp
repository: readiness (server draining, model loaded), the status each runtime error gets,
and bounded streams."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest
import tritonclient.grpc as triton
from grpc_health.v1 import health
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

from server.api.inference_servicer import InferenceServicer
from server.api.server import build_server, stop_gracefully
from server.config import Settings
from server.runtime import Runtime
from tests.server_process import free_port
from tests.unit.test_runtime import blocking_repo, make_repo


class Served:
    """A started server with its inference servicer and a tritonclient; ``stop`` drains it."""

    def __init__(self, repo: Path, max_streams: int = 32) -> None:
        self.runtime = Runtime(Settings(model_repo=repo))
        self.inference = InferenceServicer(self.runtime, max_streams=max_streams)
        self.health = health.HealthServicer()
        self.address = f"127.0.0.1:{free_port()}"
        self.server = build_server(
            self.runtime, self.address, health_servicer=self.health, inference=self.inference
        )
        self.server.start()
        self.client = triton.InferenceServerClient(self.address)

    def stop(self, grace_s: float = 30.0) -> None:
        stop_gracefully(self.server, self.health, grace_s, self.inference)

    def close(self) -> None:
        self.client.close()
        self.server.stop(0).wait()
        self.runtime.close()


@pytest.fixture
def gate(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "gate"
    yield path
    path.touch()  # a test that failed midway must not leave a model thread waiting


@pytest.fixture
def served(tmp_path: Path, gate: Path) -> Iterator[Served]:
    repo = blocking_repo(make_repo(tmp_path / "repo"), gate)
    served = Served(repo)
    yield served
    served.close()


def fp32(name: str, array: np.ndarray) -> triton.InferInput:
    tensor = triton.InferInput(name, list(array.shape), "FP32")
    tensor.set_data_from_numpy(array.astype(np.float32))
    return tensor


def add_sub_inputs(value: float) -> list[triton.InferInput]:
    return [fp32("INPUT0", np.full((1, 2), value)), fp32("INPUT1", np.ones((1, 2)))]


def wait_for(condition, timeout_s: float = 20.0) -> None:
    end = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < end, "condition not reached in time"
        time.sleep(0.02)


def test_server_is_not_ready_while_draining_and_refuses_new_inference(served: Served, gate: Path) -> None:
    """Triton on shutdown: ServerReady false and new requests UNAVAILABLE, while the ones in flight finish.
    The server used to answer ready=true until its port closed."""
    running: list = []
    served.client.async_infer(
        "blocking", [fp32("X", np.ones((1, 1)))], lambda result, error: running.append(error or result)
    )
    wait_for(lambda: (gate.parent / "running").exists())  # the model is executing it
    assert served.client.is_server_ready()
    stopping = threading.Thread(target=served.stop, daemon=True)
    stopping.start()
    wait_for(lambda: not served.client.is_server_ready())
    assert served.client.is_server_live()
    with pytest.raises(InferenceServerException) as refused:
        served.client.infer("add_sub", add_sub_inputs(1.0))
    assert refused.value.status() == "StatusCode.UNAVAILABLE" and "shutting down" in refused.value.message()
    assert stopping.is_alive()  # still waiting for the request in flight
    gate.touch()
    stopping.join(timeout=30)
    assert not stopping.is_alive()
    wait_for(lambda: bool(running))  # the client's callback runs on its own thread, after the reply
    assert len(running) == 1 and not isinstance(running[0], Exception), running
    np.testing.assert_allclose(running[0].as_numpy("Y"), [[1.0]])


def test_a_model_is_ready_only_once_loaded(served: Served) -> None:
    """Triton's ModelReady means the model can answer now; models here load on first use or on
    RepositoryModelLoad. It used to say true for a model never loaded."""
    assert not served.client.is_model_ready("add_sub")
    index = {m["name"]: m for m in served.client.get_model_repository_index(as_json=True)["models"]}
    assert index["add_sub"]["state"] == "UNAVAILABLE" and "not loaded" in index["add_sub"]["reason"]
    served.client.infer("add_sub", add_sub_inputs(1.0))
    assert served.client.is_model_ready("add_sub")
    assert not served.client.is_model_ready("blocking")
    served.client.load_model("blocking")
    assert served.client.is_model_ready("blocking")
    with grpc.insecure_channel(served.address) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        ready = stub.RepositoryIndex(service_pb2.RepositoryIndexRequest(ready=True), timeout=10).models
    assert sorted(m.name for m in ready) == ["add_sub", "blocking"]


@pytest.mark.parametrize(
    "value, status, message",
    [
        (np.nan, "StatusCode.INVALID_ARGUMENT", "INPUT0 has NaN"),  # the model rejects the input
        (np.inf, "StatusCode.INTERNAL", "infinite input"),  # the model itself fails
    ],
)
def test_each_model_error_gets_its_own_status(
    served: Served, value: float, status: str, message: str
) -> None:
    """Triton maps a model's INVALID_ARG error to INVALID_ARGUMENT; only the model's own failure is
    INTERNAL. Every model error used to be INTERNAL."""
    with pytest.raises(InferenceServerException) as failed:
        served.client.infer("add_sub", add_sub_inputs(value))
    assert failed.value.status() == status and message in failed.value.message()


def test_inference_streams_are_bounded_and_counted(tmp_path: Path, gate: Path) -> None:
    """Each stream holds a reader thread: past ``max_streams`` a new one is RESOURCE_EXHAUSTED, and a stream
    that ends gives its place back. Streams used to be unbounded."""
    served = Served(make_repo(tmp_path / "repo"), max_streams=1)
    requests: queue.Queue = queue.Queue()

    def first_stream() -> Iterator[service_pb2.ModelInferRequest]:
        while (item := requests.get()) is not None:
            yield item

    request = service_pb2.ModelInferRequest(model_name="add_sub", id="held")
    for name in ("INPUT0", "INPUT1"):
        request.inputs.add(name=name, datatype="FP32", shape=[1, 2]).contents.fp32_contents.extend([1, 1])
    try:
        with grpc.insecure_channel(served.address) as channel:
            stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
            held = stub.ModelStreamInfer(first_stream(), timeout=60)
            requests.put(request)
            assert next(held).infer_response.id == "held"
            assert served.inference.open_streams == 1
            with pytest.raises(grpc.RpcError) as refused:
                list(stub.ModelStreamInfer(iter([request]), timeout=30))
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "max_inference_streams" in refused.value.details()
            requests.put(None)
            assert list(held) == []
            wait_for(lambda: served.inference.open_streams == 0)
            answers = list(stub.ModelStreamInfer(iter([request]), timeout=30))
            assert [a.infer_response.id for a in answers] == ["held"]
    finally:
        requests.put(None)
        served.close()


def test_a_cancelled_stream_frees_its_place_and_its_reader(tmp_path: Path) -> None:
    served = Served(make_repo(tmp_path / "repo"), max_streams=1)
    never: queue.Queue = queue.Queue()

    def silent() -> Iterator[service_pb2.ModelInferRequest]:
        while (item := never.get()) is not None:
            yield item

    try:
        with grpc.insecure_channel(served.address) as channel:
            stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
            call = stub.ModelStreamInfer(silent(), timeout=60)
            wait_for(lambda: served.inference.open_streams == 1)
            readers = [t for t in threading.enumerate() if t.name == "infer-stream-reader"]
            call.cancel()
            wait_for(lambda: served.inference.open_streams == 0)
            wait_for(lambda: not any(t.is_alive() for t in readers))
    finally:
        never.put(None)
        served.close()


@pytest.mark.parametrize("what", ["model", "input", "datatype", "output"])
def test_errors_quote_at_most_100_characters_of_a_name(served: Served, what: str) -> None:
    """A 100,000-character name used to come back whole in the status message."""
    huge = "z" * 100_000
    request = service_pb2.ModelInferRequest(model_name=huge if what == "model" else "add_sub")
    for name in ("INPUT0", "INPUT1"):
        tensor = request.inputs.add(name=name, datatype="FP32", shape=[1, 2])
        tensor.contents.fp32_contents.extend([1, 1])
    if what == "input":
        request.inputs[0].name = huge
    if what == "datatype":
        request.inputs[0].datatype = huge
    if what == "output":
        request.outputs.add(name=huge)
    with grpc.insecure_channel(served.address) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            stub.ModelInfer(request, timeout=30)
    assert refused.value.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT)
    message = refused.value.details()
    assert len(message) < 400 and "(100000 characters)" in message, message[:500]
