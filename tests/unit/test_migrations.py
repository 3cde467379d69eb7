"""Schema migrations of the job database on a real SQLite file, and on PostgreSQL when one is given."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, inspect, text

from server.jobs.database import (
    BASELINE_REVISION,
    Database,
    SchemaMismatch,
    alembic_config,
    migration_transaction,
    open_database,
)
from server.jobs.models import Base
from server.jobs.store import JobStore
from server.jobs.tenants import TenantStore
from tests.postgres import BACKENDS, database_url
from tests.unit.test_job_store import recording, spec

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from database_url(request.param, tmp_path)


def head() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"the migrations have several heads (merge them): {heads}"
    return heads[0]


def version(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def differences(db: Database, metadata: MetaData) -> list[Any]:
    with db.engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


def baseline_metadata() -> MetaData:
    """The schema the release before migrations made with ``create_all`` (frozen in the baseline)."""
    script = ScriptDirectory.from_config(alembic_config()).get_revision(BASELINE_REVISION)
    assert script is not None
    return script.module.baseline_metadata()


def use(db: Database, tmp_path: Path) -> None:
    """The stores work on the schema: a tenant, a key and a job round-trip."""
    tenants = TenantStore(db)
    key = tenants.add_key(f"acme-{uuid.uuid4().hex[:6]}")
    tenant = tenants.authenticate(key)
    assert tenant is not None
    store = JobStore(db)
    job, created = store.create(tenant.id, spec(key="k"), recording(tmp_path), 1, max_queued=10)
    assert created and store.get(tenant.id, job.id) == job


def test_upgrading_an_empty_database_gives_the_models_schema(url: str, tmp_path: Path) -> None:
    """Also the guard for model changes: a column, index or constraint added to models.py without a
    revision that adds it fails here."""
    db = open_database(url)
    try:
        assert differences(db, Base.metadata) == []
        assert version(db) == [head()]
        use(db, tmp_path)
    finally:
        db.close()


def test_opening_twice_is_idempotent(url: str, tmp_path: Path) -> None:
    first = open_database(url)
    use(first, tmp_path)
    first.close()
    again = open_database(url)
    try:
        assert version(again) == [head()]
        assert differences(again, Base.metadata) == []
        with again.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM jobs")).scalar_one() == 1
        use(again, tmp_path)
    finally:
        again.close()


def test_processes_opening_at_once_all_succeed(url: str, tmp_path: Path) -> None:
    """Several servers starting together on an empty database: the migration lock makes one create the
    schema while the others wait, then find it at head (without it they collide on CREATE TABLE)."""
    count = 4
    barrier = threading.Barrier(count)
    opened: list[Database] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            barrier.wait()
            opened.append(open_database(url))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert errors == []
        assert len(opened) == count
        assert version(opened[0]) == [head()]
        assert differences(opened[0], Base.metadata) == []
        use(opened[-1], tmp_path)
    finally:
        for db in opened:
            db.close()


def test_a_create_all_database_is_adopted(url: str, tmp_path: Path) -> None:
    """A database made before migrations (tables, no alembic_version) is stamped at the baseline, keeps
    its rows, and is then upgraded to head like any other."""
    engine = create_engine(url)
    baseline_metadata().create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO tenants (id, name, created_at) VALUES ('t1', 'old', :now)"),
            {"now": "2025-01-01 00:00:00"},
        )
    engine.dispose()

    db = open_database(url)
    try:
        assert version(db) == [head()]
        assert differences(db, Base.metadata) == []
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM tenants WHERE id = 't1'")).scalar_one() == "old"
        use(db, tmp_path)
    finally:
        db.close()


def test_a_database_unlike_the_baseline_is_refused_untouched(url: str) -> None:
    """Stamping a pre-migration database whose tables differ would claim a schema it does not have: it is
    refused with the differences, and left as it was (no version table)."""
    engine = create_engine(url)
    baseline_metadata().create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_jobs_worker_id"))
    try:
        with pytest.raises(SchemaMismatch, match="ix_jobs_worker_id"):
            open_database(url)
        assert "alembic_version" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_sqlite_table_rebuild_keeps_the_rows_that_reference_it(tmp_path: Path) -> None:
    """Batch mode rebuilds a SQLite table (copy, drop, rename); with foreign keys on, dropping ``tenants``
    would cascade into ``api_keys``. Migrations run with them off, and back on afterwards."""
    db = open_database(f"sqlite:///{tmp_path / 'jobs.db'}")
    try:
        key = TenantStore(db).add_key("acme")
        with migration_transaction(db.engine) as conn:
            operations = Operations(MigrationContext.configure(conn))
            with operations.batch_alter_table("tenants", recreate="always"):
                pass
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert TenantStore(db).authenticate(key) is not None
        assert differences(db, Base.metadata) == []
    finally:
        db.close()


def test_the_alembic_command_line_sees_no_pending_model_change(tmp_path: Path) -> None:
    """The developer workflow of docs/jobs.md: the ini beside the migrations, a scratch database brought
    to head, and autogenerate finding nothing to add (``alembic check``)."""
    ini = "server/jobs/migrations/alembic.ini"
    database = f"url=sqlite:///{tmp_path / 'scratch.db'}"
    for args in (["upgrade", "head"], ["check"]):
        done = subprocess.run(
            [sys.executable, "-m", "alembic", "-c", ini, "-x", database, *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    assert "No new upgrade operations detected" in done.stdout + done.stderr
