"""Deployment policies: the shipped ones, which analyzers they forbid and why, and what needs consent."""

from __future__ import annotations

import gc

import pytest

from server.analysis.face import FaceAnalyzer
from server.analysis.registry import analyzers_for, builtin_analyzer_classes, builtin_analyzers
from server.analysis.text.relevance import RelevanceAnalyzer
from server.scoring.loader import ScenarioError, parse_scenario
from server.scoring.policy import (
    Policy,
    PolicyError,
    check_scenario,
    consent_needed,
    find_policy,
    parse_policy,
    validate_scenario_text,
)
from tests.unit.test_scenario_loader import EXAMPLE, _emotion_analyzer

EU = find_policy("eu")
DEFAULT = find_policy("default")
SIGNAL_SLOT = "      - signal: text.we_ratio "
"""Where EXAMPLE's teamwork competency names its one signal: tests swap in other signals there."""


def _with_signal(signal: str, requires_face: bool = False) -> str:
    text = EXAMPLE.replace(SIGNAL_SLOT, f"      - signal: {signal} ")
    return (
        text.replace("version: 1.0.0\n", "version: 1.0.0\nrequires_face: true\n") if requires_face else text
    )


def test_the_shipped_policies() -> None:
    assert (EU.name, EU.forbid_emotion_inference, EU.forbid_analyzers, EU.require_consent) == (
        "eu",
        True,
        [],
        ["face", "voice"],
    )
    assert (DEFAULT.forbid_emotion_inference, DEFAULT.forbid_analyzers, DEFAULT.require_consent) == (
        False,
        [],
        [],
    )


def test_no_builtin_analyzer_infers_emotion_so_the_eu_policy_keeps_them_all() -> None:
    assert [a.name for a in analyzers_for(EU)] == [a.name for a in builtin_analyzers()]
    assert all(EU.allows(cls) is None for cls in builtin_analyzer_classes())


def test_allows_says_which_rule_forbids_what() -> None:
    emotion = _emotion_analyzer()
    assert EU.allows(emotion) == (
        "policy 'eu': rule forbid_emotion_inference forbids analyzer 'emotion_lexicon' (it infers emotion)"
    )
    assert EU.allows(emotion()) == EU.allows(emotion)  # an instance is judged like its class
    assert DEFAULT.allows(emotion) is None
    no_face = Policy(name="no_face", forbid_analyzers=["face"])
    assert no_face.allows(FaceAnalyzer) == "policy 'no_face': rule forbid_analyzers forbids analyzer 'face'"
    assert no_face.allows(RelevanceAnalyzer) is None


def test_a_forbidden_analyzer_is_never_instantiated() -> None:
    no_face = Policy(name="no_face", forbid_analyzers=["face"])
    gc.collect()
    before = sum(isinstance(o, FaceAnalyzer) for o in gc.get_objects())
    analyzers = analyzers_for(no_face)
    assert "face" not in [a.name for a in analyzers]
    assert sum(isinstance(o, FaceAnalyzer) for o in gc.get_objects()) == before
    assert len(analyzers) == len(builtin_analyzer_classes()) - 1


def test_check_scenario_names_the_rule_the_analyzer_and_the_signal() -> None:
    scenario = parse_scenario(_with_signal("emotion.valence"), "role.yaml")
    analyzers = [*builtin_analyzer_classes(), _emotion_analyzer()]
    assert check_scenario(scenario, EU, analyzers) == [
        "policy 'eu': rule forbid_emotion_inference forbids analyzer 'emotion_lexicon' (it infers emotion), "
        "which scenario 'support_agent' needs for signal 'emotion.valence' in competency 'teamwork'"
    ]
    assert check_scenario(scenario, DEFAULT, analyzers) == []
    assert check_scenario(scenario, None, analyzers) == []


def test_a_signal_no_analyzer_emits_fails_with_or_without_a_policy() -> None:
    scenario = parse_scenario(_with_signal("text.foo"), "role.yaml")
    expected = ["no analyzer emits signal 'text.foo' (competency 'teamwork')"]
    assert check_scenario(scenario, None, builtin_analyzer_classes()) == expected
    assert check_scenario(scenario, EU, builtin_analyzer_classes()) == expected


def test_every_builtin_scenario_can_run_under_the_eu_policy() -> None:
    from server.scoring.registry import ScenarioRegistry

    for scenario in ScenarioRegistry(use_plugins=False).list():
        assert check_scenario(scenario, EU, builtin_analyzer_classes()) == [], scenario.id


def test_consent_is_needed_for_the_modalities_a_scenario_analyses() -> None:
    text_only = parse_scenario(EXAMPLE, "role.yaml")
    face = parse_scenario(_with_signal("face.gaze_at_camera"), "role.yaml")
    voice = parse_scenario(_with_signal("voice.pitch_variability_st"), "role.yaml")
    face_required = parse_scenario(_with_signal("text.we_ratio", requires_face=True), "role.yaml")
    assert consent_needed(text_only, EU) == set()
    assert consent_needed(face, EU) == {"face"}
    assert consent_needed(voice, EU) == {"voice"}
    assert consent_needed(face_required, EU) == {"face"}
    assert consent_needed(face, DEFAULT) == set()
    assert consent_needed(face, None) == set()


def test_validation_under_a_policy_names_the_line_of_the_signal() -> None:
    analyzers = [*builtin_analyzer_classes(), _emotion_analyzer()]
    with pytest.raises(ScenarioError) as caught:
        validate_scenario_text(_with_signal("emotion.valence"), "role.yaml", EU, analyzers)
    (line,) = caught.value.lines
    assert line.startswith("role.yaml:87: competencies[teamwork].signals[emotion.valence]: policy 'eu': ")
    assert validate_scenario_text(EXAMPLE, "role.yaml", EU, analyzers).id == "support_agent"


def test_policy_file_mistakes_are_located() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy("name: eu\nforbid_emotion_inference: maybe\nrequire_consent: face\n", "p.yaml")
    assert caught.value.lines == [
        "p.yaml:2: forbid_emotion_inference: 'maybe' is not true or false; expected true or false "
        "(analyzers that infer emotion cannot run, as EU AI Act Art. 5(1)(f) requires)",
        "p.yaml:3: require_consent: 'face' is not a list; expected a list, each one of face, voice "
        "(modalities whose analysis needs the candidate's recorded consent)",
    ]


def test_yes_and_no_read_as_true_and_false_in_a_policy() -> None:
    assert parse_policy("name: x\nforbid_emotion_inference: yes\n", "p.yaml").forbid_emotion_inference is True


def test_an_unknown_policy_name_lists_the_shipped_ones() -> None:
    with pytest.raises(
        PolicyError, match=r"nowhere:1: no such file or built-in policy; expected .* default, eu"
    ):
        find_policy("nowhere")
