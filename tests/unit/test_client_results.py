"""hirelens_client.results: messages -> typed results -> the exact JSON of ``hirelens score --json``.

The fixture is the real output of ``hirelens score --answers samples/sample_interview.answers.json --scenario
general_behavioral --json``; it goes to a message the way the server converts it (``json_format.ParseDict``,
nulls leave fields unset) and must come back key for key.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from hirelens.v1 import candidate_pb2, interview_pb2, result_pb2, scenario_pb2
from hirelens_client import (
    DeletionReceipt,
    Job,
    JobState,
    Scenario,
    ScoreResult,
    ValidationReport,
    render_report,
)

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "score_result_general_behavioral.json"


def _load() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def _message(result: dict[str, Any]) -> result_pb2.ScoreResult:
    """What the server sends for a ``ScoreResult.to_dict()``: ParseDict, where None clears a field."""
    return json_format.ParseDict(result, result_pb2.ScoreResult())


def _refused() -> dict[str, Any]:
    """The fixture bent into the shapes a refused interview takes: every null the JSON can hold."""
    data = _load()
    reason = {"code": "too_short", "message": "Answer 2 has 12 words", "answer": 1}
    plain = {"code": "no_evidence", "message": "No answer probes this competency"}
    data["overall"] = {"score": None, "confidence": None, "insufficient_data": [reason, plain]}
    first = data["competencies"][0]
    first.update(score=None, confidence=None, coverage=None, evidence=[], insufficient_data=[reason, plain])
    second = data["competencies"][1]
    second["evidence"][0]["question"] = None
    second["evidence"][0]["rubric"] = None
    second["evidence"][0]["signals"][0]["evidence"] = None
    second["evidence"][0]["signals"][0]["value"] = True
    data["fit"]["percent"] = None
    data["fit"]["requirements"][0].update(score=None, met=None)
    data["fit"]["insufficient_data"] = [plain]
    kpi = data["kpi_baselines"][0]
    kpi.update(score=None, target=None, label=None, insufficient_data=[plain, reason])
    data["answers"][0].update(question=None, question_id=None)
    data["answers"][0]["match"] = {"method": "unmatched", "closest": None, "similarity": None}
    data["answers"][1]["question_id"] = None
    data["answers"][1]["match"] = {"method": "unmatched", "closest": "teamwork", "similarity": 0.41}
    data["answers"][1]["refusals"] = [reason]
    data["quality"] = {
        "measures": {"face_brightness": 31.5, "audio_rms_dbfs": -38.2},
        "warnings": [
            {"code": "dark_face", "message": "The face is dark", "value": 31.5},
            {"code": "low_audio", "message": "Quiet audio", "value": "quiet"},
        ],
    }
    data["consent"] = {
        "given": ["voice"],
        "not_used": ["face"],
        "not_analysed": [{"modality": "face", "code": "consent_missing", "reason": "No consent to analyse"}],
    }
    return data


def test_fixture_round_trips_to_the_cli_json() -> None:
    data = _load()
    result = ScoreResult.from_proto(_message(data))
    out = result.to_dict()
    assert out == {**data, "duration_s": 0.0}
    assert list(out) == [*data, "duration_s"]  # same key order as the CLI, duration_s last
    assert list(out["competencies"][0]) == list(data["competencies"][0])
    assert list(out["competencies"][0]["evidence"][0]) == list(data["competencies"][0]["evidence"][0])
    assert json.loads(json.dumps(out)) == out  # plain JSON data, no protobuf containers left


def test_refused_shapes_round_trip_with_nulls_and_missing_keys() -> None:
    data = _refused()
    out = ScoreResult.from_proto(_message(copy.deepcopy(data))).to_dict()
    assert out == {**data, "duration_s": 0.0}
    assert "answer" not in out["overall"]["insufficient_data"][1]  # missing stays missing, not None
    assert out["overall"]["insufficient_data"][0]["answer"] == 1


def test_typed_access() -> None:
    message = _message(_refused())
    message.duration_s = 312.5
    result = ScoreResult.from_proto(message)
    assert result.overall_score is None and result.confidence is None
    assert [r.code for r in result.insufficient_data] == ["too_short", "no_evidence"]
    assert result.competency("communication").score is None
    teamwork = result.competency("teamwork")
    assert teamwork.score == 7.3 and teamwork.name() == "Teamwork" and teamwork.name("fr") == "Teamwork"
    structured = result.competency("structured_thinking").evidence[0]
    assert structured.question is None and structured.rubric is None
    assert structured.signals[0].value is True and structured.signals[0].evidence is None
    assert result.fit.requirements[0].met is None
    assert result.kpi_baselines[0].label is None
    assert result.quality.warnings[1].value == "quiet"
    assert result.answers[0].match.similarity is None and result.answers[1].match.similarity == 0.41
    assert result.duration_s == 312.5
    with pytest.raises(KeyError, match="known: communication"):
        result.competency("juggling")


def test_render_report_matches_the_cli_renderer() -> None:
    render = pytest.importorskip("server.commands.score").render
    for data in (_load(), _refused()):
        result = ScoreResult.from_proto(_message(copy.deepcopy(data)))
        assert render_report(result) == render(data)


def test_render_report_names_what_stands_behind_scores() -> None:
    text = render_report(ScoreResult.from_proto(_message(_load())))
    assert "Overall: 7.6/10 (confidence 0.93)" in text
    assert 'answer 3 (teamwork, via question): rubric 9.0 (strong) "Uh, about two years ago' in text
    assert "signals speech.filler_rate=8.0, text.relevance=7.2" in text
    assert 'Team contribution: 79.75 points "pass" from teamwork 7.3 (declared)' in text
    refused = render_report(ScoreResult.from_proto(_message(_refused())))
    assert "Overall: insufficient data" in refused
    assert "- too_short [answer 2]: Answer 2 has 12 words" in refused
    assert "! dark_face: The face is dark" in refused
    assert "Fit: insufficient data" in refused


def test_job_snapshot() -> None:
    message = interview_pb2.Job(
        job_id="job-1", state=interview_pb2.ANALYSING, progress=0.4, candidate_ref="c-9", attempts=1
    )
    message.created_at.FromDatetime(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))
    job = Job.from_proto(message)
    assert job.state is JobState.ANALYSING and job.state == "analysing" and not job.done
    assert job.created_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert job.updated_at is None and job.result is None and job.error is None

    message.state = interview_pb2.DONE
    message.result.CopyFrom(_message(_load()))
    done = Job.from_proto(message)
    assert done.done and done.result is not None and done.result.overall_score == 7.6

    failed = interview_pb2.Job(job_id="job-2", state=interview_pb2.FAILED)
    failed.error.CopyFrom(interview_pb2.JobError(code=3, reason="BAD_MEDIA", message="not a video"))
    job = Job.from_proto(failed)
    assert job.done and job.error is not None and job.error.reason == "BAD_MEDIA"


def test_scenario_types_and_receipt() -> None:
    summary = scenario_pb2.ScenarioSummary(
        id="sales", version="1.2.0", names={"en": "Sales"}, languages=["en", "zh"], modalities=["voice"]
    )
    question = scenario_pb2.ScenarioQuestion(
        id="q1", text={"en": "Sell me this pen"}, competencies=["persuasion"]
    )
    scenario = Scenario.from_proto(
        scenario_pb2.Scenario(summary=summary, questions=[question], yaml="id: sales")
    )
    assert scenario.id == "sales" and scenario.version == "1.2.0"
    assert scenario.questions[0].time_limit_s is None and scenario.summary.name() == "Sales"

    report = ValidationReport.from_proto(
        scenario_pb2.ValidateScenarioResponse(valid=False, problems=["line 3"])
    )
    assert not report and report.summary is None and report.problems == ["line 3"]

    receipt = candidate_pb2.DeletionReceipt(
        receipt_id="r-1", candidate_ref="c-9", jobs_erased=2, job_ids=["a"]
    )
    receipt.deleted_at.GetCurrentTime()
    parsed = DeletionReceipt.from_proto(receipt)
    assert parsed.jobs_erased == 2 and parsed.job_ids == ["a"] and parsed.deleted_at is not None
