"""Baseline: the job database as ``metadata.create_all`` made it before there were migrations.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

The schema is written out here, frozen, instead of imported from ``server.jobs.models``: this revision
must keep creating exactly this schema when the models have moved on, and ``open_database`` compares an
unversioned database with ``baseline_metadata()`` before stamping it at this revision (docs/jobs.md).
Names are spelled out as ``create_all`` chose them (``ix_<table>_<column>``; the primary keys, foreign keys
and ``tenants.name`` unique constraint unnamed), so an adopted database and a migrated one are the same.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    """``models.UtcDateTime`` in DDL terms (the decorator only converts values)."""
    return sa.DateTime(timezone=True)


def baseline_metadata() -> sa.MetaData:
    """The five tables of the baseline, with their indexes and constraints."""
    metadata = sa.MetaData()
    sa.Table(
        "tenants",
        metadata,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("webhook_secret", sa.Text(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.UniqueConstraint("name"),
    )
    sa.Table(
        "api_keys",
        metadata,
        sa.Column("key_sha256", sa.String(64), primary_key=True),
        sa.Column(
            "tenant_id", sa.String(32), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Index("ix_api_keys_tenant_id", "tenant_id"),
    )
    sa.Table(
        "jobs",
        metadata,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("tenant_id", sa.String(32), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("candidate_ref", sa.String(256), nullable=False),
        sa.Column("scenario_id", sa.String(128), nullable=False),
        sa.Column("scenario_version", sa.String(32), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("consent", sa.JSON(), nullable=False),
        sa.Column("policy", sa.String(256), nullable=True),
        sa.Column("recording_path", sa.Text(), nullable=True),
        sa.Column("filename", sa.String(512), nullable=False),
        sa.Column("uploaded_bytes", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(256), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("retain_until", _utc(), nullable=True),
        sa.Column("worker_id", sa.String(128), nullable=True),
        sa.Column("heartbeat_at", _utc(), nullable=True),
        sa.Column("started_at", _utc(), nullable=True),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_jobs_tenant_idempotency"),
        sa.Index("ix_jobs_tenant_id", "tenant_id"),
        sa.Index("ix_jobs_state", "state"),
        sa.Index("ix_jobs_candidate_ref", "candidate_ref"),
        sa.Index("ix_jobs_created_at", "created_at"),
        sa.Index("ix_jobs_retain_until", "retain_until"),
        sa.Index("ix_jobs_worker_id", "worker_id"),
        sa.Index("ix_jobs_heartbeat_at", "heartbeat_at"),
    )
    sa.Table(
        "webhook_deliveries",
        metadata,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("tenant_id", sa.String(32), nullable=False),
        sa.Column("job_id", sa.String(32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _utc(), nullable=True),
        sa.Column("delivered_at", _utc(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Index("ix_webhook_deliveries_tenant_id", "tenant_id"),
        sa.Index("ix_webhook_deliveries_job_id", "job_id"),
        sa.Index("ix_webhook_deliveries_next_attempt_at", "next_attempt_at"),
    )
    sa.Table(
        "deletion_receipts",
        metadata,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("tenant_id", sa.String(32), nullable=False),
        sa.Column("candidate_ref", sa.String(256), nullable=False),
        sa.Column("deleted_at", _utc(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Index("ix_deletion_receipts_tenant_id", "tenant_id"),
    )
    return metadata


def upgrade() -> None:
    # checkfirst=False: a table already there is an error, never silently kept (adoption is stamp's job).
    baseline_metadata().create_all(op.get_bind(), checkfirst=False)


def downgrade() -> None:
    baseline_metadata().drop_all(op.get_bind(), checkfirst=False)
