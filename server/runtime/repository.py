"""A Triton model repository on disk: ``<name>/config.pbtxt`` and ``<name>/<version>/model.py``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import json_format, text_format
from tritonclient.grpc import model_config_pb2

from server.errors import ModelRepositoryError
from server.runtime.device import instance_devices


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """One model of the repository, at the version that will be served."""

    name: str
    version: str
    directory: Path
    config: model_config_pb2.ModelConfig

    @property
    def model_file(self) -> Path:
        return self.directory / self.version / "model.py"

    @property
    def instance_count(self) -> int:
        """How many instances serve the model, placed as the executor places them (a GPU group's count is
        per GPU): requests beyond that only queue."""
        return len(instance_devices(self.config))

    def config_json(self) -> str:
        """The config as Triton hands it to ``initialize(args)['model_config']``."""
        return json.dumps(json_format.MessageToDict(self.config, preserving_proto_field_name=True))


def parse_config(path: Path) -> model_config_pb2.ModelConfig:
    config = model_config_pb2.ModelConfig()
    try:
        text_format.Parse(path.read_text(encoding="utf-8"), config)
    except text_format.ParseError as exc:
        raise ModelRepositoryError(f"{path}: {exc}") from exc
    return config


def _served_version(directory: Path, config: model_config_pb2.ModelConfig) -> str:
    """Triton's default version policy: the highest numeric version folder."""
    versions = sorted(
        (
            int(p.name)
            for p in directory.iterdir()
            if p.is_dir() and p.name.isdigit() and (p / "model.py").is_file()
        ),
    )
    if config.version_policy.HasField("specific") and config.version_policy.specific.versions:
        wanted = max(config.version_policy.specific.versions)
        if wanted not in versions:
            raise ModelRepositoryError(f"{directory.name}: version {wanted} has no model.py")
        return str(wanted)
    if not versions:
        raise ModelRepositoryError(f"{directory.name}: no numeric version folder with a model.py")
    return str(versions[-1])


def _read_entry(directory: Path) -> ModelEntry:
    config = parse_config(directory / "config.pbtxt")
    name = config.name or directory.name
    if name != directory.name:
        raise ModelRepositoryError(
            f"{directory / 'config.pbtxt'}: name '{name}' differs from folder '{directory.name}'"
        )
    config.name = name
    return ModelEntry(name, _served_version(directory, config), directory, config)


class ModelRepository:
    """Reads every model folder once; a folder without config.pbtxt is not a model.

    A broken model folder makes only that model unavailable (as in Triton): its error is kept and raised
    when someone asks for it, so the other models keep serving.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        if not root.is_dir():
            raise ModelRepositoryError(f"model repository {root} does not exist")
        self._entries: dict[str, ModelEntry] = {}
        self.broken: dict[str, ModelRepositoryError] = {}
        for directory in sorted(p for p in root.iterdir() if (p / "config.pbtxt").is_file()):
            try:
                self._entries[directory.name] = _read_entry(directory)
            except ModelRepositoryError as exc:
                self.broken[directory.name] = exc

    def names(self) -> list[str]:
        return list(self._entries)

    def get(self, name: str) -> ModelEntry:
        if name in self.broken:
            raise self.broken[name]
        try:
            return self._entries[name]
        except KeyError:
            raise ModelRepositoryError(
                f"unknown model '{name}'; the repository has: {', '.join(self._entries)}"
            ) from None
