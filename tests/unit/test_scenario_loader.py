"""The scenario loader against the mistakes HR authors make: each names the file, the exact line and field.

The same cases generate the error list in docs/scenarios.md, so the guide shows what the loader really says:
``python -m tests.unit.test_scenario_loader --write`` rewrites that section after a wording change.
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from server.analysis.registry import builtin_analyzer_classes
from server.scoring.loader import ScenarioError, load_scenario, parse_scenario
from server.scoring.policy import PolicyError, load_policy, parse_policy, validate_scenario_file
from server.scoring.registry import ScenarioRegistry
from server.scoring.yaml_data import FileProblems
from tests.conftest import REPO_ROOT

DOCS = REPO_ROOT / "docs" / "scenarios.md"
BEGIN, END = "<!-- error-list:begin -->", "<!-- error-list:end -->"
PLUGIN_SOURCE = REPO_ROOT / "tests" / "plugins" / "hirelens_example_plugin" / "hirelens_example_plugin"

EXAMPLE = """\
# Customer support agent: a small but complete scenario.
id: support_agent
version: 1.0.0
names:
  zh: 客服专员
  en: Customer support agent
  ja: カスタマーサポート担当
  ko: 고객 지원 상담원
description:
  en: Two questions for first-line customer support roles.
  zh: 面向一线客服岗位的两个问题。

questions:
  - id: angry_customer
    text:
      en: Tell me about a time you calmed down an angry customer.
      zh: 请讲一次你安抚愤怒客户的经历。
    time_limit_s: 180
    competencies: [problem_solving, communication]
  - id: busy_shift
    text:
      en: Describe a busy shift when your team helped each other.
      zh: 请描述一次忙碌的班次中团队互相帮助的经历。
    time_limit_s: 150
    competencies: [teamwork, communication]

competencies:
  - id: communication
    names: {zh: 沟通能力, en: Communication, ja: コミュニケーション力, ko: 의사소통 능력}
    signals:
      - signal: speech.filler_rate        # fillers per 100 words: fewer reads as clearer
        weight: 0.4
        norm: {kind: piecewise, points: [[0, 10], [3, 7], [8, 3], [15, 0]]}
      - signal: text.relevance            # how closely the answer addresses the question
        weight: 0.6
        norm: {kind: norm_group, mean: 0.3, sd: 0.1, group: "illustration only: measure your own group"}

  - id: problem_solving
    names: {zh: 解决问题, en: Problem solving, ja: 問題解決力, ko: 문제 해결 능력}
    weight: 2
    signals:
      - signal: text.star.complete
        weight: 0.5
        norm: {kind: boolean, if_true: 9, if_false: 3}
      - signal: text.quantified_results
        weight: 0.5
        norm: {kind: piecewise, points: [[0, 2], [1, 6], [3, 9]]}
    rubric:
      weight: 0.5
      levels:
        - level: weak
          score: 2
          description:
            en: Blames the customer or ends without a resolution.
            zh: 指责客户，或没有解决问题。
          examples:
            en:
              - He was just rude, so I put him through to my manager.
            zh:
              - 那个客户太没礼貌了，我就转给主管了。
        - level: solid
          score: 6
          description:
            en: Listens, apologises and solves the problem.
            zh: 倾听、致歉并解决了问题。
          examples:
            en:
              - I let her explain, apologised for the delay and arranged a replacement the same day.
            zh:
              - 我先让她把情况讲完，为延误道歉，当天就安排了换货。
        - level: strong
          score: 9
          description:
            en: Solves the problem, finds its cause and prevents it from happening again.
            zh: 解决问题、找到原因并防止再次发生。
          examples:
            en:
              - >-
                I confirmed the refund while he was on the line, then found that our order form
                hid the delivery date; we fixed the form and similar complaints fell by 40 percent.
            zh:
              - 我当场确认了退款，又发现订单表单没有显示送达日期；改版后同类投诉下降了四成。

  - id: teamwork
    names: {zh: 团队协作, en: Teamwork, ja: チームワーク, ko: 팀워크}
    signals:
      - signal: text.we_ratio             # share of "we" among "I" and "we"
        weight: 1
        norm: {kind: piecewise, points: [[0, 3], [0.2, 6], [0.4, 9]]}

requirement_profile:
  communication: 6
  problem_solving: 6
  teamwork: 5

tags:
  - id: calm_problem_solver
    names: {zh: 冷静解决问题, en: calm problem solver, ja: 冷静な問題解決者, ko: 침착한 문제 해결자}
    competency: problem_solving
    at_least: 7.5

kpi_mappings:
  - kind: table                           # teamwork 6 -> 70 points (pass), 8 -> 85 (excellent)
    kpi: team_contribution
    names: {zh: 团队贡献度, en: Team contribution, ja: チーム貢献度, ko: 팀 기여도}
    competency: teamwork
    unit: points
    points:
      - {score: 6, target: 70, label: pass}
      - {score: 8, target: 85, label: excellent}
  - kind: relative                        # 7 -> team average, 9 -> 15% above, 5% a point beyond
    kpi: first_contact_resolution
    names: {zh: 首次解决率, en: First-contact resolution, ja: 一次解決率, ko: 첫 통화 해결률}
    competency: problem_solving
    points:
      - {score: 7, target: 0}
      - {score: 9, target: 15}
    per_point: 5
  - kind: bonus                           # 80 points, plus 2 for each point of communication above 5
    kpi: customer_satisfaction
    names: {zh: 客户满意度, en: Customer satisfaction, ja: 顧客満足度, ko: 고객 만족도}
    competency: communication
    unit: points
    base_target: 80
    per_point: 2
    from_score: 5
"""

POLICY = """\
name: strict
forbid_emotion_inference: true
forbid_analyzers: [motion]
require_consent: [face, voice]
"""


def _emotion_analyzer() -> type:
    """The example plugin's emotion analyzer, read from its source (the install path is tested in
    tests/integration/test_scenario_plugins.py)."""
    spec = importlib.util.spec_from_file_location(
        "example_plugin_emotion_source", PLUGIN_SOURCE / "emotion.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EmotionLexiconAnalyzer


@dataclass(frozen=True)
class Mistake:
    """One mistake: how it is made (an edit of EXAMPLE or POLICY, or raw bytes), where it must be reported,
    and what the author should do (for the guide)."""

    title: str
    advice: str
    line: int
    field: str
    fragment: str
    old: str = ""
    new: str = ""
    file: str = "scenario"  # scenario | policy | signals (scenario checked against analyzers and a policy)
    raw: bytes | None = None
    more: tuple[tuple[str, str], ...] = ()  # further edits, applied one after another

    def content(self) -> bytes:
        if self.raw is not None:
            return self.raw
        base = POLICY if self.file == "policy" else EXAMPLE
        text = base
        for old, new in ((self.old, self.new), *self.more):
            assert text.count(old) == 1, f"{self.title}: {old!r} must occur once"
            text = text.replace(old, new)
        return text.encode()

    def messages(self) -> list[str]:
        """What the loader says, run on a real file named role.yaml (or policy.yaml)."""
        name = "policy.yaml" if self.file == "policy" else "role.yaml"
        with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
            Path(name).write_bytes(self.content())
            try:
                if self.file == "policy":
                    load_policy(Path(name), builtin_analyzer_classes())
                elif self.file == "signals":
                    analyzers = [*builtin_analyzer_classes(), _emotion_analyzer()]
                    validate_scenario_file(Path(name), parse_policy(POLICY, "policy.yaml"), analyzers)
                else:
                    load_scenario(Path(name))
            except FileProblems as exc:
                return exc.lines
        raise AssertionError(f"{self.title}: no error")


def _edit(old: str, new: str) -> dict[str, str]:
    return {"old": old, "new": new}


MISTAKES = (
    # --- YAML syntax ----------------------------------------------------------------------------------------
    Mistake(
        "A line indented differently from its neighbours",
        "Line the field up with the other fields of its section, using spaces only.",
        18,
        "",
        "column 6: this line is indented differently",
        **_edit("    time_limit_s: 180", "     time_limit_s: 180"),
    ),
    Mistake(
        "Text containing ': ' without quotes",
        "Put the text in double quotes, or remove the colon.",
        16,
        "",
        "column 19: a ':' where no field can start",
        **_edit("en: Tell me about a time", "en: Question: tell me about a time"),
    ),
    Mistake(
        "A tab used for indentation",
        "Replace the tab with spaces; set your editor to insert spaces for the Tab key.",
        18,
        "",
        "column 1: a character that cannot start a value here (a tab",
        **_edit("    time_limit_s: 180", "\ttime_limit_s: 180"),
    ),
    Mistake(
        "A quote that is never closed",
        "Add the closing quote at the end of the text.",
        16,
        "",
        "column 11: a quote opened here is never closed",
        **_edit("      en: Tell me about a time", '      en: "Tell me about a time'),
    ),
    Mistake(
        "A list in [ ] that is not closed",
        "Close the list with ']' on the same line.",
        19,
        "",
        "column 19: a list in [ ] opened here is not closed",
        **_edit(
            "competencies: [problem_solving, communication]", "competencies: [problem_solving, communication"
        ),
    ),
    Mistake(
        "Two documents in one file",
        "Keep one scenario per file: remove the '---' line and what follows, or move that to its own file.",
        4,
        "",
        "a second document starts here",
        **_edit("version: 1.0.0\n", "version: 1.0.0\n---\n"),
    ),
    Mistake(
        "An empty file",
        "Start from the complete example in this guide.",
        1,
        "",
        "the file is empty",
        raw=b"# nothing yet\n",
    ),
    Mistake(
        "A file not saved as UTF-8",
        "Save the file as UTF-8 (in most editors: Save as, Encoding: UTF-8).",
        5,
        "",
        "the file is not UTF-8 text",
        raw=EXAMPLE.encode("gb18030"),
    ),
    # --- fields ---------------------------------------------------------------------------------------------
    Mistake(
        "A misspelt field name",
        "Correct the spelling; the message lists the fields allowed in that place.",
        32,
        "competencies[communication].signals[speech.filler_rate].weigth",
        "unknown field 'weigth' (did you mean 'weight'?); expected one of: signal, weight, norm, "
        "norm_by_language",
        **_edit("        weight: 0.4\n", "        weigth: 0.4\n"),
    ),
    Mistake(
        "A required field left out",
        "Add the field; the message says what it must hold.",
        84,
        "competencies[teamwork].names",
        "missing field 'names'; expected a section with the fields zh, en, ja, ko",
        **_edit("    names: {zh: 团队协作, en: Teamwork, ja: チームワーク, ko: 팀워크}\n", ""),
    ),
    Mistake(
        "A display name missing in one language",
        "Names need all four languages: zh, en, ja and ko.",
        5,
        "names.ko",
        "missing field 'ko'; expected non-empty text",
        **_edit("  ko: 고객 지원 상담원\n", ""),
    ),
    Mistake(
        "A field given twice",
        "Keep one of the two lines.",
        33,
        "competencies[communication].signals[speech.filler_rate].weight",
        "field 'weight' is given twice (first on line 32); expected each field once",
        **_edit("        weight: 0.4\n", "        weight: 0.4\n        weight: 0.5\n"),
    ),
    Mistake(
        "Text where a section is expected",
        "Write the section as 'field: value' lines, or in { } on one line.",
        85,
        "competencies[teamwork].names",
        "'Teamwork' is not a section of 'field: value' lines; "
        "expected a section with the fields zh, en, ja, ko",
        **_edit("names: {zh: 团队协作, en: Teamwork, ja: チームワーク, ko: 팀워크}", "names: Teamwork"),
    ),
    Mistake(
        "A weight that is not a number",
        "Write a plain number such as 0.4 (no % sign, no words).",
        32,
        "competencies[communication].signals[speech.filler_rate].weight",
        "'40%' is not a number; expected a number greater than 0",
        **_edit("        weight: 0.4\n", "        weight: 40%\n"),
    ),
    Mistake(
        "A value left empty",
        "Fill in the value after the colon.",
        18,
        "questions[angry_customer].time_limit_s",
        "the value is empty; expected a number greater than 0 and at most 3600 "
        "(seconds the candidate has to answer)",
        **_edit("    time_limit_s: 180", "    time_limit_s:"),
    ),
    Mistake(
        "A score outside 0 to 10",
        "Scores, thresholds and requirement levels are on the 0-10 scale.",
        100,
        "tags[calm_problem_solver].at_least",
        "75 is out of range; expected a number from 0 to 10",
        **_edit("at_least: 7.5", "at_least: 75"),
    ),
    Mistake(
        "A version that is not three numbers",
        "Write the version as three numbers separated by dots, like 1.0.0 or 1.2.0.",
        3,
        "version",
        "'1.0' is not in the right form; expected a version of three numbers, like 1.0.0",
        **_edit("version: 1.0.0", "version: 1.0"),
    ),
    Mistake(
        "An id with capitals or spaces",
        "Ids use small letters, digits and underscores: support_agent, not Support Agent.",
        2,
        "id",
        "'Support Agent' is not in the right form; expected an id in lower_snake_case",
        **_edit("id: support_agent", "id: Support Agent"),
    ),
    Mistake(
        "A signal name that is not a signal name",
        "Use a full signal name from docs/signals.md or docs/signals_text.md, such as text.relevance.",
        34,
        "competencies[communication].signals[relevance].signal",
        "'relevance' is not in the right form; expected a signal name such as text.star.result",
        **_edit("      - signal: text.relevance ", "      - signal: relevance "),
    ),
    Mistake(
        "A tag from a programming language",
        "Remove the tag: scenario files hold plain values only and never run code.",
        18,
        "questions[angry_customer].time_limit_s",
        "the tag '!!python/object/apply:os.system' is not allowed: these files are data and never run code",
        **_edit("    time_limit_s: 180", "    time_limit_s: !!python/object/apply:os.system [echo]"),
    ),
    # --- norms ----------------------------------------------------------------------------------------------
    Mistake(
        "An unknown norm kind",
        "Use one of the three norm kinds described in this guide.",
        47,
        "competencies[problem_solving].signals[text.quantified_results].norm.kind",
        "unknown kind 'linear'; expected kind: one of piecewise, norm_group, boolean",
        **_edit(
            "{kind: piecewise, points: [[0, 2], [1, 6], [3, 9]]}",
            "{kind: linear, points: [[0, 2], [1, 6], [3, 9]]}",
        ),
    ),
    Mistake(
        "A norm without a kind",
        "Add kind: piecewise, norm_group or boolean.",
        47,
        "competencies[problem_solving].signals[text.quantified_results].norm.kind",
        "missing field 'kind'; expected kind: one of piecewise, norm_group, boolean",
        **_edit("{kind: piecewise, points: [[0, 2], [1, 6], [3, 9]]}", "{points: [[0, 2], [1, 6], [3, 9]]}"),
    ),
    Mistake(
        "Norm points that do not go up",
        "Sort the points by their first number (the signal value), smallest first, with no value twice.",
        33,
        "competencies[communication].signals[speech.filler_rate].norm.points[3]",
        "the points do not go up: 2 comes after 3; expected the first number of each "
        "[signal value, score] point to be larger than the one before",
        **_edit("[[0, 10], [3, 7], [8, 3], [15, 0]]", "[[0, 10], [3, 7], [2, 3], [15, 0]]"),
    ),
    Mistake(
        "A piecewise norm with one point",
        "Give at least two [signal value, score] points.",
        47,
        "competencies[problem_solving].signals[text.quantified_results].norm.points",
        "the list has 1 item; expected a list of at least 2 items, "
        "each a pair [a number, a number from 0 to 10]",
        **_edit("points: [[0, 2], [1, 6], [3, 9]]", "points: [[0, 2]]"),
    ),
    Mistake(
        "A norm point that is not a pair",
        "Each point is [signal value, score]: two numbers in brackets.",
        47,
        "competencies[problem_solving].signals[text.quantified_results].norm.points[2]",
        "the list has 3 items; expected a pair [a number, a number from 0 to 10]",
        **_edit("[[0, 2], [1, 6], [3, 9]]", "[[0, 2], [1, 6, 8], [3, 9]]"),
    ),
    # --- rubric ---------------------------------------------------------------------------------------------
    Mistake(
        "Rubric levels out of order",
        "List the levels weak, then solid, then strong.",
        51,
        "competencies[problem_solving].rubric.levels",
        "the levels are in the order solid, weak, strong; expected weak, solid, strong, in that order",
        **_edit("- level: weak\n          score: 2\n", "- level: solid\n          score: 2\n"),
        more=(("- level: solid\n          score: 6\n", "- level: weak\n          score: 6\n"),),
    ),
    Mistake(
        "Rubric level scores that do not rise",
        "Give weak the lowest score and strong the highest.",
        51,
        "competencies[problem_solving].rubric.levels",
        "the level scores are 2, 6, 5; expected scores that rise from weak to strong",
        **_edit("          score: 9\n", "          score: 5\n"),
    ),
    Mistake(
        "A rubric level name that does not exist",
        "Levels are named weak, solid and strong.",
        61,
        "competencies[problem_solving].rubric.levels[good].level",
        "'good' is not allowed; expected one of weak, solid, strong",
        **_edit("- level: solid", "- level: good"),
    ),
    Mistake(
        "A rubric level without examples in one language",
        "Give at least one example answer in English (en) and one in Chinese (zh) for every level.",
        77,
        "competencies[problem_solving].rubric.levels[strong].examples",
        "no example answer in zh; expected at least one example answer in each of en and zh",
        **_edit(
            "            zh:\n              - 我当场确认了退款，又发现订单表单没有显示送达日期；"
            "改版后同类投诉下降了四成。\n",
            "",
        ),
    ),
    # --- references between sections ------------------------------------------------------------------------
    Mistake(
        "A question that probes a competency that is not defined",
        "Use an id from the competencies section, or add the competency.",
        25,
        "questions[busy_shift].competencies",
        "unknown competency 'team_work'; expected one of the competencies defined in this file: "
        "communication, problem_solving, teamwork",
        **_edit("competencies: [teamwork, communication]", "competencies: [team_work, communication]"),
    ),
    Mistake(
        "Two questions with the same id",
        "Give every question its own id.",
        20,
        "questions[angry_customer].id",
        "the question id 'angry_customer' is used twice (first on line 14)",
        **_edit("  - id: busy_shift", "  - id: angry_customer"),
    ),
    Mistake(
        "A requirement for a competency that is not defined",
        "Use an id from the competencies section.",
        93,
        "requirement_profile.problem_solvin",
        "unknown competency 'problem_solvin'",
        **_edit("  problem_solving: 6\n", "  problem_solvin: 6\n"),
    ),
    Mistake(
        "A tag for a competency that is not defined",
        "Use an id from the competencies section.",
        99,
        "tags[calm_problem_solver].competency",
        "unknown competency 'calmness'",
        **_edit("    competency: problem_solving\n    at_least", "    competency: calmness\n    at_least"),
    ),
    Mistake(
        "A KPI mapping for a competency that is not defined",
        "Use an id from the competencies section.",
        106,
        "kpi_mappings[team_contribution].competency",
        "unknown competency 'team_spirit'",
        **_edit("    competency: teamwork\n", "    competency: team_spirit\n"),
    ),
    # --- signals and policies -------------------------------------------------------------------------------
    Mistake(
        "A signal no analyzer measures",
        "Check the spelling against docs/signals.md and docs/signals_text.md; "
        "a plugin's signals need the plugin installed.",
        34,
        "competencies[communication].signals[text.relevanse]",
        "no analyzer emits signal 'text.relevanse' (competency 'communication'); expected a signal from "
        "docs/signals.md or docs/signals_text.md, or one an installed analyzer plugin emits "
        "(did you mean 'text.relevance'?)",
        file="signals",
        **_edit("      - signal: text.relevance ", "      - signal: text.relevanse "),
    ),
    Mistake(
        "A signal whose analyzer infers emotion, under a policy that forbids that (the EU policy)",
        "Remove the signal: in this deployment no analyzer that infers emotion may run.",
        87,
        "competencies[teamwork].signals[emotion.valence]",
        "policy 'strict': rule forbid_emotion_inference forbids analyzer 'emotion_lexicon' "
        "(it infers emotion), which scenario 'support_agent' needs for signal 'emotion.valence' "
        "in competency 'teamwork'",
        file="signals",
        **_edit("      - signal: text.we_ratio ", "      - signal: emotion.valence "),
    ),
    Mistake(
        "A signal whose analyzer the policy forbids by name",
        "Remove the signal, or ask whoever owns the deployment policy.",
        87,
        "competencies[teamwork].signals[motion.active_ratio]",
        "policy 'strict': rule forbid_analyzers forbids analyzer 'motion', "
        "which scenario 'support_agent' needs",
        file="signals",
        **_edit("      - signal: text.we_ratio ", "      - signal: motion.active_ratio "),
    ),
    Mistake(
        "A policy rule that does not exist",
        "Policies have the fields listed in the message.",
        2,
        "forbid_emotion",
        "unknown field 'forbid_emotion' (did you mean 'forbid_emotion_inference'?); expected one of: name, "
        "description, forbid_emotion_inference, forbid_analyzers, require_consent",
        file="policy",
        **_edit("forbid_emotion_inference: true", "forbid_emotion: true"),
    ),
    Mistake(
        "A policy forbidding an analyzer that is not installed",
        "Use an analyzer name from docs/signals.md or docs/signals_text.md (the name column).",
        3,
        "forbid_analyzers",
        "no analyzer named 'motions' is installed (did you mean 'motion'?)",
        file="policy",
        **_edit("forbid_analyzers: [motion]", "forbid_analyzers: [motions]"),
    ),
    Mistake(
        "A consent requirement for an unknown modality",
        "Consent can be required for face and voice.",
        4,
        "require_consent[2]",
        "'camera' is not allowed; expected one of face, voice",
        file="policy",
        **_edit("require_consent: [face, voice]", "require_consent: [face, camera]"),
    ),
)


def test_the_example_is_a_valid_scenario() -> None:
    scenario = parse_scenario(EXAMPLE, "role.yaml")
    assert scenario.id == "support_agent"
    assert [c.id for c in scenario.competencies] == ["communication", "problem_solving", "teamwork"]
    assert scenario.competencies[1].weight == 2
    assert [k.kind for k in scenario.kpi_mappings] == ["table", "relative", "bonus"]
    norm = scenario.competencies[0].signals[1].norm
    assert (norm.kind, norm.mean, norm.sd, norm.group) == (
        "norm_group",
        0.3,
        0.1,
        "illustration only: measure your own group",
    )


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.title for m in MISTAKES])
def test_each_mistake_names_file_line_and_field(mistake: Mistake) -> None:
    lines = mistake.messages()
    assert len(lines) == 1, lines
    name = "policy.yaml" if mistake.file == "policy" else "role.yaml"
    prefix = f"{name}:{mistake.line}: " + (f"{mistake.field}: " if mistake.field else "")
    assert lines[0].startswith(prefix), lines[0]
    assert mistake.fragment in lines[0], lines[0]
    if mistake.raw is None:
        assert "; expected " in lines[0], lines[0]


def test_several_mistakes_are_reported_together_in_line_order() -> None:
    text = EXAMPLE.replace("at_least: 7.5", "at_least: x").replace(
        "        weight: 0.4\n", "        weigth: 0.4\n"
    )
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "role.yaml")
    assert [line.split(": ")[0] for line in caught.value.lines] == ["role.yaml:32", "role.yaml:100"]
    assert "unknown field 'weigth' (did you mean 'weight'?)" in caught.value.lines[0]
    assert "'x' is not a number" in caught.value.lines[1]
    assert str(caught.value).splitlines() == caught.value.lines


def test_at_most_twenty_lines_are_reported() -> None:
    text = EXAMPLE.replace("time_limit_s: 180", "time_limit_s: x\n    a: 1\n    b: 2\n    c: 3\n    d: 4")
    text = text.replace("  zh: 客服专员\n", "".join(f"  x{i}: 1\n" for i in range(25)))
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "role.yaml")
    assert len(caught.value.lines) == 20
    assert str(caught.value).endswith("more problems in role.yaml")


def test_yaml_one_point_one_surprises_keep_what_the_author_wrote() -> None:
    """``No`` stays text and ``1.0`` in a text field stays '1.0' (a plain YAML loader gives False and 1.0)."""
    text = EXAMPLE.replace(
        "              - He was just rude, so I put him through to my manager.",
        "              - No\n              - 1.0",
    )
    scenario = parse_scenario(text, "role.yaml")
    assert scenario.competencies[1].rubric.levels[0].examples["en"] == ["No", "1.0"]


def test_loading_never_executes_code(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = EXAMPLE.replace(
        "time_limit_s: 180", f"time_limit_s: !!python/object/apply:os.system ['touch {marker}']"
    )
    with pytest.raises(ScenarioError):
        parse_scenario(text, "role.yaml")
    assert not marker.exists()


def test_an_alias_that_contains_itself_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"role.yaml:2: names.zh: an alias that contains itself"):
        parse_scenario("id: x\nnames: &a {zh: *a}\n", "role.yaml")


def test_aliases_may_repeat_a_value() -> None:
    text = EXAMPLE.replace(
        "norm: {kind: piecewise, points: [[0, 3], [0.2, 6], [0.4, 9]]}",
        "norm: *filler",
    ).replace("norm: {kind: piecewise, points: [[0, 10]", "norm: &filler {kind: piecewise, points: [[0, 10]")
    scenario = parse_scenario(text, "role.yaml")
    assert scenario.competencies[2].signals[0].norm == scenario.competencies[0].signals[0].norm


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"nope.yaml:1: no such file"):
        load_scenario(tmp_path / "nope.yaml")


def test_a_policy_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY)
    policy = load_policy(path, builtin_analyzer_classes())
    assert (
        policy.name,
        policy.forbid_emotion_inference,
        policy.forbid_analyzers,
        policy.require_consent,
    ) == (
        "strict",
        True,
        ["motion"],
        ["face", "voice"],
    )
    with pytest.raises(PolicyError, match=r"p.yaml:1: name: missing field 'name'"):
        parse_policy("forbid_emotion_inference: true\n", str(path))


def test_every_builtin_scenario_validates() -> None:
    """Every file in plugins/scenarios, whoever added it, loads and can be measured by built-in analyzers."""
    files = sorted((REPO_ROOT / "plugins" / "scenarios").glob("*.yaml"))
    assert files
    analyzers = builtin_analyzer_classes()
    for path in files:
        validate_scenario_file(path, None, analyzers)
    registry = ScenarioRegistry(use_plugins=False)
    assert len(registry.entries()) == len(files)  # no id and version twice


# --- the error list in docs/scenarios.md ------------------------------------------------------------------


def error_list() -> str:
    """The docs section: every mistake, what to do, and the message the loader really gives."""
    out = []
    for m in MISTAKES:
        out += [f"**{m.title}.** {m.advice}", "", "```"]
        out += [*m.messages(), "```", ""]
    return "\n".join(out)


def _docs_section(text: str) -> str:
    match = re.search(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), text, re.DOTALL)
    assert match, f"docs/scenarios.md lacks the {BEGIN} ... {END} section"
    return match.group(1)


def test_the_guide_lists_every_message_as_the_loader_gives_it() -> None:
    assert _docs_section(DOCS.read_text()) == error_list(), (
        "docs/scenarios.md is out of date: run python -m tests.unit.test_scenario_loader --write"
    )


def test_the_guide_example_is_this_example() -> None:
    assert f"```yaml\n{EXAMPLE}```" in DOCS.read_text()


def _write_docs() -> None:
    text = DOCS.read_text()
    section = _docs_section(text)
    DOCS.write_text(text.replace(f"{BEGIN}\n{section}{END}", f"{BEGIN}\n{error_list()}{END}"))


if __name__ == "__main__":
    _write_docs() if "--write" in sys.argv else print(error_list())
