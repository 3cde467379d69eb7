"""Load generator for text interviews: ``ScoreAnswers`` latency and throughput through the SDK, against a
real ``hirelens serve`` process on loopback, with the SDK's default deadline (30 s).

Each interview is general_behavioral's five strong English answers (627 words) with a sentence naming the
interview added to every answer, so no two interviews share an answer text and no cache answers for the model.
For each concurrency, that many client threads share ``--interviews`` interviews; the table gives the caller's
p50 and p95 latency, interviews per second over the wall time, and the calls that failed, by status.

Run: ``.venv/bin/python -m bench.load_text [--interviews 40] [--concurrency 1 2 4 8]``.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hirelens_client import HireLensClient, HireLensError

from tests.server_process import REPO_ROOT, ServerProcess

ANSWERS = REPO_ROOT / "tests" / "data" / "scenario_answers" / "general_behavioral.json"
SCENARIO = "general_behavioral"
WARM_UP_S = 600.0
"""Deadline of the first call, which loads the models (tens of seconds on a busy 2-core machine)."""


def interview(number: int) -> list[tuple[str, str]]:
    """(question id, answer) pairs of interview ``number``; each answer is unique to it."""
    questions = json.loads(ANSWERS.read_text(encoding="utf-8"))
    return [
        (q["question_id"], f"{q['en']['strong']} This was interview {number} of the run, for the record.")
        for q in questions
    ]


def run_level(client: HireLensClient, concurrency: int, interviews: int, first: int) -> dict:
    """Score ``interviews`` interviews numbered from ``first`` on ``concurrency`` threads."""

    def call(number: int) -> tuple[float, str]:
        started = time.perf_counter()
        try:
            client.score_answers(interview(number), scenario=SCENARIO, language="en", candidate_ref="load")
            outcome = "OK"
        except HireLensError as exc:
            outcome = exc.code.name
        return time.perf_counter() - started, outcome

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(call, range(first, first + interviews)))
    wall = time.perf_counter() - started
    latencies = sorted(seconds for seconds, _ in results)
    failures = collections.Counter(outcome for _, outcome in results if outcome != "OK")
    return {
        "concurrency": concurrency,
        "interviews": interviews,
        "p50_s": statistics.median(latencies),
        "p95_s": latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))],
        "max_s": latencies[-1],
        "per_s": interviews / wall,
        "failures": dict(failures),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--interviews", type=int, default=40, help="interviews per concurrency level")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hirelens-load-text-") as tmp:
        server = ServerProcess(Path(tmp)).start(timeout_s=120)
        try:
            key = server.keys["acme"]
            with HireLensClient(server.address, api_key=key, timeout_s=WARM_UP_S) as loader:
                warm = time.perf_counter()
                loader.score_answers(interview(-1), scenario=SCENARIO, language="en")
                print(f"first call (models load, not timed below): {time.perf_counter() - warm:.1f} s")
            with HireLensClient(server.address, api_key=key) as client:  # the SDK's default deadline
                print("concurrency | interviews | p50 s | p95 s | max s | interviews/s | failures")
                first = 0
                for concurrency in args.concurrency:
                    row = run_level(client, concurrency, args.interviews, first)
                    first += args.interviews
                    failures = ", ".join(f"{k} {v}" for k, v in row["failures"].items()) or "0"
                    print(
                        f"{concurrency:>11} | {row['interviews']:>10} | {row['p50_s']:5.2f} | "
                        f"{row['p95_s']:5.2f} | {row['max_s']:5.2f} | {row['per_s']:12.2f} | {failures}",
                        flush=True,
                    )
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
