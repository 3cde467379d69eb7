"""Jobs count the runs whose worker was lost (crash, kill, hang past the lease), so a job that kills its
worker every time ends FAILED at ``server.job_max_lost_runs`` while graceful restarts cost it nothing.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # server_default: rows of jobs queued or running before the upgrade start at 0 lost runs
    op.add_column("jobs", sa.Column("lost_runs", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("lost_runs")
