"""Where the PostgreSQL server for the job store tests is, when there is one.

``.ci/run`` starts a throwaway server and exports ``HIRELENS_TEST_POSTGRES_URL``; on a developer machine
without it the PostgreSQL variants of the job store tests are skipped, and the SQLite ones still run.
"""

from __future__ import annotations

import os

import pytest

ENV = "HIRELENS_TEST_POSTGRES_URL"


def postgres_url() -> str | None:
    """The SQLAlchemy URL (``postgresql+psycopg://...``) of the test server, or None when none is set."""
    return os.environ.get(ENV) or None


def postgres_param(
    skip_reason: str = f"{ENV} not set (.ci/run sets it)",
) -> pytest.param:  # type: ignore[valid-type]
    """A ``pytest.param`` carrying the URL, skipped when no server is configured: for parametrizing a store
    fixture over ``["sqlite", postgres_param()]``. In CI (``CI`` set) a missing URL fails instead, so the
    PostgreSQL tests can never silently stop running there."""
    url = postgres_url()
    if url is None and os.environ.get("CI"):
        raise RuntimeError(
            f"{ENV} is not set under CI: .ci/run must start PostgreSQL for the job store tests"
        )
    marks = () if url else (pytest.mark.skip(reason=skip_reason),)
    return pytest.param(url, id="postgres", marks=marks)
