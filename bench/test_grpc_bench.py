"""pytest-benchmark wrapper of ``bench.grpc_roundtrip``: ModelInfer through tritonclient, HireLens vs echo.

Run: ``make bench`` (or ``.venv/bin/pytest bench/test_grpc_bench.py --benchmark-enable``). Each benchmark
stores p50 and p99 in milliseconds in ``extra_info``; ``python -m bench.grpc_roundtrip`` prints the
side-by-side table recorded in docs/BENCHMARKS.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import tritonclient.grpc as triton

from bench.grpc_roundtrip import WORKLOADS, Workload, echo_server, hirelens_server

ROUNDS = 300
WARMUP = 20


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[dict[str, str]]:
    """Both servers, each in its own process, for the whole module."""
    folder: Path = tmp_path_factory.mktemp("grpc_bench")
    (folder / "echo").mkdir()
    (folder / "serve").mkdir()
    with echo_server(folder / "echo") as echo, hirelens_server(folder / "serve") as hirelens:
        yield {"echo": echo, "hirelens": hirelens}


@pytest.mark.parametrize("workload", WORKLOADS, ids=[w.model for w in WORKLOADS])
@pytest.mark.parametrize("server", ["echo", "hirelens"])
def test_model_infer_round_trip(benchmark, servers: dict[str, str], server: str, workload: Workload) -> None:
    client = triton.InferenceServerClient(servers[server])
    inputs = workload.inputs()
    try:
        result = benchmark.pedantic(
            client.infer, args=(workload.model, inputs), rounds=ROUNDS, warmup_rounds=WARMUP, iterations=1
        )
    finally:
        client.close()
    if server == "echo":  # the floor sends the request's bytes straight back
        name = inputs[0].name()
        assert result.as_numpy(name).shape == tuple(inputs[0].shape())
    else:
        assert result.get_response().model_name == workload.model
    if benchmark.enabled:
        data = np.asarray(benchmark.stats.stats.data)
        benchmark.extra_info["p50_ms"] = round(float(np.percentile(data, 50)) * 1000, 3)
        benchmark.extra_info["p99_ms"] = round(float(np.percentile(data, 99)) * 1000, 3)
