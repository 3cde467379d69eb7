"""Edge cases of the API surface found in review: races, limits, redirects and leaks the docs promise
against. The servicers run in-process against a real SQLite database; gRPC's context is a small stand-in.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import grpc
import pytest
from hirelens.v1 import candidate_pb2, interview_pb2
from hirelens_client import Job
from sqlalchemy.exc import IntegrityError

from server.api.auth import ApiKeyAuth, api_key_of
from server.api.candidate_servicer import CandidateServicer
from server.api.interview_servicer import InterviewDeps, InterviewServicer
from server.api.job_request import job_spec
from server.api.status import ApiError
from server.api.upload import receive_chunks
from server.config import ServerSettings, TextLimits
from server.jobs.database import Database, open_database
from server.jobs.models import DeletionReceiptRow
from server.jobs.runner import JobRunner
from server.jobs.store import JobStore
from server.jobs.tenants import TenantConfig, TenantStore
from server.jobs.webhooks import RetryPolicy, WebhookSender, stage_delivery
from server.observability.logs import JsonFormatter, RedactingFilter
from server.scoring.registry import ScenarioRegistry
from tests.unit.test_job_store import spec

FAST = RetryPolicy(base_s=0.05, factor=2.0, max_attempts=2, cap_s=0.1, jitter=0.0, timeout_s=2.0)


class AbortCalled(Exception):
    pass


class FakeContext:
    """Enough of grpc.ServicerContext for the servicers: metadata in, status out."""

    def __init__(
        self, api_key: str = "", *, active: bool = True, time_remaining: float | None = None
    ) -> None:
        self._metadata = (("x-api-key", api_key),)
        self.status: grpc.Status | None = None
        self._active = active
        self._time_remaining = time_remaining

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    def abort_with_status(self, status: grpc.Status) -> None:
        self.status = status
        raise AbortCalled()

    def is_active(self) -> bool:
        return self._active

    def time_remaining(self) -> float | None:
        return self._time_remaining


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'jobs.db'}")
    yield database
    database.close()


def _servicer(db: Database, tmp_path: Path) -> tuple[InterviewServicer, str, JobStore]:
    tenants = TenantStore(db)
    tenants.add_key("acme")
    tenant = tenants.by_name("acme")
    assert tenant is not None
    store = JobStore(db)
    runner = JobRunner(store, lambda job, ctx: {})  # never started: jobs stay queued
    deps = InterviewDeps(
        store=store,
        runner=runner,
        auth=ApiKeyAuth(tenants),
        scenarios=ScenarioRegistry(),
        settings=ServerSettings(data_dir=tmp_path / "data", metrics_port=None),
        policy=None,
        analyzers=None,
    )
    return InterviewServicer(deps), tenant.id, store


def _upload(candidate_ref: str, key: str) -> list[interview_pb2.UploadInterviewRequest]:
    metadata = interview_pb2.InterviewMetadata(
        candidate_ref=candidate_ref, scenario_id="general_behavioral", idempotency_key=key, size_bytes=4
    )
    return [
        interview_pb2.UploadInterviewRequest(metadata=metadata),
        interview_pb2.UploadInterviewRequest(chunk=b"abcd"),
    ]


def test_the_loser_of_an_idempotency_race_with_other_content_is_refused(db: Database, tmp_path: Path) -> None:
    """api.md step 4: a key sent with another candidate_ref is IDEMPOTENCY_KEY_REUSED, also when the two
    uploads race (both pass find_idempotent before either inserts) and the database settles it."""
    servicer, tenant_id, store = _servicer(db, tmp_path)
    first = servicer._upload(tenant_id, iter(_upload("cand-1", "key-1")), FakeContext())
    assert first.candidate_ref == "cand-1"

    real = store.find_idempotent
    calls = {"n": 0}

    def racing_find(tenant: str, key: str) -> Any:
        calls["n"] += 1
        return None if calls["n"] == 1 else real(tenant, key)  # the servicer's pre-check lost the race

    store.find_idempotent = racing_find  # type: ignore[method-assign]
    with pytest.raises(ApiError) as refused:
        second = servicer._upload(tenant_id, iter(_upload("cand-2", "key-1")), FakeContext())
        pytest.fail(f"a request for cand-2 was answered with job {second.job_id} of {second.candidate_ref}")
    assert refused.value.reason == "IDEMPOTENCY_KEY_REUSED"


@pytest.mark.parametrize(
    ("context", "code"),
    [
        (FakeContext(active=False, time_remaining=0.0), grpc.StatusCode.DEADLINE_EXCEEDED),
        (FakeContext(active=False, time_remaining=5.0), grpc.StatusCode.CANCELLED),
    ],
)
def test_a_stream_that_ended_because_the_call_did_makes_no_job(
    db: Database, tmp_path: Path, context: FakeContext, code: grpc.StatusCode
) -> None:
    """grpcio may end a server's request stream quietly when the call is cancelled or expires (CI once
    turned such a half-sent upload into a job): the servicer asks the call, keeps no file and makes no job,
    and the same key, sent again whole, makes its job."""
    servicer, tenant_id, store = _servicer(db, tmp_path)
    requests = _upload("cand-1", "key-1")
    requests[0].metadata.size_bytes = 0  # a raw client need not announce the size
    with pytest.raises(ApiError) as refused:
        servicer._upload(tenant_id, iter(requests), context)
    assert refused.value.code == code and "no job was made" in refused.value.message
    assert store.find_idempotent(tenant_id, "key-1") is None
    assert not list((tmp_path / "data" / "uploads").glob("*"))
    assert servicer._upload(tenant_id, iter(requests), FakeContext()).candidate_ref == "cand-1"


def test_erasure_refuses_an_overlong_candidate_ref(db: Database, tmp_path: Path) -> None:
    """api.md: a reference over 128 characters is INVALID_ARGUMENT, and nothing is written to
    deletion_receipts (whose column holds 256)."""
    tenants = TenantStore(db)
    key = tenants.add_key("acme")
    store = JobStore(db)
    servicer = CandidateServicer(ApiKeyAuth(tenants), store, JobRunner(store, lambda job, ctx: {}))
    context = FakeContext(key)
    huge = "x" * 100_000
    with contextlib.suppress(AbortCalled):
        servicer.DeleteCandidate(candidate_pb2.DeleteCandidateRequest(candidate_ref=huge), context)
    with db.session() as session:
        stored = [r.candidate_ref for r in session.query(DeletionReceiptRow)]
    assert context.status is not None and context.status.code == grpc.StatusCode.INVALID_ARGUMENT, (
        f"accepted; receipt rows now hold references of {[len(s) for s in stored]} characters"
    )
    assert stored == []  # the docstring's promise, which the test used to leave unchecked


@pytest.mark.parametrize("start, end", [(float("nan"), 5.0), (0.0, float("inf"))])
def test_question_timings_must_be_finite(start: float, end: float) -> None:
    """api.md: bad question timing is INVALID_ARGUMENT at upload, before the recording is sent. NaN and
    infinity pass every ordering comparison, so they are refused on their own."""
    scenario = ScenarioRegistry().get("general_behavioral")
    metadata = interview_pb2.InterviewMetadata(
        candidate_ref="c",
        scenario_id=scenario.id,
        questions=[
            interview_pb2.QuestionTiming(question_id=scenario.questions[0].id, start_s=start, end_s=end)
        ],
    )
    with pytest.raises(ApiError) as refused:
        job_spec(metadata, scenario, None, TextLimits())
    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT


def test_database_errors_keep_candidate_refs_out_of_the_log(db: Database) -> None:
    """A SQLAlchemy error message would carry the statement's parameters (candidate references, question
    texts) into a logged traceback; the engine hides them (hide_parameters)."""
    store = JobStore(db)
    reference = "ats-" + "candidate-98765"  # built, so the traceback's source line does not hold it
    logger = logging.getLogger("review.pii")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    try:
        # the job store's SQLite enforces foreign keys: an unknown tenant must fail the insert (it used to
        # skip the test when it did not, so the test passed whatever the engine did)
        with pytest.raises(IntegrityError) as failed:
            store.create("no-such-tenant", spec(reference), None, 1, max_queued=10)
        try:
            raise failed.value
        except IntegrityError:
            logger.exception("unexpected error serving a call")  # what status._refusal does
    finally:
        logger.removeHandler(handler)
    assert reference not in str(failed.value)
    assert "IntegrityError" in stream.getvalue() and reference not in stream.getvalue()


def test_score_with_server_and_a_missing_recording_exits_2(tmp_path: Path) -> None:
    """cli.md: bad input exits 2, also when the SDK is the one that finds the recording missing."""
    from server.cli import EXIT_BAD_INPUT, main

    code = main(
        [
            "score",
            str(tmp_path / "missing.mp4"),
            "--scenario",
            "general_behavioral",
            "--server",
            "127.0.0.1:1",
            "--api-key",
            "hl_unused",
        ]
    )
    assert code == EXIT_BAD_INPUT


def test_a_webhook_answered_with_a_redirect_is_not_delivered(
    db: Database,
) -> None:
    """urllib would follow a 302 after a POST with a body-less GET to the new location, and that GET's 200
    would mark an event delivered that never arrived: a redirect is a failed delivery, retried."""
    posts: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            posts.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(302)
            self.send_header("Location", "/moved")
            self.end_headers()

        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        (tenant,) = TenantStore(db).sync([TenantConfig(name="acme", webhook_url=url)])
        store = JobStore(db)
        job, _ = store.create(tenant.id, spec(), None, 1, max_queued=10)
        store.claim_next("w")
        record = store.finish(job.id, "w", {"overall": {"score": 5.0}})
        assert record is not None
        sender = WebhookSender(db, FAST)
        delivery_id = sender.enqueue(record)
        assert delivery_id is not None
        sender.deliver_due()
        delivery = sender.get(delivery_id)
        assert delivery is not None
        assert len(posts) == 1  # the POST reached the endpoint, which redirected it
        assert delivery.delivered_at is None, "a 3xx redirect was recorded as a successful delivery"
    finally:
        server.shutdown()
        server.server_close()


def test_an_empty_bearer_token_is_a_missing_key() -> None:
    """api.md: no key is API_KEY_MISSING; ``authorization: Bearer `` carries none."""
    assert api_key_of([("authorization", "Bearer ")]) is None


HUGE = "y" * 100_000


def _short(message: str) -> None:
    """Issue 9: an error quotes at most ~100 characters of what the caller sent, and says how long it was."""
    assert len(message) < 400 and "(100000 characters)" in message, message[:500]


def test_an_unknown_job_id_is_quoted_short(db: Database, tmp_path: Path) -> None:
    servicer, _, _ = _servicer(db, tmp_path)
    key = TenantStore(db).add_key("acme")
    context = FakeContext(key)
    with contextlib.suppress(AbortCalled):
        servicer.GetJob(interview_pb2.GetJobRequest(job_id=HUGE), context)
    assert context.status is not None and context.status.code == grpc.StatusCode.NOT_FOUND
    _short(context.status.details)


@pytest.mark.parametrize(
    "metadata",
    [
        interview_pb2.InterviewMetadata(candidate_ref="c", scenario_id=HUGE),
        interview_pb2.InterviewMetadata(candidate_ref="c", scenario_id="general_behavioral", language=HUGE),
        interview_pb2.InterviewMetadata(
            candidate_ref="c",
            scenario_id="general_behavioral",
            questions=[interview_pb2.QuestionTiming(question_id=HUGE)],
        ),
    ],
    ids=["scenario_id", "language", "question_id"],
)
def test_upload_refusals_quote_the_callers_text_short(
    db: Database, tmp_path: Path, metadata: interview_pb2.InterviewMetadata
) -> None:
    servicer, tenant_id, _ = _servicer(db, tmp_path)
    requests = [interview_pb2.UploadInterviewRequest(metadata=metadata)]
    with pytest.raises(ApiError) as refused:
        servicer._upload(tenant_id, iter(requests), FakeContext())
    assert refused.value.code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND)
    _short(refused.value.message)


@pytest.mark.parametrize("blank", [" ", "   ", "\u3000"])
def test_a_blank_candidate_ref_is_refused(db: Database, tmp_path: Path, blank: str) -> None:
    """Spaces pass the printable check but name no candidate: a job filed under them could never be found
    by its platform, and erasure of " " would be a no-op receipt."""
    scenario = ScenarioRegistry().get("general_behavioral")
    metadata = interview_pb2.InterviewMetadata(candidate_ref=blank, scenario_id=scenario.id)
    with pytest.raises(ApiError) as refused:
        job_spec(metadata, scenario, None, TextLimits())
    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert refused.value.field == "metadata.candidate_ref" and "blank" in refused.value.message
    tenants = TenantStore(db)
    key = tenants.add_key("acme")
    store = JobStore(db)
    servicer = CandidateServicer(ApiKeyAuth(tenants), store, JobRunner(store, lambda job, ctx: {}))
    context = FakeContext(key)
    with contextlib.suppress(AbortCalled):
        servicer.DeleteCandidate(candidate_pb2.DeleteCandidateRequest(candidate_ref=blank), context)
    assert context.status is not None and context.status.code == grpc.StatusCode.INVALID_ARGUMENT


def test_get_job_shows_the_webhook_delivery_and_its_dead_letter(db: Database, tmp_path: Path) -> None:
    """A tenant whose endpoint refuses every try sees, through GetJob (and the SDK's typed job), the
    delivery go from PENDING to DEAD with the attempts made and the last error."""
    posts: list[int] = []

    class Refusing(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            posts.append(1)
            self.send_response(503)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        tenants = TenantStore(db)
        (tenant,) = tenants.sync([TenantConfig(name="acme", webhook_url=url)])
        key = tenants.add_key("acme")
        store = JobStore(db)
        sender = WebhookSender(db, FAST)
        deps = InterviewDeps(
            store=store,
            runner=JobRunner(store, lambda job, ctx: {}),
            auth=ApiKeyAuth(tenants),
            scenarios=ScenarioRegistry(),
            settings=ServerSettings(data_dir=tmp_path / "data", metrics_port=None),
            policy=None,
            analyzers=None,
            webhooks=sender,
        )
        servicer = InterviewServicer(deps)
        job, _ = store.create(tenant.id, spec(), None, 1, max_queued=10)
        request = interview_pb2.GetJobRequest(job_id=job.id)
        assert not servicer.GetJob(request, FakeContext(key)).HasField("webhook")  # not ended yet
        store.claim_next("w")
        store.finish(job.id, "w", {"overall": {"score": 5.0}}, also=stage_delivery)
        pending = servicer.GetJob(request, FakeContext(key))
        assert pending.attempts == 1 and pending.webhook.state == interview_pb2.WEBHOOK_PENDING
        assert pending.webhook.attempts == 0 and pending.webhook.HasField("next_attempt_at")
        for _ in range(FAST.max_attempts):
            sender.deliver_due()
            time.sleep(0.15)  # past the (jitter-free, 0.1 s cap) backoff
        dead = servicer.GetJob(request, FakeContext(key))
        assert dead.webhook.state == interview_pb2.WEBHOOK_DEAD and len(posts) == FAST.max_attempts
        assert dead.webhook.attempts == FAST.max_attempts and dead.webhook.last_error == "HTTP 503"
        assert not dead.webhook.HasField("next_attempt_at")
        typed = Job.from_proto(dead)
        assert typed.webhook is not None and typed.webhook.state == "dead" and typed.attempts == 1
        assert (
            typed.webhook.last_error == "HTTP 503" and typed.webhook.delivery_id == dead.webhook.delivery_id
        )
    finally:
        server.shutdown()
        server.server_close()


def test_an_upload_whose_file_was_swept_as_an_orphan_is_aborted_not_made_a_job(
    db: Database, tmp_path: Path
) -> None:
    """An upload that stalled past orphan_grace_s lost its file to the sweep: when it resumes and ends it
    must not become a job pointing at nothing."""
    uploads = tmp_path / "uploads"
    store = JobStore(db)

    def stalled() -> Iterator[interview_pb2.UploadInterviewRequest]:
        yield interview_pb2.UploadInterviewRequest(chunk=b"first half ")
        (stale,) = list(uploads.iterdir())
        old = time.time() - 3600
        os.utime(stale, (old, old))  # as if the client had sent nothing for an hour
        assert store.sweep_orphans(uploads, grace_s=600) == [stale]
        yield interview_pb2.UploadInterviewRequest(chunk=b"second half")

    with pytest.raises(ApiError) as refused:
        receive_chunks(stalled(), uploads, ".mp4", max_bytes=1000)
    assert refused.value.code == grpc.StatusCode.ABORTED and "orphan_grace_s" in str(refused.value)
    assert not list(uploads.iterdir())
