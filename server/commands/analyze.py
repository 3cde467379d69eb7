"""``hirelens analyze``: measure signals with evidence from a recording or text answers."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from server.errors import InputError


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("analyze", help="measure signals with evidence from an interview")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("video", nargs="?", type=Path, help="recording: video or audio file")
    source.add_argument(
        "--answers", type=Path, help='JSON list of {"question": ..., "answer": ...} (text only)'
    )
    parser.add_argument(
        "--questions", type=Path, help="JSON list of questions (strings, or objects with start_s/end_s)"
    )
    parser.add_argument("--language", choices=("auto", "en", "zh"), default="auto")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--config", type=Path, help="settings file (YAML)")
    parser.set_defaults(run=run, render=render)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from server.config import Settings
    from server.pipeline.analyze import analyze_recording, analyze_text
    from server.pipeline.questions import load_questions, load_text_answers
    from server.runtime import get_runtime

    settings = Settings.load(args.config)
    get_runtime(settings)  # the process-wide runtime, with this command's settings
    if args.answers is not None:
        if args.questions is not None:
            raise InputError(
                "--questions applies to recordings; --answers already pairs questions and answers"
            )
        return analyze_text(load_text_answers(args.answers, settings.text_limits), args.language).to_dict()
    questions = load_questions(args.questions, settings.text_limits) if args.questions else []
    return analyze_recording(args.video, questions, args.language).to_dict()


def render(result: dict[str, Any]) -> str:
    from server.report import render_analysis

    return render_analysis(result)
