"""Fulfilling from /orders while a payment can still be reversed asks first (issue 13, item 12)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from bot.rules.orders import OrderStatus
from bot.shop.checkout import CheckoutOutcome, place_order
from bot.text.formatting import format_wib
from storage import Tx
from tests.conftest import Harness
from tests.support.checkout import draft_as_seen


async def test_fulfil_inside_the_reversal_window_warns_and_needs_a_second_tap(
    harness: Harness,
) -> None:
    h = harness
    h.settings = dataclasses.replace(h.settings, reversal_window=timedelta(minutes=3))
    await h.restart()
    kopi = await h.add_product("Kopi susu", 18_000, 20)
    budi = h.standin.user(1001, "Budi", started=True)
    siti = h.admin()
    draft = await draft_as_seen(h.runtime.services, budi.id, {kopi.id: 1})
    placed = await place_order(h.runtime.services, draft)
    assert placed.outcome is CheckoutOutcome.PLACED and placed.order is not None
    order_id = placed.order.id
    await h.settle(order_id)
    for _ in range(200):
        order = await h.store.run(Tx.order, order_id)
        if order is not None and order.status == OrderStatus.PAID:
            break
        await asyncio.sleep(0.02)
    assert order is not None and order.paid_at is not None
    until = format_wib(order.paid_at + timedelta(minutes=3))

    await siti.ask("/orders")
    view = (await siti.choose(order_id[-6:]))[-1]
    warning = (await siti.choose("Tandai selesai", view))[-1]
    assert "masih bisa membatalkan pembayaran ini" in warning.text
    assert f"sampai sekitar {until} WIB" in warning.text
    assert warning.button_texts == ["✅ Ya, tandai selesai", "↩️ Nanti saja"]
    assert (await h.store.run(Tx.order, order_id)).status == OrderStatus.PAID

    back = (await siti.choose("Nanti saja", warning))[-1]
    assert "Status: lunas" in back.text
    await siti.choose("Tandai selesai", back)
    done = (await siti.choose("Ya, tandai selesai"))[-1]
    assert "ditandai selesai" in done.text and "Status: selesai" in done.text
    await h.standin.wait_for_message(budi, contains="sudah siap")
    assert (await h.store.run(Tx.order, order_id)).status == OrderStatus.FULFILLED

    # Once the window is over, one tap is enough again.
    second = await place_order(h.runtime.services, draft)
    assert second.order is not None
    await h.settle(second.order.id)
    for _ in range(200):
        if (await h.store.run(Tx.order, second.order.id)).status == OrderStatus.PAID:
            break
        await asyncio.sleep(0.02)
    h.clock.advance(200)
    await siti.ask("/orders")
    view = (await siti.choose(second.order.id[-6:]))[-1]
    done = (await siti.choose("Tandai selesai", view))[-1]
    assert "ditandai selesai" in done.text
    assert h.standin.unanswered_callbacks == []
    assert h.standin.violations == []
