"""``hirelens score``: score an interview (a recording or text answers) against a scenario, locally."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.errors import InputError

if TYPE_CHECKING:
    from server.pipeline.questions import Question, TextAnswer
    from server.scoring.policy import Policy
    from server.scoring.scenario import Scenario


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("score", help="score an interview against a scenario (no server needed)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("video", nargs="?", type=Path, help="recording: video or audio file")
    source.add_argument(
        "--answers",
        type=Path,
        help='JSON list of {"question": ..., "answer": ...}; question = a scenario question id or the '
        "interviewer's own wording",
    )
    parser.add_argument("--scenario", required=True, help="scenario id, e.g. general_behavioral")
    parser.add_argument("--language", choices=("auto", "en", "zh"), default="auto")
    parser.add_argument(
        "--consent",
        default="face,voice",
        help="biometric modalities the candidate consented to: face,voice (default), face, voice or none",
    )
    parser.add_argument(
        "--policy", help="deployment policy: eu, default or a policy file; forbidden analyzers never run"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--config", type=Path, help="settings file (YAML)")
    parser.set_defaults(run=run, render=render)


def load_scenario(scenario_id: str) -> Scenario:
    """The latest version of the scenario with this id, from the scenario registry (built-in files and
    plugins); an unknown id is an ``InputError`` naming the known ones."""
    from server.scoring.registry import ScenarioRegistry

    return ScenarioRegistry().get(scenario_id)


def parse_consent(text: str) -> frozenset[str]:
    from server.scoring.refusals import MODALITIES

    items = {item.strip().lower() for item in text.split(",") if item.strip()}
    if items == {"none"}:
        return frozenset()
    unknown = items - MODALITIES
    if unknown:
        raise InputError(
            f"--consent takes {', '.join(sorted(MODALITIES))} or none, not {', '.join(sorted(unknown))}"
        )
    return frozenset(items)


def _text_answers(scenario: Scenario, answers: list[TextAnswer], language: str) -> list[TextAnswer]:
    """A question given by id becomes its scenario text in the answer's language, so relevance is measured
    against a real question; free text stays as the interviewer worded it (the engine matches it)."""
    from server.analysis.language import detect_language
    from server.pipeline.questions import TextAnswer

    texts = {q.id: q.text for q in scenario.questions}
    out = []
    for item in answers:
        question = item.question
        if question in texts:
            lang = detect_language(item.answer) if language == "auto" else language
            question = getattr(texts[question], lang, None) or texts[question].en
        out.append(TextAnswer(question=question, answer=item.answer))
    return out


def _recording_questions(scenario: Scenario, language: str) -> list[Question]:
    """The scenario's questions in order, without timestamps: answers are cut at the longest silences. With
    ``auto`` the English texts are used (the spoken language is not known before recognition)."""
    from server.pipeline.questions import Question

    lang = "zh" if language == "zh" else "en"
    return [Question(id=q.id, question=getattr(q.text, lang)) for q in scenario.questions]


def run(args: argparse.Namespace) -> dict[str, Any]:
    consent = parse_consent(args.consent)  # bad arguments are refused before the models load
    scenario = load_scenario(args.scenario)

    from server.config import Settings
    from server.pipeline.analyze import analyze_recording, analyze_text
    from server.pipeline.questions import load_text_answers
    from server.runtime import get_runtime
    from server.scoring.engine import score_interview

    policy = _policy(args.policy, scenario)
    get_runtime(Settings.load(args.config))
    if args.answers is not None:
        answers = _text_answers(scenario, load_text_answers(args.answers), args.language)
        analysis = analyze_text(answers, args.language, policy)
    else:
        questions = _recording_questions(scenario, args.language)
        analysis = analyze_recording(args.video, questions, args.language, policy)
    return score_interview(scenario, analysis, consent, policy).to_dict()


def _policy(name_or_path: str | None, scenario: Scenario) -> Policy | None:
    """The deployment policy, after checking the scenario may be scored under it at all."""
    if name_or_path is None:
        return None
    from server.analysis.registry import analyzer_classes
    from server.scoring.policy import check_scenario, find_policy

    analyzers = analyzer_classes()
    policy = find_policy(name_or_path, analyzers)
    problems = check_scenario(scenario, policy, analyzers)
    if problems:
        raise InputError("; ".join(problems))
    return policy


# --- the report for people ----------------------------------------------------------------------------------


def _score(value: float | None, confidence: float | None) -> str:
    if value is None:
        return "insufficient data"
    return f"{value:.1f}/10 (confidence {confidence:.2f})"


def _reasons(items: list[dict[str, Any]], indent: str) -> list[str]:
    lines = []
    for item in items:
        where = f" [answer {item['answer'] + 1}]" if "answer" in item else ""
        lines.append(f"{indent}- {item['code']}{where}: {item['message']}")
    return lines


def _top_evidence(competency: dict[str, Any]) -> list[str]:
    lines = []
    for item in sorted(competency["evidence"], key=lambda e: -e["score"])[:2]:
        head = f"      answer {item['answer'] + 1} ({item['question'] or 'unmatched'}, via {item['via']}): "
        rubric = item["rubric"]
        if rubric is not None:
            excerpt = textwrap.shorten(rubric["evidence"].get("excerpt", ""), 90)
            lines.append(f'{head}rubric {rubric["score"]:.1f} ({rubric["level"]}) "{excerpt}"')
        signals = ", ".join(f"{s['signal']}={s['score']:.1f}" for s in item["signals"][:4])
        if signals:
            lines.append(
                f"{head}signals {signals}" if rubric is None else f"{' ' * len(head)}signals {signals}"
            )
    return lines


def _answers(answers: list[dict[str, Any]]) -> list[str]:
    lines = ["Answers:"]
    for answer in answers:
        match = answer["match"]
        asked = textwrap.shorten(answer["question"] or "(no question)", 60)
        if match["method"] == "unmatched":
            near = f", closest {match['closest']} at {match['similarity']:.2f}" if match["closest"] else ""
            read = f"unmatched{near}"
        elif match["method"] == "embedding":
            read = f"{answer['question_id']} (matched at {match['similarity']:.2f})"
        else:
            read = answer["question_id"]
        extra = f"; content evidences {', '.join(answer['evidences'])}" if answer["evidences"] else ""
        lines.append(f'  {answer["index"] + 1}. "{asked}" -> {read}; {answer["units"]} units{extra}')
        lines += _reasons(answer["refusals"], "     ")
    return lines


def render(result: dict[str, Any]) -> str:
    scenario = result["scenario"]
    overall = result["overall"]
    lines = [
        f"Scenario {scenario['id']} {scenario['version']}, language {result['language']}",
        f"Overall: {_score(overall['score'], overall['confidence'])}",
        *_reasons(overall["insufficient_data"], "  "),
        *_answers(result["answers"]),
        "",
        "Competencies:",
    ]
    for competency in result["competencies"]:
        name = competency["names"]["en"]
        lines.append(f"  {name:<24} {_score(competency['score'], competency['confidence'])}")
        lines += _top_evidence(competency)
        if competency["score"] is None:
            lines += _reasons(competency["insufficient_data"], "      ")
    tags = ", ".join(f"{t['names']['en']} / {t['names']['zh']}" for t in result["tags"])
    lines += ["", f"Tags: {tags or 'none'}"]
    fit = result["fit"]
    if fit["percent"] is None:
        lines.append("Fit: insufficient data")
        lines += _reasons(fit["insufficient_data"], "  ")
    else:
        lines.append(f"Fit: {fit['percent']:.1f}% ({fit['met']} of {fit['required']} requirements met)")
    lines.append("KPI baselines:")
    for kpi in result["kpi_baselines"]:
        if kpi["target"] is None:
            lines.append(f"  {kpi['names']['en']}: insufficient data ({kpi['competency']} not scored)")
            continue
        label = f' "{kpi["label"]}"' if kpi["label"] else ""
        lines.append(
            f"  {kpi['names']['en']}: {kpi['target']:g} {kpi['unit']}{label} from {kpi['competency']} "
            f"{kpi['score']:.1f} ({kpi['source']})"
        )
    if not result["kpi_baselines"]:
        lines.append("  none declared")
    warnings = result["quality"].get("warnings", [])
    lines.append("Capture quality: " + ("no warnings" if not warnings else f"{len(warnings)} warning(s)"))
    lines += [f"  ! {w['code']}: {w['message']}" for w in warnings]
    return "\n".join(lines)
