"""The Alembic environment of the job database.

``open_database`` runs it through ``alembic.command`` with ``config.attributes["connection"]``: a
connection already inside a transaction that holds the migration lock, so the migration commits (or rolls
back) with that transaction. The ``alembic`` command line (developers: ``alembic.ini`` beside this file)
gives no connection; it then opens the database named by ``-x url=...`` under the same lock (only that:
an environment variable could silently point a developer's command at a production database).
"""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from server.jobs.database import create_database_engine, migration_transaction
from server.jobs.models import Base, UtcDateTime

config = context.config


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Write ``UtcDateTime`` as the column type it creates, so revisions never import the models (an old
    revision must keep meaning what it meant when the models have moved on)."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure(**kwargs: Any) -> None:
    # render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead (a no-op on
    # PostgreSQL, which alters in place).
    context.configure(
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=render_item,
        **kwargs,
    )


def run(connection: Connection) -> None:
    configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def command_line_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit(
            "which database? alembic -c server/jobs/migrations/alembic.ini -x url=<SQLAlchemy URL>"
        )
    return url


given: Connection | None = config.attributes.get("connection")
if given is not None:
    run(given)
elif context.is_offline_mode():
    configure(url=command_line_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_database_engine(command_line_url())
    try:
        with migration_transaction(engine) as connection:
            run(connection)
    finally:
        engine.dispose()
