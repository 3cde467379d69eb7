"""Deployment policies: which analyzers may run at all, and which modalities need recorded consent.

A policy is a YAML file (``plugins/policies/eu.yaml``) read like a scenario file: data only, every mistake
named by file, line and field. The EU policy forbids emotion inference at work (EU AI Act, Art. 5(1)(f)):
an analyzer declaring ``infers_emotion = True`` is then never instantiated, and a scenario that needs one
fails validation with a message naming the rule, the analyzer and the signal.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from yaml.nodes import Node

from server.scoring.loader import ScenarioError, parse_scenario_document
from server.scoring.refusals import signal_modality
from server.scoring.registry import plugin_data
from server.scoring.scenario import Identifier, Scenario
from server.scoring.schema_errors import CLOSE, validate
from server.scoring.yaml_data import (
    FileProblems,
    Problem,
    child,
    compose,
    items,
    line_of,
    read_text,
    scalar,
    to_data,
)

Modality = Literal["face", "voice"]


class PolicyError(FileProblems):
    """A policy file has mistakes, or names something that does not exist."""


class Policy(BaseModel):
    """What a deployment allows. The default policy allows everything that is installed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Identifier
    description: str | None = None
    forbid_emotion_inference: bool = Field(
        default=False,
        description="analyzers that infer emotion cannot run, as EU AI Act Art. 5(1)(f) requires",
    )
    forbid_analyzers: list[str] = Field(default_factory=list, description="analyzer names that cannot run")
    require_consent: list[Modality] = Field(
        default_factory=list, description="modalities whose analysis needs the candidate's recorded consent"
    )

    def allows(self, analyzer: Any) -> str | None:
        """None when ``analyzer`` (class or instance) may run, else which rule forbids it."""
        name = getattr(analyzer, "name", "?")
        if self.forbid_emotion_inference and getattr(analyzer, "infers_emotion", False):
            rule = "rule forbid_emotion_inference"
            return f"policy '{self.name}': {rule} forbids analyzer '{name}' (it infers emotion)"
        if name in self.forbid_analyzers:
            return f"policy '{self.name}': rule forbid_analyzers forbids analyzer '{name}'"
        return None


def parse_policy(text: str, source: str, analyzers: Iterable[Any] | None = None) -> Policy:
    """The policy in YAML ``text``. With ``analyzers`` (the installed ones), a name in ``forbid_analyzers``
    that matches none of them is an error: a misspelt name would silently forbid nothing."""
    root = compose(text, source, PolicyError)
    policy = validate(Policy, to_data(root, source, PolicyError), root, source, PolicyError)
    if analyzers is not None:
        known = sorted({a.name for a in analyzers})
        problems = []
        for node in items(child(root, "forbid_analyzers")):
            name = scalar(node) or ""
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1, cutoff=CLOSE)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                message = (
                    f"no analyzer named '{name}' is installed{hint}; expected one of: {', '.join(known)}"
                )
                problems.append(Problem(line_of(node), "forbid_analyzers", message))
        if problems:
            raise PolicyError(source, problems)
    return policy


def load_policy(path: Path, analyzers: Iterable[Any] | None = None) -> Policy:
    return parse_policy(read_text(path, PolicyError), str(path), analyzers)


def builtin_policies() -> dict[str, Path]:
    """The policies shipped in ``plugins/policies``, by file name without ``.yaml``."""
    return {p.stem: p for p in sorted(plugin_data("policies").glob("*.yaml"))}


def find_policy(name_or_path: str, analyzers: Iterable[Any] | None = None) -> Policy:
    """A policy file, or a built-in policy by name (``eu``, ``default``)."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return load_policy(path, analyzers)
    shipped = builtin_policies()
    if name_or_path not in shipped:
        known = ", ".join(shipped)
        message = f"no such file or built-in policy; expected a .yaml file or one of: {known}"
        raise PolicyError(name_or_path, [Problem(1, "", message)])
    return load_policy(shipped[name_or_path], analyzers)


# --- scenarios under a policy -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignalProblem:
    """A signal a scenario uses that cannot be measured here: no analyzer emits it, or policy forbids it."""

    competency: str
    signal: str
    message: str
    expected: str


def signal_problems(
    scenario: Scenario, policy: Policy | None, analyzers: Iterable[Any]
) -> list[SignalProblem]:
    """Every signal of the scenario needs an installed analyzer that the policy allows."""
    analyzers = list(analyzers)
    known = sorted({s for a in analyzers for s in a.signals})
    problems = []
    for competency in scenario.competencies:
        for weighted in competency.signals:
            signal = weighted.signal
            emitters = [a for a in analyzers if signal in a.signals]
            if not emitters:
                close = difflib.get_close_matches(signal, known, n=1, cutoff=CLOSE)
                problems.append(
                    SignalProblem(
                        competency.id,
                        signal,
                        f"no analyzer emits signal '{signal}' (competency '{competency.id}')",
                        "a signal from docs/signals.md or docs/signals_text.md, or one an installed analyzer "
                        "plugin emits" + (f" (did you mean '{close[0]}'?)" if close else ""),
                    )
                )
            for analyzer in emitters:
                reason = policy.allows(analyzer) if policy is not None else None
                if reason:
                    problems.append(
                        SignalProblem(
                            competency.id,
                            signal,
                            f"{reason}, which scenario '{scenario.id}' needs for signal '{signal}' "
                            f"in competency '{competency.id}'",
                            "only signals whose analyzers this policy allows",
                        )
                    )
    return problems


def check_scenario(scenario: Scenario, policy: Policy | None, analyzers: Iterable[Any]) -> list[str]:
    """What stops ``scenario`` from being scored here: signals no analyzer emits, and analyzers it needs
    (those declaring a signal it uses) that ``policy`` forbids. Empty when it can be scored."""
    return [p.message for p in signal_problems(scenario, policy, analyzers)]


def used_modalities(scenario: Scenario) -> set[str]:
    """face.* signals -> face, voice.* -> voice; ``requires_face`` also means the face is analysed."""
    used: set[str] = {
        modality
        for competency in scenario.competencies
        for weighted in competency.signals
        if (modality := signal_modality(weighted.signal)) is not None
    }
    if scenario.requires_face:
        used.add("face")
    return used


def consent_needed(scenario: Scenario, policy: Policy | None) -> set[str]:
    """The modalities the scenario analyses for which ``policy`` requires recorded consent."""
    if policy is None:
        return set()
    return set(used_modalities(scenario) & set(policy.require_consent))


def validate_scenario_text(
    text: str, source: str, policy: Policy | None, analyzers: Iterable[Any]
) -> Scenario:
    """The scenario, checked against the schema, the installed analyzers and ``policy``; every problem is a
    ``file:line: field: ...`` line, the line being that of the signal at fault."""
    scenario, root = parse_scenario_document(text, source)
    problems = [
        Problem(
            _signal_line(root, p.competency, p.signal),
            f"competencies[{p.competency}].signals[{p.signal}]",
            f"{p.message}; expected {p.expected}",
        )
        for p in signal_problems(scenario, policy, analyzers)
    ]
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def validate_scenario_file(path: Path, policy: Policy | None, analyzers: Iterable[Any]) -> Scenario:
    return validate_scenario_text(read_text(path, ScenarioError), str(path), policy, analyzers)


def _signal_line(root: Node, competency: str, signal: str) -> int:
    for node in items(child(root, "competencies")):
        if scalar(child(node, "id")) == competency:
            for weighted in items(child(node, "signals")):
                value = child(weighted, "signal")
                if scalar(value) == signal:
                    return line_of(value)
            return line_of(node)
    return 1
