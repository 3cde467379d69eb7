"""The blocking client: one object per server, safe to share between threads (gRPC channels are)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import TracebackType
from typing import Any, TypeVar

import grpc
from hirelens.v1 import (
    candidate_pb2,
    candidate_pb2_grpc,
    interview_pb2,
    interview_pb2_grpc,
    scenario_pb2,
    scenario_pb2_grpc,
)

from hirelens_client import _common as common
from hirelens_client._common import Consent, PathLike, Question, TextAnswer, UploadCallback
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


class HireLensClient:
    """Talks to one HireLens server. Every call carries the API key, has a deadline, and is retried with
    backoff while the server is UNAVAILABLE (uploads too: the idempotency key makes a repeat harmless)."""

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
        credentials = common.channel_credentials(tls, root_certificates, client_cert, client_key)
        options = common.channel_options()
        if credentials is None:
            self._channel = grpc.insecure_channel(address, options=options)
        else:
            self._channel = grpc.secure_channel(address, credentials, options=options)
        self.address = address
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self._metadata = common.call_metadata(common.resolve_api_key(api_key))
        self._interviews = interview_pb2_grpc.InterviewServiceStub(self._channel)
        self._scenarios = scenario_pb2_grpc.ScenarioServiceStub(self._channel)
        self._candidates = candidate_pb2_grpc.CandidateServiceStub(self._channel)

    # --- lifecycle ------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the channel; calls in flight are cancelled."""
        self._channel.close()

    def __enter__(self) -> HireLensClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # --- plumbing -------------------------------------------------------------------------------------------

    def _retrying(self, call: Callable[[int], T]) -> T:
        """Run ``call(attempt)`` until it succeeds, retrying UNAVAILABLE up to ``retries`` times; every
        other failure (and the last UNAVAILABLE) becomes a ``HireLensError``."""
        attempt = 0
        while True:
            try:
                return call(attempt)
            except grpc.RpcError as exc:
                if not common.is_retryable(exc) or attempt >= self.retries:
                    raise error_from_rpc(exc) from exc
            time.sleep(common.backoff_delay(attempt, self.backoff_s))
            attempt += 1

    def _unary(self, method: Any, request: Any, timeout_s: float | None = None) -> Any:
        timeout = self.timeout_s if timeout_s is None else timeout_s
        return self._retrying(lambda _: method(request, timeout=timeout, metadata=self._metadata))

    # --- interviews -----------------------------------------------------------------------------------------

    def submit(
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
        """Upload a recording in 1 MiB chunks (never the whole file in memory) and return its queued job.

        The idempotency key (a fresh uuid4 unless given) is reused by every retry, so a connection lost
        mid-upload never creates a second job. ``on_progress`` gets an ``UploadProgress`` after each chunk,
        from gRPC's sending thread. ``consent`` has no default: the modalities the candidate consented to
        (``("face", "voice")``, ``"voice"``, ``()`` for none) are the caller's record, never the SDK's guess;
        a modality without consent is never analysed.
        """
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

        def upload(attempt: int) -> interview_pb2.Job:
            requests = common.upload_requests(file, metadata, on_progress, attempt)
            return self._interviews.UploadInterview(iter(requests), timeout=timeout, metadata=self._metadata)

        return Job.from_proto(self._retrying(upload))

    def get(self, job_id: str) -> Job:
        """The job's current snapshot (with its result once DONE)."""
        return Job.from_proto(
            self._unary(self._interviews.GetJob, interview_pb2.GetJobRequest(job_id=job_id))
        )

    def watch(self, job_id: str, *, timeout_s: float | None = None) -> Iterator[Job]:
        """Yield the job now, then each change, until it is DONE, FAILED or CANCELLED. A dropped stream
        (UNAVAILABLE, or closed early by a restarting server) is resumed with backoff; the first snapshot
        after a resume is the job's state then, so no final state is missed. ``timeout_s`` bounds the whole
        watch (no bound by default)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        request = interview_pb2.WatchJobRequest(job_id=job_id)
        failures = 0
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            stream = self._interviews.WatchJob(request, timeout=remaining, metadata=self._metadata)
            try:
                for message in stream:
                    failures = 0
                    job = Job.from_proto(message)
                    yield job
                    if job.done:
                        return
            except grpc.RpcError as exc:
                if not common.is_retryable(exc) or failures >= self.retries:
                    raise error_from_rpc(exc) from exc
            finally:
                stream.cancel()  # a no-op once finished; frees the stream when the caller stops early
            if failures >= self.retries:  # only reached when the stream kept ending cleanly too early
                raise _ended(job_id)
            delay = common.backoff_delay(failures, self.backoff_s)
            if deadline is not None and time.monotonic() + delay >= deadline:
                raise DeadlineExceeded(grpc.StatusCode.DEADLINE_EXCEEDED, f"job {job_id} still running")
            time.sleep(delay)
            failures += 1

    def wait(
        self,
        job: Job | str,
        *,
        timeout_s: float | None = None,
        on_progress: Callable[[Job], None] | None = None,
    ) -> ScoreResult:
        """Block until the job ends and return its result; ``JobFailed`` / ``JobCancelled`` otherwise,
        ``DeadlineExceeded`` after ``timeout_s`` (the job goes on). ``on_progress`` sees every snapshot."""
        last = job if isinstance(job, Job) else None
        if last is None or not last.done:
            job_id = job.job_id if isinstance(job, Job) else job
            try:
                for last in self.watch(job_id, timeout_s=timeout_s):
                    if on_progress is not None:
                        on_progress(last)
            except DeadlineExceeded as exc:
                raise DeadlineExceeded(
                    exc.code, f"job {job_id} not finished after {timeout_s} s", exc.reason
                ) from exc
        assert last is not None
        result = common.outcome(last)
        return result if result is not None else self._result_of(last.job_id)

    def _result_of(self, job_id: str) -> ScoreResult:
        job = self.get(job_id)
        result = common.outcome(job)
        if result is None:
            raise Unavailable(grpc.StatusCode.UNAVAILABLE, f"job {job_id} is done but has no result")
        return result

    def cancel(self, job_id: str) -> Job:
        """Stop the job's analysis; a finished job comes back unchanged."""
        request = interview_pb2.CancelJobRequest(job_id=job_id)
        return Job.from_proto(self._unary(self._interviews.CancelJob, request))

    def score(
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
        """``submit`` then ``wait``, in one call: upload progress to ``on_upload``, job snapshots to
        ``on_progress``; ``timeout_s`` bounds the wait for the analysis."""
        job = self.submit(
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
        return self.wait(job, timeout_s=timeout_s, on_progress=on_progress)

    def score_answers(
        self,
        answers: Sequence[tuple[str, str]] | Sequence[TextAnswer],
        *,
        scenario: str,
        scenario_version: str = "",
        language: str = "auto",
        candidate_ref: str = "",
    ) -> ScoreResult:
        """Score a text interview at once (no job): ``answers`` are (question, answer) pairs, question being
        a scenario question id or the question as worded."""
        request = interview_pb2.ScoreAnswersRequest(
            candidate_ref=candidate_ref,
            scenario_id=scenario,
            scenario_version=scenario_version,
            language=language,
            answers=common.text_answers(answers),
        )
        return ScoreResult.from_proto(self._unary(self._interviews.ScoreAnswers, request))

    # --- scenarios and candidates ---------------------------------------------------------------------------

    def list_scenarios(self) -> list[ScenarioSummary]:
        response = self._unary(self._scenarios.ListScenarios, scenario_pb2.ListScenariosRequest())
        return [ScenarioSummary.from_proto(s) for s in response.scenarios]

    def get_scenario(self, scenario_id: str, version: str = "") -> Scenario:
        """A scenario with its questions and YAML; ``NotFound`` names the known ids."""
        request = scenario_pb2.GetScenarioRequest(id=scenario_id, version=version)
        return Scenario.from_proto(self._unary(self._scenarios.GetScenario, request))

    def validate_scenario(
        self, yaml_text: str, filename: str = "scenario.yaml", policy: str = ""
    ) -> ValidationReport:
        """Check a scenario file against the schema (and a deployment policy) without installing it."""
        request = scenario_pb2.ValidateScenarioRequest(yaml=yaml_text, filename=filename, policy=policy)
        return ValidationReport.from_proto(self._unary(self._scenarios.ValidateScenario, request))

    def delete_candidate(self, candidate_ref: str) -> DeletionReceipt:
        """Erase everything kept about one candidate (right to erasure); safe to repeat."""
        request = candidate_pb2.DeleteCandidateRequest(candidate_ref=candidate_ref)
        return DeletionReceipt.from_proto(self._unary(self._candidates.DeleteCandidate, request))


def _ended(job_id: str) -> Unavailable:
    return Unavailable(
        grpc.StatusCode.UNAVAILABLE, f"the watch of job {job_id} kept ending before the job did"
    )
