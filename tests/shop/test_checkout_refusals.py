"""Checkout against Midtrans' refusals (issue 12): the real bot, the sandbox, real HTTP.

A refusal is not a "maybe created": the customer hears at once and the stock comes back. The
refusals only a seller can fix (402 Indomaret not activated, 410 merchant deactivated) alert
the sellers once. A payment made while the bot was down reaches the customer at the restart.
"""

from __future__ import annotations

import time

import pytest

from bot.rules.orders import OrderStatus
from storage import Tx
from tests.conftest import Harness


@pytest.mark.parametrize("code", [411, 413])
async def test_a_refused_charge_is_told_at_once_and_gives_the_stock_back(
    harness: Harness, code: int
) -> None:
    h = harness
    kopi = await h.add_product("Kopi susu", 18_000, 5)
    h.sandbox.add_fault(fail_status=code, paths=["/v2/charge"])
    budi = h.customer()
    started = time.monotonic()
    order = await h.checkout_typed(budi, "2 kopi susu")
    assert time.monotonic() - started < 8  # the whole conversation, no 10-minute wait
    assert "Maaf, pembayaran belum bisa dibuat" in budi.messages()[-1].text
    assert (await h.store.run(Tx.order, order.id)).status == OrderStatus.FAILED  # type: ignore[union-attr]
    assert (await h.store.run(Tx.product, kopi.id)).stock == 5  # type: ignore[union-attr]
    assert [r.path for r in h.sandbox.requests] == ["/v2/charge"]


@pytest.mark.parametrize(
    ("code", "alert"),
    [(402, "Kanal pembayaran Indomaret belum aktif"), (410, "Akun merchant Midtrans")],
)
async def test_refusals_a_seller_must_fix_alert_the_sellers_once(
    harness: Harness, code: int, alert: str
) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000, 5)
    h.sandbox.add_fault(fail_status=code, times=2, paths=["/v2/charge"])
    admin = h.admin()
    budi = h.customer()
    for _ in range(2):
        await h.checkout_typed(budi, "1 kopi susu")
    orders = await h.store.run(Tx.orders, customer_id=budi.id)
    assert [o.status for o in orders] == ["failed", "failed"]
    await h.standin.wait_for_message(admin, contains=alert)
    await h.standin.wait_idle()
    assert sum(alert in m.text for m in h.standin.messages(admin)) == 1


async def test_a_payment_made_while_the_bot_was_down_is_told_at_the_restart(
    harness: Harness,
) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000, 5)
    budi = h.customer()
    order = await h.checkout_typed(budi, "1 kopi susu")
    await h.runtime.stop()
    delivery = await h.sandbox.trigger(order.id, "settle")  # nobody listens: lost
    assert not delivery.delivered
    started = time.monotonic()
    await h.start()
    await h.standin.wait_for_message(budi, lambda m: "Pembayaran diterima" in m.text, timeout=5)
    assert time.monotonic() - started < 5  # not the reconciler's 15-minute quiet period
    paid = await h.store.run(Tx.order, order.id)
    assert paid is not None and paid.status == OrderStatus.PAID
