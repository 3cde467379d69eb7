"""``hirelens serve``: the HireLens API and the KServe v2 / Triton inference protocol on one gRPC port, with
durable jobs, webhooks and Prometheus metrics, until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "serve", help="run the gRPC server (HireLens API + Triton inference protocol)"
    )
    parser.add_argument("--config", type=Path, help="settings file (YAML); see docs/configuration.md")
    parser.add_argument("--address", help="host:port to listen on (default 127.0.0.1:8001, or the config's)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> str:
    from server.config import Settings
    from server.errors import InputError
    from server.observability.logs import configure_logging

    settings = Settings.load(args.config)
    if args.address:
        settings.server.address = args.address
    configure_logging(os.environ.get("HIRELENS_LOG_LEVEL", "INFO"), json=settings.server.log_json)

    from server.service import HireLensService

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        service = HireLensService.build(settings)
        service.start()
    except OSError as exc:
        raise InputError(str(exc)) from None
    names = service.runtime.repository.names()
    metrics = settings.server.metrics_port
    print(
        f"hirelens: serving {len(names)} models and the HireLens API on {settings.server.address} (grpc)"
        + (f", metrics on :{metrics}" if metrics is not None else ""),
        file=sys.stderr,
        flush=True,
    )
    stop.wait()
    service.stop()
    service.runtime.close()
    return "hirelens: stopped"
