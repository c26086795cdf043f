"""Send slots and backoff per hosted shop, so one bad shop slows no other.

Every shop's bot talks to Telegram through one HTTP pool shared by the worker. A shop whose
calls hang until they time out would hold as many of its connections as it has calls in flight
(a batch of 50 updates and 8 outbox sends), and a handful of such shops would leave the others
waiting for a connection. A shop told ``retry_after=3600`` would have python-telegram-bot's
``AIORateLimiter`` sleep an hour inside its handlers and outbox sends. So each shop's calls go
through a ``ShopRequest`` with a ``ShopGate``:

- **Send slots**: at most ``slots`` calls of the shop in flight at a time; the others wait for a
  slot of their own shop, never for the pool.
- **Long waits pause the shop**: a 429 whose ``retry_after`` is over ``LONG_WAIT`` does not reach
  ``AIORateLimiter``'s retry (it sleeps and retries only short waits, as configured); the shop
  is paused until then instead, and its calls fail at once with ``ShopPaused`` without reaching
  Telegram. The worker drains no inbox and sends no outbox message of a paused shop: they wait,
  untouched, until the pause ends.
- **Timeouts back off**: after ``TIMEOUTS_IN_A_ROW`` calls in a row that timed out (the pool's
  own "no free connection" excepted: that is not the shop's fault), the shop is paused for
  ``TIMEOUT_PAUSE``, doubling at each new run of timeouts up to ``MAX_TIMEOUT_PAUSE``; one call
  that gets an answer resets it.

A gate keeps time with the worker's clock, so tests move a pause's end by moving the clock.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from telegram.error import TelegramError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest

from bot.rules.clock import Clock

logger = logging.getLogger(__name__)

LONG_WAIT = 60.0
"""Seconds: a ``retry_after`` above this pauses the shop instead of sleeping in a call."""

TIMEOUTS_IN_A_ROW = 3
TIMEOUT_PAUSE = timedelta(seconds=5)
MAX_TIMEOUT_PAUSE = timedelta(minutes=5)

_POOL_TIMEOUT = "Pool timeout"  # PTB's message when no connection of the pool came free


class ShopPaused(TelegramError):
    """The shop is paused (Telegram asked it to wait long, or its calls kept timing out): the
    call was not sent, or Telegram's 429 is not passed on as a ``RetryAfter``, which
    ``AIORateLimiter`` would sleep on, holding the handler or the send for that long."""

    def __init__(self, seconds: float, reason: str) -> None:
        super().__init__(f"shop paused for {seconds:.0f} s more: {reason}")
        self.seconds = seconds


class ShopGate:
    """One shop's send slots and pause (see the module docstring)."""

    def __init__(self, shop_id: int, slots: int, clock: Clock) -> None:
        self.shop_id = shop_id
        self.slots = asyncio.Semaphore(max(1, slots))
        self._clock = clock
        self.paused_until: datetime | None = None
        self.reason = ""
        self._timeouts = 0  # calls in a row that timed out
        self._next_timeout_pause = TIMEOUT_PAUSE

    def hold(self) -> float:
        """Seconds the shop stays paused (0: not paused)."""
        if self.paused_until is None:
            return 0.0
        left = (self.paused_until - self._clock()).total_seconds()
        if left <= 0:
            self.paused_until = None
            return 0.0
        return left

    def check(self) -> None:
        """Raise ``ShopPaused`` while the shop is paused."""
        left = self.hold()
        if left > 0:
            raise ShopPaused(left, self.reason)

    def pause(self, seconds: float, reason: str) -> None:
        until = self._clock() + timedelta(seconds=seconds)
        if self.paused_until is None or until > self.paused_until:
            if self.hold() == 0:
                logger.warning("shop %d paused for %.0f s: %s", self.shop_id, seconds, reason)
            self.paused_until, self.reason = until, reason

    def answered(self) -> None:
        """Telegram answered a call (any answer): the timeouts were not the shop's rule."""
        self._timeouts = 0
        self._next_timeout_pause = TIMEOUT_PAUSE

    def timed_out(self) -> None:
        if self.hold() > 0:
            return  # a call sent before the pause began: the pause already counts it
        self._timeouts += 1
        if self._timeouts >= TIMEOUTS_IN_A_ROW:
            self._timeouts = 0
            pause = self._next_timeout_pause
            self._next_timeout_pause = min(pause * 2, MAX_TIMEOUT_PAUSE)
            self.pause(pause.total_seconds(), f"{TIMEOUTS_IN_A_ROW} calls in a row timed out")


class ShopRequest(BaseRequest):
    """A shop's way into the shared HTTP pool: its calls pass its gate (``do_request``, the
    extension point of PTB's ``BaseRequest``; Telegram's answer is read by PTB as usual).
    Shutting it down (the shop's bot stops) leaves the shared pool open for the other shops."""

    def __init__(self, shared: HTTPXRequest, gate: ShopGate) -> None:
        self._shared = shared
        self.gate = gate

    @property
    def read_timeout(self) -> float | None:
        return self._shared.read_timeout

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        gate = self.gate
        gate.check()
        async with gate.slots:
            gate.check()  # the pause may have begun while this call waited for a slot
            try:
                status, payload = await self._shared.do_request(*args, **kwargs)
            except TimedOut as exc:
                if not str(exc).startswith(_POOL_TIMEOUT):
                    gate.timed_out()
                raise
        gate.answered()  # other failures (no connection at all) leave the count as it was
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            seconds = _retry_after(payload)
            if seconds > LONG_WAIT:  # shorter waits: AIORateLimiter sleeps and retries
                gate.pause(seconds, f"Telegram asked to retry after {seconds:.0f} s")
                raise ShopPaused(seconds, gate.reason)
        return status, payload


def _retry_after(payload: bytes) -> float:
    """The ``retry_after`` of a 429 answer (0 when it has none)."""
    try:
        value = json.loads(payload)["parameters"]["retry_after"]
        return float(value)
    except (ValueError, TypeError, KeyError):
        return 0.0
