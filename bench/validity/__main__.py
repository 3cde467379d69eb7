"""``python -m bench.validity``: score the labelled corpora, measure, fit, and write docs/VALIDITY.md."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import zlib
from pathlib import Path

import numpy as np

from bench.validity.corpora import DEFAULT_DATA, Corpus, first_impressions
from bench.validity.fit import Fit, cross_validate, features, folds
from bench.validity.report import CorpusReport, Row, render
from bench.validity.run import REPO, analyse_corpus, scalar_signals, score_all
from bench.validity.stats import correlate
from bench.validity.weights import FITTED_SIGNALS, with_weights
from server.scoring.registry import ScenarioRegistry
from server.scoring.scenario import Scenario

BASELINES = {
    "word count": "text.word_count",
    "distinct words": "text.distinct_words",
    "filler rate (lower is better)": "speech.filler_rate",
}


def _subset(corpus: Corpus, limit: int | None) -> Corpus:
    if not limit or limit >= len(corpus.items):
        return corpus
    items = sorted(corpus.items, key=lambda i: zlib.crc32(i.id.encode()))[:limit]
    return Corpus(**{**corpus.__dict__, "items": tuple(items)})


def _rows(
    scenario: Scenario, results: dict, labels: dict[str, dict[str, float]], names: list[str]
) -> list[Row]:
    ids = list(results)

    def by_label(values: list[float | None]) -> dict:
        return {lb: correlate(values, [labels[i][lb] for i in ids]) for lb in names}

    rows = [Row("overall", "overall", by_label([results[i].score for i in ids]))]
    for competency in scenario.competencies:
        values = [results[i].competency(competency.id).score for i in ids]
        rows.append(Row(competency.id, "competency", by_label(values)))
    return rows


def _signal_rows(analyses: dict, labels: dict[str, dict[str, float]], names: list[str]) -> list[Row]:
    ids = list(analyses)
    signals = {i: scalar_signals(analyses[i]) for i in ids}
    rows = []
    for label, signal in BASELINES.items():
        sign = -1.0 if "lower is better" in label else 1.0
        values = [None if signal not in signals[i] else sign * signals[i][signal] for i in ids]
        rows.append(
            Row(label, "baseline", {lb: correlate(values, [labels[i][lb] for i in ids]) for lb in names})
        )
    for signal in sorted({s for v in signals.values() for s in v}):
        values = [signals[i].get(signal) for i in ids]
        rows.append(
            Row(signal, "signal", {lb: correlate(values, [labels[i][lb] for i in ids]) for lb in names})
        )
    return rows


def _fit_text(fit: Fit) -> str:
    head = "| fold | " + " | ".join(f"`{n}`" for n in fit.names) + " |"
    lines = [
        "### Weights chosen by cross-validation",
        "",
        "Non-negative ridge regression of `interview` on each item's normed (0-10) shared signal scores "
        f"and its mean rubric score, {len(fit.fold_weights)} folds that keep each YouTube video (one "
        f"speaker) in one fold, ridge alpha chosen by an inner cross-validation (median {fit.alpha:g}). "
        "Weights per fold, normalised to sum 1 (stable across folds = not an accident of one split):",
        "",
        head,
        "|---|" + "---|" * len(fit.names),
    ]
    for k, weights in enumerate(fit.fold_weights):
        lines.append(f"| {k + 1} | " + " | ".join(f"{w:.3f}" for w in weights) + " |")
    lines.append("| mean | " + " | ".join(f"{w:.3f}" for w in fit.weights) + " |")
    lines += ["", f"Cross-validated r of the linear prediction: {fit.cv_r:+.3f} (N = {fit.n})."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.validity", description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding first_impressions/")
    parser.add_argument("--limit", type=int, default=None, help="score a reproducible subset of N items")
    parser.add_argument("--question", default="about_yourself", help="question id the clips answer, or none")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "VALIDITY.md")
    args = parser.parse_args(argv)
    question = None if args.question == "none" else args.question
    registry = ScenarioRegistry()
    latest = registry.get("general_behavioral")
    theory = registry.get("general_behavioral", "1.0.0")
    corpus = _subset(first_impressions(args.data, question), args.limit)
    started = time.monotonic()

    def say(text: str) -> None:
        print(f"[{time.monotonic() - started:7.1f} s] {text}", file=sys.stderr, flush=True)

    analyses = analyse_corpus(
        corpus, latest, args.workers, lambda d, n: say(f"analysed {d}/{n}"), question=question
    )
    labels = {i.id: i.labels for i in corpus.items}
    scenarios: dict[str, list[Row]] = {}
    refused: dict[str, int] = {}
    for scenario in (latest, theory):
        name = f"{scenario.id} {scenario.version}"
        say(f"scoring with {name}")
        results = score_all(scenario, analyses)
        scenarios[name] = _rows(scenario, results, labels, list(corpus.labels))
        refused[name] = sum(1 for r in results.values() if r.score is None)
    signal_rows = _signal_rows(analyses, labels, list(corpus.labels))
    first = next(iter(scenarios))
    scenarios[first] += signal_rows

    say("fitting weights")
    ids = [i.id for i in corpus.items]
    rows = {i: features(latest, analyses[i], FITTED_SIGNALS) for i in ids}
    # the amount signals and the rubric exist for every answer with words; a missing ratio (no pronoun, no
    # filler) is read as the neutral 5
    keep = [i for i in ids if rows[i][0] is not None and rows[i][1] is not None and rows[i][-1] is not None]
    x = np.array([[5.0 if v is None else v for v in rows[i]] for i in keep])
    y = np.array([labels[i][corpus.primary_label] for i in keep])
    groups = [next(it.person for it in corpus.items if it.id == i) for i in keep]
    fit = cross_validate([*FITTED_SIGNALS, "rubric"], x, y, groups)

    say("cross-validating the overall score through the engine")
    fold_of = dict(zip(keep, folds(groups), strict=True))
    predicted: dict[str, float | None] = {}
    for f, weights in enumerate(fit.fold_weights):
        scenario = with_weights(latest, dict(zip(fit.names, weights, strict=True)))
        held_out = {i: analyses[i] for i in keep if fold_of[i] == f}
        predicted |= {i: r.score for i, r in score_all(scenario, held_out).items()}
    cv = correlate([predicted.get(i) for i in keep], [labels[i][corpus.primary_label] for i in keep])
    same_items = [i for i in keep if predicted.get(i) is not None]
    truth = [labels[i][corpus.primary_label] for i in same_items]
    baselines = []
    for label, signal in BASELINES.items():
        sign = -1.0 if "lower is better" in label else 1.0
        values = [
            sign * v if (v := scalar_signals(analyses[i]).get(signal)) is not None else None
            for i in same_items
        ]
        if (c := correlate(values, truth)) is not None:
            baselines.append(f"{label} {c.pearson_r:+.3f}")
    best = max(
        (
            r.by_label[corpus.primary_label].pearson_r
            for r in signal_rows
            if r.by_label.get(corpus.primary_label)
        ),
        default=float("nan"),
    )
    cv_text = (
        "### Cross-validated overall score\n\n"
        "Each fold scored through the real engine with the scenario's weights replaced by those fitted on "
        f"the other folds: overall r = {cv.pearson_r:+.3f} "
        f"[{cv.pearson_ci95[0]:+.2f}, {cv.pearson_ci95[1]:+.2f}], rho = {cv.spearman_rho:+.3f}, N = {cv.n}. "
        f"The best single signal or baseline over all items has r = {best:+.3f}; on these same {cv.n} scored "
        f"items the baselines have r: {', '.join(baselines)}."
        if cv is not None
        else ""
    )
    report = CorpusReport(
        title=corpus.title,
        licence=corpus.licence,
        source=corpus.source,
        n_items=len(corpus.items),
        question=args.question,
        labels=corpus.labels,
        primary=corpus.primary_label,
        scenarios=scenarios,
        refused=refused,
        fit_text=_fit_text(fit),
        cv_text=cv_text,
        notes=[(REPO / "bench" / "validity" / "NOTES.md").read_text(encoding="utf-8")],
    )
    command = "make validity" if not args.limit else f"python -m bench.validity --limit {args.limit}"
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    args.out.write_text(render([report], command, machine), encoding="utf-8")
    say(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
