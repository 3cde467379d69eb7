"""The runtime on a tiny add_sub model (Triton's python_backend example), written into a temp repository."""

from __future__ import annotations

import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2

from server.config import Settings
from server.errors import (
    InferenceCancelled,
    InferenceError,
    InferenceRejected,
    InferenceUnavailable,
    ModelRepositoryError,
)
from server.runtime import Runtime
from server.runtime.device import cuda_device_count, instance_devices

ADD_SUB = textwrap.dedent(
    """
    import json
    import time
    from pathlib import Path

    import numpy as np

    try:
        import triton_python_backend_utils as pb_utils
    except ImportError:
        from server.runtime import pb_utils


    class TritonPythonModel:
        def initialize(self, args):
            self.config = json.loads(args["model_config"])
            self.kind = args["model_instance_kind"]
            self.device_id = args["model_instance_device_id"]
            self.calls = []  # the INPUT0 shapes of each execute() call
            load_s = self.config.get("parameters", {}).get("load_s", {}).get("string_value", "0")
            time.sleep(float(load_s))  # a load slow enough for concurrent first callers to overlap
            with open(Path(args["model_repository"]) / "loads.log", "a") as log:
                log.write("loaded\\n")

        def execute(self, requests):
            self.calls.append(
                [pb_utils.get_input_tensor_by_name(r, "INPUT0").as_numpy().shape for r in requests]
            )
            responses = []
            for request in requests:
                a = pb_utils.get_input_tensor_by_name(request, "INPUT0").as_numpy()
                b = pb_utils.get_input_tensor_by_name(request, "INPUT1").as_numpy()
                if np.isnan(a).any():
                    error = pb_utils.TritonError("INPUT0 has NaN", pb_utils.TritonError.INVALID_ARG)
                    responses.append(pb_utils.InferenceResponse(error=error))
                    continue
                if np.isinf(a).any():
                    raise pb_utils.TritonModelException("infinite input breaks the whole batch")
                responses.append(
                    pb_utils.InferenceResponse(
                        [pb_utils.Tensor("OUTPUT0", a + b), pb_utils.Tensor("OUTPUT1", a - b)]
                    )
                )
            return responses
    """
)

CONFIG = """
name: "add_sub"
backend: "python"
max_batch_size: {max_batch}
input [ {{ name: "INPUT0" data_type: TYPE_FP32 dims: [ -1 ] }},
         {{ name: "INPUT1" data_type: TYPE_FP32 dims: [ -1 ] }} ]
output [ {{ name: "OUTPUT0" data_type: TYPE_FP32 dims: [ -1 ] }},
         {{ name: "OUTPUT1" data_type: TYPE_FP32 dims: [ -1 ] }} ]
instance_group [ {{ kind: KIND_CPU count: 1 }} ]
{batching}
parameters {{ key: "load_s" value {{ string_value: "{load_s}" }} }}
"""


def make_repo(root: Path, max_batch: int = 8, delay_us: int = 200_000, load_s: float = 0.0) -> Path:
    model = root / "add_sub"
    (model / "1").mkdir(parents=True)
    (model / "1" / "model.py").write_text(ADD_SUB)
    batching = f"dynamic_batching {{ max_queue_delay_microseconds: {delay_us} }}" if max_batch else ""
    (model / "config.pbtxt").write_text(CONFIG.format(max_batch=max_batch, batching=batching, load_s=load_s))
    return root


@pytest.fixture
def runtime(tmp_path: Path):
    rt = Runtime(Settings(model_repo=make_repo(tmp_path)))
    yield rt
    rt.close()


def test_single_request_runs_the_model(runtime: Runtime) -> None:
    a = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    b = np.array([[0.5, 0.5, 0.5]], dtype=np.float32)
    out = runtime.infer("add_sub", {"INPUT0": a, "INPUT1": b})
    np.testing.assert_allclose(out["OUTPUT0"], a + b)
    np.testing.assert_allclose(out["OUTPUT1"], a - b)


def test_concurrent_requests_are_batched_up_to_max_batch_size(runtime: Runtime) -> None:
    futures = [
        runtime.infer_async(
            "add_sub",
            {"INPUT0": np.full((1, 4), i, np.float32), "INPUT1": np.ones((1, 4), np.float32)},
        )
        for i in range(12)
    ]
    results = [f.result() for f in futures]
    for i, out in enumerate(results):
        np.testing.assert_allclose(out["OUTPUT0"], np.full((1, 4), i + 1, np.float32))
    stats = runtime.executor.loaded()["add_sub"].batcher.stats
    assert stats.requests == 12
    assert max(stats.batch_sizes) == 8, stats.batch_sizes  # capped by max_batch_size
    assert stats.executions < 12


def test_requests_with_different_shapes_are_not_batched_together(runtime: Runtime) -> None:
    small = {"INPUT0": np.ones((1, 2), np.float32), "INPUT1": np.ones((1, 2), np.float32)}
    large = {"INPUT0": np.ones((1, 5), np.float32), "INPUT1": np.ones((1, 5), np.float32)}
    futures = [runtime.infer_async("add_sub", small if i % 2 else large) for i in range(6)]
    shapes = [f.result()["OUTPUT0"].shape for f in futures]
    assert shapes == [(1, 5), (1, 2)] * 3
    calls = runtime.executor.loaded()["add_sub"].instances[0].calls
    assert sorted(shape for call in calls for shape in call) == [(1, 2)] * 3 + [(1, 5)] * 3
    mixed = [call for call in calls if len(set(call)) > 1]
    assert not mixed, f"one execute() got inputs of different shapes: {mixed}"


def test_a_request_larger_than_max_batch_size_is_refused(runtime: Runtime) -> None:
    rows = np.ones((9, 2), np.float32)
    with pytest.raises(InferenceRejected, match="exceeds the model's max_batch_size 8"):
        runtime.infer("add_sub", {"INPUT0": rows, "INPUT1": rows})


def test_a_per_request_error_fails_only_that_request(runtime: Runtime) -> None:
    good = {"INPUT0": np.ones((1, 2), np.float32), "INPUT1": np.ones((1, 2), np.float32)}
    bad = {"INPUT0": np.full((1, 2), np.nan, np.float32), "INPUT1": np.ones((1, 2), np.float32)}
    good_future = runtime.infer_async("add_sub", good)
    bad_future = runtime.infer_async("add_sub", bad)
    np.testing.assert_allclose(good_future.result()["OUTPUT0"], np.full((1, 2), 2.0))
    with pytest.raises(InferenceRejected, match="INPUT0 has NaN"):  # INVALID_ARG: the caller's input
        bad_future.result()


def test_a_model_exception_does_not_kill_the_worker(runtime: Runtime) -> None:
    broken = {"INPUT0": np.full((1, 2), np.inf, np.float32), "INPUT1": np.ones((1, 2), np.float32)}
    with pytest.raises(InferenceError, match="infinite input") as failed:
        runtime.infer("add_sub", broken)
    assert type(failed.value) is InferenceError  # the model's own fault (INTERNAL), not the caller's
    good = {"INPUT0": np.ones((1, 2), np.float32), "INPUT1": np.ones((1, 2), np.float32)}
    np.testing.assert_allclose(runtime.infer("add_sub", good)["OUTPUT0"], np.full((1, 2), 2.0))


def test_model_loads_once_for_all_threads(tmp_path: Path) -> None:
    """Eight first callers at once, during a load of 0.5 s: the model's initialize() runs once."""
    rt = Runtime(Settings(model_repo=make_repo(tmp_path, load_s=0.5)))
    request = {"INPUT0": np.ones((1, 2), np.float32), "INPUT1": np.ones((1, 2), np.float32)}
    results: list = []
    threads = [
        threading.Thread(target=lambda: results.append(rt.infer("add_sub", request))) for _ in range(8)
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert len(results) == 8
        assert (tmp_path / "add_sub" / "loads.log").read_text().splitlines() == ["loaded"]
    finally:
        rt.close()


def test_unbatched_model_gets_one_request_per_call(tmp_path: Path) -> None:
    rt = Runtime(Settings(model_repo=make_repo(tmp_path, max_batch=0)))
    try:
        futures = [
            rt.infer_async("add_sub", {"INPUT0": np.ones(3, np.float32), "INPUT1": np.ones(3, np.float32)})
            for _ in range(5)
        ]
        for f in futures:
            np.testing.assert_allclose(f.result()["OUTPUT0"], np.full(3, 2.0))
        assert rt.executor.loaded()["add_sub"].batcher.stats.batch_sizes == {1: 5}
    finally:
        rt.close()


def test_config_reaches_initialize_as_triton_json(runtime: Runtime) -> None:
    request = {"INPUT0": np.ones((1, 2), np.float32), "INPUT1": np.ones((1, 2), np.float32)}
    runtime.infer("add_sub", request)
    instance = runtime.executor.loaded()["add_sub"].instances[0]
    assert instance.config["max_batch_size"] == 8
    assert instance.config["dynamic_batching"]["max_queue_delay_microseconds"] == "200000"
    assert instance.kind == "CPU"


def test_unknown_model_is_named(runtime: Runtime) -> None:
    with pytest.raises(ModelRepositoryError, match=r"unknown model 'nope'.*add_sub"):
        runtime.infer("nope", {})


def test_highest_version_folder_is_served(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / "add_sub" / "3").mkdir()
    (repo / "add_sub" / "3" / "model.py").write_text(ADD_SUB)
    (repo / "add_sub" / "notes").mkdir()
    rt = Runtime(Settings(model_repo=repo))
    assert rt.repository.get("add_sub").version == "3"
    rt.close()


def test_broken_config_names_the_file_and_spares_other_models(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    broken = repo / "broken"
    (broken / "1").mkdir(parents=True)
    (broken / "1" / "model.py").write_text(ADD_SUB)
    (broken / "config.pbtxt").write_text("name: 'broken'\nmax_batch_size: lots\n")
    rt = Runtime(Settings(model_repo=repo))
    try:
        with pytest.raises(ModelRepositoryError, match=r"broken/config.pbtxt"):
            rt.infer("broken", {})
        ones = np.ones((1, 2), np.float32)
        np.testing.assert_allclose(rt.infer("add_sub", {"INPUT0": ones, "INPUT1": ones})["OUTPUT0"], 2 * ones)
    finally:
        rt.close()


def test_missing_version_folder_is_named(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    (repo / "add_sub" / "1" / "model.py").unlink()
    rt = Runtime(Settings(model_repo=repo))
    with pytest.raises(ModelRepositoryError, match="add_sub: no numeric version folder"):
        rt.infer("add_sub", {})


def test_a_request_cancelled_before_its_turn_never_reaches_the_model(runtime: Runtime) -> None:
    ones = {"INPUT0": np.ones((1, 2), np.float32), "INPUT1": np.ones((1, 2), np.float32)}
    runtime.infer("add_sub", ones)
    stats = runtime.executor.loaded()["add_sub"].batcher.stats
    executions = stats.executions
    with pytest.raises(InferenceCancelled, match="request cancelled"):
        runtime.infer_async("add_sub", ones, cancelled=lambda: True).result()
    assert stats.executions == executions
    np.testing.assert_allclose(runtime.infer("add_sub", ones)["OUTPUT0"], 2 * ones["INPUT0"])


SLOW_LOAD = textwrap.dedent(
    """
    import json
    import time
    from pathlib import Path


    class TritonPythonModel:
        def initialize(self, args):
            gate = Path(json.loads(args["model_config"])["parameters"]["gate"]["string_value"])
            end = time.monotonic() + 30
            while not gate.exists() and time.monotonic() < end:  # a load that takes until the test says
                time.sleep(0.01)

        def execute(self, requests):
            return []
    """
)


def test_a_slow_load_holds_up_only_its_own_model(tmp_path: Path) -> None:
    """Loading a sentence encoder takes seconds: requests to models already loaded must go on meanwhile."""
    repo = make_repo(tmp_path / "repo")
    gate = tmp_path / "gate"
    slow = repo / "slow"
    (slow / "1").mkdir(parents=True)
    (slow / "1" / "model.py").write_text(SLOW_LOAD)
    (slow / "config.pbtxt").write_text(
        'name: "slow"\nbackend: "python"\nmax_batch_size: 0\n'
        'input [ { name: "X" data_type: TYPE_FP32 dims: [ 1 ] } ]\n'
        'output [ { name: "Y" data_type: TYPE_FP32 dims: [ 1 ] } ]\n'
        f'parameters {{ key: "gate" value: {{ string_value: "{gate}" }} }}\n'
    )
    rt = Runtime(Settings(model_repo=repo))
    ones = {"INPUT0": np.ones((1, 2), np.float32), "INPUT1": np.ones((1, 2), np.float32)}
    try:
        rt.infer("add_sub", ones)
        loading = threading.Thread(target=rt.executor.model, args=(rt.repository.get("slow"),), daemon=True)
        loading.start()
        while "slow" not in rt.executor._loading:  # the load has begun and holds its lock
            time.sleep(0.01)
        answer = rt.infer_async("add_sub", ones).result(timeout=10)  # would wait 30 s behind a global lock
        np.testing.assert_allclose(answer["OUTPUT0"], 2 * ones["INPUT0"])
        assert loading.is_alive()
        gate.touch()
        loading.join(timeout=10)
        assert "slow" in rt.executor.loaded()
    finally:
        gate.touch()
        rt.close()


BLOCKING = textwrap.dedent(
    """
    import json
    import time
    from pathlib import Path

    from server.runtime import pb_utils


    class TritonPythonModel:
        def initialize(self, args):
            self.gate = Path(json.loads(args["model_config"])["parameters"]["gate"]["string_value"])

        def execute(self, requests):
            (self.gate.parent / "running").touch()  # tells the test this batch is closed and executing
            end = time.monotonic() + 30
            while not self.gate.exists() and time.monotonic() < end:  # busy until the test says
                time.sleep(0.01)
            inputs = [pb_utils.get_input_tensor_by_name(r, "X").as_numpy() for r in requests]
            return [pb_utils.InferenceResponse([pb_utils.Tensor("Y", x)]) for x in inputs]
    """
)


def blocking_repo(root: Path, gate: Path, batching: str = "") -> Path:
    """A model whose execute() waits for ``gate`` to exist: requests sent meanwhile queue behind it."""
    model = root / "blocking"
    (model / "1").mkdir(parents=True)
    (model / "1" / "model.py").write_text(BLOCKING)
    (model / "config.pbtxt").write_text(
        'name: "blocking"\nbackend: "python"\nmax_batch_size: 8\n'
        'input [ { name: "X" data_type: TYPE_FP32 dims: [ 1 ] } ]\n'
        'output [ { name: "Y" data_type: TYPE_FP32 dims: [ 1 ] } ]\n'
        f'{batching}\nparameters {{ key: "gate" value: {{ string_value: "{gate}" }} }}\n'
    )
    return root


def _busy(rt: Runtime, gate: Path):
    """One request that the blocking model is executing (its batch closed), and its future."""
    first = rt.infer_async("blocking", {"X": np.ones((1, 1), np.float32)})
    end = time.monotonic() + 30
    while not (gate.parent / "running").exists() and time.monotonic() < end:
        time.sleep(0.01)
    return first, rt.executor.loaded()["blocking"].batcher


def test_closing_fails_every_waiting_request_and_refuses_new_ones(tmp_path: Path) -> None:
    """Triton answers every request; a closed batcher used to leave queued ones (and any sent after the
    close) waiting forever, hanging the job that sent them."""
    gate = tmp_path / "gate"
    rt = Runtime(Settings(model_repo=blocking_repo(tmp_path / "repo", gate)))
    try:
        first, batcher = _busy(rt, gate)
        waiting = [rt.infer_async("blocking", {"X": np.full((1, 1), i, np.float32)}) for i in range(3)]
        closing = threading.Thread(target=batcher.close, daemon=True)
        closing.start()
        for future in waiting:  # failed while the model is still busy: they never run
            with pytest.raises(InferenceUnavailable, match="'blocking' is shut down"):
                future.result(timeout=20)
        late = rt.infer_async("blocking", {"X": np.ones((1, 1), np.float32)})
        with pytest.raises(InferenceUnavailable, match="shut down"):
            late.result(timeout=5)
        gate.touch()
        np.testing.assert_allclose(first.result(timeout=30)["Y"], [[1.0]])  # the running one finishes
        closing.join(timeout=30)
        assert not closing.is_alive()
    finally:
        gate.touch()
        rt.close()


@pytest.mark.parametrize("batching, sizes", [("", {1: 5}), ("dynamic_batching { }", {1: 1, 4: 1})])
def test_only_a_model_with_dynamic_batching_gets_requests_batched(
    tmp_path: Path, batching: str, sizes: dict[int, int]
) -> None:
    """Triton's model_configuration.md: without ``dynamic_batching`` each request is executed on its own,
    even when ``max_batch_size`` > 0 (a request may still carry a batch of its own)."""
    gate = tmp_path / "gate"
    rt = Runtime(Settings(model_repo=blocking_repo(tmp_path / "repo", gate, batching)))
    try:
        first, batcher = _busy(rt, gate)
        queued = [rt.infer_async("blocking", {"X": np.full((1, 1), i, np.float32)}) for i in range(4)]
        gate.touch()
        for i, future in enumerate(queued):
            np.testing.assert_allclose(future.result(timeout=30)["Y"], [[i]])
        first.result(timeout=30)
        assert batcher.stats.batch_sizes == sizes
    finally:
        gate.touch()
        rt.close()


def _groups(text: str) -> model_config_pb2.ModelConfig:
    return text_format.Parse(f'name: "m"\n{text}', model_config_pb2.ModelConfig())


def test_cpu_instances_run_on_device_0_and_count_as_the_executor_makes_them(tmp_path: Path) -> None:
    config = _groups("instance_group [ { kind: KIND_CPU count: 2 }, { kind: KIND_CPU } ]")
    assert instance_devices(config) == [("CPU", 0)] * 3
    rt = Runtime(Settings(model_repo=make_repo(tmp_path)))
    try:
        ones = {"INPUT0": np.ones((1, 2), np.float32), "INPUT1": np.ones((1, 2), np.float32)}
        rt.infer("add_sub", ones)
        instances = rt.executor.loaded()["add_sub"].instances
        assert [(i.kind, i.device_id) for i in instances] == [("CPU", "0")]
        assert rt.repository.get("add_sub").instance_count == len(instances)
    finally:
        rt.close()


@pytest.mark.skipif(
    not cuda_device_count(), reason="needs a GPU: on a CPU-only machine GPU groups run on CPU"
)
def test_gpu_instances_get_tritons_device_ids() -> None:
    """Triton's instance_group: ``count`` instances on each GPU of ``gpus``, or on every visible GPU; a GPU
    the machine lacks is a broken config. Every instance used to be told device 0."""
    gpus = cuda_device_count()
    assert instance_devices(_groups("instance_group [ { kind: KIND_GPU count: 2 } ]")) == [
        ("GPU", gpu) for gpu in range(gpus) for _ in range(2)
    ]
    last = gpus - 1
    placed = instance_devices(_groups(f"instance_group [ {{ kind: KIND_GPU gpus: [ {last} ] }} ]"))
    assert placed == [("GPU", last)]
    with pytest.raises(ModelRepositoryError, match=rf"gpus \[{gpus}\] do not exist"):
        instance_devices(_groups(f"instance_group [ {{ kind: KIND_GPU gpus: [ {gpus} ] }} ]"))


def test_a_closed_runtime_refuses_requests_instead_of_loading_the_model_again(tmp_path: Path) -> None:
    """A job still running at shutdown used to reload the model into a runtime that was closed."""
    rt = Runtime(Settings(model_repo=make_repo(tmp_path)))
    ones = {"INPUT0": np.ones((1, 2), np.float32), "INPUT1": np.ones((1, 2), np.float32)}
    rt.infer("add_sub", ones)
    rt.close()
    with pytest.raises(ModelRepositoryError, match="'add_sub' is unavailable: the server is stopping"):
        rt.infer("add_sub", ones)
    assert (tmp_path / "add_sub" / "loads.log").read_text().splitlines() == ["loaded"]
    assert rt.executor.loaded() == {}
