"""The floor for an inference round trip: ``inference.GRPCInferenceService/ModelInfer`` with no model.

It decodes nothing and runs nothing: each input comes back as an output of the same name, datatype, shape
and raw bytes, on a gRPC server with the same limits and thread pool as ``hirelens serve``. What a
ModelInfer costs beyond this is HireLens' own work (validation, tensor conversion, batcher, model).

Run: ``.venv/bin/python -m bench.echo_servicer --address 127.0.0.1:8101``.
"""

from __future__ import annotations

import argparse
import signal
import threading
from concurrent import futures

import grpc
from tritonclient.grpc import service_pb2, service_pb2_grpc

from server.api.server import MAX_CONCURRENT_RPCS, MAX_MESSAGE_BYTES, MAX_WORKERS


class EchoServicer(service_pb2_grpc.GRPCInferenceServiceServicer):
    """ModelInfer echoes its inputs; liveness and readiness answer true so clients can wait for it."""

    def ServerLive(self, request, context) -> service_pb2.ServerLiveResponse:
        return service_pb2.ServerLiveResponse(live=True)

    def ServerReady(self, request, context) -> service_pb2.ServerReadyResponse:
        return service_pb2.ServerReadyResponse(ready=True)

    def ModelInfer(self, request, context) -> service_pb2.ModelInferResponse:
        return service_pb2.ModelInferResponse(
            model_name=request.model_name,
            model_version=request.model_version or "1",
            id=request.id,
            outputs=[
                service_pb2.ModelInferResponse.InferOutputTensor(
                    name=tensor.name, datatype=tensor.datatype, shape=tensor.shape
                )
                for tensor in request.inputs
            ],
            raw_output_contents=request.raw_input_contents,
        )


def build_echo_server(address: str) -> grpc.Server:
    """Bound to ``address`` with the options ``server.api.server.build_server`` uses; not yet started."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="grpc"),
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ],
        maximum_concurrent_rpcs=MAX_CONCURRENT_RPCS,
    )
    service_pb2_grpc.add_GRPCInferenceServiceServicer_to_server(EchoServicer(), server)
    if server.add_insecure_port(address) == 0:
        raise OSError(f"cannot listen on {address}")
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="127.0.0.1:8101")
    args = parser.parse_args()
    server = build_echo_server(args.address)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    stop.wait()
    server.stop(1).wait()


if __name__ == "__main__":
    main()
