"""The async face of the database: open, migrate, and run transactions in one thread hop.

aiosqlite gives each connection a worker thread. Awaiting statement by statement costs one hop per
statement (field notes: about 3,100 two-insert transactions/s here); running a whole ``Tx`` function
inside that thread costs one hop per transaction. ``run`` is therefore the one way to touch data:
``await store.run(Tx.order, order_id)`` or ``await store.run(apply_payment)`` for several writes.

Group commit: calls to ``run`` that arrive while the worker is busy wait in a queue and then go
together, in call order, in one hop and one database transaction, each inside its own savepoint.
A function that raises has only its own savepoint rolled back; every caller gets its result (or
its exception) only after the shared COMMIT, so an answer given after ``run`` returns is durable
exactly as before. An idle store runs a lone call as a plain transaction, as before; under load
one hop and one COMMIT serve up to ``GROUP_LIMIT`` calls (bench/notifications: the hops, not
the SQL, were the cost).

The queue (``GroupCommit``) and ``run_group`` do not depend on SQLite: ``storage.postgres``
drives the same ones over a psycopg connection. A store is bound to one shop (``shop_id``, 1 for
the single-shop bot); each queued call carries its shop, so shops sharing a connection share
its transactions too.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import aiosqlite

from storage.dialect import SINGLE_SHOP, SQLITE, Dialect
from storage.migrations import LATEST_VERSION, migrate, refuse_newer
from storage.tx import Tx

P = ParamSpec("P")
R = TypeVar("R")

GROUP_LIMIT = 256
"""Most calls one transaction carries; the rest wait for the next one."""


@dataclass
class Call:
    """One ``fn(tx, *args, **kwargs)`` for ``run_group``, on a ``Tx`` bound to ``shop_id``."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    shop_id: int = field(default=SINGLE_SHOP, kw_only=True)


@dataclass
class _Job(Call):
    future: asyncio.Future[Any] = field(repr=False, kw_only=True)


Outcomes = list[tuple[bool, Any]]


class GroupCommit:
    """Calls queued while a transaction runs go together in the next one (see above).

    ``hop`` runs one group (``run_group`` on the backend's connection, in its thread) and
    returns each call's outcome once the group is committed.
    """

    def __init__(self, hop: Callable[[list[_Job]], Awaitable[Outcomes]]) -> None:
        self._hop = hop
        self._queue: list[_Job] = []
        self._flusher: asyncio.Task[None] | None = None

    async def submit(
        self, shop_id: int, fn: Callable[..., R], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append(_Job(fn, args, kwargs, shop_id=shop_id, future=future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="store-group-commit")
        return await future

    async def drain(self) -> None:
        """Wait for the calls already queued (before closing the connection)."""
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)

    async def _flush(self) -> None:
        """Hand queued calls to the worker, up to GROUP_LIMIT per transaction, until none wait."""
        while self._queue:
            jobs, self._queue = self._queue[:GROUP_LIMIT], self._queue[GROUP_LIMIT:]
            try:
                outcomes = await self._hop(jobs)
            except BaseException as exc:  # BEGIN or COMMIT failed: nothing of it was stored
                for job in jobs:
                    _settle(job.future, False, exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for job, (ok, value) in zip(jobs, outcomes, strict=True):
                _settle(job.future, ok, value)


class Store:
    """One SQLite file in WAL mode, foreign keys on, schema migrated at open; shop 1's data."""

    def __init__(self, db: aiosqlite.Connection, path: Path, shop_id: int = SINGLE_SHOP) -> None:
        self._db = db
        self.path = path
        self.shop_id = shop_id
        self._commits = GroupCommit(self._hop)

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        target_version: int = LATEST_VERSION,
        shop_id: int = SINGLE_SHOP,
    ) -> Store:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(str(path), isolation_level=None)
        db.row_factory = sqlite3.Row
        store = cls(db, path, shop_id)
        try:
            await store._call(_prepare, target_version)
        except BaseException:
            await db.close()
            raise
        return store

    async def close(self) -> None:
        await self._commits.drain()
        await self._db.close()

    async def run(
        self, fn: Callable[Concatenate[Tx, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Run ``fn(tx, ...)`` atomically: committed if it returns, rolled back if it raises.

        Returns once the transaction that carried it is committed (see group commit above).
        """
        return await self._commits.submit(self.shop_id, fn, args, kwargs)

    async def _hop(self, jobs: list[_Job]) -> Outcomes:
        return await self._call(run_group, jobs)

    async def ping(self) -> bool:
        """For health checks: the file is reachable and answers a query."""
        try:
            return bool(await self._call(lambda conn: conn.execute("SELECT 1").fetchone()[0]))
        except Exception:
            return False

    async def schema_version(self) -> int:
        return int(await self._call(lambda conn: conn.execute("PRAGMA user_version").fetchone()[0]))

    async def _call(self, fn: Callable[..., R], *args: object) -> R:
        # aiosqlite's worker runs fn(connection, *args) on its own thread: one hop, no interleaving.
        return await self._db._execute(fn, self._db._conn, *args)


def connect(path: Path | str) -> sqlite3.Connection:
    """A plain, blocking connection for a worker process (``bot.payments.worker``): the same
    settings as ``Store``; the schema must already be current (the bot migrates at start)."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        _prepare(conn, LATEST_VERSION)
    except BaseException:
        conn.close()
        raise
    return conn


def _prepare(conn: sqlite3.Connection, target_version: int) -> None:
    refuse_newer(conn)  # before anything is changed in a file of a newer bot
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 5000")
    migrate(conn, target_version)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the caller was cancelled; its work is done (or undone) all the same
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class Connection(Protocol):
    """What ``run_group`` needs of a connection: sqlite3's, or ``storage.postgres``'s."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...

    @property
    def in_transaction(self) -> bool: ...


def run_group(conn: Connection, jobs: Sequence[Call], dialect: Dialect = SQLITE) -> Outcomes:
    """Run ``jobs`` in one transaction; (True, result) or (False, exception) for each.

    A lone job runs as a plain transaction. Several each get a savepoint, so one that raises
    leaves the others' writes in place. Anything that is not an Exception (KeyboardInterrupt,
    SystemExit) rolls the whole transaction back and propagates.
    """
    conn.execute(dialect.begin)
    outcomes: list[tuple[bool, Any]] = []
    try:
        if len(jobs) == 1:
            job = jobs[0]
            try:
                tx = Tx(conn, job.shop_id, dialect)
                outcomes.append((True, job.fn(tx, *job.args, **job.kwargs)))
            except Exception as exc:
                _rollback(conn)
                return [(False, exc)]
        else:
            for job in jobs:
                conn.execute("SAVEPOINT job")
                try:
                    value = job.fn(Tx(conn, job.shop_id, dialect), *job.args, **job.kwargs)
                except Exception as exc:
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    outcomes.append((False, exc))
                else:
                    conn.execute("RELEASE job")
                    outcomes.append((True, value))
    except BaseException:
        _rollback(conn)
        raise
    conn.execute("COMMIT")
    return outcomes


def _rollback(conn: Connection) -> None:
    # SQLite may already have rolled back by itself (disk full, I/O error).
    if conn.in_transaction:
        conn.execute("ROLLBACK")
