"""``hirelens scenarios list | show | validate`` as a user runs them: a real process, exit codes, output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.cli import main
from server.scoring.registry import ScenarioRegistry
from tests.integration.test_cli import assert_refused, hirelens
from tests.unit.test_scenario_loader import EXAMPLE

BUILTIN = Path("plugins") / "scenarios" / "general_behavioral.yaml"


def test_list_shows_every_builtin_scenario() -> None:
    result = hirelens("scenarios", "list")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["id", "version", "name", "(en)", "name", "(zh)", "questions", "competencies"]
    row = next(r for r in rows if r.startswith("general_behavioral "))
    assert row.split()[:2] == ["general_behavioral", "2.0.0"]  # the latest version of each
    assert "General behavioural interview" in row and "通用行为面试" in row
    assert row.split()[-2:] == ["5", "6"]
    assert len(rows) == len(ScenarioRegistry(use_plugins=False).list())


def test_list_json() -> None:
    result = hirelens("scenarios", "list", "--json")
    assert result.returncode == 0, result.stderr
    rows = {r["id"]: r for r in json.loads(result.stdout)["scenarios"]}
    assert rows["general_behavioral"] == {
        "id": "general_behavioral",
        "version": "2.0.0",
        "names": {"zh": "通用行为面试", "en": "General behavioural interview"},
        "questions": 5,
        "competencies": 6,
        "plugin": None,
    }


def test_show_is_readable() -> None:
    result = hirelens("scenarios", "show", "general_behavioral", "--version", "1.0.0")  # the theory weights
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("general_behavioral 1.0.0: General behavioural interview / 通用行为面试\n")
    assert "  1. about_yourself (120 s): Tell me about yourself. / 请做一下自我介绍。\n" in out
    assert "     probes: communication, motivation\n" in out
    assert "speech.words_per_minute  weight 0.3   piecewise 60→2, 110→7, 140→10, 175→8, 230→2" in out
    assert "text.star.complete       weight 0.4   boolean yes→9, no→3" in out
    assert "     rubric (weight 0.5): weak 2, solid 6, strong 9\n" in out
    assert "Requirement profile (minimum score)\n  communication: 6\n" in out
    assert "  strong_communicator (strong communicator / 沟通能力优秀): communication at least 8\n" in out
    assert (
        "  team_contribution (Team contribution / 团队贡献度) from teamwork, table: "
        "6 → 70 points (pass), 8 → 85 points (excellent)"
    ) in out


def test_show_json_is_the_whole_scenario() -> None:
    result = hirelens("scenarios", "show", "general_behavioral", "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    entry = ScenarioRegistry(use_plugins=False).entry("general_behavioral")
    assert shown.pop("source") == str(entry.source)
    assert shown.pop("plugin") is None
    assert shown == entry.scenario.model_dump(mode="json")


def test_show_an_unknown_scenario_names_the_known_ones() -> None:
    result = hirelens("scenarios", "show", "nope")
    assert_refused(result, "unknown scenario 'nope'; known scenarios: ", "general_behavioral")
    result = hirelens("scenarios", "show", "general_behavioral", "--version", "9.9.9")
    assert_refused(result, "scenario 'general_behavioral' has no version 9.9.9; known versions: 1.0.0, 2.0.0")


def test_validate_a_good_file() -> None:
    result = hirelens("scenarios", "validate", BUILTIN)
    assert (result.returncode, result.stdout, result.stderr) == (0, "ok: general_behavioral 2.0.0\n", "")


def test_validate_lists_every_mistake_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "role.yaml"
    bad.write_text(
        EXAMPLE.replace("        weight: 0.4\n", "        weigth: 0.4\n").replace(
            "at_least: 7.5", "at_least: 75"
        )
    )
    result = hirelens("scenarios", "validate", bad)
    assert_refused(result)
    assert result.stderr.splitlines() == [
        f"hirelens: error: {bad}:32: competencies[communication].signals[speech.filler_rate].weigth: "
        "unknown field 'weigth' (did you mean 'weight'?); expected one of: signal, weight, norm, "
        "norm_by_language",
        f"{bad}:100: tags[calm_problem_solver].at_least: 75 is out of range; expected a number from 0 to 10",
    ]


def test_validate_under_the_eu_policy_notes_the_consent_needed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    face = tmp_path / "role.yaml"
    face.write_text(EXAMPLE.replace("      - signal: text.we_ratio ", "      - signal: face.gaze_at_camera "))
    result = hirelens("scenarios", "validate", face, "--policy", "eu")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "ok: support_agent 1.0.0\n"
        "note: under policy 'eu' this scenario needs the candidate's recorded consent for: face\n"
    )
    assert main(["scenarios", "validate", str(face), "--policy", "eu", "--json"]) == 0  # in-process: faster
    assert json.loads(capsys.readouterr().out) == {
        "ok": True,
        "id": "support_agent",
        "version": "1.0.0",
        "policy": "eu",
        "consent_needed": ["face"],
    }


def test_validate_with_a_bad_policy_file(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("name: local\nforbid_analyzers: [faces]\n")
    result = hirelens("scenarios", "validate", BUILTIN, "--policy", policy)
    assert_refused(result, f"{policy}:2: forbid_analyzers: no analyzer named 'faces' is installed")
