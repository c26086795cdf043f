"""One order as the seller's order view shows it: the order, its state changes, its signed
payment events.

Read in one transaction, so the three parts agree with each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.shop.services import Services
from storage import HistoryEntry, Order, PaymentEvent, Tx


@dataclass(frozen=True)
class OrderRecord:
    order: Order
    history: list[HistoryEntry]
    events: list[PaymentEvent]


async def order_record(services: Services, order_id: str) -> OrderRecord | None:
    def work(tx: Tx) -> OrderRecord | None:
        order = tx.order(order_id)
        if order is None:
            return None
        # Only what Midtrans signed: a forged POST must not change what the seller reads.
        events = tx.payment_events(order_id, verified_only=True)
        return OrderRecord(order, tx.history(order_id), events)

    return await services.store.run(work)
