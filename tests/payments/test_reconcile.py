"""Reconciliation: lost notifications still reach the customer; quiet orders are not hammered."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.payments.reconcile import QUIET_PERIOD, reconcile_once, schedule
from bot.rules.orders import OrderStatus
from storage import Tx
from tests.support.world import ADMIN, CUSTOMER, TOKEN, World, payment_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with payment_world(tmp_path) as w:
        yield w


async def test_a_lost_settlement_is_found_and_the_customer_told(world: World) -> None:
    order = await world.order()
    delivery = await world.sandbox.trigger(order.id, "settle", notify=False)
    assert not delivery.delivered

    world.clock.advance(QUIET_PERIOD.total_seconds() + 1)
    report = await reconcile_once(world.payments, world.store, world.settings, world.clock())
    assert report.checked == 1 and report.outcomes == {"applied": 1}
    assert report.sellers_notified == 0  # inside the reversal window
    assert (await world.get(order.id)).status == OrderStatus.PAID
    await world.push(CUSTOMER, contains="Pembayaran diterima")

    # a later pass, once the reversal window is over, tells the seller
    world.clock.advance(0.3)
    report = await reconcile_once(world.payments, world.store, world.settings, world.clock())
    assert report.checked == 0 and report.sellers_notified == 1
    await world.push(ADMIN, contains="Pesanan baru lunas")


async def test_a_lost_expiry_is_found_after_the_grace_period(world: World) -> None:
    order = await world.order(kopi=5, expiry=timedelta(minutes=1))
    await world.sandbox.trigger(order.id, "expire", notify=False)

    world.clock.advance(61)  # expired, but still inside the grace period
    report = await reconcile_once(world.payments, world.store, world.settings, world.clock())
    assert report.checked == 0

    world.clock.advance(world.settings.reconcile_grace.total_seconds())
    report = await reconcile_once(world.payments, world.store, world.settings, world.clock())
    assert report.outcomes == {"applied": 1}
    assert (await world.get(order.id)).status == OrderStatus.EXPIRED
    assert (await world.store.run(Tx.product, world.kopi.id)).stock == 10
    await world.push(CUSTOMER, contains="sudah habis")


async def test_quiet_pending_orders_are_checked_once_per_quiet_period(world: World) -> None:
    order = await world.order()
    world.clock.advance(QUIET_PERIOD.total_seconds() + 1)
    report = await reconcile_once(world.payments, world.store, world.settings, world.clock())
    assert report.outcomes == {"no_change": 1}
    assert (await world.get(order.id)).last_checked_at is not None
    world.clock.advance(60)
    report = await reconcile_once(world.payments, world.store, world.settings, world.clock())
    assert report.checked == 0  # asked a minute ago
    world.clock.advance(QUIET_PERIOD.total_seconds())
    report = await reconcile_once(world.payments, world.store, world.settings, world.clock())
    assert report.outcomes == {"no_change": 1}
    # routine answers leave no event rows behind: only the charge's own pending notification
    rows = await world.store.run(Tx.payment_events, order.id)
    assert [(e.source, e.transaction_status) for e in rows] == [("notification", "pending")]


async def test_midtrans_down_is_counted_and_retried_next_time(world: World) -> None:
    order = await world.order()
    await world.sandbox.trigger(order.id, "settle", notify=False)
    world.sandbox.add_fault(fail_status=500, paths=["/v2/*/status"])
    world.clock.advance(QUIET_PERIOD.total_seconds() + 1)
    report = await reconcile_once(world.payments, world.store, world.settings, world.clock())
    assert report.outcomes == {"midtrans_unavailable": 1}
    assert (await world.get(order.id)).status == OrderStatus.AWAITING_PAYMENT

    world.clock.advance(QUIET_PERIOD.total_seconds() + 1)
    report = await reconcile_once(world.payments, world.store, world.settings, world.clock())
    assert report.outcomes == {"applied": 1}
    await world.push(CUSTOMER, contains="Pembayaran diterima")


async def test_scheduled_job_delivers_a_lost_settlement(world: World) -> None:
    settings = dataclasses.replace(
        world.settings, reconcile_interval=timedelta(seconds=1), reversal_window=timedelta(0)
    )
    order = await world.order()
    await world.sandbox.trigger(order.id, "settle", notify=False)
    world.clock.advance((QUIET_PERIOD + timedelta(seconds=1)).total_seconds())

    assert world.standin.base_url is not None
    application = Application.builder().token(TOKEN).base_url(world.standin.base_url).build()
    assert application.job_queue is not None
    schedule(application.job_queue, world.payments, world.store, settings, world.clock)
    names = sorted(job.name or "" for job in application.job_queue.jobs())
    assert names == ["confirm-sales", "reconcile"]
    await application.initialize()
    await application.start()
    try:
        await world.push(CUSTOMER, contains="Pembayaran diterima", timeout=5)
        await world.push(ADMIN, contains="Pesanan baru lunas", timeout=5)
    finally:
        await application.stop()
        await application.shutdown()
