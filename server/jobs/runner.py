"""Worker threads that take jobs from the store and run them, with progress, cancellation and retention.

Each runner has a unique ``worker_id`` and holds a lease on the jobs it claims: one background thread renews
all of them every ``heartbeat_s`` and, in any runner, requeues running jobs whose heartbeat is older than
``lease_s`` (their process died), so a crashed server's jobs resume within ``lease_s`` on whichever runner
is alive. A graceful ``stop()`` hands its jobs back to the queue at once; ``attempts`` counts the tries.
A job whose worker is lost for the ``max_lost``-th time is failed (``WORKER_LOST``), not requeued: a
recording that crashes or hangs the analysis every time must not take workers down forever. Graceful stops
hand jobs back without counting.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from server.errors import InputError, MediaError, UnscorableError
from server.jobs.models import utcnow
from server.jobs.store import INTERNAL, TERMINAL, EndStep, JobRecord, JobState, JobStore
from server.jobs.webhooks import WebhookSender, stage_delivery
from server.pipeline.cancel import Cancelled, CancelToken

log = logging.getLogger(__name__)

PROGRESS_MIN_GAP_S = 0.25  # at most ~4 progress writes a second per job; state changes always go through
STORE_CHECK_INTERVAL_S = 1.0  # how often a running job asks the database whether it was cancelled
HEARTBEAT_S = 5.0  # how often a runner renews its jobs' leases and looks for expired ones
LEASE_S = 30.0  # a running job whose heartbeat is older than this is requeued: its runner is gone

# gRPC status codes (grpc.StatusCode values), kept numeric so the job store does not import grpc
INVALID_ARGUMENT = 3
FAILED_PRECONDITION = 9
ORPHAN_GRACE_S = 900.0  # an upload file nobody wrote for this long and no job owns is an orphan
ORPHAN_SWEEP_S = 300.0  # how often the lease thread looks for orphans (and once at start)
MAX_LOST_RUNS = 3  # a job whose worker is lost this many times (crash, kill, hang) fails: WORKER_LOST


def new_worker_id() -> str:
    """Unique per runner instance, and readable in the database: which host and process holds a job."""
    return f"{socket.gethostname()[:80]}-{os.getpid()}-{secrets.token_hex(4)}"


def job_error(exc: BaseException) -> dict[str, Any]:
    """The stored error of a failed job. Only errors written for callers keep their message; anything else
    is "internal error" so no candidate data or stack detail leaks through the API."""
    if isinstance(exc, UnscorableError):
        return {"code": FAILED_PRECONDITION, "reason": "NOT_SCORABLE", "message": str(exc)}
    if isinstance(exc, MediaError):
        return {"code": INVALID_ARGUMENT, "reason": "BAD_MEDIA", "message": str(exc)}
    if isinstance(exc, InputError):
        return {"code": INVALID_ARGUMENT, "reason": "BAD_INPUT", "message": str(exc)}
    return {"code": INTERNAL, "reason": "INTERNAL", "message": "internal error"}


class JobContext:
    """What a running job sees of its runner: a progress sink and a cancellation token."""

    def __init__(self, store: JobStore, job_id: str, worker_id: str) -> None:
        self._store = store
        self.job_id = job_id
        self.worker_id = worker_id
        self.token = CancelToken(check=self._ended_elsewhere, interval_s=STORE_CHECK_INTERVAL_S)
        self.interrupted = False  # set by a shutdown: leave the job for the next start
        self._state: JobState | None = None
        self._last_write = -float("inf")
        self._lock = threading.Lock()

    def _ended_elsewhere(self) -> bool:
        """A CancelJob (or an erasure) served by another process shows only in the database, and so does a
        lost lease (the job was requeued and maybe taken by another worker)."""
        state, owner = self._store.state_and_owner(self.job_id)
        return state in TERMINAL or owner != self.worker_id

    def progress(self, state: JobState, fraction: float) -> None:
        with self._lock:
            now = time.monotonic()
            if state == self._state and now - self._last_write < PROGRESS_MIN_GAP_S:
                return
            self._state, self._last_write = state, now
        if not self._store.set_progress(self.job_id, self.worker_id, state, fraction):
            self.token.cancel()  # the job ended meanwhile (cancelled, erased) or is not ours: stop

    def cancel(self) -> None:
        self.token.cancel()

    def interrupt(self) -> None:
        self.interrupted = True
        self.token.cancel()

    def cancelled(self) -> bool:
        return self.token.cancelled

    def raise_if_cancelled(self) -> None:
        if self.token.cancelled:
            raise Cancelled()


Process = Callable[[JobRecord, JobContext], dict[str, Any]]


class JobRunner:
    """``workers`` daemon threads running ``process`` on claimed jobs, plus one lease thread.

    ``on_finished`` is called after a job this runner ran ended done, failed or cancelled (metrics);
    ``webhooks`` gets a delivery staged with every done or failed job, in the same transaction."""

    def __init__(
        self,
        store: JobStore,
        process: Process,
        workers: int = 1,
        poll_s: float = 1.0,
        retention_s: float = 0,
        on_finished: Callable[[JobRecord], None] | None = None,
        sweep_s: float = 60.0,
        webhooks: WebhookSender | None = None,
        heartbeat_s: float = HEARTBEAT_S,
        lease_s: float = LEASE_S,
        max_lost: int = MAX_LOST_RUNS,
        uploads: Path | None = None,
        orphan_grace_s: float = ORPHAN_GRACE_S,
        orphan_sweep_s: float = ORPHAN_SWEEP_S,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if not 0 < heartbeat_s < lease_s:
            raise ValueError("heartbeat_s must be positive and shorter than lease_s")
        if max_lost < 1:
            raise ValueError("max_lost must be at least 1")
        self._max_lost = max_lost
        self._uploads = uploads
        self._orphan_grace_s = orphan_grace_s
        self._orphan_sweep_s = orphan_sweep_s
        self._last_orphan_sweep = -float("inf")
        self.worker_id = new_worker_id()
        self._webhooks = webhooks
        self._heartbeat_s = heartbeat_s
        self._lease_s = lease_s
        self._lease_thread: threading.Thread | None = None
        self._lease_stop = threading.Event()
        self._store = store
        self._process = process
        self._workers = workers
        self._poll_s = poll_s
        self._retention_s = retention_s
        self._on_finished = on_finished
        self._sweep_s = sweep_s
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._finish_current = False
        self._wake = threading.Condition()
        self._generation = 0
        self._active: dict[str, JobContext] = {}
        self._active_lock = threading.Lock()
        self._last_sweep = -float("inf")

    def start(self) -> list[str]:
        """Requeue jobs whose lease expired (their runner died), then start the workers and the lease thread;
        returns the requeued ids. Jobs of live runners on the same database are left alone."""
        if self._threads:
            raise RuntimeError("runner already started")
        requeued = self._requeue_expired()
        self._sweep_orphans()
        self._stopping.clear()
        self._lease_stop.clear()
        self._lease_thread = threading.Thread(target=self._lease_loop, name="hirelens-job-lease", daemon=True)
        self._lease_thread.start()
        for index in range(self._workers):
            thread = threading.Thread(
                target=self._work, args=(index,), name=f"hirelens-job-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return requeued

    def notify(self) -> None:
        """A job was queued: wake idle workers now rather than at their next poll."""
        with self._wake:
            self._generation += 1
            self._wake.notify_all()

    def stop(self, timeout: float = 30.0, finish_current: bool = False) -> bool:
        """Stop the workers. Running jobs are interrupted and put back in the queue at once (no wait for the
        lease), unless ``finish_current``; a job still running when ``timeout`` is up goes back too (its
        late writes are dropped). True when every worker exited within ``timeout``."""
        self._finish_current = finish_current
        self._stopping.set()
        if not finish_current:
            with self._active_lock:
                for ctx in self._active.values():
                    ctx.interrupt()
        self.notify()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = any(t.is_alive() for t in self._threads)
        self._threads = [t for t in self._threads if t.is_alive()]
        self._lease_stop.set()
        if self._lease_thread is not None:
            self._lease_thread.join(max(1.0, deadline - time.monotonic()))
            self._lease_thread = None
        try:
            released = self._store.release(self.worker_id)
        except Exception:
            log.exception(
                "could not release running jobs; they resume after their lease (%.0f s)", self._lease_s
            )
        else:
            if released:
                log.info("released %d running job(s) back to the queue", len(released))
        return not alive

    def cancel(self, job_id: str) -> bool:
        """Stop a job this process is running; True when it was running here."""
        with self._active_lock:
            ctx = self._active.get(job_id)
        if ctx is None:
            return False
        ctx.cancel()
        return True

    def active_jobs(self) -> set[str]:
        with self._active_lock:
            return set(self._active)

    # --- the worker loop --------------------------------------------------------------------------------

    def _work(self, index: int) -> None:
        while not self._stopping.is_set():
            with self._wake:
                seen = self._generation
            try:
                if index == 0:
                    self._sweep()
                job = self._store.claim_next(self.worker_id)
            except Exception:
                log.exception("job store unavailable; retrying")
                job = None
            if job is None:
                with self._wake:
                    if self._generation == seen and not self._stopping.is_set():
                        self._wake.wait(self._poll_s)
                continue
            try:
                self._run(job)
            except Exception:
                log.exception("job %s: bookkeeping failed", job.id)

    def _run(self, job: JobRecord) -> None:
        ctx = JobContext(self._store, job.id, self.worker_id)
        with self._active_lock:
            self._active[job.id] = ctx
            if self._stopping.is_set() and not self._finish_current:
                ctx.interrupt()
        try:
            try:
                ctx.raise_if_cancelled()
                result = self._process(job, ctx)
            except Cancelled:
                if ctx.interrupted:
                    log.info("job %s interrupted by shutdown; it goes back to the queue", job.id)
                    return
                self._store.mark_cancelled(job.id, self.worker_id)
                self._not_ended_here(job)
                return
            except Exception as exc:
                if ctx.interrupted:  # a shutdown tore the analysis down mid-way: not the recording's fault
                    log.info("job %s interrupted by shutdown; it goes back to the queue", job.id)
                    return
                if ctx.cancelled():
                    self._store.mark_cancelled(job.id, self.worker_id)
                    self._not_ended_here(job)
                    return
                if isinstance(exc, MediaError | InputError | UnscorableError):
                    self._ended(job, self._store.fail(job.id, self.worker_id, job_error(exc), self._outbox))
                    return
                # the traceback names code, not the candidate; the message may hold data, so it stays here
                log.exception("job %s failed with an internal error", job.id)
                self._ended(job, self._store.fail(job.id, self.worker_id, job_error(exc), self._outbox))
                return
            self._ended(job, self._store.finish(job.id, self.worker_id, result, self._outbox))
        finally:
            with self._active_lock:
                self._active.pop(job.id, None)

    @property
    def _outbox(self) -> EndStep | None:
        """The webhook delivery, written in the transaction that ends the job."""
        return stage_delivery if self._webhooks is not None else None

    def _ended(self, job: JobRecord, record: JobRecord | None) -> None:
        """Retention and notification for a job that reached done or failed (None: it was cancelled, erased
        or taken over meanwhile)."""
        if record is None:
            self._not_ended_here(job)
            return
        if self._retention_s > 0 and record.recording_path:
            self._store.retain_recording(record.id, utcnow() + timedelta(seconds=self._retention_s))
        else:
            self._store.clear_recording(record.id)
        log.info("job %s %s after %d attempt(s)", record.id, record.state.value, record.attempts)
        if self._webhooks is not None:
            self._webhooks.notify()
        self._notify(record)

    def _not_ended_here(self, job: JobRecord) -> None:
        """This worker stopped without storing an outcome: find out why. Cancelled (or erased) while ours:
        its recording goes and it counts as cancelled. Lost lease: another worker owns the job and its
        recording now, so nothing is touched."""
        record = self._store.load(job.id)
        if record is None:  # erased with its candidate: rows and recording are already gone
            self._notify(dataclasses.replace(job, state=JobState.CANCELLED, updated_at=utcnow()))
            return
        if record.state is JobState.CANCELLED and record.worker_id in (self.worker_id, None):
            self._store.clear_recording(job.id)
            log.info("job %s cancelled", job.id)
            self._notify(record)
            return
        log.warning(
            "job %s: lease lost (now %s, held by %s); dropped here",
            job.id,
            record.state.value,
            record.worker_id,
        )

    def _notify(self, record: JobRecord) -> None:
        if self._on_finished is not None:
            try:
                self._on_finished(record)
            except Exception:
                log.exception("job %s: on_finished failed", record.id)

    # --- leases -------------------------------------------------------------------------------------------

    def _requeue_expired(self) -> list[str]:
        for record in self._store.fail_exhausted(self._lease_s, self._max_lost, self._outbox):
            log.warning("job %s failed: its worker was lost on %d runs", record.id, record.lost_runs)
            self._ended(record, record)
        requeued = self._store.requeue_expired(self._lease_s, self._max_lost)
        if requeued:
            log.info("requeued %d job(s) whose runner stopped renewing its lease", len(requeued))
            self.notify()
        return requeued

    def _lease_loop(self) -> None:
        """Every ``heartbeat_s``: renew this runner's leases (one UPDATE), then requeue expired ones."""
        while not self._lease_stop.wait(self._heartbeat_s):
            try:
                if self.active_jobs():
                    self._store.heartbeat(self.worker_id)
                self._requeue_expired()
                if time.monotonic() - self._last_orphan_sweep >= self._orphan_sweep_s:
                    self._sweep_orphans()
            except Exception:
                log.exception("job lease renewal failed; retrying")

    def _sweep_orphans(self) -> None:
        """Delete upload files no job owns (a server killed mid-upload, or mid-deletion); any process may."""
        self._last_orphan_sweep = time.monotonic()
        if self._uploads is not None:
            self._store.sweep_orphans(self._uploads, self._orphan_grace_s)

    def _sweep(self) -> None:
        """Delete recordings past their retention time (any process may: deleting twice is harmless)."""
        now_mono = time.monotonic()
        if now_mono - self._last_sweep < self._sweep_s:
            return
        self._last_sweep = now_mono
        for record in self._store.expired_recordings(utcnow()):
            self._store.clear_recording(record.id)
