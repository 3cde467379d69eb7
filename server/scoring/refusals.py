"""When the evidence cannot support a score: named reasons instead of a number.

A score made from garbage is worse than none (one open-source project scored a candidate from an
unintelligible transcript and invented her body language). Each rule below is a ``Refusal`` with a stable
``code`` for programs and a message for people that names the measured value.

Interview-level refusals stop every score; answer-level ones drop that answer (the others still count);
modality refusals drop the signals of a modality without consent, and a competency left with nothing to stand
on is refused with that reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from server.analysis.base import Answer
    from server.pipeline.result import AnalysisResult
    from server.scoring.scenario import Scenario

MIN_WORDS_EN = 20
"""Below about 20 English words (8-10 seconds of speech) an answer cannot hold a situation, an action and an
outcome, and its embedding, structure and rate signals are dominated by chance: the rubric's own weak
examples are 12-20 words."""
MIN_CHARS_ZH = 40
"""The same amount of content in Chinese: written Chinese takes about two characters per English word, so
20 words are about 40 characters (counted as letters and digits, punctuation left out)."""
MIN_ASR_PROBABILITY = 0.5
"""Mean recogniser word probability below which at least every other word is a guess: what was said is not
known well enough to score what was said."""
LOW_ASR_WARNING = "low_asr_confidence"
"""The capture-quality warning (mean word probability under its own, stricter 0.6) that also refuses."""
MIN_FACE_PRESENCE = 0.5
"""A scenario that requires the face is scored only when a face is visible in at least half of the sampled
frames; below that, who answered (and any face signal) is not established."""

FACE, VOICE = "face", "voice"
MODALITIES: frozenset[str] = frozenset({FACE, VOICE})
"""Biometric modalities that need separate consent (GDPR Art. 9, PIPL Art. 28-29, Illinois AI Video
Interview Act). ``speech.*`` (the transcript and its timing) and ``text.*`` are what was said, not biometric
data; ``motion.*`` measures the whole picture, not the person."""
SIGNAL_MODALITY = {"face": FACE, "voice": VOICE}
"""Signal name prefix -> modality."""
CONSENT_MISSING = "consent_missing"
"""The one reason code for a modality without consent: in refusals, in ``consent.not_analysed`` and in the
upload's ``FAILED_PRECONDITION``."""
NOT_ANALYSED_REASONS = {
    FACE: "No consent to analyse the face: the face model did not run, so there are no face.* signals and no "
    "face capture measures or warnings",
    VOICE: "No consent to analyse the voice: the voice model did not run, so there are no voice.* signals "
    "(the transcript, speech.* and text.* signals are not biometric and were analysed)",
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """One reason a score is not given: ``code`` (stable), ``message`` (for people), and the answer it
    concerns (its index) when it concerns one."""

    code: str
    message: str
    answer: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.answer is not None:
            out["answer"] = self.answer
        return out


class ConsentPolicy(Protocol):
    """The part of a deployment policy (``server.scoring.policy.Policy``) scoring reads: the modalities
    whose analysis needs the candidate's recorded consent."""

    @property
    def require_consent(self) -> Sequence[str]: ...


DEFAULT_REQUIRE_CONSENT: frozenset[str] = MODALITIES
"""With no policy, consent is asked for both biometric modalities: a caller who says the candidate did not
consent to face analysis is always obeyed."""


def signal_modality(signal: str) -> str | None:
    return SIGNAL_MODALITY.get(signal.split(".", 1)[0])


def blocked_modalities(consent: frozenset[str], policy: ConsentPolicy | None) -> frozenset[str]:
    """Modalities whose signals may not be used: consent required (by the policy, or by default) and not
    given."""
    required = DEFAULT_REQUIRE_CONSENT if policy is None else frozenset(policy.require_consent)
    return required - consent


@dataclass(frozen=True, slots=True)
class NotAnalysed:
    """A modality the analysis left out, and why: what a result records so nobody mistakes a missing face
    signal for a face that was not seen."""

    modality: str
    code: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"modality": self.modality, "code": self.code, "reason": self.reason}


def not_analysed_for_consent(blocked: frozenset[str]) -> tuple[NotAnalysed, ...]:
    """The record of modalities not analysed because their consent is missing, in a stable order."""
    return tuple(NotAnalysed(m, CONSENT_MISSING, NOT_ANALYSED_REASONS[m]) for m in sorted(blocked))


def consent_precondition(scenario: Scenario, blocked: frozenset[str]) -> str | None:
    """Why ``scenario`` cannot be scored at all when the ``blocked`` modalities may not be analysed, or
    None: it requires the face and the face is blocked, or every competency rests only on signals of
    blocked modalities (no rubric, nothing else). Checked at upload, before the recording is stored."""
    if scenario.requires_face and FACE in blocked:
        return f"scenario '{scenario.id}' requires the face, and there is no consent to analyse the face"
    needed: set[str] = set()
    for competency in scenario.competencies:
        modalities = {signal_modality(s.signal) for s in competency.signals}
        if competency.rubric is not None or None in modalities or not modalities <= blocked:
            return None
        needed |= {m for m in modalities if m is not None}
    if not needed:
        return None
    names = " and ".join(sorted(needed))
    return (
        f"every competency of scenario '{scenario.id}' is scored from {names} signals only, and there is "
        f"no consent to analyse {names}"
    )


def consent_refusal(modalities: frozenset[str] | set[str]) -> Refusal:
    names = ", ".join(sorted(modalities))
    return Refusal(
        CONSENT_MISSING,
        f"No consent to analyse {names}: those signals were not used, and nothing else evidences this score",
    )


def content_units(answer: Answer) -> int:
    """How much an answer says: words in English, letters and digits (characters) in Chinese; the same
    units as ``speech.word_count``."""
    if answer.language == "zh":
        return sum(1 for ch in answer.text if ch.isalnum())
    from server.analysis.text.tokens import tokenize

    return len(tokenize(answer.text, "en"))


def _mean_probability(answer: Answer) -> float | None:
    if not answer.words:
        return None
    return sum(w.probability for w in answer.words) / len(answer.words)


def answer_refusals(answer: Answer) -> list[Refusal]:
    """Why one answer cannot be scored (empty when it can)."""
    i = answer.index
    if not answer.text.strip():
        return [Refusal("no_answer", "No answer: nothing was said or written for this question", i)]
    reasons = []
    probability = _mean_probability(answer)
    if probability is not None and probability < MIN_ASR_PROBABILITY:
        reasons.append(
            Refusal(
                "asr_unreliable",
                f"Speech recognition is unreliable for this answer (mean word probability {probability:.2f}, "
                f"under {MIN_ASR_PROBABILITY})",
                i,
            )
        )
    units = content_units(answer)
    minimum, unit = (MIN_CHARS_ZH, "characters") if answer.language == "zh" else (MIN_WORDS_EN, "words")
    if units < minimum:
        reasons.append(
            Refusal(
                "answer_too_short",
                f"Answer too short to score: {units} {unit}, at least {minimum} needed",
                i,
            )
        )
    return reasons


def _face_presence(analysis: AnalysisResult) -> float | None:
    signal = analysis.signals.get("face.presence")
    if signal is not None:
        return float(signal.value)
    return analysis.quality.measures.get("face_visible_share")


def interview_refusals(
    scenario: Scenario,
    analysis: AnalysisResult,
    consent: frozenset[str],
    policy: ConsentPolicy | None = None,
) -> list[Refusal]:
    """Why no score at all can be given (empty when scoring may go ahead)."""
    reasons = []
    if not any(a.answer.text.strip() for a in analysis.answers):
        reasons.append(
            Refusal(
                "no_speech",
                f"No speech found: the {analysis.duration_s:.1f} s recording has no recognised words"
                if analysis.media is not None
                else "No answer text: every answer is empty",
            )
        )
    probabilities = [w.probability for w in analysis.words]
    mean = sum(probabilities) / len(probabilities) if probabilities else None
    if LOW_ASR_WARNING in analysis.quality.codes or (mean is not None and mean < MIN_ASR_PROBABILITY):
        shown = f"{mean:.2f}" if mean is not None else "low"
        reasons.append(
            Refusal(
                "asr_unreliable",
                f"Speech recognition is unreliable (mean word probability {shown}): the transcript cannot "
                "be trusted to score what was said",
            )
        )
    if scenario.requires_face:
        if FACE in blocked_modalities(consent, policy):
            reasons.append(
                Refusal(
                    CONSENT_MISSING,
                    "This scenario requires the face, and there is no consent to analyse it",
                )
            )
        else:
            presence = _face_presence(analysis)
            if presence is None or presence < MIN_FACE_PRESENCE:
                seen = "no video" if presence is None else f"a face in {presence:.0%} of sampled frames"
                reasons.append(
                    Refusal(
                        "face_not_visible",
                        f"This scenario requires the candidate's face, but the recording shows {seen} "
                        f"(at least {MIN_FACE_PRESENCE:.0%} needed)",
                    )
                )
    return reasons
