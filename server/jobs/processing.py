"""The real work of one job: scenario, questions and policy from the job, the analysis pipeline, scoring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.errors import InputError, MediaError, UnscorableError
from server.jobs.runner import JobContext
from server.jobs.store import JobRecord, JobState
from server.pipeline.questions import Question, parse_questions
from server.scoring.policy import Policy, PolicyError
from server.scoring.scenario import Scenario

# overall progress of each stage: decoding 0-0.3, analysing 0.3-0.9, scoring 0.9-1.0
STAGE_SPANS: dict[str, tuple[JobState, float, float]] = {
    "decoding": (JobState.DECODING, 0.0, 0.3),
    "analysing": (JobState.ANALYSING, 0.3, 0.9),
}
SCORING_START = 0.9


def load_job_scenario(scenario_id: str, version: str | None) -> Scenario:
    """The version the caller asked for (the registry keeps every version), else the latest."""
    from server.scoring.registry import ScenarioRegistry

    return ScenarioRegistry().get(scenario_id, version or None)


def job_questions(job: JobRecord, scenario: Scenario) -> list[Question]:
    """The caller's questions (with answer spans when given); a question sent only by id gets the scenario's
    wording. No questions: the scenario's own, answers cut at the longest silences."""
    lang = "zh" if job.language == "zh" else "en"
    texts = {q.id: getattr(q.text, lang, None) or q.text.en for q in scenario.questions}
    if not job.questions:
        return [Question(id=qid, question=text) for qid, text in texts.items()]
    items = []
    for item in job.questions:
        qid = item.get("question_id") or None
        text = item.get("text") or (texts.get(qid) if qid else None)
        if not text:
            raise InputError(
                f"question '{qid}' has no text and scenario '{scenario.id}' has no such question"
                if qid
                else "a question has neither text nor question_id"
            )
        entry: dict[str, Any] = {"id": qid, "question": text}
        if item.get("start_s") is not None or item.get("end_s") is not None:
            entry |= {"start_s": item.get("start_s"), "end_s": item.get("end_s")}
        items.append(entry)
    return parse_questions(items, Path("questions"))


def job_consent(consent: list[str]) -> frozenset[str]:
    from server.scoring.refusals import MODALITIES

    given = frozenset(c.strip().lower() for c in consent if c.strip())
    unknown = given - MODALITIES
    if unknown:
        raise InputError(f"consent takes {', '.join(sorted(MODALITIES))}, not {', '.join(sorted(unknown))}")
    return given


def job_policy(name: str | None, scenario: Scenario) -> Policy | None:
    """The deployment policy, after checking the scenario may be scored under it at all."""
    if not name:
        return None
    from server.analysis.registry import analyzer_classes
    from server.scoring.policy import check_scenario, find_policy

    analyzers = analyzer_classes()
    try:
        policy = find_policy(name, analyzers)
    except PolicyError as exc:
        raise InputError(str(exc)) from None
    problems = check_scenario(scenario, policy, analyzers)
    if problems:
        raise InputError("; ".join(problems))
    return policy


def process_job(job: JobRecord, ctx: JobContext) -> dict[str, Any]:
    """Analyse and score one job's recording; the result is ``ScoreResult.to_dict()`` plus ``duration_s``."""
    from server.pipeline.analyze import analyze_recording
    from server.scoring.engine import score_interview
    from server.scoring.refusals import blocked_modalities

    if not job.recording_path or not Path(job.recording_path).is_file():
        raise InputError("the recording of this job is no longer stored; upload it again")
    scenario = load_job_scenario(job.scenario_id, job.scenario_version)
    consent = job_consent(job.consent)
    policy = job_policy(job.policy, scenario)
    questions = job_questions(job, scenario)
    ctx.progress(JobState.DECODING, 0.0)

    def on_progress(stage: str, fraction: float) -> None:
        state, start, end = STAGE_SPANS[stage]
        ctx.progress(state, start + (end - start) * min(max(fraction, 0.0), 1.0))

    path = Path(job.recording_path)
    try:
        analysis = analyze_recording(
            path,
            questions,
            job.language,
            policy,
            progress=on_progress,
            cancel=ctx.token,
            blocked=blocked_modalities(consent, policy),  # a modality without consent is never analysed
        )
    except (MediaError, UnscorableError) as exc:
        # The media errors name the file; the server's spool name means nothing to the caller.
        raise type(exc)(str(exc).replace(path.name, "the recording")) from None
    ctx.raise_if_cancelled()
    ctx.progress(JobState.SCORING, SCORING_START)
    result = score_interview(scenario, analysis, consent, policy)
    ctx.raise_if_cancelled()
    return result.to_dict() | {"duration_s": analysis.duration_s}
