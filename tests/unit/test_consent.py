"""Consent before analysis, the parts that need no model: which analyzers may run, which scenarios cannot be
scored at all without a modality, what the capture report leaves out, and that neither the SDK nor
``hirelens score --server`` grants biometric consent by default."""

from __future__ import annotations

import inspect

import grpc
import pytest
from hirelens_client import AsyncHireLensClient, Consent, HireLensClient

from server import cli
from server.analysis.base import FrameObservation
from server.analysis.registry import analyzers_for
from server.api.job_request import check_consent
from server.api.status import ApiError
from server.media.probe import AudioInfo, MediaInfo, VideoInfo
from server.pipeline.analyze import consented
from server.pipeline.capture import measure_capture
from server.scoring.policy import Policy
from server.scoring.refusals import CONSENT_MISSING, consent_precondition, not_analysed_for_consent
from server.scoring.registry import ScenarioRegistry
from server.scoring.scenario import Scenario

NONE = frozenset[str]()
BOTH = frozenset({"face", "voice"})


@pytest.fixture(scope="module")
def general() -> Scenario:
    return ScenarioRegistry().get("general_behavioral")


def _biometric_only(scenario: Scenario, rubric: bool = False) -> Scenario:
    """Every competency scored from a face and a voice signal alone; one keeps its rubric when ``rubric``."""
    data = scenario.model_dump()
    norm = {"kind": "piecewise", "points": [[0, 0], [1, 10]]}
    kept = next(c["id"] for c in data["competencies"] if c["rubric"] is not None) if rubric else None
    for competency in data["competencies"]:
        competency["signals"] = [
            {"signal": "face.gaze_at_camera", "weight": 1, "norm": norm},
            {"signal": "voice.pitch_variability_st", "weight": 1, "norm": norm},
        ]
        if competency["id"] != kept:
            competency["rubric"] = None
    return Scenario.model_validate(data)


def test_a_blocked_modality_leaves_out_every_analyzer_that_reads_it() -> None:
    everything = {a.name for a in analyzers_for()}
    no_face = {a.name for a in consented(analyzers_for(), frozenset({"face"}))}
    no_voice = {a.name for a in consented(analyzers_for(), frozenset({"voice"}))}
    assert everything - no_face == {"face"} and everything - no_voice == {"voice"}
    assert {a.name for a in consented(analyzers_for(), NONE)} == everything
    assert not {m for a in consented(analyzers_for(), BOTH) for m in a.models} & {
        "face_dlib",
        "voice_prosody",
    }


def test_not_analysed_names_each_modality_with_the_refusal_code() -> None:
    records = [r.to_dict() for r in not_analysed_for_consent(frozenset({"voice", "face"}))]
    assert [(r["modality"], r["code"]) for r in records] == [
        ("face", CONSENT_MISSING),
        ("voice", CONSENT_MISSING),
    ]
    assert all(r["reason"].startswith("No consent to analyse the ") for r in records)
    assert not_analysed_for_consent(NONE) == ()


def test_a_scenario_that_cannot_be_scored_without_a_modality_is_named(general: Scenario) -> None:
    assert consent_precondition(general, BOTH) is None  # text and speech need no biometric consent
    on_camera = general.model_copy(update={"requires_face": True})
    message = consent_precondition(on_camera, frozenset({"face"}))
    assert message is not None and "requires the face" in message and "general_behavioral" in message
    assert consent_precondition(on_camera, frozenset({"voice"})) is None

    biometric = _biometric_only(general)
    message = consent_precondition(biometric, BOTH)
    assert message is not None and "face and voice signals only" in message
    assert consent_precondition(biometric, frozenset({"face"})) is None  # the voice signal still scores
    assert consent_precondition(_biometric_only(general, rubric=True), BOTH) is None  # the rubric scores


def test_upload_check_refuses_with_failed_precondition_naming_the_consent(general: Scenario) -> None:
    on_camera = general.model_copy(update={"requires_face": True})
    with pytest.raises(ApiError) as caught:
        check_consent(on_camera, ["voice"], None)
    error = caught.value
    assert error.code == grpc.StatusCode.FAILED_PRECONDITION
    assert error.reason == "CONSENT_MISSING" and error.field == "metadata.consent"
    assert "consent_missing" in error.message and "face" in error.message
    check_consent(on_camera, ["face"], None)
    check_consent(on_camera, [], Policy(name="voice_only", require_consent=["voice"]))  # face needs none here


def test_without_face_detection_the_face_measures_are_left_out() -> None:
    info = MediaInfo("mp4", 4.0, VideoInfo("h264", 640, 360, 15.0), AudioInfo("aac", 16000, 1))
    frames = [FrameObservation(t / 2, 640, 360, (), 120.0, None, None, 1.0) for t in range(8)]
    detected = measure_capture(info, frames, None, None)
    assert detected.measures["face_visible_share"] == 0.0 and "face_not_visible" in detected.codes
    skipped = measure_capture(info, frames, None, None, faces_detected=False)
    assert "face_visible_share" not in skipped.measures and "face_not_visible" not in skipped.codes
    assert skipped.measures["width"] == 640.0  # the video format is still judged


@pytest.mark.parametrize("client", [HireLensClient, AsyncHireLensClient])
@pytest.mark.parametrize("method", ["submit", "score"])
def test_the_sdk_has_no_default_consent(client: type, method: str) -> None:
    parameter = inspect.signature(getattr(client, method)).parameters["consent"]
    assert parameter.default is inspect.Parameter.empty and parameter.kind is inspect.Parameter.KEYWORD_ONLY
    assert Consent() == Consent(face=False, voice=False) == Consent.of(())


def test_hirelens_score_server_needs_explicit_consent(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["score", "interview.mp4", "--scenario", "general_behavioral", "--server", "127.0.0.1:1"]
    assert cli.main(argv) == cli.EXIT_BAD_INPUT
    assert "--consent is required with --server" in capsys.readouterr().err
