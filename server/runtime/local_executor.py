"""Runs a repository's model.py files in this process: one instance per ``instance_group.count``."""

from __future__ import annotations

import importlib.util
import logging
import threading
from types import ModuleType
from typing import Any

from tritonclient.grpc import model_config_pb2

from server.errors import ModelRepositoryError
from server.runtime import pb_utils
from server.runtime.batcher import BatchObserver, DynamicBatcher
from server.runtime.device import instance_devices
from server.runtime.repository import ModelEntry

log = logging.getLogger(__name__)


def _load_module(entry: ModelEntry) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"hirelens_models.{entry.name}", entry.model_file)
    if spec is None or spec.loader is None:
        raise ModelRepositoryError(f"{entry.model_file}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "TritonPythonModel"):
        raise ModelRepositoryError(f"{entry.model_file}: defines no TritonPythonModel class")
    return module


class LoadedModel:
    """A model's instances behind one dynamic batcher."""

    def __init__(
        self, entry: ModelEntry, weight_overrides: dict[str, str], on_batch: BatchObserver | None = None
    ) -> None:
        self.entry = entry
        module = _load_module(entry)
        config = model_config_pb2.ModelConfig()
        config.CopyFrom(entry.config)
        for key, value in weight_overrides.items():
            config.parameters[key].string_value = value
        config_json = ModelEntry(entry.name, entry.version, entry.directory, config).config_json()
        self.instances: list[Any] = []
        devices = instance_devices(config)
        for kind, device_id in devices:
            instance = module.TritonPythonModel()
            instance.initialize(
                {
                    "model_config": config_json,
                    "model_instance_kind": kind,
                    "model_instance_device_id": str(device_id),
                    "model_repository": str(entry.directory),
                    "model_version": entry.version,
                    "model_name": entry.name,
                }
            )
            self.instances.append(instance)
        self.kind = devices[0][0]
        batching = config.dynamic_batching
        self.batcher = DynamicBatcher(
            [instance.execute for instance in self.instances],
            max_batch_size=config.max_batch_size,
            max_queue_delay_us=batching.max_queue_delay_microseconds
            if config.HasField("dynamic_batching")
            else 0,
            name=entry.name,
            on_batch=on_batch,
            dynamic=config.HasField("dynamic_batching"),
        )
        log.info(
            "model loaded", extra={"model": entry.name, "kind": self.kind, "instances": len(self.instances)}
        )

    def close(self) -> None:
        self.batcher.close()
        for instance in self.instances:
            finalize = getattr(instance, "finalize", None)
            if finalize:
                finalize()


class LocalExecutor:
    """Loads models on first use, once, and shares them between all callers."""

    def __init__(self, weight_overrides: dict[str, dict[str, str]] | None = None) -> None:
        self._overrides = weight_overrides or {}
        self._models: dict[str, LoadedModel] = {}
        self._failed: dict[str, Exception] = {}
        self._lock = threading.Lock()  # guards the dicts; held only for lookups, never for a load
        self._loading: dict[str, threading.Lock] = {}  # one per model: a load holds only its model's lock
        self._batch_observers: list[BatchObserver] = []
        self._closed = False

    def add_batch_observer(self, observer: BatchObserver) -> None:
        """Call ``observer(model, rows, seconds)`` after every model execution (metrics hook)."""
        self._batch_observers.append(observer)

    def _on_batch(self, model: str, rows: int, seconds: float) -> None:
        for observer in list(self._batch_observers):
            observer(model, rows, seconds)

    def model(self, entry: ModelEntry) -> LoadedModel:
        """The loaded model; one that failed to load keeps failing with the same error, without retrying.

        Loading one model (seconds for a sentence encoder) holds up only that model's callers: requests to
        models already loaded go on meanwhile.
        """
        with self._lock:
            if self._closed:  # a job still running at shutdown must not load the model again
                raise ModelRepositoryError(f"model '{entry.name}' is unavailable: the server is stopping")
            loaded = self._models.get(entry.name)
            if loaded is not None:
                return loaded
            load_lock = self._loading.setdefault(entry.name, threading.Lock())
        with load_lock:
            with self._lock:
                if entry.name in self._failed:
                    raise self._failed[entry.name]
                loaded = self._models.get(entry.name)
            if loaded is not None:  # another caller loaded it while this one waited
                return loaded
            try:
                loaded = LoadedModel(entry, self._overrides.get(entry.name, {}), self._on_batch)
            except Exception as exc:
                with self._lock:
                    self._failed[entry.name] = exc
                raise
            with self._lock:
                closed = self._closed
                if not closed:
                    self._models[entry.name] = loaded
            if closed:  # the executor closed during the load: nothing would ever close this model
                loaded.close()
                raise ModelRepositoryError(f"model '{entry.name}' is unavailable: the server is stopping")
            return loaded

    def submit(self, entry: ModelEntry, request: pb_utils.InferenceRequest):
        return self.model(entry).batcher.submit(request)

    def loaded(self) -> dict[str, LoadedModel]:
        return dict(self._models)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for loaded in self._models.values():
                loaded.close()
            self._models.clear()
