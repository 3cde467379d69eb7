"""``hirelens``: the command line. It parses arguments, calls the pipeline and prints; nothing else."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import warnings
from pathlib import Path

from server.errors import HireLensError

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 70


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hirelens", description="HireLens interview analysis and scoring.")
    commands = parser.add_subparsers(dest="command", required=True)
    analyze = commands.add_parser("analyze", help="measure signals with evidence from an interview")
    source = analyze.add_mutually_exclusive_group(required=True)
    source.add_argument("video", nargs="?", type=Path, help="recording: video or audio file")
    source.add_argument(
        "--answers", type=Path, help='JSON list of {"question": ..., "answer": ...} (text only)'
    )
    analyze.add_argument(
        "--questions", type=Path, help="JSON list of questions (strings, or objects with start_s/end_s)"
    )
    analyze.add_argument("--language", choices=("auto", "en", "zh"), default="auto")
    analyze.add_argument("--json", action="store_true", help="print one JSON object")
    analyze.add_argument("--config", type=Path, help="settings file (YAML)")
    return parser


def _analyze(args: argparse.Namespace) -> dict:
    from server.config import Settings
    from server.pipeline.analyze import analyze_recording, analyze_text
    from server.pipeline.questions import load_questions, load_text_answers
    from server.runtime import get_runtime

    get_runtime(Settings.load(args.config))  # the process-wide runtime, with this command's settings
    if args.answers is not None:
        if args.questions is not None:
            raise HireLensError(
                "--questions applies to recordings; --answers already pairs questions and answers"
            )
        return analyze_text(load_text_answers(args.answers), args.language).to_dict()
    questions = load_questions(args.questions) if args.questions else []
    return analyze_recording(args.video, questions, args.language).to_dict()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # jieba and dlib's model package import pkg_resources, which warns on every start; users can't act on it
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    logging.basicConfig(level=os.environ.get("HIRELENS_LOG_LEVEL", "WARNING"))
    try:
        result = _analyze(args)
    except HireLensError as exc:
        print(f"hirelens: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # a bug, not bad input: say so briefly; HIRELENS_DEBUG=1 shows the traceback
        if os.environ.get("HIRELENS_DEBUG"):
            raise
        print(f"hirelens: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        from server.report import render_analysis

        print(render_analysis(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
