"""Third-party plugins for real: tests/plugins/hirelens_example_plugin is installed with pip into a temporary
folder, and HireLens finds its scenario and its analyzers through the entry points it declares."""

from __future__ import annotations

import gc
import importlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.analysis.base import Answer, RecordingFeatures
from server.analysis.registry import analyzer_classes, analyzers_for
from server.pipeline.analyze import run_analyzers
from server.scoring.policy import check_scenario, find_policy, validate_scenario_file
from server.scoring.registry import (
    ANALYZER_GROUP,
    SCENARIO_GROUP,
    PluginError,
    ScenarioRegistry,
    plugin_analyzers,
)
from tests.conftest import REPO_ROOT

PLUGIN = REPO_ROOT / "tests" / "plugins" / "hirelens_example_plugin"
EU = find_policy("eu")


def _forget(prefix: str) -> None:
    for name in [n for n in sys.modules if n == prefix or n.startswith(f"{prefix}.")]:
        del sys.modules[name]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The plugin installed by pip (offline, no build isolation) into its own folder on sys.path."""
    tmp = tmp_path_factory.mktemp("plugin")
    source, target = tmp / "source", tmp / "site"
    shutil.copytree(
        PLUGIN, source
    )  # building writes build/ and egg-info next to the sources: not in the repo
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "--target", str(target), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()  # also drops importlib.metadata's cached view of sys.path
    yield target
    sys.path.remove(str(target))
    _forget("hirelens_example_plugin")
    importlib.invalidate_caches()


def test_both_entry_points_are_discovered(site: Path) -> None:
    scenarios = {ep.name: ep.value for ep in importlib.metadata.entry_points(group=SCENARIO_GROUP)}
    analyzers = {ep.name: ep.value for ep in importlib.metadata.entry_points(group=ANALYZER_GROUP)}
    assert scenarios["example"] == "hirelens_example_plugin:scenario_files"
    assert analyzers["hedging"] == "hirelens_example_plugin.hedging:HedgingAnalyzer"
    assert analyzers["emotion_lexicon"] == "hirelens_example_plugin.emotion:EmotionLexiconAnalyzer"
    loaded = {cls.name: cls for cls in plugin_analyzers()}
    assert set(loaded) >= {"hedging", "emotion_lexicon"}
    assert Path(sys.modules[loaded["hedging"].__module__].__file__).is_relative_to(site)  # the installed copy


def test_the_plugin_scenario_is_listed_beside_the_builtin_ones(site: Path) -> None:
    registry = ScenarioRegistry()
    ids = [s.id for s in registry.list()]
    assert "example_team_lead" in ids and "general_behavioral" in ids
    entry = registry.entry("example_team_lead")
    assert entry.source.is_relative_to(site)
    assert entry.plugin is not None and entry.plugin.startswith(
        "'example' (hirelens_example_plugin:scenario_files"
    )
    assert entry.scenario.version == "0.1.0"
    assert [c.id for c in entry.scenario.competencies] == ["decisiveness", "composure"]


def test_the_plugin_scenario_validates_and_the_eu_policy_forbids_its_emotion_signal(site: Path) -> None:
    path = ScenarioRegistry().entry("example_team_lead").source
    analyzers = analyzer_classes()
    assert validate_scenario_file(path, None, analyzers).id == "example_team_lead"
    assert check_scenario(ScenarioRegistry().get("example_team_lead"), EU, analyzers) == [
        "policy 'eu': rule forbid_emotion_inference forbids analyzer 'emotion_lexicon' (it infers emotion), "
        "which scenario 'example_team_lead' needs for signal 'emotion.valence' in competency 'composure'"
    ]


def test_the_plugin_analyzer_runs_and_the_forbidden_one_is_never_built(site: Path) -> None:
    emotion_class = next(cls for cls in plugin_analyzers() if cls.name == "emotion_lexicon")
    gc.collect()
    analyzers = analyzers_for(EU)
    assert "hedging" in [a.name for a in analyzers]
    assert "emotion_lexicon" not in [a.name for a in analyzers]
    assert not any(type(o) is emotion_class for o in gc.get_objects())

    answer = Answer(
        index=0,
        question="Tell me about a hard decision you made for your team.",
        text="I think we should cut the feature. Maybe that was hard, but I was glad we shipped on time.",
        language="en",
    )
    no_models = [a for a in analyzers if not a.models]  # the text-embedding models are not needed here
    signals = run_analyzers(no_models, answer, RecordingFeatures())
    assert signals["hedging.count"].value == 2  # "I think", "Maybe"
    assert signals["hedging.rate"].value == pytest.approx(100 * 2 / 19)
    assert [e.note for e in signals["hedging.count"].evidence] == ["i think", "maybe"]
    assert "emotion.valence" not in signals

    everything = run_analyzers([a for a in analyzers_for(None) if not a.models], answer, RecordingFeatures())
    assert everything["emotion.valence"].value == 1.0  # "glad": one positive word, no negative one


def test_a_scenario_defined_twice_names_both_files(site: Path, tmp_path: Path) -> None:
    plugin_file = ScenarioRegistry().entry("example_team_lead").source
    shutil.copy(plugin_file, tmp_path / "copy.yaml")
    with pytest.raises(PluginError) as caught:
        ScenarioRegistry(builtin_dir=tmp_path).list()
    message = str(caught.value)
    assert "scenario 'example_team_lead' version 0.1.0 is defined twice" in message
    assert str(tmp_path / "copy.yaml") in message and str(plugin_file) in message


def test_a_broken_analyzer_plugin_is_named(tmp_path: Path) -> None:
    """A distribution whose analyzer lacks declarations: found through real metadata, refused by name."""
    (tmp_path / "broken_plugin.py").write_text(
        "class NoSignals:\n    name = 'broken'\n    models = ()\n    needs_recording = False\n"
        "    def analyze(self, answer, features):\n        return {}\n"
    )
    info = tmp_path / "broken_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{ANALYZER_GROUP}]\nbroken = broken_plugin:NoSignals\n")
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    try:
        with pytest.raises(PluginError) as caught:
            plugin_analyzers()
    finally:
        sys.path.remove(str(tmp_path))
        _forget("broken_plugin")
        importlib.invalidate_caches()
    assert str(caught.value) == (
        "analyzer plugin 'broken' (broken_plugin:NoSignals, from broken-plugin): "
        "class attribute 'signals' is missing; expected a non-empty tuple of signal names (str)"
    )


def _hirelens(site: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *map(str, args)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_cli_sees_the_plugin(site: Path) -> None:
    result = _hirelens(site, "scenarios", "list")
    assert result.returncode == 0, result.stderr
    assert any(line.startswith("example_team_lead  ") for line in result.stdout.splitlines()), result.stdout

    path = ScenarioRegistry().entry("example_team_lead").source
    result = _hirelens(site, "scenarios", "validate", path, "--policy", "eu")
    assert result.returncode == 2
    where = f"hirelens: error: {path}:32: competencies[composure].signals[emotion.valence]: "
    assert result.stderr.startswith(where), result.stderr
    assert "rule forbid_emotion_inference forbids analyzer 'emotion_lexicon'" in result.stderr
