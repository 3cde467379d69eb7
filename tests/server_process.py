"""``hirelens serve`` as a real subprocess for integration tests: own data folder, free ports, API keys."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

from server.jobs.tenants import hash_api_key, new_api_key

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerProcess:
    """One server: ``start`` waits until health says SERVING; ``kill`` is a crash, ``stop`` a SIGTERM."""

    folder: Path
    tenants: tuple[str, ...] = ("acme", "globex")
    server: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    address: str = ""
    metrics_port: int = 0
    process: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.keys = {name: new_api_key() for name in self.tenants}
        self.address = f"127.0.0.1:{free_port()}"
        self.metrics_port = free_port()
        settings = {
            "address": self.address,
            "metrics_port": self.metrics_port,
            "data_dir": str(self.folder / "data"),
            "log_json": True,
            "tenants": [{"name": n, "api_key_sha256": [hash_api_key(k)]} for n, k in self.keys.items()],
        }
        settings.update(self.server)
        self.config = self.folder / "hirelens.yaml"
        self.config.write_text(yaml.safe_dump({"server": settings}), encoding="utf-8")
        self.log = self.folder / "server.log"

    def start(
        self, timeout_s: float = 60.0, credentials: grpc.ChannelCredentials | None = None
    ) -> ServerProcess:
        """Start and wait for SERVING; ``credentials`` when the server speaks TLS."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "serve", "--config", str(self.config)],
                cwd=REPO_ROOT,
                stdout=subprocess.DEVNULL,
                stderr=log,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + timeout_s
        channel = (
            grpc.insecure_channel(self.address)
            if credentials is None
            else grpc.secure_channel(self.address, credentials)
        )
        with channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited ({self.process.returncode}): {self.log_text()}")
                try:
                    status = stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status
                    if status == health_pb2.HealthCheckResponse.SERVING:
                        return self
                except grpc.RpcError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server not ready in {timeout_s} s: {self.log_text()}")
                time.sleep(0.2)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-5000:]

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """A crash: SIGKILL, no chance to tidy up."""
        if self.alive():
            self.process.kill()
            self.process.wait()

    def stop(self, timeout_s: float = 30.0) -> int:
        """A graceful stop (SIGTERM), as an orchestrator does; returns the exit status."""
        if not self.alive():
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
