"""Durable jobs: the queue and results store (SQLite by default, PostgreSQL by URL), tenants and their API
keys, the worker threads that run the pipeline, and webhooks that tell a tenant a job has ended."""
