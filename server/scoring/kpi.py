"""Competency score -> first-year KPI target, by the mapping a scenario declares.

Three kinds, all *declared* by the scenario author until outcome data supports a fitted regression:

- ``table``: anchor points (score -> target, label) interpolated linearly, flat beyond the first and last
  anchor (a table says nothing past its ends, so it is not extrapolated). Teamwork 8 -> 85 "excellent",
  6 -> 70 "pass", so 7 -> 77.5 "pass".
- ``relative``: percent above or below the team average. Between anchors the line is interpolated; beyond the
  outermost anchors it continues at ``per_point`` percent per point. Operator proficiency 7 -> 0 % (average),
  9 -> +15 %, 5 % a point: 8 -> +7.5 %, 6 -> -5 %, 10 -> +20 %. The anchors and ``per_point`` need not agree
  (7.5 % a point between 7 and 9, 5 % outside): the anchors are what the role owner stated, ``per_point`` is
  how they asked to extend them.
- ``bonus``: ``base_target`` plus ``per_point`` for every point above ``from_score`` (emotional composure:
  2 customer-satisfaction points a point). Below ``from_score`` there is no bonus, and no penalty: the
  mapping declares what a point adds, not what its absence takes away.

The label is the label of the highest anchor the score reaches (none below the lowest, none for bonus).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from server.scoring.scenario import BonusKpi, KpiMapping, KpiPoint, RelativeKpi, TableKpi

SOURCE_DECLARED = "declared"
"""Where a target comes from; ``fitted`` will name targets regressed on outcome data (server/loop)."""


@dataclass(frozen=True, slots=True)
class KpiTarget:
    target: float
    unit: str
    label: str | None
    source: str = SOURCE_DECLARED


def _sorted(points: list[KpiPoint]) -> list[KpiPoint]:
    return sorted(points, key=lambda p: p.score)


def _interpolate(points: list[KpiPoint], score: float) -> float | None:
    """Linear between anchors; None outside them (each kind decides what happens there)."""
    scores = [p.score for p in points]
    if score < scores[0] or score > scores[-1]:
        return None
    i = bisect.bisect_left(scores, score)
    if scores[i] == score:
        return points[i].target
    a, b = points[i - 1], points[i]
    return a.target + (b.target - a.target) * (score - a.score) / (b.score - a.score)


def _label(points: list[KpiPoint], score: float) -> str | None:
    reached = [p for p in points if p.score <= score]
    return reached[-1].label if reached else None


def table_target(mapping: TableKpi, score: float) -> KpiTarget:
    points = _sorted(mapping.points)
    target = _interpolate(points, score)
    if target is None:
        target = points[0].target if score < points[0].score else points[-1].target
    return KpiTarget(target, mapping.unit, _label(points, score))


def relative_target(mapping: RelativeKpi, score: float) -> KpiTarget:
    points = _sorted(mapping.points)
    target = _interpolate(points, score)
    if target is None:
        end = points[0] if score < points[0].score else points[-1]
        target = end.target + mapping.per_point * (score - end.score)
    return KpiTarget(target, mapping.unit, _label(points, score))


def bonus_target(mapping: BonusKpi, score: float) -> KpiTarget:
    target = mapping.base_target + mapping.per_point * max(0.0, score - mapping.from_score)
    return KpiTarget(target, mapping.unit, None)


def kpi_target(mapping: KpiMapping, score: float) -> KpiTarget:
    """The declared target for a competency score (0-10)."""
    if isinstance(mapping, TableKpi):
        return table_target(mapping, score)
    if isinstance(mapping, RelativeKpi):
        return relative_target(mapping, score)
    return bonus_target(mapping, score)
