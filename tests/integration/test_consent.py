"""Consent is enforced before analysis: a modality without consent is never analysed (its model is not called,
counted by the runtime's own execution hook and by the server's metrics), nothing derived from it is kept,
and the result names what was left out and why. Through the pipeline, ``hirelens score`` and a real
``hirelens serve`` process."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from hirelens.v1 import interview_pb2, interview_pb2_grpc

from server import cli
from server.pipeline.analyze import analyze_recording
from server.pipeline.audio_features import ASR_MODELS, PROSODY_MODEL
from server.pipeline.frames import FACE_MODEL
from tests.integration.test_api import auth, details, upload, wait
from tests.media_factory import AudioSpec, VideoSpec, real_frames, real_speech, write_recording
from tests.server_process import REPO_ROOT, ServerProcess

pytestmark = pytest.mark.slow
ASR = ASR_MODELS["en"]
FACE_MEASURES = {"face_luma_mean", "face_luma_std", "face_visible_share", "multiple_faces_share"}
FACE_WARNINGS = {
    "low_light",
    "overexposed",
    "low_contrast",
    "face_not_visible",
    "multiple_faces",
    "head_turned",
}
BATCHES = "hirelens_model_batch_size_count"


@pytest.fixture(scope="module")
def executions(runtime) -> Counter[str]:
    """Model executions in this process, by model: the runtime's batch hook, the one the metrics use."""
    counts: Counter[str] = Counter()
    lock = threading.Lock()

    def count(model: str, rows: int, seconds: float) -> None:
        with lock:
            counts[model] += 1

    runtime.executor.add_batch_observer(count)
    return counts


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory, fixtures_dir: Path) -> Path:
    """A real face (looped) over a real 23-word reading: both biometric modalities are there to analyse."""
    speech = real_speech(fixtures_dir)
    return write_recording(
        tmp_path_factory.mktemp("consent") / "face_speech.mp4",
        len(speech) / 16000,
        VideoSpec("libx264", 640, 360, fps=15),
        AudioSpec("aac"),
        real_frames(fixtures_dir, 640, 360),
        speech,
    )


def _signal_names(analysis) -> set[str]:
    return set(analysis.signals) | {name for a in analysis.answers for name in a.signals}


def test_without_voice_consent_the_voice_model_never_runs(recording: Path, executions: Counter[str]) -> None:
    before = Counter(executions)
    analysis = analyze_recording(recording, [], "en", blocked=frozenset({"voice"}))
    ran = executions - before
    assert ran[PROSODY_MODEL] == 0 and ran[ASR] > 0
    assert ran[FACE_MODEL] > 0  # the face had consent: the counter moves when a model runs
    names = _signal_names(analysis)
    assert not {n for n in names if n.startswith("voice.")}
    assert {n for n in names if n.startswith("face.")} and {n for n in names if n.startswith("speech.")}
    assert [n.to_dict() for n in analysis.not_analysed] == [
        {"modality": "voice", "code": "consent_missing", "reason": analysis.not_analysed[0].reason}
    ]
    assert "voice model did not run" in analysis.not_analysed[0].reason


def test_hirelens_score_consent_none_never_calls_the_face_and_voice_models(
    recording: Path, executions: Counter[str], capsys: pytest.CaptureFixture[str]
) -> None:
    before = Counter(executions)
    argv = ["score", str(recording), "--scenario", "general_behavioral", "--language", "en"]
    assert cli.main([*argv, "--consent", "none", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ran = executions - before
    assert ran[FACE_MODEL] == 0 and ran[PROSODY_MODEL] == 0 and ran[ASR] > 0
    consent = out["consent"]
    assert consent["given"] == [] and consent["not_used"] == ["face", "voice"]
    assert [(n["modality"], n["code"]) for n in consent["not_analysed"]] == [
        ("face", "consent_missing"),
        ("voice", "consent_missing"),
    ]
    assert not FACE_MEASURES & set(out["quality"]["measures"])
    assert not FACE_WARNINGS & {w["code"] for w in out["quality"]["warnings"]}
    assert "width" in out["quality"]["measures"]  # the video format is still judged
    used = {s["signal"] for c in out["competencies"] for e in c["evidence"] for s in e["signals"]}
    assert used and not {s for s in used if s.split(".")[0] in ("face", "voice")}


# --- through a server process ------------------------------------------------------------------------------


def _scenario_plugin(folder: Path) -> Path:
    """A scenario plugin laid out as pip installs one (a module and a dist-info with its entry point):
    ``on_camera``, the general behavioural interview with ``requires_face``."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (REPO_ROOT / "plugins" / "scenarios" / "general_behavioral.yaml").read_text(encoding="utf-8")
    (folder / "on_camera.yaml").write_text(
        text.replace("id: general_behavioral\n", "id: on_camera\nrequires_face: true\n", 1), encoding="utf-8"
    )
    (folder / "consent_test_scenarios.py").write_text(
        "from pathlib import Path\n\n\ndef scenario_files():\n"
        "    return [Path(__file__).with_name('on_camera.yaml')]\n",
        encoding="utf-8",
    )
    info = folder / "consent_test_scenarios-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: consent-test-scenarios\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[hirelens.scenarios]\non_camera = consent_test_scenarios:scenario_files\n", encoding="utf-8"
    )
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("consent_server")
    plugin = _scenario_plugin(folder / "plugin")
    with pytest.MonkeyPatch.context() as patch:  # the server process inherits the environment
        patch.setenv("PYTHONPATH", str(plugin), prepend=":")
        process = ServerProcess(folder / "server").start(timeout_s=120)
    yield process
    process.stop()


def _models(server: ServerProcess) -> dict[str, float]:
    return {m: server.metric(BATCHES, model=m) for m in (FACE_MODEL, PROSODY_MODEL, ASR)}


def test_a_job_without_consent_never_calls_the_face_and_voice_models(
    server: ServerProcess, recording: Path
) -> None:
    with grpc.insecure_channel(server.address) as channel:
        before = _models(server)
        job = upload(channel, server, recording, language="en", consent=interview_pb2.ConsentFlags())
        done = wait(channel, server, job.job_id)
        after = _models(server)
        assert done.state == interview_pb2.DONE, done.error
        assert after[FACE_MODEL] == before[FACE_MODEL] and after[PROSODY_MODEL] == before[PROSODY_MODEL]
        assert after[ASR] > before[ASR]
        result = done.result
        assert [(n.modality, n.code) for n in result.consent.not_analysed] == [
            ("face", "consent_missing"),
            ("voice", "consent_missing"),
        ]
        assert all(n.reason for n in result.consent.not_analysed)
        assert not FACE_MEASURES & set(result.quality.measures)
        used = {s.signal for c in result.competencies for e in c.evidence for s in e.signals}
        assert used and not {s for s in used if s.split(".")[0] in ("face", "voice")}

        # the same recording with consent: both counters move, so their standing still above means something
        job = upload(channel, server, recording, language="en", candidate_ref="cand-1")
        done = wait(channel, server, job.job_id)
        assert done.state == interview_pb2.DONE, done.error
        moved = _models(server)
        assert moved[FACE_MODEL] > after[FACE_MODEL] and moved[PROSODY_MODEL] > after[PROSODY_MODEL]
        assert not done.result.consent.not_analysed


def test_a_scenario_that_needs_the_face_is_refused_at_upload_without_face_consent(
    server: ServerProcess, recording: Path
) -> None:
    uploads = server.folder / "data" / "uploads"
    stored = sorted(uploads.iterdir()) if uploads.is_dir() else []
    with grpc.insecure_channel(server.address) as channel:
        with pytest.raises(grpc.RpcError) as caught:
            upload(
                channel,
                server,
                recording,
                scenario_id="on_camera",
                consent=interview_pb2.ConsentFlags(voice=True),
            )
        error = caught.value
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "consent_missing" in error.details() and "requires the face" in error.details()
        fields, reasons = details(error)
        assert reasons == ["CONSENT_MISSING"] and [f for f, _ in fields] == ["metadata.consent"]
        assert (sorted(uploads.iterdir()) if uploads.is_dir() else []) == stored  # nothing was stored

        job = upload(channel, server, recording, scenario_id="on_camera", candidate_ref="cand-2")
        stub = interview_pb2_grpc.InterviewServiceStub(channel)
        stub.CancelJob(interview_pb2.CancelJobRequest(job_id=job.job_id), metadata=auth(server))
        assert wait(channel, server, job.job_id).state in (interview_pb2.CANCELLED, interview_pb2.DONE)
