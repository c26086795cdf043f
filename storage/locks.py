"""PostgreSQL session advisory locks on a connection of their own (platform mode).

A session lock is held for as long as its connection lives. That is the point: when the process
holding one dies, PostgreSQL ends its session and frees the lock, and the next process that asks
gets it. The platform's workers own partitions this way and one process leads (runs the platform
bot and the housekeeping). Each ``LockSession`` is one connection; its calls run in a thread (the
synchronous driver, as ``storage.postgres``), one at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import psycopg


class LockLost(Exception):
    """The session's connection failed or could not be opened: every lock it held is gone with
    it. The next call opens a fresh session (and takes ``shared`` again)."""


class LockSession:
    """Advisory locks of one database session. ``shared``: a key this session holds shared for
    all its life, so sessions can count each other (``holders``)."""

    def __init__(self, dsn: str, *, shared: int | None = None) -> None:
        self._dsn = dsn
        self._shared = shared
        self._conn: psycopg.Connection[Any] | None = None

    async def try_lock(self, key: int) -> bool:
        """Take ``key`` exclusively if no other session holds it (held until ``unlock``)."""
        return bool(await self._call("SELECT pg_try_advisory_lock(%s)", key))

    async def unlock(self, key: int) -> None:
        await self._call("SELECT pg_advisory_unlock(%s)", key)

    async def holders(self, key: int) -> int:
        """How many sessions of this database hold ``key`` (this one included)."""
        count = await self._call(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1",
            key >> 32,
            key & 0xFFFF_FFFF,
        )
        return int(count or 0)

    async def alive(self) -> bool:
        """False once the session's connection is gone (and its locks with it)."""
        if self._conn is None:
            return False
        try:
            await self._call("SELECT 1")
        except LockLost:
            return False
        return True

    async def close(self) -> None:
        """Give every lock up and end the session. Unlocked first: the server frees a closed
        session's locks a moment after the client has gone, and whoever asks next should find
        them free at once."""
        conn, self._conn = self._conn, None
        if conn is None:
            return

        def unlock_and_close() -> None:
            with contextlib.suppress(psycopg.Error):
                conn.execute("SELECT pg_advisory_unlock_all()")
            conn.close()

        with contextlib.suppress(psycopg.Error):
            await asyncio.to_thread(unlock_and_close)

    async def _call(self, sql: str, *params: int) -> Any:
        try:
            if self._conn is None:
                self._conn = await asyncio.to_thread(self._connect)
            conn = self._conn

            def run() -> Any:
                row = conn.execute(sql, params).fetchone()
                return row[0] if row else None

            return await asyncio.to_thread(run)
        except psycopg.Error as exc:
            broken, self._conn = self._conn, None  # the next call opens a fresh session
            if broken is not None:
                with contextlib.suppress(psycopg.Error):
                    await asyncio.to_thread(broken.close)
            raise LockLost((str(exc).strip().splitlines() or ["connection lost"])[0]) from exc

    def _connect(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self._dsn, autocommit=True)
        if self._shared is not None:
            conn.execute("SELECT pg_advisory_lock_shared(%s)", (self._shared,))
        return conn
