"""ModelInfer round trip through tritonclient: ``hirelens serve`` against a bare echo servicer (the floor).

Both servers run as their own processes on loopback; one client sends the same requests to each, one call at
a time, and the table gives p50 and p99 per workload and how many times the floor HireLens takes.

Run: ``.venv/bin/python -m bench.grpc_roundtrip [--calls 1000] [--warmup 50]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tritonclient.grpc as triton
import yaml
from tritonclient.utils import InferenceServerException, np_to_triton_dtype

from server.commands.server_process import stop_server_process
from tests.server_process import free_port

REPO_ROOT = Path(__file__).resolve().parent.parent
SENTENCE = "I led the migration of our billing system and cut costs by 20% in six months."


def prosody_audio() -> dict[str, np.ndarray]:
    """100 ms of 16 kHz audio (1,600 FP32 samples): a voiced 150 Hz tone."""
    return {"AUDIO": (0.3 * np.sin(2 * np.pi * 150 * np.arange(1600) / 16000)).astype(np.float32)}


def one_sentence() -> dict[str, np.ndarray]:
    return {"TEXT": np.array([[SENTENCE.encode()]], dtype=object)}


@dataclass(frozen=True)
class Workload:
    """One request: the model it goes to and its input arrays."""

    name: str
    model: str
    arrays: Callable[[], dict[str, np.ndarray]]

    def inputs(self) -> list[triton.InferInput]:
        """The arrays as tritonclient inputs (raw contents, as tritonclient always sends)."""
        tensors = []
        for name, array in self.arrays().items():
            tensor = triton.InferInput(name, list(array.shape), np_to_triton_dtype(array.dtype))
            tensor.set_data_from_numpy(array)
            tensors.append(tensor)
        return tensors


WORKLOADS = (
    Workload("voice_prosody, 1,600 FP32 samples", "voice_prosody", prosody_audio),
    Workload("text_embed_minilm, one sentence (BYTES [1, 1])", "text_embed_minilm", one_sentence),
)


def wait_ready(process: subprocess.Popen, address: str, log: Path, timeout_s: float = 120) -> None:
    client = triton.InferenceServerClient(address)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited ({process.returncode}): {log.read_text()[-3000:]}")
            try:
                if client.is_server_ready():
                    return
            except InferenceServerException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready in {timeout_s} s: {log.read_text()[-3000:]}")
            time.sleep(0.2)
    finally:
        client.close()


@contextmanager
def running(command: list[str], address: str, folder: Path) -> Iterator[str]:
    """Start ``command`` (a server on ``address``), wait until it is ready, yield the address, stop it."""
    log = folder / "server.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        wait_ready(process, address, log)
        yield address
    finally:
        stop_server_process(process)


@contextmanager
def hirelens_server(folder: Path) -> Iterator[str]:
    """``hirelens serve`` as an operator runs it, with its own data folder and no metrics port."""
    address = f"127.0.0.1:{free_port()}"
    config = folder / "hirelens.yaml"
    settings = {"address": address, "data_dir": str(folder / "data"), "metrics_port": None}
    config.write_text(yaml.safe_dump({"server": settings}), encoding="utf-8")
    command = [sys.executable, "-m", "server.cli", "serve", "--config", str(config), "--address", address]
    with running(command, address, folder) as ready:
        yield ready


@contextmanager
def echo_server(folder: Path) -> Iterator[str]:
    address = f"127.0.0.1:{free_port()}"
    with running(
        [sys.executable, "-m", "bench.echo_servicer", "--address", address], address, folder
    ) as ready:
        yield ready


def round_trips(
    client: triton.InferenceServerClient, workload: Workload, calls: int, warmup: int
) -> np.ndarray:
    """Seconds per sequential ``client.infer``; the first ``warmup`` calls (model load included) untimed."""
    inputs = workload.inputs()
    for _ in range(warmup):
        client.infer(workload.model, inputs)
    seconds = np.empty(calls)
    for i in range(calls):
        started = time.perf_counter()
        client.infer(workload.model, inputs)
        seconds[i] = time.perf_counter() - started
    return seconds


def measure(address: str, calls: int, warmup: int) -> dict[str, np.ndarray]:
    client = triton.InferenceServerClient(address)
    try:
        return {w.name: round_trips(client, w, calls, warmup) for w in WORKLOADS}
    finally:
        client.close()


def in_process(calls: int, warmup: int) -> dict[str, np.ndarray]:
    """The same requests through ``Runtime.infer`` in this process: the model's own share, no gRPC."""
    from server.config import Settings
    from server.runtime import Runtime

    runtime = Runtime(Settings.load())
    try:
        timings = {}
        for workload in WORKLOADS:
            inputs = workload.arrays()
            for _ in range(warmup):
                runtime.infer(workload.model, inputs)
            seconds = np.empty(calls)
            for i in range(calls):
                started = time.perf_counter()
                runtime.infer(workload.model, inputs)
                seconds[i] = time.perf_counter() - started
            timings[workload.name] = seconds
        return timings
    finally:
        runtime.close()


def table(hirelens: dict[str, np.ndarray], floor: dict[str, np.ndarray], model: dict[str, np.ndarray]) -> str:
    rows = [
        "| workload | HireLens p50 | p99 | echo floor p50 | p99 | ratio p50 | ratio p99 "
        "| in-process `runtime.infer` p50 | p99 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in hirelens:
        ours = np.percentile(hirelens[name], [50, 99]) * 1000
        base = np.percentile(floor[name], [50, 99]) * 1000
        local = np.percentile(model[name], [50, 99]) * 1000
        rows.append(
            f"| {name} | {ours[0]:.2f} ms | {ours[1]:.2f} ms | {base[0]:.2f} ms | {base[1]:.2f} ms "
            f"| {ours[0] / base[0]:.1f}x | {ours[1] / base[1]:.1f}x | {local[0]:.2f} ms | {local[1]:.2f} ms |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="timed calls per workload and server")
    parser.add_argument("--warmup", type=int, default=50, help="untimed calls first (models load here)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hirelens-bench-") as tmp:
        folder = Path(tmp)
        (folder / "echo").mkdir()
        (folder / "serve").mkdir()
        # One server at a time: on 2 cores an idle second server would still steal its share of wakeups.
        with echo_server(folder / "echo") as address:
            floor = measure(address, args.calls, args.warmup)
        with hirelens_server(folder / "serve") as address:
            hirelens = measure(address, args.calls, args.warmup)
    model = in_process(args.calls, args.warmup)
    print(f"{args.calls} sequential ModelInfer calls per row after {args.warmup} warm-up calls, one client")
    print(table(hirelens, floor, model))


if __name__ == "__main__":
    main()
