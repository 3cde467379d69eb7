"""The analysis pipeline: one decode pass, the models once over the recording, then analyzers per answer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from server.analysis.base import Analyzer, Answer, RecordingFeatures
from server.analysis.language import detect_language
from server.analysis.registry import analyzers_for, text_analyzers
from server.analysis.signals import Signals
from server.errors import InputError, UnscorableError
from server.media.audio_spool import AudioSpool
from server.media.decoder import decode
from server.media.probe import probe
from server.pipeline.answers import cut_answers
from server.pipeline.audio_features import extract_speech
from server.pipeline.capture import measure_capture
from server.pipeline.frames import FACE_MODEL, FrameObserver
from server.pipeline.questions import Question, TextAnswer
from server.pipeline.result import AnalysedAnswer, AnalysisResult
from server.runtime import get_runtime
from server.scoring.policy import Policy

LANGUAGES = ("auto", "en", "zh")


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise InputError(f"language must be one of {', '.join(LANGUAGES)}, not '{language}'")


def run_analyzers(analyzers: Sequence[Analyzer], answer: Answer, features: RecordingFeatures) -> Signals:
    """Signals of one answer; an answer with no words gets no text signals rather than a row of zeros."""
    signals: Signals = {}
    for analyzer in analyzers:
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
) -> AnalysisResult:
    """Analyse a video or audio recording of an interview with the process-wide runtime and its settings.

    Analyzers the deployment ``policy`` forbids are never instantiated, so they cannot run.
    """
    _check_language(language)
    runtime = get_runtime()
    settings = runtime.settings
    analyzers = analyzers_for(policy)
    probe(path, settings)  # refuse a bad file before any work
    observer = FrameObserver(runtime, detect_faces=any(FACE_MODEL in a.models for a in analyzers))
    with AudioSpool() as spool:
        info = decode(path, settings, observer, spool)
        frames = observer.finish()
        speech = extract_speech(runtime, spool, language)
        duration = max(info.duration_s, spool.duration_s, frames[-1].t if frames else 0.0)
        quality = measure_capture(info, frames, spool, speech)
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
    analysed = [AnalysedAnswer(a, run_analyzers(analyzers, a, features)) for a in answers]
    whole = _whole_interview(answers, features, speech.language)
    models = {"asr": speech.asr_model} if speech.asr_model else {}
    return AnalysisResult(
        duration_s=duration,
        language=speech.language,
        quality=quality,
        words=speech.words,
        answers=analysed,
        signals=run_analyzers(analyzers, whole, features),
        media=info,
        models=models,
    )


def analyze_text(
    answers: Sequence[TextAnswer], language: str = "auto", policy: Policy | None = None
) -> AnalysisResult:
    """Analyse answers given as text: the same text and filler signals, no recording.

    With ``auto`` each answer's language is detected on its own (a bilingual chat interview happens).
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
    analysed = [AnalysedAnswer(a, run_analyzers(analyzers, a, features)) for a in items]
    return AnalysisResult(
        duration_s=0.0,
        language=interview_language,
        quality=measure_capture(None, [], None, None),
        words=[],
        answers=analysed,
        signals=run_analyzers(analyzers, _whole_interview(items, features, interview_language), features),
    )
