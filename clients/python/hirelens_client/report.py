"""A plain-text report of a ``ScoreResult`` for HR reviewers: the same layout as ``hirelens score``.

Every number comes with what stands behind it (confidence, the top evidence, the KPI table it was read
from), and every refused score with its reasons, so a reviewer never sees a bare number.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from hirelens_client.results import AnswerReport, Competency, Reason, ScoreResult

__all__ = ["render_report"]


def _score(value: float | None, confidence: float | None) -> str:
    if value is None:
        return "insufficient data"
    return f"{value:.1f}/10 (confidence {confidence or 0.0:.2f})"


def _reasons(items: Sequence[Reason], indent: str) -> list[str]:
    lines = []
    for item in items:
        where = f" [answer {item.answer + 1}]" if item.answer is not None else ""
        lines.append(f"{indent}- {item.code}{where}: {item.message}")
    return lines


def _top_evidence(competency: Competency) -> list[str]:
    """The two strongest answers: the rubric level and excerpt they matched, and their first signals."""
    lines = []
    for item in sorted(competency.evidence, key=lambda e: -e.score)[:2]:
        head = f"      answer {item.answer + 1} ({item.question or 'unmatched'}, via {item.via}): "
        rubric = item.rubric
        if rubric is not None:
            excerpt = textwrap.shorten(rubric.excerpt, 90)
            lines.append(f'{head}rubric {rubric.score:.1f} ({rubric.level}) "{excerpt}"')
        signals = ", ".join(f"{s.signal}={s.score:.1f}" for s in item.signals[:4])
        if signals:
            lines.append(
                f"{head}signals {signals}" if rubric is None else f"{' ' * len(head)}signals {signals}"
            )
    return lines


def _answers(answers: Sequence[AnswerReport]) -> list[str]:
    lines = ["Answers:"]
    for answer in answers:
        match = answer.match
        asked = textwrap.shorten(answer.question or "(no question)", 60)
        if match.method == "unmatched":
            near = f", closest {match.closest} at {match.similarity or 0.0:.2f}" if match.closest else ""
            read = f"unmatched{near}"
        elif match.method == "embedding":
            read = f"{answer.question_id} (matched at {match.similarity or 0.0:.2f})"
        else:
            read = str(answer.question_id)
        extra = f"; content evidences {', '.join(answer.evidences)}" if answer.evidences else ""
        lines.append(f'  {answer.index + 1}. "{asked}" -> {read}; {answer.units} units{extra}')
        lines += _reasons(answer.refusals, "     ")
    return lines


def render_report(result: ScoreResult) -> str:
    """The result as text: overall score, answers, competencies with evidence, tags, fit, KPI baselines and
    capture-quality warnings, and the modalities not analysed for want of consent; refused scores show their
    reasons instead of a number."""
    lines = [
        f"Scenario {result.scenario_id} {result.scenario_version}, language {result.language}",
        f"Overall: {_score(result.overall_score, result.confidence)}",
        *_reasons(result.insufficient_data, "  "),
        *_answers(result.answers),
        "",
        "Competencies:",
    ]
    for competency in result.competencies:
        lines.append(f"  {competency.name('en'):<24} {_score(competency.score, competency.confidence)}")
        lines += _top_evidence(competency)
        if competency.score is None:
            lines += _reasons(competency.insufficient_data, "      ")
    tags = ", ".join(f"{t.name('en')} / {t.name('zh')}" for t in result.tags)
    lines += ["", f"Tags: {tags or 'none'}"]
    fit = result.fit
    if fit.percent is None:
        lines.append("Fit: insufficient data")
        lines += _reasons(fit.insufficient_data, "  ")
    else:
        lines.append(f"Fit: {fit.percent:.1f}% ({fit.met} of {fit.required} requirements met)")
    lines.append("KPI baselines:")
    for kpi in result.kpi_baselines:
        if kpi.target is None:
            lines.append(f"  {kpi.name('en')}: insufficient data ({kpi.competency} not scored)")
            continue
        label = f' "{kpi.label}"' if kpi.label else ""
        lines.append(
            f"  {kpi.name('en')}: {kpi.target:g} {kpi.unit}{label} from {kpi.competency} "
            f"{kpi.score or 0.0:.1f} ({kpi.source})"
        )
    if not result.kpi_baselines:
        lines.append("  none declared")
    warnings = result.quality.warnings
    lines.append("Capture quality: " + ("no warnings" if not warnings else f"{len(warnings)} warning(s)"))
    lines += [f"  ! {w.code}: {w.message}" for w in warnings]
    lines += [f"Not analysed: {n.modality} ({n.code}): {n.reason}" for n in result.consent.not_analysed]
    return "\n".join(lines)
