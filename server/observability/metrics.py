"""Prometheus metrics for the gRPC server, the job queue and the model runtime.

Every metric lives in the ``Metrics`` object's own ``CollectorRegistry`` rather than prometheus_client's
global one, so a process (or a test) can hold several without "duplicated timeseries" errors. Values that
already exist elsewhere (jobs queued, GPU memory) are read at scrape time instead of being copied on every
change, so they can never drift from the truth.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from server.runtime import Runtime

DEFAULT_METRICS_PORT = 8002  # beside Triton's gRPC port 8001, where Triton itself serves metrics
JOB_STATES = ("done", "failed", "cancelled")
WEBHOOK_OUTCOMES = ("delivered", "failed", "dead")

# A ModelInfer costs from under a millisecond (prosody on a short window) to a minute (Whisper on a chunk).
RPC_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
# A whole interview's job: seconds for text answers, minutes for a long recording.
JOB_BUCKETS = (1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600)
# Model batches hold 1 to max_batch_size rows (64 for the text embedders).
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)
INFERENCE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class _GpuMemoryCollector(Collector):
    """``hirelens_gpu_memory_bytes{device}``: torch's allocated CUDA memory per device, read at scrape time.

    Torch is only consulted when something in the process already imported it: a process that never loaded
    torch has allocated nothing through it, and importing it just to scrape would cost seconds and memory.
    """

    def collect(self) -> Iterator[Metric]:
        torch = sys.modules.get("torch")
        if torch is None or not torch.cuda.is_available():
            return
        family = GaugeMetricFamily(
            "hirelens_gpu_memory_bytes", "CUDA memory allocated by torch, per device", labels=["device"]
        )
        for index in range(torch.cuda.device_count()):
            family.add_metric([f"cuda:{index}"], float(torch.cuda.memory_allocated(index)))
        yield family


class Metrics:
    """The server's metrics in one registry; hand ``registry`` to the HTTP exporter."""

    def __init__(self, queue_depth: Callable[[], int] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.grpc_requests = Counter(
            "hirelens_grpc_requests",
            "gRPC calls finished, by service, method and status code",
            ["service", "method", "code"],
            registry=registry,
        )
        self.grpc_seconds = Histogram(
            "hirelens_grpc_request_seconds",
            "gRPC call duration; for streaming responses, until the stream ends",
            ["service", "method"],
            buckets=RPC_BUCKETS,
            registry=registry,
        )
        self.job_queue_depth = Gauge(
            "hirelens_job_queue_depth", "Jobs queued and not yet started", registry=registry
        )
        self._queue_depth = queue_depth
        self.job_queue_depth.set_function(self._read_queue_depth)
        self.jobs = Counter("hirelens_jobs", "Jobs finished, by final state", ["state"], registry=registry)
        for state in JOB_STATES:  # present at 0 from the start, so rate() works before the first failure
            self.jobs.labels(state)
        self.job_seconds = Histogram(
            "hirelens_job_seconds",
            "Job duration to its final state",
            buckets=JOB_BUCKETS,
            registry=registry,
        )
        self.upload_bytes = Counter(
            "hirelens_upload_bytes", "Media bytes received by uploads", registry=registry
        )
        self.model_batch_size = Histogram(
            "hirelens_model_batch_size",
            "Rows per model execution (what the dynamic batcher gathered)",
            ["model"],
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.model_inference_seconds = Histogram(
            "hirelens_model_inference_seconds",
            "Duration of one model execution (one batch)",
            ["model"],
            buckets=INFERENCE_BUCKETS,
            registry=registry,
        )
        registry.register(_GpuMemoryCollector())
        # webhooks (jobs area): every attempt's outcome, and the dead letters as the database holds them
        self.webhook_deliveries = Counter(
            "hirelens_webhook_deliveries",
            "Webhook POST attempts, by outcome: delivered, failed (retried later) or dead (given up)",
            ["outcome"],
            registry=registry,
        )
        for outcome in WEBHOOK_OUTCOMES:
            self.webhook_deliveries.labels(outcome)
        self.webhook_dead_letters = Gauge(
            "hirelens_webhook_dead_letters",
            "Webhook deliveries given up on after their last attempt (kept, never sent again)",
            registry=registry,
        )
        self._dead_letters: Callable[[], int] | None = None
        self.webhook_dead_letters.set_function(self._read_dead_letters)

    def _read_queue_depth(self) -> float:
        """Scrape-time read of the job queue; 0 until a queue is attached, NaN if reading it fails."""
        if self._queue_depth is None:
            return 0.0
        try:
            return float(self._queue_depth())
        except Exception:  # a broken store must not break the whole scrape
            return float("nan")

    def set_queue_depth_source(self, queue_depth: Callable[[], int]) -> None:
        """Attach the job store's "how many are queued" once it exists (the store may start after metrics)."""
        self._queue_depth = queue_depth

    def _read_dead_letters(self) -> float:
        if self._dead_letters is None:
            return 0.0
        try:
            return float(self._dead_letters())
        except Exception:  # as for the queue depth: a broken store must not break the scrape
            return float("nan")

    def watch_webhooks(self, dead_letters: Callable[[], int]) -> None:
        """Read the dead-letter count from the outbox at scrape time."""
        self._dead_letters = dead_letters

    def webhook_attempted(self, outcome: str) -> None:
        """Count one webhook POST attempt's outcome (``WebhookSender``'s ``on_outcome``)."""
        if outcome not in WEBHOOK_OUTCOMES:
            raise ValueError(f"webhook outcome {outcome!r} is not one of {', '.join(WEBHOOK_OUTCOMES)}")
        self.webhook_deliveries.labels(outcome).inc()

    def observe_rpc(self, service: str, method: str, code: str, seconds: float) -> None:
        self.grpc_requests.labels(service, method, code).inc()
        self.grpc_seconds.labels(service, method).observe(seconds)

    def job_finished(self, state: str, seconds: float) -> None:
        """Count a job reaching ``state`` (done, failed, cancelled) after ``seconds`` of running."""
        if state not in JOB_STATES:
            raise ValueError(f"job state {state!r} is not one of {', '.join(JOB_STATES)}")
        self.jobs.labels(state).inc()
        self.job_seconds.observe(seconds)

    def upload_received(self, size: int) -> None:
        self.upload_bytes.inc(size)

    def observe_batch(self, model: str, rows: int, seconds: float) -> None:
        """A ``BatchObserver`` for the runtime: one model execution of ``rows`` rows took ``seconds``."""
        self.model_batch_size.labels(model).observe(rows)
        self.model_inference_seconds.labels(model).observe(seconds)

    def watch_inference_streams(self, open_streams: Callable[[], int]) -> None:
        """Publish how many ModelStreamInfer streams (each holding a reader thread) are open."""
        gauge = Gauge(
            "hirelens_inference_streams",
            "ModelStreamInfer streams open now (each holds two threads; server.max_inference_streams)",
            registry=self.registry,
        )
        gauge.set_function(open_streams)

    def watch_runtime(self, runtime: Runtime) -> None:
        """Observe every batch the runtime's local executor runs, on whichever thread runs it."""
        runtime.executor.add_batch_observer(self.observe_batch)


def start_metrics_server(
    metrics: Metrics, port: int = DEFAULT_METRICS_PORT, addr: str = "0.0.0.0"
) -> WSGIServer:
    """Serve ``/metrics`` over HTTP on a daemon thread; ``server.shutdown()`` then ``server_close()`` stop it.

    Port 0 picks a free port (``server.server_address[1]``). Raises OSError when the port cannot be bound.
    """
    server, _thread = start_http_server(port, addr=addr, registry=metrics.registry)
    return server
