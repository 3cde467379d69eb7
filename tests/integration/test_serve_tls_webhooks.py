"""A deployment as an enterprise runs it: ``hirelens serve`` with mutual TLS and a tenant webhook. The SDK
scores through the encrypted channel; the HR system's endpoint gets a signed POST when the job ends."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import grpc
import hirelens_client
import pytest
import yaml
from hirelens_client import HireLensClient

from server.jobs.tenants import hash_api_key, new_api_key
from server.jobs.webhooks import verify_signature
from tests.integration.test_tls import pki  # noqa: F401 (the certificate fixture)
from tests.server_process import ServerProcess

pytestmark = pytest.mark.slow
SECRET = "whsec-test-6f1d"


class Receiver(BaseHTTPRequestHandler):
    """The HR system's endpoint: records each POST and answers 204."""

    received: ClassVar[list[tuple[Message, bytes]]] = []
    arrived: ClassVar[threading.Event] = threading.Event()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((self.headers, body))  # header names are case-insensitive
        self.send_response(204)
        self.end_headers()
        Receiver.arrived.set()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def receiver() -> Iterator[str]:
    http = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{http.server_address[1]}/hooks/hirelens"
    http.shutdown()
    http.server_close()


@pytest.fixture(scope="module")
def server(tmp_path_factory, pki: Path, receiver: str) -> Iterator[tuple[ServerProcess, str]]:  # noqa: F811
    key = new_api_key()
    settings = {
        "tls": {
            "cert_file": str(pki / "server.pem"),
            "key_file": str(pki / "server.key"),
            "client_ca_file": str(pki / "ca.pem"),
        },
        "webhook_allow_http": True,  # the test receiver speaks plain HTTP on 127.0.0.1
    }
    process = ServerProcess(tmp_path_factory.mktemp("tls"), tenants=(), server=settings)
    tenants = [
        {
            "name": "hr",
            "api_key_sha256": [hash_api_key(key)],
            "webhook_url": receiver,
            "webhook_secret": SECRET,
        }
    ]
    config = yaml.safe_load(process.config.read_text())
    config["server"]["tenants"] = tenants
    process.config.write_text(yaml.safe_dump(config))
    credentials = grpc.ssl_channel_credentials(
        (pki / "ca.pem").read_bytes(), (pki / "client.key").read_bytes(), (pki / "client.pem").read_bytes()
    )
    process.start(credentials=credentials)
    yield process, key
    process.stop()


def test_scoring_over_mutual_tls_ends_in_a_signed_webhook(server, pki: Path, fixtures_dir):  # noqa: F811
    process, key = server
    wav = fixtures_dir / "speech_en" / "sense_and_sensibility_01_austen_64kb-0870.wav"
    with HireLensClient(
        process.address.replace("127.0.0.1", "localhost"),
        api_key=key,
        tls=True,
        root_certificates=(pki / "ca.pem").read_bytes(),
        client_cert=(pki / "client.pem").read_bytes(),
        client_key=(pki / "client.key").read_bytes(),
    ) as client:
        job = client.submit(wav, scenario="general_behavioral", candidate_ref="tls-1", consent=("voice",))
        result = client.wait(job)
    assert result.overall_score is not None
    assert Receiver.arrived.wait(30), "no webhook arrived"
    headers, body = Receiver.received[-1]
    payload = json.loads(body)
    assert payload["job_id"] == job.job_id and payload["state"] == "done"
    assert payload["overall_score"] == pytest.approx(result.overall_score)
    assert "transcript" not in body.decode()
    assert verify_signature(SECRET, headers["X-HireLens-Timestamp"], body, headers["X-HireLens-Signature"])
    assert not verify_signature(
        "wrong", headers["X-HireLens-Timestamp"], body, headers["X-HireLens-Signature"]
    )
    deadline = time.monotonic() + 30
    # the 2xx is counted just after the receiver answered
    while process.metric("hirelens_webhook_deliveries_total", outcome="delivered") < 1:
        assert time.monotonic() < deadline, "the delivery was never counted"
        time.sleep(0.1)
    assert process.metric("hirelens_webhook_dead_letters") == 0


def test_a_client_without_a_certificate_is_refused(server, pki: Path):  # noqa: F811
    process, key = server
    with (
        HireLensClient(
            process.address.replace("127.0.0.1", "localhost"),
            api_key=key,
            tls=True,
            root_certificates=(pki / "ca.pem").read_bytes(),
            retries=0,
            timeout_s=5,
        ) as client,
        pytest.raises(hirelens_client.Unavailable),
    ):
        client.list_scenarios()
