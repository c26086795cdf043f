"""Platform tests run on a real PostgreSQL (the session's throwaway server): a database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.platform.secrets import KeyRing, SecretBox
from bot.platform.shops import ShopDirectory
from storage.postgres import PostgresStore
from tests.support.postgres import PgServer
from tests.support.world import FakeClock

MASTER = bytes(range(32))
LOOKUP = b"lookup-key-for-tests-0123456789"


@pytest.fixture
def pg_database(pg_server: PgServer) -> str:
    return pg_server.new_database()


@pytest.fixture
async def pg_store(pg_database: str) -> AsyncIterator[PostgresStore]:
    store = await PostgresStore.open(pg_database)
    yield store
    await store.close()


@pytest.fixture
def secret_box() -> SecretBox:
    return SecretBox(KeyRing({"k1": MASTER}, current="k1"))


@pytest.fixture
def directory(pg_store: PostgresStore, secret_box: SecretBox) -> ShopDirectory:
    return ShopDirectory(pg_store, secret_box, LOOKUP, FakeClock())
