"""``hirelens score``: score an interview (a recording or text answers) against a scenario, locally."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.errors import InputError

if TYPE_CHECKING:
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
        help="biometric modalities the candidate consented to: face,voice, face, voice or none; a modality "
        "without consent is never analysed. Required with --server for a recording; locally the default "
        "is face,voice",
    )
    parser.add_argument(
        "--policy", help="deployment policy: eu, default or a policy file; forbidden analyzers never run"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--config", type=Path, help="settings file (YAML)")
    parser.add_argument(
        "--server", metavar="ADDRESS", help="score through a running HireLens server (host:port) instead"
    )
    parser.add_argument("--api-key", help="API key for --server (default: $HIRELENS_API_KEY)")
    parser.add_argument(
        "--candidate-ref",
        default="",
        help="the platform's own candidate id, for erasure (--server; default: a random cli-... id)",
    )
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


LOCAL_CONSENT = "face,voice"
"""Without ``--consent``, local scoring of the operator's own file analyses both modalities; remote scoring
has no such default: the server records the consent of someone else's candidate."""


def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.consent is None and args.server and args.answers is None:
        raise InputError(
            "--consent is required with --server: name the modalities the candidate consented to "
            "(face,voice, face, voice or none)"
        )
    consent = parse_consent(args.consent or LOCAL_CONSENT)  # bad arguments are refused before models load
    if args.server:
        return score_remote(args, consent)
    scenario = load_scenario(args.scenario)

    from server.config import Settings
    from server.pipeline.analyze import analyze_recording
    from server.pipeline.questions import load_text_answers
    from server.runtime import get_runtime
    from server.scoring.engine import score_interview
    from server.scoring.interview_questions import recording_questions
    from server.scoring.refusals import blocked_modalities, consent_precondition
    from server.scoring.text_interview import score_text_answers

    policy = _policy(args.policy, scenario)
    settings = Settings.load(args.config)
    # the same text limits as the server's ScoreAnswers, checked before any model loads
    answers = load_text_answers(args.answers, settings.text_limits) if args.answers is not None else None
    get_runtime(settings)
    if answers is not None:
        return score_text_answers(scenario, answers, args.language, policy, consent).to_dict()
    blocked = blocked_modalities(consent, policy)
    problem = consent_precondition(scenario, blocked)
    if problem:  # as the server refuses such an upload: nothing is analysed
        raise InputError(f"consent_missing: {problem}")
    questions = recording_questions(scenario, args.language)
    analysis = analyze_recording(args.video, questions, args.language, policy, blocked=blocked)
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


def score_remote(args: argparse.Namespace, consent: frozenset[str]) -> dict[str, Any]:
    """The same scoring through a server, with the SDK: upload with a progress bar, wait, return the JSON."""
    import uuid

    import hirelens_client

    from server.commands.progress import ProgressBar
    from server.pipeline.questions import load_text_answers

    if args.policy:
        raise InputError("--policy is the server's setting; it cannot be chosen per call with --server")
    bar = ProgressBar()
    try:
        with hirelens_client.HireLensClient(args.server, api_key=args.api_key) as client:
            if args.answers is not None:
                # the server checks the text against its own limits
                answers = [(a.question or "", a.answer) for a in load_text_answers(args.answers, None)]
                result = client.score_answers(
                    answers, scenario=args.scenario, language=args.language, candidate_ref=args.candidate_ref
                )
            else:
                result = client.score(
                    args.video,
                    scenario=args.scenario,
                    language=args.language,
                    candidate_ref=args.candidate_ref or f"cli-{uuid.uuid4().hex[:12]}",
                    consent=sorted(consent),
                    on_upload=bar.upload,
                    on_progress=bar.job,
                )
    except hirelens_client.HireLensError as exc:  # JobFailed and JobCancelled included
        raise InputError(f"server {args.server}: {exc}") from None
    except OSError as exc:  # the recording or answers file cannot be read here
        raise InputError(f"{exc.filename or args.video}: {exc.strerror or exc}") from None
    finally:
        bar.done()
    return result.to_dict()


def render(result: dict[str, Any]) -> str:
    """The report for people: the SDK's renderer, so local and remote scoring read the same."""
    from hirelens_client import ScoreResult, render_report

    from server.api.convert import score_result

    return render_report(ScoreResult.from_proto(score_result(result)))
