"""Analyse each item once (cached on disk, keyed by the analysis code), then score it with a scenario: the two
halves of ``server.scoring.text_interview.score_text_answers``, the path ``ScoreAnswers`` and
``hirelens score --answers`` take."""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench.validity.corpora import Corpus, Item
from server.pipeline.result import AnalysisResult
from server.scoring.engine import ScoreResult, score_interview
from server.scoring.refusals import MODALITIES
from server.scoring.scenario import Scenario

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".validity-cache"
ANALYSIS_CODE = ("server/analysis", "server/pipeline/analyze.py", "server/scoring/interview_questions.py")


def analysis_fingerprint() -> str:
    """Changes whenever code that produces signals changes, so a stale cache is never read."""
    digest = hashlib.sha256()
    for root in ANALYSIS_CODE:
        path = REPO / root
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.relative_to(REPO).as_posix().encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


_scenario: Scenario | None = None


def _init(scenario: Scenario) -> None:
    global _scenario
    _scenario = scenario


def _analyse(items: Sequence[Item]) -> list[tuple[str, AnalysisResult]]:
    from server.pipeline.analyze import analyze_text
    from server.scoring.interview_questions import text_answers_for

    assert _scenario is not None
    return [
        (item.id, analyze_text(text_answers_for(_scenario, list(item.answers), "en"), "en")) for item in items
    ]


def analyse_corpus(
    corpus: Corpus,
    scenario: Scenario,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    question: str | None = None,
) -> dict[str, AnalysisResult]:
    """Every item's analysis, from the cache when the analysis code has not changed since."""
    CACHE.mkdir(exist_ok=True)
    key = f"{corpus.name}-{scenario.id}-{question or 'none'}-{analysis_fingerprint()}.pkl"
    path = CACHE / key
    done: dict[str, AnalysisResult] = {}
    if path.is_file():
        with path.open("rb") as handle:
            done = pickle.load(handle)
    todo = [item for item in corpus.items if item.id not in done]
    if todo:
        workers = workers or os.cpu_count() or 1
        chunks = [todo[i : i + 50] for i in range(0, len(todo), 50)]
        with ProcessPoolExecutor(workers, initializer=_init, initargs=(scenario,)) as pool:
            for k, results in enumerate(pool.map(_analyse, chunks)):
                done.update(results)
                if progress is not None:
                    progress(len(done), len(corpus.items))
                if k % 20 == 19:
                    _save(path, done)
        _save(path, done)
    return {item.id: done[item.id] for item in corpus.items}


def _save(path: Path, done: dict[str, AnalysisResult]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as handle:
        pickle.dump(done, handle, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)


def score_all(scenario: Scenario, analyses: dict[str, AnalysisResult]) -> dict[str, ScoreResult]:
    """The scenario's scores for every analysed item (text carries no biometrics: consent changes nothing)."""
    return {item: score_interview(scenario, analysis, MODALITIES) for item, analysis in analyses.items()}


def scalar_signals(analysis: AnalysisResult) -> dict[str, float]:
    """The whole interview's numeric signals (booleans as 0/1), the predictors the report lists."""
    out: dict[str, float] = {}
    for name, signal in analysis.signals.items():
        value: Any = signal.value
        if isinstance(value, int | float):  # bool is an int: yes/no counts as 1/0
            out[name] = float(value)
    return out
