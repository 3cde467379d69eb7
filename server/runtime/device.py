"""Where models run: CUDA when a GPU is visible, else CPU."""

from __future__ import annotations

import functools

from tritonclient.grpc import model_config_pb2

from server.errors import ModelRepositoryError


@functools.cache
def cuda_device_count() -> int:
    """GPUs visible to CTranslate2 (Whisper) or torch; 0 on a CPU-only machine or build."""
    try:
        import ctranslate2

        count = ctranslate2.get_cuda_device_count()
        if count:
            return count
    except (ImportError, RuntimeError):
        pass
    try:
        import torch

        return torch.cuda.device_count() if torch.cuda.is_available() else 0
    except ImportError:
        return 0


def instance_kind(config_kind: str) -> str:
    """Triton's instance kind for a model: KIND_GPU or KIND_CPU ("KIND_AUTO" picks GPU when present)."""
    if config_kind == "KIND_CPU":
        return "CPU"
    if config_kind == "KIND_GPU" and not cuda_device_count():
        return "CPU"
    return "GPU" if cuda_device_count() else "CPU"


def instance_devices(config: model_config_pb2.ModelConfig) -> list[tuple[str, int]]:
    """(kind, device id) of each instance the config asks for, as Triton places them: a GPU group puts
    ``count`` instances on each GPU in ``gpus`` (every visible GPU when it lists none); a CPU group puts
    ``count`` on device 0. A GPU group on a machine without GPUs runs on the CPU; a ``gpus`` entry naming a
    GPU the machine lacks is a broken config."""
    kinds = model_config_pb2.ModelInstanceGroup.Kind
    groups = list(config.instance_group) or [model_config_pb2.ModelInstanceGroup(kind=kinds.KIND_AUTO)]
    gpus = cuda_device_count()
    devices: list[tuple[str, int]] = []
    for group in groups:
        kind = instance_kind(kinds.Name(group.kind))
        count = group.count or 1
        if kind == "CPU":
            devices += [("CPU", 0)] * count
            continue
        wrong = sorted(gpu for gpu in group.gpus if not 0 <= gpu < gpus)
        if wrong:
            raise ModelRepositoryError(
                f"model '{config.name}': instance_group gpus {wrong} do not exist; "
                f"this machine has GPUs 0 to {gpus - 1}"
            )
        for gpu in list(group.gpus) or range(gpus):
            devices += [("GPU", gpu)] * count
    return devices
