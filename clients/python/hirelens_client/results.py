"""Typed, immutable views of the API's messages: what integrators read instead of raw protobuf.

``ScoreResult.to_dict()`` gives exactly the JSON of the server's ``hirelens score --json`` (plus
``duration_s``), so code written against the CLI's output reads SDK results unchanged. Proto3 cannot say
"absent" for plain scalars, so the few fields the JSON writes as ``null`` are recovered by rule: an empty
string is ``None`` where the JSON allows ``null``, a requirement without a score is neither met nor unmet,
and a question match without a closest question has no similarity.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import Message
from hirelens.v1 import candidate_pb2, interview_pb2, result_pb2, scenario_pb2

RUBRIC_LEVELS = ("weak", "solid", "strong")

__all__ = [
    "AnswerReport",
    "Competency",
    "CompetencyEvidence",
    "ConsentReport",
    "DeletionReceipt",
    "Fit",
    "Job",
    "JobError",
    "JobState",
    "KpiBaseline",
    "Quality",
    "QualityWarning",
    "QuestionMatch",
    "Reason",
    "Requirement",
    "RubricMatch",
    "Scenario",
    "ScenarioQuestion",
    "ScenarioSummary",
    "ScoreResult",
    "SignalScore",
    "Tag",
    "ValidationReport",
    "WebhookDelivery",
]


def _optional(message: Message, name: str) -> Any:
    """An ``optional`` proto field's value, or None when it was not set (a refused score)."""
    return getattr(message, name) if message.HasField(name) else None


def _or_none(text: str) -> str | None:
    return text or None


def _json(message: Message, name: str) -> Any:
    """A ``Value`` or ``Struct`` field as plain JSON data; None when unset."""
    if not message.HasField(name):
        return None
    return json_format.MessageToDict(getattr(message, name))


def _datetime(message: Message, name: str) -> datetime | None:
    if not message.HasField(name):
        return None
    return getattr(message, name).ToDatetime(tzinfo=UTC)


def _ordered(mapping: Any, order: Sequence[str] = ()) -> dict[str, Any]:
    """A proto map as a dict in a stable order: the keys named in ``order`` first (the order the server
    wrote them in, e.g. the scenario's competencies), then the rest sorted. Proto maps carry no order."""
    rank = {key: i for i, key in enumerate(order)}
    return {key: mapping[key] for key in sorted(mapping, key=lambda k: (rank.get(k, len(rank)), k))}


def _name(names: dict[str, str], language: str, fallback: str) -> str:
    return names.get(language) or names.get("en") or fallback


# --- score result -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a score was refused: ``code`` is stable for programs, ``message`` is for people."""

    code: str
    message: str
    answer: int | None = None  # the 0-based answer it concerns, when it concerns one

    @classmethod
    def from_proto(cls, message: result_pb2.Reason) -> Reason:
        return cls(message.code, message.message, _optional(message, "answer"))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.answer is not None:
            out["answer"] = self.answer
        return out


def _reasons(items: Any) -> list[Reason]:
    return [Reason.from_proto(item) for item in items]


@dataclass(frozen=True, slots=True)
class SignalScore:
    """One measured signal behind an answer's score: raw value, its 0-10 score, weight, first evidence."""

    signal: str
    value: Any
    score: float
    weight: float
    evidence: dict[str, Any] | None  # start_s / end_s / excerpt / note

    @classmethod
    def from_proto(cls, message: result_pb2.SignalScore) -> SignalScore:
        return cls(
            message.signal, _json(message, "value"), message.score, message.weight, _json(message, "evidence")
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "value": self.value,
            "score": self.score,
            "weight": self.weight,
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class RubricMatch:
    """The rubric level the answer came closest to, and the sentence that resembles it most."""

    score: float
    weight: float
    level: str
    similarities: dict[str, float]
    evidence: dict[str, Any]

    @property
    def excerpt(self) -> str:
        return str(self.evidence.get("excerpt", ""))

    @classmethod
    def from_proto(cls, message: result_pb2.RubricMatch) -> RubricMatch:
        return cls(
            message.score,
            message.weight,
            message.level,
            _ordered(message.similarities, RUBRIC_LEVELS),
            _json(message, "evidence") or {},
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "weight": self.weight,
            "level": self.level,
            "similarities": dict(self.similarities),
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class CompetencyEvidence:
    """What one answer contributed to one competency."""

    answer: int
    question: str | None  # scenario question id; None when the answer matched none
    via: str  # "question" or "content"
    score: float
    coverage: float
    evidence_strength: float
    signals: list[SignalScore]
    rubric: RubricMatch | None

    @classmethod
    def from_proto(cls, message: result_pb2.CompetencyEvidence) -> CompetencyEvidence:
        return cls(
            answer=message.answer,
            question=_or_none(message.question),
            via=message.via,
            score=message.score,
            coverage=message.coverage,
            evidence_strength=message.evidence_strength,
            signals=[SignalScore.from_proto(s) for s in message.signals],
            rubric=RubricMatch.from_proto(message.rubric) if message.HasField("rubric") else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "question": self.question,
            "via": self.via,
            "score": self.score,
            "coverage": self.coverage,
            "evidence_strength": self.evidence_strength,
            "signals": [s.to_dict() for s in self.signals],
            "rubric": None if self.rubric is None else self.rubric.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Competency:
    """One competency's score (None when refused: see ``insufficient_data``) and the evidence behind it."""

    id: str
    names: dict[str, str]
    weight: float
    score: float | None
    confidence: float | None
    coverage: float | None
    evidence: list[CompetencyEvidence]
    insufficient_data: list[Reason]

    def name(self, language: str = "en") -> str:
        return _name(self.names, language, self.id)

    @property
    def scored(self) -> bool:
        return self.score is not None

    @classmethod
    def from_proto(cls, message: result_pb2.CompetencyScore) -> Competency:
        return cls(
            id=message.id,
            names=_ordered(message.names),
            weight=message.weight,
            score=_optional(message, "score"),
            confidence=_optional(message, "confidence"),
            coverage=_optional(message, "coverage"),
            evidence=[CompetencyEvidence.from_proto(e) for e in message.evidence],
            insufficient_data=_reasons(message.insufficient_data),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "names": dict(self.names),
            "weight": self.weight,
            "score": self.score,
            "confidence": self.confidence,
            "coverage": self.coverage,
            "evidence": [e.to_dict() for e in self.evidence],
            "insufficient_data": [r.to_dict() for r in self.insufficient_data],
        }


@dataclass(frozen=True, slots=True)
class Tag:
    """A label the candidate earned (a competency score at or above ``at_least``)."""

    id: str
    names: dict[str, str]
    competency: str
    score: float
    at_least: float

    def name(self, language: str = "en") -> str:
        return _name(self.names, language, self.id)

    @classmethod
    def from_proto(cls, message: result_pb2.Tag) -> Tag:
        return cls(message.id, _ordered(message.names), message.competency, message.score, message.at_least)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "names": dict(self.names),
            "competency": self.competency,
            "score": self.score,
            "at_least": self.at_least,
        }


@dataclass(frozen=True, slots=True)
class Requirement:
    """One line of the role's requirement profile; ``met`` is None when the competency was not scored."""

    competency: str
    required: float
    score: float | None
    met: bool | None

    @classmethod
    def from_proto(cls, message: result_pb2.Requirement) -> Requirement:
        score = _optional(message, "score")
        return cls(message.competency, message.required, score, None if score is None else message.met)

    def to_dict(self) -> dict[str, Any]:
        return {
            "competency": self.competency,
            "required": self.required,
            "score": self.score,
            "met": self.met,
        }


@dataclass(frozen=True, slots=True)
class Fit:
    """How the candidate meets the role's requirement profile, as a percentage (None when refused)."""

    percent: float | None
    met: int
    required: int
    requirements: list[Requirement]
    insufficient_data: list[Reason]

    @classmethod
    def from_proto(cls, message: result_pb2.Fit) -> Fit:
        return cls(
            percent=_optional(message, "percent"),
            met=message.met,
            required=message.required,
            requirements=[Requirement.from_proto(r) for r in message.requirements],
            insufficient_data=_reasons(message.insufficient_data),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "percent": self.percent,
            "met": self.met,
            "required": self.required,
            "requirements": [r.to_dict() for r in self.requirements],
            "insufficient_data": [r.to_dict() for r in self.insufficient_data],
        }


@dataclass(frozen=True, slots=True)
class KpiBaseline:
    """A first-year KPI target implied by a competency score (e.g. teamwork 8 -> team contribution 85)."""

    kpi: str
    names: dict[str, str]
    competency: str
    score: float | None
    target: float | None
    unit: str
    label: str | None
    source: str
    kind: str
    insufficient_data: list[Reason]

    def name(self, language: str = "en") -> str:
        return _name(self.names, language, self.kpi)

    @classmethod
    def from_proto(cls, message: result_pb2.KpiBaseline) -> KpiBaseline:
        return cls(
            kpi=message.kpi,
            names=_ordered(message.names),
            competency=message.competency,
            score=_optional(message, "score"),
            target=_optional(message, "target"),
            unit=message.unit,
            label=_or_none(message.label),
            source=message.source,
            kind=message.kind,
            insufficient_data=_reasons(message.insufficient_data),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kpi": self.kpi,
            "names": dict(self.names),
            "competency": self.competency,
            "score": self.score,
            "target": self.target,
            "unit": self.unit,
            "label": self.label,
            "source": self.source,
            "kind": self.kind,
            "insufficient_data": [r.to_dict() for r in self.insufficient_data],
        }


@dataclass(frozen=True, slots=True)
class QualityWarning:
    """Something about the capture a reviewer should check; it never changes a score."""

    code: str
    message: str
    value: Any

    @classmethod
    def from_proto(cls, message: result_pb2.QualityWarning) -> QualityWarning:
        return cls(message.code, message.message, _json(message, "value"))

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "value": self.value}


@dataclass(frozen=True, slots=True)
class Quality:
    """Capture quality of the recording: measures (light, face, audio level...) and warnings."""

    measures: dict[str, float]
    warnings: list[QualityWarning]

    @classmethod
    def from_proto(cls, message: result_pb2.CaptureQuality) -> Quality:
        return cls(_ordered(message.measures), [QualityWarning.from_proto(w) for w in message.warnings])

    def to_dict(self) -> dict[str, Any]:
        return {"measures": dict(self.measures), "warnings": [w.to_dict() for w in self.warnings]}


@dataclass(frozen=True, slots=True)
class QuestionMatch:
    """How an answer's question was recognised: ``method`` is id, timestamp, text, embedding or unmatched."""

    method: str
    closest: str | None
    similarity: float | None

    @classmethod
    def from_proto(cls, message: result_pb2.QuestionMatch) -> QuestionMatch:
        closest = _or_none(message.closest)
        return cls(message.method, closest, None if closest is None else message.similarity)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "closest": self.closest, "similarity": self.similarity}


@dataclass(frozen=True, slots=True)
class AnswerReport:
    """How one answer was read: the question it answers, what its content evidences, why it was dropped."""

    index: int
    question: str | None
    question_id: str | None
    match: QuestionMatch
    language: str
    units: int
    evidences: dict[str, float]
    refusals: list[Reason]

    @classmethod
    def from_proto(cls, message: result_pb2.AnswerReport, competencies: Sequence[str] = ()) -> AnswerReport:
        return cls(
            index=message.index,
            question=_or_none(message.question),
            question_id=_or_none(message.question_id),
            match=QuestionMatch.from_proto(message.match),
            language=message.language,
            units=message.units,
            evidences=_ordered(message.evidences, competencies),
            refusals=_reasons(message.refusals),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "question": self.question,
            "question_id": self.question_id,
            "match": self.match.to_dict(),
            "language": self.language,
            "units": self.units,
            "evidences": dict(self.evidences),
            "refusals": [r.to_dict() for r in self.refusals],
        }


@dataclass(frozen=True, slots=True)
class NotAnalysed:
    """A modality the server did not analyse at all (its model never ran), with a stable ``code``
    (``consent_missing``) and a ``reason`` for people."""

    modality: str
    code: str
    reason: str

    @classmethod
    def from_proto(cls, message: result_pb2.NotAnalysed) -> NotAnalysed:
        return cls(message.modality, message.code, message.reason)

    def to_dict(self) -> dict[str, Any]:
        return {"modality": self.modality, "code": self.code, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class ConsentReport:
    """Modalities the candidate consented to, those whose signals no score used because consent was
    missing, and those not analysed at all (and why)."""

    given: list[str]
    not_used: list[str]
    not_analysed: list[NotAnalysed] = field(default_factory=list)

    @classmethod
    def from_proto(cls, message: result_pb2.Consent) -> ConsentReport:
        return cls(
            list(message.given),
            list(message.not_used),
            [NotAnalysed.from_proto(n) for n in message.not_analysed],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "given": list(self.given),
            "not_used": list(self.not_used),
            "not_analysed": [n.to_dict() for n in self.not_analysed],
        }


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """The scored interview. Every score is 0-10; None means refused, and the matching
    ``insufficient_data`` list says why."""

    scenario_id: str
    scenario_version: str
    language: str
    overall_score: float | None
    confidence: float | None
    competencies: list[Competency]
    tags: list[Tag]
    fit: Fit
    kpi_baselines: list[KpiBaseline]
    quality: Quality
    answers: list[AnswerReport]
    consent: ConsentReport
    duration_s: float
    insufficient_data: list[Reason]  # why there is no overall score

    def competency(self, competency_id: str) -> Competency:
        """The competency with this id; KeyError naming the known ids otherwise."""
        for competency in self.competencies:
            if competency.id == competency_id:
                return competency
        known = ", ".join(c.id for c in self.competencies)
        raise KeyError(f"no competency {competency_id!r} in this result (known: {known})")

    @classmethod
    def from_proto(cls, message: result_pb2.ScoreResult) -> ScoreResult:
        """From a ``hirelens.v1.ScoreResult`` message."""
        overall = message.overall
        order = [c.id for c in message.competencies]
        return cls(
            scenario_id=message.scenario.id,
            scenario_version=message.scenario.version,
            language=message.language,
            overall_score=_optional(overall, "score"),
            confidence=_optional(overall, "confidence"),
            competencies=[Competency.from_proto(c) for c in message.competencies],
            tags=[Tag.from_proto(t) for t in message.tags],
            fit=Fit.from_proto(message.fit),
            kpi_baselines=[KpiBaseline.from_proto(k) for k in message.kpi_baselines],
            quality=Quality.from_proto(message.quality),
            answers=[AnswerReport.from_proto(a, order) for a in message.answers],
            consent=ConsentReport.from_proto(message.consent),
            duration_s=message.duration_s,
            insufficient_data=_reasons(overall.insufficient_data),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``hirelens score --json``, key for key, plus ``duration_s``."""
        return {
            "scenario": {"id": self.scenario_id, "version": self.scenario_version},
            "language": self.language,
            "overall": {
                "score": self.overall_score,
                "confidence": self.confidence,
                "insufficient_data": [r.to_dict() for r in self.insufficient_data],
            },
            "competencies": [c.to_dict() for c in self.competencies],
            "tags": [t.to_dict() for t in self.tags],
            "fit": self.fit.to_dict(),
            "kpi_baselines": [k.to_dict() for k in self.kpi_baselines],
            "quality": self.quality.to_dict(),
            "answers": [a.to_dict() for a in self.answers],
            "consent": self.consent.to_dict(),
            "duration_s": self.duration_s,
        }


# --- jobs ---------------------------------------------------------------------------------------------------


class JobState(str, enum.Enum):  # noqa: UP042 (StrEnum is Python 3.11+; the SDK supports 3.10)
    """Where a job is; ``DONE``, ``FAILED`` and ``CANCELLED`` are final."""

    UNSPECIFIED = "unspecified"
    QUEUED = "queued"
    DECODING = "decoding"
    ANALYSING = "analysing"
    SCORING = "scoring"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)

    @classmethod
    def from_proto(cls, number: int) -> JobState:
        return _STATES[number] if 0 <= number < len(_STATES) else cls.UNSPECIFIED

    def __str__(self) -> str:
        return self.value


_STATES = list(JobState)  # in proto enum order: UNSPECIFIED = 0 ... CANCELLED = 7


@dataclass(frozen=True, slots=True)
class JobError:
    """Why a job failed: ``reason`` is stable ("BAD_MEDIA", "NOT_SCORABLE"), ``code`` is the gRPC code."""

    code: int
    reason: str
    message: str

    @classmethod
    def from_proto(cls, message: interview_pb2.JobError) -> JobError:
        return cls(message.code, message.reason, message.message)


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """The "job finished" event of an ended job: ``state`` is ``pending``, ``delivered`` or ``dead`` (the
    server gave up after its maximum attempts; ``last_error`` says why)."""

    delivery_id: str
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None

    @classmethod
    def from_proto(cls, message: interview_pb2.WebhookDelivery) -> WebhookDelivery:
        name = interview_pb2.WebhookState.Name(message.state)
        return cls(
            delivery_id=message.delivery_id,
            state=name.removeprefix("WEBHOOK_").lower(),
            attempts=message.attempts,
            last_error=_or_none(message.last_error),
            next_attempt_at=_datetime(message, "next_attempt_at"),
            delivered_at=_datetime(message, "delivered_at"),
        )


@dataclass(frozen=True, slots=True)
class Job:
    """A snapshot of one uploaded interview's analysis; ``result`` once DONE, ``error`` once FAILED."""

    job_id: str
    state: JobState
    progress: float  # 0-1 over the whole job
    candidate_ref: str
    scenario_id: str
    scenario_version: str
    created_at: datetime | None
    updated_at: datetime | None
    uploaded_bytes: int
    result: ScoreResult | None
    error: JobError | None
    attempts: int  # analysis runs started; a job whose worker is lost too often FAILs (WORKER_LOST)
    webhook: WebhookDelivery | None = None  # once DONE or FAILED, when the tenant has a webhook URL

    @property
    def done(self) -> bool:
        """True once the job will not change any more (DONE, FAILED or CANCELLED)."""
        return self.state.terminal

    @classmethod
    def from_proto(cls, message: interview_pb2.Job) -> Job:
        return cls(
            job_id=message.job_id,
            state=JobState.from_proto(message.state),
            progress=message.progress,
            candidate_ref=message.candidate_ref,
            scenario_id=message.scenario_id,
            scenario_version=message.scenario_version,
            created_at=_datetime(message, "created_at"),
            updated_at=_datetime(message, "updated_at"),
            uploaded_bytes=message.uploaded_bytes,
            result=ScoreResult.from_proto(message.result) if message.HasField("result") else None,
            error=JobError.from_proto(message.error) if message.HasField("error") else None,
            attempts=message.attempts,
            webhook=WebhookDelivery.from_proto(message.webhook) if message.HasField("webhook") else None,
        )


# --- erasure and scenarios ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeletionReceipt:
    """Proof of a candidate's erasure, to keep in the platform's records (holds no personal data)."""

    receipt_id: str
    candidate_ref: str
    deleted_at: datetime | None
    jobs_erased: int
    recordings_erased: int
    results_erased: int
    job_ids: list[str]

    @classmethod
    def from_proto(cls, message: candidate_pb2.DeletionReceipt) -> DeletionReceipt:
        return cls(
            receipt_id=message.receipt_id,
            candidate_ref=message.candidate_ref,
            deleted_at=_datetime(message, "deleted_at"),
            jobs_erased=message.jobs_erased,
            recordings_erased=message.recordings_erased,
            results_erased=message.results_erased,
            job_ids=list(message.job_ids),
        )


@dataclass(frozen=True, slots=True)
class ScenarioSummary:
    """A scenario the server can score with: its languages, competencies and the consent it needs."""

    id: str
    version: str
    names: dict[str, str]
    languages: list[str]
    competencies: list[str]
    modalities: list[str]  # "face", "voice": what its signals need consent for

    def name(self, language: str = "en") -> str:
        return _name(self.names, language, self.id)

    @classmethod
    def from_proto(cls, message: scenario_pb2.ScenarioSummary) -> ScenarioSummary:
        return cls(
            id=message.id,
            version=message.version,
            names=_ordered(message.names),
            languages=list(message.languages),
            competencies=list(message.competencies),
            modalities=list(message.modalities),
        )


@dataclass(frozen=True, slots=True)
class ScenarioQuestion:
    """One interview question: its text per language and the competencies it probes."""

    id: str
    text: dict[str, str]
    competencies: list[str]
    time_limit_s: float | None  # None when the scenario sets none

    @classmethod
    def from_proto(cls, message: scenario_pb2.ScenarioQuestion) -> ScenarioQuestion:
        return cls(
            message.id, _ordered(message.text), list(message.competencies), message.time_limit_s or None
        )


@dataclass(frozen=True, slots=True)
class Scenario:
    """A whole scenario: summary, questions in order, and the YAML file it was loaded from."""

    summary: ScenarioSummary
    questions: list[ScenarioQuestion]
    yaml: str

    @property
    def id(self) -> str:
        return self.summary.id

    @property
    def version(self) -> str:
        return self.summary.version

    @classmethod
    def from_proto(cls, message: scenario_pb2.Scenario) -> Scenario:
        return cls(
            ScenarioSummary.from_proto(message.summary),
            [ScenarioQuestion.from_proto(q) for q in message.questions],
            message.yaml,
        )


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """A scenario file checked without installing it: ``problems`` read "line N: field: message"."""

    valid: bool
    problems: list[str]
    summary: ScenarioSummary | None  # when valid

    def __bool__(self) -> bool:
        return self.valid

    @classmethod
    def from_proto(cls, message: scenario_pb2.ValidateScenarioResponse) -> ValidationReport:
        summary = ScenarioSummary.from_proto(message.summary) if message.HasField("summary") else None
        return cls(message.valid, list(message.problems), summary)
