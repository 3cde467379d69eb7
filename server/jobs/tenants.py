"""Tenants (a recruiting platform or an employer) and their API keys.

Only a SHA-256 hash of each key is stored. The keys are 256-bit random tokens, not passwords a person chose,
so a fast unsalted hash is right (as GitHub and Stripe do for their tokens): nothing can be guessed faster
than the token itself, and a fast hash lets a key be looked up by its hash on every call.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.errors import InputError
from server.jobs.database import Database
from server.jobs.models import ApiKeyRow, TenantRow

KEY_PREFIX = "hl_"


@dataclass(frozen=True)
class Tenant:
    id: str
    name: str
    webhook_url: str | None
    webhook_secret: str | None


class TenantConfig(BaseModel):
    """One tenant as the operator declares it (the same fields as ``server.config.TenantSettings``)."""

    name: str = Field(min_length=1, max_length=64)
    api_key_sha256: list[str] = Field(default_factory=list)
    webhook_url: str | None = None
    webhook_secret: str | None = None


class TenantDeclaration(Protocol):
    """Anything shaped like ``TenantConfig``: the server passes its settings objects straight in."""

    name: str
    api_key_sha256: list[str]
    webhook_url: str | None
    webhook_secret: str | None


def new_api_key() -> str:
    """A fresh key: 32 random bytes, URL-safe, with a prefix so a leaked key is recognisable in scanners."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """Lower-case hex SHA-256 of the key, the only form the server keeps."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _tenant(row: TenantRow) -> Tenant:
    return Tenant(row.id, row.name, row.webhook_url, row.webhook_secret)


class TenantStore:
    """Tenants and key hashes in the job database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    def _get_or_create(session: Session, name: str) -> TenantRow:
        row = session.scalars(select(TenantRow).where(TenantRow.name == name)).one_or_none()
        if row is None:
            row = TenantRow(id=uuid.uuid4().hex, name=name)
            session.add(row)
            session.flush()
        return row

    def sync(self, configs: Sequence[TenantDeclaration]) -> list[Tenant]:
        """Make the database match the server config: each declared tenant exists with its webhook settings
        and exactly its declared key hashes. A tenant the config no longer names keeps its jobs (they can
        still be erased) but loses its keys: dropping a tenant from the config revokes its access."""
        owners: dict[str, str] = {}
        for config in configs:
            for digest in config.api_key_sha256:
                if owners.setdefault(digest, config.name) != config.name:
                    raise InputError(
                        f"API key hash {digest[:12]}... is given to both tenant '{owners[digest]}' and "
                        f"'{config.name}'; a key must belong to one tenant"
                    )
        tenants = []
        with self._db.session() as session, session.begin():
            for config in configs:
                row = self._get_or_create(session, config.name)
                row.webhook_url = config.webhook_url
                row.webhook_secret = config.webhook_secret
                wanted = set(config.api_key_sha256)
                session.execute(
                    delete(ApiKeyRow).where(
                        ApiKeyRow.tenant_id == row.id, ApiKeyRow.key_sha256.not_in(wanted)
                    )
                )
                # a hash the config moved from another tenant moves with it
                session.execute(
                    delete(ApiKeyRow).where(ApiKeyRow.key_sha256.in_(wanted), ApiKeyRow.tenant_id != row.id)
                )
                have = set(session.scalars(select(ApiKeyRow.key_sha256).where(ApiKeyRow.tenant_id == row.id)))
                session.add_all(ApiKeyRow(key_sha256=d, tenant_id=row.id) for d in sorted(wanted - have))
                tenants.append(_tenant(row))
            declared = [t.id for t in tenants]
            session.execute(delete(ApiKeyRow).where(ApiKeyRow.tenant_id.not_in(declared)))
        return tenants

    def add_key(self, tenant_name: str) -> str:
        """A new key for ``tenant_name`` (created if needed). The plaintext is returned once, never stored."""
        key = new_api_key()
        with self._db.session() as session, session.begin():
            row = self._get_or_create(session, tenant_name)
            session.add(ApiKeyRow(key_sha256=hash_api_key(key), tenant_id=row.id))
        return key

    def authenticate(self, api_key: str) -> Tenant | None:
        """The tenant owning ``api_key``, or None. The digest comparison is constant-time."""
        if not api_key:
            return None
        digest = hash_api_key(api_key)
        with self._db.session() as session:
            found = session.execute(
                select(ApiKeyRow.key_sha256, TenantRow)
                .join(TenantRow, TenantRow.id == ApiKeyRow.tenant_id)
                .where(ApiKeyRow.key_sha256 == digest)
            ).one_or_none()
        if found is None or not hmac.compare_digest(found[0], digest):
            return None
        return _tenant(found[1])

    def get(self, tenant_id: str) -> Tenant | None:
        with self._db.session() as session:
            row = session.get(TenantRow, tenant_id)
            return _tenant(row) if row is not None else None

    def by_name(self, name: str) -> Tenant | None:
        with self._db.session() as session:
            row = session.scalars(select(TenantRow).where(TenantRow.name == name)).one_or_none()
            return _tenant(row) if row is not None else None
