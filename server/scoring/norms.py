"""Signal value -> 0-10 through the norm a scenario declares for it.

A norm is the scenario author's statement of what a value means for the role (120-170 words a minute reads as
clear; a filler every 50 words is fine). Only scalar signals can be normed: a number through a piecewise or
norm-group norm, a yes/no signal through a boolean norm. Lists and dicts (``text.keywords``) carry evidence,
not a magnitude, so a scenario that weights one is refused when it is checked, not silently scored as 0.
"""

from __future__ import annotations

import bisect
import math
from typing import Any, Literal

from server.errors import HireLensError
from server.scoring.scenario import BooleanNorm, Norm, NormGroupNorm, PiecewiseNorm, Scenario

ValueKind = Literal["number", "boolean", "list"]

NON_NUMERIC_SIGNALS: dict[str, ValueKind] = {
    "text.star.complete": "boolean",
    "text.keywords": "list",
}
"""Built-in signals whose value is not a number; every other signal is taken to be numeric. An analyzer
that adds a boolean or list signal must be listed here so scenarios using it are checked correctly."""

NORM_GROUP_SLOPE = 2.0
"""Points per standard deviation around 5: the mean scores 5, one sd above 7, 2.5 sd reach the ends."""


class NormError(HireLensError, ValueError):
    """A value the norm cannot score (wrong kind), or a scenario that weights an unscorable signal."""


def signal_kind(name: str) -> ValueKind:
    return NON_NUMERIC_SIGNALS.get(name, "number")


def _piecewise(points: list[tuple[float, float]], x: float) -> float:
    """Linear between points, flat beyond the first and last: a declared norm is never extrapolated."""
    xs = [p[0] for p in points]
    if x <= xs[0]:
        return points[0][1]
    if x >= xs[-1]:
        return points[-1][1]
    i = bisect.bisect_right(xs, x)
    (x0, y0), (x1, y1) = points[i - 1], points[i]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def _norm_group(norm: NormGroupNorm, x: float) -> float:
    z = (x - norm.mean) / norm.sd
    if norm.direction == "lower":
        z = -z
    return min(10.0, max(0.0, 5.0 + NORM_GROUP_SLOPE * z))


def norm_score(norm: Norm, value: Any) -> float:
    """The 0-10 score of one signal value; ``NormError`` when the value is not the kind the norm reads."""
    if isinstance(norm, BooleanNorm):
        if not isinstance(value, bool):
            raise NormError(f"a boolean norm needs a true/false value, got {type(value).__name__} {value!r}")
        return float(norm.if_true if value else norm.if_false)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NormError(f"a {norm.kind} norm needs a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise NormError(f"a {norm.kind} norm needs a finite number, got {value!r}")
    if isinstance(norm, PiecewiseNorm):
        return _piecewise(norm.points, float(value))
    return _norm_group(norm, float(value))


def known_signals() -> frozenset[str]:
    """Every signal an installed analyzer (built-in or plugin) declares."""
    from server.analysis.registry import analyzer_classes

    return frozenset(name for analyzer in analyzer_classes() for name in analyzer.signals)


def norm_problems(scenario: Scenario, known: frozenset[str] | None = None) -> list[str]:
    """What is wrong with the scenario's signal weights: unknown signals, unscorable (list) signals, and a
    norm of the wrong kind for the value (a boolean norm on a number or a number norm on yes/no)."""
    known = known_signals() if known is None else known
    problems = []
    for competency in scenario.competencies:
        for item in competency.signals:
            where = f"competency {competency.id}: signal {item.signal}"
            kind = signal_kind(item.signal)
            if item.signal not in known:
                problems.append(f"{where}: no analyzer emits this signal")
            elif kind == "list":
                problems.append(f"{where}: its value is a list, which has no magnitude to score")
            elif kind == "boolean" and any(n.kind != "boolean" for n in item.all_norms()):
                problems.append(f"{where}: a yes/no signal needs a boolean norm")
            elif kind == "number" and any(n.kind == "boolean" for n in item.all_norms()):
                problems.append(f"{where}: a numeric signal needs a piecewise or norm_group norm")
    return problems


def check_norms(scenario: Scenario) -> None:
    """Raise ``NormError`` naming every problem ``norm_problems`` finds."""
    problems = norm_problems(scenario)
    if problems:
        raise NormError(f"scenario {scenario.id}: " + "; ".join(problems))
