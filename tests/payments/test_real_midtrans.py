"""The bot against Midtrans as it really behaves (issue 12), over real HTTP against the sandbox.

Slow answers past the notification deadline, notifications applied without Get Status that
contradict themselves, forged notifications kept bounded and out of the seller's sight, the
catch-up at start and polling when Midtrans cannot notify us.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.chat.seller.orders import order_text
from bot.payments.ledger import PaymentOutcome
from bot.payments.polling import RateLimit, StatusPoller, poll_interval
from bot.rules.orders import OrderStatus
from storage import Tx
from tests.support.world import CUSTOMER, World, payment_world

DEADLINE = timedelta(milliseconds=600)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with payment_world(tmp_path, settings_changes={"notification_deadline": DEADLINE}) as w:
        yield w


@pytest.fixture
async def unconfirmed(tmp_path: Path) -> AsyncIterator[World]:
    async with payment_world(tmp_path, confirm=False) as w:
        yield w


async def _outcomes(w: World, order_id: str) -> list[str]:
    return [e.outcome for e in await w.store.run(Tx.payment_events, order_id)]


# --- 1. one deadline for the whole handling --------------------------------------------------


async def test_slow_get_status_gets_503_within_the_deadline_then_the_retry_applies(
    world: World,
) -> None:
    order = await world.order()
    world.sandbox.notification_retry_scale = 0.001  # Midtrans' 2 min retry comes in 0.12 s
    world.sandbox.add_fault(delay_seconds=3.0, paths=["/v2/*/status"])
    first = await world.sandbox.trigger(order.id, "settle")
    assert first.status == 503
    assert first.seconds < DEADLINE.total_seconds() + 0.3  # not the 3 s Midtrans took
    assert PaymentOutcome.UNAVAILABLE in await _outcomes(world, order.id)  # what arrived is kept
    await world.push(CUSTOMER, contains="Pembayaran diterima")
    assert (await world.get(order.id)).status == OrderStatus.PAID
    retries = [d for d in world.sandbox.deliveries if d.attempt and d.notification["order_id"]]
    assert [d.status for d in retries] == [200]
    await world.sandbox.aclose()


# --- 10. without confirmation, the unsigned fields must agree with the signed ones -------------


@pytest.mark.parametrize(
    "change",
    [
        {"transaction_status": "settlement"},  # a signed "pending" with the status rewritten
        {"payment_type": "gopay"},
        {"currency": "USD"},
    ],
)
async def test_unconfirmed_notifications_that_contradict_themselves_move_no_money(
    unconfirmed: World, change: dict[str, str]
) -> None:
    order = await unconfirmed.order()
    forged = {**unconfirmed.sandbox.notification_for(order.id, "pending"), **change}
    answer = await unconfirmed.post_notification(forged)
    assert answer.status_code == 400
    assert (await unconfirmed.get(order.id)).status == OrderStatus.AWAITING_PAYMENT
    rows = await unconfirmed.store.run(Tx.payment_events, order.id)
    assert (rows[-1].verified, rows[-1].outcome) == (False, PaymentOutcome.INCONSISTENT)
    real = unconfirmed.sandbox.notification_for(order.id, "settlement")
    assert (await unconfirmed.post_notification(real)).status_code == 200
    assert (await unconfirmed.get(order.id)).status == OrderStatus.PAID


async def test_unconfirmed_notification_without_currency_is_accepted(unconfirmed: World) -> None:
    # Midtrans' Indomaret samples carry no currency; only a wrong one is refused.
    order = await unconfirmed.order()
    await unconfirmed.sandbox.trigger(order.id, "settle", notify=False)
    body = unconfirmed.sandbox.notification_for(order.id)
    del body["currency"]
    assert (await unconfirmed.post_notification(body)).status_code == 200
    assert (await unconfirmed.get(order.id)).status == OrderStatus.PAID


# --- 9. forged notifications: bounded, and never what the seller reads ------------------------


async def test_a_forged_notification_does_not_change_the_sellers_view(world: World) -> None:
    order = await world.order()
    forged = {**world.sandbox.notification_for(order.id, "settlement"), "signature_key": "x"}
    assert (await world.post_notification(forged)).status_code == 401
    events = await world.store.run(Tx.payment_events, order.id, verified_only=True)
    history = await world.store.run(Tx.history, order.id)
    text = order_text(await world.get(order.id), history, events, "en")
    assert "settlement" not in text
    assert "pending" in text  # the charge's own, signed notification


async def test_unverified_events_are_kept_bounded(world: World) -> None:
    order = await world.order()
    for n in range(6):
        forged = {**world.sandbox.notification_for(order.id), "signature_key": f"x{n}"}
        assert (await world.post_notification(forged)).status_code == 401
    await world.store.run(Tx.prune_unverified_events, 2)
    rows = await world.store.run(Tx.payment_events, order.id)
    assert [e.verified for e in rows] == [True, False, False]  # the pending one and the last two


# --- 6 and 7. catch-up at start, polling without a public URL --------------------------------


async def test_catch_up_finds_a_payment_made_while_the_bot_was_down(world: World) -> None:
    paid, waiting = await world.order(), await world.order(kopi=1)
    await world.sandbox.trigger(paid.id, "settle", notify=False)
    poller = StatusPoller(world.payments, world.store, world.settings, world.clock)
    assert await poller.catch_up() == 2
    await world.push(CUSTOMER, contains="Pembayaran diterima")
    assert (await world.get(paid.id)).status == OrderStatus.PAID
    assert (await world.get(waiting.id)).status == OrderStatus.AWAITING_PAYMENT


async def test_without_notifications_a_payment_reaches_the_customer_by_polling(
    tmp_path: Path,
) -> None:
    interval = timedelta(milliseconds=400)
    changes = {"status_poll_interval": interval, "status_check_rate": 20}
    async with payment_world(tmp_path, settings_changes=changes) as w:
        w.sandbox.set_notifications(False)  # no public URL: Midtrans cannot reach us
        order = await w.order(kopi=1)
        poller = StatusPoller(w.payments, w.store, w.settings, w.clock)
        assert poller.polling and poller.tick == pytest.approx(interval.total_seconds() / 3)
        task = asyncio.create_task(poller.run())
        try:
            await w.sandbox.trigger(order.id, "settle")
            started = time.monotonic()
            # The stated bound: one interval plus one tick (plus the call itself).
            bound = interval.total_seconds() + poller.tick + 0.5
            await w.push(CUSTOMER, contains="Pembayaran diterima", timeout=bound)
            assert time.monotonic() - started < bound
        finally:
            task.cancel()
        assert (await w.get(order.id)).status == OrderStatus.PAID
        assert not any(d.delivered for d in w.sandbox.deliveries)


async def test_polling_keeps_to_its_rate(tmp_path: Path) -> None:
    async with payment_world(tmp_path, settings_changes={"status_check_rate": 20}) as w:
        for _ in range(8):
            await w.order(kopi=1)
        poller = StatusPoller(w.payments, w.store, w.settings, w.clock)
        before = len(w.sandbox.requests)
        assert await poller.catch_up() == 8
        asked = [r.at for r in w.sandbox.requests[before:] if r.path.endswith("/status")]
        assert len(asked) == 8
        gaps = [b - a for a, b in itertools.pairwise(asked)]
        assert min(gaps) >= 1 / 20 - 0.01


def test_poll_interval_is_short_while_a_customer_is_likely_paying() -> None:
    every = timedelta(seconds=15)
    assert poll_interval(timedelta(minutes=5), every) == every
    assert poll_interval(timedelta(minutes=59), every) == every
    assert poll_interval(timedelta(hours=2), every) == timedelta(minutes=2)
    assert poll_interval(timedelta(hours=20), every) == timedelta(minutes=10)


async def test_rate_limit_spaces_calls() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limit = RateLimit(4, monotonic=lambda: now[0], sleep=sleep)
    for _ in range(5):
        await limit.wait()
    assert slept == [0.25, 0.25, 0.25, 0.25]


# --- 8. the pending notification may come before the charge answer --------------------------


async def test_pending_before_the_charge_answer_is_recorded_and_checkout_goes_on(
    world: World,
) -> None:
    # Midtrans creates the charge, notifies "pending" at once, and answers the charge late.
    world.sandbox.add_fault(delay_seconds=0.5, create_before_failing=True, paths=["/v2/charge"])
    checkout = asyncio.create_task(world.order())
    deadline = time.monotonic() + 5
    while not world.sandbox.deliveries:  # the pending notification got its answer...
        assert time.monotonic() < deadline, "no pending notification"
        await asyncio.sleep(0.005)
    assert world.sandbox.deliveries[0].status == 200
    assert not checkout.done()  # ...while the checkout still waits for the charge answer
    order = await checkout
    assert order.charge is not None
    assert order.charge.payment_code == world.sandbox.transactions[order.id].payment_code
    rows = await world.store.run(Tx.payment_events, order.id)
    assert [(e.transaction_status, e.outcome) for e in rows] == [
        ("pending", PaymentOutcome.NO_CHANGE)
    ]
    assert (await world.get(order.id)).status == OrderStatus.AWAITING_PAYMENT
