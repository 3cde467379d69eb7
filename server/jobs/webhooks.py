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
import json
import logging
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.jobs.database import Database
from server.jobs.models import TenantRow, WebhookDeliveryRow, utcnow
from server.jobs.store import JobRecord, JobState

log = logging.getLogger(__name__)

EVENT_JOB_FINISHED = "job.finished"
NOTIFIED_STATES = frozenset({JobState.DONE, JobState.FAILED})  # a cancel came from the platform itself


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: base * factor**(attempt-1), +- jitter, capped; given up after max_attempts."""

    base_s: float = 2.0
    factor: float = 2.0
    max_attempts: int = 8
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


_NO_REDIRECTS = urllib.request.build_opener(_RefuseRedirects)


class WebhookSender:
    """The outbox and its delivery thread. Several processes may share it: a delivery is leased (its next
    attempt pushed past the POST timeout) by a conditional UPDATE before it is sent: one process sends it."""

    def __init__(self, db: Database, retry: RetryPolicy | None = None, poll_s: float = 1.0) -> None:
        self._db = db
        self._retry = retry or RetryPolicy()
        self._poll_s = poll_s
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

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
        """One pass: send every delivery that is due; returns how many were attempted."""
        with self._db.session() as session:
            due = list(
                session.execute(
                    select(WebhookDeliveryRow.id, WebhookDeliveryRow.next_attempt_at)
                    .where(
                        WebhookDeliveryRow.delivered_at.is_(None),
                        WebhookDeliveryRow.next_attempt_at.is_not(None),
                        WebhookDeliveryRow.next_attempt_at <= utcnow(),
                    )
                    .order_by(WebhookDeliveryRow.next_attempt_at)
                    .limit(limit)
                )
            )
        attempted = 0
        for delivery_id, at in due:
            if self._stopping.is_set():
                break
            if self._lease(delivery_id, at):
                self._attempt(delivery_id)
                attempted += 1
        return attempted

    def _attempt(self, delivery_id: str) -> None:
        with self._db.session() as session:
            row = session.get(WebhookDeliveryRow, delivery_id)
            if row is None:  # erased with its candidate meanwhile
                return
            tenant = session.get(TenantRow, row.tenant_id)
            secret = tenant.webhook_secret if tenant is not None else None
            url, body = row.url, row.payload.encode("utf-8")
        error = self._post(url, body, delivery_id, secret)
        with self._db.session() as session, session.begin():
            row = session.get(WebhookDeliveryRow, delivery_id)
            if row is None:
                return
            row.attempts += 1
            if error is None:
                row.delivered_at = utcnow()
                row.next_attempt_at = None
                row.last_error = None
                return
            row.last_error = error[:1000]
            if row.attempts >= self._retry.max_attempts:
                row.next_attempt_at = None
                log.warning("webhook %s given up after %d attempts: %s", delivery_id, row.attempts, error)
            else:
                row.next_attempt_at = utcnow() + timedelta(seconds=self._retry.delay_s(row.attempts))

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
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with _NO_REDIRECTS.open(request, timeout=self._retry.timeout_s) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            return f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
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
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.deliver_due()
            except Exception:
                log.exception("webhook delivery pass failed; retrying")
            self._wake.wait(self._poll_s)
            self._wake.clear()
