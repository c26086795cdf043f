"""Wake-ups: a worker hears of new work the moment the edge commits it, instead of at its
next look at the database.

The edge writes an update into a shop's inbox, or a payment's pushes into its outbox, and in
the same transaction NOTIFYs the shop's id (``storage.wakeups``). ``Wakeups`` LISTENs on a
connection of its own and hands each wake-up to the worker, which kicks that shop at once. A
lost connection is opened again after ``retry`` seconds; whatever was announced meanwhile is
found by the worker's tick, which stays as the fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from storage.wakeups import Wakeup, WorkListener

logger = logging.getLogger(__name__)


class Wakeups:
    """Calls ``on_wakeup`` for every wake-up, from ``start()`` to ``stop()``."""

    def __init__(
        self, dsn: str, on_wakeup: Callable[[Wakeup], None], *, retry: float = 1.0
    ) -> None:
        self._dsn = dsn
        self._on_wakeup = on_wakeup
        self._retry = retry
        self._task: asyncio.Task[None] | None = None
        self.listening = False
        """True while the LISTEN connection is up (tests wait for it)."""

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="worker-wakeups")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.listening = False

    async def _run(self) -> None:
        while True:
            try:
                async with WorkListener(self._dsn) as listener:
                    self.listening = True
                    async for wakeup in listener.wakeups():
                        self._on_wakeup(wakeup)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning(
                    "wake-ups lost (%s); the tick finds new work meanwhile", type(exc).__name__
                )
            finally:
                self.listening = False
            await asyncio.sleep(self._retry)
