"""The listening end of the workers' wake-ups (platform mode, PostgreSQL LISTEN/NOTIFY).

``Tx.inbox_add`` and ``Tx.enqueue`` NOTIFY ``WORK_CHANNEL`` with ``"<shop id> inbox"`` or
``"<shop id> outbox"`` in the transaction that writes the row: PostgreSQL delivers it to every
listening session once that transaction commits (never for one rolled back). ``WorkListener``
is a connection of its own that LISTENs on the channel and yields each wake-up as it comes.
Notifications sent while nobody listens are lost: a worker keeps polling as a fallback.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from storage.tx import WORK_CHANNEL

KINDS = ("inbox", "outbox")


@dataclass(frozen=True)
class Wakeup:
    """Shop ``shop_id`` has new rows in its ``kind`` ("inbox" or "outbox")."""

    shop_id: int
    kind: str


def parse_wakeup(payload: str) -> Wakeup | None:
    """The wake-up a NOTIFY payload names, or None for anything else."""
    shop, _, kind = payload.partition(" ")
    if not shop.isdigit() or kind not in KINDS:
        return None
    return Wakeup(int(shop), kind)


class WorkListener:
    """``async with WorkListener(dsn) as listener: async for wakeup in listener.wakeups()``.
    The connection is closed when the block ends; a lost connection ends the iteration with
    psycopg's ``OperationalError``."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn: psycopg.AsyncConnection[Any] | None = None

    async def __aenter__(self) -> WorkListener:
        self._conn = await psycopg.AsyncConnection.connect(self._dsn, autocommit=True)
        try:
            await self._conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(WORK_CHANNEL)))
        except BaseException:
            await self._conn.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None

    async def wakeups(self) -> AsyncIterator[Wakeup]:
        assert self._conn is not None, "use WorkListener in an async with block"
        async for notify in self._conn.notifies():
            wakeup = parse_wakeup(notify.payload)
            if wakeup is not None:
                yield wakeup
