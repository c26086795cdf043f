"""The workers' wake-ups on a real PostgreSQL: what the store announces, and when."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import psycopg
import pytest

from bot.platform.wakeups import Wakeups
from storage import Tx
from storage.postgres import PostgresStore
from storage.wakeups import Wakeup, WorkListener, parse_wakeup
from tests.support.waiting import wait_until


async def _next(listener: WorkListener) -> Wakeup:
    async with asyncio.timeout(5):
        async for wakeup in listener.wakeups():
            return wakeup
    raise AssertionError("the listener stopped")


async def test_new_inbox_and_outbox_rows_are_announced_once_committed(
    pg_store: PostgresStore, pg_database: str
) -> None:
    now = datetime.now(UTC)
    async with WorkListener(pg_database) as listener:
        await pg_store.for_shop(7).run(Tx.inbox_add, 1, "{}", now)
        assert await _next(listener) == Wakeup(7, "inbox")

        await pg_store.for_shop(7).run(Tx.inbox_add, 1, "{}", now)  # Telegram's retry: nothing
        await pg_store.for_shop(8).run(Tx.enqueue, 42, "sendMessage", {"text": "a"}, now)
        assert await _next(listener) == Wakeup(8, "outbox")

        def two_rows_then_fail(tx: Tx) -> None:
            tx.enqueue(42, "sendMessage", {"text": "b"}, now)
            tx.enqueue(43, "sendMessage", {"text": "c"}, now)
            raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            await pg_store.for_shop(9).run(two_rows_then_fail)
        await pg_store.for_shop(10).run(Tx.inbox_add, 1, "{}", now)
        assert await _next(listener) == Wakeup(10, "inbox")  # nothing of shop 9's rollback


def test_a_payload_that_is_not_a_wakeup_is_ignored() -> None:
    assert parse_wakeup("12 inbox") == Wakeup(12, "inbox")
    assert parse_wakeup("12 outbox") == Wakeup(12, "outbox")
    for payload in ("", "12", "x inbox", "12 other", "-1 inbox"):
        assert parse_wakeup(payload) is None


async def test_a_lost_listening_connection_is_opened_again(
    pg_store: PostgresStore, pg_database: str
) -> None:
    heard: list[Wakeup] = []
    wakeups = Wakeups(pg_database, heard.append, retry=0.05)
    wakeups.start()
    try:
        await wait_until(lambda: wakeups.listening, 10, "listening")
        terminated = await asyncio.to_thread(_terminate_listeners, pg_database)
        assert terminated == 1
        await wait_until(lambda: not wakeups.listening, 10, "the loss noticed")
        await wait_until(lambda: wakeups.listening, 10, "listening again")

        await pg_store.for_shop(7).run(Tx.inbox_add, 1, "{}", datetime.now(UTC))

        await wait_until(lambda: heard == [Wakeup(7, "inbox")], 5, "the wake-up")
    finally:
        await wakeups.stop()


def _terminate_listeners(dsn: str) -> int:
    """What a restart of PostgreSQL or a dropped connection does to the listener."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND query LIKE 'LISTEN%'"
        ).fetchall()
    return len(rows)
