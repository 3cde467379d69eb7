"""Jobs under stress, against real ``hirelens serve`` processes: a crash mid-job, a full queue, a cancelled
job's CPU, a 2 GB upload's memory, and 20 interviews uploaded at once."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from hirelens.v1 import candidate_pb2, candidate_pb2_grpc, interview_pb2, interview_pb2_grpc

from server.runtime.repository import ModelRepository
from tests.integration.test_api import TERMINAL, auth, upload, upload_requests, wait
from tests.server_process import REPO_ROOT, ServerProcess

pytestmark = pytest.mark.slow
SAMPLE = REPO_ROOT / "samples" / "sample_interview.mp4"
SPEECH = Path("speech_en") / "sense_and_sensibility_01_austen_64kb-0870.wav"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def wait_for_state(stub, server, job_id: str, states: set[int], timeout_s: float = 120) -> interview_pb2.Job:
    for job in stub.WatchJob(
        interview_pb2.WatchJobRequest(job_id=job_id), metadata=auth(server), timeout=timeout_s
    ):
        if job.state in states:
            return job
    raise AssertionError(f"job {job_id} never reached {states}")


@pytest.fixture
def server(tmp_path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server", server={"max_queued_jobs": 2}).start()
    yield process
    process.kill()


def test_a_server_killed_mid_job_finishes_the_job_after_restart(server):
    with grpc.insecure_channel(server.address) as channel:
        stub = interview_pb2_grpc.InterviewServiceStub(channel)
        job = upload(channel, server, SAMPLE, candidate_ref="crash")
        wait_for_state(stub, server, job.job_id, {interview_pb2.ANALYSING})
    server.kill()  # SIGKILL: no shutdown code runs
    server.start()
    with grpc.insecure_channel(server.address) as channel:
        ended = wait(channel, server, job.job_id)
    assert ended.state == interview_pb2.DONE, ended.error
    assert ended.attempts == 2 and ended.result.competencies


def test_a_full_queue_refuses_uploads_with_resource_exhausted(server):
    with grpc.insecure_channel(server.address) as channel:
        stub = interview_pb2_grpc.InterviewServiceStub(channel)
        running = upload(channel, server, SAMPLE)
        wait_for_state(stub, server, running.job_id, {interview_pb2.DECODING, interview_pb2.ANALYSING})
        queued = [upload(channel, server, SAMPLE) for _ in range(2)]  # max_queued_jobs: 2
        with pytest.raises(grpc.RpcError) as caught:
            upload(channel, server, SAMPLE)
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "queue is full" in caught.value.details()
        for job in (running, *queued):  # nothing accepted is lost
            stub.CancelJob(interview_pb2.CancelJobRequest(job_id=job.job_id), metadata=auth(server))
            assert wait(channel, server, job.job_id).state == interview_pb2.CANCELLED


def model_executions(server: ServerProcess) -> float:
    """Model executions (batches) the server has finished, all models together."""
    return server.metric("hirelens_model_batch_size_count")


def test_a_cancelled_job_stops_using_cpu(server):
    """Cancelled as its analysis begins (speech chunks and every text analyzer still to come, dozens of
    model executions), the job stops within the calls already running: at most one execution per model
    finishes after the cancel, and once the worker reports the job ended the server is idle."""
    with grpc.insecure_channel(server.address) as channel:
        stub = interview_pb2_grpc.InterviewServiceStub(channel)
        job = upload(channel, server, SAMPLE)
        wait_for_state(stub, server, job.job_id, {interview_pb2.ANALYSING})
        before = cpu_seconds(server.process.pid)
        time.sleep(1.0)
        busy = cpu_seconds(server.process.pid) - before
        assert busy > 0.15, f"the analysis should be busy before the cancel ({busy:.2f} s CPU in 1 s)"
        executions = model_executions(server)
        stub.CancelJob(interview_pb2.CancelJobRequest(job_id=job.job_id), metadata=auth(server))
        assert wait(channel, server, job.job_id).state == interview_pb2.CANCELLED
        deadline = time.monotonic() + 60
        while not server.metric("hirelens_jobs_total", state="cancelled") and time.monotonic() < deadline:
            time.sleep(0.1)  # the worker counts the job once its analysis has unwound
        assert server.metric("hirelens_jobs_total", state="cancelled") == 1, server.log_text()
        after_cancel = model_executions(server) - executions
        before = cpu_seconds(server.process.pid)
        time.sleep(2.0)
        idle = cpu_seconds(server.process.pid) - before
    # at most what was running: one execution per model instance (uncancelled, about 60 more follow)
    repository = ModelRepository(REPO_ROOT / "model_repo")
    instances = sum(repository.get(name).instance_count for name in repository.names())
    assert after_cancel <= instances, f"{after_cancel:.0f} model executions after the cancel"
    assert idle < 0.3, f"server used {idle:.2f} s CPU in the 2 s after the job ended"


def test_a_2_gb_upload_streams_to_disk_without_memory_growth(server):
    chunk = os.urandom(1024 * 1024)
    total = 2 * 1024**3
    peak = [rss_bytes(server.process.pid)]
    start_rss = peak[0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_bytes(server.process.pid))
            time.sleep(0.05)

    def requests() -> Iterator[interview_pb2.UploadInterviewRequest]:
        yield interview_pb2.UploadInterviewRequest(
            metadata=interview_pb2.InterviewMetadata(
                scenario_id="general_behavioral", candidate_ref="big", filename="big.mp4", size_bytes=total
            )
        )
        for _ in range(total // len(chunk)):
            yield interview_pb2.UploadInterviewRequest(chunk=chunk)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    with grpc.insecure_channel(server.address) as channel:
        stub = interview_pb2_grpc.InterviewServiceStub(channel)
        job = stub.UploadInterview(requests(), metadata=auth(server), timeout=600)
        done.set()
        watcher.join()
        assert job.uploaded_bytes == total
        ended = wait(channel, server, job.job_id)  # random bytes: refused by the decoder, file deleted
    assert ended.state == interview_pb2.FAILED and ended.error.reason == "BAD_MEDIA"
    growth = peak[0] - start_rss
    assert growth < 150 * 1024**2, f"server memory grew {growth / 1024**2:.0f} MB during a 2 GB upload"
    assert not list((server.folder / "data" / "uploads").glob("*"))


def test_twenty_concurrent_uploads_of_the_sample_all_complete(tmp_path):
    server = ServerProcess(tmp_path / "server", server={"max_queued_jobs": 20}).start()
    try:
        with grpc.insecure_channel(server.address) as channel:

            def one(i: int) -> interview_pb2.Job:
                job = upload(channel, server, SAMPLE, candidate_ref=f"c{i}", idempotency_key=f"twenty-{i}")
                return wait(channel, server, job.job_id, timeout_s=1800)

            with ThreadPoolExecutor(20) as pool:
                jobs = list(pool.map(one, range(20)))
    finally:
        server.stop()
    assert len({j.job_id for j in jobs}) == 20
    assert all(j.state == interview_pb2.DONE for j in jobs), [(j.state, j.error) for j in jobs]
    scores = {round(j.result.overall.score, 2) for j in jobs}
    assert len(scores) == 1, scores  # the same recording scores the same every time
    assert all(j.state in TERMINAL for j in jobs)


def owned_recordings(server: ServerProcess) -> set[str]:
    """The recordings the server's own database says jobs own (read with the stock sqlite3 module)."""
    connection = sqlite3.connect(server.folder / "data" / "hirelens.db")
    try:
        rows = connection.execute("SELECT recording_path FROM jobs WHERE recording_path IS NOT NULL")
        return {os.path.realpath(path) for (path,) in rows}
    finally:
        connection.close()


def test_an_upload_cut_by_kill_9_leaves_no_file_after_restart(tmp_path, fixtures_dir):
    """A server killed mid-upload leaves a partial file no job owns; the next start (and the periodic sweep)
    deletes it, and a retained recording that a job does own stays."""
    server = ServerProcess(
        tmp_path / "server", server={"retention_s": 3600, "orphan_grace_s": 1, "orphan_sweep_s": 1}
    ).start()
    uploads = server.folder / "data" / "uploads"
    stalled = threading.Event()
    try:
        with grpc.insecure_channel(server.address) as channel:
            kept = wait(channel, server, upload(channel, server, fixtures_dir / SPEECH).job_id)
            assert kept.state == interview_pb2.DONE, kept.error

            def cut_short() -> Iterator[interview_pb2.UploadInterviewRequest]:
                yield from upload_requests(None, candidate_ref="cut", filename="cut.mp4", size_bytes=10**8)
                for _ in range(4):
                    yield interview_pb2.UploadInterviewRequest(chunk=os.urandom(256 * 1024))
                stalled.wait(120)  # the rest never comes: the server dies first

            stub = interview_pb2_grpc.InterviewServiceStub(channel)
            call = stub.UploadInterview.future(cut_short(), metadata=auth(server), timeout=120)
            deadline = time.monotonic() + 60
            while not any(p.stat().st_size >= 1024**2 for p in uploads.iterdir()):
                assert time.monotonic() < deadline, "the upload never reached the disk"
                time.sleep(0.1)
            server.kill()
            with pytest.raises(grpc.RpcError):
                call.result()
        files = {os.path.realpath(p) for p in uploads.iterdir()}
        assert len(files - owned_recordings(server)) == 1  # the partial file, nobody's
        server.start()
        deadline = time.monotonic() + 60
        while (files := {os.path.realpath(p) for p in uploads.iterdir()}) != owned_recordings(server):
            assert time.monotonic() < deadline, f"orphans left: {files - owned_recordings(server)}"
            time.sleep(0.2)
        assert len(files) == 1  # the retained recording of the done job
    finally:
        stalled.set()
        server.kill()


def poll_job(stub, server, job_id: str, done, what: str, timeout_s: float = 180) -> interview_pb2.Job:
    """GetJob until ``done(job)``; generous: a restart and a lease (30 s) may come first."""
    deadline = time.monotonic() + timeout_s
    while True:
        job = stub.GetJob(interview_pb2.GetJobRequest(job_id=job_id), metadata=auth(server), timeout=30)
        if done(job):
            return job
        assert time.monotonic() < deadline, f"{what} never happened; last: {job}"
        time.sleep(0.5)


def test_a_job_that_kills_its_server_every_run_fails_after_the_cap(tmp_path):
    """A poison job: each run ends with its server process killed (SIGKILL, as the OOM killer would). With
    ``job_max_lost_runs: 2`` the second lost run ends it FAILED / WORKER_LOST instead of a third run."""
    server = ServerProcess(tmp_path / "server", server={"job_max_lost_runs": 2}).start()
    try:
        with grpc.insecure_channel(server.address) as channel:
            stub = interview_pb2_grpc.InterviewServiceStub(channel)
            job = upload(channel, server, SAMPLE, candidate_ref="poison")
            poll_job(stub, server, job.job_id, lambda j: j.state == interview_pb2.ANALYSING, "run 1")
        server.kill()
        server.start()
        with grpc.insecure_channel(server.address) as channel:
            stub = interview_pb2_grpc.InterviewServiceStub(channel)
            poll_job(
                stub,
                server,
                job.job_id,
                lambda j: j.attempts == 2 and j.state == interview_pb2.ANALYSING,
                "run 2 (after the lease of run 1 expired)",
            )
        server.kill()
        server.start()
        with grpc.insecure_channel(server.address) as channel:
            stub = interview_pb2_grpc.InterviewServiceStub(channel)
            ended = poll_job(stub, server, job.job_id, lambda j: j.state in TERMINAL, "the end")
        assert ended.state == interview_pb2.FAILED and ended.attempts == 2
        assert ended.error.reason == "WORKER_LOST" and ended.error.code == grpc.StatusCode.INTERNAL.value[0]
        assert server.metric("hirelens_jobs_total", state="failed") == 1
        assert not list((server.folder / "data" / "uploads").iterdir())  # its recording went with it
    finally:
        server.kill()


def stored_rows(database: Path) -> str:
    """Every row of every table of the server's SQLite database, as one text."""
    connection = sqlite3.connect(database)
    try:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return "\n".join(
            repr(row) for table in tables for row in connection.execute(f'SELECT * FROM "{table}"')
        )
    finally:
        connection.close()


def test_erasure_leaves_nothing_on_disk_or_in_the_database(tmp_path, fixtures_dir):
    """A scored job whose recording is retained, then DeleteCandidate: no file under the data folder holds
    the candidate's reference or the job id in any byte, and no table row holds them."""
    server = ServerProcess(tmp_path / "server", server={"retention_s": 3600}).start()
    data = server.folder / "data"
    ref = "erase-me-4471"
    try:
        with grpc.insecure_channel(server.address) as channel:
            job = upload(channel, server, fixtures_dir / SPEECH, candidate_ref=ref, idempotency_key="erase-1")
            assert wait(channel, server, job.job_id).state == interview_pb2.DONE
            assert len(list((data / "uploads").iterdir())) == 1  # retained
            candidates = candidate_pb2_grpc.CandidateServiceStub(channel)
            receipt = candidates.DeleteCandidate(
                candidate_pb2.DeleteCandidateRequest(candidate_ref=ref), metadata=auth(server), timeout=30
            )
        assert receipt.jobs_erased == 1 and receipt.recordings_erased == 1
        rows = stored_rows(data / "hirelens.db")
        for trace in (ref, job.job_id, "erase-1"):
            assert trace not in rows, f"{trace} still in a table"
            for stored in (p for p in data.rglob("*") if p.is_file()):
                assert trace.encode() not in stored.read_bytes(), f"{trace} still in {stored.name}"
        assert receipt.receipt_id in rows  # the receipt itself is kept
    finally:
        server.kill()
