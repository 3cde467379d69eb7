"""Tenants and API keys in a real database: only hashes stored, keys checked in constant time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from server.errors import InputError
from server.jobs.database import Database
from server.jobs.models import ApiKeyRow
from server.jobs.tenants import TenantConfig, TenantStore, hash_api_key, new_api_key
from tests.postgres import BACKENDS
from tests.unit.test_job_store import open_test_database


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from open_test_database(request.param, tmp_path)


def test_new_keys_are_random_and_hashed_as_sha256() -> None:
    a, b = new_api_key(), new_api_key()
    assert a != b and a.startswith("hl_") and len(a) >= 40
    assert hash_api_key("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_add_key_stores_only_the_hash(database: Database) -> None:
    tenants = TenantStore(database)
    key = tenants.add_key("acme")
    tenant = tenants.authenticate(key)
    assert tenant is not None and tenant.name == "acme"
    with database.session() as session:
        stored = list(session.scalars(select(ApiKeyRow.key_sha256)))
    assert stored == [hash_api_key(key)] and key not in stored
    second = tenants.add_key("acme")  # a second key for the same tenant
    assert tenants.authenticate(second) == tenant
    assert tenants.authenticate(key + "x") is None
    assert tenants.authenticate("") is None


def test_sync_upserts_tenants_and_replaces_their_keys(database: Database) -> None:
    tenants = TenantStore(database)
    old, kept, new = new_api_key(), new_api_key(), new_api_key()
    tenants.sync([TenantConfig(name="acme", api_key_sha256=[hash_api_key(old), hash_api_key(kept)])])
    first = tenants.authenticate(old)
    assert first is not None and first.webhook_url is None
    tenants.sync(
        [
            TenantConfig(
                name="acme",
                api_key_sha256=[hash_api_key(kept), hash_api_key(new)],
                webhook_url="https://hr.example/hook",
                webhook_secret="s3cret",
            )
        ]
    )
    assert tenants.authenticate(old) is None  # removed from the config: revoked
    updated = tenants.authenticate(new)
    assert updated is not None and updated.id == first.id  # same tenant, same id: its jobs stay its own
    assert updated.webhook_url == "https://hr.example/hook" and updated.webhook_secret == "s3cret"
    assert tenants.authenticate(kept) == updated


def test_sync_revokes_tenants_dropped_from_the_config_and_refuses_shared_keys(database: Database) -> None:
    tenants = TenantStore(database)
    dropped = tenants.add_key("globex")
    globex = tenants.authenticate(dropped)
    tenants.sync([TenantConfig(name="acme", api_key_sha256=[])])
    assert tenants.authenticate(dropped) is None  # no longer in the config: no access
    assert tenants.by_name("globex") == globex  # but the tenant (and so its jobs) is still there to erase
    digest = hash_api_key(new_api_key())
    with pytest.raises(InputError, match="one tenant"):
        tenants.sync(
            [TenantConfig(name="a", api_key_sha256=[digest]), TenantConfig(name="b", api_key_sha256=[digest])]
        )


def test_tenants_isolate_by_key(database: Database) -> None:
    tenants = TenantStore(database)
    a, b = tenants.add_key("acme"), tenants.add_key("globex")
    ta, tb = tenants.authenticate(a), tenants.authenticate(b)
    assert ta is not None and tb is not None and ta.id != tb.id
    assert tenants.get(ta.id) == ta and tenants.get("nope") is None
