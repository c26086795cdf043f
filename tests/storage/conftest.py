"""The storage tests run on both backends: SQLite (a file per test) and PostgreSQL (a throwaway
server per session, ``pg_server`` of tests/support/postgres.py).

PostgreSQL tests skip when the server cannot start on a developer's machine, but never in CI
(``CI`` set): there they fail with one line saying why. Each PostgreSQL test works in shops no
other test used, in one database migrated once; tests of migrations make databases of their own.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from storage import Store
from storage.postgres import PostgresStore
from tests.support.postgres import PgServer

AnyStore = Store | PostgresStore
_shop_blocks = itertools.count(1)


@pytest.fixture(scope="session")
def pg_dsn(pg_server: PgServer) -> str:
    return pg_server.new_database()


@dataclass
class Backend:
    """Opens stores on one database (a new connection each) and counts rows from outside."""

    name: str
    base_shop: int
    _open: Callable[[int], Awaitable[AnyStore]]
    _count: Callable[[str, int], int]
    opened: list[AnyStore] = field(default_factory=list)

    def shop(self, n: int) -> int:
        """This test's n-th shop id (1 is the one the ``store`` fixture uses)."""
        return self.base_shop + n - 1

    async def open(self, n: int = 1) -> AnyStore:
        store = await self._open(self.shop(n))
        self.opened.append(store)
        return store

    def count(self, table: str, n: int = 1) -> int:
        """Rows of shop n in ``table``, read through a connection of its own."""
        return self._count(table, self.shop(n))


@pytest.fixture(params=["sqlite", "postgresql"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        path = tmp_path / "shop.db"

        def count_sqlite(table: str, shop_id: int) -> int:
            import sqlite3

            conn = sqlite3.connect(path)
            try:
                sql = f"SELECT COUNT(*) FROM {table} WHERE shop_id = ?"
                return int(conn.execute(sql, (shop_id,)).fetchone()[0])
            finally:
                conn.close()

        chosen = Backend("sqlite", 1, lambda shop: Store.open(path, shop_id=shop), count_sqlite)
    else:
        dsn: str = request.getfixturevalue("pg_dsn")

        def count_pg(table: str, shop_id: int) -> int:
            with psycopg.connect(dsn) as conn:
                sql = f"SELECT COUNT(*) FROM {table} WHERE shop_id = %s"
                row: Any = conn.execute(sql, (shop_id,)).fetchone()  # type: ignore[call-overload]
                return int(row[0])

        base = next(_shop_blocks) * 100
        chosen = Backend(
            "postgresql", base, lambda shop: PostgresStore.open(dsn, shop_id=shop), count_pg
        )
    yield chosen
    for store in reversed(chosen.opened):
        await store.close()


@pytest.fixture
async def store(backend: Backend) -> AnyStore:
    return await backend.open(1)
