"""The asyncio client: the same calls as ``HireLensClient``, as coroutines over ``grpc.aio``.

The channel is created on first use, inside the running event loop that will drive it; the recording is
read in a worker thread one chunk at a time so a slow disk never stalls the loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import grpc
import grpc.aio
from hirelens.v1 import (
    candidate_pb2,
    candidate_pb2_grpc,
    interview_pb2,
    interview_pb2_grpc,
    scenario_pb2,
    scenario_pb2_grpc,
)

from hirelens_client import _common as common
from hirelens_client._common import Consent, PathLike, Question, TextAnswer, UploadCallback, UploadProgress
from hirelens_client.errors import DeadlineExceeded, Unavailable, error_from_rpc
from hirelens_client.results import (
    DeletionReceipt,
    Job,
    Scenario,
    ScenarioSummary,
    ScoreResult,
    ValidationReport,
)

T = TypeVar("T")


async def _upload_requests(
    path: Path,
    metadata: interview_pb2.InterviewMetadata,
    on_progress: UploadCallback | None,
    attempt: int,
    chunk_size: int = common.CHUNK_SIZE,
) -> AsyncIterator[interview_pb2.UploadInterviewRequest]:
    """The async twin of ``_common.upload_requests``: metadata, then lazily read chunks."""
    yield interview_pb2.UploadInterviewRequest(metadata=metadata)
    total = metadata.size_bytes
    sent = 0
    file = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(file.read, chunk_size):
            yield interview_pb2.UploadInterviewRequest(chunk=chunk)
            sent += len(chunk)
            if on_progress is not None:
                on_progress(UploadProgress(sent, max(total, sent), attempt))
    finally:
        file.close()


class AsyncHireLensClient:
    """``HireLensClient`` for asyncio code: same arguments, same retries and errors; ``watch`` is an async
    iterator. Use ``async with`` or ``await client.close()``."""

    def __init__(
        self,
        address: str = common.DEFAULT_ADDRESS,
        api_key: str | None = None,
        *,
        tls: bool = False,
        root_certificates: bytes | None = None,
        client_cert: bytes | None = None,
        client_key: bytes | None = None,
        timeout_s: float = 30.0,
        retries: int = 4,
        backoff_s: float = 0.5,
    ) -> None:
        self._credentials = common.channel_credentials(tls, root_certificates, client_cert, client_key)
        self.address = address
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self._metadata = common.call_metadata(common.resolve_api_key(api_key))
        self._channel: grpc.aio.Channel | None = None

    def _open(self) -> grpc.aio.Channel:
        if self._channel is None:
            options = common.channel_options()
            if self._credentials is None:
                self._channel = grpc.aio.insecure_channel(self.address, options=options)
            else:
                self._channel = grpc.aio.secure_channel(self.address, self._credentials, options=options)
        return self._channel

    @property
    def _interviews(self) -> interview_pb2_grpc.InterviewServiceStub:
        return interview_pb2_grpc.InterviewServiceStub(self._open())

    @property
    def _scenarios(self) -> scenario_pb2_grpc.ScenarioServiceStub:
        return scenario_pb2_grpc.ScenarioServiceStub(self._open())

    @property
    def _candidates(self) -> candidate_pb2_grpc.CandidateServiceStub:
        return candidate_pb2_grpc.CandidateServiceStub(self._open())

    # --- lifecycle ------------------------------------------------------------------------------------------

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def __aenter__(self) -> AsyncHireLensClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # --- plumbing -------------------------------------------------------------------------------------------

    async def _retrying(self, call: Callable[[int], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            try:
                return await call(attempt)
            except grpc.RpcError as exc:
                if not common.is_retryable(exc) or attempt >= self.retries:
                    raise error_from_rpc(exc) from exc
            await asyncio.sleep(common.backoff_delay(attempt, self.backoff_s))
            attempt += 1

    async def _unary(self, method: Any, request: Any, timeout_s: float | None = None) -> Any:
        timeout = self.timeout_s if timeout_s is None else timeout_s

        async def call(_: int) -> Any:
            return await method(request, timeout=timeout, metadata=self._metadata)

        return await self._retrying(call)

    # --- interviews -----------------------------------------------------------------------------------------

    async def submit(
        self,
        path: PathLike,
        *,
        scenario: str,
        scenario_version: str = "",
        questions: Sequence[str | Question] = (),
        language: str = "auto",
        candidate_ref: str,
        consent: Consent | Iterable[str] | str,
        idempotency_key: str | None = None,
        on_progress: UploadCallback | None = None,
    ) -> Job:
        """Upload a recording in 1 MiB chunks and return its queued job (see ``HireLensClient.submit``)."""
        file, size = common.recording(path)
        metadata = common.interview_metadata(
            file,
            size,
            scenario=scenario,
            scenario_version=scenario_version,
            questions=questions,
            language=language,
            candidate_ref=candidate_ref,
            consent=consent,
            idempotency_key=idempotency_key or common.new_idempotency_key(),
        )
        timeout = common.upload_timeout(size, self.timeout_s)

        async def upload(attempt: int) -> interview_pb2.Job:
            requests = _upload_requests(file, metadata, on_progress, attempt)
            return await self._interviews.UploadInterview(requests, timeout=timeout, metadata=self._metadata)

        return Job.from_proto(await self._retrying(upload))

    async def get(self, job_id: str) -> Job:
        request = interview_pb2.GetJobRequest(job_id=job_id)
        return Job.from_proto(await self._unary(self._interviews.GetJob, request))

    async def watch(self, job_id: str, *, timeout_s: float | None = None) -> AsyncIterator[Job]:
        """Job snapshots until a final state, resuming a dropped stream (see ``HireLensClient.watch``)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        request = interview_pb2.WatchJobRequest(job_id=job_id)
        failures = 0
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            stream = self._interviews.WatchJob(request, timeout=remaining, metadata=self._metadata)
            try:
                async for message in stream:
                    failures = 0
                    job = Job.from_proto(message)
                    yield job
                    if job.done:
                        return
            except grpc.RpcError as exc:
                if not common.is_retryable(exc) or failures >= self.retries:
                    raise error_from_rpc(exc) from exc
            finally:
                stream.cancel()
            if failures >= self.retries:
                message = f"the watch of job {job_id} kept ending before the job did"
                raise Unavailable(grpc.StatusCode.UNAVAILABLE, message)
            delay = common.backoff_delay(failures, self.backoff_s)
            if deadline is not None and time.monotonic() + delay >= deadline:
                raise DeadlineExceeded(grpc.StatusCode.DEADLINE_EXCEEDED, f"job {job_id} still running")
            await asyncio.sleep(delay)
            failures += 1

    async def wait(
        self,
        job: Job | str,
        *,
        timeout_s: float | None = None,
        on_progress: Callable[[Job], None] | None = None,
    ) -> ScoreResult:
        """The job's result once it ends; raises ``JobFailed``, ``JobCancelled`` or ``DeadlineExceeded``."""
        last = job if isinstance(job, Job) else None
        if last is None or not last.done:
            job_id = job.job_id if isinstance(job, Job) else job
            try:
                async for last in self.watch(job_id, timeout_s=timeout_s):
                    if on_progress is not None:
                        on_progress(last)
            except DeadlineExceeded as exc:
                raise DeadlineExceeded(
                    exc.code, f"job {job_id} not finished after {timeout_s} s", exc.reason
                ) from exc
        assert last is not None
        result = common.outcome(last)
        if result is not None:
            return result
        result = common.outcome(await self.get(last.job_id))
        if result is None:
            raise Unavailable(grpc.StatusCode.UNAVAILABLE, f"job {last.job_id} is done but has no result")
        return result

    async def cancel(self, job_id: str) -> Job:
        request = interview_pb2.CancelJobRequest(job_id=job_id)
        return Job.from_proto(await self._unary(self._interviews.CancelJob, request))

    async def score(
        self,
        path: PathLike,
        *,
        scenario: str,
        scenario_version: str = "",
        questions: Sequence[str | Question] = (),
        language: str = "auto",
        candidate_ref: str,
        consent: Consent | Iterable[str] | str,
        idempotency_key: str | None = None,
        timeout_s: float | None = None,
        on_upload: UploadCallback | None = None,
        on_progress: Callable[[Job], None] | None = None,
    ) -> ScoreResult:
        """``submit`` then ``wait`` in one call."""
        job = await self.submit(
            path,
            scenario=scenario,
            scenario_version=scenario_version,
            questions=questions,
            language=language,
            candidate_ref=candidate_ref,
            consent=consent,
            idempotency_key=idempotency_key,
            on_progress=on_upload,
        )
        return await self.wait(job, timeout_s=timeout_s, on_progress=on_progress)

    async def score_answers(
        self,
        answers: Sequence[tuple[str, str]] | Sequence[TextAnswer],
        *,
        scenario: str,
        scenario_version: str = "",
        language: str = "auto",
        candidate_ref: str = "",
    ) -> ScoreResult:
        request = interview_pb2.ScoreAnswersRequest(
            candidate_ref=candidate_ref,
            scenario_id=scenario,
            scenario_version=scenario_version,
            language=language,
            answers=common.text_answers(answers),
        )
        return ScoreResult.from_proto(await self._unary(self._interviews.ScoreAnswers, request))

    # --- scenarios and candidates ---------------------------------------------------------------------------

    async def list_scenarios(self) -> list[ScenarioSummary]:
        response = await self._unary(self._scenarios.ListScenarios, scenario_pb2.ListScenariosRequest())
        return [ScenarioSummary.from_proto(s) for s in response.scenarios]

    async def get_scenario(self, scenario_id: str, version: str = "") -> Scenario:
        request = scenario_pb2.GetScenarioRequest(id=scenario_id, version=version)
        return Scenario.from_proto(await self._unary(self._scenarios.GetScenario, request))

    async def validate_scenario(
        self, yaml_text: str, filename: str = "scenario.yaml", policy: str = ""
    ) -> ValidationReport:
        request = scenario_pb2.ValidateScenarioRequest(yaml=yaml_text, filename=filename, policy=policy)
        return ValidationReport.from_proto(await self._unary(self._scenarios.ValidateScenario, request))

    async def delete_candidate(self, candidate_ref: str) -> DeletionReceipt:
        request = candidate_pb2.DeleteCandidateRequest(candidate_ref=candidate_ref)
        return DeletionReceipt.from_proto(await self._unary(self._candidates.DeleteCandidate, request))
