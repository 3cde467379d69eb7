"""The job runner with the real pipeline and models on real recordings, over a real SQLite file: states and
progress, failures, cancellation (CPU stops), a restart that resumes a job, leases, retention and webhooks.

The real pipeline is slow, so only the lease test and one end-to-end job also run on PostgreSQL (the store's
own suites cover every query on both databases); the rest run on SQLite."""

from __future__ import annotations

import json
import resource
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from server.jobs.database import Database
from server.jobs.processing import process_job
from server.jobs.runner import JobRunner
from server.jobs.store import JobRecord, JobSpec, JobState, JobStore
from server.jobs.tenants import TenantConfig, TenantStore
from server.jobs.webhooks import RetryPolicy, WebhookSender, verify_signature
from tests.conftest import REPO_ROOT
from tests.postgres import BACKENDS
from tests.unit.test_job_store import open_test_database

SAMPLE = REPO_ROOT / "samples" / "sample_interview.mp4"  # 295 s: long enough to stop mid-way
SHORT = "speech_en/sense_and_sensibility_01_austen_64kb-0870.wav"  # 7 s of read English speech
SECRET = "whsec-runner-test"


class RecordingStore(JobStore):
    """The real store, also remembering every state a job was put in, in order."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.states: dict[str, list[JobState]] = {}

    def set_progress(self, job_id: str, worker_id: str, state: JobState, progress: float) -> bool:
        seen = self.states.setdefault(job_id, [])
        if not seen or seen[-1] != state:
            seen.append(state)
        return super().set_progress(job_id, worker_id, state, progress)


class PausingStore(JobStore):
    """The real store, holding the first job that reports ``analysing`` there until ``gate`` opens: a test
    can then stop or outwait its runner mid-analysis, even on a 7 s recording."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.reached = threading.Event()
        self.gate = threading.Event()

    def set_progress(self, job_id: str, worker_id: str, state: JobState, progress: float) -> bool:
        if state is JobState.ANALYSING and not self.reached.is_set():
            self.reached.set()
            self.gate.wait(60)
        return super().set_progress(job_id, worker_id, state, progress)


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """SQLite, unless a test is parametrized over ``BACKENDS`` (``indirect=True``)."""
    yield from open_test_database(getattr(request, "param", "sqlite"), tmp_path)


on_both_databases = pytest.mark.parametrize("database", BACKENDS, indirect=True)


@pytest.fixture
def tenant_id(database: Database) -> str:
    (tenant,) = TenantStore(database).sync([TenantConfig(name="acme")])
    return tenant.id


def upload(source: Path, tmp_path: Path) -> str:
    """A copy of the recording, as an upload would leave it: the runner deletes it after the job."""
    target = tmp_path / "uploads" / f"{time.monotonic_ns()}{source.suffix}"
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(source, target)
    return str(target)


def job_spec(candidate: str = "cand-1", scenario: str = "general_behavioral", **extra: object) -> JobSpec:
    fields: dict = {
        "candidate_ref": candidate,
        "scenario_id": scenario,
        "scenario_version": None,
        "language": "en",
        "questions": [],
        "consent": ["voice", "face"],
        "policy": None,
        "filename": "interview",
    }
    return JobSpec(**(fields | extra))


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def state(store: JobStore, tenant_id: str, job_id: str) -> JobState:
    job = store.get(tenant_id, job_id)
    assert job is not None
    return job.state


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@on_both_databases
def test_a_job_runs_through_every_state_to_a_result(
    database: Database, tenant_id: str, fixtures_dir: Path, tmp_path: Path, runtime: object
) -> None:
    store = RecordingStore(database)
    finished: list[JobRecord] = []
    runner = JobRunner(store, process_job, workers=2, poll_s=0.2, on_finished=finished.append)
    runner.start()
    try:
        path = upload(fixtures_dir / SHORT, tmp_path)
        job, _ = store.create(tenant_id, job_spec(), path, 1, max_queued=10)
        runner.notify()
        wait_until(
            lambda: state(store, tenant_id, job.id) in {JobState.DONE, JobState.FAILED}, 120, "the job"
        )
    finally:
        runner.stop()
    done = store.get(tenant_id, job.id)
    assert done is not None
    assert done.state is JobState.DONE, done.error
    assert store.states[job.id] == [JobState.DECODING, JobState.ANALYSING, JobState.SCORING]
    assert done.progress == 1.0 and done.attempts == 1 and done.error is None
    assert done.worker_id == runner.worker_id and done.heartbeat_at is None
    assert done.started_at is not None and done.created_at <= done.started_at <= done.updated_at
    assert done.result is not None
    assert done.result["scenario"]["id"] == "general_behavioral"
    assert done.result["duration_s"] == pytest.approx(7.1, abs=0.2)
    assert "overall" in done.result and "competencies" in done.result
    assert done.recording_path is None and not Path(path).exists()  # no retention: deleted at once
    assert [r.id for r in finished] == [job.id]


def test_bad_media_and_bad_input_fail_with_reasons(
    database: Database, tenant_id: str, fixtures_dir: Path, tmp_path: Path, runtime: object
) -> None:
    store = JobStore(database)
    garbage = tmp_path / "broken.mp4"
    garbage.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x13" * 4000)
    runner = JobRunner(store, process_job, poll_s=0.1)
    runner.start()
    try:
        bad_media, _ = store.create(tenant_id, job_spec("a"), str(garbage), 4000, max_queued=10)
        bad_scenario, _ = store.create(
            tenant_id, job_spec("b", scenario="no_such_role"), upload(fixtures_dir / SHORT, tmp_path), 1, 10
        )
        bad_version, _ = store.create(
            tenant_id, job_spec("c", scenario_version="99.0"), upload(fixtures_dir / SHORT, tmp_path), 1, 10
        )
        runner.notify()
        ids = (bad_media.id, bad_scenario.id, bad_version.id)
        wait_until(lambda: all(state(store, tenant_id, i) is JobState.FAILED for i in ids), 60, "failures")
    finally:
        runner.stop()
    media = store.get(tenant_id, bad_media.id)
    assert media is not None and media.error is not None
    assert media.error["code"] == 3 and media.error["reason"] == "BAD_MEDIA" and media.error["message"]
    scenario = store.get(tenant_id, bad_scenario.id)
    assert scenario is not None and scenario.error is not None
    assert scenario.error["reason"] == "BAD_INPUT" and "no_such_role" in scenario.error["message"]
    version = store.get(tenant_id, bad_version.id)
    assert version is not None and version.error is not None and "99.0" in version.error["message"]
    assert not garbage.exists()


def test_cancelled_in_the_database_stops_the_work(
    database: Database, tenant_id: str, tmp_path: Path, runtime: object
) -> None:
    """A CancelJob served by another process only changes the database: the worker still stops."""
    store = JobStore(database)
    runner = JobRunner(store, process_job, poll_s=0.2)
    runner.start()
    try:
        job, _ = store.create(tenant_id, job_spec(), upload(SAMPLE, tmp_path), 1, max_queued=10)
        runner.notify()
        wait_until(lambda: state(store, tenant_id, job.id) is JobState.ANALYSING, 60, "analysis to start")
        cancelled = store.cancel(tenant_id, job.id)
        assert cancelled is not None and cancelled.state is JobState.CANCELLED
        wait_until(lambda: not runner.active_jobs(), 10, "the worker to drop the job")
        time.sleep(0.5)  # let in-flight model calls of the last chunk drain
        before = cpu_seconds()
        time.sleep(2.0)
        used = cpu_seconds() - before
    finally:
        runner.stop()
    assert used < 0.5, f"{used:.2f} s of CPU in the 2 s after the job was cancelled"
    after = store.get(tenant_id, job.id)
    assert after is not None and after.state is JobState.CANCELLED and after.result is None
    assert after.recording_path is None


def test_in_memory_cancel_is_written_to_the_database(
    database: Database, tenant_id: str, tmp_path: Path, runtime: object
) -> None:
    store = JobStore(database)
    finished: list[JobRecord] = []
    runner = JobRunner(store, process_job, poll_s=0.2, on_finished=finished.append)
    runner.start()
    try:
        job, _ = store.create(tenant_id, job_spec(), upload(SAMPLE, tmp_path), 1, max_queued=10)
        runner.notify()
        wait_until(lambda: job.id in runner.active_jobs(), 30, "a worker to take the job")
        assert runner.cancel(job.id)
        wait_until(lambda: not runner.active_jobs(), 10, "the worker to drop the job")
    finally:
        runner.stop()
    assert state(store, tenant_id, job.id) is JobState.CANCELLED
    assert not runner.cancel(job.id)
    # cancelled jobs reach on_finished too (metrics count them), with the attempt's start for its run time
    (ended,) = finished
    assert ended.id == job.id and ended.state is JobState.CANCELLED and ended.started_at is not None


def test_a_restart_resumes_an_interrupted_job(
    database: Database, tenant_id: str, fixtures_dir: Path, tmp_path: Path, runtime: object
) -> None:
    """A graceful stop hands the job back to the queue at once: the next runner needs no lease to expire."""
    store = PausingStore(database)
    first = JobRunner(store, process_job, poll_s=0.2)
    first.start()
    path = upload(fixtures_dir / SHORT, tmp_path)
    job, _ = store.create(tenant_id, job_spec(), path, 1, max_queued=10)
    first.notify()
    assert store.reached.wait(60), "analysis never started"
    stopped: list[bool] = []
    stopper = threading.Thread(target=lambda: stopped.append(first.stop(timeout=15)))
    stopper.start()
    time.sleep(1.0)  # stop() has interrupted the job; let its analysis go on to notice
    store.gate.set()
    stopper.join(20)
    assert stopped == [True]
    left = store.get(tenant_id, job.id)
    assert left is not None and left.state is JobState.QUEUED and left.attempts == 1
    assert left.worker_id is None and left.heartbeat_at is None and left.progress == 0.0
    assert Path(path).exists()  # kept for the next try

    second = JobRunner(store, process_job, poll_s=0.2)
    assert second.start() == []  # nothing expired: the job was already back in the queue
    second.notify()
    try:
        wait_until(
            lambda: state(store, tenant_id, job.id) in {JobState.DONE, JobState.FAILED}, 120, "the job"
        )
    finally:
        second.stop()
    done = store.get(tenant_id, job.id)
    assert done is not None and done.state is JobState.DONE, done.error
    assert done.attempts == 2 and done.result is not None and done.worker_id == second.worker_id
    assert done.result["duration_s"] == pytest.approx(7.1, abs=0.2)


@on_both_databases
def test_a_dead_runners_job_resumes_after_its_lease_and_a_live_ones_is_left_alone(
    database: Database, tenant_id: str, fixtures_dir: Path, tmp_path: Path, runtime: object
) -> None:
    """Two runners on one database, as two server processes would be, and a third that crashed: its job is
    requeued once its heartbeat is older than the lease; the live runner's job, held mid-analysis for longer
    than the lease, keeps being renewed and is never taken from it."""
    lease = {"heartbeat_s": 0.2, "lease_s": 1.0}
    live_store = PausingStore(database)
    live_runner = JobRunner(live_store, process_job, poll_s=0.1, **lease)
    live_runner.start()
    other: JobRunner | None = None
    try:
        live, _ = live_store.create(
            tenant_id, job_spec("live"), upload(fixtures_dir / SHORT, tmp_path), 1, 10
        )
        live_runner.notify()
        assert live_store.reached.wait(60), "analysis never started"

        store = JobStore(database)
        orphan, _ = store.create(tenant_id, job_spec("orphan"), upload(fixtures_dir / SHORT, tmp_path), 1, 10)
        crashed = "crashed-host-1234-deadbeef"
        assert store.claim_next(crashed) is not None  # a runner that then died: no heartbeat ever again
        assert store.set_progress(orphan.id, crashed, JobState.ANALYSING, 0.4)

        other = JobRunner(store, process_job, poll_s=0.1, **lease)
        other.start()
        wait_until(lambda: state(store, tenant_id, orphan.id) is JobState.DONE, 120, "the orphaned job")
        resumed = store.get(tenant_id, orphan.id)
        assert resumed is not None and resumed.attempts == 2 and resumed.worker_id == other.worker_id

        held = store.get(tenant_id, live.id)  # several leases long by now, still the live runner's
        assert held is not None and held.state is JobState.DECODING and held.attempts == 1
        assert held.worker_id == live_runner.worker_id
        live_store.gate.set()
        wait_until(lambda: state(store, tenant_id, live.id) is JobState.DONE, 120, "the live job")
    finally:
        live_store.gate.set()
        live_runner.stop()
        if other is not None:
            other.stop()
    finished = store.get(tenant_id, live.id)
    assert finished is not None and finished.attempts == 1 and finished.worker_id == live_runner.worker_id


def test_retention_keeps_the_recording_then_sweeps_it(
    database: Database, tenant_id: str, fixtures_dir: Path, tmp_path: Path, runtime: object
) -> None:
    store = JobStore(database)
    runner = JobRunner(store, process_job, poll_s=0.1, retention_s=1.5, sweep_s=0.1)
    runner.start()
    try:
        path = upload(fixtures_dir / SHORT, tmp_path)
        job, _ = store.create(tenant_id, job_spec(), path, 1, max_queued=10)
        runner.notify()
        wait_until(lambda: state(store, tenant_id, job.id) is JobState.DONE, 120, "the job")
        kept = store.get(tenant_id, job.id)
        assert kept is not None and kept.retain_until is not None and Path(path).exists()
        wait_until(lambda: not Path(path).exists(), 10, "the retention sweep")
    finally:
        runner.stop()
    swept = store.get(tenant_id, job.id)
    assert swept is not None and swept.recording_path is None and swept.result is not None


def test_finished_jobs_reach_the_tenants_webhook(
    database: Database, fixtures_dir: Path, tmp_path: Path, runtime: object
) -> None:
    statuses = [500, 500]
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(statuses.pop(0) if statuses else 200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    (tenant,) = TenantStore(database).sync(
        [TenantConfig(name="acme", webhook_url=url, webhook_secret=SECRET)]
    )
    store = JobStore(database)
    sender = WebhookSender(database, RetryPolicy(base_s=0.1, cap_s=0.5, timeout_s=5), poll_s=0.05)
    runner = JobRunner(store, process_job, poll_s=0.1, webhooks=sender)
    sender.start()
    runner.start()
    try:
        job, _ = store.create(tenant.id, job_spec("ats-123"), upload(fixtures_dir / SHORT, tmp_path), 1, 10)
        runner.notify()
        wait_until(lambda: len(received) >= 3, 120, "three webhook attempts")
    finally:
        runner.stop()
        sender.stop()
        server.shutdown()
        server.server_close()
    assert len(received) == 3
    for headers, body in received:
        assert verify_signature(
            SECRET, headers["x-hirelens-timestamp"], body, headers["x-hirelens-signature"]
        )
    payload = json.loads(received[-1][1])
    assert (
        payload["job_id"] == job.id and payload["state"] == "done" and payload["candidate_ref"] == "ats-123"
    )
    (delivery,) = sender.for_job(job.id)
    assert delivery.delivered_at is not None and delivery.attempts == 3
