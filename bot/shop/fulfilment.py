"""The seller marks a paid order done: status change and the customer's message in one transaction.

The message goes through the outbox, so it is delivered even if Telegram is down right now or the
process restarts; the dedupe key means a double tap tells the customer once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.rules.orders import Event, OrderStatus, next_status
from bot.shop.services import Services
from bot.text import phrases
from bot.text.formatting import escape
from storage import Order, Tx

SEND_MESSAGE = "sendMessage"


class Fulfil(StrEnum):
    DONE = "done"
    IN_REVERSAL_WINDOW = "in_reversal_window"  # paid moments ago: ask the seller to confirm
    ALREADY = "already"  # fulfilled before (another admin, a double tap)
    NOT_ALLOWED = "not_allowed"  # not paid (awaiting payment, expired, reversed, ...)
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class FulfilResult:
    outcome: Fulfil
    order: Order | None
    window_end: datetime | None = None  # IN_REVERSAL_WINDOW: when the payment is safe


def customer_text(order: Order, shop_name: str) -> str:
    key = "admin.customer.fulfilled_" + ("delivery" if order.fulfilment == "delivery" else "pickup")
    return phrases.t(order.language, key, order_id=escape(order.id), shop=escape(shop_name))


def reversal_window_end(order: Order, window: timedelta, now: datetime) -> datetime | None:
    """When a just-paid order's payment can no longer be reversed, if that is still to come.

    An Indomaret settlement can turn into a reversal within minutes; the seller's paid-order
    push waits for that window (and Midtrans' confirmation). An order fulfilled from /orders
    before then may be handed over for money that never arrives, so the seller is asked first.
    """
    if order.status != OrderStatus.PAID or order.paid_at is None or order.seller_notified_at:
        return None
    end = order.paid_at + window
    return end if now < end else None


async def mark_fulfilled(
    svc: Services, order_id: str, *, by: int, risk_accepted: bool = False
) -> FulfilResult:
    """paid -> fulfilled (through the state machine) and queue the customer's message.

    Inside the reversal window the order is left as it is (IN_REVERSAL_WINDOW) unless the
    seller has seen the warning and confirmed (``risk_accepted``).
    """
    now = svc.clock()
    shop = await svc.shop()

    def work(tx: Tx) -> FulfilResult:
        order = tx.order(order_id)
        if order is None:
            return FulfilResult(Fulfil.NOT_FOUND, None)
        if order.status == OrderStatus.FULFILLED:
            return FulfilResult(Fulfil.ALREADY, order)
        new = next_status(order.status, Event.FULFIL)
        if new is None:
            return FulfilResult(Fulfil.NOT_ALLOWED, order)
        window_end = reversal_window_end(order, svc.settings.reversal_window, now)
        if window_end is not None and not risk_accepted:
            return FulfilResult(Fulfil.IN_REVERSAL_WINDOW, order, window_end)
        moved = tx.set_order_status(
            order.id, order.status, new, f"seller {by}", now, fulfilled_at=now
        )
        if not moved:  # changed under us (a reversal just arrived): report what it is now
            return FulfilResult(Fulfil.NOT_ALLOWED, tx.order(order.id))
        tx.enqueue(
            order.chat_id,
            SEND_MESSAGE,
            {"text": customer_text(order, shop.name), "parse_mode": "HTML"},
            now,
            dedupe_key=f"{order.id}:fulfilled:{order.chat_id}",
        )
        return FulfilResult(Fulfil.DONE, tx.order(order.id))

    result = await svc.store.run(work)
    if result.outcome is Fulfil.DONE:
        svc.wake_outbox()
    return result
