"""Labelled corpora the harness can read. Each item is a text interview (answers) with human ratings.

Only public data with a known licence; the data stays outside the repository (``--data`` points at it, by
default ``../shared/data`` beside the checkout) and nothing of it ships in the product.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from server.pipeline.questions import TextAnswer

DEFAULT_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@dataclass(frozen=True, slots=True)
class Item:
    """One rated interview: its answers, its labels (0-1 ratings by name) and the person it shows (folds keep
    a
    person's items together, so no one is in both the fitting and the held-out part)."""

    id: str
    answers: tuple[TextAnswer, ...]
    labels: dict[str, float]
    person: str


@dataclass(frozen=True, slots=True)
class Corpus:
    name: str
    title: str
    licence: str
    source: str
    labels: tuple[str, ...]
    primary_label: str
    items: tuple[Item, ...]


FI_LABELS = ("interview", "openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism")


def first_impressions(data: Path, question: str | None) -> Corpus:
    """ChaLearn First Impressions V2, training split: 15 s vlog clips, professional transcripts, crowd ratings
    of "would you invite this person to a job interview?" (``interview``) and the Big Five. Each clip is a
    one-answer text interview; ``question`` (a scenario question id, or None) is what it answers."""
    path = data / "first_impressions" / "train.csv"
    if not path.is_file():
        raise FileNotFoundError(f"First Impressions transcripts not found: expected {path}")
    items = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            items.append(
                Item(
                    id=row["clip"],
                    answers=(TextAnswer(question=question, answer=row["transcript"]),),
                    labels={name: float(row[name]) for name in FI_LABELS},
                    person=row["clip"].split(".", 1)[0],  # the YouTube video: one speaker
                )
            )
    return Corpus(
        name="first_impressions",
        title="ChaLearn First Impressions V2 (training split)",
        licence="CC BY-NC 4.0 (evaluation and calibration during development; not shipped)",
        source="ChaLearn LAP First Impressions V2 (CVPR 2017 job candidate screening): transcripts, ratings",
        labels=FI_LABELS,
        primary_label="interview",
        items=tuple(items),
    )


def iter_corpora(data: Path, question: str | None) -> Iterator[Corpus]:
    yield first_impressions(data, question)
