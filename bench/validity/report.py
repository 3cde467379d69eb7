"""docs/VALIDITY.md from the harness's measurements: every claim with its N and interval."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.validity.stats import Correlation


@dataclass(slots=True)
class Row:
    predictor: str
    kind: str  # overall, competency, signal, baseline
    by_label: dict[str, Correlation | None]


@dataclass(slots=True)
class CorpusReport:
    title: str
    licence: str
    source: str
    n_items: int
    question: str
    labels: Sequence[str]
    primary: str
    scenarios: dict[str, list[Row]]  # "general_behavioral 2.0.0" -> rows
    refused: dict[str, int]
    fit_text: str = ""
    cv_text: str = ""
    notes: list[str] = field(default_factory=list)


def _ci(c: Correlation, which: str) -> str:
    lo, hi = c.pearson_ci95 if which == "r" else c.spearman_ci95
    return f"[{lo:+.2f}, {hi:+.2f}]" if math.isfinite(lo) else "-"


def _cell(c: Correlation | None) -> str:
    return "-" if c is None else f"{c.pearson_r:+.3f} {_ci(c, 'r')}"


def primary_table(rows: list[Row], label: str) -> list[str]:
    out = [
        "| predictor | kind | N | Pearson r [95% CI] | Spearman rho [95% CI] | p |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        c = row.by_label.get(label)
        if c is None:
            out.append(f"| `{row.predictor}` | {row.kind} | - | - | - | - |")
            continue
        out.append(
            f"| `{row.predictor}` | {row.kind} | {c.n} | {c.pearson_r:+.3f} {_ci(c, 'r')} | "
            f"{c.spearman_rho:+.3f} {_ci(c, 'rho')} | {c.p_value:.1g} |"
        )
    return out


def other_labels_table(rows: list[Row], labels: Sequence[str]) -> list[str]:
    out = ["| predictor | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for row in rows:
        out.append(
            f"| `{row.predictor}` | " + " | ".join(_cell(row.by_label.get(lb)) for lb in labels) + " |"
        )
    return out


def render(reports: list[CorpusReport], command: str, machine: str) -> str:
    lines = [
        "# Validity: how well HireLens scores agree with human judgement",
        "",
        "Written by `make validity` (`python -m bench.validity`); do not edit by hand: change the harness",
        "(`bench/validity/`) or the scenario and run it again. Method, norms and weights: the sections after",
        "the tables. Every figure is an observed correlation with its N and a 95 % confidence interval",
        "(Fisher z; Bonett-Wright for Spearman), uncorrected.",
        "",
        f"Command: `{command}`; machine: {machine}.",
        "",
    ]
    for rep in reports:
        lines += [
            f"## {rep.title}",
            "",
            f"{rep.n_items} items; source: {rep.source}; licence: {rep.licence}. Scored as one-answer text "
            f"interviews answering `{rep.question}`, through `analyze_text` + `score_interview` (the path of "
            "`ScoreAnswers` and `hirelens score --answers`).",
            "",
        ]
        for name, rows in rep.scenarios.items():
            lines += [
                f"### {name}: against `{rep.primary}`",
                "",
                f"Refused (no overall score, reasons given instead): {rep.refused.get(name, 0)} items; the "
                "correlations of the overall score use the scored ones.",
                "",
                *primary_table(rows, rep.primary),
                "",
            ]
        if rep.cv_text:
            lines += [rep.cv_text, ""]
        if rep.fit_text:
            lines += [rep.fit_text, ""]
        others = [lb for lb in rep.labels if lb != rep.primary]
        if others:
            first = next(iter(rep.scenarios))
            lines += [
                f"### {first}: against the other labels (Pearson r [95% CI])",
                "",
                *other_labels_table(rep.scenarios[first], others),
                "",
            ]
        lines += [*rep.notes, ""]
    return "\n".join(lines).rstrip() + "\n"
