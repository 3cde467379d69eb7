"""``hirelens.v1.InterviewService``: uploads become durable jobs; results come by poll, stream or push."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from hirelens.v1 import interview_pb2, interview_pb2_grpc, result_pb2

from server.api import convert
from server.api.auth import ApiKeyAuth
from server.api.job_request import (
    check_consent,
    check_language,
    check_policy,
    check_reference,
    check_same_request,
    check_text,
    find_scenario,
    job_spec,
)
from server.api.status import ApiError, grpc_errors
from server.api.streams import CallSlots, Cap, IdleTimeout
from server.api.upload import first_message, receive_chunks
from server.config import ServerSettings, TextLimits
from server.errors import quoted
from server.jobs.runner import JobRunner
from server.jobs.store import TERMINAL, JobRecord, JobStore, QueueFull
from server.jobs.webhooks import WebhookSender
from server.pipeline.questions import TextAnswer
from server.scoring.policy import Policy
from server.scoring.registry import ScenarioRegistry
from server.scoring.text_interview import score_text_answers

WATCH_POLL_S = 0.25  # a database poll works across server processes; a quarter second is quick enough for HR


@dataclass(frozen=True)
class InterviewDeps:
    """What the service works with; built once by the application."""

    store: JobStore
    runner: JobRunner
    auth: ApiKeyAuth
    scenarios: ScenarioRegistry
    settings: ServerSettings
    policy: Policy | None
    analyzers: Any
    on_upload_bytes: Callable[[int], None] | None = None
    text_limits: TextLimits = field(default_factory=TextLimits)
    webhooks: WebhookSender | None = None  # to show an ended job's webhook delivery


def _queue_full(limit: int) -> ApiError:
    return ApiError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        f"the job queue is full ({limit} interviews waiting); retry later",
        reason="QUEUE_FULL",
    )


class InterviewServicer(interview_pb2_grpc.InterviewServiceServicer):
    def __init__(self, deps: InterviewDeps) -> None:
        self._deps = deps
        settings = deps.settings
        # Uploads and watches each hold one of the server's threads for their whole length (streams.py).
        poll = "; or poll GetJob / use the webhook instead"
        self._streams = CallSlots(
            Cap(settings.max_streams, "server.max_streams", "TOO_MANY_STREAMS", "uploads and watches", poll),
            {
                "upload": Cap(
                    settings.max_uploads_per_tenant,
                    "server.max_uploads_per_tenant",
                    "TOO_MANY_UPLOADS",
                    "uploads",
                ),
                "watch": Cap(
                    settings.max_watches_per_tenant,
                    "server.max_watches_per_tenant",
                    "TOO_MANY_WATCHES",
                    "watches",
                    poll,
                ),
            },
        )
        # ScoreAnswers runs the text models in the call's thread, for seconds; the threads kept for short
        # calls must not all go to it, nor to one tenant.
        self._scorings = CallSlots(
            Cap(
                settings.max_text_scorings,
                "server.max_text_scorings",
                "TOO_MANY_SCORINGS",
                "ScoreAnswers calls",
            ),
            {
                "ScoreAnswers": Cap(
                    settings.max_text_scorings_per_tenant,
                    "server.max_text_scorings_per_tenant",
                    "TOO_MANY_SCORINGS",
                    "ScoreAnswers calls",
                )
            },
        )

    @property
    def _uploads(self) -> Path:
        return self._deps.settings.data_dir.expanduser() / "uploads"

    def _message(self, record: JobRecord) -> interview_pb2.Job:
        """The job with its webhook delivery, which exists only once the job ended done or failed."""
        webhooks = self._deps.webhooks
        delivery = webhooks.for_api(record.id) if webhooks is not None and record.terminal else None
        return convert.job(record, delivery)

    def _job(self, tenant_id: str, job_id: str) -> JobRecord:
        if not job_id:
            raise ApiError(grpc.StatusCode.INVALID_ARGUMENT, "job_id is required", field="job_id")
        record = self._deps.store.get(tenant_id, job_id)
        if record is None:
            # Another tenant's job reads exactly like a job that does not exist.
            raise ApiError(grpc.StatusCode.NOT_FOUND, f"no job {quoted(job_id)}", field="job_id")
        return record

    @grpc_errors
    def UploadInterview(
        self, request_iterator: Iterator[interview_pb2.UploadInterviewRequest], context: grpc.ServicerContext
    ) -> interview_pb2.Job:
        deps = self._deps
        tenant = deps.auth.tenant(context)
        idle_s = deps.settings.upload_idle_timeout_s
        message = (
            f"no upload message for {idle_s:g} s (server.upload_idle_timeout_s); the partial upload was "
            "deleted and no job was made"
        )
        with self._streams.hold(tenant.id, "upload"), IdleTimeout(context, idle_s, message) as idle:
            try:
                return self._upload(tenant.id, idle.messages(request_iterator), context)
            except grpc.RpcError:
                if idle.timed_out:  # the call is over; this only keeps the log clear of a traceback
                    raise ApiError(grpc.StatusCode.DEADLINE_EXCEEDED, "upload idle timeout") from None
                raise

    def _upload(
        self,
        tenant_id: str,
        request_iterator: Iterator[interview_pb2.UploadInterviewRequest],
        context: grpc.ServicerContext,
    ) -> interview_pb2.Job:
        deps = self._deps
        metadata = first_message(request_iterator)
        scenario = find_scenario(
            deps.scenarios, metadata.scenario_id, metadata.scenario_version, "metadata.scenario_id"
        )
        check_policy(scenario, deps.policy, deps.analyzers)
        spec = job_spec(metadata, scenario, deps.settings.policy, deps.text_limits)
        check_consent(scenario, spec.consent, deps.policy)
        if spec.idempotency_key is not None:
            existing = deps.store.find_idempotent(tenant_id, spec.idempotency_key)
            if existing is not None:
                check_same_request(existing, spec)
                return self._message(existing)
        limit = deps.settings.max_upload_bytes
        if metadata.size_bytes > limit:
            raise ApiError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"metadata.size_bytes {metadata.size_bytes} exceeds the server's limit of {limit} bytes",
                field="metadata.size_bytes",
                reason="UPLOAD_TOO_LARGE",
            )
        if deps.store.count_queued() >= deps.settings.max_queued_jobs:
            raise _queue_full(deps.settings.max_queued_jobs)
        received = receive_chunks(
            request_iterator,
            self._uploads,
            spec.filename,
            limit,
            metadata.size_bytes,
            deps.on_upload_bytes,
            context,
        )
        try:
            record, created = deps.store.create(
                tenant_id,
                spec,
                str(received.path),
                received.size_bytes,
                deps.settings.max_queued_jobs,
            )
        except QueueFull:
            received.path.unlink(missing_ok=True)
            raise _queue_full(deps.settings.max_queued_jobs) from None
        except BaseException:
            received.path.unlink(missing_ok=True)
            raise
        if created:
            deps.runner.notify()
        else:  # the same idempotency key raced in twice: the first upload's job stands
            received.path.unlink(missing_ok=True)
            check_same_request(record, spec)
        return self._message(record)

    @grpc_errors
    def GetJob(
        self, request: interview_pb2.GetJobRequest, context: grpc.ServicerContext
    ) -> interview_pb2.Job:
        tenant = self._deps.auth.tenant(context)
        return self._message(self._job(tenant.id, request.job_id))

    @grpc_errors
    def WatchJob(
        self, request: interview_pb2.WatchJobRequest, context: grpc.ServicerContext
    ) -> Iterator[interview_pb2.Job]:
        tenant = self._deps.auth.tenant(context)
        record = self._job(tenant.id, request.job_id)
        last: tuple[str, float] | None = None
        with self._streams.hold(tenant.id, "watch"):
            while context.is_active():
                seen = (record.state, round(record.progress, 2))
                if seen != last:
                    last = seen
                    yield self._message(record)
                if record.state in TERMINAL:
                    return
                time.sleep(WATCH_POLL_S)
                record = self._job(tenant.id, request.job_id)

    @grpc_errors
    def CancelJob(
        self, request: interview_pb2.CancelJobRequest, context: grpc.ServicerContext
    ) -> interview_pb2.Job:
        tenant = self._deps.auth.tenant(context)
        self._job(tenant.id, request.job_id)
        record = self._deps.store.cancel(tenant.id, request.job_id)
        if record is None:
            raise ApiError(grpc.StatusCode.NOT_FOUND, f"no job {quoted(request.job_id)}", field="job_id")
        self._deps.runner.cancel(request.job_id)
        return self._message(record)

    @grpc_errors
    def ScoreAnswers(
        self, request: interview_pb2.ScoreAnswersRequest, context: grpc.ServicerContext
    ) -> result_pb2.ScoreResult:
        deps = self._deps
        tenant = deps.auth.tenant(context)
        check_reference(request.candidate_ref, "candidate_ref")
        scenario = find_scenario(deps.scenarios, request.scenario_id, request.scenario_version, "scenario_id")
        check_policy(scenario, deps.policy, deps.analyzers)
        language = check_language(request.language, "language")
        answers = _text_answers(request, deps.text_limits)
        with self._scorings.hold(tenant.id, "ScoreAnswers"):  # a refused request never takes a slot
            result = score_text_answers(scenario, answers, language, deps.policy)
        return convert.score_result(result.to_dict() | {"duration_s": 0.0})


def _text_answers(request: interview_pb2.ScoreAnswersRequest, limits: TextLimits) -> list[TextAnswer]:
    """The answers, refused before any model runs when empty or past a text limit."""
    if not request.answers:
        raise ApiError(
            grpc.StatusCode.INVALID_ARGUMENT, "answers is empty: nothing to score", field="answers"
        )
    check_text([(item.question, item.answer) for item in request.answers], limits, "answers")
    out = []
    for i, item in enumerate(request.answers):
        if not item.answer.strip():
            raise ApiError(grpc.StatusCode.INVALID_ARGUMENT, "answer is empty", field=f"answers[{i}].answer")
        out.append(TextAnswer(question=item.question or None, answer=item.answer))
    return out
