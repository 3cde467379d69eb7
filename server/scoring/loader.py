"""Scenario files -> validated ``Scenario``s, or every mistake as ``file:line: field: problem; expected ...``.

Scenario files are data: they are composed with PyYAML's ``SafeLoader`` and built into plain values by
``yaml_data`` (no constructor, no tag that could run code), then checked by the schema in ``scenario.py``.
The messages are written for HR staff: they name the line to fix and say what would be right.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from yaml.nodes import Node

from server.scoring.scenario import Scenario
from server.scoring.schema_errors import ValueErrorHandler, validate
from server.scoring.yaml_data import (
    FileProblems,
    Problem,
    Spot,
    child,
    compose,
    items,
    join_path,
    line_of,
    read_text,
    scalar,
    to_data,
)


class ScenarioError(FileProblems):
    """A scenario file has mistakes; ``lines`` holds them, one ``file:line: field: problem`` line each."""


def load_scenario(path: Path) -> Scenario:
    """The scenario in a YAML file; raises ``ScenarioError`` naming every mistake (at most 20)."""
    return parse_scenario(read_text(path, ScenarioError), str(path))


def parse_scenario(text: str, source: str) -> Scenario:
    """The scenario in YAML ``text``; ``source`` is the file name the messages give."""
    return parse_scenario_document(text, source)[0]


def parse_scenario_document(text: str, source: str) -> tuple[Scenario, Node]:
    """The scenario and its YAML node tree, for callers that report further problems by line."""
    root = compose(text, source, ScenarioError)
    data = to_data(root, source, ScenarioError)
    return validate(Scenario, data, root, source, ScenarioError, HANDLERS), root


# --- locating the messages of Scenario's own validators -----------------------------------------------------


def find_item(root: Node, section: str, key: str, value: str) -> list[Node]:
    """Every item of a top-level list whose ``key`` is ``value`` (more than one when an id is repeated)."""
    return [n for n in items(child(root, section)) if scalar(child(n, key)) == value]


def competency_ids(root: Node) -> list[str]:
    return [i for n in items(child(root, "competencies")) if (i := scalar(child(n, "id")))]


def _unknown(root: Node, name: str) -> str:
    known = ", ".join(competency_ids(root)) or "none yet"
    return f"unknown competency '{name}'; expected one of the competencies defined in this file: {known}"


def _question(m: re.Match[str], spot: Spot, root: Node) -> list[Problem]:
    question, name = m.groups()
    for node in find_item(root, "questions", "id", question):
        listed = child(node, "competencies")
        bad = next((n for n in items(listed) if scalar(n) == name), listed or node)
        return [Problem(line_of(bad), f"questions[{question}].competencies", _unknown(root, name))]
    return [Problem(1, "questions", _unknown(root, name))]


def _profile(m: re.Match[str], spot: Spot, root: Node) -> list[Problem]:
    name = m.group(1)
    profile = child(root, "requirement_profile")
    key = next((k for k, _ in (profile.value if profile is not None else ()) if scalar(k) == name), None)
    line = line_of(key) if key is not None else 1
    return [Problem(line, f"requirement_profile.{name}", _unknown(root, name))]


def _referrer(section: str, key: str) -> Callable[[re.Match[str], Spot, Node], list[Problem]]:
    """A tag or KPI mapping that names an unknown competency: the line of its ``competency:``."""

    def handler(m: re.Match[str], spot: Spot, root: Node) -> list[Problem]:
        ident, name = m.groups()
        for node in find_item(root, section, key, ident):
            target = child(node, "competency") or node
            return [Problem(line_of(target), f"{section}[{ident}].competency", _unknown(root, name))]
        return [Problem(1, section, _unknown(root, name))]

    return handler


def _duplicate(m: re.Match[str], spot: Spot, root: Node) -> list[Problem]:
    kind, ident = m.groups()
    section = "questions" if kind == "question" else "competencies"
    found = find_item(root, section, "id", ident)
    if len(found) < 2:
        return [Problem(1, section, f"the {kind} id '{ident}' is used twice; expected each {kind} id once")]
    first, second = (child(n, "id") or n for n in found[:2])
    message = (
        f"the {kind} id '{ident}' is used twice (first on line {line_of(first)}); "
        f"expected every {kind} to have its own id"
    )
    return [Problem(line_of(second), f"{section}[{ident}].id", message)]


def _points(m: re.Match[str], spot: Spot, root: Node) -> list[Problem]:
    points = child(spot.node, "points")
    path = join_path([*spot.segments, "points"])
    previous: tuple[float, str] | None = None
    for index, point in enumerate(items(points)):
        first = scalar(next(iter(items(point)), None))
        try:
            value = float(first) if first is not None else None
        except ValueError:
            value = None
        if value is not None and previous is not None and value <= previous[0]:
            message = (
                f"the points do not go up: {first} comes after {previous[1]}; expected the first number of "
                "each [signal value, score] point to be larger than the one before"
            )
            return [Problem(line_of(point), f"{path}[{index + 1}]", message)]
        if value is not None:
            previous = (value, first or "")
    message = "the points do not go up; expected [signal value, score] points in increasing signal value"
    return [Problem(line_of(points or spot.node), path, message)]


def _examples(m: re.Match[str], spot: Spot, root: Node) -> list[Problem]:
    examples = child(spot.node, "examples")
    message = (
        f"no example answer in {m.group(1)}; expected at least one example answer in each of en and zh "
        "(en: [...] and zh: [...])"
    )
    return [Problem(line_of(examples or spot.node), join_path([*spot.segments, "examples"]), message)]


def _levels(m: re.Match[str], spot: Spot, root: Node) -> list[Problem]:
    levels = child(spot.node, "levels")
    names = [scalar(child(n, "level")) or "?" for n in items(levels)]
    scores = [scalar(child(n, "score")) or "?" for n in items(levels)]
    if m.group(0).startswith("levels must"):
        message = (
            f"the levels are in the order {', '.join(names)}; expected weak, solid, strong, in that order"
        )
    else:
        message = (
            f"the level scores are {', '.join(scores)}; expected scores that rise from weak to strong "
            "(for example 2, 6, 9)"
        )
    return [Problem(line_of(levels or spot.node), join_path([*spot.segments, "levels"]), message)]


HANDLERS: tuple[tuple[re.Pattern[str], ValueErrorHandler], ...] = (
    (re.compile(r"question (\S+) probes unknown competency '(.*)'"), _question),
    (re.compile(r"requirement_profile names unknown competency '(.*)'"), _profile),
    (re.compile(r"tag (\S+) uses unknown competency '(.*)'"), _referrer("tags", "id")),
    (re.compile(r"KPI (\S+) uses unknown competency '(.*)'"), _referrer("kpi_mappings", "kpi")),
    (re.compile(r"(question|competency) id '(.*)' is used twice"), _duplicate),
    (re.compile(r"points must be in strictly increasing order of signal value"), _points),
    (re.compile(r"examples need at least one answer in (.+)"), _examples),
    (re.compile(r"levels must be weak, solid, strong, in that order"), _levels),
    (re.compile(r"level scores must rise from weak to strong"), _levels),
)
