"""Where scenarios and analyzer plugins come from.

Scenarios: the built-in files in ``plugins/scenarios`` plus those that installed packages register in the
entry-point group ``hirelens.scenarios`` (each entry point loads to a callable returning YAML file paths).
Analyzers: classes registered in the group ``hirelens.analyzers``, checked against the ``Analyzer``
declarations before anything uses them. A broken plugin is an error that names it, never a silent skip.
"""

from __future__ import annotations

import importlib.resources
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from server.errors import HireLensError, InputError, clipped, quoted
from server.scoring.loader import load_scenario
from server.scoring.scenario import Scenario

SCENARIO_GROUP = "hirelens.scenarios"
ANALYZER_GROUP = "hirelens.analyzers"
SIGNAL_NAME = re.compile(r"^[a-z]+(\.[a-z_]+)+$")


class PluginError(HireLensError):
    """An installed plugin is broken (cannot load, wrong shape) or clashes with another source."""


def plugin_data(folder: str) -> Path:
    """A folder of the built-in ``plugins`` package (``scenarios``, ``policies``)."""
    try:
        root = importlib.resources.files("plugins")
    except ModuleNotFoundError:
        raise PluginError(
            "the built-in 'plugins' package is not importable: reinstall hirelens (pip install -e .)"
        ) from None
    return Path(str(root / folder))


def _label(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    origin = f", from {dist.name}" if dist is not None else ""
    return f"'{ep.name}' ({ep.value}{origin})"


def _load(ep: EntryPoint, what: str) -> Any:
    try:
        return ep.load()
    except Exception as exc:  # third-party code: whatever it raises, name the plugin
        raise PluginError(
            f"{what} plugin {_label(ep)} cannot be loaded: {type(exc).__name__}: {exc}"
        ) from exc


def plugin_scenario_files() -> list[tuple[Path, str]]:
    """(file, entry point label) for every scenario file the ``hirelens.scenarios`` plugins provide."""
    found = []
    for ep in entry_points(group=SCENARIO_GROUP):
        provider = _load(ep, "scenario")
        if not callable(provider):
            raise PluginError(
                f"scenario plugin {_label(ep)} is not callable; expected a function returning paths"
            )
        try:
            paths = list(provider())
        except Exception as exc:  # third-party code
            raise PluginError(f"scenario plugin {_label(ep)} failed: {type(exc).__name__}: {exc}") from exc
        for path in paths:
            if not isinstance(path, str | os.PathLike):
                raise PluginError(f"scenario plugin {_label(ep)} returned {path!r}; expected file paths")
            if not Path(path).is_file():
                raise PluginError(f"scenario plugin {_label(ep)} names a missing file: {path}")
            found.append((Path(path), _label(ep)))
    return found


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@dataclass(frozen=True, slots=True)
class Registered:
    scenario: Scenario
    source: Path
    plugin: str | None  # the entry point that provided it; None for built-ins


class ScenarioRegistry:
    """The scenarios known here, loaded once on first use. Every file must validate, and one id+version
    may come from one file only: two would make a score depend on load order."""

    def __init__(self, builtin_dir: Path | None = None, *, use_plugins: bool = True) -> None:
        self._builtin_dir = builtin_dir
        self._use_plugins = use_plugins
        self._scenarios: dict[tuple[str, str], Registered] | None = None

    def _files(self) -> Iterable[tuple[Path, str | None]]:
        folder = self._builtin_dir if self._builtin_dir is not None else plugin_data("scenarios")
        yield from ((p, None) for p in sorted(folder.glob("*.yaml")))
        if self._use_plugins:
            yield from plugin_scenario_files()

    def _load(self) -> dict[tuple[str, str], Registered]:
        if self._scenarios is None:
            scenarios: dict[tuple[str, str], Registered] = {}
            for path, plugin in self._files():
                scenario = load_scenario(path)
                key = (scenario.id, scenario.version)
                if key in scenarios:
                    raise PluginError(
                        f"scenario '{scenario.id}' version {scenario.version} is defined twice: "
                        f"in {scenarios[key].source} and in {path}; expected each id and version once "
                        "(raise the version of one of them)"
                    )
                scenarios[key] = Registered(scenario, path, plugin)
            self._scenarios = scenarios
        return self._scenarios

    def entries(self) -> list[Registered]:
        """Every scenario and version, by id then version."""
        return sorted(self._load().values(), key=lambda r: (r.scenario.id, version_key(r.scenario.version)))

    def list(self) -> list[Scenario]:
        """The latest version of each scenario, by id."""
        latest: dict[str, Scenario] = {}
        for entry in self.entries():
            latest[entry.scenario.id] = entry.scenario
        return list(latest.values())

    def entry(self, id: str, version: str | None = None) -> Registered:
        versions = [e for e in self.entries() if e.scenario.id == id]
        if not versions:
            known = ", ".join(s.id for s in self.list()) or "none"
            raise InputError(f"unknown scenario {quoted(id)}; known scenarios: {known}")
        if version is None:
            return versions[-1]
        for entry in versions:
            if entry.scenario.version == version:
                return entry
        known = ", ".join(e.scenario.version for e in versions)
        raise InputError(f"scenario {quoted(id)} has no version {clipped(version)}; known versions: {known}")

    def get(self, id: str, version: str | None = None) -> Scenario:
        """One scenario: the latest version unless ``version`` is given."""
        return self.entry(id, version).scenario


# --- analyzer plugins ---------------------------------------------------------------------------------------


def _is_str_tuple(value: object) -> bool:
    return isinstance(value, tuple) and all(isinstance(v, str) for v in value)


def analyzer_problems(cls: object) -> list[str]:
    """What is wrong with a would-be analyzer class against the ``Analyzer`` declarations."""
    if not isinstance(cls, type):
        return [f"it is {type(cls).__name__} {cls!r}, not a class"]
    missing = object()
    problems = []
    checks = (
        ("name", lambda v: isinstance(v, str) and bool(v), "a non-empty str"),
        ("models", _is_str_tuple, "a tuple of model names (str)"),
        ("signals", lambda v: _is_str_tuple(v) and bool(v), "a non-empty tuple of signal names (str)"),
        ("needs_recording", lambda v: isinstance(v, bool), "a bool"),
    )
    for attribute, ok, wanted in checks:
        value = getattr(cls, attribute, missing)
        if value is missing:
            problems.append(f"class attribute '{attribute}' is missing; expected {wanted}")
        elif not ok(value):
            problems.append(f"class attribute '{attribute}' is {value!r}; expected {wanted}")
    if not isinstance(getattr(cls, "infers_emotion", False), bool):
        problems.append("class attribute 'infers_emotion' is not a bool")
    if not callable(getattr(cls, "analyze", None)):
        problems.append("it has no method analyze(answer, features)")
    signals = getattr(cls, "signals", ())
    if _is_str_tuple(signals):
        problems += [
            f"signal name '{s}' is not dotted lower case (like text.star.result)"
            for s in signals
            if not SIGNAL_NAME.match(s)
        ]
    return problems


def plugin_analyzers() -> list[type]:
    """The analyzer classes installed packages register under ``hirelens.analyzers`` (not instantiated:
    a policy may forbid some, and those must never load their models)."""
    classes = []
    for ep in entry_points(group=ANALYZER_GROUP):
        cls = _load(ep, "analyzer")
        problems = analyzer_problems(cls)
        if problems:
            raise PluginError(f"analyzer plugin {_label(ep)}: " + "; ".join(problems))
        classes.append(cls)
    return classes
