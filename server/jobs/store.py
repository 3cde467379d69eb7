"""The durable job queue and results store.

Every state change is one short transaction, so any number of worker threads and server processes can share
the database: claiming a job is atomic (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a conditional UPDATE
checked by its row count on SQLite) and a terminal state is never overwritten.

A claimed job is *leased* to one runner (``worker_id``): the runner renews ``heartbeat_at`` while it works,
every write of the job's progress or outcome is conditional on still holding the lease, and any process may
requeue a running job whose heartbeat is older than the lease (its runner died).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.errors import HireLensError
from server.jobs.database import Database
from server.jobs.models import DeletionReceiptRow, JobRow, WebhookDeliveryRow, utcnow

log = logging.getLogger(__name__)


class JobState(StrEnum):
    QUEUED = "queued"
    DECODING = "decoding"
    ANALYSING = "analysing"
    SCORING = "scoring"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL: frozenset[JobState] = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED})
RUNNING: frozenset[JobState] = frozenset({JobState.DECODING, JobState.ANALYSING, JobState.SCORING})
_TERMINAL_VALUES = tuple(s.value for s in TERMINAL)
_RUNNING_VALUES = tuple(s.value for s in RUNNING)


INTERNAL = 13  # grpc.StatusCode.INTERNAL, numeric so the store does not import grpc

# A step run inside the transaction that ends a job (the webhook outbox uses it), so either both are stored
# or neither is. It gets the session and the job as it now is.
EndStep = Callable[[Session, "JobRecord"], object]


class QueueFull(HireLensError):
    """As many jobs are queued as the server accepts; the caller should retry later."""


@dataclass(frozen=True)
class JobSpec:
    """What a caller asks for: who, which scenario, how to read the recording."""

    candidate_ref: str
    scenario_id: str
    scenario_version: str | None
    language: str
    questions: list[dict[str, Any]]  # {"question_id", "text", "start_s", "end_s"}
    consent: list[str]
    policy: str | None
    filename: str
    idempotency_key: str | None = None


@dataclass(frozen=True)
class JobRecord:
    id: str
    tenant_id: str
    state: JobState
    progress: float
    candidate_ref: str
    scenario_id: str
    scenario_version: str | None
    language: str
    questions: list[dict[str, Any]]
    consent: list[str]
    policy: str | None
    recording_path: str | None
    filename: str
    uploaded_bytes: int
    idempotency_key: str | None
    created_at: datetime
    updated_at: datetime
    attempts: int
    result: dict[str, Any] | None  # ScoreResult.to_dict() plus "duration_s"
    error: dict[str, Any] | None  # {"code": gRPC status code, "reason": str, "message": str}
    retain_until: datetime | None
    worker_id: str | None = None  # the runner holding (or that last held) the job
    heartbeat_at: datetime | None = None  # that runner's latest heartbeat for it
    started_at: datetime | None = None  # when the latest attempt was claimed
    lost_runs: int = 0  # runs whose worker died or hung (lease expired); graceful stops are not counted

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL


@dataclass(frozen=True)
class DeletionReceipt:
    """Proof of an erasure request: what was removed, never what it contained."""

    receipt_id: str
    tenant_id: str
    candidate_ref: str
    deleted_at: datetime
    jobs_erased: int
    recordings_erased: int
    results_erased: int
    job_ids: list[str] = field(default_factory=list)


def _record(row: JobRow) -> JobRecord:
    return JobRecord(
        id=row.id,
        tenant_id=row.tenant_id,
        state=JobState(row.state),
        progress=row.progress,
        candidate_ref=row.candidate_ref,
        scenario_id=row.scenario_id,
        scenario_version=row.scenario_version,
        language=row.language,
        questions=list(row.questions or []),
        consent=list(row.consent or []),
        policy=row.policy,
        recording_path=row.recording_path,
        filename=row.filename,
        uploaded_bytes=row.uploaded_bytes,
        idempotency_key=row.idempotency_key,
        created_at=row.created_at,
        updated_at=row.updated_at,
        attempts=row.attempts,
        result=row.result,
        error=row.error,
        retain_until=row.retain_until,
        worker_id=row.worker_id,
        heartbeat_at=row.heartbeat_at,
        started_at=row.started_at,
        lost_runs=row.lost_runs,
    )


def worker_lost_error(lost: int) -> dict[str, Any]:
    """The stored error of a poison job: its worker process died or hung on ``lost`` of its runs."""
    return {
        "code": INTERNAL,
        "reason": "WORKER_LOST",
        "message": f"the analysis lost its worker (crash, kill or hang) on {lost} runs; not retried again",
    }


def erased_ref(tenant_id: str, candidate_ref: str) -> str:
    """What the receipt row keeps of an erased candidate: a digest, not the reference. An erasure must leave
    nothing that names the candidate, yet the operator can still answer "was X erased?" by recomputing it."""
    return "sha256:" + hashlib.sha256(f"{tenant_id}:{candidate_ref}".encode()).hexdigest()


def remove_file(path: str | None) -> bool:
    """Delete a recording; True when a file was there. A missing file is not an error (already swept)."""
    if not path:
        return False
    try:
        Path(path).unlink()
    except FileNotFoundError:
        return False
    return True


class JobStore:
    """Jobs in the database. Methods that take a ``tenant_id`` only ever see that tenant's jobs."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def db(self) -> Database:
        return self._db

    # --- creating and reading ---------------------------------------------------------------------------

    def find_idempotent(self, tenant_id: str, key: str) -> JobRecord | None:
        with self._db.session() as session:
            row = session.scalars(
                select(JobRow).where(JobRow.tenant_id == tenant_id, JobRow.idempotency_key == key)
            ).one_or_none()
            return _record(row) if row is not None else None

    def count_queued(self) -> int:
        with self._db.session() as session:
            return session.scalar(select(func.count()).where(JobRow.state == JobState.QUEUED.value)) or 0

    def create(
        self, tenant_id: str, spec: JobSpec, recording_path: str | None, uploaded_bytes: int, max_queued: int
    ) -> tuple[JobRecord, bool]:
        """A new queued job, or (the existing job, False) when this tenant already sent ``idempotency_key``,
        even when two requests race: the unique constraint decides. The queue limit counts every tenant's
        queued jobs (it protects this server, not a tenant's share). The caller owns ``recording_path``
        when the job was not created."""
        if spec.idempotency_key is not None:
            existing = self.find_idempotent(tenant_id, spec.idempotency_key)
            if existing is not None:
                return existing, False
        queued = self.count_queued()
        if queued >= max_queued:
            raise QueueFull(f"{queued} interviews are waiting, the most this server queues; retry later")
        now = utcnow()
        row = JobRow(
            id=uuid.uuid4().hex,
            tenant_id=tenant_id,
            state=JobState.QUEUED.value,
            progress=0.0,
            candidate_ref=spec.candidate_ref,
            scenario_id=spec.scenario_id,
            scenario_version=spec.scenario_version,
            language=spec.language,
            questions=list(spec.questions),
            consent=list(spec.consent),
            policy=spec.policy,
            recording_path=recording_path,
            filename=spec.filename,
            uploaded_bytes=uploaded_bytes,
            idempotency_key=spec.idempotency_key,
            created_at=now,
            updated_at=now,
            attempts=0,
            lost_runs=0,
        )
        try:
            with self._db.session() as session, session.begin():
                session.add(row)
            return _record(row), True
        except IntegrityError:
            if spec.idempotency_key is None:
                raise
            existing = self.find_idempotent(tenant_id, spec.idempotency_key)
            if existing is None:  # the constraint fired for another reason
                raise
            return existing, False

    def get(self, tenant_id: str, job_id: str) -> JobRecord | None:
        """The job, or None when it does not exist or belongs to another tenant (indistinguishable)."""
        with self._db.session() as session:
            row = session.get(JobRow, job_id)
            if row is None or row.tenant_id != tenant_id:
                return None
            return _record(row)

    def load(self, job_id: str) -> JobRecord | None:
        """Any tenant's job: for the runner and sweeps, never for a caller's request."""
        with self._db.session() as session:
            row = session.get(JobRow, job_id)
            return _record(row) if row is not None else None

    def state_of(self, job_id: str) -> JobState:
        """A job erased while running reads as cancelled, so its worker stops."""
        with self._db.session() as session:
            state = session.scalar(select(JobRow.state).where(JobRow.id == job_id))
        return JobState(state) if state is not None else JobState.CANCELLED

    def state_and_owner(self, job_id: str) -> tuple[JobState, str | None]:
        """The state and lease holder: a worker stops when the job ended or another worker now holds it.
        An erased job reads as (cancelled, None)."""
        with self._db.session() as session:
            found = session.execute(select(JobRow.state, JobRow.worker_id).where(JobRow.id == job_id)).first()
        return (JobState(found[0]), found[1]) if found is not None else (JobState.CANCELLED, None)

    # --- the worker's side ------------------------------------------------------------------------------

    def _clock(self, session: Session) -> datetime:
        """The time leases are measured in. On PostgreSQL the server's clock, so machines whose clocks
        disagree still agree on whose heartbeat is stale; SQLite is shared only on one machine."""
        if self._db.dialect == "postgresql":
            now = session.scalar(select(func.now()))
            assert now is not None
            return now
        return utcnow()

    def claim_next(self, worker_id: str) -> JobRecord | None:
        """Move the oldest queued job to decoding, leased to ``worker_id`` (heartbeat and ``started_at``
        set now); no job is ever handed to two workers."""
        if self._db.dialect == "postgresql":
            return self._claim_locking(worker_id)
        return self._claim_conditional(worker_id)

    def _claim_locking(self, worker_id: str) -> JobRecord | None:
        with self._db.session() as session, session.begin():
            row = session.scalars(
                select(JobRow)
                .where(JobRow.state == JobState.QUEUED.value)
                .order_by(JobRow.created_at, JobRow.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).one_or_none()
            if row is None:
                return None
            now = utcnow()
            row.state = JobState.DECODING.value
            row.progress = 0.0
            row.attempts += 1
            row.worker_id = worker_id
            row.heartbeat_at = self._clock(session)
            row.started_at = now
            row.updated_at = now
            session.flush()
            return _record(row)

    def _claim_conditional(self, worker_id: str) -> JobRecord | None:
        while True:
            with self._db.session() as session:
                job_id = session.scalar(
                    select(JobRow.id)
                    .where(JobRow.state == JobState.QUEUED.value)
                    .order_by(JobRow.created_at, JobRow.id)
                    .limit(1)
                )
            if job_id is None:
                return None
            with self._db.session() as session, session.begin():
                now = utcnow()
                claimed = session.execute(
                    update(JobRow)
                    .where(JobRow.id == job_id, JobRow.state == JobState.QUEUED.value)
                    .values(
                        state=JobState.DECODING.value,
                        progress=0.0,
                        attempts=JobRow.attempts + 1,
                        worker_id=worker_id,
                        heartbeat_at=self._clock(session),
                        started_at=now,
                        updated_at=now,
                    )
                    .execution_options(synchronize_session=False)
                ).rowcount
                row = session.get(JobRow, job_id) if claimed == 1 else None
                if row is not None:
                    return _record(row)
            # another worker took it between the read and the write: look again

    def _update_if_leased(self, session: Session, job_id: str, worker_id: str, **values: Any) -> int:
        """Write a job only while ``worker_id`` holds it and it has not ended: a worker that lost its lease
        (the job was requeued and another worker took it) can no longer touch it."""
        return session.execute(
            update(JobRow)
            .where(
                JobRow.id == job_id,
                JobRow.worker_id == worker_id,
                JobRow.state.not_in(_TERMINAL_VALUES),
            )
            .values(updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False)
        ).rowcount

    def set_progress(self, job_id: str, worker_id: str, state: JobState, progress: float) -> bool:
        """False when the job has ended (cancelled, say) or is no longer this worker's: it should stop."""
        if state in TERMINAL:
            raise ValueError("set_progress takes a running state; use finish, fail or cancel")
        with self._db.session() as session, session.begin():
            changed = self._update_if_leased(
                session, job_id, worker_id, state=state.value, progress=min(max(progress, 0.0), 1.0)
            )
        return changed == 1

    def finish(
        self, job_id: str, worker_id: str, result: dict[str, Any], also: EndStep | None = None
    ) -> JobRecord | None:
        """Store the result; None when the job ended otherwise meanwhile (cancelled, erased) or is no longer
        this worker's. ``also`` runs in the same transaction (the webhook outbox), so a crash cannot store
        the result and lose the notification."""
        return self._end(
            job_id, worker_id, also, state=JobState.DONE.value, progress=1.0, result=result, error=None
        )

    def fail(
        self, job_id: str, worker_id: str, error: dict[str, Any], also: EndStep | None = None
    ) -> JobRecord | None:
        """Store the error; None as for ``finish``. ``also`` runs in the same transaction."""
        return self._end(job_id, worker_id, also, state=JobState.FAILED.value, error=error)

    def _end(self, job_id: str, worker_id: str, also: EndStep | None, **values: Any) -> JobRecord | None:
        with self._db.session() as session, session.begin():
            if self._update_if_leased(session, job_id, worker_id, heartbeat_at=None, **values) != 1:
                return None
            row = session.get(JobRow, job_id, populate_existing=True)
            assert row is not None
            record = _record(row)
            if also is not None:
                also(session, record)
        return record

    def cancel(self, tenant_id: str, job_id: str) -> JobRecord | None:
        """Cancel a queued or running job of this tenant; an ended job is returned unchanged.

        A job no worker has claimed yet loses its recording at once (no runner would ever delete it); a
        running job's worker deletes it when it stops."""
        with self._db.session() as session, session.begin():
            queued = session.execute(
                update(JobRow)
                .where(
                    JobRow.id == job_id, JobRow.tenant_id == tenant_id, JobRow.state == JobState.QUEUED.value
                )
                .values(state=JobState.CANCELLED.value, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            ).rowcount
            session.execute(
                update(JobRow)
                .where(
                    JobRow.id == job_id,
                    JobRow.tenant_id == tenant_id,
                    JobRow.state.not_in(_TERMINAL_VALUES),
                )
                .values(state=JobState.CANCELLED.value, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        if queued:
            self.clear_recording(job_id)
        return self.get(tenant_id, job_id)

    def mark_cancelled(self, job_id: str, worker_id: str) -> bool:
        """The runner's side of a cancel that reached it first (in memory): make the database agree, unless
        the job is no longer this worker's."""
        with self._db.session() as session, session.begin():
            changed = self._update_if_leased(
                session, job_id, worker_id, state=JobState.CANCELLED.value, heartbeat_at=None
            )
        return changed == 1

    # --- leases -----------------------------------------------------------------------------------------

    def heartbeat(self, worker_id: str) -> int:
        """Renew the lease of every running job ``worker_id`` holds, in one UPDATE; returns how many."""
        with self._db.session() as session, session.begin():
            return session.execute(
                update(JobRow)
                .where(JobRow.worker_id == worker_id, JobRow.state.in_(_RUNNING_VALUES))
                .values(heartbeat_at=self._clock(session))
                .execution_options(synchronize_session=False)
            ).rowcount

    def requeue_expired(self, lease_s: float, max_lost: int | None = None) -> list[str]:
        """Put running jobs whose heartbeat is older than ``lease_s`` back in the queue (their runner died
        or hung); returns their ids. One conditional UPDATE: a job renewed, ended or requeued by another
        process meanwhile no longer matches, so two processes sweeping at once never requeue a job twice.
        Each requeued job's ``lost_runs`` goes up by one. With ``max_lost``, a job whose loss would be its
        ``max_lost``-th is left for ``fail_exhausted``, even one whose lease ran out between the two calls."""
        with self._db.session() as session, session.begin():
            cutoff = self._clock(session) - timedelta(seconds=lease_s)
            runs_left = JobRow.lost_runs + 1 < max_lost if max_lost is not None else true()
            return list(
                session.scalars(
                    update(JobRow)
                    .where(
                        JobRow.state.in_(_RUNNING_VALUES),
                        or_(JobRow.heartbeat_at.is_(None), JobRow.heartbeat_at < cutoff),
                        runs_left,
                    )
                    .values(lost_runs=JobRow.lost_runs + 1, **self._queued_again())
                    .returning(JobRow.id)
                    .execution_options(synchronize_session=False)
                )
            )

    def fail_exhausted(self, lease_s: float, max_lost: int, also: EndStep | None = None) -> list[JobRecord]:
        """Fail running jobs whose lease expired and whose worker is thereby lost for the ``max_lost``-th
        time: a recording that kills or hangs its worker every time would otherwise be requeued forever,
        taking a worker down each time. Each ends ``FAILED`` with reason ``WORKER_LOST`` (``also`` runs in
        the same transaction, as for ``fail``); the others are for ``requeue_expired``. Graceful stops
        (``release``) do not count. Returns the failed jobs."""
        failed: list[JobRecord] = []
        with self._db.session() as session, session.begin():
            cutoff = self._clock(session) - timedelta(seconds=lease_s)
            expired = or_(JobRow.heartbeat_at.is_(None), JobRow.heartbeat_at < cutoff)
            last = JobRow.lost_runs + 1 >= max_lost
            candidates = list(
                session.scalars(select(JobRow.id).where(JobRow.state.in_(_RUNNING_VALUES), expired, last))
            )
            for job_id in candidates:
                changed = session.execute(
                    update(JobRow)
                    .where(JobRow.id == job_id, JobRow.state.in_(_RUNNING_VALUES), expired, last)
                    .values(
                        state=JobState.FAILED.value,
                        heartbeat_at=None,
                        updated_at=utcnow(),
                        lost_runs=JobRow.lost_runs + 1,
                        error=worker_lost_error(max_lost),
                    )
                    .execution_options(synchronize_session=False)
                ).rowcount
                if changed != 1:  # renewed, ended or taken by another process meanwhile
                    continue
                row = session.get(JobRow, job_id, populate_existing=True)
                assert row is not None
                record = _record(row)
                if also is not None:
                    also(session, record)
                failed.append(record)
        return failed

    def release(self, worker_id: str) -> list[str]:
        """A graceful stop: this worker's running jobs go back to the queue now instead of waiting out the
        lease. Late writes of their old worker are dropped (it no longer holds them)."""
        with self._db.session() as session, session.begin():
            return list(
                session.scalars(
                    update(JobRow)
                    .where(JobRow.worker_id == worker_id, JobRow.state.in_(_RUNNING_VALUES))
                    .values(**self._queued_again())
                    .returning(JobRow.id)
                    .execution_options(synchronize_session=False)
                )
            )

    @staticmethod
    def _queued_again() -> dict[str, Any]:
        return {
            "state": JobState.QUEUED.value,
            "progress": 0.0,
            "worker_id": None,
            "heartbeat_at": None,
            "updated_at": utcnow(),
        }

    # --- recordings and erasure -------------------------------------------------------------------------

    def clear_recording(self, job_id: str) -> None:
        """Forget the job's recording, then delete the file once that has committed: a failed transaction
        must leave a job whose file is still there, never a job pointing at a deleted file."""
        with self._db.session() as session, session.begin():
            row = session.get(JobRow, job_id)
            if row is None:
                return
            path = row.recording_path
            row.recording_path = None
            row.retain_until = None
        remove_file(path)

    def sweep_orphans(self, folder: Path, grace_s: float) -> list[Path]:
        """Delete files in ``folder`` that no job owns and that nobody wrote for ``grace_s`` (an upload whose
        server was killed mid-stream, a deletion cut short); returns them. The files are listed before the
        owners are read, so an upload that becomes a job meanwhile is seen as owned; one still being
        written is younger than the grace."""
        try:
            files = [p for p in folder.iterdir() if p.is_file()]
        except FileNotFoundError:
            return []
        cutoff = time.time() - grace_s
        with self._db.session() as session:
            owned = {
                os.path.realpath(p)
                for p in session.scalars(
                    select(JobRow.recording_path).where(JobRow.recording_path.is_not(None))
                )
            }
        removed = []
        for path in files:
            try:
                stale = path.stat().st_mtime < cutoff
            except FileNotFoundError:
                continue
            if stale and os.path.realpath(path) not in owned and remove_file(str(path)):
                removed.append(path)
        if removed:
            log.info("deleted %d orphaned upload file(s) no job owns", len(removed))
        self._db.purge_deleted()  # an erasure whose WAL truncation was blocked by a reader finishes here
        return removed

    def retain_recording(self, job_id: str, until: datetime) -> None:
        with self._db.session() as session, session.begin():
            session.execute(
                update(JobRow)
                .where(JobRow.id == job_id)
                .values(retain_until=until)
                .execution_options(synchronize_session=False)
            )

    def expired_recordings(self, now: datetime) -> list[JobRecord]:
        """Ended jobs whose recording is kept past its retention time."""
        with self._db.session() as session:
            rows = session.scalars(
                select(JobRow).where(
                    JobRow.recording_path.is_not(None),
                    JobRow.retain_until.is_not(None),
                    JobRow.retain_until <= now,
                )
            )
            return [_record(r) for r in rows]

    def delete_candidate(self, tenant_id: str, candidate_ref: str) -> DeletionReceipt:
        """Erase everything held about one candidate of this tenant: jobs (running ones stop, since their
        state then reads as cancelled), recordings on disk, results, pending webhooks. The receipt row keeps
        only a digest of the reference (``erased_ref``) and the counts; files go after the commit."""
        with self._db.session() as session, session.begin():
            rows = list(
                session.scalars(
                    select(JobRow)
                    .where(JobRow.tenant_id == tenant_id, JobRow.candidate_ref == candidate_ref)
                    .with_for_update()
                )
            )
            job_ids = [r.id for r in rows]
            paths = [r.recording_path for r in rows if r.recording_path]
            results = sum(r.result is not None for r in rows)
            if job_ids:
                session.execute(delete(WebhookDeliveryRow).where(WebhookDeliveryRow.job_id.in_(job_ids)))
                session.execute(delete(JobRow).where(JobRow.id.in_(job_ids)))
            receipt = DeletionReceipt(
                receipt_id=uuid.uuid4().hex,
                tenant_id=tenant_id,
                candidate_ref=candidate_ref,
                deleted_at=utcnow(),
                jobs_erased=len(job_ids),
                recordings_erased=len(paths),
                results_erased=results,
                job_ids=job_ids,
            )
            session.add(
                DeletionReceiptRow(
                    id=receipt.receipt_id,
                    tenant_id=tenant_id,
                    candidate_ref=erased_ref(tenant_id, candidate_ref),
                    deleted_at=receipt.deleted_at,
                    counts={"jobs": len(job_ids), "recordings": len(paths), "results": results},
                )
            )
        # only now that the rows are gone for good: a rolled-back erasure keeps jobs and their files together
        for path in paths:
            remove_file(path)
        if not self._db.purge_deleted():
            log.warning(
                "erasure: a reader kept the SQLite WAL from being truncated; the orphan sweep retries"
            )
        log.info("erased candidate data: %d jobs, %d recordings", len(job_ids), len(paths))
        return receipt
