"""Webhooks: a durable outbox of "job finished" events, delivered by a sender thread with retries.

Each delivery is a database row, so an event survives a restart until the tenant's endpoint answers 2xx or
the attempts run out. The runner writes that row in the transaction that ends the job (``stage_delivery``
as the job store's ``also`` step), so a crash can never keep the result and lose its event. Bodies carry
ids and the overall score, never a transcript or personal data beyond the platform's own candidate
reference, and are signed Stripe/GitHub style:
``X-HireLens-Signature: sha256=HMAC_SHA256(secret, f"{timestamp}.{body}")``."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.jobs.database import Database
from server.jobs.models import TenantRow, WebhookDeliveryRow, utcnow
from server.jobs.store import JobRecord, JobState

log = logging.getLogger(__name__)

EVENT_JOB_FINISHED = "job.finished"
NOTIFIED_STATES = frozenset({JobState.DONE, JobState.FAILED})  # a cancel came from the platform itself
SENDERS = 4  # POSTs in flight at once (all endpoints); one endpoint never has more than one


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: base * factor**(attempt-1), +- jitter, capped; given up after max_attempts."""

    base_s: float = 2.0
    factor: float = 2.0
    max_attempts: int = 8  # then the delivery is dead: kept with its last_error, never sent again
    cap_s: float = 600.0
    jitter: float = 0.2  # fraction of the delay, either way, so failed receivers are not hit in step
    timeout_s: float = 10.0  # per POST

    def delay_s(self, attempts: int) -> float:
        delay = min(self.cap_s, self.base_s * self.factor ** max(attempts - 1, 0))
        return max(0.0, delay * (1 + random.uniform(-self.jitter, self.jitter)))


@dataclass(frozen=True)
class Delivery:
    id: str
    tenant_id: str
    job_id: str
    url: str
    payload: str
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None

    @property
    def state(self) -> str:
        """``delivered``; ``pending`` (due at ``next_attempt_at``); ``dead`` (given up: the dead letter)."""
        if self.delivered_at is not None:
            return "delivered"
        return "pending" if self.next_attempt_at is not None else "dead"


def _delivery(row: WebhookDeliveryRow) -> Delivery:
    return Delivery(
        row.id,
        row.tenant_id,
        row.job_id,
        row.url,
        row.payload,
        row.attempts,
        row.next_attempt_at,
        row.delivered_at,
        row.last_error,
    )


def job_payload(job: JobRecord) -> dict[str, Any]:
    """The event body: what a platform needs to fetch the result, nothing it did not already know."""
    overall = (job.result or {}).get("overall") or {}
    return {
        "event": EVENT_JOB_FINISHED,
        "job_id": job.id,
        "state": job.state.value,
        "candidate_ref": job.candidate_ref,
        "scenario_id": job.scenario_id,
        "overall_score": overall.get("score"),
        "error": job.error,
    }


def stage_delivery(session: Session, job: JobRecord) -> str | None:
    """Add the "job finished" delivery to ``session`` (the caller's transaction) if the job ended done or
    failed and its tenant has a webhook URL; returns the delivery id. Nothing is sent here."""
    if job.state not in NOTIFIED_STATES:
        return None
    tenant = session.get(TenantRow, job.tenant_id)
    if tenant is None or not tenant.webhook_url:
        return None
    delivery_id = uuid.uuid4().hex
    session.add(
        WebhookDeliveryRow(
            id=delivery_id,
            tenant_id=job.tenant_id,
            job_id=job.id,
            url=tenant.webhook_url,
            payload=json.dumps(job_payload(job), separators=(",", ":"), sort_keys=True),
            attempts=0,
            next_attempt_at=utcnow(),
        )
    )
    return delivery_id


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-HireLens-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds)."""
    message = str(timestamp).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: str | int,
    body: bytes,
    signature: str,
    tolerance_s: float = 300,
    now: float | None = None,
) -> bool:
    """For receivers: True when ``signature`` is ours over this exact body and the timestamp is within
    ``tolerance_s`` of now (an old, replayed request is rejected even with a valid signature)."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature)


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """urllib follows a 301/302/303 after a POST with a GET that has no body: a 200 to that would mark an
    event delivered that never arrived. A redirect is a failure to deliver (retried, shown in last_error)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _web_only_opener() -> urllib.request.OpenerDirector:
    """HTTP and HTTPS only: urllib's default opener also reads ``file://``, ``ftp://`` and ``data:`` URLs,
    which would turn a webhook URL into a way to make the server read its own disk."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.HTTPDefaultErrorHandler(),
        _RefuseRedirects(),
    ):
        opener.add_handler(handler)
    return opener


_OPENER = _web_only_opener()


def endpoint(url: str) -> str:
    """The receiving server of ``url`` (scheme, host, port): deliveries to one endpoint go one at a time."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def refusal(url: str) -> str | None:
    """Why ``url`` is never POSTed to (a row from before URLs were checked at start-up), or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        return f"refused: not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "refused: not an http(s) URL with a host"
    if parts.username is not None or parts.password is not None:
        return "refused: the URL carries credentials"
    return None


class WebhookSender:
    """The outbox and its senders: a dispatcher thread hands due deliveries to a pool of ``senders``
    threads, at most one in flight per endpoint, so a slow or failing receiver holds one sender and delays
    only its own deliveries. Several processes may share the outbox: a delivery is leased (its next attempt
    pushed past the POST timeout) by a conditional UPDATE before it is sent: one process sends it.

    ``on_outcome`` hears each attempt's outcome: ``delivered``, ``failed`` (retried later) or ``dead``."""

    def __init__(
        self,
        db: Database,
        retry: RetryPolicy | None = None,
        poll_s: float = 1.0,
        senders: int = SENDERS,
        on_outcome: Callable[[str], None] | None = None,
    ) -> None:
        if senders < 1:
            raise ValueError("senders must be at least 1")
        self._db = db
        self._retry = retry or RetryPolicy()
        self._poll_s = poll_s
        self._senders = senders
        self._on_outcome = on_outcome
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._busy: dict[str, Future[None]] = {}  # endpoint -> its delivery in flight
        self._busy_lock = threading.Lock()

    def enqueue(self, job: JobRecord) -> str | None:
        """Queue the event for an already ended job in a transaction of its own (re-sending, tools). The
        runner does not use this: it stages the delivery with the job's end (``stage_delivery``)."""
        with self._db.session() as session, session.begin():
            delivery_id = stage_delivery(session, job)
        if delivery_id is not None:
            self._wake.set()
        return delivery_id

    def get(self, delivery_id: str) -> Delivery | None:
        with self._db.session() as session:
            row = session.get(WebhookDeliveryRow, delivery_id)
            return _delivery(row) if row is not None else None

    def for_job(self, job_id: str) -> list[Delivery]:
        with self._db.session() as session:
            rows = session.scalars(select(WebhookDeliveryRow).where(WebhookDeliveryRow.job_id == job_id))
            return [_delivery(r) for r in rows]

    def for_api(self, job_id: str) -> Delivery | None:
        """The job's event as a caller should see it: one still pending or dead before one delivered (a
        job has one unless it was re-sent with ``enqueue``)."""
        rank = {"pending": 0, "dead": 1, "delivered": 2}
        return min(self.for_job(job_id), key=lambda d: rank[d.state], default=None)

    def dead_letters(self) -> int:
        """Deliveries given up on (for the ``hirelens_webhook_dead_letters`` gauge)."""
        with self._db.session() as session:
            return (
                session.scalar(
                    select(func.count()).where(
                        WebhookDeliveryRow.delivered_at.is_(None),
                        WebhookDeliveryRow.next_attempt_at.is_(None),
                    )
                )
                or 0
            )

    # --- delivering -------------------------------------------------------------------------------------

    def _lease(self, delivery_id: str, due: datetime | None) -> bool:
        lease_until = utcnow() + timedelta(seconds=self._retry.timeout_s * 3)
        with self._db.session() as session, session.begin():
            return (
                session.execute(
                    update(WebhookDeliveryRow)
                    .where(
                        WebhookDeliveryRow.id == delivery_id,
                        WebhookDeliveryRow.next_attempt_at == due,
                        WebhookDeliveryRow.delivered_at.is_(None),
                    )
                    .values(next_attempt_at=lease_until)
                    .execution_options(synchronize_session=False)
                ).rowcount
                == 1
            )

    def deliver_due(self, limit: int = 50) -> int:
        """Send every delivery due now and wait for the answers (tools and tests; the thread does not wait);
        each is attempted at most once per call. Returns how many were attempted."""
        attempted: set[str] = set()
        while not self._stopping.is_set():
            sent = self._dispatch(limit, skip=attempted)
            if not sent:
                return len(attempted)
            futures_wait([future for _, future in sent])
            attempted.update(delivery_id for delivery_id, _ in sent)
        return len(attempted)

    def _dispatch(
        self, limit: int, skip: set[str] | frozenset[str] = frozenset()
    ) -> list[tuple[str, Future[None]]]:
        """Lease due deliveries whose endpoint has nothing in flight, while senders are free, and hand them
        to the pool; returns (delivery id, its future). Each query leaves out the URLs already seen in this
        pass, so a thousand due events of one hung endpoint cannot hide another tenant's behind them."""
        sent: list[tuple[str, Future[None]]] = []
        seen: set[str] = set()
        while not self._stopping.is_set():
            with self._busy_lock:
                if len(self._busy) >= self._senders:
                    break
            query = (
                select(WebhookDeliveryRow.id, WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.url)
                .where(
                    WebhookDeliveryRow.delivered_at.is_(None),
                    WebhookDeliveryRow.next_attempt_at.is_not(None),
                    WebhookDeliveryRow.next_attempt_at <= utcnow(),
                )
                .order_by(WebhookDeliveryRow.next_attempt_at)
                .limit(limit)
            )
            if seen:
                query = query.where(WebhookDeliveryRow.url.not_in(seen))
            if skip:
                query = query.where(WebhookDeliveryRow.id.not_in(skip))
            with self._db.session() as session:
                due = list(session.execute(query))
            if not due:
                break
            for delivery_id, at, url in due:
                if url in seen:
                    continue  # its endpoint went busy earlier in this batch
                seen.add(url)
                target = endpoint(url)
                with self._busy_lock:
                    if len(self._busy) >= self._senders:
                        return sent
                    if target in self._busy or not self._lease(delivery_id, at):
                        continue  # one at a time per endpoint; or another process took it
                    future = self._executor().submit(self._attempt, delivery_id, target)
                    self._busy[target] = future
                sent.append((delivery_id, future))
        return sent

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._senders, thread_name_prefix="hirelens-webhook")
        return self._pool

    def _attempt(self, delivery_id: str, target: str) -> None:
        """One POST and its bookkeeping, then free the endpoint (before the future completes, so whoever
        waits on it finds the endpoint free). An unexpected error (the database, say) leaves the delivery
        leased: it is tried again when the lease runs out."""
        try:
            self._attempt_once(delivery_id)
        except Exception:
            log.exception("webhook %s: attempt failed unexpectedly; retried after its lease", delivery_id)
        finally:
            with self._busy_lock:
                self._busy.pop(target, None)
            self._wake.set()  # a sender is free: the endpoint's next delivery may go

    def _attempt_once(self, delivery_id: str) -> None:
        with self._db.session() as session:
            row = session.get(WebhookDeliveryRow, delivery_id)
            if row is None:  # erased with its candidate meanwhile
                return
            tenant = session.get(TenantRow, row.tenant_id)
            secret = tenant.webhook_secret if tenant is not None else None
            url, body = row.url, row.payload.encode("utf-8")
        refused = refusal(url)
        error = refused or self._post(url, body, delivery_id, secret)
        with self._db.session() as session, session.begin():
            row = session.get(WebhookDeliveryRow, delivery_id)
            if row is None:
                return
            row.attempts += 1
            if error is None:
                row.delivered_at = utcnow()
                row.next_attempt_at = None
                row.last_error = None
                outcome = "delivered"
            else:
                row.last_error = error[:1000]
                if refused is not None or row.attempts >= self._retry.max_attempts:
                    row.next_attempt_at = None
                    outcome = "dead"
                    log.warning("webhook %s dead after %d attempt(s): %s", delivery_id, row.attempts, error)
                else:
                    row.next_attempt_at = utcnow() + timedelta(seconds=self._retry.delay_s(row.attempts))
                    outcome = "failed"
        if self._on_outcome is not None:
            self._on_outcome(outcome)

    def _post(self, url: str, body: bytes, delivery_id: str, secret: str | None) -> str | None:
        """POST once; None on a 2xx answer, else what went wrong (for ``last_error``)."""
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "HireLens-Webhook/1",
            "X-HireLens-Event": EVENT_JOB_FINISHED,
            "X-HireLens-Delivery": delivery_id,
            "X-HireLens-Timestamp": str(timestamp),
        }
        if secret:
            headers["X-HireLens-Signature"] = sign(secret, timestamp, body)
        try:
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")
            with _OPENER.open(request, timeout=self._retry.timeout_s) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            return f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
            return f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
        return None if 200 <= status < 300 else f"HTTP {status}"

    # --- the thread ---------------------------------------------------------------------------------------

    def notify(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("webhook sender already started")
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="hirelens-webhooks", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop dispatching and wait up to ``timeout`` for POSTs in flight (a delivery cut off is sent again
        after its lease, by this process's next start or by another process)."""
        self._stopping.set()
        self._wake.set()
        deadline = time.monotonic() + timeout
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._pool is not None:
            with self._busy_lock:
                in_flight = list(self._busy.values())
            futures_wait(in_flight, timeout=max(0.0, deadline - time.monotonic()))
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._dispatch(limit=100)
            except Exception:
                log.exception("webhook dispatch pass failed; retrying")
            self._wake.wait(self._poll_s)
            self._wake.clear()
