"""Opening the job database: one engine and session factory per process, schema migrated on open."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event, func, inspect, make_url, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from server.errors import HireLensError

if TYPE_CHECKING:
    from alembic.config import Config

SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The first revision: the schema as ``metadata.create_all`` made it before there were migrations.
BASELINE_REVISION = "0001"
# Key of the PostgreSQL advisory lock every migrating process takes ("hlmigrat" as 8 bytes); any constant
# works as long as nothing else in the database uses it.
MIGRATION_LOCK_KEY = 0x686C6D6967726174
VERSION_TABLE = "alembic_version"

log = logging.getLogger(__name__)
# Alembic's own INFO lines (plugin set-up when it is imported, "Will assume non-transactional DDL", untrue
# here: the migration runs in our transaction) would reach the server log on every start; migrate() logs
# what it changed instead. Alembic is therefore imported inside the functions, after this line has run.
logging.getLogger("alembic").setLevel(logging.WARNING)
# Alembic's ``context`` and ``op`` are module-level proxies, so two migrations in one process (even of two
# different databases) must not run at once.
_PROCESS_MIGRATION_LOCK = threading.Lock()


@dataclass(frozen=True)
class Database:
    """The engine and session factory every store shares; ``dialect`` picks the claim strategy."""

    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        return self.sessions()

    def close(self) -> None:
        self.engine.dispose()

    def purge_deleted(self) -> bool:
        """After an erasure: on SQLite, copy the WAL into the database file and truncate it, since the WAL
        still holds the erased rows' earlier page images. False when a reader kept it from completing (the
        frames are overwritten by later writes; the next erasure retries). PostgreSQL: nothing to do here,
        dead rows are reclaimed by autovacuum."""
        if self.dialect != "sqlite":
            return True
        with self.engine.connect() as connection:
            busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").scalar()
        return busy == 0


class DatabaseUnavailable(HireLensError):
    """The job database cannot be opened or written (read-only file, server down, wrong credentials): an
    operator's configuration problem, so ``hirelens serve`` exits 2 with this message, not a traceback."""


def _unavailable(url: str, exc: OperationalError) -> DatabaseUnavailable:
    reason = str(exc.orig or exc).strip().splitlines()[0]
    where = make_url(url).render_as_string(hide_password=True)
    return DatabaseUnavailable(f"cannot open the job database {where}: {reason}")


# PostgreSQL's SQLSTATE for a full disk (class 53, insufficient resources)
_PG_DISK_FULL = "53100"


def is_disk_full(exc: BaseException) -> bool:
    """Whether a database error means its disk (or quota) is full: SQLite's SQLITE_FULL, PostgreSQL's
    disk_full. That passes once an operator frees space, so callers get RESOURCE_EXHAUSTED, not INTERNAL."""
    orig = getattr(exc, "orig", None)
    if orig is None:
        return False
    return getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or (
        getattr(orig, "sqlstate", None) == _PG_DISK_FULL
    )


class SchemaMismatch(RuntimeError):
    """An unversioned database (no ``alembic_version``) whose tables are not the baseline schema: stamping
    it would claim a schema it does not have, so it is refused and left untouched."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside the one writer; busy_timeout makes concurrent writers (worker threads,
    other server processes on the same file) wait for the lock instead of failing at once. busy_timeout
    goes first so that switching a new file to WAL also waits for a process doing the same. secure_delete
    overwrites what a DELETE removes, so an erased candidate's rows do not linger in the file's free pages."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA secure_delete=ON")  # deleted rows are zeroed, not left in free pages
        cursor.close()


def create_database_engine(url: str) -> Engine:
    """The engine for ``url`` with the connection settings the job store relies on (SQLite pragmas)."""
    # hide_parameters: a database error's message must not carry the row it failed on (candidate
    # references, question texts) into the logs
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration built in code (no ini file at run time); ``connection`` is what ``env.py``
    migrates, inside the caller's transaction."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


@contextmanager
def migration_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the migration lock until it commits, so processes opening
    the same database at once migrate one after the other; the later ones then find it at head.

    PostgreSQL: a transaction-level advisory lock (released by the commit or rollback, also when the
    process dies), and DDL is transactional, so a failed migration leaves nothing behind. SQLite: BEGIN
    IMMEDIATE takes the file's write lock at once (others wait up to busy_timeout); the Python driver would
    otherwise run DDL outside any transaction. Foreign keys are off meanwhile: a batch migration rebuilds a
    table by copy, drop and rename, and dropping ``tenants`` with them on would cascade into ``api_keys``.
    PRAGMA foreign_keys is ignored inside a transaction, so it is switched around it, and
    ``foreign_key_check`` must find nothing dangling before the commit."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            yield connection
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            with connection.begin():
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                yield connection
                dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if dangling:
                    raise RuntimeError(
                        f"the migration left rows whose foreign keys point nowhere: {dangling[:5]}"
                    )
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def schema_differences(connection: Connection, metadata: MetaData) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match ``metadata`` (empty: they
    match); the version table is not counted."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def _adopt_unversioned(connection: Connection, config: Config) -> None:
    """Stamp a database made by ``create_all`` before migrations existed (our tables, no version table)
    at the baseline revision, after checking that its tables are exactly the baseline's. Runs once: the
    stamp writes the version table."""
    from alembic import command
    from alembic.script import ScriptDirectory

    tables = set(inspect(connection).get_table_names())
    if VERSION_TABLE in tables or not tables:
        return
    baseline = ScriptDirectory.from_config(config).get_revision(BASELINE_REVISION)
    assert baseline is not None, "the baseline revision is missing from the migrations"
    metadata: MetaData = baseline.module.baseline_metadata()
    if not tables & set(metadata.tables):
        return  # only other applications' tables: ours are created by the upgrade
    differences = schema_differences(connection, metadata)
    if differences:
        listed = "\n".join(f"  {difference}" for difference in differences)
        raise SchemaMismatch(
            f"the job database has no {VERSION_TABLE} table and its tables differ from the baseline schema "
            f"(revision {BASELINE_REVISION}), so it cannot be adopted; differences:\n{listed}"
        )
    command.stamp(config, BASELINE_REVISION)
    log.info("job database made before migrations adopted: stamped at revision %s", BASELINE_REVISION)


def migrate(engine: Engine) -> None:
    """Bring the database to the newest revision (``upgrade head``) under the migration lock, adopting a
    pre-migration database first. Cheap when it is already at head."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with _PROCESS_MIGRATION_LOCK, migration_transaction(engine) as connection:
        config = alembic_config(connection)
        _adopt_unversioned(connection, config)
        before = MigrationContext.configure(connection).get_current_revision()
        command.upgrade(config, "head")
        after = MigrationContext.configure(connection).get_current_revision()
        if after != before:
            log.info("job database migrated from revision %s to %s", before or "(empty)", after)


def open_database(url: str) -> Database:
    """Connect to ``url`` (``sqlite:///path/hirelens.db`` or ``postgresql+psycopg://...``) and migrate the
    schema to the newest revision, so a database made by an older version gains what this one needs."""
    engine = create_database_engine(url)
    try:
        migrate(engine)
    except OperationalError as exc:
        engine.dispose()
        raise _unavailable(url, exc) from exc
    except BaseException:
        engine.dispose()
        raise
    return Database(engine, sessionmaker(engine, expire_on_commit=False))
