"""Faults injected into a running bot over real HTTP: nothing paid is lost, nothing is doubled.

The kill -9 case needs a bot in its own process and lives in ``test_faults.py``; these run the
real bot in the test's process (``harness``) and break its surroundings instead.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.midtrans import notification_signature
from storage import Order, Tx
from tests.conftest import Harness
from tests.fakes.orders import place_order

pytestmark = pytest.mark.faults


async def _orders(h: Harness, count: int, chats: int) -> list[Order]:
    kopi = await h.add_product("Kopi susu", 18_000)
    assert h.runtime.services is not None
    orders = []
    for n in range(count):
        chat = 2000 + n % chats
        h.standin.user(chat, first_name=f"Pembeli{chat}", started=True)
        orders.append(
            await place_order(
                h.store,
                h.runtime.services.midtrans,
                [(kopi, 1)],
                now=datetime.now(UTC),
                chat_id=chat,
            )
        )
    return orders


async def _wait_outbox_empty(h: Harness, seconds: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        counts = await h.store.run(Tx.outbox_counts)
        if counts["pending"] == 0 and counts["sent"] > 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"outbox not drained: {await h.store.run(Tx.outbox_counts)}")


def _paid_pushes(h: Harness, chat: int) -> list[str]:
    """Order ids named by 'paid' pushes in one chat, in the order they arrived."""
    found = []
    for message in h.standin.messages(chat):
        if "Pembayaran diterima" in message.text:
            found.append(next(w for w in message.text.split() if w.startswith("WB-")))
    return found


async def test_telegram_down_during_load_loses_and_doubles_nothing(harness: Harness) -> None:
    h = harness
    orders = await _orders(h, count=16, chats=4)
    h.standin.fail(None, 502, for_seconds=2.0)
    deliveries = await asyncio.gather(*(h.sandbox.trigger(o.id, "settle") for o in orders))
    assert all(d.status == 200 for d in deliveries)
    await _wait_outbox_empty(h)
    for chat in {o.chat_id for o in orders}:
        expected = [o.id for o in orders if o.chat_id == chat]
        pushed = _paid_pushes(h, chat)
        assert sorted(pushed) == sorted(expected)  # none lost, none doubled
    # Order per chat: pushes arrive in the order the payments were applied (event row order,
    # which is the order the outbox rows were written in the same transactions).
    events = await h.store.run(Tx.payment_events)
    applied = [e.order_id for e in events if e.applied and e.transaction_status == "settlement"]
    for chat in {o.chat_id for o in orders}:
        mine = {o.id for o in orders if o.chat_id == chat}
        assert _paid_pushes(h, chat) == [order_id for order_id in applied if order_id in mine]
    stored = [await h.store.run(Tx.order, o.id) for o in orders]
    assert {o.status for o in stored} == {"paid"}


async def test_charge_answered_after_the_client_timeout_still_delivers_one_code(
    harness: Harness,
) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000)
    h.sandbox.add_fault(
        delay_seconds=3.0, times=1, create_before_failing=True, paths=["/v2/charge"]
    )  # the harness' client gives up reading after 2 s
    budi = h.customer()
    order = await h.checkout_typed(budi, "1 kopi susu")
    assert len(h.sandbox.transactions) == 1
    assert order.charge is not None
    transaction = h.sandbox.find(order.id)
    assert order.charge.payment_code == transaction.payment_code
    codes = [m for m in budi.messages() if "Kode pembayaran" in m.text]
    assert len(codes) == 1 and transaction.payment_code in codes[0].text
    assert len(h.sandbox.charge_requests) >= 1


async def test_forged_flood_mixed_with_real_notifications(harness: Harness) -> None:
    h = harness
    orders = await _orders(h, count=10, chats=10)
    url = f"{h.runtime.listener_url}{h.settings.notification_path}"
    for order in orders:  # paid at the cashier; the notifications are ours to send below
        await h.sandbox.trigger(order.id, "settle", notify=False)
    real = [h.sandbox.notification_for(o.id, "settlement") for o in orders]
    forged = []
    rng = random.Random(7)
    for n in range(200):
        target = rng.choice(orders)
        body = dict(h.sandbox.notification_for(target.id, "settlement"))
        if n % 2:
            body["signature_key"] = f"{rng.getrandbits(512):0128x}"
        else:  # signed with a guessed key
            body["signature_key"] = notification_signature(
                body["order_id"], body["status_code"], body["gross_amount"], "SB-Mid-server-guess"
            )
        forged.append(body)
    mixed = [(True, b) for b in real] + [(False, b) for b in forged]
    rng.shuffle(mixed)
    async with httpx.AsyncClient(timeout=10) as client:
        answers = await asyncio.gather(*(client.post(url, json=body) for _, body in mixed))
    statuses = Counter(
        (is_real, a.status_code) for (is_real, _), a in zip(mixed, answers, strict=False)
    )
    assert statuses == {(True, 200): 10, (False, 401): 200}
    await _wait_outbox_empty(h)
    for order in orders:
        assert (await h.store.run(Tx.order, order.id)).status == "paid"
        assert _paid_pushes(h, order.chat_id) == [order.id]


JSONish = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
FIELDS = ["order_id", "status_code", "gross_amount", "signature_key", "transaction_status"]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    raw=st.binary(max_size=300),
    mangled=st.dictionaries(st.sampled_from(FIELDS), JSONish, max_size=5),
    drop=st.sets(st.sampled_from(FIELDS)),
)
async def test_garbage_never_500_never_changes_anything(
    harness: Harness, raw: bytes, mangled: dict[str, object], drop: set[str]
) -> None:
    h = harness
    if not hasattr(h, "_garbage_order"):
        (order,) = await _orders(h, count=1, chats=1)
        h._garbage_order = order  # type: ignore[attr-defined]
    order = h._garbage_order  # type: ignore[attr-defined]
    body = dict(h.sandbox.notification_for(order.id, "settlement"))
    body.update(mangled)
    for name in drop:
        body.pop(name, None)
    url = f"{h.runtime.listener_url}{h.settings.notification_path}"
    async with httpx.AsyncClient(timeout=10) as client:
        for payload in (raw, json.dumps(body, default=str).encode()):
            answer = await client.post(url, content=payload)
            assert answer.status_code < 500, (payload, answer.text)
    # Even a correctly signed body changes nothing: Get Status (confirmation is on) still says
    # the sandbox transaction is pending, and Midtrans' word is what gets applied.
    stored = await h.store.run(Tx.order, order.id)
    assert stored.status == "awaiting_payment"
    assert (await h.store.run(Tx.outbox_counts))["sent"] + (await h.store.run(Tx.outbox_counts))[
        "pending"
    ] == 0
