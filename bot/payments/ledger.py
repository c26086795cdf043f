"""Payment news applied inside one database transaction: the state machine's only writer.

Everything here runs on a ``Tx`` and does no I/O of its own, so the same code serves both places
a report is applied: the bot's own database thread (``Store.run``) and the payment worker process
(``bot.payments.worker``), which takes notifications off the event loop's core. Each call records
the report, moves the order through ``bot.rules.orders``, gives stock back where the move releases
it and queues the pushes in the outbox, all or nothing.

Anything not allowed from the current status (a duplicate, a late or out-of-order report) is
recorded with ``applied = 0`` and changes nothing, so a status never moves backwards and each
chat hears of each transition once (outbox dedupe keys).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from bot.messages import pushes
from bot.rules.money import parse_amount
from bot.rules.orders import (
    TRANSITIONS,
    Event,
    OrderStatus,
    event_from_midtrans,
    next_status,
    releases_stock,
)
from bot.rules.seller_group import seller_chats, seller_group_from
from storage import Order, Tx

if TYPE_CHECKING:  # the worker process need not load httpx
    from bot.payments.midtrans import StatusResult

logger = logging.getLogger("bot.payments.service")  # one name for payment news, in either process

CHARGE_GRACE = timedelta(minutes=2)
"""A charge younger than this may still be in flight at checkout: do not recover it here."""
CHARGE_GIVE_UP = timedelta(minutes=10)
"""An order Midtrans has never heard of after this long will not get a payment code."""
UNVERIFIED_RAW_LIMIT = 4096
"""Unverified bodies are stored cut short: anyone can send them, the disk is ours."""
UNVERIFIED_KEPT = 1000
"""And only the latest this many are kept: a flood of forgeries cannot fill the disk."""

_PAID_EVENTS = frozenset({Event.SETTLEMENT, Event.CAPTURE})
_CLOSED_UNPAID = frozenset({OrderStatus.EXPIRED, OrderStatus.CANCELLED})


class PaymentOutcome(StrEnum):
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
    INCONSISTENT = "inconsistent"  # signed, but its status contradicts its status_code


_ROUTINE = frozenset({PaymentOutcome.NO_CHANGE, PaymentOutcome.DUPLICATE, PaymentOutcome.NOT_FOUND})
"""Status checks with these outcomes only stamp ``last_checked_at``: the reconciler asks about
every quiet pending order again and again, and a row per question would say nothing new."""


class PaymentReport(NamedTuple):
    """A transaction's state as Midtrans told it, in a notification or a Get Status answer.

    A tuple rather than a dataclass: it crosses to the payment worker on every notification,
    and a tuple pickles in a fraction of the time."""

    order_id: str
    transaction_status: str
    fraud_status: str | None
    gross_amount: str | None
    status_code: str | None
    raw: str
    source: str

    @property
    def amount(self) -> int | None:
        """``gross_amount`` in whole Rupiah; None when it is missing or not one."""
        try:
            return parse_amount(self.gross_amount)
        except ValueError:
            return None

    @classmethod
    def from_notification(cls, payload: Mapping[str, Any], raw: str) -> PaymentReport:
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
    def from_status(cls, status: StatusResult, source: str) -> PaymentReport:
        return cls(
            order_id=status.order_id,
            transaction_status=status.transaction_status,
            fraud_status=status.fraud_status,
            gross_amount=str(status.gross_amount),
            status_code=status.status_code,
            raw=json.dumps(status.raw, ensure_ascii=False),
            source=source,
        )


class LedgerResult(NamedTuple):
    """What one call did, and how many pushes it queued (the outbox is woken when any)."""

    outcome: PaymentOutcome
    queued: int = 0


@dataclass(frozen=True)
class Ledger:
    """The transaction-side half of ``PaymentService``: picklable, so a worker process can hold
    one. ``admin_ids`` are the sellers from the environment; stored admins are read in the
    transaction."""

    admin_ids: frozenset[int] = frozenset()

    def record(
        self, tx: Tx, report: PaymentReport, now: datetime, outcome: PaymentOutcome
    ) -> LedgerResult:
        """Record ``report`` with ``outcome`` and change nothing else."""
        return record(tx, report, now, outcome)

    def record_unverified(
        self,
        tx: Tx,
        payload: Mapping[str, Any],
        raw: str,
        now: datetime,
        outcome: PaymentOutcome = PaymentOutcome.BAD_SIGNATURE,
    ) -> LedgerResult:
        """A notification whose signature did not check out (or that contradicts itself): kept
        for the record, cut short, the oldest such dropped, never shown to a seller."""
        record_unverified(tx, payload, raw, now, outcome)
        return LedgerResult(outcome)

    def apply_confirmed(
        self, tx: Tx, notification: PaymentReport, status: PaymentReport, now: datetime
    ) -> LedgerResult:
        record(tx, notification, now, PaymentOutcome.CONFIRMED)
        return self.apply(tx, status, now, record_routine=True)

    def apply_status(
        self, tx: Tx, order_id: str, status: StatusResult | None, source: str, now: datetime
    ) -> LedgerResult:
        order = tx.order(order_id)
        if order is None:
            return LedgerResult(PaymentOutcome.UNKNOWN_ORDER)
        if status is None:
            return self._not_at_midtrans(tx, order, source, now)
        report = PaymentReport.from_status(status, source)
        queued = 0
        if (
            order.charge is None
            and status.payment_code
            and status.gross_amount == order.gross_amount
        ):
            if order.created_at > now - CHARGE_GRACE:
                tx.stamp_order(order.id, last_checked_at=now)
                return LedgerResult(PaymentOutcome.CHARGE_IN_PROGRESS)
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
        result = self.apply(tx, report, now)
        return LedgerResult(result.outcome, result.queued + queued)

    def _not_at_midtrans(self, tx: Tx, order: Order, source: str, now: datetime) -> LedgerResult:
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
            return LedgerResult(PaymentOutcome.NOT_FOUND)
        new = OrderStatus.FAILED
        tx.set_order_status(
            order.id, order.status, new, f"{source}:not_found", now, last_checked_at=now
        )
        tx.release_stock(order.id)
        queued = _enqueue(tx, [pushes.customer_failed(order, charge_refused=True)], now)
        report = PaymentReport(
            order.id, "not_found", None, None, "404", '{"status_code": "404"}', source
        )
        record(tx, report, now, PaymentOutcome.APPLIED, applied=True)
        logger.info("order %s: %s -> %s (no charge at Midtrans)", order.id, order.status, new)
        return LedgerResult(PaymentOutcome.APPLIED, queued)

    def confirm_sale(
        self, tx: Tx, order_id: str, status: StatusResult | None, now: datetime
    ) -> LedgerResult:
        order = tx.order(order_id)
        if order is None or order.status != OrderStatus.PAID or order.seller_notified_at:
            return LedgerResult(PaymentOutcome.DUPLICATE)
        if status is None:
            logger.error("order %s is paid, but Midtrans does not know it", order_id)
            return LedgerResult(PaymentOutcome.NOT_FOUND)
        report = PaymentReport.from_status(status, "status_check")
        event = event_from_midtrans(report.transaction_status, report.fraud_status)
        if event not in _PAID_EVENTS or status.gross_amount != order.gross_amount:
            return self.apply(tx, report, now)
        admins = self._seller_chats(tx)
        queued = _enqueue(tx, [pushes.seller_paid(order, chat) for chat in admins], now)
        tx.stamp_order(order.id, seller_notified_at=now, last_checked_at=now)
        record(tx, report, now, PaymentOutcome.SELLER_NOTIFIED)
        if not admins:
            logger.warning("order %s is paid, but no seller is set up to hear of it", order.id)
        return LedgerResult(PaymentOutcome.SELLER_NOTIFIED, queued)

    # --- the one way state changes ---------------------------------------------------------

    def apply(
        self,
        tx: Tx,
        report: PaymentReport,
        now: datetime,
        *,
        record_routine: bool = False,
        tell_customer: bool = True,
    ) -> LedgerResult:
        """Record ``report`` and, when the state machine allows it, apply it (one transaction)."""
        # Lines and charge are read only when the order moves: most reports change nothing.
        order = tx.order(report.order_id, details=False)
        if order is None:
            logger.info("report for unknown order %r recorded", report.order_id[:64])
            return record(tx, report, now, PaymentOutcome.UNKNOWN_ORDER)
        if report.amount != order.gross_amount:
            logger.error(
                "order %s: Midtrans reports %r but the order is %d: rejected",
                order.id,
                (report.gross_amount or "")[:32],
                order.gross_amount,
            )
            return record(tx, report, now, PaymentOutcome.AMOUNT_MISMATCH)
        event = event_from_midtrans(report.transaction_status, report.fraud_status)
        new = next_status(order.status, event) if event is not None else None
        if new is None:
            return self._not_applied(tx, order, report, event, now, record_routine)
        order = tx.order(order.id) or order  # the pushes show the lines
        stamps = {"last_checked_at": now}
        if new == OrderStatus.PAID:
            stamps["paid_at"] = now
        reason = f"{report.source}:{report.transaction_status}"
        if not tx.set_order_status(order.id, order.status, new, reason, now, **stamps):
            return record(tx, report, now, PaymentOutcome.IGNORED)  # cannot happen inside one tx
        if releases_stock(order.status, new):
            tx.release_stock(order.id)
        queued = _enqueue(tx, self._pushes_for(tx, order, new, tell_customer), now)
        record(tx, report, now, PaymentOutcome.APPLIED, applied=True)
        logger.info("order %s: %s -> %s (%s)", order.id, order.status, new, reason)
        return LedgerResult(PaymentOutcome.APPLIED, queued)

    def _not_applied(
        self,
        tx: Tx,
        order: Order,
        report: PaymentReport,
        event: Event | None,
        now: datetime,
        record_routine: bool,
    ) -> LedgerResult:
        current = OrderStatus(order.status)
        if event is None or (event is Event.PENDING and current is OrderStatus.AWAITING_PAYMENT):
            outcome = PaymentOutcome.NO_CHANGE if event is Event.PENDING else PaymentOutcome.IGNORED
        elif any(TRANSITIONS.get((s, event)) == current for s in OrderStatus):
            outcome = PaymentOutcome.DUPLICATE
        elif event in _PAID_EVENTS and current in _CLOSED_UNPAID:
            outcome = PaymentOutcome.LATE_PAYMENT
        else:
            outcome = PaymentOutcome.IGNORED
        tx.stamp_order(order.id, last_checked_at=now)
        queued = 0
        if outcome is PaymentOutcome.LATE_PAYMENT:
            logger.error("order %s is %s but Midtrans reports it paid", order.id, current)
            alerts = [pushes.seller_late_payment(order, admin) for admin in self._admins(tx)]
            queued = _enqueue(tx, alerts, now)
        if report.source == "notification" or record_routine or outcome not in _ROUTINE:
            record(tx, report, now, outcome)
        return LedgerResult(outcome, queued)

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
            queued += [pushes.seller_reversed(order, chat) for chat in self._seller_chats(tx)]
        return queued

    def _admins(self, tx: Tx) -> list[int]:
        return sorted(set(self.admin_ids) | set(tx.admins()))

    def _seller_chats(self, tx: Tx) -> list[int]:
        """Paid-order and reversal pushes: the admins and/or the linked staff group."""
        return seller_chats(seller_group_from(tx.shop_settings()), self._admins(tx))


# --- helpers that run inside a transaction -----------------------------------------------


def _enqueue(tx: Tx, queued: Iterable[pushes.Push], now: datetime) -> int:
    count = 0
    for push in queued:
        count += tx.enqueue(push.chat_id, push.method, push.params, now, push.dedupe_key)
    return count


def record(
    tx: Tx, report: PaymentReport, now: datetime, outcome: PaymentOutcome, *, applied: bool = False
) -> LedgerResult:
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
    return LedgerResult(outcome)


def record_unverified(
    tx: Tx,
    payload: Mapping[str, Any],
    raw: str,
    now: datetime,
    outcome: PaymentOutcome = PaymentOutcome.BAD_SIGNATURE,
) -> None:
    if outcome is PaymentOutcome.BAD_SIGNATURE:
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
        outcome=outcome,
        raw=raw[:UNVERIFIED_RAW_LIMIT],
        now=now,
    )
    tx.prune_unverified_events(UNVERIFIED_KEPT)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
