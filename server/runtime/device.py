"""Where models run: CUDA when a GPU is visible, else CPU."""

from __future__ import annotations

import functools


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
