"""Speech features from the spooled 16 kHz audio: VAD turns, recognised words, pitch and loudness.

Everything works window by window off the disk spool, so a long recording never sits in memory whole.
Only speech regions reach the recogniser: Whisper invents text on silence, and skipping it is also faster.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass

import numpy as np

from server.analysis.base import Prosody, Word
from server.errors import UnscorableError
from server.media.audio_spool import AudioSpool
from server.pipeline.cancel import CancelToken
from server.runtime import Outputs, Runtime
from server.runtime.backend_utils import bytes_array

VAD_MODEL = "vad_silero"
PROSODY_MODEL = "voice_prosody"
ASR_MODELS = {"en": "asr_whisper_tiny_en", "zh": "asr_whisper_base"}
LANGUAGE_ID_MODEL = "asr_whisper_base"
SUPPORTED_LANGUAGES = tuple(ASR_MODELS)
UNDETERMINED = "und"

VAD_WINDOW_S = 300.0
ASR_CHUNK_S = 60.0  # two Whisper windows: long enough to cut in silences, short enough to share out
LANGUAGE_ID_S = 12.0
PAD_S = 0.2
_POLL_S = 0.1  # how often waiting for the recogniser looks at the cancel token
SILENCE_DB = -100.0  # what voice_prosody reports for digital silence


@dataclass(slots=True)
class SpeechFeatures:
    segments: list[tuple[float, float]]
    words: list[Word]
    language: str
    language_probability: float | None
    asr_model: str | None
    prosody: Prosody | None


def detect_speech(runtime: Runtime, spool: AudioSpool) -> list[tuple[float, float]]:
    """VAD over fixed windows; a turn cut by a window edge is joined back together."""
    segments: list[tuple[float, float]] = []
    start = 0.0
    while start < spool.duration_s:
        end = min(start + VAD_WINDOW_S, spool.duration_s)
        audio = spool.read(start, end)
        if audio.size:
            found = runtime.infer(VAD_MODEL, {"AUDIO": audio})["SEGMENTS"].reshape(-1, 2)
            for a, b in found:
                a, b = float(a) + start, float(b) + start
                if segments and a - segments[-1][1] < 0.05:
                    segments[-1] = (segments[-1][0], b)
                else:
                    segments.append((a, b))
        start = end
    return segments


def _quietest_point(spool: AudioSpool, start_s: float, end_s: float) -> float:
    """The middle of the quietest 100 ms between two times: the least harmful place to cut speech."""
    audio = spool.read(start_s, end_s)
    step = spool.sample_rate // 10
    frames = audio[: audio.size // step * step].reshape(-1, step)
    if not frames.size:
        return end_s
    quietest = int(np.argmin(np.mean(frames**2, axis=1)))
    return start_s + (quietest + 0.5) * step / spool.sample_rate


def speech_chunks(segments: list[tuple[float, float]], spool: AudioSpool) -> list[tuple[float, float]]:
    """Group speech turns into chunks of at most ASR_CHUNK_S, cut in silences.

    Whisper walks through a chunk in 30 s windows and moves on at the end of its last complete sentence, so
    long chunks transcribe better than hard 30 s cuts; a single turn longer than a chunk is cut at its
    quietest moment in the chunk's second half.
    """
    chunks: list[tuple[float, float]] = []
    for a, b in segments:
        a, b = max(0.0, a - PAD_S), min(spool.duration_s, b + PAD_S)
        while b - a > ASR_CHUNK_S:
            cut = _quietest_point(spool, a + ASR_CHUNK_S / 2, a + ASR_CHUNK_S)
            chunks.append((a, cut))
            a = cut
        if chunks and b - chunks[-1][0] <= ASR_CHUNK_S:
            chunks[-1] = (chunks[-1][0], b)
        else:
            chunks.append((a, b))
    return chunks


def choose_language(
    runtime: Runtime, spool: AudioSpool, chunks: list[tuple[float, float]]
) -> tuple[str, float]:
    """Whisper's language identification on the first seconds of speech."""
    start = chunks[0][0]
    audio = spool.read(start, min(start + LANGUAGE_ID_S, chunks[0][1]))
    out = runtime.infer(
        LANGUAGE_ID_MODEL,
        {"AUDIO": audio, "LANGUAGE": bytes_array(["auto"])},
        outputs=("LANGUAGE", "LANGUAGE_PROB"),
    )
    language = out["LANGUAGE"].reshape(-1)[0].decode()
    probability = float(out["LANGUAGE_PROB"].reshape(-1)[0])
    if language not in SUPPORTED_LANGUAGES:
        raise UnscorableError(
            f"the speech sounds like language '{language}' (p={probability:.2f}); HireLens analyses "
            f"{', '.join(SUPPORTED_LANGUAGES)}: pass the language explicitly if this is wrong"
        )
    return language, probability


def _words(out: Outputs, offset: float) -> list[Word]:
    times = out["WORD_TIMES"].reshape(-1, 2)
    texts, probabilities = out["WORDS"].reshape(-1), out["WORD_PROBS"].reshape(-1)
    found = (
        Word(text.decode().strip(), float(s) + offset, float(e) + offset, float(p))
        for text, (s, e), p in zip(texts, times, probabilities, strict=True)
    )
    return [w for w in found if w.text]


def settle(futures: Iterable[Future[Outputs]]) -> None:
    """Wait until ``futures`` are finished, whatever their outcome: used on the way out of a cancelled or
    failed analysis, so none of its model calls still runs once the analysis has ended."""
    wait(list(futures))


def recognise(
    runtime: Runtime,
    spool: AudioSpool,
    chunks: list[tuple[float, float]],
    language: str,
    cancel: CancelToken | None = None,
    progress: Callable[[float], None] | None = None,
    prosody: bool = True,
) -> tuple[list[Word], Prosody | None]:
    """Words, pitch and loudness of every speech chunk; pitch and loudness (the voice model) only with
    ``prosody``, which is False when the voice may not be analysed.

    Each chunk is read once and sent to the recogniser and the prosody model together. Only as many chunks
    are in flight as the recogniser has instances, the next sent as soon as one finishes: every instance stays
    busy, and a cancellation finds nothing queued, only calls already running: the recogniser stops those at
    its next 30 s window, the prosody model (milliseconds) finishes. ``progress`` gets the share of chunks
    recognised.
    """
    model = ASR_MODELS[language]
    limit = runtime.repository.get(model).instance_count
    hop = 0.01
    frames = int(spool.duration_s / hop) + 1
    f0 = np.zeros(frames, np.float32)
    loudness = np.full(frames, SILENCE_DB, np.float32)
    words: list[Word] = []
    in_flight: dict[Future[Outputs], tuple[float, Future[Outputs] | None]] = {}

    def collect(asr: Future[Outputs]) -> None:
        nonlocal hop
        offset, pitch = in_flight.pop(asr)
        words.extend(_words(asr.result(), offset))
        if pitch is None:
            return
        out = pitch.result()
        hop = float(out["HOP_S"].reshape(-1)[0])
        first = round(offset / hop)
        chunk_f0 = out["F0_HZ"].reshape(-1)[: frames - first]
        f0[first : first + chunk_f0.size] = chunk_f0
        loudness[first : first + chunk_f0.size] = out["LOUDNESS_DB"].reshape(-1)[: chunk_f0.size]

    stopped = (lambda: cancel.seen) if cancel is not None else None
    unsent = deque(chunks)
    done = 0
    try:
        while unsent or in_flight:
            while unsent and len(in_flight) < limit:
                if cancel is not None:
                    cancel.raise_if_cancelled()
                a, b = unsent.popleft()
                audio = spool.read(a, b)
                asr = runtime.infer_async(
                    model, {"AUDIO": audio, "LANGUAGE": bytes_array([language])}, cancelled=stopped
                )
                pitch = (
                    runtime.infer_async(PROSODY_MODEL, {"AUDIO": audio}, cancelled=stopped)
                    if prosody
                    else None
                )
                in_flight[asr] = (a, pitch)
            finished, _ = wait(list(in_flight), timeout=_POLL_S, return_when=FIRST_COMPLETED)
            if cancel is not None:
                cancel.raise_if_cancelled()  # before reading answers a cancelled request may have cut short
            for asr in finished:
                collect(asr)
                done += 1
                if progress is not None:
                    progress(done / len(chunks))
    except BaseException:
        settle(f for asr, (_, pitch) in in_flight.items() for f in (asr, pitch) if f is not None)
        raise
    words.sort(key=lambda w: w.start_s)
    return words, Prosody(hop_s=hop, f0_hz=f0, loudness_db=loudness) if prosody else None


def extract_speech(
    runtime: Runtime,
    spool: AudioSpool,
    language: str,
    cancel: CancelToken | None = None,
    progress: Callable[[float], None] | None = None,
    prosody: bool = True,
) -> SpeechFeatures:
    """VAD, language identification when ``language`` is auto, then words, and prosody unless ``prosody``
    is False (no consent to analyse the voice: the voice model is then never called).

    ``progress`` gets the share done (VAD and language id count for a tenth, recognition the rest).
    """
    report = progress or (lambda fraction: None)
    segments = detect_speech(runtime, spool)
    report(0.05)
    if not segments:  # nothing to identify: "und" is BCP 47's "undetermined"
        return SpeechFeatures([], [], language if language != "auto" else UNDETERMINED, None, None, None)
    chunks = speech_chunks(segments, spool)
    probability = None
    if language == "auto":
        if cancel is not None:
            cancel.raise_if_cancelled()
        language, probability = choose_language(runtime, spool, chunks)
    report(0.1)
    words, pitch = recognise(
        runtime, spool, chunks, language, cancel, lambda share: report(0.1 + 0.9 * share), prosody
    )
    return SpeechFeatures(segments, words, language, probability, ASR_MODELS[language], pitch)
