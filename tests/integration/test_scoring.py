"""Scoring on real inputs: the general_behavioral scenario, hand-written answers in English and Chinese, real
recordings, the real models, and ``hirelens score`` as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from server.analysis.base import Answer
from server.commands.score import render
from server.pipeline.analyze import analyze_recording, analyze_text
from server.pipeline.questions import Question, TextAnswer
from server.scoring.engine import ScoreResult, score_interview
from server.scoring.policy import Policy
from server.scoring.question_match import MATCH_THRESHOLD, match_question
from server.scoring.refusals import MIN_CHARS_ZH, MIN_WORDS_EN
from server.scoring.registry import ScenarioRegistry
from server.scoring.rubric import rubric_match
from server.scoring.scenario import Scenario
from tests.conftest import REPO_ROOT
from tests.media_factory import AudioSpec, VideoSpec, real_frames, real_speech, write_recording

pytestmark = pytest.mark.slow

DATA = json.loads((REPO_ROOT / "tests" / "data" / "scoring_answers.json").read_text(encoding="utf-8"))
ANSWERS = DATA["interviews"]  # language -> level -> question id -> answer
LEADING_A_TEAM = DATA["content"]["leading_a_team"]  # language -> a story of leading a team
WEEKEND = DATA["content"]["weekend"]  # language -> about weekends: evidences nothing
LEVELS = ("weak", "solid", "strong")


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """Version 1.0.0, the theory weights: these tests pin the engine's arithmetic (renormalised weights,
    rubric halves, refusals) on a scenario whose weights do not move when version 2 is refitted."""
    return ScenarioRegistry().get("general_behavioral", "1.0.0")


def question_text(scenario: Scenario, question_id: str, language: str) -> str:
    question = next(q for q in scenario.questions if q.id == question_id)
    return getattr(question.text, language)


def interview(scenario: Scenario, language: str, level: str) -> ScoreResult:
    answers = [
        TextAnswer(question=question_text(scenario, qid, language), answer=text)
        for qid, text in ANSWERS[language][level].items()
    ]
    return score_interview(scenario, analyze_text(answers, language))


@pytest.fixture(scope="module")
def scored(scenario: Scenario, runtime) -> dict[tuple[str, str], ScoreResult]:
    return {(lang, level): interview(scenario, lang, level) for lang in ("en", "zh") for level in LEVELS}


def rubric_competencies(scenario: Scenario) -> list[str]:
    return [c.id for c in scenario.competencies if c.rubric is not None]


# --- weighting, norms and the rubric blend --------------------------------------------------------------


def test_every_answer_score_is_the_documented_blend(scenario: Scenario, scored) -> None:
    declared = {c.id: c for c in scenario.competencies}
    for result in scored.values():
        for competency in result.competencies:
            spec = declared[competency.id]
            for item in competency.evidence:
                present = sum(s.weight for s in item.signals)
                signal_score = sum(s.score * s.weight for s in item.signals) / present
                if item.rubric is None:
                    assert item.score == pytest.approx(signal_score)
                else:
                    weight = spec.rubric.weight
                    assert item.score == pytest.approx(
                        (1 - weight) * signal_score + weight * item.rubric.score
                    )
            mean = sum(e.score for e in competency.evidence) / len(competency.evidence)
            assert competency.score == round(mean, 1)


def test_signal_weights_are_renormalised_over_the_signals_present(scored) -> None:
    # Text-only answers have no speaking rate or pauses: communication's signal half stands on fillers and
    # relevance (0.3 + 0.2 of the declared 1.0), its rubric half on the anchors.
    communication = scored[("en", "strong")].competency("communication")
    item = communication.evidence[0]
    assert [s.signal for s in item.signals] == ["speech.filler_rate", "text.relevance"]
    assert item.rubric is not None and item.rubric_weight == 0.5
    assert item.coverage == pytest.approx(0.5 * (0.3 + 0.2) + 0.5)
    signal_part = (0.3 * item.signals[0].score + 0.2 * item.signals[1].score) / 0.5
    assert item.score == pytest.approx(0.5 * signal_part + 0.5 * item.rubric.score)
    assert item.signals[0].value == 0.0 and item.signals[0].score == 10.0  # no fillers -> the norm's 10


def test_overall_is_the_weighted_mean_and_confidence_is_bounded(scored) -> None:
    for result in scored.values():
        competencies = [c for c in result.competencies if c.score is not None]
        weights = sum(c.weight for c in competencies)
        assert result.score == round(sum(c.weight * c.score for c in competencies) / weights, 1)
        for competency in competencies:
            assert 0 < competency.confidence <= competency.coverage + 1e-9 <= 1 + 1e-9


def test_rubric_alone_when_no_signal_was_measured(scenario: Scenario, runtime) -> None:
    data = scenario.model_dump()
    self_awareness = next(c for c in data["competencies"] if c["id"] == "self_awareness")
    self_awareness["signals"] = [
        {
            "signal": "voice.pitch_variability_st",
            "weight": 1,
            "norm": {"kind": "piecewise", "points": [[0, 0], [6, 10]]},
        }
    ]
    voiced = Scenario.model_validate(data)
    text = ANSWERS["en"]["strong"]["weakness"]
    result = score_interview(
        voiced, analyze_text([TextAnswer(question="What is your greatest weakness?", answer=text)])
    )
    (item,) = result.competency("self_awareness").evidence
    assert item.signals == []  # typed text has no voice
    assert item.score == pytest.approx(item.rubric.score)
    assert item.coverage == pytest.approx(0.8)  # the rubric's share of the declared evidence


def test_longer_answers_give_more_confidence(scored) -> None:
    for language in ("en", "zh"):
        strong, weak = scored[(language, "strong")], scored[(language, "weak")]
        for competency_id in ("communication", "motivation", "self_awareness"):
            assert strong.competency(competency_id).confidence > weak.competency(competency_id).confidence


# --- the rubric --------------------------------------------------------------------------------------------


def test_rubric_examples_score_at_their_own_level(scenario: Scenario, runtime) -> None:
    for competency in scenario.competencies:
        if competency.rubric is None:
            continue
        asked = next(q.id for q in scenario.questions if competency.id in q.competencies)
        for language in ("en", "zh"):
            scores = []
            for level in competency.rubric.levels:
                answer = Answer(
                    0, question_text(scenario, asked, language), level.examples[language][0], language
                )
                match = rubric_match(competency.rubric, answer)
                assert match.level == level.level, (competency.id, language, match)
                assert match.score == pytest.approx(level.score, abs=0.6)
                scores.append(match.score)
            assert scores[0] < scores[1] < scores[2], (competency.id, language, scores)


def _hand_written_rubric_scores(scenario: Scenario) -> dict[tuple[str, str, str], list[float]]:
    """(language, competency, question) -> rubric score of the weak, solid and strong answers."""
    out = {}
    for competency in scenario.competencies:
        if competency.rubric is None:
            continue
        for question in (q for q in scenario.questions if competency.id in q.competencies):
            for language in ("en", "zh"):
                text = question_text(scenario, question.id, language)
                out[(language, competency.id, question.id)] = [
                    rubric_match(
                        competency.rubric, Answer(0, text, ANSWERS[language][lv][question.id], language)
                    ).score
                    for lv in LEVELS
                ]
    return out


def test_rubric_ranks_hand_written_answers(scenario: Scenario, runtime) -> None:
    scores = _hand_written_rubric_scores(scenario)
    assert len(scores) == 24  # (question, rubric competency it probes) pairs, in two languages
    for key, (weak, solid, strong) in scores.items():
        assert weak < solid and weak < strong, (key, weak, solid, strong)
    for language in ("en", "zh"):
        means = np.mean([s for (lang, _, _), s in scores.items() if lang == language], axis=0)
        assert means[0] < means[1] < means[2], (language, means)
        assert means[2] - means[0] > 3.0


def test_strong_answers_beat_weak_ones_on_every_text_competency(scenario: Scenario, scored) -> None:
    for language in ("en", "zh"):
        strong, weak = scored[(language, "strong")], scored[(language, "weak")]
        for competency_id in rubric_competencies(scenario):
            assert strong.competency(competency_id).score > weak.competency(competency_id).score, (
                language,
                competency_id,
            )
        assert strong.score > weak.score
        assert strong.fit.percent > weak.fit.percent


def test_every_score_names_its_signals_and_excerpts(scored) -> None:
    for competency in scored[("zh", "strong")].to_dict()["competencies"]:
        assert competency["evidence"], competency["id"]
        for item in competency["evidence"]:
            assert item["signals"] or item["rubric"]
            for signal in item["signals"]:
                assert {"signal", "value", "score", "weight", "evidence"} <= set(signal)
            if item["rubric"] is not None:
                excerpt = item["rubric"]["evidence"]["excerpt"]
                assert excerpt in ANSWERS["zh"]["strong"][item["question"]]


# --- tags, fit, KPI baselines ------------------------------------------------------------------------------


def test_tags_follow_their_thresholds(scenario: Scenario, scored) -> None:
    rules = {t.id: t for t in scenario.tags}
    for result in scored.values():
        given = {t.id for t in result.tags}
        for rule in rules.values():
            score = result.competency(rule.competency).score
            assert (rule.id in given) == (score is not None and score >= rule.at_least)
    reasoning = [r for r in scored.values() if "clear_reasoning" in {t.id for t in r.tags}]
    for result in reasoning:
        tag = next(t for t in result.tags if t.id == "clear_reasoning")
        assert tag.names["zh"] == "逻辑清晰" and tag.score >= 7.5


def test_fit_is_weighted_attainment_of_the_requirement_profile(scenario: Scenario, scored) -> None:
    for result in scored.values():
        attainment = [
            min(1.0, result.competency(cid).score / required)
            for cid, required in scenario.requirement_profile.items()
        ]
        assert result.fit.percent == round(100 * sum(attainment) / len(attainment), 1)  # all weights are 1
        met = [r.met for r in result.fit.requirements]
        assert met == [result.competency(r.competency).score >= r.required for r in result.fit.requirements]


def test_kpi_baseline_reads_the_teamwork_table(scored) -> None:
    for result in scored.values():
        (baseline,) = result.kpi_baselines
        score = result.competency("teamwork").score
        assert (baseline.kpi, baseline.competency, baseline.score) == ("team_contribution", "teamwork", score)
        expected = 70 if score <= 6 else 85 if score >= 8 else 70 + (score - 6) * 7.5
        assert baseline.target == pytest.approx(expected)
        assert (baseline.unit, baseline.source) == ("points", "declared")
        assert baseline.label == ("excellent" if score >= 8 else "pass" if score >= 6 else None)


# --- question matching and content evidence ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("wording", "expected"),
    [
        ("So, what would you say is your biggest weakness?", "weakness"),
        ("说说你最大的缺点", "weakness"),
        ("Give me an example of when you were in charge of a group.", "led_a_team"),
        ("讲讲你和同事一起解决问题的经历", "teamwork"),
        ("介绍一下你自己", "about_yourself"),
        ("Why are you the best person for this job?", "why_hire_you"),
        ("weakness", "weakness"),
        ("  tell me about YOURSELF. ", "about_yourself"),
        ("What's your favourite colour?", None),
        ("今天天气怎么样", None),
    ],
)
def test_free_text_questions_match_the_closest_scenario_question(
    scenario: Scenario, runtime, wording, expected
):
    match = match_question(scenario, wording)
    assert match.question_id == expected
    if expected is None:
        assert match.method == "unmatched" and match.similarity < MATCH_THRESHOLD


@pytest.mark.parametrize("language", ["en", "zh"])
def test_an_answer_counts_toward_what_its_content_evidences(scenario: Scenario, runtime, language) -> None:
    answers = [
        TextAnswer(
            question=question_text(scenario, "why_hire_you", language), answer=LEADING_A_TEAM[language]
        ),
        TextAnswer(question=question_text(scenario, "about_yourself", language), answer=WEEKEND[language]),
    ]
    result = score_interview(scenario, analyze_text(answers, language))
    leading, weekend = result.answers
    assert leading.match.question_id == "why_hire_you"
    assert "leadership" in leading.evidences
    assert weekend.evidences == {}
    leadership = result.competency("leadership")
    assert [(e.answer, e.via) for e in leadership.evidence] == [(0, "content")]
    assert leadership.score is not None


def test_unmatched_question_still_counts_by_content(scenario: Scenario, runtime) -> None:
    answers = [TextAnswer(question="What did you do in your last job?", answer=LEADING_A_TEAM["en"])]
    result = score_interview(scenario, analyze_text(answers, "en"))
    assert result.answers[0].match.method == "unmatched"
    assert result.competency("leadership").evidence[0].via == "content"
    assert result.competency("leadership").score is not None


# --- refusals ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "unit", "minimum"),
    [
        ("en", "I'm not great with deadlines, honestly.", "words", MIN_WORDS_EN),
        ("zh", "我的缺点是有点急躁，做事比较快。", "characters", MIN_CHARS_ZH),
    ],
)
def test_too_short_answer_is_refused_with_its_reason(
    scenario: Scenario, runtime, language, text, unit, minimum
):
    answers = [
        TextAnswer(question=question_text(scenario, "weakness", language), answer=text),
        TextAnswer(
            question=question_text(scenario, "led_a_team", language),
            answer=ANSWERS[language]["strong"]["led_a_team"],
        ),
    ]
    result = score_interview(scenario, analyze_text(answers, language))
    (refusal,) = result.answers[0].refusals
    assert refusal.code == "answer_too_short" and refusal.answer == 0
    assert f"at least {minimum} needed" in refusal.message and unit in refusal.message
    self_awareness = result.competency("self_awareness")
    assert self_awareness.score is None
    assert [r.code for r in self_awareness.insufficient_data] == ["answer_too_short"]
    communication = result.competency("communication")  # asked in both: scored from the long answer only
    assert communication.score is not None and [e.answer for e in communication.evidence] == [1]
    assert result.score is not None
    assert result.fit.percent is None
    assert result.fit.insufficient_data[0].code == "requirements_not_assessed"


def test_every_answer_too_short_refuses_the_overall_score(scenario: Scenario, runtime) -> None:
    answers = [TextAnswer(question=question_text(scenario, "weakness", "en"), answer="Blue, probably.")]
    result = score_interview(scenario, analyze_text(answers, "en"))
    out = result.to_dict()["overall"]
    assert out["score"] is None and out["confidence"] is None
    assert {r["code"] for r in out["insufficient_data"]} == {"answer_too_short", "no_evidence"}


def test_recording_without_speech_is_refused(scenario: Scenario, fixtures_dir: Path, runtime) -> None:
    questions = [Question(question=q.text.en) for q in scenario.questions]
    analysis = analyze_recording(fixtures_dir / "video" / "no_face.mp4", questions)
    result = score_interview(scenario, analysis)
    assert result.score is None
    assert [r.code for r in result.insufficient_data] == ["no_speech"]
    assert all(c.score is None and c.insufficient_data[0].code == "no_speech" for c in result.competencies)
    assert result.kpi_baselines[0].target is None
    assert result.tags == [] and result.fit.percent is None
    assert "little_speech" in [w["code"] for w in result.quality["warnings"]]


def test_face_required_but_absent_is_refused(scenario: Scenario, fixtures_dir: Path, runtime) -> None:
    needs_face = scenario.model_copy(update={"requires_face": True})
    questions = [Question(question=q.text.en) for q in scenario.questions]
    analysis = analyze_recording(fixtures_dir / "video" / "no_face.mp4", questions)
    codes = [r.code for r in score_interview(needs_face, analysis).insufficient_data]
    assert codes == ["no_speech", "face_not_visible"]
    text_only = analyze_text(
        [TextAnswer(question="Why should we hire you?", answer=ANSWERS["en"]["strong"]["why_hire_you"])]
    )
    (refusal,) = score_interview(needs_face, text_only).insufficient_data
    assert refusal.code == "face_not_visible" and "no video" in refusal.message


def test_unreliable_speech_recognition_is_refused(
    scenario: Scenario, fixtures_dir: Path, tmp_path: Path, runtime
):
    speech = real_speech(fixtures_dir)
    backwards = write_recording(
        tmp_path / "backwards.wav",
        len(speech) / 16000,
        None,
        AudioSpec("pcm_s16le"),
        speech=speech[::-1].copy(),
    )
    analysis = analyze_recording(
        backwards, [Question(question=question_text(scenario, "weakness", "en"))], "en"
    )
    result = score_interview(scenario, analysis)
    assert result.score is None
    assert "asr_unreliable" in [r.code for r in result.insufficient_data]
    assert "low_asr_confidence" in [w["code"] for w in result.quality["warnings"]]


@pytest.fixture(scope="module")
def face_and_speech(
    tmp_path_factory: pytest.TempPathFactory, fixtures_dir: Path, scenario: Scenario, runtime
):
    """A real face (looped) over a real 23-word reading, analysed as the answer to one question."""
    speech = real_speech(fixtures_dir)
    path = write_recording(
        tmp_path_factory.mktemp("consent") / "face_speech.mp4",
        len(speech) / 16000,
        VideoSpec("libx264", 640, 360, fps=15),
        AudioSpec("aac"),
        real_frames(fixtures_dir, 640, 360),
        speech,
    )
    return analyze_recording(path, [Question(question=question_text(scenario, "about_yourself", "en"))], "en")


def _with_biometric_competencies(scenario: Scenario) -> Scenario:
    data = scenario.model_dump()
    names = {"zh": "镜头表现", "en": "On camera", "ja": "カメラ", "ko": "카메라"}
    data["competencies"] += [
        {
            "id": "on_camera",
            "names": names,
            "signals": [
                {
                    "signal": "face.gaze_at_camera",
                    "weight": 1,
                    "norm": {"kind": "piecewise", "points": [[0, 0], [1, 10]]},
                }
            ],
        },
        {
            "id": "vocal_variety",
            "names": names,
            "signals": [
                {
                    "signal": "voice.pitch_variability_st",
                    "weight": 1,
                    "norm": {"kind": "norm_group", "mean": 2.5, "sd": 1.0, "group": "test"},
                }
            ],
        },
    ]
    data["questions"][0]["competencies"] += ["on_camera", "vocal_variety"]
    return Scenario.model_validate(data)


def test_missing_consent_drops_that_modality(scenario: Scenario, face_and_speech) -> None:
    extended = _with_biometric_competencies(scenario)
    everything = score_interview(extended, face_and_speech, frozenset({"face", "voice"}))
    assert everything.competency("on_camera").score == pytest.approx(10.0)  # the face looks at the camera
    assert everything.competency("vocal_variety").score is not None

    no_face = score_interview(extended, face_and_speech, frozenset({"voice"}))
    on_camera = no_face.competency("on_camera")
    assert on_camera.score is None
    assert [r.code for r in on_camera.insufficient_data] == ["consent_missing"]
    assert "face" in on_camera.insufficient_data[0].message
    assert no_face.competency("vocal_variety").score == everything.competency("vocal_variety").score
    assert no_face.blocked == frozenset({"face"})

    nothing = score_interview(extended, face_and_speech, frozenset())
    assert nothing.competency("vocal_variety").score is None
    communication = nothing.competency("communication")  # speech and text signals need no biometric consent
    assert communication.score == everything.competency("communication").score


def test_a_policy_decides_which_modalities_need_consent(scenario: Scenario, face_and_speech) -> None:
    extended = _with_biometric_competencies(scenario)
    only_voice = Policy(name="voice_only", require_consent=["voice"])
    result = score_interview(extended, face_and_speech, frozenset(), only_voice)
    assert result.competency("on_camera").score is not None
    assert result.competency("vocal_variety").score is None
    assert (
        score_interview(scenario.model_copy(update={"requires_face": True}), face_and_speech).score
        is not None
    )


# --- the command -------------------------------------------------------------------------------------------


def test_hirelens_score_json_through_the_real_cli(tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    items = [
        {"question": "about_yourself", "answer": ANSWERS["en"]["strong"]["about_yourself"]},
        {
            "question": "Give me an example of when you were in charge of a group.",
            "answer": ANSWERS["en"]["strong"]["led_a_team"],
        },
        {"question": "teamwork", "answer": ANSWERS["en"]["strong"]["teamwork"]},
        {"question": "说说你最大的缺点", "answer": ANSWERS["zh"]["strong"]["weakness"]},
        {"question": "why_hire_you", "answer": ANSWERS["en"]["strong"]["why_hire_you"]},
        {"question": "What's your favourite colour?", "answer": "Blue, probably."},
    ]
    answers.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "server.cli",
        "score",
        "--answers",
        str(answers),
        "--scenario",
        "general_behavioral",
    ]
    done = subprocess.run(
        [*command, "--json"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["scenario"] == {"id": "general_behavioral", "version": "2.0.0"}  # the latest
    assert {"score", "confidence", "insufficient_data"} <= set(out["overall"])
    assert 0 <= out["overall"]["score"] <= 10 and 0 < out["overall"]["confidence"] <= 1
    for competency in out["competencies"]:
        assert {"id", "score", "confidence", "evidence"} <= set(competency)
    assert isinstance(out["tags"], list)
    assert {"percent", "requirements"} <= set(out["fit"])
    (baseline,) = out["kpi_baselines"]
    assert {"kpi", "competency", "score", "target", "unit", "source"} <= set(baseline)
    assert baseline["source"] == "declared"
    assert {"measures", "warnings"} <= set(out["quality"])
    matched = [(a["question_id"], a["match"]["method"]) for a in out["answers"]]
    assert matched == [
        ("about_yourself", "text"),
        ("led_a_team", "embedding"),
        ("teamwork", "text"),
        ("weakness", "embedding"),
        ("why_hire_you", "text"),
        (None, "unmatched"),
    ]
    assert out["answers"][3]["language"] == "zh"
    assert out["answers"][5]["refusals"][0]["code"] == "answer_too_short"
    report = render(out)
    assert "Overall:" in report and "Communication" in report and "Team contribution" in report
    assert "answer_too_short" in report


def test_hirelens_score_refuses_bad_arguments() -> None:
    for extra, message in (
        (["--scenario", "no_such_role"], "unknown scenario 'no_such_role'"),
        (
            ["--scenario", "general_behavioral", "--consent", "face,mood"],
            "--consent takes face, voice or none",
        ),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "server.cli", "score", "--answers", "missing.json", *extra],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 2 and message in done.stderr, done.stderr
