"""The gRPC server: the inference service, the HireLens API, grpc.health.v1 and reflection on one port."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from tritonclient.grpc import service_pb2, service_pb2_grpc

from server.api.inference_servicer import InferenceServicer
from server.config import ServerSettings
from server.runtime import Runtime

log = logging.getLogger(__name__)

INFERENCE_SERVICE = service_pb2.DESCRIPTOR.services_by_name["GRPCInferenceService"].full_name

# server.max_message_bytes: gRPC's 4 MiB default refuses ordinary inference payloads; 64 MiB holds 17
# minutes of 16 kHz FP32 audio or a batch of eight 1080p RGB frames, and still bounds what one call can make
# the server buffer. Longer media belongs in the chunked upload API, not in one tensor.
MAX_MESSAGE_BYTES: int = ServerSettings.model_fields["max_message_bytes"].default

# Each unary ModelInfer holds a thread while it waits on the dynamic batcher, so the pool must exceed the
# largest batch a model takes (text embedders: 64) for concurrent callers to meet in one batch: this many
# threads are kept for short calls beyond the uploads and watches (server.max_streams, default 64) and the
# inference streams (server.max_inference_streams, default 32) that may each hold one for their whole length.
SHORT_CALL_THREADS = 96
MAX_WORKERS = 64 + 32 + SHORT_CALL_THREADS

# server.max_concurrent_rpcs: calls beyond it wait nowhere; they fail fast with RESOURCE_EXHAUSTED instead of
# queueing without bound.
MAX_CONCURRENT_RPCS: int = ServerSettings.model_fields["max_concurrent_rpcs"].default


# (service full name, function that adds its servicer to a server)
Service = tuple[str, Callable[[grpc.Server], None]]


def build_server(
    runtime: Runtime,
    address: str,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
    max_workers: int = MAX_WORKERS,
    max_concurrent_rpcs: int = MAX_CONCURRENT_RPCS,
    health_servicer: health.HealthServicer | None = None,
    services: Sequence[Service] = (),
    interceptors: Sequence[grpc.ServerInterceptor] = (),
    credentials: grpc.ServerCredentials | None = None,
    inference: InferenceServicer | None = None,
) -> grpc.Server:
    """A server bound to ``address``, not yet started: the inference protocol plus ``services``.

    Pass ``health_servicer`` and ``inference`` (the inference servicer, built with its limits) to keep
    handles for ``stop_gracefully``; ``credentials`` for TLS. Raises OSError when the address cannot be bound
    (port in use, bad host).
    """
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="grpc"),
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.so_reuseport", 0),  # a second server on a busy port must fail, not share it
            # clients ping long, quiet watches every minute (hirelens-client); accept one every 30 s
            ("grpc.http2.min_recv_ping_interval_without_data_ms", 30_000),
        ],
        maximum_concurrent_rpcs=max_concurrent_rpcs,
        interceptors=list(interceptors),
    )
    service_pb2_grpc.add_GRPCInferenceServiceServicer_to_server(
        inference or InferenceServicer(runtime), server
    )
    for _, add in services:
        add(server)
    names = [INFERENCE_SERVICE, *(name for name, _ in services)]

    health_servicer = health_servicer or health.HealthServicer()
    for service in ("", *names):
        health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)

    reflection.enable_server_reflection((*names, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    try:
        if credentials is None:
            port = server.add_insecure_port(address)
        else:
            port = server.add_secure_port(address, credentials)
    except RuntimeError as exc:
        raise OSError(f"cannot listen on {address}: {exc}") from exc
    if port == 0:
        raise OSError(f"cannot listen on {address}")
    return server


def stop_gracefully(
    server: grpc.Server,
    health_servicer: health.HealthServicer | None = None,
    grace_s: float = 5.0,
    inference: InferenceServicer | None = None,
) -> None:
    """Report NOT_SERVING and ServerReady false (load balancers stop sending), let in-flight inference
    finish while the port still answers probes (new inference gets UNAVAILABLE), then stop the port, giving
    the remaining calls what is left of ``grace_s``."""
    end = time.monotonic() + grace_s
    if health_servicer is not None:
        health_servicer.enter_graceful_shutdown()
    if inference is not None and not inference.drain(grace_s):
        log.warning("inference requests still running after %s s of shutdown grace", grace_s)
    server.stop(max(0.0, end - time.monotonic())).wait()
