"""``hirelens demo``: the whole product on one machine. A server on the embedded defaults (local executor,
SQLite in a temporary folder), the bundled sample interview scored through the client SDK with a progress
bar, the report printed, the server stopped."""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
from pathlib import Path

from server.config import PROJECT_ROOT
from server.errors import HireLensError

SAMPLE = PROJECT_ROOT / "samples" / "sample_interview.mp4"
PREFERRED_PORTS = (8001, 8002)  # Triton's gRPC and metrics ports
READY_TIMEOUT_S = 120.0
DEMO_CONSENT = "face,voice"


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("demo", help="start a server, score the sample interview through the SDK")
    parser.add_argument("--video", type=Path, default=SAMPLE, help="recording to score (the bundled sample)")
    parser.add_argument("--scenario", default="general_behavioral", help="scenario id (general_behavioral)")
    parser.add_argument(
        "--consent",
        default=DEMO_CONSENT,
        help=f"biometric consent sent with the upload, printed as it is sent (default {DEMO_CONSENT}); face, "
        "voice or none shows what is left out without it",
    )
    parser.set_defaults(run=run)


def _port(preferred: int) -> int:
    """The preferred port when it is free, else any free one: a demo must not fail on a busy 8001."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config(folder: Path, address: str, metrics_port: int, key_hash: str) -> Path:
    import yaml

    settings = {
        "server": {
            "address": address,
            "metrics_port": metrics_port,
            "data_dir": str(folder / "data"),
            "tenants": [{"name": "demo", "api_key_sha256": [key_hash]}],
        }
    }
    path = folder / "hirelens.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def run(args: argparse.Namespace) -> str:
    import hirelens_client

    from server.commands.progress import ProgressBar
    from server.commands.score import parse_consent
    from server.commands.server_process import (
        start_server_process,
        stop_server_process,
        wait_until_serving,
    )
    from server.jobs.tenants import hash_api_key, new_api_key

    if not args.video.is_file():
        raise HireLensError(f"recording {args.video} does not exist")
    consent = sorted(parse_consent(args.consent))
    api_key = new_api_key()
    with tempfile.TemporaryDirectory(prefix="hirelens-demo-") as tmp:
        folder = Path(tmp)
        address = f"127.0.0.1:{_port(PREFERRED_PORTS[0])}"
        metrics_port = _port(PREFERRED_PORTS[1])
        config = _config(folder, address, metrics_port, hash_api_key(api_key))
        log = folder / "server.log"
        print(
            f"hirelens demo: starting the server on {address} (metrics on :{metrics_port})", file=sys.stderr
        )
        server = start_server_process(config, log)
        try:
            wait_until_serving(server, address, log, READY_TIMEOUT_S)
            print(
                f"hirelens demo: scoring {args.video.name} with '{args.scenario}' and "
                f"--consent {','.join(consent) or 'none'}",
                file=sys.stderr,
            )
            bar = ProgressBar()
            with hirelens_client.HireLensClient(address, api_key=api_key) as client:
                try:
                    result = client.score(
                        args.video,
                        scenario=args.scenario,
                        candidate_ref="demo-candidate",
                        consent=consent,
                        on_upload=bar.upload,
                        on_progress=bar.job,
                    )
                except hirelens_client.HireLensError as exc:  # JobFailed and JobCancelled included
                    raise HireLensError(f"the server refused the demo interview: {exc}") from None
                finally:
                    bar.done()
        finally:
            stop_server_process(server)
        print("hirelens demo: server stopped", file=sys.stderr)
    return hirelens_client.render_report(result)
