"""The platform bot and the global housekeeping, run by exactly one process at a time: the leader.

Every ``--role worker`` or ``--role all`` process tries to take one PostgreSQL session advisory
lock (``LEADER_LOCK``) on a connection of its own; the one that holds it runs the platform bot,
polling Telegram for its updates (getUpdates), and beside it the housekeeping
(``bot/platform/housekeeping.py``: shops' webhook health and token checks, purges). When that
process dies its session ends, the lock is free, and another process takes it within ``retry``
seconds and polls on from the offset Telegram kept (updates wait there for 24 hours), so no
seller's message is lost; its housekeeping goes on from the check times kept in the directory.

Why polling and not a webhook through the edge: the platform bot gets few updates (sellers
making and managing shops), polling needs no public path or secret of its own, and the edge
stays stateless: it would otherwise have to hand the platform bot's updates to whichever process
leads (an inbox and a drain of their own). Telegram itself refuses a second getUpdates of the
same bot (409), so even a short overlap of two leaders cannot deliver an update twice. What a
leader change loses: a /newshop conversation in the middle (kept in memory); the seller starts
it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import TelegramError
from telegram.ext import Application

from bot.platform.platform_bot import set_commands
from storage.locks import LockLost, LockSession

logger = logging.getLogger(__name__)

LEADER_LOCK = 0x5741_5255_4E47_0FFD
"""Held by the process that runs the platform bot and the housekeeping (apart from the
partition locks)."""

PlatformApplication = Application[Any, Any, Any, Any, Any, Any]


class LeaderLock:
    """The leader's session advisory lock, on a session of its own (``storage.locks``)."""

    def __init__(self, dsn: str) -> None:
        self._session = LockSession(dsn)

    async def try_take(self) -> bool:
        try:
            return await self._session.try_lock(LEADER_LOCK)
        except LockLost as exc:
            logger.warning("leader lock: %s", exc)
            return False

    async def still_held(self) -> bool:
        """False once the lock's connection is gone (the lock went with it)."""
        return await self._session.alive()

    async def close(self) -> None:
        """Gives the lock up (the session ends)."""
        await self._session.close()


class PlatformBotLeader:
    """While this process holds the leader lock: the platform bot (``build()``) and, beside
    it, ``housekeeping()`` (``Housekeeping.run``), each in a task of its own. A platform bot
    that fails (Telegram unreachable, its token refused) is one log line and another try
    ``retry`` seconds later, the housekeeping going on meanwhile; both stop when the lock's
    database connection is lost."""

    def __init__(
        self,
        lock: LeaderLock,
        build: Callable[[], PlatformApplication],
        *,
        retry: float = 5.0,
        poll_timeout: int = 10,
        housekeeping: Callable[[], Coroutine[Any, Any, None]] | None = None,
    ) -> None:
        self._lock = lock
        self._build = build
        self._retry = retry
        self._poll_timeout = poll_timeout
        self._housekeeping = housekeeping
        self._task: asyncio.Task[None] | None = None
        self.leading = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="platform-bot-leader")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._lock.close()

    async def _run(self) -> None:
        while True:
            if await self._lock.try_take():
                logger.info("this process leads: it runs the platform bot and the housekeeping")
                try:
                    await self._lead()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("leading stopped; trying again")
                finally:
                    self.leading.clear()
                await self._lock.close()
            await asyncio.sleep(self._retry)

    async def _lead(self) -> None:
        duties = [asyncio.create_task(self._platform_bot(), name="platform-bot")]
        if self._housekeeping is not None:
            duties.append(asyncio.create_task(self._housekeeping(), name="housekeeping"))
        self.leading.set()
        try:
            held = True
            while held:
                await asyncio.sleep(self._retry)
                held = await self._lock.still_held()
            logger.warning(
                "lost the leader lock's database connection: platform bot and housekeeping stopped"
            )
        finally:
            for duty in duties:
                duty.cancel()
            await asyncio.gather(*duties, return_exceptions=True)

    async def _platform_bot(self) -> None:
        """Run the platform bot; after a failure, again ``retry`` seconds later."""
        while True:
            try:
                await self._poll()
            except TelegramError as exc:  # Telegram down, or the token refused
                logger.error("the platform bot could not start: %s; trying again", exc)
            except Exception:
                logger.exception("the platform bot stopped; trying again")
            await asyncio.sleep(self._retry)

    async def _poll(self) -> None:
        application = self._build()
        await application.initialize()
        try:
            await set_commands(application)
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(timeout=self._poll_timeout)
            logger.info("the platform bot polls for its updates")
            await asyncio.Event().wait()  # until cancelled: the lock was lost, or stop
        finally:
            await asyncio.shield(_stop(application))


async def _stop(application: PlatformApplication) -> None:
    with contextlib.suppress(Exception):
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
    with contextlib.suppress(Exception):
        await application.shutdown()
