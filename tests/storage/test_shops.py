"""Shops sharing one database see only their own rows (both backends): the same order id, the
same Telegram user, the same outbox chat and dedupe key in two shops never meet."""

import sqlite3
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from storage import NewOrder, OrderItem, OutOfStock, Tx
from tests.storage.conftest import Backend
from tests.support.orders import unpaid_order

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
USER = 4242


def _order(order_id: str, price: int, product_id: int | None = None) -> NewOrder:
    return unpaid_order(
        order_id, (OrderItem(product_id, "Kopi", price, 1),), now=NOW, customer=USER
    )


async def test_the_same_order_id_in_two_shops_never_collides(backend: Backend) -> None:
    a, b = await backend.open(1), await backend.open(2)
    await a.run(Tx.create_order, _order("WB-1", 18_000))
    await b.run(Tx.create_order, _order("WB-1", 25_000))
    await a.run(Tx.save_charge, "WB-1", "trx-a", "1111", None, {}, NOW)
    await b.run(Tx.save_charge, "WB-1", "trx-b", "2222", None, {}, NOW)

    assert await a.run(Tx.set_order_status, "WB-1", "awaiting_payment", "paid", "settle", NOW)
    order_a, order_b = await a.run(Tx.order, "WB-1"), await b.run(Tx.order, "WB-1")
    assert order_a is not None and order_b is not None
    assert (order_a.gross_amount, order_a.status, order_a.charge.payment_code) == (  # type: ignore[union-attr]
        18_000,
        "paid",
        "1111",
    )
    assert (order_b.gross_amount, order_b.status, order_b.charge.payment_code) == (  # type: ignore[union-attr]
        25_000,
        "awaiting_payment",
        "2222",
    )
    assert [h.to_status for h in await b.run(Tx.history, "WB-1")] == ["awaiting_payment"]
    assert await b.run(Tx.count_orders, statuses=["paid"]) == 0


async def test_the_same_user_in_two_shops_keeps_details_carts_and_rights_apart(
    backend: Backend,
) -> None:
    a, b = await backend.open(1), await backend.open(2)
    await a.run(Tx.save_customer, USER, USER, NOW, name="Budi", address="Jl. Melati 1")
    await b.run(Tx.save_customer, USER, USER, NOW, name="Budi S.", language="en")
    await a.run(Tx.put_bot_state, "user_data", str(USER), '{"cart": {"1": 2}}')
    await a.run(Tx.add_admin, USER, NOW, owner=True)
    await a.run(Tx.set_shop_setting, "name", "Warung A")

    customer_a, customer_b = await a.run(Tx.customer, USER), await b.run(Tx.customer, USER)
    assert customer_a is not None and customer_b is not None
    assert (customer_a.name, customer_a.address, customer_a.language) == (
        "Budi",
        "Jl. Melati 1",
        "id",
    )
    assert (customer_b.name, customer_b.address, customer_b.language) == ("Budi S.", None, "en")
    assert await b.run(Tx.bot_state, "user_data") == {}
    assert await b.run(Tx.admins) == {}
    assert await b.run(Tx.shop_settings) == {}
    assert not await b.run(Tx.remove_admin, USER)  # B's rights do not reach into A
    assert await a.run(Tx.admins) == {USER: True}
    await b.run(Tx.drop_bot_state, "user_data", str(USER))
    assert await a.run(Tx.bot_state, "user_data") == {str(USER): '{"cart": {"1": 2}}'}


async def test_a_shop_cannot_touch_another_shops_products(backend: Backend) -> None:
    a, b = await backend.open(1), await backend.open(2)
    kopi = await a.run(Tx.add_product, "Kopi", 18_000, 5, NOW)
    assert await b.run(Tx.product, kopi.id) is None
    assert await b.run(Tx.products, include_hidden=True) == []
    assert await b.run(Tx.update_product, kopi.id, NOW, price=1) is None
    assert not await b.run(Tx.delete_product, kopi.id, NOW)
    # The composite foreign key refuses the line before stock is even looked at.
    with pytest.raises((OutOfStock, sqlite3.IntegrityError, psycopg.IntegrityError)):
        await b.run(Tx.create_order, _order("WB-9", 18_000, product_id=kopi.id))
    assert await b.run(Tx.order, "WB-9") is None
    product = await a.run(Tx.product, kopi.id)
    assert product is not None and (product.price, product.stock) == (18_000, 5)


async def test_one_shops_outbox_never_sends_anothers_rows(backend: Backend) -> None:
    a, b = await backend.open(1), await backend.open(2)
    assert await a.run(Tx.enqueue, USER, "sendMessage", {"text": "A"}, NOW, "paid:WB-1")
    assert await b.run(Tx.enqueue, USER, "sendMessage", {"text": "B"}, NOW, "paid:WB-1")

    claimed_b = await b.run(Tx.claim_due_messages, NOW, NOW + timedelta(minutes=1))
    assert [m.payload for m in claimed_b] == [{"text": "B"}]
    # A's sender is not held up by B's claim on the same chat, and sees only its own row.
    due_a = await a.run(Tx.due_messages, NOW)
    assert [m.payload for m in due_a] == [{"text": "A"}]
    assert await a.run(Tx.release_claims) == 0  # B's claim is not A's to clear
    await a.run(Tx.mark_sent, claimed_b[0].id, NOW)  # B's id, through A: nothing happens
    assert await b.run(Tx.outbox_counts) == {"sent": 0, "failed": 0, "pending": 1}
    assert await a.run(Tx.outbox_counts) == {"sent": 0, "failed": 0, "pending": 1}
    assert await a.run(Tx.next_head_due) == NOW
    await b.run(Tx.mark_sent, claimed_b[0].id, NOW)
    assert await b.run(Tx.next_head_due) is None
    assert [m.payload for m in await a.run(Tx.outbox_messages, USER)] == [{"text": "A"}]
    assert backend.count("outbox", 1) == backend.count("outbox", 2) == 1


async def test_payment_events_stay_with_their_shop(backend: Backend) -> None:
    a, b = await backend.open(1), await backend.open(2)
    for store, outcome in ((a, "applied"), (b, "ignored")):
        await store.run(
            Tx.record_payment_event,
            order_id="WB-1",
            source="notification",
            transaction_status="settlement",
            status_code="200",
            gross_amount="18000.00",
            verified=False,
            applied=False,
            outcome=outcome,
            raw="{}",
            now=NOW,
        )
    await a.run(Tx.prune_unverified_events, 0)  # A keeps none of its own, B's stay
    assert await a.run(Tx.payment_events, "WB-1") == []
    assert [e.outcome for e in await b.run(Tx.payment_events, "WB-1")] == ["ignored"]
