"""Shared test fixtures: where the real media lives, and the process-wide model runtime."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """Real third-party media (faces, speech, video) with provenance in its README."""
    if not SHARED_FIXTURES.is_dir():
        pytest.fail(
            f"real test media missing: expected ../shared/fixtures beside the repository ({SHARED_FIXTURES})"
        )
    return SHARED_FIXTURES


@pytest.fixture(scope="session")
def runtime():
    """The process-wide runtime over model_repo/: each model loads once for the whole test session."""
    from server.runtime import get_runtime

    return get_runtime()


@pytest.fixture(scope="session")
def sample_analysis():
    """The bundled sample interview analysed once, answers cut by the system itself (no timestamps)."""
    from server.config import TextLimits
    from server.pipeline.analyze import analyze_recording
    from server.pipeline.questions import Question, load_questions

    sample = REPO_ROOT / "samples" / "sample_interview.mp4"
    listed = load_questions(sample.with_suffix(".questions.json"), TextLimits())
    questions = [Question(question=q.question) for q in listed]
    return analyze_recording(sample, questions, language="auto")
