"""Voice pitch and loudness: the raw material of the ``voice.*`` signals (pitch range, monotony, level).

Pitch comes from the WORLD vocoder's DIO tracker refined by StoneMask (pyworld, MIT / modified BSD); Praat
(parselmouth) would do it too but is GPL. Loudness is the RMS level in dBFS on the same frames.
"""

from __future__ import annotations

import json
import warnings

import numpy as np

try:
    import triton_python_backend_utils as pb_utils  # inside a real Triton server
except ImportError:
    from server.runtime import pb_utils  # inside HireLens

from server.runtime.backend_utils import audio_input, parameters, refuse_weights_path, respond

with warnings.catch_warnings():  # pyworld imports the deprecated pkg_resources
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    import pyworld

SAMPLE_RATE = 16000
SILENCE_DB = -100.0  # the level reported for digital silence instead of -inf


def loudness_db(audio: np.ndarray, centres_s: np.ndarray, window_s: float) -> np.ndarray:
    """RMS level in dBFS (a full-scale square wave is 0 dB, a full-scale sine -3 dB) around each centre."""
    energy = np.concatenate(([0.0], np.cumsum(np.square(audio, dtype=np.float64))))
    centres = np.round(centres_s * SAMPLE_RATE).astype(np.int64)
    half = round(window_s * SAMPLE_RATE / 2)
    lo = np.clip(centres - half, 0, audio.size)
    hi = np.clip(centres + half, 0, audio.size)
    mean_square = (energy[hi] - energy[lo]) / np.maximum(hi - lo, 1)
    with np.errstate(divide="ignore"):
        return np.maximum(10.0 * np.log10(mean_square), SILENCE_DB)


class TritonPythonModel:
    """AUDIO (16 kHz mono float) -> F0_HZ, LOUDNESS_DB (one value per hop) and HOP_S."""

    def initialize(self, args: dict[str, str]) -> None:
        params = parameters(json.loads(args["model_config"]))
        refuse_weights_path(pb_utils, "voice_prosody", params, "WORLD has no weights")
        self.f0_floor = float(params["f0_floor_hz"])
        self.f0_ceil = float(params["f0_ceil_hz"])
        self.hop_ms = float(params["hop_ms"])
        self.window_s = float(params["loudness_window_ms"]) / 1000

    def execute(self, requests: list) -> list:
        return respond(pb_utils, requests, self._prosody)

    def _prosody(self, request: pb_utils.InferenceRequest) -> list[pb_utils.Tensor]:
        # pyworld takes contiguous float64
        audio = np.ascontiguousarray(audio_input(pb_utils, request), dtype=np.float64)
        if audio.size:
            coarse, times = pyworld.dio(
                audio, SAMPLE_RATE, f0_floor=self.f0_floor, f0_ceil=self.f0_ceil, frame_period=self.hop_ms
            )
            f0 = pyworld.stonemask(audio, coarse, times, SAMPLE_RATE)
        else:
            f0 = times = np.zeros(0)
        return [
            pb_utils.Tensor("F0_HZ", f0.astype(np.float32)),
            pb_utils.Tensor("LOUDNESS_DB", loudness_db(audio, times, self.window_s).astype(np.float32)),
            pb_utils.Tensor("HOP_S", np.array([self.hop_ms / 1000], dtype=np.float32)),
        ]
