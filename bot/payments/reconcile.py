"""The safety net under notifications: ask Midtrans about orders we have not heard of.

A notification can be lost (our listener down for longer than Midtrans' retries, a proxy eating
it). Every ``reconcile_interval`` this asks Get Status about pending orders whose expiry (plus
``reconcile_grace``) has passed or that have been quiet for ``QUIET_PERIOD``, and applies the
answers through ``PaymentService``, the same path a notification takes; so a lost "settlement"
still reaches the customer. Paid orders whose reversal window has passed are confirmed and
their sellers told (``PaymentService.confirm_sales``), on a shorter beat so sellers do not wait
a whole reconcile interval on top of the window.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from telegram.ext import CallbackContext, JobQueue

from bot.config import Settings
from bot.payments.service import PaymentService
from bot.rules.clock import Clock, utc_now
from bot.rules.orders import PENDING
from storage import Store, Tx

logger = logging.getLogger(__name__)

QUIET_PERIOD = timedelta(minutes=15)
"""A pending order not checked for this long is asked about even before it expires."""
BATCH = 100
SALES_BEAT = timedelta(seconds=10)


@dataclass
class ReconcileReport:
    """What one pass found: outcomes of the status checks, sellers told, errors."""

    checked: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    sellers_notified: int = 0
    errors: int = 0

    def __str__(self) -> str:
        found = ", ".join(f"{name} {count}" for name, count in sorted(self.outcomes.items()))
        return (
            f"checked {self.checked} ({found or 'nothing'}), sellers told about "
            f"{self.sellers_notified}, errors {self.errors}"
        )


async def reconcile_once(
    payments: PaymentService,
    store: Store,
    settings: Settings,
    now: datetime,
    *,
    quiet_period: timedelta = QUIET_PERIOD,
    limit: int = BATCH,
) -> ReconcileReport:
    """One pass: check the pending orders that are due, then confirm sales past the window."""
    report = ReconcileReport()
    due = await store.run(
        Tx.orders_due_for_check,
        sorted(PENDING),
        now - settings.reconcile_grace,
        now - quiet_period,
        limit,
    )
    for order in due:
        report.checked += 1
        try:
            outcome = await payments.check_order(order.id, source="reconcile")
        except Exception:
            logger.exception("reconcile: checking order %s failed", order.id)
            report.errors += 1
            continue
        report.outcomes[outcome] += 1
    try:
        report.sellers_notified = await payments.confirm_sales(now)
    except Exception:
        logger.exception("reconcile: confirming sales failed")
        report.errors += 1
    return report


def schedule(
    job_queue: JobQueue[Any],
    payments: PaymentService,
    store: Store,
    settings: Settings,
    clock: Clock = utc_now,
) -> None:
    """Register the reconcile pass and the sales beat as repeating PTB jobs."""

    async def reconcile(context: CallbackContext[Any, Any, Any, Any]) -> None:
        report = await reconcile_once(payments, store, settings, clock())
        level = logging.INFO if report.checked or report.sellers_notified else logging.DEBUG
        logger.log(level, "reconcile: %s", report)

    async def sales(context: CallbackContext[Any, Any, Any, Any]) -> None:
        try:
            told = await payments.confirm_sales(clock())
        except Exception:
            logger.exception("confirming sales failed")
            return
        if told:
            logger.info("sellers told about %d paid orders", told)

    interval = settings.reconcile_interval
    job_queue.run_repeating(reconcile, interval=interval, first=interval, name="reconcile")
    beat = max(timedelta(seconds=1), min(interval, SALES_BEAT, settings.reversal_window / 3))
    job_queue.run_repeating(sales, interval=beat, first=beat, name="confirm-sales")
