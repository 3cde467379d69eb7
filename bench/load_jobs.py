"""Load generator for the interview API: upload throughput and jobs per minute, through the SDK, against a
real ``hirelens serve`` process on loopback.

- upload: a synthetic recording of ``--upload-mb`` MiB (one random MiB repeated; the server stores it, then
  its job fails fast as unreadable media) and the sample interview, each timed from first byte to the Job
  reply; MB/s = MiB sent / seconds.
- jobs/min: ``concurrency`` client threads each score the sample interview ``--rounds`` times, end to end
  (upload, queue, analysis, scoring, result); jobs per minute = jobs / wall minutes.

Run: ``.venv/bin/python -m bench.load_jobs [--concurrency 1 2 4] [--workers 1] [--rounds 2]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
from hirelens.v1 import interview_pb2, interview_pb2_grpc
from hirelens_client import HireLensClient

from tests.server_process import REPO_ROOT, ServerProcess

SAMPLE = REPO_ROOT / "samples" / "sample_interview.mp4"
MIB = 1024 * 1024


def upload_synthetic(server: ServerProcess, mib: int) -> float:
    """Seconds to stream ``mib`` MiB through UploadInterview (raw stub: no file read on the client side)."""
    chunk = os.urandom(MIB)

    def requests():
        yield interview_pb2.UploadInterviewRequest(
            metadata=interview_pb2.InterviewMetadata(
                scenario_id="general_behavioral", candidate_ref="load", filename="load.mp4"
            )
        )
        for _ in range(mib):
            yield interview_pb2.UploadInterviewRequest(chunk=chunk)

    with grpc.insecure_channel(server.address) as channel:
        stub = interview_pb2_grpc.InterviewServiceStub(channel)
        started = time.perf_counter()
        stub.UploadInterview(requests(), metadata=[("x-api-key", server.keys["acme"])], timeout=600)
        return time.perf_counter() - started


def upload_sample(client: HireLensClient) -> float:
    started = time.perf_counter()
    job = client.submit(
        SAMPLE, scenario="general_behavioral", candidate_ref="load-upload", consent=("face", "voice")
    )
    seconds = time.perf_counter() - started
    client.cancel(job.job_id)
    return seconds


def jobs_per_minute(client: HireLensClient, concurrency: int, rounds: int) -> tuple[float, float, int]:
    """(jobs per minute, mean seconds per job as a caller sees it, jobs)."""

    def caller(_: int) -> list[float]:
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            client.score(
                SAMPLE,
                scenario="general_behavioral",
                candidate_ref="load",
                consent=("face", "voice"),
                timeout_s=3600,
            )
            times.append(time.perf_counter() - started)
        return times

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = [t for times in pool.map(caller, range(concurrency)) for t in times]
    wall = time.perf_counter() - started
    return len(latencies) / (wall / 60), sum(latencies) / len(latencies), len(latencies)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--workers", type=int, default=1, help="the server's job workers")
    parser.add_argument("--rounds", type=int, default=2, help="jobs per client thread")
    parser.add_argument("--upload-mb", type=int, default=1024)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hirelens-load-") as tmp:
        settings = {"workers": args.workers, "max_queued_jobs": 1000}
        server = ServerProcess(Path(tmp), server=settings).start()
        try:
            with HireLensClient(server.address, api_key=server.keys["acme"]) as client:
                mib = args.upload_mb
                seconds = upload_synthetic(server, mib)
                print(f"upload {mib} MiB synthetic: {seconds:.2f} s = {mib / seconds:.0f} MB/s")
                sample_mib = SAMPLE.stat().st_size / MIB
                seconds = min(upload_sample(client) for _ in range(5))
                print(
                    f"upload sample {sample_mib:.1f} MiB (best of 5): {seconds * 1000:.0f} ms = "
                    f"{sample_mib / seconds:.0f} MB/s"
                )
                print(f"server workers: {args.workers}")
                print("concurrency | jobs | jobs/min | mean s per job (caller)")
                for concurrency in args.concurrency:
                    rate, mean, jobs = jobs_per_minute(client, concurrency, args.rounds)
                    print(f"{concurrency:>11} | {jobs:>4} | {rate:8.2f} | {mean:.1f}", flush=True)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
