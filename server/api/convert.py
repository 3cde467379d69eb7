"""Domain objects to API messages. The messages mirror the JSON of ``hirelens score --json`` field by field,
so a result converts by name, and a field added on one side without the other fails loudly in tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.protobuf import json_format, timestamp_pb2
from hirelens.v1 import interview_pb2, result_pb2, scenario_pb2

from server.jobs.store import JobRecord, JobState
from server.jobs.webhooks import Delivery
from server.scoring.policy import used_modalities
from server.scoring.scenario import Scenario

JOB_STATES: dict[JobState, int] = {
    JobState.QUEUED: interview_pb2.QUEUED,
    JobState.DECODING: interview_pb2.DECODING,
    JobState.ANALYSING: interview_pb2.ANALYSING,
    JobState.SCORING: interview_pb2.SCORING,
    JobState.DONE: interview_pb2.DONE,
    JobState.FAILED: interview_pb2.FAILED,
    JobState.CANCELLED: interview_pb2.CANCELLED,
}


def score_result(result: dict[str, Any]) -> result_pb2.ScoreResult:
    """A ``ScoreResult.to_dict()`` (plus ``duration_s``) as its message."""
    return json_format.ParseDict(result, result_pb2.ScoreResult())


def timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


WEBHOOK_STATES: dict[str, int] = {
    "pending": interview_pb2.WEBHOOK_PENDING,
    "delivered": interview_pb2.WEBHOOK_DELIVERED,
    "dead": interview_pb2.WEBHOOK_DEAD,
}


def webhook(delivery: Delivery) -> interview_pb2.WebhookDelivery:
    message = interview_pb2.WebhookDelivery(
        delivery_id=delivery.id,
        state=WEBHOOK_STATES[delivery.state],
        attempts=delivery.attempts,
        last_error=delivery.last_error or "",
    )
    if delivery.next_attempt_at is not None:
        message.next_attempt_at.CopyFrom(timestamp(delivery.next_attempt_at))
    if delivery.delivered_at is not None:
        message.delivered_at.CopyFrom(timestamp(delivery.delivered_at))
    return message


def job(record: JobRecord, delivery: Delivery | None = None) -> interview_pb2.Job:
    """The job as the API shows it; ``delivery`` is its webhook event, when it has one."""
    message = interview_pb2.Job(
        job_id=record.id,
        state=JOB_STATES[JobState(record.state)],
        progress=record.progress,
        candidate_ref=record.candidate_ref,
        scenario_id=record.scenario_id,
        scenario_version=record.scenario_version,
        created_at=timestamp(record.created_at),
        updated_at=timestamp(record.updated_at),
        uploaded_bytes=record.uploaded_bytes,
        attempts=record.attempts,
    )
    if record.result is not None:
        message.result.CopyFrom(score_result(record.result))
    if delivery is not None:
        message.webhook.CopyFrom(webhook(delivery))
    if record.error is not None:
        message.error.CopyFrom(
            interview_pb2.JobError(
                code=int(record.error["code"]), reason=record.error["reason"], message=record.error["message"]
            )
        )
    return message


def scenario_summary(scenario: Scenario) -> scenario_pb2.ScenarioSummary:
    names = scenario.names.model_dump(exclude_none=True)
    languages = sorted(
        {lang for q in scenario.questions for lang, text in q.text.model_dump().items() if text}
    )
    return scenario_pb2.ScenarioSummary(
        id=scenario.id,
        version=scenario.version,
        names=names,
        languages=languages,
        competencies=[c.id for c in scenario.competencies],
        modalities=sorted(used_modalities(scenario)),
    )


def scenario(scenario: Scenario, yaml_text: str) -> scenario_pb2.Scenario:
    questions = [
        scenario_pb2.ScenarioQuestion(
            id=q.id,
            text={lang: text for lang, text in q.text.model_dump().items() if text},
            competencies=list(q.competencies),
            time_limit_s=q.time_limit_s,
        )
        for q in scenario.questions
    ]
    return scenario_pb2.Scenario(summary=scenario_summary(scenario), questions=questions, yaml=yaml_text)
