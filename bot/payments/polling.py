"""Learning of payments by asking Midtrans, for when notifications cannot or did not arrive.

Two jobs share one rate limit (``status_check_rate`` Get Status calls per second at most):

- **Catch-up at start.** A notification sent while the bot was down is retried by Midtrans only
  2 min, 10 min, 30 min... later, and may be lost for good. So on every start each pending order
  is asked about once, oldest check first: a customer who paid during the downtime hears of it
  within seconds of the restart instead of waiting for the reconciler's quiet period.
- **Polling without a public URL.** With ``PUBLIC_BASE_URL`` empty, Midtrans has nowhere to send
  notifications. Pending orders are then asked about on a schedule that keeps the wait short
  where a customer is likely standing at the cashier: every ``status_poll_interval`` (15 s) for
  orders charged in the last hour, every 2 minutes up to 6 hours, every 10 minutes after that.

Every answer goes through ``PaymentService.check_order``: the same path, the same pushes, the
same state machine as a notification.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.config import Settings
from bot.payments.service import PaymentService
from bot.rules.clock import Clock, utc_now
from bot.rules.orders import PENDING
from storage import CheckBand, Store, Tx

logger = logging.getLogger(__name__)

RECENT = timedelta(hours=1)
"""Orders charged this recently are polled every ``status_poll_interval``."""
TIERS = ((timedelta(hours=6), timedelta(minutes=2)),)
"""Older orders, up to each age, are polled at the paired interval..."""
OLDEST_INTERVAL = timedelta(minutes=10)
"""...and the oldest at this one."""


def poll_interval(age: timedelta, recent_interval: timedelta) -> timedelta:
    """How often an order of this age (since it was charged) is asked about."""
    if age < RECENT:
        return recent_interval
    for up_to, interval in TIERS:
        if age < up_to:
            return interval
    return OLDEST_INTERVAL


def poll_bands(now: datetime, recent_interval: timedelta) -> list[CheckBand]:
    """``poll_interval`` as bands of creation time, so the store returns only due orders."""
    ages: list[tuple[timedelta, timedelta]] = [(RECENT, recent_interval), *TIERS]
    bands: list[CheckBand] = []
    younger_than: timedelta | None = None  # the youngest band takes any newer order too
    for up_to, interval in ages:
        until = None if younger_than is None else now - younger_than
        bands.append(CheckBand(now - up_to, until, now - interval))
        younger_than = up_to
    bands.append(
        CheckBand(
            None,
            now - RECENT if younger_than is None else now - younger_than,
            now - OLDEST_INTERVAL,
        )
    )
    return bands


class RateLimit:
    """At most ``per_second`` calls per second: each ``wait`` takes the next free slot."""

    def __init__(
        self,
        per_second: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._gap = 1.0 / per_second
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = 0.0

    async def wait(self) -> None:
        now = self._monotonic()
        slot = max(now, self._next)
        self._next = slot + self._gap
        if slot > now:
            await self._sleep(slot - now)


class StatusPoller:
    """The catch-up at start and, without a public URL, the polling schedule."""

    def __init__(
        self,
        payments: PaymentService,
        store: Store,
        settings: Settings,
        clock: Clock = utc_now,
    ) -> None:
        self._payments = payments
        self._store = store
        self._settings = settings
        self._clock = clock
        self._limit = RateLimit(settings.status_check_rate)

    @property
    def polling(self) -> bool:
        """Whether pending orders are polled: only when Midtrans cannot notify us."""
        return not self._settings.public_base_url

    @property
    def tick(self) -> float:
        """Seconds between looks for due orders: a third of the shortest interval, 1 s to 5 s."""
        return min(5.0, max(0.05, self._settings.status_poll_interval.total_seconds() / 3))

    async def run(self) -> None:
        """Catch up once, then (without a public URL) poll until cancelled."""
        try:
            checked = await self.catch_up()
        except Exception:
            logger.exception("catch-up with Midtrans failed; the reconciler will retry")
        else:
            if checked:
                logger.info("caught up with Midtrans on %d pending orders", checked)
        if not self.polling:
            return
        logger.info(
            "no PUBLIC_BASE_URL: asking Midtrans about pending orders every %ss (at most %d/s)",
            int(self._settings.status_poll_interval.total_seconds()),
            self._settings.status_check_rate,
        )
        while True:
            try:
                await self.poll_once(self._clock())
            except Exception:
                logger.exception("polling Midtrans failed; trying again")
            await asyncio.sleep(self.tick)

    async def catch_up(self) -> int:
        """Ask Get Status about every pending order once; returns how many were asked."""
        orders = await self._store.run(Tx.check_times, sorted(PENDING))
        for order_id, _, _ in orders:
            await self._check(order_id, "catch_up")
        return len(orders)

    async def poll_once(self, now: datetime) -> int:
        """Ask about the pending orders whose turn has come; returns how many were asked."""
        bands = poll_bands(now, self._settings.status_poll_interval)
        due = await self._store.run(Tx.orders_due_for_poll, sorted(PENDING), bands)
        for order_id in due:
            await self._check(order_id, "poll")
        return len(due)

    async def _check(self, order_id: str, source: str) -> None:
        await self._limit.wait()
        try:
            await self._payments.check_order(order_id, source=source)
        except Exception:
            logger.exception("%s: checking order %s failed", source, order_id)
