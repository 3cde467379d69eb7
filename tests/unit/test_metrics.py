"""Prometheus metrics scraped over HTTP after real gRPC calls through a real server with the interceptor."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from concurrent import futures

import grpc
import numpy as np
import pytest
import tritonclient.grpc as triton
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

from server.api.inference_servicer import InferenceServicer
from server.config import Settings
from server.observability.interceptors import MetricsInterceptor, split_method
from server.observability.metrics import Metrics, start_metrics_server
from server.runtime import Runtime, pb_utils
from server.runtime.batcher import DynamicBatcher

INFERENCE = "inference.GRPCInferenceService"
HEALTH = "grpc.health.v1.Health"


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET /metrics and index every sample by (name, sorted labels)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Metrics, str, int, list[int]]]:
    """A gRPC server (inference + health, metrics interceptor) on a runtime of its own, plus /metrics."""
    queued = [4]
    metrics = Metrics(queue_depth=lambda: queued[0])
    runtime = Runtime(Settings.load())
    metrics.watch_runtime(runtime)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=8), interceptors=[MetricsInterceptor(metrics)]
    )
    service_pb2_grpc.add_GRPCInferenceServiceServicer_to_server(InferenceServicer(runtime), server)
    health_servicer = health.HealthServicer()
    health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    http = start_metrics_server(metrics, port=0, addr="127.0.0.1")
    yield metrics, f"127.0.0.1:{port}", http.server_address[1], queued
    http.shutdown()
    http.server_close()
    server.stop(None).wait()
    runtime.close()


def audio_input(samples: int = 1600) -> triton.InferInput:
    tensor = triton.InferInput("AUDIO", [samples], "FP32")
    tone = np.sin(2 * np.pi * 150 * np.arange(samples) / 16000).astype(np.float32) * 0.3
    tensor.set_data_from_numpy(tone)
    return tensor


def test_split_method_separates_service_and_method():
    assert split_method("/inference.GRPCInferenceService/ModelInfer") == (INFERENCE, "ModelInfer")
    assert split_method("/grpc.health.v1.Health/Check") == (HEALTH, "Check")


def test_two_metrics_objects_do_not_share_a_registry():
    first, second = Metrics(), Metrics()
    first.observe_rpc("s", "m", "OK", 0.1)
    assert (
        first.registry.get_sample_value(
            "hirelens_grpc_requests_total", {"service": "s", "method": "m", "code": "OK"}
        )
        == 1
    )
    assert (
        second.registry.get_sample_value(
            "hirelens_grpc_requests_total", {"service": "s", "method": "m", "code": "OK"}
        )
        is None
    )


def test_job_counters_and_unknown_state():
    metrics = Metrics()
    metrics.job_finished("done", 12.0)
    metrics.job_finished("failed", 3.0)
    metrics.upload_received(1000)
    metrics.upload_received(24)
    get = metrics.registry.get_sample_value
    assert get("hirelens_jobs_total", {"state": "done"}) == 1
    assert get("hirelens_jobs_total", {"state": "cancelled"}) == 0  # exported at 0 before the first one
    assert get("hirelens_job_seconds_count") == 2 and get("hirelens_job_seconds_sum") == 15.0
    assert get("hirelens_upload_bytes_total") == 1024
    assert get("hirelens_job_queue_depth") == 0  # no queue attached yet
    with pytest.raises(ValueError, match="not one of"):
        metrics.job_finished("exploded", 1.0)


def test_queue_depth_is_read_at_scrape_time_and_a_broken_source_is_nan():
    depth = [2]
    metrics = Metrics(queue_depth=lambda: depth[0])
    assert metrics.registry.get_sample_value("hirelens_job_queue_depth") == 2
    depth[0] = 7
    assert metrics.registry.get_sample_value("hirelens_job_queue_depth") == 7

    def broken() -> int:
        raise RuntimeError("store down")

    metrics.set_queue_depth_source(broken)
    assert np.isnan(metrics.registry.get_sample_value("hirelens_job_queue_depth"))


def test_unary_calls_counted_by_code_and_timed(served):
    _, address, http_port, _ = served
    client = triton.InferenceServerClient(address)
    try:
        for _ in range(3):
            result = client.infer("voice_prosody", [audio_input()])
            assert result.as_numpy("F0_HZ").shape == (11,)  # 100 ms at a 10 ms hop, both ends
        with pytest.raises(InferenceServerException, match="NOT_FOUND"):
            client.infer("no_such_model", [audio_input()])
        with pytest.raises(InferenceServerException, match="INVALID_ARGUMENT"):
            bad = triton.InferInput("AUDIO", [4], "INT32")
            bad.set_data_from_numpy(np.zeros(4, np.int32))
            client.infer("voice_prosody", [bad])
    finally:
        client.close()
    with grpc.insecure_channel(address) as channel:
        check = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""))
        assert check.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.RpcError) as raised:
            health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="nope"))
        assert raised.value.code() == grpc.StatusCode.NOT_FOUND

    samples = scrape(http_port)
    total = "hirelens_grpc_requests_total"
    assert value(samples, total, service=INFERENCE, method="ModelInfer", code="OK") == 3
    assert value(samples, total, service=INFERENCE, method="ModelInfer", code="NOT_FOUND") == 1
    assert value(samples, total, service=INFERENCE, method="ModelInfer", code="INVALID_ARGUMENT") == 1
    assert value(samples, total, service=HEALTH, method="Check", code="OK") == 1
    assert value(samples, total, service=HEALTH, method="Check", code="NOT_FOUND") == 1
    count = value(samples, "hirelens_grpc_request_seconds_count", service=INFERENCE, method="ModelInfer")
    assert count == 5
    seconds = value(samples, "hirelens_grpc_request_seconds_sum", service=INFERENCE, method="ModelInfer")
    assert 0 < seconds < 30
    # the runtime's batches: voice_prosody takes one request per execution (max_batch_size 0)
    assert value(samples, "hirelens_model_batch_size_count", model="voice_prosody") == 3
    assert value(samples, "hirelens_model_batch_size_sum", model="voice_prosody") == 3
    assert value(samples, "hirelens_model_inference_seconds_count", model="voice_prosody") == 3
    inference_s = value(samples, "hirelens_model_inference_seconds_sum", model="voice_prosody")
    assert 0 < inference_s < seconds  # the model's share of the calls, never more than the calls took


def test_streaming_calls_are_timed_until_the_stream_ends(served):
    _, address, http_port, _ = served
    with grpc.insecure_channel(address) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        audio = np.zeros(1600, np.float32)
        tensor = service_pb2.ModelInferRequest().InferInputTensor(name="AUDIO", datatype="FP32", shape=[1600])
        requests = [
            service_pb2.ModelInferRequest(
                model_name="voice_prosody", id=str(i), inputs=[tensor], raw_input_contents=[audio.tobytes()]
            )
            for i in range(4)
        ]
        responses = list(stub.ModelStreamInfer(iter(requests)))
        assert [r.infer_response.id for r in responses] == ["0", "1", "2", "3"]
        assert not any(r.error_message for r in responses)

        # a server-streaming call the client cancels: counted once the stream is torn down
        watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""))
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        watch.cancel()

    samples = scrape(http_port)
    total = "hirelens_grpc_requests_total"
    assert value(samples, total, service=INFERENCE, method="ModelStreamInfer", code="OK") == 1
    assert (
        value(samples, "hirelens_grpc_request_seconds_count", service=INFERENCE, method="ModelStreamInfer")
        == 1
    )
    # the cancelled Watch is recorded once gRPC tears its stream down, which may be a moment after cancel()
    deadline = time.monotonic() + 5
    while True:
        watch = {
            dict(labels)["code"]: v
            for (name, labels), v in scrape(http_port).items()
            if name == total and ("method", "Watch") in labels
        }
        if watch or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert watch == {"CANCELLED": 1}


def test_queue_depth_gauge_and_gpu_memory_over_http(served):
    import torch

    _, _, http_port, queued = served
    queued[0] = 9
    samples = scrape(http_port)
    assert value(samples, "hirelens_job_queue_depth") == 9
    gpu = [key for key in samples if key[0] == "hirelens_gpu_memory_bytes"]
    if torch.cuda.is_available():
        assert {dict(labels)["device"] for _, labels in gpu} == {
            f"cuda:{i}" for i in range(torch.cuda.device_count())
        }
    else:
        assert gpu == []  # absent, not zero, on a machine without CUDA


def _double(requests: list[pb_utils.InferenceRequest]) -> list[pb_utils.InferenceResponse]:
    """A model.py-style execute: one response per request, OUT = 2 * IN."""
    time.sleep(0.01)
    return [
        pb_utils.InferenceResponse([pb_utils.Tensor("OUT", 2 * r.inputs()[0].as_numpy())]) for r in requests
    ]


def test_batch_observer_sees_what_the_batcher_gathered():
    metrics = Metrics()
    seen: list[tuple[str, int, float]] = []

    def observe(model: str, rows: int, seconds: float) -> None:
        seen.append((model, rows, seconds))
        metrics.observe_batch(model, rows, seconds)

    batcher = DynamicBatcher(
        [_double], max_batch_size=8, max_queue_delay_us=200_000, name="double", on_batch=observe
    )
    try:
        requests = [
            pb_utils.InferenceRequest([pb_utils.Tensor("IN", np.full((2, 3), i, np.float32))], [], "double")
            for i in range(3)
        ]
        outputs = [batcher.submit(r) for r in requests]
        for i, future in enumerate(outputs):
            assert (future.result(5).output_tensors()[0].as_numpy() == 2 * i).all()
    finally:
        batcher.close()
    assert [(model, rows) for model, rows, _ in seen] == [
        ("double", 6)
    ]  # three requests of 2 rows, one execute
    assert seen[0][2] >= 0.01
    get = metrics.registry.get_sample_value
    assert get("hirelens_model_batch_size_sum", {"model": "double"}) == 6
    assert get("hirelens_model_batch_size_bucket", {"model": "double", "le": "4.0"}) == 0
    assert get("hirelens_model_batch_size_bucket", {"model": "double", "le": "8.0"}) == 1
    assert get("hirelens_model_inference_seconds_count", {"model": "double"}) == 1


def test_a_failing_observer_never_fails_the_requests():
    def broken(model: str, rows: int, seconds: float) -> None:
        raise RuntimeError("observer bug")

    batcher = DynamicBatcher(
        [_double], max_batch_size=0, max_queue_delay_us=0, name="double", on_batch=broken
    )
    try:
        future = batcher.submit(
            pb_utils.InferenceRequest([pb_utils.Tensor("IN", np.ones(2, np.float32))], [], "double")
        )
        assert (future.result(5).output_tensors()[0].as_numpy() == 2).all()
    finally:
        batcher.close()
    assert batcher.stats.executions == 1


def test_open_inference_streams_are_a_gauge_read_at_scrape_time():
    metrics = Metrics()
    streams = [2]
    metrics.watch_inference_streams(lambda: streams[0])
    http = start_metrics_server(metrics, port=0, addr="127.0.0.1")
    try:
        assert value(scrape(http.server_address[1]), "hirelens_inference_streams") == 2
        streams[0] = 0
        assert value(scrape(http.server_address[1]), "hirelens_inference_streams") == 0
    finally:
        http.shutdown()
        http.server_close()


def test_webhook_outcomes_and_dead_letters_read_at_scrape_time():
    metrics = Metrics()
    get = metrics.registry.get_sample_value
    assert get("hirelens_webhook_deliveries_total", {"outcome": "dead"}) == 0  # exported before the first
    assert get("hirelens_webhook_dead_letters") == 0  # no outbox attached yet
    for outcome in ("failed", "failed", "dead", "delivered"):
        metrics.webhook_attempted(outcome)
    assert get("hirelens_webhook_deliveries_total", {"outcome": "failed"}) == 2
    assert get("hirelens_webhook_deliveries_total", {"outcome": "dead"}) == 1
    dead = [3]
    metrics.watch_webhooks(lambda: dead[0])
    assert get("hirelens_webhook_dead_letters") == 3
    with pytest.raises(ValueError, match="not one of"):
        metrics.webhook_attempted("lost")
