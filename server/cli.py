"""``hirelens``: the command line. It parses arguments, runs one sub-command and prints; nothing else."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import warnings

from server.commands import analyze, demo, keys, scenarios, score, serve
from server.errors import HireLensError

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 70
COMMANDS = (analyze, scenarios, score, serve, keys, demo)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hirelens", description="HireLens interview analysis and scoring.")
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # jieba and dlib's model package import pkg_resources, which warns on every start; users can't act on it
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    logging.basicConfig(level=os.environ.get("HIRELENS_LOG_LEVEL", "WARNING"))
    try:
        result = args.run(args)
    except HireLensError as exc:
        print(f"hirelens: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # a bug, not bad input: say so briefly; HIRELENS_DEBUG=1 shows the traceback
        if os.environ.get("HIRELENS_DEBUG"):
            raise
        print(f"hirelens: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    if isinstance(result, str):
        print(result)
    elif getattr(args, "json", False):
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(args.render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
