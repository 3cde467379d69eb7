#!/usr/bin/env bash
# Rebuild samples/sample_interview.mp4 and its JSON companions. Run from anywhere; needs espeak-ng
# (Debian: apt-get update && apt-get install -y espeak-ng) and the project's Python with PyAV + numpy.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if ! command -v espeak-ng >/dev/null 2>&1; then
    echo "error: espeak-ng not found; install it: apt-get update && apt-get install -y espeak-ng" >&2
    exit 1
fi
python="${PYTHON:-python}"
[ -x .venv/bin/python ] && python="${PYTHON:-.venv/bin/python}"
exec "$python" samples/compose_sample_interview.py "$@"
