"""What Midtrans tells us about a payment, checked and applied: the one path money takes.

Notifications, Get Status answers (the reconciler, the seller's "re-check" button) and
cancellations all end in ``_apply``: one database transaction that records the event, moves the
order through the state machine (``bot.orders``), gives stock back where the move releases it
and queues the pushes in the outbox. Anything not allowed from the current status (a duplicate,
a late or out-of-order notification) is recorded with ``applied = 0`` and changes nothing, so a
status never moves backwards and each chat hears of each transition once (outbox dedupe keys).

Answers to Midtrans (it retries non-2xx after about 2 min, 10 min, 30 min, 1.5 h, 3.5 h):

- 400 malformed JSON, 401 bad or missing signature (recorded as unverified, nothing else).
- 200 for everything recorded, applied or not: unknown order ids, duplicates, and amounts that
  differ from the stored order. A validly signed notification with another amount cannot become
  right by sending it again, so it is recorded, logged as an error and acknowledged; retrying
  would only repeat the same rejection five times.
- 503 when it could not be stored, and, with ``confirm_notifications`` on, when Get Status
  could not be reached: the notification was recorded but not acted on, and Midtrans' retry is
  the quickest second chance (the reconciler is the third).

The seller's "new paid order" push waits for the reversal window: ``confirm_sales`` (driven by
``bot.reconcile``) asks Get Status once the window has passed and only then tells the sellers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot import pushes
from bot.clock import Clock, utc_now
from bot.config import Settings
from bot.midtrans import (
    MidtransClient,
    MidtransError,
    MidtransErrorKind,
    MidtransRequestInvalid,
    StatusResult,
    parse_amount,
    verify_notification,
)
from bot.orders import (
    RELEASES_STOCK,
    TRANSITIONS,
    Event,
    OrderStatus,
    event_from_midtrans,
    next_status,
)
from storage import Order, Store, Tx

logger = logging.getLogger(__name__)

CHARGE_GRACE = timedelta(minutes=2)
"""A charge younger than this may still be in flight at checkout: do not recover it here."""
CHARGE_GIVE_UP = timedelta(minutes=10)
"""An order Midtrans has never heard of after this long will not get a payment code."""
UNVERIFIED_RAW_LIMIT = 4096
"""Unverified bodies are stored cut short: anyone can send them, the disk is ours."""

_PAID_EVENTS = frozenset({Event.SETTLEMENT, Event.CAPTURE})
_CLOSED_UNPAID = frozenset({OrderStatus.EXPIRED, OrderStatus.CANCELLED})


class Outcome(StrEnum):
    """What happened to one report; stored in ``payment_events.outcome``."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"  # the order is already where this report would take it
    IGNORED = "ignored"  # not allowed from the current status: late or out of order
    NO_CHANGE = "no_change"  # still pending
    UNKNOWN_ORDER = "unknown_order"
    AMOUNT_MISMATCH = "amount_mismatch"
    BAD_SIGNATURE = "bad_signature"
    LATE_PAYMENT = "late_payment"  # paid after we closed the order: a person must look
    CONFIRMED = "confirmed"  # a notification whose status was asked again and applied
    UNAVAILABLE = "midtrans_unavailable"
    NOT_FOUND = "not_found"  # Get Status: Midtrans has no such transaction
    CHARGE_IN_PROGRESS = "charge_in_progress"
    SELLER_NOTIFIED = "seller_notified"


_ROUTINE = frozenset({Outcome.NO_CHANGE, Outcome.DUPLICATE, Outcome.NOT_FOUND})
"""Status checks with these outcomes only stamp ``last_checked_at``: the reconciler asks about
every quiet pending order again and again, and a row per question would say nothing new."""


@dataclass(frozen=True)
class NotificationResult:
    """The HTTP status for Midtrans and a short word for the log."""

    status: int
    detail: str


@dataclass(frozen=True)
class Report:
    """A transaction's state as Midtrans told it, in a notification or a Get Status answer."""

    order_id: str
    transaction_status: str
    fraud_status: str | None
    gross_amount: str | None
    status_code: str | None
    raw: str
    source: str

    @classmethod
    def from_notification(cls, payload: Mapping[str, Any], raw: str) -> Report:
        return cls(
            order_id=str(payload.get("order_id", "")),
            transaction_status=_str(payload.get("transaction_status")) or "",
            fraud_status=_str(payload.get("fraud_status")),
            gross_amount=_str(payload.get("gross_amount")),
            status_code=_str(payload.get("status_code")),
            raw=raw,
            source="notification",
        )

    @classmethod
    def from_status(cls, status: StatusResult, source: str) -> Report:
        return cls(
            order_id=status.order_id,
            transaction_status=status.transaction_status,
            fraud_status=status.fraud_status,
            gross_amount=str(status.gross_amount),
            status_code=status.status_code,
            raw=json.dumps(status.raw, ensure_ascii=False),
            source=source,
        )


@dataclass(frozen=True)
class _Result:
    outcome: Outcome
    queued: int = 0


class PaymentService:
    """Checks and applies payment news. Sellers are ``settings.admin_ids`` plus stored admins."""

    def __init__(
        self,
        store: Store,
        midtrans: MidtransClient,
        settings: Settings,
        clock: Clock = utc_now,
        wake_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._midtrans = midtrans
        self._settings = settings
        self._clock = clock
        self._wake_outbox = wake_outbox

    # --- notifications ---------------------------------------------------------------------

    async def handle_notification(self, body: bytes) -> NotificationResult:
        """Verify, record and apply one notification body (the web layer caps its size)."""
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return NotificationResult(400, "malformed")
        if not isinstance(payload, dict):
            return NotificationResult(400, "malformed")
        now = self._clock()
        raw = body.decode("utf-8", "replace")
        try:
            if not verify_notification(payload, self._settings.midtrans_server_key.get()):
                await self._store.run(_record_unverified, payload, raw, now)
                return NotificationResult(401, Outcome.BAD_SIGNATURE)
            report = Report.from_notification(payload, raw)
            if self._settings.confirm_notifications:
                result = await self._confirm_and_apply(report, now)
            else:
                result = await self._store.run(self._apply, report, now)
        except Exception:
            logger.exception("could not store a notification")
            return NotificationResult(503, "storage_unavailable")
        self._after(result)
        if result.outcome is Outcome.UNAVAILABLE:
            return NotificationResult(503, result.outcome)
        return NotificationResult(200, result.outcome)

    async def _confirm_and_apply(self, report: Report, now: datetime) -> _Result:
        order = await self._store.run(Tx.order, report.order_id)
        if order is None or _amount(report.gross_amount) != order.gross_amount:
            return await self._store.run(self._apply, report, now)  # records why, no call
        if (
            event_from_midtrans(report.transaction_status, report.fraud_status) is Event.PENDING
            and order.status == OrderStatus.AWAITING_PAYMENT
        ):
            # "pending" for an order awaiting payment cannot move it anywhere: record it without
            # asking Midtrans (every charge brings one; the check halved confirmed throughput).
            return await self._store.run(self._apply, report, now)
        try:
            status = await self._midtrans.get_status(report.order_id)
        except (MidtransError, MidtransRequestInvalid) as exc:
            logger.warning("order %s: could not confirm a notification: %s", order.id, exc)
            return await self._store.run(_record, report, now, Outcome.UNAVAILABLE)
        if status is None:
            logger.error("order %s: signed notification, but Get Status finds nothing", order.id)
            return await self._store.run(_record, report, now, Outcome.NOT_FOUND)
        confirmed = Report.from_status(status, "status_check")
        return await self._store.run(self._apply_confirmed, report, confirmed, now)

    def _apply_confirmed(
        self, tx: Tx, notification: Report, status: Report, now: datetime
    ) -> _Result:
        _record(tx, notification, now, Outcome.CONFIRMED)
        return self._apply(tx, status, now, record_routine=True)

    # --- status checks ---------------------------------------------------------------------

    async def check_order(self, order_id: str, source: str = "status_check") -> str:
        """Ask Get Status about one order and apply the answer; returns the outcome.

        Also finishes checkouts whose charge answer was lost: a transaction Midtrans knows gets
        its charge row and the customer their payment code; one Midtrans never heard of, after
        ``CHARGE_GIVE_UP``, fails and gives its stock back.
        """
        order = await self._store.run(Tx.order, order_id)
        if order is None:
            return Outcome.UNKNOWN_ORDER
        try:
            status = await self._midtrans.get_status(order_id)
        except (MidtransError, MidtransRequestInvalid) as exc:
            logger.warning("order %s: status check failed: %s", order_id, exc)
            await self._store.run(Tx.stamp_order, order_id, last_checked_at=self._clock())
            return Outcome.UNAVAILABLE
        result = await self._store.run(self._apply_status, order_id, status, source, self._clock())
        self._after(result)
        return result.outcome

    def _apply_status(
        self, tx: Tx, order_id: str, status: StatusResult | None, source: str, now: datetime
    ) -> _Result:
        order = tx.order(order_id)
        if order is None:
            return _Result(Outcome.UNKNOWN_ORDER)
        if status is None:
            return self._not_at_midtrans(tx, order, source, now)
        report = Report.from_status(status, source)
        queued = 0
        if (
            order.charge is None
            and status.payment_code
            and status.gross_amount == order.gross_amount
        ):
            if order.created_at > now - CHARGE_GRACE:
                tx.stamp_order(order.id, last_checked_at=now)
                return _Result(Outcome.CHARGE_IN_PROGRESS)
            store_name = str(status.raw.get("store") or "indomaret").lower()
            tx.save_charge(
                order.id,
                status.transaction_id,
                status.payment_code,
                status.expiry_time,
                status.raw,
                now,
                store=store_name,
            )
            logger.info("order %s: charge recovered through Get Status", order.id)
            if (
                order.status == OrderStatus.AWAITING_PAYMENT
                and report.transaction_status == "pending"
            ):
                queued += _enqueue(tx, [pushes.customer_payment_code(order)], now)
        result = self._apply(tx, report, now)
        return _Result(result.outcome, result.queued + queued)

    def _not_at_midtrans(self, tx: Tx, order: Order, source: str, now: datetime) -> _Result:
        """Get Status answered 404: the charge never reached Midtrans, or has not yet."""
        refused = (
            order.status == OrderStatus.AWAITING_PAYMENT
            and order.charge is None
            and order.created_at <= now - CHARGE_GIVE_UP
        )
        if not refused:
            if order.charge is not None:
                logger.error("order %s has a payment code, but Midtrans does not know it", order.id)
            tx.stamp_order(order.id, last_checked_at=now)
            return _Result(Outcome.NOT_FOUND)
        new = OrderStatus.FAILED
        tx.set_order_status(
            order.id, order.status, new, f"{source}:not_found", now, last_checked_at=now
        )
        tx.release_stock(order.id)
        queued = _enqueue(tx, [pushes.customer_failed(order, charge_refused=True)], now)
        report = Report(order.id, "not_found", None, None, "404", '{"status_code": "404"}', source)
        _record(tx, report, now, Outcome.APPLIED, applied=True)
        logger.info("order %s: %s -> %s (no charge at Midtrans)", order.id, order.status, new)
        return _Result(Outcome.APPLIED, queued)

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
            report = Report.from_status(status, source)
        except MidtransError as exc:
            if exc.kind is MidtransErrorKind.STATUS_LOCKED:
                await self.check_order(order_id, source=source)
                return await self._status_of(order_id)
            if exc.kind is not MidtransErrorKind.NOT_FOUND or order.charge is not None:
                raise
            # No payment code was ever created: nothing to cancel at Midtrans.
            raw = '{"status_code": "404"}'
            report = Report(order_id, "cancel", None, str(order.gross_amount), "404", raw, source)
        tell = reason != "customer"
        result = await self._store.run(self._apply, report, self._clock(), tell_customer=tell)
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
            result = await self._store.run(self._confirm_sale, order.id, status, self._clock())
            self._after(result)
            told += result.outcome is Outcome.SELLER_NOTIFIED
        return told

    def _confirm_sale(
        self, tx: Tx, order_id: str, status: StatusResult | None, now: datetime
    ) -> _Result:
        order = tx.order(order_id)
        if order is None or order.status != OrderStatus.PAID or order.seller_notified_at:
            return _Result(Outcome.DUPLICATE)
        if status is None:
            logger.error("order %s is paid, but Midtrans does not know it", order_id)
            return _Result(Outcome.NOT_FOUND)
        report = Report.from_status(status, "status_check")
        event = event_from_midtrans(report.transaction_status, report.fraud_status)
        if event not in _PAID_EVENTS or status.gross_amount != order.gross_amount:
            return self._apply(tx, report, now)
        admins = self._admins(tx)
        queued = _enqueue(tx, [pushes.seller_paid(order, admin) for admin in admins], now)
        tx.stamp_order(order.id, seller_notified_at=now, last_checked_at=now)
        _record(tx, report, now, Outcome.SELLER_NOTIFIED)
        if not admins:
            logger.warning("order %s is paid, but no seller is set up to hear of it", order.id)
        return _Result(Outcome.SELLER_NOTIFIED, queued)

    # --- the one way state changes ---------------------------------------------------------

    def _apply(
        self,
        tx: Tx,
        report: Report,
        now: datetime,
        *,
        record_routine: bool = False,
        tell_customer: bool = True,
    ) -> _Result:
        """Record ``report`` and, when the state machine allows it, apply it (one transaction)."""
        order = tx.order(report.order_id)
        if order is None:
            logger.info("report for unknown order %r recorded", report.order_id[:64])
            return _record(tx, report, now, Outcome.UNKNOWN_ORDER)
        if _amount(report.gross_amount) != order.gross_amount:
            logger.error(
                "order %s: Midtrans reports %r but the order is %d: rejected",
                order.id,
                (report.gross_amount or "")[:32],
                order.gross_amount,
            )
            return _record(tx, report, now, Outcome.AMOUNT_MISMATCH)
        event = event_from_midtrans(report.transaction_status, report.fraud_status)
        new = next_status(order.status, event) if event is not None else None
        if new is None:
            return self._not_applied(tx, order, report, event, now, record_routine)
        stamps = {"last_checked_at": now}
        if new == OrderStatus.PAID:
            stamps["paid_at"] = now
        reason = f"{report.source}:{report.transaction_status}"
        if not tx.set_order_status(order.id, order.status, new, reason, now, **stamps):
            return _record(tx, report, now, Outcome.IGNORED)  # cannot happen inside one tx
        if new in RELEASES_STOCK:
            tx.release_stock(order.id)
        queued = _enqueue(tx, self._pushes_for(tx, order, new, tell_customer), now)
        _record(tx, report, now, Outcome.APPLIED, applied=True)
        logger.info("order %s: %s -> %s (%s)", order.id, order.status, new, reason)
        return _Result(Outcome.APPLIED, queued)

    def _not_applied(
        self,
        tx: Tx,
        order: Order,
        report: Report,
        event: Event | None,
        now: datetime,
        record_routine: bool,
    ) -> _Result:
        current = OrderStatus(order.status)
        if event is None or (event is Event.PENDING and current is OrderStatus.AWAITING_PAYMENT):
            outcome = Outcome.NO_CHANGE if event is Event.PENDING else Outcome.IGNORED
        elif any(TRANSITIONS.get((s, event)) == current for s in OrderStatus):
            outcome = Outcome.DUPLICATE
        elif event in _PAID_EVENTS and current in _CLOSED_UNPAID:
            outcome = Outcome.LATE_PAYMENT
        else:
            outcome = Outcome.IGNORED
        tx.stamp_order(order.id, last_checked_at=now)
        queued = 0
        if outcome is Outcome.LATE_PAYMENT:
            logger.error("order %s is %s but Midtrans reports it paid", order.id, current)
            alerts = [pushes.seller_late_payment(order, admin) for admin in self._admins(tx)]
            queued = _enqueue(tx, alerts, now)
        if report.source == "notification" or record_routine or outcome not in _ROUTINE:
            _record(tx, report, now, outcome)
        return _Result(outcome, queued)

    def _pushes_for(
        self, tx: Tx, order: Order, new: OrderStatus, tell_customer: bool = True
    ) -> list[pushes.Push]:
        found = pushes.customer_push_for(order, new) if tell_customer else None
        queued = [found] if found else []
        if new == OrderStatus.REVERSED and (
            order.seller_notified_at is not None or order.status == OrderStatus.FULFILLED
        ):
            # Sellers who were told about the sale must hear it is off; those who were not
            # never heard of it, so there is nothing to take back.
            queued += [pushes.seller_reversed(order, admin) for admin in self._admins(tx)]
        return queued

    def _admins(self, tx: Tx) -> list[int]:
        return sorted(set(self._settings.admin_ids) | set(tx.admins()))

    def _after(self, result: _Result) -> None:
        if result.queued:
            self._wake_outbox()


# --- helpers that run inside a transaction -----------------------------------------------


def _enqueue(tx: Tx, queued: Iterable[pushes.Push], now: datetime) -> int:
    count = 0
    for push in queued:
        count += tx.enqueue(push.chat_id, push.method, push.params, now, push.dedupe_key)
    return count


def _record(
    tx: Tx, report: Report, now: datetime, outcome: Outcome, *, applied: bool = False
) -> _Result:
    tx.record_payment_event(
        order_id=report.order_id,
        source=report.source,
        transaction_status=report.transaction_status or None,
        status_code=report.status_code,
        gross_amount=report.gross_amount,
        verified=True,
        applied=applied,
        outcome=outcome,
        raw=report.raw,
        now=now,
    )
    return _Result(outcome)


def _record_unverified(tx: Tx, payload: Mapping[str, Any], raw: str, now: datetime) -> None:
    logger.warning(
        "notification with a bad or missing signature for order %r ignored",
        (_str(payload.get("order_id")) or "")[:64],
    )
    tx.record_payment_event(
        order_id=(_str(payload.get("order_id")) or "")[:64] or None,
        source="notification",
        transaction_status=(_str(payload.get("transaction_status")) or "")[:32] or None,
        status_code=(_str(payload.get("status_code")) or "")[:8] or None,
        gross_amount=(_str(payload.get("gross_amount")) or "")[:32] or None,
        verified=False,
        applied=False,
        outcome=Outcome.BAD_SIGNATURE,
        raw=raw[:UNVERIFIED_RAW_LIMIT],
        now=now,
    )


def _amount(text: str | None) -> int | None:
    try:
        return parse_amount(text)
    except ValueError:
        return None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
