"""Session advisory locks (``storage.locks``): what the platform's partitions and leader stand on.
PostgreSQL only (SQLite has no sessions to hold a lock)."""

from __future__ import annotations

import psycopg
import pytest

from storage.locks import LockLost, LockSession
from tests.support.postgres import PgServer

KEY = 0x5741_5255_4E47_7E57
SHARED = KEY - 1


@pytest.fixture(scope="module")
def dsn(pg_server: PgServer) -> str:
    return pg_server.new_database()


async def test_a_lock_has_one_holder_until_it_is_unlocked_or_its_session_closes(dsn: str) -> None:
    first, second = LockSession(dsn), LockSession(dsn)
    try:
        assert await first.try_lock(KEY)
        assert not await second.try_lock(KEY)
        await first.unlock(KEY)
        assert await second.try_lock(KEY)
        await second.close()  # freed at once: the next asker need not wait for the server
        assert await first.try_lock(KEY)
    finally:
        await first.close()
        await second.close()


async def test_sessions_holding_a_shared_key_count_each_other(dsn: str) -> None:
    sessions = [LockSession(dsn, shared=SHARED) for _ in range(3)]
    try:
        assert await sessions[0].holders(SHARED) == 1  # opening took the shared lock
        await sessions[1].try_lock(KEY)
        await sessions[2].try_lock(KEY + 1)
        assert await sessions[0].holders(SHARED) == 3
        await sessions[2].close()
        assert await sessions[0].holders(SHARED) == 2
    finally:
        for session in sessions:
            await session.close()


async def test_a_broken_session_says_its_locks_are_lost_and_the_next_call_opens_a_new_one(
    dsn: str,
) -> None:
    session, other = LockSession(dsn, shared=SHARED), LockSession(dsn)
    try:
        assert await session.try_lock(KEY)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                " AND granted AND objid::bigint = %s",
                (KEY & 0xFFFF_FFFF,),
            )
        with pytest.raises(LockLost):
            await session.try_lock(KEY + 1)
        assert not await session.alive()  # no session until the next call opens one
        assert await other.try_lock(KEY)  # the lost lock is free for another
        assert not await session.try_lock(KEY)  # a fresh session, which does not hold it
        assert await session.holders(SHARED) == 1  # and holds the shared key again
        assert await session.alive()
    finally:
        await session.close()
        await other.close()


async def test_a_database_that_does_not_answer_is_a_lost_lock_not_a_crash() -> None:
    session = LockSession("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(LockLost):
        await session.try_lock(KEY)
    assert not await session.alive()
    await session.close()
