"""An abandoned checkout is dropped after CHECKOUT_TIMEOUT; the cart stays (issue 13, item 10)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import timedelta

from storage import Tx
from tests.conftest import Harness


async def _conversation(h: Harness, user_id: int) -> object | None:
    rows = await h.store.run(Tx.bot_state, "conversation:customer")
    found = rows.get(json.dumps([user_id, user_id]))
    return json.loads(found) if found is not None else None


async def test_checkout_left_unfinished_is_dropped_and_the_cart_kept(harness: Harness) -> None:
    h = harness
    h.settings = dataclasses.replace(h.settings, checkout_timeout=timedelta(seconds=1))
    await h.restart()
    await h.add_product("Kopi susu", 18_000, 20)
    budi = h.customer()
    await budi.ask("/start")
    await budi.ask("2 kopi susu")
    await budi.choose("Masukkan ke keranjang")
    asked = (await budi.choose("Checkout"))[-1]
    assert "atas nama siapa" in asked.text

    dropped = await h.standin.wait_for_message(budi, contains="Checkout tadi", timeout=10)
    assert "Keranjang Anda masih tersimpan" in dropped.text
    for _ in range(300):  # the state leaves the store with PTB's next persistence flush
        if await _conversation(h, budi.id) is None:
            break
        await asyncio.sleep(0.02)
    assert await _conversation(h, budi.id) is None
    data = json.loads((await h.store.run(Tx.bot_state, "user_data"))[str(budi.id)])
    assert "draft" not in data
    assert data["cart"] == {"1": 2}

    cart = (await budi.choose("Lihat keranjang", dropped))[-1]
    assert "2× Kopi susu — Rp36.000" in cart.text
    # The name typed now is not an answer to the dropped question: no phone is asked for.
    answer = (await budi.ask("Budi Santoso"))[-1]
    assert "Nomor HP" not in answer.text
    assert h.standin.unanswered_callbacks == []
    assert h.standin.violations == []
