"""Repository operations: stock reservation, status moves, outbox order, reports (both backends:
the ``store`` fixture of conftest.py)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from storage import NewOrder, OrderItem, OutOfStock, Store, Tx
from tests.storage.conftest import Backend
from tests.support.orders import unpaid_order

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def _order(order_id: str, *items: OrderItem, fee: int = 0) -> NewOrder:
    return unpaid_order(order_id, items, now=NOW, customer=7, fee=fee)


async def test_create_order_reserves_and_release_returns_stock(store: Store) -> None:
    kopi = await store.run(Tx.add_product, "Kopi susu", 18_000, 5, NOW)
    roti = await store.run(Tx.add_product, "Roti", 12_000, None, NOW)
    order = await store.run(
        Tx.create_order,
        _order(
            "WB-1",
            OrderItem(kopi.id, kopi.name, kopi.price, 2),
            OrderItem(roti.id, roti.name, roti.price, 3),
            fee=5_000,
        ),
    )
    assert order.gross_amount == 36_000 + 36_000 + 5_000
    assert [i.quantity for i in order.items] == [2, 3]
    assert (await store.run(Tx.product, kopi.id)).stock == 3
    assert (await store.run(Tx.product, roti.id)).stock is None

    await store.run(Tx.release_stock, "WB-1")
    assert (await store.run(Tx.product, kopi.id)).stock == 5


async def test_out_of_stock_rolls_back_the_whole_order(store: Store) -> None:
    kopi = await store.run(Tx.add_product, "Kopi susu", 18_000, 1, NOW)
    roti = await store.run(Tx.add_product, "Roti", 12_000, 10, NOW)
    with pytest.raises(OutOfStock) as caught:
        await store.run(
            Tx.create_order,
            _order(
                "WB-2",
                OrderItem(roti.id, roti.name, roti.price, 2),
                OrderItem(kopi.id, kopi.name, kopi.price, 2),
            ),
        )
    assert caught.value.name == "Kopi susu"
    assert await store.run(Tx.order, "WB-2") is None
    assert (await store.run(Tx.product, roti.id)).stock == 10


async def test_hidden_product_cannot_be_reserved(store: Store) -> None:
    kopi = await store.run(Tx.add_product, "Kopi susu", 18_000, None, NOW)
    await store.run(Tx.update_product, kopi.id, NOW, visible=False)
    with pytest.raises(OutOfStock):
        await store.run(
            Tx.create_order, _order("WB-3", OrderItem(kopi.id, kopi.name, kopi.price, 1))
        )


async def test_status_moves_only_from_the_expected_state(store: Store) -> None:
    kopi = await store.run(Tx.add_product, "Kopi susu", 18_000, None, NOW)
    await store.run(Tx.create_order, _order("WB-4", OrderItem(kopi.id, kopi.name, 18_000, 1)))
    assert await store.run(
        Tx.set_order_status, "WB-4", "awaiting_payment", "paid", "settlement", NOW, paid_at=NOW
    )
    assert not await store.run(
        Tx.set_order_status, "WB-4", "awaiting_payment", "expired", "expire", NOW
    )
    order = await store.run(Tx.order, "WB-4")
    assert order.status == "paid"
    assert order.paid_at == NOW
    history = await store.run(Tx.history, "WB-4")
    assert [(h.from_status, h.to_status) for h in history] == [
        (None, "awaiting_payment"),
        ("awaiting_payment", "paid"),
    ]


async def test_outbox_keeps_order_per_chat_and_dedupes(store: Store) -> None:
    assert await store.run(Tx.enqueue, 1, "sendMessage", {"text": "a"}, NOW, "k1")
    assert not await store.run(Tx.enqueue, 1, "sendMessage", {"text": "a"}, NOW, "k1")
    await store.run(Tx.enqueue, 1, "sendMessage", {"text": "b"}, NOW)
    await store.run(Tx.enqueue, 2, "sendMessage", {"text": "c"}, NOW)
    due = await store.run(Tx.due_messages, NOW)
    assert [m.payload["text"] for m in due] == ["a", "c"]

    await store.run(Tx.mark_retry, due[0].id, NOW + timedelta(seconds=30), "HTTP 500")
    due = await store.run(Tx.due_messages, NOW)
    assert [m.payload["text"] for m in due] == ["c"]  # "b" waits behind "a"

    later = NOW + timedelta(seconds=31)
    head = (await store.run(Tx.due_messages, later))[0]
    await store.run(Tx.mark_sent, head.id, later)
    assert [m.payload["text"] for m in await store.run(Tx.due_messages, later)] == ["b", "c"]
    assert await store.run(Tx.outbox_counts) == {"sent": 1, "failed": 0, "pending": 2}


async def test_alert_is_raised_once(store: Store) -> None:
    assert await store.run(Tx.raise_alert_once, "midtrans_401", NOW)
    assert not await store.run(Tx.raise_alert_once, "midtrans_401", NOW)
    await store.run(Tx.clear_alert, "midtrans_401")
    assert await store.run(Tx.raise_alert_once, "midtrans_401", NOW)


async def test_sales_report_counts_paid_orders_by_wib_day(store: Store) -> None:
    kopi = await store.run(Tx.add_product, "Kopi susu", 18_000, None, NOW)
    roti = await store.run(Tx.add_product, "Roti", 12_000, None, NOW)
    for n, (item, qty) in enumerate([(kopi, 2), (roti, 1), (kopi, 1)]):
        order_id = f"WB-S{n}"
        await store.run(
            Tx.create_order, _order(order_id, OrderItem(item.id, item.name, item.price, qty))
        )
        if n < 2:
            paid = NOW + timedelta(hours=17 * n)  # second one lands on the next WIB day
            await store.run(
                Tx.set_order_status, order_id, "awaiting_payment", "paid", "s", paid, paid_at=paid
            )
    report = await store.run(Tx.sales, ["paid", "fulfilled"], NOW, NOW + timedelta(days=2))
    assert report.paid_count == 2
    assert report.revenue == 48_000
    assert report.top_products[0] == ("Kopi susu", 2, 36_000)
    assert report.revenue_by_day == (("2026-11-25", 36_000), ("2026-11-26", 12_000))


@pytest.mark.parametrize("recent", [timedelta(seconds=15), timedelta(minutes=5)])
async def test_orders_due_for_poll_are_the_ones_poll_interval_names(
    store: Store, recent: timedelta
) -> None:
    """The SQL bands and ``poll_interval`` are one rule: for orders of every age, checked at
    every distance, the store returns exactly the orders the rule calls due (a 5-minute recent
    interval is longer than the next tier's 2 minutes: the bands must not assume they grow)."""
    from bot.payments.polling import poll_bands, poll_interval

    kopi = await store.run(Tx.add_product, "Kopi susu", 18_000, None, NOW)
    now = NOW + timedelta(hours=12)
    ages = [timedelta(minutes=m) for m in (0, 1, 30, 59, 60, 61, 119, 359, 360, 361, 600)]
    since_check = [None, *(timedelta(seconds=s) for s in (0, 14, 15, 119, 120, 299, 300, 599, 600))]
    expected = set()
    for a, age in enumerate(ages):
        for c, checked in enumerate(since_check):
            order_id = f"WB-P{a}-{c}"
            created = now - age
            order = _order(order_id, OrderItem(kopi.id, kopi.name, kopi.price, 1))
            await store.run(Tx.create_order, replace(order, created_at=created))
            last = created if checked is None or checked > age else now - checked
            if checked is not None and checked <= age:
                await store.run(Tx.stamp_order, order_id, last_checked_at=last)
            if now - last >= poll_interval(age, recent):
                expected.add(order_id)
    due = await store.run(Tx.orders_due_for_poll, ["awaiting_payment"], poll_bands(now, recent))
    assert set(due) == expected
    assert len(due) == len(expected)
    assert 0 < len(expected) < len(ages) * len(since_check)


async def test_checkout_deadlines_are_moved_found_when_due_and_taken_once(
    backend: Backend,
) -> None:
    store, other = await backend.open(1), await backend.open(2)
    hour = timedelta(hours=1)
    await store.run(Tx.set_checkout_deadline, 7, 7, "id", NOW + hour)
    await store.run(Tx.set_checkout_deadline, 8, 8, "en", NOW + 2 * hour)
    await other.run(Tx.set_checkout_deadline, 7, 7, "id", NOW)  # another shop's customer 7

    due = await store.run(Tx.checkout_deadlines_due, NOW + hour)
    assert [(d.user_id, d.chat_id, d.language, d.due_at) for d in due] == [(7, 7, "id", NOW + hour)]
    await store.run(Tx.set_checkout_deadline, 7, 7, "id", NOW + 3 * hour)  # the customer came back
    assert [d.user_id for d in await store.run(Tx.checkout_deadlines_due, NOW + 2 * hour)] == [8]

    assert not await store.run(Tx.take_checkout_deadline, 7, NOW + 2 * hour)  # not due yet
    assert await store.run(Tx.take_checkout_deadline, 8, NOW + 2 * hour)
    assert not await store.run(Tx.take_checkout_deadline, 8, NOW + 2 * hour)  # once only
    await store.run(Tx.drop_checkout_deadline, 7)
    assert await store.run(Tx.checkout_deadline, 7) is None
    assert backend.count("checkout_deadlines") == 0
    found = await other.run(Tx.checkout_deadline, 7)
    assert found is not None and found.due_at == NOW
