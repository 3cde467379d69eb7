"""Limits one tenant cannot exhaust for all, against a real ``hirelens serve``: upload streams per tenant, the
upload idle timeout, and text limits refused before any model runs (docs/operations.md, Limits and abuse)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from hirelens.v1 import interview_pb2, interview_pb2_grpc

from tests.integration.test_api import auth, details, speech_wav, upload, wait
from tests.server_process import ServerProcess

pytestmark = pytest.mark.slow
UPLOADS_PER_TENANT = 3
IDLE_S = 2.0
QUICK_S = 30.0  # a refusal comes at once; a model run on this text would take minutes


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    settings = {
        "max_streams": 8,
        "max_uploads_per_tenant": UPLOADS_PER_TENANT,
        "max_watches_per_tenant": 2,
        "upload_idle_timeout_s": IDLE_S,
        "max_text_scorings": 2,
        "max_text_scorings_per_tenant": 1,
    }
    process = ServerProcess(tmp_path_factory.mktemp("limits"), server=settings).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def channel(server) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server.address) as channel:
        yield channel


def uploads_dir(server: ServerProcess) -> Path:
    return server.folder / "data" / "uploads"


def metadata_message(ref: str, **fields) -> interview_pb2.UploadInterviewRequest:
    metadata = interview_pb2.InterviewMetadata(scenario_id="general_behavioral", candidate_ref=ref, **fields)
    return interview_pb2.UploadInterviewRequest(metadata=metadata)


def trickle(ref: str, stop: threading.Event) -> Iterator[interview_pb2.UploadInterviewRequest]:
    """An upload that never finishes: a byte every half second, within the idle timeout."""
    yield metadata_message(ref)
    while not stop.wait(IDLE_S / 4):
        yield interview_pb2.UploadInterviewRequest(chunk=b"\0")


def wait_for(condition, timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_tenant_at_its_upload_cap_never_blocks_another(channel, server, fixtures_dir):
    stub = interview_pb2_grpc.InterviewServiceStub(channel)
    stop = threading.Event()
    open_uploads = [
        stub.UploadInterview.future(trickle(f"held-{i}", stop), metadata=auth(server, "acme"), timeout=600)
        for i in range(UPLOADS_PER_TENANT)
    ]
    try:
        assert wait_for(lambda: len(list(uploads_dir(server).glob("upload-*"))) >= UPLOADS_PER_TENANT)
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as refused:
            stub.UploadInterview(trickle("over", stop), metadata=auth(server, "acme"), timeout=QUICK_S)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "server.max_uploads_per_tenant" in refused.value.details()
        assert details(refused.value)[1] == ["TOO_MANY_UPLOADS"]
        assert time.monotonic() - started < QUICK_S / 2  # refused at once, not queued behind the others

        # the other tenant uploads and its interview is scored, while acme's uploads stay open
        job = upload(channel, server, speech_wav(fixtures_dir), tenant="globex", candidate_ref="other-1")
        assert wait(channel, server, job.job_id, tenant="globex").state == interview_pb2.DONE
        ended = [future.exception() for future in open_uploads if future.done()]
        assert not ended, ended
    finally:
        for future in open_uploads:
            future.cancel()
        stop.set()
    # acme's cancelled uploads leave no file, and its slots are free again
    assert wait_for(lambda: not list(uploads_dir(server).glob("upload-*")))
    job = upload(channel, server, speech_wav(fixtures_dir), tenant="acme", candidate_ref="after-cap")
    assert job.job_id


def test_an_idle_upload_ends_deadline_exceeded_and_its_partial_file_is_gone(channel, server):
    assert wait_for(lambda: not list(uploads_dir(server).glob("upload-*")))
    stub = interview_pb2_grpc.InterviewServiceStub(channel)
    resume = threading.Event()

    def idle() -> Iterator[interview_pb2.UploadInterviewRequest]:
        yield metadata_message("idle-1")
        yield interview_pb2.UploadInterviewRequest(chunk=b"\0" * 65536)
        resume.wait(120)  # the client goes quiet; the server must not wait for it

    call = stub.UploadInterview.future(idle(), metadata=auth(server, "acme"), timeout=120)
    try:
        assert wait_for(lambda: list(uploads_dir(server).glob("upload-*")))  # the partial file exists
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as ended:
            call.result(timeout=60)
        waited = time.monotonic() - started
    finally:
        resume.set()
    assert ended.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert "server.upload_idle_timeout_s" in ended.value.details()
    assert waited < 30  # about IDLE_S, with room for a busy machine; the call's own deadline was 120 s
    assert wait_for(lambda: not list(uploads_dir(server).glob("upload-*")), timeout_s=10)


def text_request(answers: list[tuple[str, str]]) -> interview_pb2.ScoreAnswersRequest:
    return interview_pb2.ScoreAnswersRequest(
        scenario_id="general_behavioral",
        answers=[interview_pb2.TextAnswer(question=q, answer=a) for q, a in answers],
    )


def test_a_tenant_scoring_text_at_its_cap_never_blocks_another(channel, server):
    stub = interview_pb2_grpc.InterviewServiceStub(channel)
    story = "I planned the migration, split the work with two colleagues and we shipped it a week early. "
    long_request = text_request([("Tell me about a project you led.", story * 40)] * 2)

    def start_long_call() -> grpc.Future:
        return stub.ScoreAnswers.future(long_request, metadata=auth(server), timeout=600)

    long_call = start_long_call()
    short = text_request([("Why us?", "Your product helps people find work.")])
    try:
        refused = None
        while refused is None:  # until a short call finds the long one holding acme's one slot
            if long_call.done():
                # A short call reached the server first and held the slot: start the long one again.
                assert long_call.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, (
                    f"the long call ended before a second one was tried: {long_call.exception()}"
                )
                long_call = start_long_call()
            try:
                stub.ScoreAnswers(short, metadata=auth(server, "acme"), timeout=120)
            except grpc.RpcError as error:
                refused = error
        assert refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "server.max_text_scorings_per_tenant" in refused.details()
        assert details(refused)[1] == ["TOO_MANY_SCORINGS"]
        if not long_call.done():  # the other tenant is served meanwhile
            assert stub.ScoreAnswers(short, metadata=auth(server, "globex"), timeout=120).answers
        assert long_call.result().overall.HasField("score")
    finally:
        long_call.cancel()


def score_answers(channel, server, answers: list[tuple[str, str]]) -> grpc.RpcError:
    """The refusal of a ScoreAnswers call, which must come quickly (no model ran)."""
    stub = interview_pb2_grpc.InterviewServiceStub(channel)
    with pytest.raises(grpc.RpcError) as refused:
        stub.ScoreAnswers(text_request(answers), metadata=auth(server), timeout=QUICK_S)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value.details()
    return refused.value


@pytest.mark.parametrize(
    ("answers", "field", "setting"),
    [
        ([("q" * 1_000_000, "I led it.")], "answers[0].question", "text_limits.max_question_chars"),
        ([("Why us?", "word " * 5000)], "answers[0].answer", "text_limits.max_answer_chars"),
        ([("Why us?", "Because.")] * 51, "answers", "text_limits.max_questions"),
        ([("为什么?", "因为" * 3000)] * 20, "answers", "text_limits.max_request_bytes"),
    ],
    ids=["1MB-question", "long-answer", "51-answers", "360KB-request"],
)
def test_text_past_a_limit_is_refused_before_any_model_runs(channel, server, answers, field, setting):
    refused = score_answers(channel, server, answers)
    assert setting in refused.details()
    fields, reasons = details(refused)
    assert [f for f, _ in fields] == [field] and reasons == ["TEXT_LIMIT"]


def test_twenty_thousand_upload_questions_are_refused_naming_the_limit(channel, server):
    stub = interview_pb2_grpc.InterviewServiceStub(channel)
    questions = [interview_pb2.QuestionTiming(text=f"Question {i}?") for i in range(20_000)]
    with pytest.raises(grpc.RpcError) as refused:
        stub.UploadInterview(
            iter([metadata_message("many-questions", questions=questions)]),
            metadata=auth(server),
            timeout=QUICK_S,
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "text_limits.max_questions" in refused.value.details()
    assert details(refused.value)[0][0][0] == "metadata.questions"
