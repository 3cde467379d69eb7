"""The whole analysis on real recordings: faces found, answers cut, speech recognised, quality measured."""

from __future__ import annotations

import json
import re
from pathlib import Path

import av
import jiwer
import numpy as np
import pytest

from server.pipeline.analyze import analyze_recording
from server.pipeline.result import AnalysisResult
from tests.conftest import REPO_ROOT

SAMPLE = REPO_ROOT / "samples" / "sample_interview.mp4"
FILLERS_EN = REPO_ROOT / "tests" / "data" / "fillers_en"


def normalise_en(text: str) -> str:
    text = text.lower().replace("%", " percent")
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text).split())


def face_share(result: AnalysisResult) -> float:
    return result.signals["face.presence"].value


def test_a_face_is_found_in_almost_every_frame_of_a_webcam_clip(fixtures_dir: Path) -> None:
    result = analyze_recording(fixtures_dir / "video" / "single_face.mp4")
    assert face_share(result) >= 0.9
    assert result.signals["face.extra_faces"].value == 0
    assert "face_not_visible" not in result.quality.codes


def test_no_face_is_found_where_there_is_none(fixtures_dir: Path) -> None:
    result = analyze_recording(fixtures_dir / "video" / "no_face.mp4")
    assert face_share(result) <= 0.05
    assert "face_not_visible" in result.quality.codes


def _scene_cut(path: Path) -> float:
    """Ground truth from pixels alone: the time of the largest frame-to-frame change."""
    previous, best = None, (0.0, 0.0)
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            grey = frame.to_ndarray(format="gray", width=160, height=90).astype(np.float32)
            if previous is not None:
                best = max(best, (float(np.abs(grey - previous).mean()), float(frame.time)))
            previous = grey
    return best[1]


def test_the_switch_from_face_to_no_face_is_found_within_a_second(fixtures_dir: Path) -> None:
    path = fixtures_dir / "video" / "face_noface.mov"  # HEVC: a face, then a cartoon
    cut = _scene_cut(path)
    result = analyze_recording(path)
    gaps = [e for e in result.signals["face.presence"].evidence if e.note == "no face visible"]
    assert gaps, "the face-less part was not reported"
    assert abs(gaps[0].start_s - cut) <= 1.0, (gaps[0].start_s, cut)
    assert gaps[0].end_s >= result.duration_s - 1.0


def _wer_of(path: Path, language: str) -> tuple[float, AnalysisResult]:
    reference = path.with_suffix(".txt").read_text().strip()
    result = analyze_recording(path, language=language)
    return jiwer.wer(normalise_en(reference), normalise_en(result.transcript_text())), result


@pytest.mark.parametrize("language", ["en", "auto"])
def test_librivox_word_error_rate_with_the_english_default(fixtures_dir: Path, language: str) -> None:
    clips = sorted((fixtures_dir / "speech_en").glob("*.wav"))
    references, hypotheses = [], []
    for clip in clips:
        result = analyze_recording(clip, language=language)
        assert result.language == "en"
        assert result.models["asr"] == "asr_whisper_tiny_en"
        references.append(normalise_en(clip.with_suffix(".txt").read_text()))
        hypotheses.append(normalise_en(result.transcript_text()))
    assert jiwer.wer(references, hypotheses) <= 0.15


@pytest.mark.parametrize("language", ["zh", "auto"])
def test_aishell_character_error_rate_with_the_multilingual_model(fixtures_dir: Path, language: str) -> None:
    clip = fixtures_dir / "speech_zh" / "BAC009S0764W0121.wav"
    reference = clip.with_name("BAC009S0764W0121.txt.tsv").read_text(encoding="utf-8").split("\t")[-1].strip()
    result = analyze_recording(clip, language=language)
    assert result.language == "zh"
    hypothesis = re.sub(r"[^\w]", "", result.transcript_text())
    assert jiwer.cer(re.sub(r"[^\w]", "", reference), hypothesis) <= 0.20


@pytest.fixture(scope="module")
def sample_result(sample_analysis) -> AnalysisResult:
    return sample_analysis


def test_sample_interview_answers_are_cut_where_they_really_are(sample_result: AnalysisResult) -> None:
    truth = json.loads(SAMPLE.with_suffix(".questions.json").read_text())
    assert len(sample_result.answers) == len(truth)
    for analysed, expected in zip(sample_result.answers, truth, strict=True):
        words = analysed.answer.words
        assert abs(words[0].start_s - expected["start_s"]) <= 1.0
        assert abs(words[-1].end_s - expected["end_s"]) <= 1.0


def test_sample_interview_transcript_and_signals(sample_result: AnalysisResult) -> None:
    answers = json.loads((REPO_ROOT / "samples" / "sample_interview.answers.json").read_text())
    reference = [normalise_en(a["answer"]) for a in answers]
    hypothesis = [normalise_en(a.answer.text) for a in sample_result.answers]
    assert jiwer.wer(reference, hypothesis) <= 0.2  # synthetic espeak voice: harder than a person
    signals = sample_result.signals
    assert signals["speech.filler_count"].value >= 3
    assert 110 <= signals["speech.words_per_minute"].value <= 200
    assert signals["face.presence"].value >= 0.9
    assert 60 <= signals["voice.pitch_median_hz"].value <= 250
    led_a_team = sample_result.answers[1].signals
    # STAR parts found through recognition errors ("in my last role" heard as "in my last row" hides the
    # situation cue in some runs): at least three of the four parts, always the action and the result
    parts = [led_a_team[f"text.star.{part}"].value for part in ("situation", "task", "action", "result")]
    assert sum(value > 0 for value in parts) >= 3 and parts[2] > 0 and parts[3] > 0
    assert led_a_team["text.quantified_results"].value >= 1
    assert sample_result.quality.codes == ()  # a clean recording earns no warning
    spans = [(e.start_s, e.end_s) for e in led_a_team["speech.words_per_minute"].evidence]
    assert spans and all(start is not None for start, _ in spans)


def test_fillers_in_a_spoken_answer_are_counted_close_to_the_script() -> None:
    """Issue 10: Whisper leaves most fillers out unless prompted with disfluent text. SYNTHETIC speech
    (espeak-ng reading a script with 14 fillers, see tests/data/fillers_en/README.md): at least 8 of the
    14 must survive recognition and counting (measured: 8; without the prompt 4), and none be invented."""
    script = (FILLERS_EN / "espeak_fillers_en.txt").read_text(encoding="utf-8")
    result = analyze_recording(FILLERS_EN / "espeak_fillers_en.ogg", language="en")
    count = result.signals["speech.filler_count"].value
    assert 8 <= count <= 14, result.transcript_text()
    assert jiwer.wer(normalise_en(script), normalise_en(result.transcript_text())) <= 0.4  # espeak: hard


def test_silent_video_is_analysed_with_a_little_speech_warning(fixtures_dir: Path) -> None:
    result = analyze_recording(fixtures_dir / "video" / "no_face.mp4")
    assert "speech.words_per_minute" not in result.signals
    assert result.media.audio is not None  # the clip has an audio track, so the warning must come
    assert "little_speech" in result.quality.codes
