"""Webhook deliveries to a real HTTP server on 127.0.0.1: signatures, retries, giving up, restarts."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from server import cli
from server.config import Settings
from server.jobs.database import Database
from server.jobs.models import WebhookDeliveryRow, utcnow
from server.jobs.store import JobRecord, JobStore
from server.jobs.tenants import TenantConfig, TenantStore
from server.jobs.webhooks import (
    RetryPolicy,
    WebhookSender,
    job_payload,
    sign,
    stage_delivery,
    verify_signature,
)
from tests.postgres import BACKENDS
from tests.unit.test_job_store import open_test_database, spec

SECRET = "whsec-test-0123456789"
FAST = RetryPolicy(base_s=0.05, factor=2.0, max_attempts=4, cap_s=0.2, jitter=0.1, timeout_s=2.0)


@dataclass
class Receiver:
    """A real HTTP endpoint that answers with the queued statuses, then 204, and records what it got."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state.statuses.pop(0) if state.statuses else 204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/hirelens"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from open_test_database(request.param, tmp_path)


def finished_job(database: Database, url: str | None) -> JobRecord:
    tenants = TenantStore(database)
    (tenant,) = tenants.sync([TenantConfig(name="acme", webhook_url=url, webhook_secret=SECRET)])
    store = JobStore(database)
    job, _ = store.create(tenant.id, spec("platform-ref-42"), None, 1, max_queued=10)
    store.claim_next("worker-1")
    result = {"overall": {"score": 7.25}, "answers": [{"transcript": "private words"}], "duration_s": 3.0}
    record = store.finish(job.id, "worker-1", result)
    assert record is not None
    return record


def wait_for(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_delivery_is_signed_and_carries_no_transcript(database: Database, receiver: Receiver) -> None:
    job = finished_job(database, receiver.url)
    sender = WebhookSender(database, FAST, poll_s=0.05)
    delivery_id = sender.enqueue(job)
    assert delivery_id is not None
    assert sender.deliver_due() == 1
    ((headers, body),) = receiver.received
    assert headers["content-type"] == "application/json"
    assert headers["x-hirelens-event"] == "job.finished"
    assert headers["x-hirelens-delivery"] == delivery_id
    assert verify_signature(SECRET, headers["x-hirelens-timestamp"], body, headers["x-hirelens-signature"])
    payload = json.loads(body)
    assert payload == {
        "event": "job.finished",
        "job_id": job.id,
        "state": "done",
        "candidate_ref": "platform-ref-42",
        "scenario_id": "general_behavioral",
        "overall_score": 7.25,
        "error": None,
    }
    assert b"private words" not in body
    delivered = sender.get(delivery_id)
    assert delivered is not None and delivered.delivered_at is not None and delivered.attempts == 1
    assert sender.deliver_due() == 0  # delivered once only


def test_retried_after_two_errors_by_the_thread(database: Database, receiver: Receiver) -> None:
    receiver.statuses = [500, 500]
    job = finished_job(database, receiver.url)
    sender = WebhookSender(database, FAST, poll_s=0.05)
    sender.start()
    try:
        delivery_id = sender.enqueue(job)
        assert delivery_id is not None
        wait_for(lambda: (d := sender.get(delivery_id)) is not None and d.delivered_at is not None)
    finally:
        sender.stop()
    delivery = sender.get(delivery_id)
    assert delivery is not None and delivery.attempts == 3 and delivery.last_error is None
    assert len(receiver.received) == 3
    ids = {h["x-hirelens-delivery"] for h, _ in receiver.received}
    assert ids == {delivery_id}  # the receiver can de-duplicate retries by this id
    for headers, body in receiver.received:
        assert verify_signature(
            SECRET, headers["x-hirelens-timestamp"], body, headers["x-hirelens-signature"]
        )


def test_gives_up_after_max_attempts(database: Database, receiver: Receiver) -> None:
    receiver.statuses = [503] * 10
    job = finished_job(database, receiver.url)
    sender = WebhookSender(database, FAST, poll_s=0.05)
    delivery_id = sender.enqueue(job)
    assert delivery_id is not None
    deadline = time.monotonic() + 10
    while (d := sender.get(delivery_id)) is not None and d.next_attempt_at is not None:
        assert time.monotonic() < deadline
        sender.deliver_due()
        time.sleep(0.02)
    assert d is not None and d.attempts == FAST.max_attempts and d.delivered_at is None
    assert d.last_error == "HTTP 503"
    assert len(receiver.received) == FAST.max_attempts


def test_pending_delivery_survives_a_restart(database: Database, receiver: Receiver) -> None:
    job = finished_job(database, receiver.url)
    delivery_id = WebhookSender(database, FAST).enqueue(job)  # enqueued, never sent: the process "dies"
    fresh = WebhookSender(database, FAST)
    assert fresh.deliver_due() == 1
    assert [h["x-hirelens-delivery"] for h, _ in receiver.received] == [delivery_id]


def test_unreachable_receiver_is_retried_later(database: Database, receiver: Receiver) -> None:
    job = finished_job(database, "http://127.0.0.1:9/closed")
    sender = WebhookSender(database, FAST)
    delivery_id = sender.enqueue(job)
    assert delivery_id is not None
    sender.deliver_due()
    d = sender.get(delivery_id)
    assert d is not None and d.attempts == 1 and d.delivered_at is None and d.next_attempt_at is not None
    assert d.last_error


def test_the_delivery_is_written_with_the_jobs_end(database: Database, receiver: Receiver) -> None:
    """One transaction: a process dying right after the job ended cannot lose the event."""
    (tenant,) = TenantStore(database).sync([TenantConfig(name="acme", webhook_url=receiver.url)])
    store = JobStore(database)
    done, _ = store.create(tenant.id, spec("ref-done"), None, 1, max_queued=10)
    failed, _ = store.create(tenant.id, spec("ref-failed"), None, 1, max_queued=10)
    cancelled, _ = store.create(tenant.id, spec("ref-cancelled"), None, 1, max_queued=10)
    for _ in range(3):
        store.claim_next("worker-1")
    assert store.finish(done.id, "worker-1", {"overall": {"score": 6.5}}, also=stage_delivery) is not None
    error = {"code": 3, "reason": "BAD_MEDIA", "message": "not a video"}
    assert store.fail(failed.id, "worker-1", error, also=stage_delivery) is not None
    store.cancel(tenant.id, cancelled.id)
    sender = WebhookSender(database, FAST)  # a fresh process: only the database knows about them
    assert [d.job_id for d in sender.for_job(done.id)] == [done.id]
    assert [d.job_id for d in sender.for_job(failed.id)] == [failed.id]
    assert sender.deliver_due() == 2
    states = sorted(json.loads(body)["state"] for _, body in receiver.received)
    assert states == ["done", "failed"]
    # a cancel came from the platform itself: no event, even when asked for
    record = store.get(tenant.id, cancelled.id)
    assert record is not None and sender.enqueue(record) is None and sender.for_job(cancelled.id) == []


def test_a_job_end_that_is_not_stored_leaves_no_delivery(database: Database, receiver: Receiver) -> None:
    (tenant,) = TenantStore(database).sync([TenantConfig(name="acme", webhook_url=receiver.url)])
    store = JobStore(database)
    job, _ = store.create(tenant.id, spec(), None, 1, max_queued=10)
    store.claim_next("worker-1")
    store.cancel(tenant.id, job.id)  # cancelled while running: the worker's result is dropped
    assert store.finish(job.id, "worker-1", {"overall": {"score": 6.5}}, also=stage_delivery) is None
    assert WebhookSender(database, FAST).for_job(job.id) == []


def test_no_webhook_url_no_delivery(database: Database) -> None:
    job = finished_job(database, None)
    assert WebhookSender(database, FAST).enqueue(job) is None


def test_verify_signature_rejects_tampering_and_old_timestamps() -> None:
    body = b'{"event":"job.finished"}'
    now = int(time.time())
    good = sign(SECRET, now, body)
    assert verify_signature(SECRET, str(now), body, good)
    assert not verify_signature(SECRET, str(now), body + b" ", good)
    assert not verify_signature("other", str(now), body, good)
    assert not verify_signature(SECRET, str(now + 1), body, good)
    old = now - 600
    assert not verify_signature(SECRET, old, body, sign(SECRET, old, body))  # valid, but a replay
    assert verify_signature(SECRET, old, body, sign(SECRET, old, body), tolerance_s=900)
    assert not verify_signature(SECRET, "yesterday", body, good)


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(jitter=0.0)
    assert [policy.delay_s(n) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]
    assert policy.delay_s(20) == 600.0
    jittered = RetryPolicy(jitter=0.2)
    assert all(1.6 <= jittered.delay_s(1) <= 2.4 for _ in range(50))


def test_failed_job_payload_carries_the_error() -> None:
    from datetime import UTC, datetime

    from server.jobs.store import JobState

    now = datetime.now(UTC)
    job = JobRecord(
        **{
            **dict.fromkeys(JobRecord.__dataclass_fields__),
            "id": "j" * 32,
            "tenant_id": "t",
            "state": JobState.FAILED,
            "candidate_ref": "ref",
            "scenario_id": "sales",
            "created_at": now,
            "updated_at": now,
            "error": {"code": 3, "reason": "BAD_MEDIA", "message": "not a video"},
        }
    )
    payload = job_payload(job)
    assert payload["state"] == "failed" and payload["overall_score"] is None
    assert payload["error"]["reason"] == "BAD_MEDIA"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("file:///etc/passwd", "https://"),
        ("gopher://hr.example/hook", "https://"),
        ("https:///hook", "no host"),
        ("https://user:pw@hr.example/hook", "credentials"),
        ("https://hr.example:99999/hook", "Port out of range"),
        ("http://hr.example/hook", "webhook_allow_http"),
    ],
)
def test_serve_refuses_a_webhook_url_that_could_be_turned_against_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, problem: str
) -> None:
    """``hirelens serve`` exits 2 naming the setting before it opens anything."""
    config = tmp_path / "hirelens.yaml"
    tenant = {"name": "acme", "webhook_url": url}
    config.write_text(yaml.safe_dump({"server": {"data_dir": str(tmp_path), "tenants": [tenant]}}))
    assert cli.main(["serve", "--config", str(config)]) == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "webhook_url" in err and problem in err, err
    assert not (tmp_path / "hirelens.db").exists()


def test_http_webhooks_are_accepted_only_where_a_setting_allows_them() -> None:
    tenant = {"name": "acme", "webhook_url": "http://127.0.0.1:9/hook"}
    settings = Settings.model_validate({"server": {"webhook_allow_http": True, "tenants": [tenant]}})
    assert settings.server.tenants[0].webhook_url == tenant["webhook_url"]
    https = {"name": "acme", "webhook_url": "https://hr.example/hook"}
    assert Settings.model_validate({"server": {"tenants": [https]}}).server.tenants[0].webhook_url


@pytest.fixture
def stalled_receiver() -> Iterator[tuple[str, threading.Event, list[float]]]:
    """An endpoint that holds every request open until the test releases it (a hung receiver)."""
    release = threading.Event()
    arrivals: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            arrivals.append(time.monotonic())
            release.wait(60)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", release, arrivals
    release.set()
    server.shutdown()
    server.server_close()


def test_a_hung_endpoint_never_delays_another_tenants_deliveries(
    database: Database, receiver: Receiver, stalled_receiver: tuple[str, threading.Event, list[float]]
) -> None:
    """150 events for a receiver that hangs, all due before one for a healthy receiver (more than one
    dispatch query reads): the healthy one is delivered while the hung endpoint still holds its first
    request, which is the only one it gets at a time."""
    stalled_url, release, arrivals = stalled_receiver
    slow, fast = TenantStore(database).sync(
        [
            TenantConfig(name="slow", webhook_url=stalled_url),
            TenantConfig(name="fast", webhook_url=receiver.url),
        ]
    )
    store = JobStore(database)
    earlier = utcnow() - timedelta(minutes=1)
    with database.session() as session, session.begin():
        for index in range(150):
            session.add(
                WebhookDeliveryRow(
                    id=f"{index:032d}",
                    tenant_id=slow.id,
                    job_id=f"{index:032x}",
                    url=stalled_url,
                    payload="{}",
                    attempts=0,
                    next_attempt_at=earlier,
                )
            )
    job, _ = store.create(fast.id, spec("ref-fast"), None, 1, max_queued=10)
    store.claim_next("worker-1")
    assert store.finish(job.id, "worker-1", {"overall": {"score": 5.0}}, also=stage_delivery) is not None
    patient = RetryPolicy(base_s=0.05, max_attempts=3, cap_s=0.2, timeout_s=60.0)
    sender = WebhookSender(database, patient, poll_s=0.05, senders=2)
    sender.start()
    try:
        # both arrive (in either order) while the hung request is still open; the hung endpoint gets one
        wait_for(lambda: len(receiver.received) == 1 and len(arrivals) >= 1, timeout=20)
        assert len(arrivals) == 1 and not release.is_set()
        release.set()
        wait_for(lambda: len(arrivals) == 150, timeout=120)  # then its queue drains, one at a time
    finally:
        release.set()
        sender.stop()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "not a url", "https://user:pw@hr.example/hook"])
def test_a_stored_url_that_is_not_a_web_endpoint_is_dead_lettered_without_a_request(
    database: Database, url: str
) -> None:
    """A row written before URLs were checked at start-up: refused at once, not looped on for ever."""
    outcomes: list[str] = []
    job = finished_job(database, None)
    with database.session() as session, session.begin():
        session.add(
            WebhookDeliveryRow(
                id="d" * 32,
                tenant_id=job.tenant_id,
                job_id=job.id,
                url=url,
                payload="{}",
                attempts=0,
                next_attempt_at=utcnow(),
            )
        )
    sender = WebhookSender(database, FAST, on_outcome=outcomes.append)
    assert sender.deliver_due() == 1
    dead = sender.get("d" * 32)
    assert dead is not None and dead.state == "dead" and dead.attempts == 1
    assert dead.last_error is not None and dead.last_error.startswith("refused")
    assert outcomes == ["dead"] and sender.dead_letters() == 1 and sender.deliver_due() == 0


def test_dead_letters_are_counted_and_shown_as_dead(database: Database, receiver: Receiver) -> None:
    receiver.statuses = [500] * FAST.max_attempts
    job = finished_job(database, receiver.url)
    outcomes: list[str] = []
    sender = WebhookSender(database, FAST, on_outcome=outcomes.append)
    delivery_id = sender.enqueue(job)
    assert delivery_id is not None and sender.get(delivery_id).state == "pending"
    wait_for(lambda: (sender.deliver_due(), sender.get(delivery_id).state)[1] == "dead", timeout=20)
    assert outcomes == ["failed"] * (FAST.max_attempts - 1) + ["dead"]
    assert sender.dead_letters() == 1
