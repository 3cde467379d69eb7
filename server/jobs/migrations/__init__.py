"""Alembic migrations of the job database; ``server.jobs.database.open_database`` runs them on open."""
