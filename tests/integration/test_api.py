"""The HireLens API (hirelens.v1) against a real ``hirelens serve`` process: jobs, errors, tenancy, erasure.

Raw generated stubs on purpose: this is what any gRPC client (Go, Java, grpcurl) sees. The SDK has its own
end-to-end tests. Media: ``../shared/fixtures`` (provenance in its README) and the bundled sample interview.
"""

from __future__ import annotations

import json
import os
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import cv2
import grpc
import numpy as np
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hirelens.v1 import (
    candidate_pb2,
    candidate_pb2_grpc,
    interview_pb2,
    interview_pb2_grpc,
    scenario_pb2,
    scenario_pb2_grpc,
)

from tests.media_factory import (
    AudioSpec,
    VideoSpec,
    real_frames,
    real_speech,
    with_matroska_duration,
    without_tracks,
    write_recording,
)
from tests.server_process import REPO_ROOT, ServerProcess

pytestmark = pytest.mark.slow
CHUNK = 1024 * 1024
TERMINAL = {interview_pb2.DONE, interview_pb2.FAILED, interview_pb2.CANCELLED}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("api")).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def channel(server) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server.address) as channel:
        yield channel


def auth(server: ServerProcess, tenant: str = "acme") -> list[tuple[str, str]]:
    return [("x-api-key", server.keys[tenant])]


def upload_requests(path: Path | None, data: bytes | None = None, **metadata) -> Iterator:
    metadata.setdefault("scenario_id", "general_behavioral")
    metadata.setdefault("candidate_ref", "cand-0")
    metadata.setdefault("consent", interview_pb2.ConsentFlags(face=True, voice=True))
    if path is not None:
        metadata.setdefault("filename", path.name)
    yield interview_pb2.UploadInterviewRequest(metadata=interview_pb2.InterviewMetadata(**metadata))
    if path is not None:
        with path.open("rb") as source:
            while chunk := source.read(CHUNK):
                yield interview_pb2.UploadInterviewRequest(chunk=chunk)
    if data is not None:
        yield interview_pb2.UploadInterviewRequest(chunk=data)


def upload(channel, server, path: Path | None, tenant: str = "acme", data: bytes | None = None, **metadata):
    stub = interview_pb2_grpc.InterviewServiceStub(channel)
    return stub.UploadInterview(upload_requests(path, data, **metadata), metadata=auth(server, tenant))


def wait(channel, server, job_id: str, tenant: str = "acme", timeout_s: float = 300) -> interview_pb2.Job:
    stub = interview_pb2_grpc.InterviewServiceStub(channel)
    last = None
    for job in stub.WatchJob(
        interview_pb2.WatchJobRequest(job_id=job_id), metadata=auth(server, tenant), timeout=timeout_s
    ):
        last = job
    assert last is not None and last.state in TERMINAL
    return last


def details(error: grpc.RpcError) -> tuple[list[tuple[str, str]], list[str]]:
    """(field violations, ErrorInfo reasons) of a failed call."""
    status = rpc_status.from_call(error)
    fields, reasons = [], []
    for item in status.details if status else []:
        if item.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            item.Unpack(bad)
            fields += [(v.field, v.description) for v in bad.field_violations]
        elif item.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            item.Unpack(info)
            reasons.append(info.reason)
    return fields, reasons


def speech_wav(fixtures_dir: Path) -> Path:
    return fixtures_dir / "speech_en" / "sense_and_sensibility_01_austen_64kb-0870.wav"


def silence_wav(folder: Path, seconds: float = 8.0) -> Path:
    path = folder / "silence.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(np.zeros(int(16000 * seconds), dtype=np.int16).tobytes())
    return path


# --- jobs ---------------------------------------------------------------------------------------------------


def test_an_uploaded_recording_becomes_a_scored_job(channel, server, fixtures_dir):
    job = upload(channel, server, speech_wav(fixtures_dir), candidate_ref="cand-1", idempotency_key="k-1")
    assert job.job_id and job.state == interview_pb2.QUEUED and job.uploaded_bytes > 0
    states = []
    stub = interview_pb2_grpc.InterviewServiceStub(channel)
    for snapshot in stub.WatchJob(interview_pb2.WatchJobRequest(job_id=job.job_id), metadata=auth(server)):
        states.append(snapshot.state)
    assert states[-1] == interview_pb2.DONE, states
    assert states == sorted(states), states  # forward only: queued, decoding, analysing, scoring, done
    done = stub.GetJob(interview_pb2.GetJobRequest(job_id=job.job_id), metadata=auth(server))
    result = done.result
    assert result.scenario.id == "general_behavioral" and result.language == "en"
    assert result.duration_s > 5
    assert {c.id for c in result.competencies} >= {"communication", "teamwork"}
    assert done.progress == pytest.approx(1.0) and done.attempts == 1
    # no candidate recording is kept after analysis by default
    assert not list((server.folder / "data" / "uploads").glob("*"))


def test_the_same_idempotency_key_never_makes_a_second_job(channel, server, fixtures_dir):
    first = upload(channel, server, speech_wav(fixtures_dir), idempotency_key="retry-me")
    second = upload(channel, server, speech_wav(fixtures_dir), idempotency_key="retry-me")
    assert second.job_id == first.job_id
    with pytest.raises(grpc.RpcError) as caught:  # the same key for another interview is a client bug
        upload(channel, server, speech_wav(fixtures_dir), idempotency_key="retry-me", scenario_id="sales")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert details(caught.value) == (
        [("metadata.idempotency_key", caught.value.details())],
        ["IDEMPOTENCY_KEY_REUSED"],
    )
    other_tenant = upload(
        channel, server, speech_wav(fixtures_dir), tenant="globex", idempotency_key="retry-me"
    )
    assert other_tenant.job_id != first.job_id  # keys are per tenant
    wait(channel, server, first.job_id)
    wait(channel, server, other_tenant.job_id, tenant="globex")


def test_text_answers_are_scored_at_once(channel, server):
    stub = interview_pb2_grpc.InterviewServiceStub(channel)
    answers = json.loads((REPO_ROOT / "samples" / "sample_interview.answers.json").read_text())
    result = stub.ScoreAnswers(
        interview_pb2.ScoreAnswersRequest(
            scenario_id="general_behavioral",
            answers=[interview_pb2.TextAnswer(question=a["question"], answer=a["answer"]) for a in answers],
        ),
        metadata=auth(server),
    )
    assert result.overall.HasField("score") and 0 <= result.overall.score <= 10
    assert result.kpi_baselines[0].kpi == "team_contribution" and result.kpi_baselines[0].HasField("target")
    assert len(result.answers) == len(answers)


# --- refusals -----------------------------------------------------------------------------------------------


def test_no_or_unknown_api_key_is_unauthenticated(channel, server):
    stub = interview_pb2_grpc.InterviewServiceStub(channel)
    for metadata in ([], [("x-api-key", "hl_not-a-key")]):
        with pytest.raises(grpc.RpcError) as caught:
            stub.GetJob(interview_pb2.GetJobRequest(job_id="x"), metadata=metadata)
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize(
    ("metadata", "code", "field"),
    [
        ({"scenario_id": "astronaut"}, grpc.StatusCode.NOT_FOUND, "metadata.scenario_id"),
        ({"scenario_id": ""}, grpc.StatusCode.INVALID_ARGUMENT, "metadata.scenario_id"),
        ({"language": "fr"}, grpc.StatusCode.INVALID_ARGUMENT, "metadata.language"),
        ({"candidate_ref": ""}, grpc.StatusCode.INVALID_ARGUMENT, "metadata.candidate_ref"),
        (
            {"questions": [interview_pb2.QuestionTiming(question_id="nope")]},
            grpc.StatusCode.INVALID_ARGUMENT,
            "metadata.questions[0].question_id",
        ),
        (
            {"questions": [interview_pb2.QuestionTiming(question_id="teamwork", start_s=5.0, end_s=2.0)]},
            grpc.StatusCode.INVALID_ARGUMENT,
            "metadata.questions[0].end_s",
        ),
    ],
)
def test_bad_metadata_names_the_field(channel, server, fixtures_dir, metadata, code, field):
    with pytest.raises(grpc.RpcError) as caught:
        upload(channel, server, speech_wav(fixtures_dir), **metadata)
    assert caught.value.code() == code
    assert field in [f for f, _ in details(caught.value)[0]], caught.value.details()


def test_chunks_before_metadata_and_empty_uploads_are_refused(channel, server):
    stub = interview_pb2_grpc.InterviewServiceStub(channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.UploadInterview(
            iter([interview_pb2.UploadInterviewRequest(chunk=b"abc")]), metadata=auth(server)
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "metadata" in caught.value.details()
    with pytest.raises(grpc.RpcError) as caught:
        upload(channel, server, None)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "no recording bytes" in caught.value.details()


@pytest.mark.parametrize(
    ("name", "make", "reason", "words"),
    [
        ("random.mp4", lambda d: os.urandom(200_000), "BAD_MEDIA", "not a recognised"),
        ("notes.mp4", lambda d: b"these are my interview notes\n" * 100, "BAD_MEDIA", "file is text"),
        (
            "truncated.mp4",
            lambda d: (REPO_ROOT / "samples" / "sample_interview.mp4").read_bytes()[:300_000],
            "BAD_MEDIA",
            "",
        ),
        ("silence.wav", lambda d: silence_wav(d).read_bytes(), "NOT_SCORABLE", "speech"),
    ],
)
def test_bad_media_fails_its_job_with_the_reason_and_the_server_keeps_serving(
    channel, server, tmp_path, name, make, reason, words
):
    job = upload(channel, server, None, data=make(tmp_path), filename=name)
    ended = wait(channel, server, job.job_id)
    assert ended.state == interview_pb2.FAILED
    assert ended.error.reason == reason, ended.error
    assert words in ended.error.message and "upload-" not in ended.error.message, ended.error.message
    assert not ended.HasField("result")
    # and the next caller is served as usual
    stub = scenario_pb2_grpc.ScenarioServiceStub(channel)
    assert stub.ListScenarios(scenario_pb2.ListScenariosRequest(), metadata=auth(server)).scenarios


def _no_tracks(folder: Path, fixtures_dir: Path) -> bytes:
    return without_tracks(fixtures_dir / "video" / "single_face.mp4", folder / "no_tracks.mp4").read_bytes()


def _huge_frames(folder: Path, fixtures_dir: Path) -> bytes:
    face = real_frames(fixtures_dir, 640, 360)[0]
    huge = cv2.resize(face, (8192, 4320), interpolation=cv2.INTER_NEAREST)
    spec = VideoSpec("libx264", 8192, 4320, fps=1)
    return write_recording(folder / "huge.mp4", 1.0, spec, None, [huge]).read_bytes()


def _endless(folder: Path, fixtures_dir: Path) -> bytes:
    frames, speech = real_frames(fixtures_dir, 160, 96), real_speech(fixtures_dir)[16000:]
    clip = write_recording(
        folder / "short.webm", 1.6, VideoSpec("libvpx"), AudioSpec("libopus", 48000), frames, speech
    )
    return with_matroska_duration(clip, folder / "endless.webm", 10 * 3600).read_bytes()


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (_no_tracks, "no audio or video stream"),
        (_huge_frames, "frame size 8192x4320 exceeds the limit"),
        (_endless, "declared duration 10.0 h exceeds the limit"),
    ],
)
def test_hostile_headers_fail_fast_with_the_reason(channel, server, tmp_path, fixtures_dir, make, words):
    job = upload(channel, server, None, data=make(tmp_path, fixtures_dir), filename="hostile.mp4")
    ended = wait(channel, server, job.job_id, timeout_s=60)
    assert ended.state == interview_pb2.FAILED and ended.error.reason == "BAD_MEDIA"
    assert words in ended.error.message, ended.error.message


def test_a_watch_past_its_deadline_ends_and_the_job_goes_on(channel, server, fixtures_dir):
    job = upload(channel, server, REPO_ROOT / "samples" / "sample_interview.mp4", candidate_ref="deadline")
    stub = interview_pb2_grpc.InterviewServiceStub(channel)
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as caught:
        list(
            stub.WatchJob(interview_pb2.WatchJobRequest(job_id=job.job_id), metadata=auth(server), timeout=1)
        )
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 10
    cancelled = stub.CancelJob(interview_pb2.CancelJobRequest(job_id=job.job_id), metadata=auth(server))
    assert cancelled.state == interview_pb2.CANCELLED
    assert wait(channel, server, job.job_id).state == interview_pb2.CANCELLED


# --- tenants and erasure ------------------------------------------------------------------------------------


def test_a_tenant_never_sees_or_touches_another_tenants_jobs(channel, server, fixtures_dir):
    job = upload(channel, server, speech_wav(fixtures_dir), candidate_ref="acme-cand-7")
    stub = interview_pb2_grpc.InterviewServiceStub(channel)
    other = auth(server, "globex")
    for call, request in (
        (stub.GetJob, interview_pb2.GetJobRequest(job_id=job.job_id)),
        (stub.CancelJob, interview_pb2.CancelJobRequest(job_id=job.job_id)),
    ):
        with pytest.raises(grpc.RpcError) as caught:
            call(request, metadata=other)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as caught:
        list(stub.WatchJob(interview_pb2.WatchJobRequest(job_id=job.job_id), metadata=other))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    candidates = candidate_pb2_grpc.CandidateServiceStub(channel)
    receipt = candidates.DeleteCandidate(
        candidate_pb2.DeleteCandidateRequest(candidate_ref="acme-cand-7"), metadata=other
    )
    assert receipt.jobs_erased == 0
    # the owner's job went on untouched
    assert wait(channel, server, job.job_id).state == interview_pb2.DONE


def test_deleting_a_candidate_erases_jobs_results_and_recordings(channel, server, fixtures_dir):
    done = upload(channel, server, speech_wav(fixtures_dir), candidate_ref="erase-me")
    wait(channel, server, done.job_id)
    running = upload(
        channel, server, REPO_ROOT / "samples" / "sample_interview.mp4", candidate_ref="erase-me"
    )
    candidates = candidate_pb2_grpc.CandidateServiceStub(channel)
    receipt = candidates.DeleteCandidate(
        candidate_pb2.DeleteCandidateRequest(candidate_ref="erase-me"), metadata=auth(server)
    )
    assert receipt.jobs_erased == 2 and set(receipt.job_ids) == {done.job_id, running.job_id}
    assert receipt.results_erased == 1 and receipt.receipt_id and receipt.deleted_at.seconds > 0
    stub = interview_pb2_grpc.InterviewServiceStub(channel)
    for job_id in (done.job_id, running.job_id):
        with pytest.raises(grpc.RpcError) as caught:
            stub.GetJob(interview_pb2.GetJobRequest(job_id=job_id), metadata=auth(server))
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    deadline = time.monotonic() + 10
    while list((server.folder / "data" / "uploads").glob("*")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not list((server.folder / "data" / "uploads").glob("*"))


# --- scenarios ----------------------------------------------------------------------------------------------


def test_scenarios_list_get_and_validate(channel, server):
    stub = scenario_pb2_grpc.ScenarioServiceStub(channel)
    listed = stub.ListScenarios(scenario_pb2.ListScenariosRequest(), metadata=auth(server)).scenarios
    assert {"sales", "general_behavioral", "manufacturing_operator"} <= {s.id for s in listed}
    sales = stub.GetScenario(scenario_pb2.GetScenarioRequest(id="sales"), metadata=auth(server))
    assert sales.summary.version and sales.questions and "competencies:" in sales.yaml
    valid = stub.ValidateScenario(
        scenario_pb2.ValidateScenarioRequest(yaml=sales.yaml), metadata=auth(server)
    )
    assert valid.valid and valid.summary.id == "sales"
    broken = sales.yaml.replace("version:", "versoin:", 1)
    report = stub.ValidateScenario(
        scenario_pb2.ValidateScenarioRequest(yaml=broken, filename="sales.yaml"), metadata=auth(server)
    )
    assert not report.valid and any("sales.yaml:" in p for p in report.problems), report.problems
    with pytest.raises(grpc.RpcError) as caught:
        stub.ValidateScenario(
            scenario_pb2.ValidateScenarioRequest(yaml=sales.yaml, policy="/etc/passwd"), metadata=auth(server)
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetScenario(scenario_pb2.GetScenarioRequest(id="astronaut"), metadata=auth(server))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


# --- operations ---------------------------------------------------------------------------------------------


def test_metrics_count_the_calls_and_jobs(channel, server, fixtures_dir):
    job = upload(channel, server, speech_wav(fixtures_dir), candidate_ref="metrics-1")
    wait(channel, server, job.job_id)
    text = server.metrics_text()
    assert (
        'hirelens_grpc_requests_total{code="OK",method="UploadInterview",service="hirelens.v1.InterviewService"}'
        in text
    )
    assert 'hirelens_jobs_total{state="done"}' in text and "hirelens_job_queue_depth" in text
    assert 'hirelens_model_batch_size_count{model="asr_whisper_tiny_en"}' in text
    assert "hirelens_upload_bytes_total" in text


def test_the_server_log_is_json_without_personal_data(channel, server, fixtures_dir):
    job = upload(channel, server, speech_wav(fixtures_dir), candidate_ref="private-ref-4711")
    wait(channel, server, job.job_id)
    lines = [line for line in server.log_text().splitlines() if line.startswith("{")]
    assert lines, server.log_text()
    records = [json.loads(line) for line in lines]
    assert all({"ts", "level", "logger", "message"} <= set(r) for r in records)
    assert any(job.job_id in json.dumps(r) for r in records)  # jobs are traceable by id
    everything = server.log_text()
    assert "private-ref-4711" not in everything
    assert not any(key in everything for key in server.keys.values())


def test_an_upload_past_its_deadline_leaves_no_job_and_no_file(channel, server, fixtures_dir):
    stub = interview_pb2_grpc.InterviewServiceStub(channel)

    def slow() -> Iterator[interview_pb2.UploadInterviewRequest]:
        yield interview_pb2.UploadInterviewRequest(
            metadata=interview_pb2.InterviewMetadata(
                scenario_id="general_behavioral", candidate_ref="slow-1", idempotency_key="slow-upload"
            )
        )
        for _ in range(20):
            yield interview_pb2.UploadInterviewRequest(chunk=b"\0" * 65536)
            time.sleep(0.1)

    with pytest.raises(grpc.RpcError) as caught:
        stub.UploadInterview(slow(), metadata=auth(server), timeout=0.5)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    deadline = time.monotonic() + 10
    while list((server.folder / "data" / "uploads").glob("*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not list((server.folder / "data" / "uploads").glob("*"))  # the partial file is gone
    # the key was never used: the same upload, complete this time, makes its job now
    job = upload(
        channel, server, speech_wav(fixtures_dir), candidate_ref="slow-1", idempotency_key="slow-upload"
    )
    assert wait(channel, server, job.job_id).state == interview_pb2.DONE
