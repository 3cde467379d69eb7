"""Whisper speech recognition (faster-whisper on CTranslate2) behind the Triton Python-backend contract.

The two ASR models (``asr_whisper_tiny_en``, ``asr_whisper_base``) differ only in where their weights come
from, so their model.py files are thin and everything else lives here: parameter parsing, device choice,
language and prompt handling, and turning faster-whisper's segments into the tensors the models declare.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.transcribe import Segment, Word

from server.errors import quoted
from server.runtime.backend_utils import (
    RequestError,
    audio_input,
    bytes_array,
    check_not_cancelled,
    parameters,
    respond,
    string_input,
)

SAMPLE_RATE = 16000
# faster-whisper splits these languages into words at unicode boundaries, not at spaces (see its tokenizer).
_UNSPACED_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "my", "yue"})


def cache_dir() -> Path:
    """Where assembled weights are kept between runs: ``$HIRELENS_CACHE_DIR`` or ``~/.cache/hirelens``."""
    configured = os.environ.get("HIRELENS_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "hirelens"


def _is_assembled(target: Path, size: int, companions: Sequence[Path]) -> bool:
    model = target / "model.bin"
    return (
        model.is_file()
        and model.stat().st_size == size
        and all((target / c.name).is_file() for c in companions)
    )


def assemble_split_model(parts: Sequence[Path], companions: Sequence[Path], target: Path) -> Path:
    """Concatenate ``parts`` into ``target/model.bin`` beside copies of ``companions``, once, and reuse it.

    Weights too big for one package ship in pieces. The model is built in a temporary sibling and renamed into
    place, so neither a crash nor a second process loading at the same time ever sees a half-written model.
    """
    size = sum(part.stat().st_size for part in parts)
    if _is_assembled(target, size, companions):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with (staging / "model.bin").open("wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    shutil.copyfileobj(source, out, 16 << 20)
            out.flush()
            os.fsync(out.fileno())
        for companion in companions:
            shutil.copyfile(companion, staging / companion.name)
        staging.chmod(0o755)  # mkdtemp makes it private; the cache may be shared by a service account
        try:
            staging.rename(target)
        except OSError as exc:  # fine when another process finished first
            if not _is_assembled(target, size, companions):
                raise FileExistsError(f"{target} exists but is not a complete model; delete it") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _merge_word_pieces(words: list[Word]) -> list[Word]:
    """Join pieces Whisper emits without a leading space ("cold", "-hearted") into one word.

    A merged word spans both pieces and is as certain as its least certain piece.
    """
    merged: list[Word] = []
    for word in words:
        if merged and not word.word.startswith(" "):
            last = merged[-1]
            merged[-1] = Word(
                last.start, word.end, last.word + word.word, min(last.probability, word.probability)
            )
        else:
            merged.append(word)
    return merged


def _times(pairs: list[tuple[float, float]], duration: float) -> np.ndarray:
    """Start/end pairs kept inside the audio and in order: callers rely on both, Whisper promises neither."""
    times = np.clip(np.asarray(pairs, dtype=np.float32).reshape(-1, 2), 0.0, duration)
    times[:, 0] = np.maximum.accumulate(times[:, 0])
    times[:, 1] = np.maximum(times[:, 1], times[:, 0])
    return times


class WhisperBackend:
    """One Whisper model instance serving ``execute(requests)``; ``pb_utils`` is the one model.py imported."""

    def __init__(
        self, args: dict[str, str], packaged_weights: Callable[[], Path], pb_utils: ModuleType
    ) -> None:
        self.pb_utils = pb_utils
        self.name = args["model_name"]
        params = parameters(json.loads(args["model_config"]))
        weights = Path(params["weights_path"]) if params.get("weights_path") else packaged_weights()
        # Without tokenizer.json faster-whisper would fetch one from the Hugging Face hub.
        missing = [
            name for name in ("model.bin", "config.json", "tokenizer.json") if not (weights / name).is_file()
        ]
        if missing:
            raise pb_utils.TritonModelException(
                f"{self.name}: weights_path '{weights}' is not a CTranslate2 Whisper model directory "
                f"(missing {', '.join(missing)})"
            )
        gpu = args["model_instance_kind"] == "GPU"
        try:
            self.model = WhisperModel(
                str(weights),
                device="cuda" if gpu else "cpu",
                device_index=int(args.get("model_instance_device_id") or 0),
                compute_type=params.get("compute_type") or ("float16" if gpu else "int8"),
                cpu_threads=int(params.get("cpu_threads") or 0) or min(os.cpu_count() or 1, 4),
                local_files_only=True,  # never reach a model hub at run time
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise pb_utils.TritonModelException(
                f"{self.name}: cannot load weights '{weights}': {exc}"
            ) from exc
        self.beam_size = int(params.get("beam_size") or 1)
        self.min_tail_s = float(params.get("min_tail_s") or 0)
        self.invented_no_speech_prob = float(params.get("invented_no_speech_prob") or 0.6)
        self.invented_word_prob = float(params.get("invented_word_prob") or 0.3)
        # 0 turns the after-silence rule of _invented off (see MODEL_CARD.md).
        self.hallucination_silence_s = float(params.get("hallucination_silence_s") or 0)
        self.default_language = params.get("default_language") or "auto"
        # initial_prompt_<language>: the prompt used for that language unless a request sends INITIAL_PROMPT.
        self.prompts = {
            key.removeprefix("initial_prompt_"): value
            for key, value in params.items()
            if key.startswith("initial_prompt_") and value
        }

    def execute(self, requests: list[Any]) -> list[Any]:
        return respond(self.pb_utils, requests, self._transcribe)

    def _language(self, requested: str, audio: np.ndarray) -> tuple[str, float]:
        supported = self.model.supported_languages
        if requested == "auto":
            if len(supported) == 1:
                return supported[0], 1.0
            if audio.size == 0:
                return "", 0.0
            language, probability, _ = self.model.detect_language(audio)
            return language, float(probability)
        if requested not in supported:
            raise RequestError(
                f"language {quoted(requested)} is not supported; this model knows {', '.join(supported)}"
            )
        return requested, 1.0

    def _invented(self, segment: Segment, speech_end: float | None) -> bool:
        """A segment the recogniser itself judged probably not speech (no-speech probability above
        ``invented_no_speech_prob``) that is also unsure of every word, or that starts at least
        ``hallucination_silence_s`` after the last real word (``speech_end``; None before the first).
        Whisper writes such text on breaths and room noise after the last real sentence: "这次是什么时候的"
        after the AISHELL clip, each word at p < 0.12; "我以为你不许说" over 20 s of the clip's room tone,
        words up to p = 0.99 but 7 s after the sentence, no-speech 0.74. Unlike faster-whisper's
        ``hallucination_silence_threshold`` this never changes where decoding resumes (see MODEL_CARD.md)."""
        if segment.no_speech_prob <= self.invented_no_speech_prob:
            return False
        probabilities = [w.probability for w in segment.words or []]
        after_silence = (
            bool(self.hallucination_silence_s)
            and speech_end is not None
            and segment.start - speech_end >= self.hallucination_silence_s
        )
        return after_silence or not probabilities or max(probabilities) < self.invented_word_prob

    def _transcribe(self, request: Any) -> list[Any]:
        audio = audio_input(self.pb_utils, request)
        language, language_prob = self._language(
            string_input(self.pb_utils, request, "LANGUAGE") or self.default_language, audio
        )
        Tensor = self.pb_utils.Tensor
        identified = [
            Tensor("LANGUAGE", bytes_array([language])),
            Tensor("LANGUAGE_PROB", np.array([language_prob], dtype=np.float32)),
        ]
        wanted = set(request.requested_output_names())
        if wanted and wanted <= {"LANGUAGE", "LANGUAGE_PROB"}:  # language identification alone: skip decoding
            return identified
        prompt = string_input(self.pb_utils, request, "INITIAL_PROMPT")
        if prompt is None:
            prompt = self.prompts.get(language)
        duration = audio.size / SAMPLE_RATE
        segments: list[Segment] = []
        if audio.size:
            transcript, _ = self.model.transcribe(
                audio,
                language=language,
                beam_size=self.beam_size,
                word_timestamps=True,
                condition_on_previous_text=False,
                vad_filter=False,  # the pipeline runs VAD itself and sends speech regions
                initial_prompt=prompt or None,
                # Greedy decoding only, no sampling fallback: the same interview must always give the same
                # transcript (and so the same scores); the fallback's sampling also invented tails on silence.
                temperature=0.0,
            )
            for segment in transcript:  # lazy: each further 30 s window is decoded only when asked for
                check_not_cancelled(request)  # a cancelled job's chunk stops at the next window
                segments.append(segment)
                if duration - segment.end < self.min_tail_s:
                    # Whisper would decode the short rest again from the last word: a whole extra window
                    # that finds nothing or, worse, invents a "Thank you." (see MODEL_CARD.md).
                    break
            kept: list[Segment] = []
            for segment in segments:
                if not self._invented(segment, kept[-1].end if kept else None):
                    kept.append(segment)
            segments = kept
        words: list[Word] = []
        for segment in segments:
            pieces = segment.words or []
            words += pieces if language in _UNSPACED_LANGUAGES else _merge_word_pieces(pieces)
        probabilities = np.array([w.probability for w in words], dtype=np.float32)
        return [
            Tensor("WORDS", bytes_array([w.word.strip() for w in words])),
            Tensor("WORD_TIMES", _times([(w.start, w.end) for w in words], duration)),
            Tensor("WORD_PROBS", np.clip(probabilities, 0.0, 1.0)),
            Tensor("SEGMENT_TEXTS", bytes_array([s.text.strip() for s in segments])),
            Tensor("SEGMENT_TIMES", _times([(s.start, s.end) for s in segments], duration)),
            Tensor("SEGMENT_AVG_LOGPROB", np.array([s.avg_logprob for s in segments], dtype=np.float32)),
            Tensor(
                "SEGMENT_NO_SPEECH_PROB", np.array([s.no_speech_prob for s in segments], dtype=np.float32)
            ),
            *identified,
        ]


def triton_model(packaged_weights: Callable[[], Path], pb_utils: ModuleType) -> type:
    """The ``TritonPythonModel`` class of a Whisper model: ``packaged_weights`` finds its weights when no
    ``weights_path`` is set, ``pb_utils`` is the one its model.py imported."""

    class TritonPythonModel:
        def initialize(self, args: dict[str, str]) -> None:
            self.backend = WhisperBackend(args, packaged_weights, pb_utils)

        def execute(self, requests: list[Any]) -> list[Any]:
            return self.backend.execute(requests)

        def finalize(self) -> None:
            del self.backend

    return TritonPythonModel
