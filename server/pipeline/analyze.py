"""The analysis pipeline: one decode pass, the models once over the recording, then analyzers per answer."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

from server.analysis.base import Analyzer, Answer, RecordingFeatures
from server.analysis.language import detect_language
from server.analysis.registry import analyzers_for, text_analyzers
from server.analysis.signals import Signals
from server.analysis.text.ahead import embed_ahead
from server.analysis.text.embedding import one_interview
from server.errors import InputError, UnscorableError
from server.media.audio_spool import AudioSpool
from server.media.decoder import decode
from server.media.probe import probe
from server.pipeline.answers import cut_answers
from server.pipeline.audio_features import PROSODY_MODEL, SpeechFeatures, extract_speech
from server.pipeline.cancel import CancelToken, ProgressCallback, ProgressReporter
from server.pipeline.capture import measure_capture
from server.pipeline.frames import FACE_MODEL, FrameObserver
from server.pipeline.questions import Question, TextAnswer
from server.pipeline.result import AnalysedAnswer, AnalysisResult
from server.runtime import get_runtime
from server.scoring.policy import Policy
from server.scoring.refusals import FACE, VOICE, not_analysed_for_consent, signal_modality

LANGUAGES = ("auto", "en", "zh")
MODALITY_MODELS = {FACE: FACE_MODEL, VOICE: PROSODY_MODEL}
"""The model that reads each biometric modality: never called for a modality without consent."""


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise InputError(f"language must be one of {', '.join(LANGUAGES)}, not '{language}'")


def consented(analyzers: Sequence[Analyzer], blocked: frozenset[str]) -> list[Analyzer]:
    """The analyzers that touch no ``blocked`` modality, by the models they declare or the signals they emit:
    what is left out cannot call the modality's model nor derive anything from it."""
    models = {MODALITY_MODELS[m] for m in blocked}
    return [
        a
        for a in analyzers
        if not models & set(a.models) and not any(signal_modality(s) in blocked for s in a.signals)
    ]


def run_analyzers(
    analyzers: Sequence[Analyzer],
    answer: Answer,
    features: RecordingFeatures,
    cancel: CancelToken | None = None,
) -> Signals:
    """Signals of one answer; an answer with no words gets no text signals rather than a row of zeros."""
    signals: Signals = {}
    for analyzer in analyzers:
        if cancel is not None:
            cancel.raise_if_cancelled()
        if analyzer.needs_recording or answer.text:
            signals.update(analyzer.analyze(answer, features))
    return signals


def _whole_interview(answers: Sequence[Answer], features: RecordingFeatures, language: str) -> Answer:
    """The whole interview as one span with no question, for interview-level signals."""
    separator = "" if language == "zh" else " "
    text = separator.join(a.text for a in answers if a.text)
    return Answer(
        index=-1,
        question=None,
        text=text,
        language=language,
        start_s=0.0 if features.duration_s else None,
        end_s=features.duration_s or None,
        words=list(features.words),
    )


def analyze_recording(
    path: Path,
    questions: Sequence[Question] = (),
    language: str = "auto",
    policy: Policy | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    blocked: frozenset[str] = frozenset(),
) -> AnalysisResult:
    """Analyse a video or audio recording of an interview with the process-wide runtime and its settings.

    Analyzers the deployment ``policy`` forbids are never instantiated, so they cannot run. A ``blocked``
    modality (no consent: ``refusals.blocked_modalities``) is not analysed at all: its model is never called
    (no face detection, no prosody), its analyzers do not run, its capture measures are left out, and the
    result records it in ``not_analysed``. ``progress`` gets
    ``("decoding", share)`` then ``("analysing", share)``, each share rising to 1, at most ten times a second.
    ``cancel`` stops the analysis with ``Cancelled``: no new model call starts after the next check (within
    0.1 s), calls already running finish first (speech recognition at the end of its current 30 s window), so
    once it has raised no work of this analysis is left on the cores, and its audio spool and decoder are
    closed.
    """
    _check_language(language)
    runtime = get_runtime()
    settings = runtime.settings
    analyzers = consented(analyzers_for(policy), blocked)
    reporter = ProgressReporter(progress)
    probe(path, settings)  # refuse a bad file before any work

    def decoded(share: float) -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()
        reporter.report("decoding", share)

    detect_faces = any(FACE_MODEL in a.models for a in analyzers)
    prosody = any(PROSODY_MODEL in a.models for a in analyzers)
    observer = FrameObserver(runtime, detect_faces=detect_faces)
    # Speech runs in a thread of its own from the moment the audio is spooled, beside the video decode and
    # face detection: the two halves then share the cores instead of taking turns. ``stop`` ends it early
    # when the caller cancels or the decode fails.
    stop = CancelToken(check=(lambda: cancel.cancelled) if cancel is not None else None, interval_s=0.0)
    speech_share = [0.0]
    with AudioSpool() as spool, ThreadPoolExecutor(1, thread_name_prefix="hirelens-speech") as worker:
        speech_job: list[Future[SpeechFeatures]] = []

        def speech_progress(share: float) -> None:
            speech_share[0] = share  # read by this thread, which alone reports progress

        def start_speech() -> None:
            speech_job.append(
                worker.submit(extract_speech, runtime, spool, language, stop, speech_progress, prosody)
            )

        reporter.report("decoding", 0.0)
        try:
            info = decode(path, settings, observer, spool, on_progress=decoded, on_audio=start_speech)
            frames = observer.finish()
        except BaseException:
            observer.abandon()
            stop.cancel()
            if speech_job:
                wait(speech_job)  # it settles its own model calls
            raise
        reporter.report("decoding", 1.0)
        while True:
            reporter.report("analysing", 0.8 * speech_share[0])
            if wait(speech_job, timeout=0.1).done:
                break
            if cancel is not None and cancel.cancelled:
                stop.cancel()
        speech = speech_job[0].result()
        reporter.report("analysing", 0.8)
        duration = max(info.duration_s, spool.duration_s, frames[-1].t if frames else 0.0)
        quality = measure_capture(info, frames, spool, speech, faces_detected=detect_faces)
    if not speech.segments and not frames:
        raise UnscorableError(
            f"no speech found in {duration:.1f} s of audio and the file has no video: nothing to analyse"
        )
    features = RecordingFeatures(
        duration_s=duration,
        speech_segments=speech.segments,
        words=speech.words,
        prosody=speech.prosody,
        frames=frames,
        frame_rate=settings.frame_rate,
    )
    answers = cut_answers(questions, speech.segments, speech.words, duration, speech.language)
    spans = len(answers) + 1
    analysed = []
    with one_interview():  # relevance and keywords, per answer and for the whole interview, share vectors
        for i, answer in enumerate(answers):
            analysed.append(AnalysedAnswer(answer, run_analyzers(analyzers, answer, features, cancel)))
            reporter.report("analysing", 0.8 + 0.2 * (i + 1) / spans)
        whole = _whole_interview(answers, features, speech.language)
        signals = run_analyzers(analyzers, whole, features, cancel)
    reporter.report("analysing", 1.0)
    models = {"asr": speech.asr_model} if speech.asr_model else {}
    return AnalysisResult(
        duration_s=duration,
        language=speech.language,
        quality=quality,
        words=speech.words,
        answers=analysed,
        signals=signals,
        media=info,
        models=models,
        not_analysed=not_analysed_for_consent(blocked),
    )


def analyze_text(
    answers: Sequence[TextAnswer], language: str = "auto", policy: Policy | None = None
) -> AnalysisResult:
    """Analyse answers given as text: the same text and filler signals, no recording.

    With ``auto`` each answer's language is detected on its own (a bilingual chat interview happens). What
    the analyzers embed goes to the models up front, in one batched call per model (``embed_ahead``); called
    inside ``one_interview`` (as ``score_text_answers`` does), scoring then reuses those vectors.
    """
    _check_language(language)
    analyzers = text_analyzers(analyzers_for(policy))
    features = RecordingFeatures()
    items = [
        Answer(
            index=i,
            question=a.question,
            text=a.answer.strip(),
            language=detect_language(a.answer) if language == "auto" else language,
        )
        for i, a in enumerate(answers)
    ]
    interview_language = language
    if language == "auto":
        interview_language = detect_language(" ".join(a.text for a in items))
    whole = _whole_interview(items, features, interview_language)
    with one_interview():
        embed_ahead(items, whole, keywords=any(a.name == "text.keywords" for a in analyzers))
        analysed = [AnalysedAnswer(a, run_analyzers(analyzers, a, features)) for a in items]
        signals = run_analyzers(analyzers, whole, features)
    return AnalysisResult(
        duration_s=0.0,
        language=interview_language,
        quality=measure_capture(None, [], None, None),
        words=[],
        answers=analysed,
        signals=signals,
    )
