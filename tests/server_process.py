"""``hirelens serve`` as a real subprocess for integration tests: own data folder, free ports, API keys."""

from __future__ import annotations

import socket
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import yaml
from prometheus_client.parser import text_string_to_metric_families

from server.commands.server_process import (
    log_tail,
    start_server_process,
    stop_server_process,
    wait_until_serving,
)
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
        self.process = start_server_process(self.config, self.log)
        wait_until_serving(self.process, self.address, self.log, timeout_s, credentials)
        return self

    def metrics_text(self) -> str:
        """The Prometheus exposition the server publishes on its metrics port."""
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.read().decode()

    def metric(self, sample: str, **labels: str) -> float:
        """The sum of the samples named ``sample`` whose labels include ``labels`` (0 when none)."""
        return sum(
            s.value
            for family in text_string_to_metric_families(self.metrics_text())
            for s in family.samples
            if s.name == sample and labels.items() <= s.labels.items()
        )

    def log_text(self) -> str:
        return log_tail(self.log)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """A crash: SIGKILL, no chance to tidy up."""
        if self.alive():
            self.process.kill()
            self.process.wait()

    def stop(self, timeout_s: float = 30.0) -> int:
        """A graceful stop (SIGTERM), as an orchestrator does; returns the exit status."""
        return stop_server_process(self.process, timeout_s) if self.process else 0
