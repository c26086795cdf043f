"""What Midtrans tells us about a payment, checked and applied: the one path money takes.

Notifications, Get Status answers (the reconciler, the seller's "re-check" button) and cancellations
all end in ``bot.payments.ledger``: one database transaction that records the event, moves the order
through the state machine, gives stock back and queues the pushes. This module is the async half: it
parses and verifies, asks Midtrans, and hands the transaction to the payment worker process when
there is one (``bot.payments.worker``), else to the bot's own database thread.

Answers to Midtrans. Midtrans retries according to our answer: 2xx never; 500 once; 503 four
times; 400 and 404 twice; 301-303 never; anything else, a timeout included, five times; at about
2 min, 10 min, 30 min, 1.5 h and 3.5 h after the first try. It waits 15 s and asks for an answer
within 5 s, so every notification is answered within ``notification_deadline``.

- 200 for everything recorded, applied or not: unknown order ids, duplicates, and amounts that
  differ from the stored order. A validly signed notification with another amount cannot become
  right by sending it again, so it is recorded, logged as an error and acknowledged; retrying
  would only repeat the same rejection.
- 400 for a body that is not a JSON object (malformed, nested too deep, a lone surrogate), and,
  when notifications are applied without Get Status, for a signed one whose ``status_code``,
  ``payment_type`` or currency contradicts what it says (kept as unverified). Midtrans never
  sends these; its two retries cost nothing.
- 401 for a bad or missing signature (kept, cut short, as unverified): from Midtrans that means
  our server key is wrong, and five retries over 3.5 h leave time to fix it.
- 503 when it could not be stored (the database or the worker failed), when Get Status could
  not be reached to confirm it, and when the deadline passed: what arrived is recorded but not
  acted on, and Midtrans' four retries are the quickest second chance (the reconciler and the
  start-up catch-up are the third). A 200 is only ever sent after the transaction is committed.

The seller's "new paid order" push waits for the reversal window: ``confirm_sales`` (driven by
``bot.payments.reconcile``) asks Get Status once the window has passed and only then tells the
sellers.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from bot.config import Settings
from bot.payments.ledger import Ledger, LedgerResult, PaymentOutcome, PaymentReport
from bot.payments.midtrans import (
    MidtransClient,
    MidtransError,
    MidtransErrorKind,
    MidtransRequestInvalid,
    notification_inconsistency,
    verify_notification,
)
from bot.payments.worker import PaymentWorker, WorkerUnavailable
from bot.rules.clock import Clock, utc_now
from bot.rules.orders import Event, OrderStatus, event_from_midtrans
from storage import Store, Tx

__all__ = ["NotificationResult", "PaymentOutcome", "PaymentReport", "PaymentService"]

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class NotificationResult:
    """The HTTP status for Midtrans and a short word for the log."""

    status: int
    detail: str


class PaymentService:
    """Checks and applies payment news. Sellers are ``settings.admin_ids`` plus stored admins.

    With ``worker``, every ledger transaction runs in that process (one writer of payment state,
    off this process's core); without, in the store's own thread. Same code, same answers.
    """

    def __init__(
        self,
        store: Store,
        midtrans: MidtransClient,
        settings: Settings,
        clock: Clock = utc_now,
        wake_outbox: Callable[[], None] = lambda: None,
        worker: PaymentWorker | None = None,
    ) -> None:
        self._store = store
        self._midtrans = midtrans
        self._settings = settings
        self._clock = clock
        self._wake_outbox = wake_outbox
        self._worker = worker
        self._ledger = Ledger(frozenset(settings.admin_ids))

    async def _write(
        self, fn: Callable[Concatenate[Ledger, Tx, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Run the ledger method ``fn`` in one transaction, in the worker when there is one."""
        if self._worker is not None:
            return await self._worker.run(fn, *args, **kwargs)
        ledger = self._ledger
        return await self._store.run(lambda tx: fn(ledger, tx, *args, **kwargs))

    # --- notifications ---------------------------------------------------------------------

    async def handle_notification(self, body: bytes) -> NotificationResult:
        """Verify, record and apply one notification body (the web layer caps its size).

        Answered within ``notification_deadline``: past it, 503 (Midtrans sends it again)."""
        payload = _parse_notification(body)
        if payload is None:
            return NotificationResult(400, "malformed")
        try:
            async with asyncio.timeout(self._settings.notification_deadline.total_seconds()):
                return await self._handle_notification(payload, body)
        except TimeoutError:
            logger.warning("notification not handled within the deadline: 503, Midtrans retries")
            return NotificationResult(503, "deadline")

    async def _handle_notification(
        self, payload: dict[str, Any], body: bytes
    ) -> NotificationResult:
        now = self._clock()
        raw = body.decode("utf-8", "replace")
        confirm = self._settings.confirm_notifications
        try:
            if not verify_notification(payload, self._settings.midtrans_server_key.get()):
                await self._write(Ledger.record_unverified, payload, raw, now)
                return NotificationResult(401, PaymentOutcome.BAD_SIGNATURE)
            why = None if confirm else notification_inconsistency(payload)
            if why is not None:
                logger.warning("signed notification refused: %s", why)
                await self._write(
                    Ledger.record_unverified, payload, raw, now, PaymentOutcome.INCONSISTENT
                )
                return NotificationResult(400, PaymentOutcome.INCONSISTENT)
            report = PaymentReport.from_notification(payload, raw)
            if confirm:
                result = await self._confirm_and_apply(report, now)
            else:
                result = await self._write(Ledger.apply, report, now)
        except WorkerUnavailable as exc:  # already logged once by the worker's keeper
            logger.warning("notification not stored: %s", exc)
            return NotificationResult(503, "storage_unavailable")
        except Exception:
            logger.exception("could not store a notification")
            return NotificationResult(503, "storage_unavailable")
        self._after(result)
        if result.outcome is PaymentOutcome.UNAVAILABLE:
            return NotificationResult(503, result.outcome)
        return NotificationResult(200, result.outcome)

    async def _confirm_and_apply(self, report: PaymentReport, now: datetime) -> LedgerResult:
        order = await self._store.run(Tx.order, report.order_id)
        if order is None or report.amount != order.gross_amount:
            return await self._write(Ledger.apply, report, now)  # records why, no call
        if (
            event_from_midtrans(report.transaction_status, report.fraud_status) is Event.PENDING
            and order.status == OrderStatus.AWAITING_PAYMENT
        ):
            # "pending" for an order awaiting payment cannot move it anywhere: record it without
            # asking Midtrans (every charge brings one; the check halved confirmed throughput).
            return await self._write(Ledger.apply, report, now)
        try:
            # Leave part of the deadline to record the notification when Midtrans is slow.
            async with asyncio.timeout(self._confirm_budget()):
                status = await self._midtrans.get_status(report.order_id)
        except (MidtransError, MidtransRequestInvalid, TimeoutError) as exc:
            why = exc if not isinstance(exc, TimeoutError) else "no answer before the deadline"
            logger.warning("order %s: could not confirm a notification: %s", order.id, why)
            return await self._write(Ledger.record, report, now, PaymentOutcome.UNAVAILABLE)
        if status is None:
            logger.error("order %s: signed notification, but Get Status finds nothing", order.id)
            return await self._write(Ledger.record, report, now, PaymentOutcome.NOT_FOUND)
        confirmed = PaymentReport.from_status(status, "status_check")
        return await self._write(Ledger.apply_confirmed, report, confirmed, now)

    def _confirm_budget(self) -> float:
        """Seconds Get Status may take while confirming: the deadline less a reserve for the
        write (a fifth of it, at most one second)."""
        deadline = self._settings.notification_deadline.total_seconds()
        return deadline - min(1.0, deadline / 5)

    # --- status checks ---------------------------------------------------------------------

    async def check_order(self, order_id: str, source: str = "status_check") -> str:
        """Ask Get Status about one order and apply the answer; returns the outcome.

        Also finishes checkouts whose charge answer was lost: a transaction Midtrans knows gets
        its charge row and the customer their payment code; one Midtrans never heard of, after
        ``CHARGE_GIVE_UP``, fails and gives its stock back.
        """
        order = await self._store.run(Tx.order, order_id)
        if order is None:
            return PaymentOutcome.UNKNOWN_ORDER
        try:
            status = await self._midtrans.get_status(order_id)
        except (MidtransError, MidtransRequestInvalid) as exc:
            logger.warning("order %s: status check failed: %s", order_id, exc)
            await self._store.run(Tx.stamp_order, order_id, last_checked_at=self._clock())
            return PaymentOutcome.UNAVAILABLE
        result = await self._write(Ledger.apply_status, order_id, status, source, self._clock())
        self._after(result)
        return result.outcome

    # --- cancelling -------------------------------------------------------------------------

    async def cancel_order(self, order_id: str, *, reason: str = "customer") -> str:
        """Cancel a pending order's payment code at Midtrans, then the order; its status after.

        The customer is pushed a confirmation unless they cancelled it themselves: their chat
        already shows the answer. A code that can no longer be cancelled (paid or expired a
        moment ago) is checked with Get Status and that status applied and returned. Raises
        MidtransError when Midtrans could not be asked: nothing changes here, and the
        notification or the reconciler settles what happened there.
        """
        order = await self._store.run(Tx.order, order_id)
        if order is None:
            raise LookupError(f"no order {order_id!r}")
        if order.status != OrderStatus.AWAITING_PAYMENT:
            return order.status
        source = f"{reason}_cancel"
        try:
            status = await self._midtrans.cancel(order_id)
            report = PaymentReport.from_status(status, source)
        except MidtransError as exc:
            if exc.kind is MidtransErrorKind.STATUS_LOCKED:
                await self.check_order(order_id, source=source)
                return await self._status_of(order_id)
            if exc.kind is not MidtransErrorKind.NOT_FOUND or order.charge is not None:
                raise
            # No payment code was ever created: nothing to cancel at Midtrans.
            raw = '{"status_code": "404"}'
            report = PaymentReport(
                order_id, "cancel", None, str(order.gross_amount), "404", raw, source
            )
        tell = reason != "customer"
        result = await self._write(Ledger.apply, report, self._clock(), tell_customer=tell)
        self._after(result)
        return await self._status_of(order_id)

    async def _status_of(self, order_id: str) -> str:
        order = await self._store.run(Tx.order, order_id)
        assert order is not None
        return order.status

    # --- sellers ---------------------------------------------------------------------------

    async def confirm_sales(self, now: datetime) -> int:
        """Tell sellers about paid orders whose reversal window has passed; returns how many.

        Get Status decides: still settled, every admin gets the order; reversed (deny), the
        reversal is applied and only the customer hears, since the seller never heard of it.
        """
        cutoff = now - self._settings.reversal_window
        due = await self._store.run(Tx.paid_orders_awaiting_seller, OrderStatus.PAID, cutoff)
        told = 0
        for order in due:
            try:
                status = await self._midtrans.get_status(order.id)
            except (MidtransError, MidtransRequestInvalid) as exc:
                logger.warning("order %s: sale not confirmed yet: %s", order.id, exc)
                continue
            result = await self._write(Ledger.confirm_sale, order.id, status, self._clock())
            self._after(result)
            told += result.outcome is PaymentOutcome.SELLER_NOTIFIED
        return told

    def _after(self, result: LedgerResult) -> None:
        if result.queued:
            self._wake_outbox()


def _parse_notification(body: bytes) -> dict[str, Any] | None:
    """The JSON object in ``body``, or None for anything else: not JSON, not an object, nested
    deep enough to exhaust the parser's recursion, or holding a lone surrogate (which no
    database or hash can encode)."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(payload, dict):
        return None
    if b"\\u" in body and not _encodable(payload):
        return None
    return payload


def _encodable(value: object) -> bool:
    """No lone surrogate anywhere in ``value`` (only called when the body escapes one)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError):
        return False
    return True
