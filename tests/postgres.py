"""Where the job store tests get their databases: a fresh SQLite file, or a fresh schema on the PostgreSQL
server that ``.ci/run`` starts and names in ``HIRELENS_TEST_POSTGRES_URL``.

On a developer machine without that variable the PostgreSQL variants are skipped and the SQLite ones still
run; under CI (``CI`` set) a missing URL is an error, so the PostgreSQL tests can never silently stop running.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

ENV = "HIRELENS_TEST_POSTGRES_URL"
POSTGRES_URL = os.environ.get(ENV) or None
if POSTGRES_URL is None and os.environ.get("CI"):
    raise RuntimeError(f"{ENV} is not set under CI: .ci/run must start PostgreSQL for the job store tests")

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(
            not POSTGRES_URL, reason=f"{ENV} is not set (no PostgreSQL server to test on)"
        ),
    ),
]


def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of one test's own: a new SQLite file, or a new PostgreSQL schema (first
    on the search path, so tables and ``alembic_version`` land in it) dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'jobs.db'}"
        return
    import psycopg

    assert POSTGRES_URL is not None
    schema = f"hl_test_{uuid.uuid4().hex[:12]}"
    plain = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    joiner = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{joiner}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
