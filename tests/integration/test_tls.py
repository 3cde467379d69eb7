"""TLS and mutual TLS on a real gRPC server, with certificates made at test time by the openssl CLI.

A CA signs a server certificate for localhost / 127.0.0.1 (subjectAltName) and a client certificate; a
second, unrelated CA signs a client certificate the server must refuse.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from server.api.tls import TlsConfigError, server_credentials

TIMEOUT_S = 5


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(directory: Path, name: str) -> None:
    openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )  # fmt: skip


def make_leaf(directory: Path, name: str, ca: str, extensions: str) -> None:
    """A key and a certificate signed by ``ca`` with the given X.509v3 extensions."""
    (directory / f"{name}.ext").write_text(extensions)
    openssl(
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}",
        cwd=directory,
    )  # fmt: skip
    openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial",
        "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext",
        cwd=directory,
    )  # fmt: skip


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    if shutil.which("openssl") is None:
        pytest.fail("the openssl command is needed to make test certificates")
    directory = tmp_path_factory.mktemp("pki")
    make_ca(directory, "ca")
    make_ca(directory, "other_ca")
    make_leaf(
        directory,
        "server",
        "ca",
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
    )
    client_ext = "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n"
    make_leaf(directory, "client", "ca", client_ext)
    make_leaf(directory, "stranger", "other_ca", client_ext)
    return directory


def serve(credentials: grpc.ServerCredentials) -> tuple[grpc.Server, int]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    servicer = health.HealthServicer()
    servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_secure_port("127.0.0.1:0", credentials)
    assert port > 0
    server.start()
    return server, port


@pytest.fixture(scope="module")
def tls_port(pki: Path) -> Iterator[int]:
    server, port = serve(server_credentials(pki / "server.pem", pki / "server.key"))
    yield port
    server.stop(None).wait()


@pytest.fixture(scope="module")
def mtls_port(pki: Path) -> Iterator[int]:
    server, port = serve(server_credentials(pki / "server.pem", pki / "server.key", pki / "ca.pem"))
    yield port
    server.stop(None).wait()


def check(channel: grpc.Channel) -> int:
    request = health_pb2.HealthCheckRequest(service="")
    return health_pb2_grpc.HealthStub(channel).Check(request, timeout=TIMEOUT_S).status


def secure(port: int, pki: Path, client: str | None = None, host: str = "localhost") -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=(pki / "ca.pem").read_bytes(),
        private_key=(pki / f"{client}.key").read_bytes() if client else None,
        certificate_chain=(pki / f"{client}.pem").read_bytes() if client else None,
    )
    return grpc.secure_channel(f"{host}:{port}", credentials)


def refused(channel: grpc.Channel) -> grpc.StatusCode:
    with channel, pytest.raises(grpc.RpcError) as raised:
        check(channel)
    return raised.value.code()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_tls_client_trusting_the_ca_connects(tls_port, pki, host):
    with secure(tls_port, pki, host=host) as channel:
        assert check(channel) == health_pb2.HealthCheckResponse.SERVING


def test_plaintext_client_cannot_talk_to_a_tls_port(tls_port):
    assert refused(grpc.insecure_channel(f"127.0.0.1:{tls_port}")) == grpc.StatusCode.UNAVAILABLE


def test_client_not_trusting_the_ca_is_refused(tls_port, pki):
    credentials = grpc.ssl_channel_credentials(root_certificates=(pki / "other_ca.pem").read_bytes())
    channel = grpc.secure_channel(f"localhost:{tls_port}", credentials)
    assert refused(channel) == grpc.StatusCode.UNAVAILABLE


def test_mtls_accepts_a_client_certificate_from_the_ca(mtls_port, pki):
    with secure(mtls_port, pki, client="client") as channel:
        assert check(channel) == health_pb2.HealthCheckResponse.SERVING


def test_mtls_refuses_a_client_without_a_certificate(mtls_port, pki):
    assert refused(secure(mtls_port, pki)) == grpc.StatusCode.UNAVAILABLE


def test_mtls_refuses_a_certificate_from_another_ca(mtls_port, pki):
    assert refused(secure(mtls_port, pki, client="stranger")) == grpc.StatusCode.UNAVAILABLE


def test_mtls_refuses_plaintext(mtls_port):
    assert refused(grpc.insecure_channel(f"127.0.0.1:{mtls_port}")) == grpc.StatusCode.UNAVAILABLE


def test_missing_or_non_pem_files_are_named(pki, tmp_path):
    with pytest.raises(TlsConfigError, match=r"certificate .*nope\.pem"):
        server_credentials(tmp_path / "nope.pem", pki / "server.key")
    (tmp_path / "garbage.key").write_text("not a key")
    with pytest.raises(TlsConfigError, match=r"private key .*garbage\.key: not a PEM file"):
        server_credentials(pki / "server.pem", tmp_path / "garbage.key")
    with pytest.raises(TlsConfigError, match="client CA"):
        server_credentials(pki / "server.pem", pki / "server.key", tmp_path / "missing_ca.pem")
