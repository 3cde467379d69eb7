"""Score an analysed interview against a scenario: competencies, overall, tags, fit and KPI baselines.

Per competency, the answers that count are those to questions that probe it plus those whose content
evidences it (``question_match.evidenced_competencies``). For each such answer:

- every declared signal that was measured (and whose modality may be used) is normed to 0-10; their weights
  are renormalised over the signals present;
- with a rubric, answer score = (1 - rubric.weight) x signal score + rubric.weight x rubric score (the rubric
  alone when no signal was measured, the signals alone when the rubric has no examples in the language);
- coverage = the share of the declared weight that was available (rubric.weight for the rubric, the rest
  split by signal weight);
- evidence strength = amount x recogniser x face: amount = 1 - exp(-units / EVIDENCE_UNITS) (words in
  English, characters in Chinese), recogniser = mean word probability (1 for typed text), face = the answer's
  face.presence when a face signal is used (1 otherwise).

Competency score = mean of its answers' scores. Confidence = mean coverage x (1 - prod(1 - strength)):
coverage caps it (missing signals are not made up by more answers), and every further answer adds evidence.
Overall score = competency-weight-weighted mean of the scored competencies; overall confidence = the same
weighted mean of confidences with unscored competencies counted as 0. Scores are reported to one decimal,
and tags, fit and KPI targets are computed from the reported score, so a reader can check them by hand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from server.pipeline.result import AnalysedAnswer, AnalysisResult
from server.scoring.kpi import kpi_target
from server.scoring.norms import check_norms, norm_score
from server.scoring.question_match import QuestionMatch, evidenced_competencies, match_question
from server.scoring.refusals import (
    FACE,
    MODALITIES,
    ConsentPolicy,
    NotAnalysed,
    Refusal,
    answer_refusals,
    blocked_modalities,
    consent_refusal,
    content_units,
    interview_refusals,
    signal_modality,
)
from server.scoring.rubric import RubricMatch, rubric_match
from server.scoring.scenario import Competency, Scenario

ALL = MODALITIES
SCORE_DECIMALS = 1
EVIDENCE_UNITS = {"en": 50, "zh": 100}
"""Units of content at which an answer's amount of evidence reaches 63 % (1 - 1/e): 50 English words (about
20 seconds of speech) or 100 Chinese characters; 150 words give 95 %. A one-minute answer is near-complete
evidence; a 20-word answer (the minimum) gives a third."""

Via = Literal["question", "content"]


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _refusals(items: Iterable[Refusal]) -> list[Refusal]:
    """Deduplicated, in order."""
    seen: dict[tuple[str, str, int | None], Refusal] = {}
    for item in items:
        seen.setdefault((item.code, item.message, item.answer), item)
    return list(seen.values())


@dataclass(frozen=True, slots=True)
class SignalUse:
    """One signal behind an answer's score: raw value, its normed 0-10 score, weight, first evidence."""

    signal: str
    value: Any
    score: float
    weight: float
    evidence: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        value = round(self.value, 4) if isinstance(self.value, float) else self.value
        return {
            "signal": self.signal,
            "value": value,
            "score": round(self.score, 2),
            "weight": self.weight,
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class AnswerScore:
    """What one answer contributes to one competency."""

    answer: int
    question_id: str | None
    via: Via
    score: float
    coverage: float
    strength: float
    signals: list[SignalUse]
    rubric: RubricMatch | None
    rubric_weight: float

    def to_dict(self) -> dict[str, Any]:
        rubric = None
        if self.rubric is not None:
            rubric = {
                "score": round(self.rubric.score, 2),
                "weight": self.rubric_weight,
                "level": self.rubric.level,
                "similarities": self.rubric.similarities,
                "evidence": self.rubric.evidence.to_dict(),
            }
        return {
            "answer": self.answer,
            "question": self.question_id,
            "via": self.via,
            "score": round(self.score, 2),
            "coverage": round(self.coverage, 3),
            "evidence_strength": round(self.strength, 3),
            "signals": [s.to_dict() for s in self.signals],
            "rubric": rubric,
        }


@dataclass(slots=True)
class CompetencyScore:
    id: str
    names: dict[str, str]
    weight: float
    score: float | None
    confidence: float | None
    coverage: float | None
    evidence: list[AnswerScore] = field(default_factory=list)
    insufficient_data: list[Refusal] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "names": self.names,
            "weight": self.weight,
            "score": self.score,
            "confidence": self.confidence,
            "coverage": _round(self.coverage, 3),
            "evidence": [e.to_dict() for e in self.evidence],
            "insufficient_data": [r.to_dict() for r in self.insufficient_data],
        }


@dataclass(frozen=True, slots=True)
class Tag:
    id: str
    names: dict[str, str]
    competency: str
    score: float
    at_least: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "names": self.names,
            "competency": self.competency,
            "score": self.score,
            "at_least": self.at_least,
        }


@dataclass(frozen=True, slots=True)
class Requirement:
    competency: str
    required: float
    score: float | None
    met: bool | None


@dataclass(slots=True)
class Fit:
    """Fit against the requirement profile: the weighted mean attainment min(1, score / required), as a
    percentage; refused when a required competency has no score."""

    percent: float | None
    requirements: list[Requirement]
    insufficient_data: list[Refusal] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "percent": self.percent,
            "met": sum(1 for r in self.requirements if r.met),
            "required": len(self.requirements),
            "requirements": [
                {"competency": r.competency, "required": r.required, "score": r.score, "met": r.met}
                for r in self.requirements
            ],
            "insufficient_data": [r.to_dict() for r in self.insufficient_data],
        }


@dataclass(frozen=True, slots=True)
class KpiBaseline:
    """A first-year KPI target implied by a competency score, and where the mapping came from."""

    kpi: str
    names: dict[str, str]
    competency: str
    score: float | None
    target: float | None
    unit: str
    label: str | None
    source: str
    kind: str
    insufficient_data: tuple[Refusal, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kpi": self.kpi,
            "names": self.names,
            "competency": self.competency,
            "score": self.score,
            "target": _round(self.target, 2),
            "unit": self.unit,
            "label": self.label,
            "source": self.source,
            "kind": self.kind,
            "insufficient_data": [r.to_dict() for r in self.insufficient_data],
        }


@dataclass(frozen=True, slots=True)
class AnswerReport:
    """How one answer was read: the question it answers, what its content evidences, why it was dropped."""

    index: int
    question: str | None
    match: QuestionMatch
    language: str
    units: int
    evidences: dict[str, float]
    refusals: list[Refusal]

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "question": self.question,
            "question_id": self.match.question_id,
            "match": {
                "method": self.match.method,
                "closest": self.match.closest,
                "similarity": self.match.similarity,
            },
            "language": self.language,
            "units": self.units,
            "evidences": self.evidences,
            "refusals": [r.to_dict() for r in self.refusals],
        }


@dataclass(slots=True)
class ScoreResult:
    scenario_id: str
    scenario_version: str
    language: str
    score: float | None
    confidence: float | None
    insufficient_data: list[Refusal]
    competencies: list[CompetencyScore]
    tags: list[Tag]
    fit: Fit
    kpi_baselines: list[KpiBaseline]
    quality: dict[str, Any]
    answers: list[AnswerReport]
    consent: frozenset[str]
    blocked: frozenset[str]
    not_analysed: tuple[NotAnalysed, ...] = ()

    def competency(self, competency_id: str) -> CompetencyScore:
        return next(c for c in self.competencies if c.id == competency_id)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``hirelens score --json``."""
        return {
            "scenario": {"id": self.scenario_id, "version": self.scenario_version},
            "language": self.language,
            "overall": {
                "score": self.score,
                "confidence": self.confidence,
                "insufficient_data": [r.to_dict() for r in self.insufficient_data],
            },
            "competencies": [c.to_dict() for c in self.competencies],
            "tags": [t.to_dict() for t in self.tags],
            "fit": self.fit.to_dict(),
            "kpi_baselines": [k.to_dict() for k in self.kpi_baselines],
            "quality": self.quality,
            "answers": [a.to_dict() for a in self.answers],
            "consent": {
                "given": sorted(self.consent),
                "not_used": sorted(self.blocked),
                "not_analysed": [n.to_dict() for n in self.not_analysed],
            },
        }


# --- one answer, one competency ---------------------------------------------------------------------------


def _strength(analysed: AnalysedAnswer, uses_face: bool) -> float:
    answer = analysed.answer
    saturation = EVIDENCE_UNITS.get(answer.language, EVIDENCE_UNITS["en"])
    amount = 1.0 - math.exp(-content_units(answer) / saturation)
    recogniser = sum(w.probability for w in answer.words) / len(answer.words) if answer.words else 1.0
    face = 1.0
    if uses_face:
        presence = analysed.signals.get("face.presence")
        face = float(presence.value) if presence is not None else 0.0
    return amount * recogniser * face


def score_answer(
    competency: Competency,
    analysed: AnalysedAnswer,
    question_id: str | None,
    via: Via,
    blocked: frozenset[str],
) -> AnswerScore | None:
    """One answer's contribution to one competency; None when none of its evidence was measured."""
    used = []
    declared = sum(item.weight for item in competency.signals)
    for item in competency.signals:
        signal = analysed.signals.get(item.signal)
        if signal is None or signal_modality(item.signal) in blocked:
            continue
        first = signal.evidence[0].to_dict() if signal.evidence else None
        used.append(
            SignalUse(
                item.signal,
                signal.value,
                norm_score(item.norm_for(analysed.answer.language), signal.value),
                item.weight,
                first,
            )
        )
    rubric = rubric_match(competency.rubric, analysed.answer) if competency.rubric else None
    if not used and rubric is None:
        return None
    rubric_weight = competency.rubric.weight if competency.rubric else 0.0
    present = sum(s.weight for s in used)
    signal_coverage = present / declared
    signal_score = sum(s.score * s.weight for s in used) / present if used else 0.0
    if rubric is None:
        score = signal_score
    elif not used:
        score = rubric.score
    else:
        score = (1 - rubric_weight) * signal_score + rubric_weight * rubric.score
    coverage = (1 - rubric_weight) * signal_coverage + (rubric_weight if rubric is not None else 0.0)
    uses_face = any(signal_modality(s.signal) == FACE for s in used)
    return AnswerScore(
        answer=analysed.answer.index,
        question_id=question_id,
        via=via,
        score=score,
        coverage=coverage,
        strength=_strength(analysed, uses_face),
        signals=used,
        rubric=rubric,
        rubric_weight=rubric_weight,
    )


# --- one competency ----------------------------------------------------------------------------------------


def _unscored_reasons(
    competency: Competency,
    candidates: list[tuple[AnalysedAnswer, str | None, Via]],
    refused: dict[int, list[Refusal]],
    blocked: frozenset[str],
) -> list[Refusal]:
    if not candidates:
        return [
            Refusal(
                "no_evidence",
                "No answer was given to a question that probes this competency, and no answer's content "
                "evidences it",
            )
        ]
    reasons = [r for analysed, _, _ in candidates for r in refused.get(analysed.answer.index, [])]
    if any(analysed.answer.index not in refused for analysed, _, _ in candidates):
        modalities = {m for s in competency.signals if (m := signal_modality(s.signal)) in blocked}
        if modalities:
            reasons.append(consent_refusal(modalities))
        else:
            names = ", ".join(s.signal for s in competency.signals)
            reasons.append(
                Refusal(
                    "signals_missing",
                    f"None of the signals this competency is scored from was measured ({names})",
                )
            )
    return _refusals(reasons)


def score_competency(
    competency: Competency,
    candidates: list[tuple[AnalysedAnswer, str | None, Via]],
    refused: dict[int, list[Refusal]],
    blocked: frozenset[str],
) -> CompetencyScore:
    names = competency.names.model_dump()
    usable = [c for c in candidates if c[0].answer.index not in refused]
    scored = [
        s for analysed, qid, via in usable if (s := score_answer(competency, analysed, qid, via, blocked))
    ]
    if not scored:
        reasons = _unscored_reasons(competency, candidates, refused, blocked)
        return CompetencyScore(competency.id, names, competency.weight, None, None, None, [], reasons)
    score = sum(s.score for s in scored) / len(scored)
    coverage = sum(s.coverage for s in scored) / len(scored)
    confidence = coverage * (1.0 - math.prod(1.0 - s.strength for s in scored))
    return CompetencyScore(
        competency.id,
        names,
        competency.weight,
        round(score, SCORE_DECIMALS),
        round(confidence, 2),
        coverage,
        scored,
    )


# --- the interview -----------------------------------------------------------------------------------------


def _tags(scenario: Scenario, scores: dict[str, float | None]) -> list[Tag]:
    return [
        Tag(rule.id, rule.names.model_dump(), rule.competency, score, rule.at_least)
        for rule in scenario.tags
        if (score := scores.get(rule.competency)) is not None and score >= rule.at_least
    ]


def _attainment(score: float, required: float) -> float:
    return 1.0 if required == 0 else min(1.0, score / required)


def _fit(scenario: Scenario, scores: dict[str, float | None]) -> Fit:
    weights = {c.id: c.weight for c in scenario.competencies}
    requirements = []
    attained = total = 0.0
    missing = []
    for cid, required in scenario.requirement_profile.items():
        score = scores.get(cid)
        requirements.append(Requirement(cid, required, score, None if score is None else score >= required))
        if score is None:
            missing.append(cid)
        else:
            attained += weights[cid] * _attainment(score, required)
            total += weights[cid]
    if missing:
        reason = Refusal(
            "requirements_not_assessed",
            f"No score for required competencies: {', '.join(missing)}",
        )
        return Fit(None, requirements, [reason])
    if not requirements:
        return Fit(None, [], [Refusal("no_requirement_profile", "The scenario declares no requirements")])
    return Fit(round(100.0 * attained / total, 1), requirements)


def _kpi_baselines(scenario: Scenario, competencies: dict[str, CompetencyScore]) -> list[KpiBaseline]:
    baselines = []
    for mapping in scenario.kpi_mappings:
        scored = competencies[mapping.competency]
        names = mapping.names.model_dump()
        unit = mapping.unit
        if scored.score is None:
            reasons = (
                Refusal("competency_not_scored", f"No score for {mapping.competency}: no baseline from it"),
                *scored.insufficient_data,
            )
            baselines.append(
                KpiBaseline(
                    mapping.kpi,
                    names,
                    mapping.competency,
                    None,
                    None,
                    unit,
                    None,
                    "declared",
                    mapping.kind,
                    reasons,
                )
            )
            continue
        target = kpi_target(mapping, scored.score)
        baselines.append(
            KpiBaseline(
                mapping.kpi,
                names,
                mapping.competency,
                scored.score,
                target.target,
                target.unit,
                target.label,
                target.source,
                mapping.kind,
            )
        )
    return baselines


def _candidates(
    scenario: Scenario,
    analysis: AnalysisResult,
    matches: list[QuestionMatch],
    evidences: list[dict[str, float]],
) -> dict[str, list[tuple[AnalysedAnswer, str | None, Via]]]:
    probes = {q.id: set(q.competencies) for q in scenario.questions}
    out: dict[str, list[tuple[AnalysedAnswer, str | None, Via]]] = {c.id: [] for c in scenario.competencies}
    for analysed, match, evidenced in zip(analysis.answers, matches, evidences, strict=True):
        asked = probes.get(match.question_id or "", set())
        for cid in out:
            if cid in asked:
                out[cid].append((analysed, match.question_id, "question"))
            elif cid in evidenced:
                out[cid].append((analysed, match.question_id, "content"))
    return out


def score_interview(
    scenario: Scenario,
    analysis: AnalysisResult,
    consent: frozenset[str] = ALL,
    policy: ConsentPolicy | None = None,
) -> ScoreResult:
    """Every score the scenario defines for this analysed interview, or the reasons it cannot be given."""
    check_norms(scenario)
    blocked = blocked_modalities(frozenset(consent), policy)
    stop = interview_refusals(scenario, analysis, frozenset(consent), policy)
    matches = [match_question(scenario, a.answer.question) for a in analysis.answers]
    refused = {a.answer.index: r for a in analysis.answers if (r := answer_refusals(a.answer))}
    evidences = [
        {} if stop or a.answer.index in refused else evidenced_competencies(scenario, a.answer)
        for a in analysis.answers
    ]
    reports = [
        AnswerReport(
            a.answer.index,
            a.answer.question,
            match,
            a.answer.language,
            content_units(a.answer),
            evidenced,
            refused.get(a.answer.index, []),
        )
        for a, match, evidenced in zip(analysis.answers, matches, evidences, strict=True)
    ]
    if stop:
        competencies = [
            CompetencyScore(c.id, c.names.model_dump(), c.weight, None, None, None, [], list(stop))
            for c in scenario.competencies
        ]
    else:
        candidates = _candidates(scenario, analysis, matches, evidences)
        competencies = [
            score_competency(c, candidates[c.id], refused, blocked) for c in scenario.competencies
        ]
    by_id = {c.id: c for c in competencies}
    scores = {c.id: c.score for c in competencies}
    scored = [(c.weight, c.score, c.confidence or 0.0) for c in competencies if c.score is not None]
    total_weight = sum(c.weight for c in competencies)
    overall: float | None
    confidence: float | None
    if scored:
        weight = sum(w for w, _, _ in scored)
        overall = round(sum(w * score for w, score, _ in scored) / weight, SCORE_DECIMALS)
        confidence = round(sum(w * conf for w, _, conf in scored) / total_weight, 2)
        reasons: list[Refusal] = []
    else:
        overall = confidence = None
        reasons = _refusals(stop or [r for c in competencies for r in c.insufficient_data])
    return ScoreResult(
        scenario_id=scenario.id,
        scenario_version=scenario.version,
        language=analysis.language,
        score=overall,
        confidence=confidence,
        insufficient_data=reasons,
        competencies=competencies,
        tags=_tags(scenario, scores),
        fit=_fit(scenario, scores),
        kpi_baselines=_kpi_baselines(scenario, by_id),
        quality=analysis.quality.to_dict(),
        answers=reports,
        consent=frozenset(consent),
        blocked=blocked,
        not_analysed=analysis.not_analysed,
    )
