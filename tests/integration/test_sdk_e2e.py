"""End to end through the hirelens-client SDK against a real ``hirelens serve`` process: what an integrator
writes, and what ``hirelens score --server`` does with it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator

import hirelens_client
import pytest
from hirelens_client import AsyncHireLensClient, HireLensClient, JobState

from tests.server_process import REPO_ROOT, ServerProcess

pytestmark = pytest.mark.slow
SAMPLE = REPO_ROOT / "samples" / "sample_interview.mp4"
ANSWERS = REPO_ROOT / "samples" / "sample_interview.answers.json"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("sdk")).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def client(server) -> Iterator[HireLensClient]:
    with HireLensClient(server.address, api_key=server.keys["acme"]) as client:
        yield client


def test_the_sample_interview_scores_through_the_sdk(client):
    uploads, snapshots = [], []
    result = client.score(
        SAMPLE,
        scenario="general_behavioral",
        candidate_ref="sdk-sample",
        consent=("face", "voice"),
        on_upload=uploads.append,
        on_progress=snapshots.append,
    )
    assert uploads[-1].sent_bytes == uploads[-1].total_bytes == SAMPLE.stat().st_size
    assert snapshots[-1].state == JobState.DONE
    assert [s.progress for s in snapshots] == sorted(s.progress for s in snapshots)
    # what the local `hirelens score` gives for the same file with general_behavioral 2.0.0 (make demo)
    assert result.overall_score == pytest.approx(8.2, abs=0.3)
    assert result.duration_s == pytest.approx(295.5, abs=1)
    communication = result.competency("communication")
    assert communication.score is not None and communication.evidence
    assert any(e.rubric is not None and e.rubric.excerpt for e in communication.evidence)
    kpi = result.kpi_baselines[0]
    assert kpi.kpi == "team_contribution" and kpi.target is not None and kpi.label
    assert result.fit.percent is not None
    assert result.quality.warnings == [] or all(w.code for w in result.quality.warnings)
    report = hirelens_client.render_report(result)
    assert "Competencies:" in report and "KPI baselines:" in report
    assert json.loads(json.dumps(result.to_dict()))["scenario"]["id"] == "general_behavioral"


def test_text_answers_score_in_one_call(client):
    answers = [(a["question"], a["answer"]) for a in json.loads(ANSWERS.read_text())]
    result = client.score_answers(answers, scenario="general_behavioral")
    assert result.overall_score is not None and len(result.answers) == len(answers)


def test_errors_arrive_as_typed_exceptions_naming_the_field(client, server):
    with pytest.raises(hirelens_client.NotFound) as caught:
        client.score_answers([("q", "An answer.")], scenario="astronaut")
    assert caught.value.field_violations[0].field == "scenario_id"
    with pytest.raises(hirelens_client.NotFound):
        client.get("no-such-job")
    with (
        HireLensClient(server.address, api_key="hl_wrong") as stranger,
        pytest.raises(hirelens_client.Unauthenticated),
    ):
        stranger.list_scenarios()


def test_the_async_client_does_the_same(server, fixtures_dir):
    wav = fixtures_dir / "speech_en" / "sense_and_sensibility_01_austen_64kb-0880.wav"

    async def run():
        async with AsyncHireLensClient(server.address, api_key=server.keys["globex"]) as client:
            job = await client.submit(
                wav, scenario="customer_service", candidate_ref="async-1", consent=("face", "voice")
            )
            states = [snapshot.state async for snapshot in client.watch(job.job_id)]
            result = await client.wait(job.job_id)
            receipt = await client.delete_candidate("async-1")
            return states, result, receipt

    states, result, receipt = asyncio.run(run())
    assert states[-1] == JobState.DONE
    assert result.scenario_id == "customer_service" and result.language == "en"
    assert receipt.jobs_erased == 1 and receipt.job_ids


def score_remotely(server: ServerProcess, wav, scenario: str) -> subprocess.CompletedProcess:
    """``hirelens score --server`` in a subprocess, the key from the environment as an operator sets it."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "server.cli",
            "score",
            str(wav),
            "--scenario",
            scenario,
            "--server",
            server.address,
            "--consent",
            "face,voice",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={"HIRELENS_API_KEY": server.keys["acme"], "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


def test_hirelens_score_with_server_prints_the_report(server, fixtures_dir):
    wav = fixtures_dir / "speech_en" / "sense_and_sensibility_01_austen_64kb-0890.wav"
    done = score_remotely(server, wav, "sales")
    assert done.returncode == 0, done.stderr
    assert "Scenario sales" in done.stdout and "KPI baselines:" in done.stdout
    assert "uploading" in done.stderr and "done" in done.stderr  # the progress, on stderr
    refused = score_remotely(server, wav, "nope")
    assert refused.returncode == 2 and "unknown scenario 'nope'" in refused.stderr, refused.stderr
