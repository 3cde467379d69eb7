"""Revisions of the job database schema, oldest first by ``down_revision``; see docs/jobs.md."""
