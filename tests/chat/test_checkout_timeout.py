"""An abandoned checkout is dropped after CHECKOUT_TIMEOUT; the cart stays (issue 13, item 10).
Its deadline is kept in the store, so a restart in between does not lose it (issue 14)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import timedelta

from devtools.telegram import FakeUser
from storage import CheckoutDeadline, Tx
from tests.conftest import Harness
from tests.support.waiting import wait_until

DAY = 24 * 3600


async def _conversation(h: Harness, user_id: int) -> object | None:
    rows = await h.store.run(Tx.bot_state, "conversation:customer")
    found = rows.get(json.dumps([user_id, user_id]))
    return json.loads(found) if found is not None else None


async def _user_data(h: Harness, user_id: int) -> dict[str, object]:
    data = json.loads((await h.store.run(Tx.bot_state, "user_data"))[str(user_id)])
    assert isinstance(data, dict)
    return data


async def _deadline_once(
    h: Harness, user_id: int, ready: Callable[[CheckoutDeadline | None], bool]
) -> CheckoutDeadline | None:
    """The customer's deadline once ``ready`` says so: it is written after the reply (handler
    group 1), so a test that reads it as soon as the reply arrives could be early."""
    found: list[CheckoutDeadline | None] = [None]

    async def check() -> bool:
        found[0] = await h.store.run(Tx.checkout_deadline, user_id)
        return ready(found[0])

    await wait_until(check, 10, "the checkout deadline written")
    return found[0]


async def _checkout_begun(h: Harness, order: str) -> FakeUser:
    """Budi puts ``order`` in his cart and taps Checkout: the first question is asked."""
    await h.add_product("Kopi susu", 18_000, 20)
    budi = h.customer()
    await budi.ask("/start")
    await budi.ask(order)
    await budi.choose("Masukkan ke keranjang")
    asked = (await budi.choose("Checkout"))[-1]
    assert "atas nama siapa" in asked.text
    return budi


async def _sweeping_often(h: Harness) -> None:
    """The sweep runs on the reconcile beat: a fifth of a second here, not a minute."""
    h.settings = dataclasses.replace(h.settings, reconcile_interval=timedelta(seconds=0.2))
    await h.restart()


async def test_checkout_left_unfinished_is_dropped_after_a_restart_and_the_cart_kept(
    harness: Harness,
) -> None:
    h = harness
    await _sweeping_often(h)
    budi = await _checkout_begun(h, "2 kopi susu")
    deadline = await _deadline_once(h, budi.id, lambda d: d is not None)
    assert deadline is not None
    assert abs((deadline.due_at - h.clock()) - timedelta(days=1)) < timedelta(seconds=30)

    await h.restart()  # PTB's timer lived in memory and was lost here; the deadline is not
    h.clock.advance(DAY + 60)

    dropped = await h.standin.wait_for_message(budi, contains="Checkout tadi", timeout=10)
    assert "Keranjang Anda masih tersimpan" in dropped.text
    assert await h.store.run(Tx.checkout_deadline, budi.id) is None
    assert await _conversation(h, budi.id) is None  # written before the message was queued
    data = await _user_data(h, budi.id)
    assert "draft" not in data
    assert data["cart"] == {"1": 2}

    cart = (await budi.choose("Lihat keranjang", dropped))[-1]
    assert "2× Kopi susu — Rp36.000" in cart.text
    # The name typed now is not an answer to the dropped question: no phone is asked for.
    answer = (await budi.ask("Budi Santoso"))[-1]
    assert "Nomor HP" not in answer.text
    queued = await h.store.run(Tx.outbox_messages, budi.id)
    told = [m for m in queued if (m.dedupe_key or "").endswith("checkout_timed_out")]
    assert len(told) == 1 and told[0].sent_at is not None
    assert h.standin.unanswered_callbacks == []
    assert h.standin.violations == []


async def test_each_step_moves_the_deadline_and_the_end_of_a_checkout_removes_it(
    harness: Harness,
) -> None:
    h = harness
    budi = await _checkout_begun(h, "1 kopi susu")
    first = await _deadline_once(h, budi.id, lambda d: d is not None)
    assert first is not None

    h.clock.advance(3600)  # an hour later the customer answers: a day from now again
    await budi.ask("Budi Santoso")
    moved = await _deadline_once(
        h, budi.id, lambda d: d is not None and d.due_at - first.due_at >= timedelta(minutes=59)
    )
    assert moved is not None

    await budi.ask("/batal")  # cancelled: nothing left to time out
    await _deadline_once(h, budi.id, lambda d: d is None)

    order = await h.checkout_typed(budi, "1 kopi susu")  # paid for: nothing either
    assert order.status == "awaiting_payment"
    assert await h.store.run(Tx.checkout_deadline, budi.id) is None


async def test_a_customer_who_only_browses_gets_no_deadline(harness: Harness) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000, 20)
    budi = h.customer(lang="en")
    await budi.ask("/start")
    await budi.ask("1 kopi susu")
    # Updates of one customer run one after another: once this one is answered, the one before
    # has passed every handler, the deadline's too.
    await budi.ask("/start")
    assert await h.store.run(Tx.checkout_deadline, budi.id) is None


async def test_a_deadline_passed_days_ago_drops_the_checkout_without_a_late_message(
    harness: Harness,
) -> None:
    """The bot was down (or the shop suspended) for days: the checkout is dropped all the same,
    but a "your checkout timed out" days after the fact would only puzzle: none is sent."""
    h = harness
    await _sweeping_often(h)
    budi = await _checkout_begun(h, "1 kopi susu")
    await _deadline_once(h, budi.id, lambda d: d is not None)

    h.clock.advance(3 * DAY)
    await _deadline_once(h, budi.id, lambda d: d is None)  # taken, in one transaction with...

    queued = await h.store.run(Tx.outbox_messages, budi.id)  # ...the message it did not queue
    assert not [m for m in queued if (m.dedupe_key or "").endswith("checkout_timed_out")]
    assert "draft" not in await _user_data(h, budi.id)
    assert await _conversation(h, budi.id) is None
