"""An example HireLens plugin: what its ``hirelens.scenarios`` and ``hirelens.analyzers`` entry points
load."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def scenario_files() -> list[Path]:
    """The scenario files this package ships (entry point ``hirelens.scenarios``)."""
    return [Path(str(p)) for p in files(__name__).joinpath("scenarios").iterdir() if p.name.endswith(".yaml")]
