"""The job store on a real SQLite file, and on a real PostgreSQL server when one is given (see BACKENDS)."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.orm import Session

from server.jobs.database import Database, open_database
from server.jobs.models import DeletionReceiptRow, JobRow, WebhookDeliveryRow, utcnow
from server.jobs.store import JobRecord, JobSpec, JobState, JobStore, QueueFull, erased_ref
from server.jobs.tenants import TenantStore
from tests.postgres import BACKENDS, database_url


def open_test_database(backend: str, tmp_path: Path) -> Iterator[Database]:
    """A database of its own for one test: a fresh SQLite file, or a fresh PostgreSQL schema dropped after."""
    for url in database_url(backend, tmp_path):
        db = open_database(url)
        try:
            yield db
        finally:
            db.close()


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from open_test_database(request.param, tmp_path)


@pytest.fixture
def store(database: Database) -> JobStore:
    return JobStore(database)


@pytest.fixture
def tenants(database: Database) -> tuple[str, str]:
    """Two tenants' ids."""
    store = TenantStore(database)
    store.add_key("acme")
    store.add_key("globex")
    acme, globex = store.by_name("acme"), store.by_name("globex")
    assert acme is not None and globex is not None
    return acme.id, globex.id


WORKER = "host-1-aaaa"
OTHER = "host-2-bbbb"


def spec(candidate: str = "cand-1", key: str | None = None) -> JobSpec:
    return JobSpec(
        candidate_ref=candidate,
        scenario_id="general_behavioral",
        scenario_version=None,
        language="en",
        questions=[{"question_id": "q1", "text": "Tell me about a team.", "start_s": 0.0, "end_s": 5.0}],
        consent=["voice"],
        policy=None,
        filename="interview.mp4",
        idempotency_key=key,
    )


def recording(tmp_path: Path, name: str = "rec.mp4") -> str:
    path = tmp_path / name
    path.write_bytes(b"not really a video, but a file on disk")
    return str(path)


def test_create_round_trips_every_field(store: JobStore, tenants: tuple[str, str], tmp_path: Path) -> None:
    acme, _ = tenants
    job, created = store.create(acme, spec(key="k1"), recording(tmp_path), 38, max_queued=10)
    assert created
    got = store.get(acme, job.id)
    assert got == job
    assert got.state is JobState.QUEUED and got.attempts == 0 and got.progress == 0.0
    assert got.questions[0]["question_id"] == "q1" and got.consent == ["voice"]
    assert got.created_at.tzinfo is not None and got.created_at.utcoffset() == timedelta(0)
    assert len(got.id) == 32


def test_same_idempotency_key_gives_one_job(
    store: JobStore, tenants: tuple[str, str], tmp_path: Path
) -> None:
    acme, globex = tenants
    first, created = store.create(acme, spec(key="upload-7"), recording(tmp_path), 1, max_queued=10)
    again, created_again = store.create(acme, spec(key="upload-7"), recording(tmp_path), 1, max_queued=10)
    assert created and not created_again and again.id == first.id
    other, created_other = store.create(globex, spec(key="upload-7"), None, 1, max_queued=10)
    assert created_other and other.id != first.id  # keys are per tenant
    assert store.find_idempotent(acme, "upload-7") == first
    assert store.count_queued() == 2


def test_idempotency_holds_under_a_race(store: JobStore, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    barrier = threading.Barrier(8)
    results: list[tuple[str, bool]] = []
    errors: list[BaseException] = []

    def upload() -> None:
        try:
            barrier.wait()
            job, created = store.create(acme, spec(key="same"), None, 1, max_queued=100)
            results.append((job.id, created))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=upload) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({job_id for job_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert store.count_queued() == 1


def test_queue_limit_counts_every_tenant(store: JobStore, tenants: tuple[str, str]) -> None:
    acme, globex = tenants
    store.create(acme, spec(), None, 1, max_queued=2)
    store.create(globex, spec(), None, 1, max_queued=2)
    with pytest.raises(QueueFull):
        store.create(acme, spec(), None, 1, max_queued=2)
    store.claim_next(WORKER)  # one leaves the queue: room again
    store.create(acme, spec(), None, 1, max_queued=2)


def test_a_tenant_never_sees_another_tenants_job(
    store: JobStore, tenants: tuple[str, str], tmp_path: Path
) -> None:
    acme, globex = tenants
    path = recording(tmp_path)
    job, _ = store.create(acme, spec("cand-9"), path, 1, max_queued=10)
    assert store.get(globex, job.id) is None
    assert store.get(acme, "0" * 32) is None
    assert store.cancel(globex, job.id) is None
    assert store.get(acme, job.id).state is JobState.QUEUED
    receipt = store.delete_candidate(globex, "cand-9")
    assert receipt.jobs_erased == 0 and receipt.recordings_erased == 0 and receipt.job_ids == []
    assert Path(path).exists() and store.get(acme, job.id) is not None


def test_cancelling_a_queued_job_deletes_its_recording_at_once(
    store: JobStore, tenants: tuple[str, str], tmp_path: Path
) -> None:
    acme, _ = tenants
    queued, _ = store.create(acme, spec("cand-q"), recording(tmp_path, "queued.mp4"), 1, max_queued=10)
    running, _ = store.create(acme, spec("cand-r"), recording(tmp_path, "running.mp4"), 1, max_queued=10)
    assert store.claim_next("worker-1").id == queued.id  # oldest first: the first job now runs
    store.cancel(acme, running.id)  # still queued: nobody would ever delete its file
    assert not Path(running.recording_path).exists() and store.get(acme, running.id).recording_path is None
    store.cancel(acme, queued.id)  # running: its worker deletes the file when it stops
    assert Path(queued.recording_path).exists()
    assert store.get(acme, queued.id).state is JobState.CANCELLED


def test_claims_from_four_threads_never_share_a_job(store: JobStore, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    created = {store.create(acme, spec(f"c{i}"), None, 1, max_queued=100)[0].id for i in range(40)}
    claimed: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        while (job := store.claim_next(WORKER)) is not None:
            assert job.state is JobState.DECODING and job.attempts == 1
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == len(set(claimed)) == 40
    assert set(claimed) == created
    assert store.count_queued() == 0


def test_claims_oldest_first(store: JobStore, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    ids = [store.create(acme, spec(f"c{i}"), None, 1, max_queued=100)[0].id for i in range(3)]
    assert [store.claim_next(WORKER).id for _ in range(3)] == ids
    assert store.claim_next(WORKER) is None


def test_progress_and_terminal_states_stick(store: JobStore, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    job, _ = store.create(acme, spec(), None, 1, max_queued=10)
    store.claim_next(WORKER)
    assert store.set_progress(job.id, WORKER, JobState.ANALYSING, 0.5)
    assert store.get(acme, job.id).progress == 0.5
    cancelled = store.cancel(acme, job.id)
    assert cancelled is not None and cancelled.state is JobState.CANCELLED
    assert not store.set_progress(job.id, WORKER, JobState.SCORING, 0.95)
    assert store.finish(job.id, WORKER, {"overall": {"score": 7.0}}) is None
    assert store.fail(job.id, WORKER, {"code": 13, "reason": "INTERNAL", "message": "x"}) is None
    assert store.state_of(job.id) is JobState.CANCELLED
    assert store.get(acme, job.id).result is None

    done, _ = store.create(acme, spec(), None, 1, max_queued=10)
    store.claim_next(WORKER)
    finished = store.finish(done.id, WORKER, {"overall": {"score": 7.0}, "duration_s": 3.0})
    assert finished is not None and finished.state is JobState.DONE and finished.progress == 1.0
    assert store.cancel(acme, done.id).state is JobState.DONE  # a finished job stays finished
    assert store.state_of("f" * 32) is JobState.CANCELLED  # an erased job reads as cancelled


def backdate_heartbeat(database: Database, job_id: str, seconds: float) -> None:
    """As if the job's runner last renewed its lease ``seconds`` ago (then stopped: died or hung)."""
    with database.session() as session, session.begin():
        row = session.get(JobRow, job_id)
        assert row is not None and row.heartbeat_at is not None
        row.heartbeat_at = row.heartbeat_at - timedelta(seconds=seconds)


def test_claim_leases_the_job_and_times_each_attempt(store: JobStore, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    job, _ = store.create(acme, spec(), None, 1, max_queued=10)
    assert job.worker_id is None and job.started_at is None and job.heartbeat_at is None
    first = store.claim_next(WORKER)
    assert first is not None and first.worker_id == WORKER
    assert first.started_at is not None and first.heartbeat_at is not None
    assert first.started_at >= job.created_at
    store.release(WORKER)
    second = store.claim_next(OTHER)
    assert second is not None and second.attempts == 2 and second.worker_id == OTHER
    assert second.started_at is not None and second.started_at >= first.started_at  # this attempt's start
    ended = store.finish(job.id, OTHER, {})
    assert ended is not None and ended.heartbeat_at is None and ended.worker_id == OTHER
    assert ended.started_at == second.started_at and ended.updated_at >= ended.started_at


def test_expired_leases_are_requeued_and_live_ones_kept(
    store: JobStore, database: Database, tenants: tuple[str, str]
) -> None:
    acme, _ = tenants
    dead, _ = store.create(acme, spec("a"), None, 1, max_queued=10)
    live, _ = store.create(acme, spec("b"), None, 1, max_queued=10)
    done, _ = store.create(acme, spec("c"), None, 1, max_queued=10)
    store.claim_next(WORKER)
    store.set_progress(dead.id, WORKER, JobState.SCORING, 0.95)
    store.claim_next(OTHER)
    store.claim_next(OTHER)
    store.finish(done.id, OTHER, {})
    backdate_heartbeat(database, dead.id, 60)
    backdate_heartbeat(database, live.id, 60)
    assert store.heartbeat(OTHER) == 1  # one UPDATE renews every running job OTHER holds
    assert store.requeue_expired(lease_s=30) == [dead.id]
    requeued = store.get(acme, dead.id)
    assert requeued is not None and requeued.state is JobState.QUEUED and requeued.progress == 0.0
    assert requeued.worker_id is None and requeued.heartbeat_at is None and requeued.attempts == 1
    assert store.get(acme, live.id).state is JobState.DECODING
    assert store.get(acme, done.id).state is JobState.DONE
    assert store.requeue_expired(lease_s=30) == []
    again = store.claim_next(OTHER)
    assert again is not None and again.id == dead.id and again.attempts == 2


def test_a_worker_that_lost_its_lease_cannot_overwrite_the_new_owner(
    store: JobStore, database: Database, tenants: tuple[str, str]
) -> None:
    acme, _ = tenants
    job, _ = store.create(acme, spec(), None, 1, max_queued=10)
    store.claim_next(WORKER)
    backdate_heartbeat(database, job.id, 60)  # WORKER hangs past its lease
    assert store.requeue_expired(lease_s=30) == [job.id]
    assert store.claim_next(OTHER) is not None
    assert store.set_progress(job.id, OTHER, JobState.ANALYSING, 0.4)
    # WORKER wakes up: every write it tries is dropped
    assert not store.set_progress(job.id, WORKER, JobState.SCORING, 0.95)
    assert store.finish(job.id, WORKER, {"overall": {"score": 1.0}}) is None
    assert store.fail(job.id, WORKER, {"code": 13, "reason": "INTERNAL", "message": "x"}) is None
    assert not store.mark_cancelled(job.id, WORKER)
    assert store.heartbeat(WORKER) == 0
    assert store.release(WORKER) == []
    assert store.state_and_owner(job.id) == (JobState.ANALYSING, OTHER)
    mine = store.get(acme, job.id)
    assert mine is not None and mine.progress == 0.4 and mine.result is None and mine.attempts == 2
    ended = store.finish(job.id, OTHER, {"overall": {"score": 7.0}})
    assert ended is not None and ended.state is JobState.DONE and ended.result == {"overall": {"score": 7.0}}
    assert store.state_and_owner("f" * 32) == (JobState.CANCELLED, None)  # erased


def test_concurrent_sweeps_requeue_each_job_once(
    store: JobStore, database: Database, tenants: tuple[str, str]
) -> None:
    acme, _ = tenants
    ids = {store.create(acme, spec(f"c{i}"), None, 1, max_queued=100)[0].id for i in range(20)}
    for _ in ids:
        store.claim_next(WORKER)
    with database.session() as session, session.begin():
        for row in session.scalars(select(JobRow)):
            row.heartbeat_at = utcnow() - timedelta(seconds=120)
    sweepers = [JobStore(database) for _ in range(4)]
    barrier = threading.Barrier(len(sweepers))
    requeued: list[list[str]] = []
    errors: list[BaseException] = []

    def sweep(sweeper: JobStore) -> None:
        try:
            barrier.wait()
            requeued.append(sweeper.requeue_expired(lease_s=30))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sweep, args=(s,)) for s in sweepers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    flat = [job_id for batch in requeued for job_id in batch]
    assert len(flat) == len(set(flat)) == 20 and set(flat) == ids
    assert store.count_queued() == 20


def test_a_job_that_loses_its_worker_on_every_run_fails_at_the_cap(
    store: JobStore, database: Database, tenants: tuple[str, str]
) -> None:
    """A poison job: each run's worker dies (no heartbeat again). Runs 1 and 2 are requeued; when the worker
    of run 3 is lost too, the job ends FAILED with WORKER_LOST (and its end step), never queued a 4th time."""
    acme, _ = tenants
    job, _ = store.create(acme, spec(), None, 1, max_queued=10)
    ended: list[str] = []
    for run in (1, 2, 3):
        claimed = store.claim_next(f"crashing-{run}")
        assert claimed is not None and claimed.attempts == run
        backdate_heartbeat(database, job.id, 60)
        failed = store.fail_exhausted(30, max_lost=3, also=lambda _s, r: ended.append(r.id))
        requeued = store.requeue_expired(lease_s=30, max_lost=3)
        if run < 3:
            assert failed == [] and requeued == [job.id]
    assert [r.id for r in failed] == [job.id] and requeued == [] and ended == [job.id]
    final = store.get(acme, job.id)
    assert final is not None and final.state is JobState.FAILED and final.attempts == 3
    assert final.lost_runs == 3
    assert final.error is not None and final.error["reason"] == "WORKER_LOST" and final.error["code"] == 13
    assert store.claim_next(WORKER) is None


def test_requeue_leaves_a_job_at_its_last_run_for_fail_exhausted(
    store: JobStore, database: Database, tenants: tuple[str, str]
) -> None:
    """A lease that runs out between the two sweeps must not buy the job a run beyond the cap."""
    acme, _ = tenants
    job, _ = store.create(acme, spec(), None, 1, max_queued=10)
    store.claim_next("crashing-1")
    backdate_heartbeat(database, job.id, 60)
    assert store.requeue_expired(lease_s=30, max_lost=1) == []
    assert store.state_and_owner(job.id) == (JobState.DECODING, "crashing-1")
    assert [r.id for r in store.fail_exhausted(30, max_lost=1)] == [job.id]


def test_graceful_stops_do_not_count_against_the_cap(
    store: JobStore, database: Database, tenants: tuple[str, str]
) -> None:
    """Three planned restarts (release) mid-job, then one crash: with a cap of 2 lost runs the job is
    requeued, not failed. Only runs whose worker was lost count."""
    acme, _ = tenants
    job, _ = store.create(acme, spec(), None, 1, max_queued=10)
    for run in (1, 2, 3):
        assert store.claim_next(f"deploy-{run}") is not None
        assert store.release(f"deploy-{run}") == [job.id]
    store.claim_next("crashing")
    backdate_heartbeat(database, job.id, 60)
    assert store.fail_exhausted(30, max_lost=2) == []
    assert store.requeue_expired(lease_s=30, max_lost=2) == [job.id]
    again = store.get(acme, job.id)
    assert again is not None and again.state is JobState.QUEUED
    assert again.attempts == 4 and again.lost_runs == 1


def test_release_hands_a_workers_jobs_back_at_once(store: JobStore, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    a, _ = store.create(acme, spec("a"), None, 1, max_queued=10)
    b, _ = store.create(acme, spec("b"), None, 1, max_queued=10)
    c, _ = store.create(acme, spec("c"), None, 1, max_queued=10)
    store.claim_next(WORKER)
    store.claim_next(WORKER)
    store.claim_next(OTHER)
    store.set_progress(b.id, WORKER, JobState.ANALYSING, 0.5)
    assert sorted(store.release(WORKER)) == sorted([a.id, b.id])
    released = store.get(acme, b.id)
    assert released is not None and released.state is JobState.QUEUED and released.progress == 0.0
    assert released.worker_id is None and released.heartbeat_at is None
    assert store.state_and_owner(c.id) == (JobState.DECODING, OTHER)
    assert store.finish(a.id, WORKER, {}) is None  # a late result of the stopped worker is dropped


def test_the_end_step_shares_the_jobs_transaction(store: JobStore, tenants: tuple[str, str]) -> None:
    acme, _ = tenants
    job, _ = store.create(acme, spec(), None, 1, max_queued=10)
    store.claim_next(WORKER)
    seen: list[JobState] = []

    def broken_outbox(session: object, record: object) -> None:
        seen.append(record.state)  # type: ignore[attr-defined]
        raise RuntimeError("outbox write failed")

    with pytest.raises(RuntimeError):
        store.finish(job.id, WORKER, {"overall": {"score": 5.0}}, also=broken_outbox)
    assert seen == [JobState.DONE]
    rolled_back = store.get(acme, job.id)
    assert rolled_back is not None and rolled_back.state is JobState.DECODING and rolled_back.result is None
    error = {"code": 3, "reason": "BAD_MEDIA", "message": "x"}
    failed = store.fail(job.id, WORKER, error, also=lambda _session, record: seen.append(record.state))
    assert failed is not None and failed.state is JobState.FAILED and seen == [JobState.DONE, JobState.FAILED]


def test_delete_candidate_erases_files_rows_and_keeps_a_receipt(
    store: JobStore, database: Database, tenants: tuple[str, str], tmp_path: Path
) -> None:
    acme, _ = tenants
    paths = [recording(tmp_path, f"r{i}.mp4") for i in range(3)]
    done, _ = store.create(acme, spec("cand-x"), paths[0], 1, max_queued=10)
    store.claim_next(WORKER)
    store.finish(done.id, WORKER, {"overall": {"score": 6.0}})
    running, _ = store.create(acme, spec("cand-x"), paths[1], 1, max_queued=10)
    store.claim_next(WORKER)
    keep, _ = store.create(acme, spec("cand-y"), paths[2], 1, max_queued=10)
    with database.session() as session, session.begin():
        session.add(
            WebhookDeliveryRow(id="d" * 32, tenant_id=acme, job_id=done.id, url="http://x", payload="{}")
        )

    receipt = store.delete_candidate(acme, "cand-x")
    assert receipt.jobs_erased == 2 and receipt.recordings_erased == 2 and receipt.results_erased == 1
    assert sorted(receipt.job_ids) == sorted([done.id, running.id])
    assert not Path(paths[0]).exists() and not Path(paths[1]).exists() and Path(paths[2]).exists()
    assert store.get(acme, done.id) is None and store.get(acme, running.id) is None
    assert store.state_of(running.id) is JobState.CANCELLED  # its worker stops at the next check
    assert store.get(acme, keep.id) is not None
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(WebhookDeliveryRow)) == 0
        assert (
            session.scalar(select(func.count()).select_from(JobRow).where(JobRow.candidate_ref == "cand-x"))
            == 0
        )
        row = session.get(DeletionReceiptRow, receipt.receipt_id)
        assert row is not None and row.candidate_ref == erased_ref(acme, "cand-x")
        assert row.counts == {"jobs": 2, "recordings": 2, "results": 1}


def every_stored_value(database: Database) -> str:
    """Every row of every table (the version table included), as one text to search."""
    with database.session() as session:
        connection = session.connection()
        names = inspect(connection).get_table_names()
        return "\n".join(
            repr(tuple(row)) for name in names for row in connection.execute(text(f'SELECT * FROM "{name}"'))
        )


def test_erasure_leaves_nothing_naming_the_candidate_in_any_table_or_on_disk(
    store: JobStore, database: Database, tenants: tuple[str, str], tmp_path: Path
) -> None:
    acme, _ = tenants
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    done, _ = store.create(acme, spec("ats-candidate-7781"), recording(uploads, "a.mp4"), 1, max_queued=10)
    store.claim_next(WORKER)
    store.finish(done.id, WORKER, {"overall": {"score": 6.5}}, also=webhook_row)
    retained, _ = store.create(
        acme, spec("ats-candidate-7781"), recording(uploads, "b.mp4"), 1, max_queued=10
    )
    other, _ = store.create(acme, spec("someone-else"), recording(uploads, "c.mp4"), 1, max_queued=10)
    before = every_stored_value(database)
    assert "ats-candidate-7781" in before and done.id in before and retained.id in before

    receipt = store.delete_candidate(acme, "ats-candidate-7781")

    after = every_stored_value(database)
    for trace in ("ats-candidate-7781", done.id, retained.id):
        assert trace not in after, f"{trace} still stored after erasure"
    assert other.id in after and receipt.receipt_id in after
    assert sorted(p.name for p in uploads.iterdir()) == ["c.mp4"]
    if database.dialect == "sqlite":  # nor in the file's free pages or its write-ahead log
        database_file = Path(database.engine.url.database or "")
        for stored in database_file.parent.glob(database_file.name + "*"):
            data = stored.read_bytes()
            for trace in ("ats-candidate-7781", done.id, retained.id):
                assert trace.encode() not in data, f"{trace} still in the bytes of {stored.name}"


def webhook_row(session: Session, job: JobRecord) -> None:
    """A pending delivery carrying the candidate's reference in its body, as the outbox writes one."""
    session.add(
        WebhookDeliveryRow(
            id=uuid.uuid4().hex,
            tenant_id=job.tenant_id,
            job_id=job.id,
            url="https://hr.example/hook",
            payload=json.dumps({"candidate_ref": job.candidate_ref, "job_id": job.id}),
        )
    )


def failing_commit(database: Database) -> Iterator[None]:
    def refuse(session: Session) -> None:
        raise RuntimeError("commit refused (disk full)")

    event.listen(database.sessions, "before_commit", refuse)
    try:
        yield
    finally:
        event.remove(database.sessions, "before_commit", refuse)


def test_files_are_deleted_only_after_the_transaction_that_forgets_them_commits(
    store: JobStore, database: Database, tenants: tuple[str, str], tmp_path: Path
) -> None:
    """A transaction that fails leaves the job and its file together: never a row pointing at nothing."""
    acme, _ = tenants
    path = recording(tmp_path)
    job, _ = store.create(acme, spec("cand-z"), path, 1, max_queued=10)
    for attempt in (lambda: store.delete_candidate(acme, "cand-z"), lambda: store.clear_recording(job.id)):
        with contextmanager(failing_commit)(database), pytest.raises(RuntimeError, match="commit refused"):
            attempt()
        kept = store.get(acme, job.id)
        assert kept is not None and kept.recording_path == path and Path(path).exists()
    store.clear_recording(job.id)
    assert not Path(path).exists() and store.get(acme, job.id).recording_path is None


def test_the_orphan_sweep_deletes_only_old_files_no_job_owns(
    store: JobStore, tenants: tuple[str, str], tmp_path: Path
) -> None:
    acme, _ = tenants
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    owned = recording(uploads, "owned.mp4")
    store.create(acme, spec(), owned, 1, max_queued=10)
    orphan = Path(recording(uploads, "orphan.mp4"))
    recording(uploads, "fresh.mp4")  # no job yet, but written just now: an upload in progress
    an_hour_ago = time.time() - 3600
    for old in (Path(owned), orphan):
        os.utime(old, (an_hour_ago, an_hour_ago))
    assert store.sweep_orphans(uploads, grace_s=600) == [orphan]
    assert sorted(p.name for p in uploads.iterdir()) == ["fresh.mp4", "owned.mp4"]
    assert store.sweep_orphans(tmp_path / "missing", grace_s=600) == []


def test_retention_lists_expired_recordings(
    store: JobStore, tenants: tuple[str, str], tmp_path: Path
) -> None:
    acme, _ = tenants
    old, _ = store.create(acme, spec("a"), recording(tmp_path, "old.mp4"), 1, max_queued=10)
    new, _ = store.create(acme, spec("b"), recording(tmp_path, "new.mp4"), 1, max_queued=10)
    now = utcnow()
    store.retain_recording(old.id, now - timedelta(seconds=1))
    store.retain_recording(new.id, now + timedelta(hours=1))
    expired = store.expired_recordings(now)
    assert [r.id for r in expired] == [old.id]
    store.clear_recording(old.id)
    assert not (tmp_path / "old.mp4").exists() and (tmp_path / "new.mp4").exists()
    assert store.get(acme, old.id).recording_path is None
    assert store.expired_recordings(now + timedelta(hours=2))[0].id == new.id


def test_sqlite_file_uses_wal(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'wal.db'}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    db.close()
