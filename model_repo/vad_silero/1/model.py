"""Silero VAD v6: where the speech is, so ASR hears only speech and answers can be cut at speech turns.

Runs the ONNX model bundled inside faster-whisper through onnxruntime; no torch.
"""

from __future__ import annotations

import json

import numpy as np
from faster_whisper.vad import VadOptions, get_speech_timestamps, get_vad_model

try:
    import triton_python_backend_utils as pb_utils  # inside a real Triton server
except ImportError:
    from server.runtime import pb_utils  # inside HireLens

from server.runtime.backend_utils import audio_input, parameters, refuse_weights_path, respond

SAMPLE_RATE = 16000


class TritonPythonModel:
    """AUDIO (16 kHz mono float) -> SEGMENTS [n, 2] (start_s, end_s)."""

    def initialize(self, args: dict[str, str]) -> None:
        params = parameters(json.loads(args["model_config"]))
        refuse_weights_path(
            pb_utils,
            "vad_silero",
            params,
            "this model always runs the Silero VAD v6 ONNX bundled in faster-whisper",
        )
        self.options = VadOptions(
            threshold=float(params["threshold"]),
            min_silence_duration_ms=int(params["min_silence_duration_ms"]),
            min_speech_duration_ms=int(params["min_speech_duration_ms"]),
            speech_pad_ms=int(params["speech_pad_ms"]),
        )
        get_vad_model()  # load the ONNX session now rather than on the first request

    def execute(self, requests: list) -> list:
        return respond(pb_utils, requests, self._segments)

    def _segments(self, request: pb_utils.InferenceRequest) -> list[pb_utils.Tensor]:
        audio = audio_input(pb_utils, request)
        chunks = get_speech_timestamps(audio, self.options, sampling_rate=SAMPLE_RATE)
        samples = np.array([(c["start"], c["end"]) for c in chunks], dtype=np.float64).reshape(-1, 2)
        seconds = (samples / SAMPLE_RATE).astype(
            np.float32
        )  # divide in float64: hours of samples exceed 2**24
        return [pb_utils.Tensor("SEGMENTS", seconds)]
