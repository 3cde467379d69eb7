"""Regenerate the Python stubs of the HireLens API from protos/hirelens/v1/*.proto.

The stubs are committed (installing the client needs no compiler) inside the client package, where the server
imports them too: ``python protos/generate.py`` after editing a .proto; ``--check`` fails when they are stale.
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from pathlib import Path

PROTOS = Path(__file__).resolve().parent
STUBS = PROTOS.parent / "clients" / "python"
PACKAGE = Path("hirelens") / "v1"


def generate(out: Path) -> list[Path]:
    """Write the _pb2, _pb2_grpc and .pyi files under ``out``; return the generated files, relative."""
    import grpc_tools
    from grpc_tools import protoc

    include = Path(grpc_tools.__file__).parent / "_proto"  # google/protobuf/*.proto
    sources = sorted(str(p.relative_to(PROTOS)) for p in (PROTOS / PACKAGE).glob("*.proto"))
    (out / PACKAGE).mkdir(parents=True, exist_ok=True)
    args = ["protoc", f"-I{PROTOS}", f"-I{include}", f"--python_out={out}", f"--pyi_out={out}"]
    args += [f"--grpc_python_out={out}", *sources]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for package in (out / "hirelens", out / PACKAGE):
        (package / "__init__.py").touch()
    return sorted(p.relative_to(out) for p in (out / PACKAGE).iterdir() if p.name != "__pycache__")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the committed stubs are out of date")
    args = parser.parse_args()
    if not args.check:
        for path in generate(STUBS):
            print(STUBS / path)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        stale = [
            str(p) for p in fresh if not (STUBS / p).exists() or not filecmp.cmp(Path(tmp) / p, STUBS / p)
        ]
    if stale:
        print("stale generated stubs (run python protos/generate.py):", *stale, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
