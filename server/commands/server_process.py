"""``hirelens serve`` as a child process, and the wait until its health service says SERVING: what
``hirelens demo`` does, and what the integration tests do to test a real server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from server.errors import HireLensError

LOG_TAIL_CHARS = 5000


def start_server_process(config: Path, log: Path) -> subprocess.Popen:
    """``hirelens serve --config CONFIG`` with stderr (its JSON log) appended to ``log``."""
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def log_tail(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL_CHARS:]


def wait_until_serving(
    process: subprocess.Popen,
    address: str,
    log: Path,
    timeout_s: float,
    credentials: grpc.ChannelCredentials | None = None,
) -> None:
    """Return once grpc.health.v1 reports SERVING; a server that exits or takes longer than ``timeout_s`` is a
    ``HireLensError`` carrying the end of its log. ``credentials`` when the server speaks TLS."""
    deadline = time.monotonic() + timeout_s
    channel = (
        grpc.insecure_channel(address) if credentials is None else grpc.secure_channel(address, credentials)
    )
    with channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            if process.poll() is not None:
                raise HireLensError(
                    f"the server exited while starting ({process.returncode}):\n{log_tail(log)}"
                )
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline:
                raise HireLensError(f"the server was not ready in {timeout_s:.0f} s:\n{log_tail(log)}")
            time.sleep(0.2)


def stop_server_process(process: subprocess.Popen, timeout_s: float = 30.0) -> int:
    """SIGTERM, as an orchestrator stops it (calls drain, jobs go back to the queue); SIGKILL after
    ``timeout_s``. Returns the exit status."""
    if process.poll() is not None:
        return process.returncode
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()
