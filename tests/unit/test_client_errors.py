"""hirelens_client errors, retries and uploads against a real in-process gRPC server (a network test double).

The status decoder is checked against a ``google.rpc.Status`` built by googleapis-common-protos itself, and
the servicer below fails the way the real server does: ``abort_with_status`` with packed details.
"""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import any_pb2, descriptor_pool
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from hirelens.v1 import interview_pb2, interview_pb2_grpc
from hirelens_client import (
    AsyncHireLensClient,
    HireLensClient,
    HireLensError,
    InvalidArgument,
    JobCancelled,
    JobFailed,
    JobState,
    NotFound,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    UploadProgress,
    _rpc_status,
)
from hirelens_client import _common as common
from hirelens_client.errors import error_from_rpc

KEY = "tenant-key"


def _status(code: int, message: str, *, field: str | None = None, reason: str | None = None) -> Any:
    details = []
    if field is not None:
        violation = error_details_pb2.BadRequest.FieldViolation(field=field, description=message)
        details.append(error_details_pb2.BadRequest(field_violations=[violation]))
    if reason is not None:
        details.append(
            error_details_pb2.ErrorInfo(reason=reason, domain="hirelens.ai", metadata={"max": "8"})
        )
    packed = []
    for detail in details:
        item = any_pb2.Any()
        item.Pack(detail)
        packed.append(item)
    return status_pb2.Status(code=code, message=message, details=packed)


# --- the private-pool decoder -------------------------------------------------------------------------------


def test_private_pool_decodes_a_real_google_rpc_status() -> None:
    real = _status(
        code_pb2.INVALID_ARGUMENT, "unknown scenario", field="metadata.scenario_id", reason="BAD_INPUT"
    )
    real.details.add().Pack(error_details_pb2.RetryInfo())  # a detail the SDK does not read
    decoded = _rpc_status.decode_status(real.SerializeToString())
    info = error_details_pb2.ErrorInfo()
    real.details[1].Unpack(info)
    bad = error_details_pb2.BadRequest()
    real.details[0].Unpack(bad)
    assert decoded.code == real.code and decoded.message == real.message
    assert (decoded.reason, decoded.domain, decoded.metadata) == (
        info.reason,
        info.domain,
        dict(info.metadata),
    )
    assert [(v.field, v.description) for v in decoded.field_violations] == [
        (v.field, v.description) for v in bad.field_violations
    ]
    assert decoded.unknown_details == ["type.googleapis.com/google.rpc.RetryInfo"]
    # The same bytes, re-read by the SDK's own message class, serialize identically.
    assert _rpc_status.StatusMessage.FromString(real.SerializeToString()).SerializeToString() == (
        real.SerializeToString()
    )


def test_private_pool_stays_out_of_the_default_pool() -> None:
    default = descriptor_pool.Default()
    assert _rpc_status._POOL is not default
    assert default.FindMessageTypeByName("google.rpc.Status") is status_pb2.Status.DESCRIPTOR
    assert _rpc_status.StatusMessage.DESCRIPTOR is not status_pb2.Status.DESCRIPTOR


def test_corrupt_trailer_falls_back_to_code_and_message() -> None:
    assert _rpc_status.details_from_trailers([("grpc-status-details-bin", b"\xff\xff\xff")]) is None
    assert _rpc_status.details_from_trailers(None) is None


# --- a test double of the server ----------------------------------------------------------------------------


class Servicer(interview_pb2_grpc.InterviewServiceServicer):
    """Scripted failures: each RPC pops its next outcome (a status code to fail with) before succeeding."""

    def __init__(self) -> None:
        self.failures: dict[str, list[Any]] = {}
        self.calls: dict[str, int] = {}
        self.keys: list[str | None] = []
        self.uploads: list[tuple[interview_pb2.InterviewMetadata, list[int]]] = []
        self.watch_script: list[list[Any]] = []

    def _enter(self, name: str, context: grpc.ServicerContext) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        self.keys.append(dict(context.invocation_metadata()).get("x-api-key"))
        if self.keys[-1] != KEY:
            context.abort_with_status(
                rpc_status.to_status(_status(code_pb2.UNAUTHENTICATED, "unknown API key", reason="API_KEY"))
            )
        pending = self.failures.get(name)
        if pending:
            failure = pending.pop(0)
            if isinstance(failure, status_pb2.Status):
                context.abort_with_status(rpc_status.to_status(failure))
            context.abort(failure, f"scripted {failure.name}")

    def GetJob(self, request: Any, context: grpc.ServicerContext) -> interview_pb2.Job:
        self._enter("GetJob", context)
        if request.job_id == "missing":
            context.abort_with_status(rpc_status.to_status(_status(code_pb2.NOT_FOUND, "no job missing")))
        return interview_pb2.Job(job_id=request.job_id, state=interview_pb2.QUEUED)

    def UploadInterview(self, request_iterator: Iterator[Any], context: grpc.ServicerContext) -> Any:
        self._enter("UploadInterview", context)
        first = next(request_iterator)
        sizes = [len(r.chunk) for r in request_iterator]
        self.uploads.append((first.metadata, sizes))
        if len(self.uploads) == 1 and self.failures.get("after_upload"):
            context.abort(grpc.StatusCode.UNAVAILABLE, "connection reset mid-upload")
        return interview_pb2.Job(
            job_id="job-" + first.metadata.idempotency_key[:8], state=interview_pb2.QUEUED
        )

    def WatchJob(self, request: Any, context: grpc.ServicerContext) -> Iterator[interview_pb2.Job]:
        self._enter("WatchJob", context)
        for item in self.watch_script.pop(0):
            if isinstance(item, grpc.StatusCode):
                context.abort(item, "server restarting")
            yield item


@pytest.fixture
def server() -> Iterator[tuple[Servicer, str]]:
    servicer = Servicer()
    grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    interview_pb2_grpc.add_InterviewServiceServicer_to_server(servicer, grpc_server)
    port = grpc_server.add_insecure_port("127.0.0.1:0")
    grpc_server.start()
    yield servicer, f"127.0.0.1:{port}"
    grpc_server.stop(None)


def _client(address: str, **kwargs: Any) -> HireLensClient:
    return HireLensClient(address, KEY, **{"backoff_s": 0.01, "timeout_s": 5.0, **kwargs})


# --- errors -------------------------------------------------------------------------------------------------


def test_status_details_become_typed_exceptions(server: tuple[Servicer, str]) -> None:
    servicer, address = server
    bad = _status(code_pb2.INVALID_ARGUMENT, "unknown scenario", field="scenario_id", reason="BAD_INPUT")
    servicer.failures["GetJob"] = [bad]
    with _client(address) as client:
        with pytest.raises(InvalidArgument) as caught:
            client.get("job-1")
        error = caught.value
        assert error.code is grpc.StatusCode.INVALID_ARGUMENT and error.reason == "BAD_INPUT"
        assert error.domain == "hirelens.ai" and error.metadata == {"max": "8"}
        assert [(v.field, v.description) for v in error.field_violations] == [
            ("scenario_id", "unknown scenario")
        ]
        assert "BAD_INPUT" in str(error)
        with pytest.raises(NotFound):
            client.get("missing")
    with HireLensClient(address, "wrong", backoff_s=0.01) as client, pytest.raises(Unauthenticated) as caught:
        client.get("job-1")
    assert caught.value.reason == "API_KEY" and isinstance(caught.value, HireLensError)


def test_api_key_from_the_environment(server: tuple[Servicer, str], monkeypatch: pytest.MonkeyPatch) -> None:
    servicer, address = server
    monkeypatch.setenv("HIRELENS_API_KEY", KEY)
    with HireLensClient(address) as client:
        assert client.get("job-1").state is JobState.QUEUED
    assert servicer.keys == [KEY]


def test_error_without_details_keeps_code_and_message() -> None:
    class Plain(grpc.RpcError):
        def code(self) -> grpc.StatusCode:
            return grpc.StatusCode.RESOURCE_EXHAUSTED

        def details(self) -> str:
            return "queue full"

        def trailing_metadata(self) -> tuple[()]:
            return ()

    error = error_from_rpc(Plain())
    assert isinstance(error, ResourceExhausted) and error.message == "queue full" and error.reason == ""


# --- retries ------------------------------------------------------------------------------------------------


def test_unavailable_is_retried_then_succeeds(server: tuple[Servicer, str]) -> None:
    servicer, address = server
    servicer.failures["GetJob"] = [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.UNAVAILABLE]
    with _client(address) as client:
        assert client.get("job-1").job_id == "job-1"
    assert servicer.calls["GetJob"] == 3


def test_retries_run_out_as_unavailable(server: tuple[Servicer, str]) -> None:
    servicer, address = server
    servicer.failures["GetJob"] = [grpc.StatusCode.UNAVAILABLE] * 3
    with _client(address, retries=1) as client, pytest.raises(Unavailable):
        client.get("job-1")
    assert servicer.calls["GetJob"] == 2


def test_resource_exhausted_is_surfaced_not_retried(server: tuple[Servicer, str]) -> None:
    servicer, address = server
    servicer.failures["GetJob"] = [_status(code_pb2.RESOURCE_EXHAUSTED, "queue full", reason="QUEUE_FULL")]
    with _client(address) as client, pytest.raises(ResourceExhausted) as caught:
        client.get("job-1")
    assert caught.value.reason == "QUEUE_FULL" and servicer.calls["GetJob"] == 1


def test_backoff_grows_with_jitter() -> None:
    delays = [common.backoff_delay(n, 0.5) for n in range(8)]
    assert all(0.5 * 2**n / 2 <= d <= 0.5 * 2**n for n, d in enumerate(delays[:6]))
    assert max(delays) <= common.MAX_BACKOFF_S
    assert common.upload_timeout(2_000_000_000, 30.0) == 2000.0 and common.upload_timeout(10, 30.0) == 30.0


# --- uploads ------------------------------------------------------------------------------------------------


def test_submit_streams_chunks_and_retries_with_the_same_key(
    server: tuple[Servicer, str], tmp_path: Path
) -> None:
    servicer, address = server
    recording = tmp_path / "interview.mp4"
    recording.write_bytes(b"x" * (2 * common.CHUNK_SIZE + 1234))
    servicer.failures["after_upload"] = [True]
    progress: list[UploadProgress] = []
    with _client(address) as client:
        job = client.submit(
            recording,
            scenario="sales",
            questions=["led_a_team", "Why sales?"],
            consent=["voice"],
            candidate_ref="c-1",
            on_progress=progress.append,
        )
    (first, first_sizes), (second, second_sizes) = servicer.uploads
    assert first_sizes == second_sizes == [common.CHUNK_SIZE, common.CHUNK_SIZE, 1234]
    assert first.idempotency_key == second.idempotency_key and len(first.idempotency_key) == 36
    assert job.job_id == "job-" + first.idempotency_key[:8]
    assert first.filename == "interview.mp4" and first.size_bytes == recording.stat().st_size
    assert (first.consent.face, first.consent.voice) == (False, True)
    assert [(q.question_id, q.text) for q in first.questions] == [("led_a_team", ""), ("", "Why sales?")]
    assert progress[-1] == UploadProgress(recording.stat().st_size, recording.stat().st_size, attempt=1)
    assert [p.attempt for p in progress].count(0) == 3


def test_submit_reads_the_file_lazily(tmp_path: Path) -> None:
    """A 2 GiB (sparse) file: the first chunks come out at once and memory stays near one chunk."""
    big = tmp_path / "big.webm"
    with big.open("wb") as file:
        file.truncate(2 << 30)
    _, size = common.recording(big)
    metadata = interview_pb2.InterviewMetadata(scenario_id="sales", size_bytes=size)
    tracemalloc.start()
    try:
        requests = iter(common.upload_requests(big, metadata))
        assert next(requests).WhichOneof("part") == "metadata"
        chunks = [next(requests).chunk for _ in range(3)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [len(c) for c in chunks] == [common.CHUNK_SIZE] * 3
    assert peak < 16 * common.CHUNK_SIZE
    requests.close()  # type: ignore[attr-defined]


# --- watching -----------------------------------------------------------------------------------------------


def _job(state: int, **kwargs: Any) -> interview_pb2.Job:
    return interview_pb2.Job(job_id="job-1", state=state, **kwargs)


def test_wait_resumes_the_watch_after_unavailable(server: tuple[Servicer, str]) -> None:
    servicer, address = server
    done = _job(interview_pb2.DONE, progress=1.0)
    done.result.scenario.id = "sales"
    servicer.watch_script = [
        [
            _job(interview_pb2.QUEUED),
            _job(interview_pb2.ANALYSING, progress=0.5),
            grpc.StatusCode.UNAVAILABLE,
        ],
        [_job(interview_pb2.SCORING, progress=0.9), done],
    ]
    seen: list[JobState] = []
    with _client(address) as client:
        result = client.wait("job-1", on_progress=lambda job: seen.append(job.state))
    assert result.scenario_id == "sales"
    assert seen == [JobState.QUEUED, JobState.ANALYSING, JobState.SCORING, JobState.DONE]
    assert servicer.calls["WatchJob"] == 2


def test_wait_raises_for_failed_and_cancelled_jobs(server: tuple[Servicer, str]) -> None:
    servicer, address = server
    failed = _job(
        interview_pb2.FAILED, error=interview_pb2.JobError(code=3, reason="NOT_SCORABLE", message="silent")
    )
    servicer.watch_script = [[_job(interview_pb2.DECODING), failed], [_job(interview_pb2.CANCELLED)]]
    with _client(address) as client:
        with pytest.raises(JobFailed) as caught:
            client.wait("job-1")
        assert caught.value.reason == "NOT_SCORABLE" and caught.value.message == "silent"
        assert caught.value.code is grpc.StatusCode.INVALID_ARGUMENT and caught.value.job.job_id == "job-1"
        with pytest.raises(JobCancelled):
            client.wait("job-1")


# --- asyncio ------------------------------------------------------------------------------------------------


def test_async_client_retries_and_watches(server: tuple[Servicer, str]) -> None:
    servicer, address = server
    servicer.failures["GetJob"] = [grpc.StatusCode.UNAVAILABLE]
    servicer.watch_script = [
        [_job(interview_pb2.QUEUED), grpc.StatusCode.UNAVAILABLE],
        [_job(interview_pb2.DONE)],
    ]

    async def run() -> list[JobState]:
        async with AsyncHireLensClient(address, KEY, backoff_s=0.01) as client:
            assert (await client.get("job-1")).job_id == "job-1"
            with pytest.raises(NotFound):
                await client.get("missing")
            return [job.state async for job in client.watch("job-1")]

    assert asyncio.run(run()) == [JobState.QUEUED, JobState.DONE]
    assert servicer.calls["GetJob"] == 3


def test_async_submit_streams_chunks(server: tuple[Servicer, str], tmp_path: Path) -> None:
    servicer, address = server
    recording = tmp_path / "interview.webm"
    recording.write_bytes(b"y" * (common.CHUNK_SIZE + 7))

    async def run() -> str:
        async with AsyncHireLensClient(address, KEY) as client:
            job = await client.submit(
                recording,
                scenario="sales",
                candidate_ref="c-2",
                consent=(),
                idempotency_key="fixed-key-123",
            )
            return job.job_id

    assert asyncio.run(run()) == "job-fixed-ke"
    ((metadata, sizes),) = servicer.uploads
    assert sizes == [common.CHUNK_SIZE, 7] and metadata.idempotency_key == "fixed-key-123"
