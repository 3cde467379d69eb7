"""``hirelens serve``: the gRPC server (KServe v2 / Triton inference protocol) until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

DEFAULT_ADDRESS = "127.0.0.1:8001"  # Triton's gRPC port; loopback unless an operator opens it on purpose


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("serve", help="serve the inference protocol (KServe v2 / Triton gRPC)")
    parser.add_argument("--config", type=Path, help="settings file (YAML)")
    parser.add_argument(
        "--address", default=DEFAULT_ADDRESS, help=f"host:port to listen on ({DEFAULT_ADDRESS})"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> str:
    from grpc_health.v1 import health

    from server.api.server import build_server, stop_gracefully
    from server.config import Settings
    from server.errors import InputError
    from server.runtime import get_runtime

    runtime = get_runtime(Settings.load(args.config))
    health_servicer = health.HealthServicer()
    try:
        server = build_server(runtime, args.address, health_servicer=health_servicer)
    except OSError as exc:
        raise InputError(str(exc)) from None
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    names = runtime.repository.names()
    print(f"hirelens: serving {len(names)} models on {args.address} (grpc)", file=sys.stderr, flush=True)
    stop.wait()
    stop_gracefully(server, health_servicer)
    runtime.close()
    return "hirelens: stopped"
