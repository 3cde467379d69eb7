"""Upload metadata checked and turned into a job specification, every problem named by its field."""

from __future__ import annotations

import math
from typing import Any

import grpc
from hirelens.v1 import interview_pb2

from server.api.status import ApiError
from server.api.upload import suffix
from server.config import TextLimits
from server.errors import InputError, quoted
from server.jobs.store import JobRecord, JobSpec
from server.pipeline.text_limits import TextLimitError, check_text_limits
from server.scoring.policy import Policy, check_scenario
from server.scoring.refusals import CONSENT_MISSING, blocked_modalities, consent_precondition
from server.scoring.registry import ScenarioRegistry
from server.scoring.scenario import Scenario

LANGUAGES = ("auto", "en", "zh")
MAX_REF_CHARS = 128


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(grpc.StatusCode.INVALID_ARGUMENT, message, field=field)


def find_scenario(registry: ScenarioRegistry, scenario_id: str, version: str, field: str) -> Scenario:
    """The scenario asked for; ``field`` is the request field that names it (``metadata.scenario_id``)."""
    if not scenario_id:
        raise _invalid(field, f"{field.rsplit('.', 1)[-1]} is required, e.g. 'general_behavioral'")
    try:
        return registry.get(scenario_id, version or None)
    except InputError as exc:
        raise ApiError(grpc.StatusCode.NOT_FOUND, str(exc), field=field) from None


def check_language(language: str, field: str) -> str:
    language = language or "auto"
    if language not in LANGUAGES:
        raise _invalid(field, f"language must be one of {', '.join(LANGUAGES)}, not {quoted(language)}")
    return language


def check_reference(value: str, field: str, required: bool = False) -> str:
    name = field.rsplit(".", 1)[-1]
    if required and not value:
        raise _invalid(field, f"{name} is required: the platform's own id for the candidate (not a name)")
    if value and not value.strip():  # would file jobs (and erase them) under an id no platform has
        raise _invalid(field, f"{name} is blank: send the platform's own id, not spaces")
    if len(value) > MAX_REF_CHARS or any(not c.isprintable() for c in value):
        raise _invalid(field, f"{name} must be at most {MAX_REF_CHARS} printable characters")
    return value


def check_policy(scenario: Scenario, policy: Policy | None, analyzers: Any) -> None:
    """A scenario the deployment policy forbids (e.g. emotion signals under the EU policy) is not queued."""
    if policy is None:
        return
    problems = check_scenario(scenario, policy, analyzers)
    if problems:
        raise ApiError(
            grpc.StatusCode.FAILED_PRECONDITION,
            "; ".join(problems),
            field="metadata.scenario_id",
            reason="FORBIDDEN_BY_POLICY",
        )


def check_consent(scenario: Scenario, consent: list[str], policy: Policy | None) -> None:
    """A scenario that cannot be scored at all without a modality the candidate did not consent to is
    refused before its recording is received: the recording is then never stored, let alone analysed."""
    problem = consent_precondition(scenario, blocked_modalities(frozenset(consent), policy))
    if problem:
        raise ApiError(
            grpc.StatusCode.FAILED_PRECONDITION,
            f"{CONSENT_MISSING}: {problem}; set metadata.consent if the candidate consented, or choose "
            "another scenario",
            field="metadata.consent",
            reason=CONSENT_MISSING.upper(),
        )


def check_text(
    items: list[tuple[str, str]],
    limits: TextLimits,
    field: str,
    names: tuple[str, str] = ("question", "answer"),
) -> None:
    """``check_text_limits`` refusing the call: INVALID_ARGUMENT, reason TEXT_LIMIT, the item as field."""
    try:
        check_text_limits(items, limits, field, names)
    except TextLimitError as exc:
        raise ApiError(
            grpc.StatusCode.INVALID_ARGUMENT, str(exc), field=exc.field, reason="TEXT_LIMIT"
        ) from None


def _questions(
    scenario: Scenario, items: list[interview_pb2.QuestionTiming], language: str, limits: TextLimits
) -> list[dict]:
    """Each question's text (the scenario's, when given by id) and its answer's span when timed; an untimed
    end runs to the next question's start. Text past ``limits`` is refused before anything is stored."""
    check_text([(item.text, "") for item in items], limits, "metadata.questions", ("text", ""))
    lang = "zh" if language == "zh" else "en"
    texts = {q.id: getattr(q.text, lang) for q in scenario.questions}
    if not items:
        return [{"question_id": q, "text": t, "start_s": None, "end_s": None} for q, t in texts.items()]
    timed = [item.HasField("start_s") for item in items]
    if any(timed) and not all(timed):
        raise _invalid("metadata.questions", "give start_s for every question or for none")
    out = []
    for i, item in enumerate(items):
        field = f"metadata.questions[{i}]"
        if item.question_id and item.question_id not in texts:
            raise _invalid(
                f"{field}.question_id",
                f"scenario '{scenario.id}' has no question {quoted(item.question_id)}; "
                f"it has {', '.join(texts)}",
            )
        text = item.text or texts.get(item.question_id, "")
        if not text.strip():
            raise _invalid(field, "each question needs a question_id of the scenario or its text")
        start = item.start_s if item.HasField("start_s") else None
        end = item.end_s if item.HasField("end_s") else None
        if any(t is not None and not math.isfinite(t) for t in (start, end)):
            raise _invalid(field, f"start_s and end_s must be finite seconds, not {start} and {end}")
        if start is not None and end is None:
            if i + 1 < len(items):
                end = items[i + 1].start_s
            else:
                raise _invalid(
                    f"{field}.end_s", "the last timed question needs end_s (when its answer ended)"
                )
        if start is not None and (start < 0 or end is None or end <= start):
            raise _invalid(f"{field}.end_s", f"answer span must run forward: start_s {start}, end_s {end}")
        out.append({"question_id": item.question_id or None, "text": text, "start_s": start, "end_s": end})
    return out


def job_spec(
    metadata: interview_pb2.InterviewMetadata,
    scenario: Scenario,
    policy_name: str | None,
    limits: TextLimits,
) -> JobSpec:
    language = check_language(metadata.language, "metadata.language")
    consent = []
    if metadata.HasField("consent"):
        consent = [m for m in ("face", "voice") if getattr(metadata.consent, m)]
    return JobSpec(
        # required: erasure (DeleteCandidate) finds a candidate's jobs by it
        candidate_ref=check_reference(metadata.candidate_ref, "metadata.candidate_ref", required=True),
        scenario_id=scenario.id,
        scenario_version=scenario.version,
        language=language,
        questions=_questions(scenario, list(metadata.questions), language, limits),
        consent=consent,
        policy=policy_name,
        filename=suffix(metadata.filename),
        idempotency_key=check_reference(metadata.idempotency_key, "metadata.idempotency_key") or None,
    )


def check_same_request(existing: JobRecord, spec: JobSpec) -> None:
    """A retry must repeat its request: the same key with other content is a client bug, not a retry."""
    first = (existing.candidate_ref, existing.scenario_id, existing.scenario_version, existing.language)
    again = (spec.candidate_ref, spec.scenario_id, spec.scenario_version, spec.language)
    if first != again:
        raise ApiError(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"idempotency key '{spec.idempotency_key}' was used for job {existing.id} with a different "
            "candidate, scenario or language; use a new key for a new interview",
            field="metadata.idempotency_key",
            reason="IDEMPOTENCY_KEY_REUSED",
        )
