"""TLS and mutual TLS credentials for the gRPC server.

Interview media and scores cross the network, so a deployment that is not loopback-only needs TLS; mutual
TLS (clients present a certificate signed by ``client_ca_file``) lets an HR system authenticate at the
transport without a shared secret. Files are read once at start-up: rotating a certificate means a restart.
"""

from __future__ import annotations

from pathlib import Path

import grpc

from server.errors import InputError


class TlsConfigError(InputError):
    """A certificate or key file is missing, unreadable or not PEM; the message names the file.

    An InputError, so ``hirelens serve`` reports it as a settings mistake (exit status 2), not a traceback."""


def _read_pem(path: Path, what: str) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise TlsConfigError(f"TLS {what} {path}: {exc.strerror or exc}") from None
    if b"-----BEGIN " not in data:
        raise TlsConfigError(f"TLS {what} {path}: not a PEM file")
    return data


def server_credentials(
    cert_file: Path, key_file: Path, client_ca_file: Path | None = None
) -> grpc.ServerCredentials:
    """Credentials for ``server.add_secure_port``; with ``client_ca_file`` clients must present a certificate
    that CA signed (mutual TLS), otherwise any client that trusts the server's certificate may connect."""
    cert = _read_pem(cert_file, "certificate")
    key = _read_pem(key_file, "private key")
    client_ca = _read_pem(client_ca_file, "client CA") if client_ca_file is not None else None
    return grpc.ssl_server_credentials(
        [(key, cert)], root_certificates=client_ca, require_client_auth=client_ca is not None
    )
