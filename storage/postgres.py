"""The PostgreSQL store (platform mode): the same ``run(fn, ...)`` and ``Tx`` as the SQLite one.

Driver: psycopg 3, used synchronously. ``Tx`` methods are plain functions that never await, so a
whole transaction (or a group of them, ``storage.store.run_group``) runs in one hop to this
connection's own thread, exactly as the SQLite store does with aiosqlite's thread; asyncpg offers
only an async API, which would mean an ``await`` per statement (and a second copy of ``Tx``).
Measured on this 2-core VM (shared, load about 2) against a local PostgreSQL 15 over its Unix
socket: applying a payment (read the order with its lines and charge, move its status, a history
row, two outbox rows, a payment event: 9 statements; ``bench/pg_drivers.py``), payments per
second, the range of two runs of 1,500-3,000 payments each, fsync off / fsync on:

  one caller at a time:        psycopg 3, a thread hop per Tx     303-459 / 173-242
                               asyncpg, an await per statement    345-393 / 189-286
  64 callers, 1 connection:    psycopg 3 + group commit           432-498 / 357-983
                               asyncpg, a transaction each        360-493 / 291-537
  64 callers, 8 connections:   asyncpg pool                       569-988 / 694-926

Both drivers are bound by round trips (about 0.3 ms per statement here); neither is faster per
transaction beyond the noise. psycopg 3 is chosen because its synchronous API runs the one
``Tx`` unchanged and keeps group commit, which pays off as soon as commits cost (fsync on);
asyncpg's lead with a pool comes from parallel connections, which this store gets the same way
by opening more of them (a later step: worker processes each hold their own).

A ``PostgresStore`` is bound to one shop; ``for_shop`` gives another shop's view of the same
connection (and of its group commit: calls of several shops share a transaction).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Concatenate, ParamSpec, TypeVar

import psycopg
from psycopg.pq import TransactionStatus

from storage import migrations_pg
from storage.dialect import POSTGRES, SINGLE_SHOP
from storage.store import GroupCommit, Outcomes, _Job, run_group
from storage.tx import Tx

P = ParamSpec("P")
R = TypeVar("R")


class Row(tuple[Any, ...]):
    """A result row read by position or by column name, as ``sqlite3.Row`` is."""

    _index: dict[str, int]

    def __new__(cls, values: Sequence[Any], index: dict[str, int]) -> Row:
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return super().__getitem__(self._index[key])
        return super().__getitem__(key)

    def keys(self) -> list[str]:
        return list(self._index)


def _rows(cursor: Any) -> Callable[[Sequence[Any]], Row]:
    index = {column.name: i for i, column in enumerate(cursor.description or ())}
    return lambda values: Row(values, index)


class PgConnection:
    """A psycopg connection with the face ``Tx`` and ``run_group`` expect (sqlite3's)."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Any:
        return self.raw.execute(sql, parameters)

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()


def connect(dsn: str, *, target_version: int = migrations_pg.LATEST_VERSION) -> PgConnection:
    """A blocking connection, schema migrated (under the migration lock); autocommit, because
    ``run_group`` and the migrations say BEGIN and COMMIT themselves."""
    raw = psycopg.connect(dsn, autocommit=True, row_factory=_rows)
    try:
        migrations_pg.migrate(raw, target_version)
    except BaseException:
        raw.close()
        raise
    return PgConnection(raw)


class _Engine:
    """One connection, its thread and its group-commit queue, shared by every shop's view."""

    def __init__(self, conn: PgConnection, thread: ThreadPoolExecutor) -> None:
        self.conn = conn
        self.thread = thread
        self.commits = GroupCommit(self._hop)

    async def call(self, fn: Callable[..., R], *args: Any) -> R:
        return await asyncio.get_running_loop().run_in_executor(self.thread, fn, *args)

    async def _hop(self, jobs: list[_Job]) -> Outcomes:
        return await self.call(run_group, self.conn, jobs, POSTGRES)


class PostgresStore:
    """One PostgreSQL connection, schema migrated at open; this view's data is ``shop_id``'s."""

    def __init__(self, engine: _Engine, shop_id: int, *, owner: bool) -> None:
        self._engine = engine
        self.shop_id = shop_id
        self._owner = owner

    @classmethod
    async def open(
        cls,
        dsn: str,
        *,
        shop_id: int = SINGLE_SHOP,
        target_version: int = migrations_pg.LATEST_VERSION,
    ) -> PostgresStore:
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="postgres")
        try:
            conn = await asyncio.get_running_loop().run_in_executor(
                thread, lambda: connect(dsn, target_version=target_version)
            )
        except BaseException:
            thread.shutdown(wait=False)
            raise
        return cls(_Engine(conn, thread), shop_id, owner=True)

    def for_shop(self, shop_id: int) -> PostgresStore:
        """Shop ``shop_id``'s view of this store; closing it closes nothing."""
        return PostgresStore(self._engine, shop_id, owner=False)

    async def run(
        self, fn: Callable[Concatenate[Tx, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Run ``fn(tx, ...)`` atomically, returning once its transaction is committed."""
        return await self._engine.commits.submit(self.shop_id, fn, args, kwargs)

    async def ping(self) -> bool:
        try:
            row = await self._engine.call(lambda: self._engine.conn.execute("SELECT 1").fetchone())
            return bool(row[0])
        except Exception:
            return False

    async def schema_version(self) -> int:
        return await self._engine.call(migrations_pg.schema_version, self._engine.conn)

    async def close(self) -> None:
        if not self._owner:
            return
        await self._engine.commits.drain()
        await self._engine.call(self._engine.conn.close)
        self._engine.thread.shutdown(wait=True)
