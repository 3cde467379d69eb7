"""The scenario format: what a scenario file may say, validated before anything is scored.

A scenario file is data (YAML parsed with ``yaml.safe_load``'s node composer): loading one never executes
code. Field descriptions here are the reference the authoring guide (docs/scenarios.md) quotes.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Language = Literal["zh", "en", "ja", "ko"]
DISPLAY_LANGUAGES: tuple[str, ...] = ("zh", "en", "ja", "ko")
Score = Annotated[float, Field(ge=0, le=10)]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", description="lower_snake_case")]


class Strict(BaseModel):
    """Unknown fields are errors: a misspelt key must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DisplayNames(Strict):
    """A name in each display language; all four are required so every UI can show the scenario."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    ja: str = Field(min_length=1)
    ko: str = Field(min_length=1)


class LocalText(Strict):
    """Text in the interview languages: English and Chinese are required, Japanese and Korean optional."""

    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)
    ja: str | None = None
    ko: str | None = None


class Question(Strict):
    id: Identifier
    text: LocalText
    time_limit_s: float = Field(gt=0, le=3600, description="seconds the candidate has to answer")
    competencies: list[Identifier] = Field(min_length=1, description="competency ids this question probes")


class PiecewiseNorm(Strict):
    """Signal value -> 0-10 by linear interpolation between points, flat beyond the first and last."""

    kind: Literal["piecewise"]
    points: list[tuple[float, Score]] = Field(min_length=2)

    @model_validator(mode="after")
    def _increasing(self) -> PiecewiseNorm:
        xs = [x for x, _ in self.points]
        if any(b <= a for a, b in itertools.pairwise(xs)):
            raise ValueError("points must be in strictly increasing order of signal value")
        return self


class NormGroupNorm(Strict):
    """Against a norm group: z = (value - mean) / sd, score = 5 + 2 z clipped to 0-10 (higher is better,
    or lower is better with ``direction: lower``)."""

    kind: Literal["norm_group"]
    mean: float
    sd: float = Field(gt=0)
    direction: Literal["higher", "lower"] = "higher"
    group: str = Field(min_length=1, description="who the norm was measured on, for the audit trail")


class BooleanNorm(Strict):
    """A yes/no signal: the score when true and when false."""

    kind: Literal["boolean"]
    if_true: Score = 10
    if_false: Score = 0


Norm = Annotated[PiecewiseNorm | NormGroupNorm | BooleanNorm, Field(discriminator="kind")]


class SignalWeight(Strict):
    signal: str = Field(pattern=r"^[a-z]+(\.[a-z_]+)+$", description="a signal name, e.g. text.star.result")
    weight: float = Field(gt=0)
    norm: Norm
    norm_by_language: dict[Literal["en", "zh"], Norm] = Field(
        default_factory=dict,
        description="a norm for answers in one language, used instead of `norm` for them (speaking rate is "
        "words a minute in English but characters a minute in Chinese)",
    )

    def norm_for(self, language: str) -> Norm:
        return self.norm_by_language.get(language, self.norm)  # type: ignore[call-overload]

    def all_norms(self) -> list[Norm]:
        return [self.norm, *self.norm_by_language.values()]


class RubricLevel(Strict):
    """One behaviourally anchored level: its score and example answers at that level, per language."""

    level: Literal["weak", "solid", "strong"]
    score: Score
    description: LocalText
    examples: dict[Literal["en", "zh"], list[str]] = Field(description="example answers at this level")

    @model_validator(mode="after")
    def _both_languages(self) -> RubricLevel:
        missing = [lang for lang in ("en", "zh") if not self.examples.get(lang)]
        if missing:
            raise ValueError(f"examples need at least one answer in {', '.join(missing)}")
        return self


class Rubric(Strict):
    """Anchors a text competency: answers are compared with each level's examples."""

    weight: float = Field(gt=0, le=1, description="share of the competency score that comes from the rubric")
    levels: list[RubricLevel] = Field(min_length=3, max_length=3)

    @model_validator(mode="after")
    def _ordered(self) -> Rubric:
        if [lv.level for lv in self.levels] != ["weak", "solid", "strong"]:
            raise ValueError("levels must be weak, solid, strong, in that order")
        scores = [lv.score for lv in self.levels]
        if scores != sorted(scores) or len(set(scores)) != 3:
            raise ValueError("level scores must rise from weak to strong")
        return self


class Competency(Strict):
    id: Identifier
    names: DisplayNames
    weight: float = Field(default=1.0, gt=0, description="weight in the overall score")
    signals: list[SignalWeight] = Field(min_length=1)
    rubric: Rubric | None = None


class TagRule(Strict):
    id: Identifier
    names: DisplayNames
    competency: Identifier
    at_least: Score


class KpiPoint(Strict):
    score: Score
    target: float
    label: str | None = None


class TableKpi(Strict):
    """Interpolated table: teamwork 8 -> team-contribution target 85 ("excellent"), 6 -> 70 ("pass")."""

    kind: Literal["table"]
    kpi: Identifier
    names: DisplayNames
    competency: Identifier
    unit: str
    points: list[KpiPoint] = Field(min_length=2)


class RelativeKpi(Strict):
    """Relative to the team average, in percent: anchors interpolated, ``per_point`` beyond them
    (operator proficiency 7 -> average, 9 -> 15% above, 5% per point outside)."""

    kind: Literal["relative"]
    kpi: Identifier
    names: DisplayNames
    competency: Identifier
    unit: Literal["percent_vs_team_average"] = "percent_vs_team_average"
    points: list[KpiPoint] = Field(min_length=1)
    per_point: float


class BonusKpi(Strict):
    """A bonus on a base target: each point of the competency adds ``per_point`` (emotional composure:
    2 customer-satisfaction points per point)."""

    kind: Literal["bonus"]
    kpi: Identifier
    names: DisplayNames
    competency: Identifier
    unit: str
    base_target: float
    per_point: float
    from_score: Score = 0


KpiMapping = Annotated[TableKpi | RelativeKpi | BonusKpi, Field(discriminator="kind")]


class Scenario(Strict):
    id: Identifier
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$", description="semantic version, e.g. 1.0.0")
    names: DisplayNames
    description: LocalText | None = None
    requires_face: bool = Field(default=False, description="refuse to score when no face is visible")
    questions: list[Question] = Field(min_length=1)
    competencies: list[Competency] = Field(min_length=1)
    requirement_profile: dict[Identifier, Score] = Field(description="minimum score per competency")
    tags: list[TagRule] = Field(default_factory=list)
    kpi_mappings: list[KpiMapping] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_exist(self) -> Scenario:
        known = {c.id for c in self.competencies}
        problems = []
        for q in self.questions:
            problems += [
                f"question {q.id} probes unknown competency '{c}'" for c in q.competencies if c not in known
            ]
        problems += [
            f"requirement_profile names unknown competency '{c}'"
            for c in self.requirement_profile
            if c not in known
        ]
        problems += [
            f"tag {t.id} uses unknown competency '{t.competency}'"
            for t in self.tags
            if t.competency not in known
        ]
        problems += [
            f"KPI {k.kpi} uses unknown competency '{k.competency}'"
            for k in self.kpi_mappings
            if k.competency not in known
        ]
        for kind, ids in (
            ("question", [q.id for q in self.questions]),
            ("competency", [c.id for c in self.competencies]),
        ):
            problems += [
                f"{kind} id '{i}' is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})
            ]
        if problems:
            raise ValueError("; ".join(problems))
        return self
