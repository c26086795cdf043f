"""The ledger on a real SQLite file: every order status against every Midtrans status.

No HTTP here (``test_payments.py`` and ``test_payment_worker.py`` drive the same code through
the listener): each case applies one report in one transaction and checks what a customer or a
seller would notice: the order's status, the recorded event, the stock, and the queued pushes.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.payments.ledger import Ledger, PaymentOutcome, PaymentReport
from bot.rules.orders import OrderStatus, event_from_midtrans, next_status, releases_stock
from storage import Store, Tx
from tests.support.orders import add_products, place_order

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SELLER = 9000
CUSTOMER = 1001
MIDTRANS_STATUSES = [
    "pending",
    "settlement",
    "capture",
    "expire",
    "cancel",
    "deny",
    "failure",
    "refund",
    "partial_refund",
    "authorize",  # not one we act on
]


@pytest.fixture
async def store(tmp_path: Path) -> Store:
    opened = await Store.open(tmp_path / "ledger.db")
    yield opened  # type: ignore[misc]
    await opened.close()


async def _order_in(store: Store, status: OrderStatus) -> tuple[str, int]:
    """An order of 2 kopi susu (of 10) moved straight to ``status``; its id and gross amount."""
    kopi, _ = await add_products(store, NOW)
    order = await place_order(
        store,
        None,
        [(kopi, 2)],
        now=NOW,
        chat_id=CUSTOMER,
        charge=False,  # type: ignore[arg-type]
    )
    if status != OrderStatus.AWAITING_PAYMENT:
        await store.run(
            Tx.set_order_status, order.id, OrderStatus.AWAITING_PAYMENT, status, "test", NOW
        )
    return order.id, order.gross_amount


def _report(order_id: str, status: str, amount: int) -> PaymentReport:
    raw = json.dumps({"order_id": order_id, "transaction_status": status})
    return PaymentReport(order_id, status, "accept", f"{amount}.00", "200", raw, "notification")


@pytest.mark.parametrize(
    ("start", "midtrans_status"), list(itertools.product(OrderStatus, MIDTRANS_STATUSES))
)
async def test_every_status_against_every_report(
    store: Store, start: OrderStatus, midtrans_status: str
) -> None:
    order_id, amount = await _order_in(store, start)
    ledger = Ledger(frozenset({SELLER}))
    result = await store.run(ledger.apply, _report(order_id, midtrans_status, amount), NOW)

    event = event_from_midtrans(midtrans_status, "accept")
    expected = next_status(start, event) if event is not None else None
    order = await store.run(Tx.order, order_id)
    assert order is not None
    assert order.status == (expected or start)
    events = await store.run(Tx.payment_events, order_id)
    assert len(events) == 1 and events[0].applied == (expected is not None)
    assert (result.outcome is PaymentOutcome.APPLIED) == (expected is not None)

    kopi = (await store.run(Tx.products))[0]
    released = expected is not None and releases_stock(start, expected)
    assert kopi.stock == (10 if released else 8)

    to_customer = await store.run(Tx.outbox_messages, CUSTOMER)
    to_seller = await store.run(Tx.outbox_messages, SELLER)
    assert result.queued == len(to_customer) + len(to_seller)
    if expected == OrderStatus.PAID:
        (push,) = to_customer
        text = str(push.payload["text"])
        assert "Pembayaran diterima" in text and "Kopi susu" in text  # lines were read
        assert to_seller == []  # the seller hears after the reversal window, not now
    if result.outcome is PaymentOutcome.LATE_PAYMENT:
        (alert,) = to_seller
        assert order_id in str(alert.payload["text"]) and "Rp36.000" in str(alert.payload["text"])
    if expected is None and result.outcome is not PaymentOutcome.LATE_PAYMENT:
        assert to_customer == [] and to_seller == []


async def test_a_second_identical_report_changes_nothing(store: Store) -> None:
    order_id, amount = await _order_in(store, OrderStatus.AWAITING_PAYMENT)
    ledger = Ledger(frozenset({SELLER}))
    first = await store.run(ledger.apply, _report(order_id, "settlement", amount), NOW)
    again = await store.run(ledger.apply, _report(order_id, "settlement", amount), NOW)
    assert (first.outcome, again.outcome) == (PaymentOutcome.APPLIED, PaymentOutcome.DUPLICATE)
    assert len(await store.run(Tx.outbox_messages, CUSTOMER)) == 1


async def test_another_amount_is_recorded_and_not_applied(store: Store) -> None:
    order_id, amount = await _order_in(store, OrderStatus.AWAITING_PAYMENT)
    result = await store.run(Ledger().apply, _report(order_id, "settlement", amount + 1), NOW)
    assert result.outcome is PaymentOutcome.AMOUNT_MISMATCH
    order = await store.run(Tx.order, order_id)
    assert order is not None and order.status == OrderStatus.AWAITING_PAYMENT
    assert await store.run(Tx.outbox_messages) == []
