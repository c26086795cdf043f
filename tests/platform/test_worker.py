"""The platform end to end over real HTTP on a real PostgreSQL: Telegram stand-in (a bot per
shop) -> the edge -> the inbox -> one worker -> the stand-in; payments through the Midtrans
sandbox (a merchant per shop) -> the edge -> the shop's ledger -> its outbox -> the worker."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from bot.platform.hosting import Hosting
from bot.platform.shops import HostedShop, ShopDirectory
from bot.platform.worker import WORKER_PRESENCE, PartitionLocks, PlatformWorker, WorkerOptions
from devtools.midtrans import MidtransSandbox
from devtools.telegram import FakeUser, TelegramStandin
from storage import Order, Store, Tx
from storage.postgres import PostgresStore
from tests.support.hosted import create_shop, hosted_world
from tests.support.waiting import wait_until
from tests.support.webhooks import WebhookRelay
from tests.support.world import FakeClock

KEYS = {"A": "SB-Mid-server-TokoAaaa_0001", "B": "SB-Mid-server-TokoBbbb_0002"}


@dataclass
class Hosted:
    shop: HostedShop
    bot: TelegramStandin
    merchant: MidtransSandbox
    store: Store


@dataclass
class Platform:
    telegram: TelegramStandin
    worker: PlatformWorker
    directory: ShopDirectory
    relay: WebhookRelay
    shops: dict[str, Hosted]
    new_worker: Callable[..., PlatformWorker]
    clock: FakeClock
    hosting: Hosting


@pytest.fixture
async def platform(
    directory: ShopDirectory, pg_store: PostgresStore, pg_database: str
) -> AsyncIterator[Platform]:
    async with hosted_world(pg_store, directory, KEYS["A"]) as world:
        merchants = {"A": world.sandbox, "B": world.sandbox.add_merchant(KEYS["B"])}
        shops: dict[str, Hosted] = {}
        for n, name in enumerate(KEYS):
            bot = world.telegram.add_bot(username=f"toko_{name}_bot")
            shop, store, _ = await create_shop(
                directory, pg_store, bot, name, KEYS[name], owner=9000 + n
            )
            world.relay.add(bot, shop.shop_key, f"secret-{name}")
            shops[name] = Hosted(shop, bot, merchants[name], store)

        def new_worker(
            options: WorkerOptions | None = None,
            hosted_with: Hosting = world.hosting,
            tick: float = 0.05,
        ) -> PlatformWorker:
            # Two partitions: shop A (id 2) is in partition 0, shop B (id 3) in partition 1.
            options = options or WorkerOptions(partitions=2, tick=tick)
            return PlatformWorker(
                pg_store, pg_database, directory, hosted_with, clock=world.clock, options=options
            )

        worker = new_worker()
        await worker.start()
        try:
            async with world.relay.running():
                yield Platform(
                    world.telegram,
                    worker,
                    directory,
                    world.relay,
                    shops,
                    new_worker,
                    world.clock,
                    world.hosting,
                )
        finally:
            await worker.stop()


async def checkout(hosted: Hosted, user: FakeUser, text: str) -> Order:
    """Type an order, confirm, give details, pay at Indomaret (as tests/conftest.py does)."""
    await user.ask(text)
    await user.choose("Masukkan ke keranjang")
    await user.choose("Checkout")
    await user.ask("Budi Santoso")
    user.press("Kirim nomor saya")
    await hosted.bot.next_reply(user)
    await user.choose("Lewati")
    await user.choose("Lewati")  # note
    user.tap("Bayar di Indomaret")
    await hosted.bot.wait_for_message(user, lambda m: m.kind == "photo", timeout=10)
    orders = await hosted.store.run(Tx.orders, customer_id=user.id, limit=1)
    return orders[0]


async def test_two_shops_on_one_worker_each_sell_and_get_paid_apart(platform: Platform) -> None:
    a, b = platform.shops["A"], platform.shops["B"]
    budi_a = a.bot.user(1001, first_name="Budi", phone_number="+6281234567890")
    budi_b = b.bot.user(1001, first_name="Budi", phone_number="+6281234567890")

    order_a = await checkout(a, budi_a, "2 kopi susu")
    order_b = await checkout(b, budi_b, "1 kopi susu")

    assert (order_a.gross_amount, order_b.gross_amount) == (36_000, 18_000)
    assert sorted(platform.worker.loaded) == sorted([a.shop.id, b.shop.id])
    await a.merchant.trigger(order_a.id, "settle")
    paid = await a.bot.wait_for_message(budi_a, contains="Pembayaran diterima", timeout=10)
    assert order_a.id in paid.text
    assert (await a.store.run(Tx.order, order_a.id)).status == "paid"  # type: ignore[union-attr]
    assert (await b.store.run(Tx.order, order_b.id)).status == "awaiting_payment"  # type: ignore[union-attr]
    assert not any("Pembayaran diterima" in m.text for m in b.bot.messages(budi_b))
    # Each shop's owner is an admin of that shop only (rights are per shop).
    assert await a.store.run(Tx.admins) == {a.shop.owner_user_id: True}
    assert await b.store.run(Tx.admins) == {b.shop.owner_user_id: True}
    assert set(platform.relay.statuses) == {200}


async def test_a_button_from_shop_a_does_nothing_in_shop_b(platform: Platform) -> None:
    a, b = platform.shops["A"], platform.shops["B"]
    budi_a = a.bot.user(1001, first_name="Budi", phone_number="+6281234567890")
    budi_b = b.bot.user(1001, first_name="Budi", phone_number="+6281234567890")
    menu = await budi_a.ask("/start")
    product = next(b for m in menu for b in m.buttons if b.text.startswith("Kopi Susu"))
    await budi_a.choose("Kopi Susu")  # the product's card in A, with its add button
    card = a.bot.messages(budi_a)[-1]
    add = next(b for b in card.buttons if b.data.startswith("a:"))  # "add 1 to the cart"
    await budi_a.choose(add.text, card)

    menu_b = next(m for m in await budi_b.ask("/start") if m.buttons)
    seen_in_b = len(b.bot.messages(budi_b))
    for data in (product.data, add.data):  # A's buttons, tapped on B's menu
        await b.bot.wait_for_answer(budi_b.tap_data(data, menu_b))

    assert len(b.bot.messages(budi_b)) == seen_in_b  # B answered the taps, nothing more
    cart_b = await budi_b.choose("Keranjang", menu_b)
    cart_a = await budi_a.choose("Keranjang", next(m for m in menu if m.buttons))
    assert "Kopi Susu" in " ".join(m.text for m in cart_a)
    assert "Kopi Susu" not in " ".join(m.text for m in cart_b)
    assert await b.store.run(Tx.orders, customer_id=1001) == []


async def test_a_revoked_token_suspends_only_its_shop(platform: Platform) -> None:
    a, b = platform.shops["A"], platform.shops["B"]
    a.bot.revoke()
    budi_a = a.bot.user(1001, first_name="Budi")
    budi_b = b.bot.user(1001, first_name="Budi")
    budi_a.send_text("/start")

    reply = await budi_b.ask("/start")

    assert reply  # B answers while A's token is refused
    await wait_until(lambda: a.shop.id not in platform.worker.loaded, 10, "A evicted")
    suspended = await platform.directory.get(a.shop.id)
    assert suspended is not None and suspended.status == "suspended"
    assert "401" in suspended.status_reason


async def test_a_token_revoked_while_the_shop_is_loaded_suspends_it_at_its_next_send(
    platform: Platform,
) -> None:
    a, b = platform.shops["A"], platform.shops["B"]
    budi_a = a.bot.user(1001, first_name="Budi")
    budi_b = b.bot.user(1001, first_name="Budi")
    assert await budi_a.ask("/start")
    a.bot.revoke()

    await a.store.run(Tx.enqueue, budi_a.id, "sendMessage", {"text": "halo"}, datetime.now(UTC))

    await wait_until(lambda: a.shop.id not in platform.worker.loaded, 10, "A evicted")
    suspended = await platform.directory.get(a.shop.id)
    assert suspended is not None and suspended.status == "suspended"
    pending = await a.store.run(Tx.outbox_messages, budi_a.id)
    assert [(m.payload["text"], m.attempts, m.sent_at) for m in pending] == [("halo", 0, None)]
    assert await budi_b.ask("/start")  # B is served all along


async def test_a_shop_not_loaded_is_loaded_to_tell_its_seller_of_a_payment(
    platform: Platform,
) -> None:
    a = platform.shops["A"]
    seller = a.bot.user(a.shop.owner_user_id, first_name="Siti", started=True)
    budi = a.bot.user(1001, first_name="Budi", phone_number="+6281234567890")
    order = await checkout(a, budi, "1 kopi susu")
    await a.merchant.trigger(order.id, "settle")
    await a.bot.wait_for_message(budi, contains="Pembayaran diterima", timeout=10)
    assert not any(order.id in m.text for m in a.bot.messages(seller))  # reversal window
    await platform.worker.stop()
    platform.clock.advance(6 * 60)  # past the 5-minute reversal window, nothing in any queue

    fresh = platform.new_worker()
    await fresh.start()
    try:
        told = await a.bot.wait_for_message(seller, contains=order.id, timeout=10)
    finally:
        await fresh.stop()

    assert "Kopi Susu" in told.text


async def test_a_checkout_abandoned_while_its_shop_is_evicted_times_out_once(
    platform: Platform,
) -> None:
    a = platform.shops["A"]
    await platform.worker.stop()
    base = dataclasses.replace(platform.hosting.base, reconcile_interval=timedelta(seconds=0.2))
    worker = platform.new_worker(
        WorkerOptions(partitions=2, tick=0.05, idle_after=0.5),
        dataclasses.replace(platform.hosting, base=base),
    )
    await worker.start()
    try:
        budi = a.bot.user(1001, first_name="Budi", phone_number="+6281234567890")
        await budi.ask("1 kopi susu")
        await budi.choose("Masukkan ke keranjang")
        asked = (await budi.choose("Checkout"))[-1]
        assert "atas nama siapa" in asked.text
        assert await a.store.run(Tx.checkout_deadline, budi.id) is not None
        await wait_until(lambda: a.shop.id not in worker.loaded, 10, "A evicted when idle")

        platform.clock.advance(24 * 3600 + 60)  # past CHECKOUT_TIMEOUT; nothing in any queue

        dropped = await a.bot.wait_for_message(budi, contains="Checkout tadi", timeout=10)
        assert "Keranjang Anda masih tersimpan" in dropped.text
        assert await a.store.run(Tx.checkout_deadline, budi.id) is None
        # Loaded for it, swept again every 0.2 s until idle, evicted again: told once.
        await wait_until(lambda: a.shop.id not in worker.loaded, 10, "A evicted again")
        assert [m for m in a.bot.messages(budi) if "Checkout tadi" in m.text] == [dropped]
        queued = await a.store.run(Tx.outbox_messages, budi.id)
        assert [m.sent_at is not None for m in queued] == [True]
        answer = (await budi.ask("Budi Santoso"))[-1]  # not an answer to the dropped question
        assert "Nomor HP" not in answer.text
    finally:
        await worker.stop()


async def test_a_second_worker_takes_half_the_shops_and_gives_them_back_when_it_dies(
    platform: Platform,
) -> None:
    a, b = platform.shops["A"], platform.shops["B"]
    first = platform.worker
    budi_a = a.bot.user(1001, first_name="Budi", phone_number="+6281234567890")
    budi_b = b.bot.user(1001, first_name="Budi", phone_number="+6281234567890")
    assert await budi_a.ask("/start") and await budi_b.ask("/start")
    assert sorted(first.loaded) == [a.shop.id, b.shop.id]

    second = platform.new_worker()
    await second.start()
    try:
        await wait_until(
            lambda: first.locks.owned == {0} and second.locks.owned == {1}, 10, "a partition each"
        )
        order_b = await checkout(b, budi_b, "1 kopi susu")  # served by the second worker
        assert b.shop.id in second.loaded and b.shop.id not in first.loaded
        assert await budi_a.ask("/start")  # A stays with the first worker
        assert list(first.loaded) == [a.shop.id]
    finally:
        await second.stop()  # its session ends: partition 1 is free again

    await wait_until(lambda: first.locks.owned == {0, 1}, 10, "the partition back")
    await b.merchant.trigger(order_b.id, "settle")
    paid = await b.bot.wait_for_message(budi_b, contains="Pembayaran diterima", timeout=10)
    assert order_b.id in paid.text
    assert b.shop.id in first.loaded


async def test_a_partition_has_one_owner_until_that_owner_is_gone(pg_database: str) -> None:
    first, second = PartitionLocks(pg_database), PartitionLocks(pg_database)
    try:
        assert await first.try_take(0)
        assert not await second.try_take(0)
        assert await second.try_take(1)
        await first.close()  # the process died: its session, and the lock, are gone
        # (freed as the session's backend exits, a moment after the client closed)
        await wait_until(lambda: second.try_take(0), 5, "partition 0 free")
    finally:
        await first.close()
        await second.close()


async def test_a_worker_whose_lock_session_ends_stops_serving_and_takes_its_partitions_again(
    platform: Platform, pg_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The locks' connection is cut (a database restart, a network break): another worker may
    own the partitions at once, so this one stops serving their shops before anything else,
    then takes partitions again on a fresh session."""
    caplog.set_level(logging.INFO, logger="bot.platform.worker")
    a = platform.shops["A"]
    worker = platform.worker
    budi = a.bot.user(1001, first_name="Budi")
    assert await budi.ask("/start")
    assert a.shop.id in worker.loaded

    with psycopg.connect(pg_database, autocommit=True) as conn:
        (ended,) = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory'"
            " AND granted AND classid::bigint = %s AND objid::bigint = %s",
            (WORKER_PRESENCE >> 32, WORKER_PRESENCE & 0xFFFF_FFFF),
        ).fetchone()
    assert ended == 1

    await wait_until(lambda: "lost its partition locks" in caplog.text, 10, "the loss noticed")
    await wait_until(lambda: worker.locks.owned == {0, 1}, 10, "the partitions again")
    assert await budi.ask("/start")  # served again, by a shop loaded afresh
    assert f"shop {a.shop.id} evicted" in caplog.text


async def test_updates_and_payments_are_served_at_once_not_at_the_next_tick(
    platform: Platform,
) -> None:
    """The edge NOTIFYs the worker as it commits an update or a payment's pushes: with a tick of
    30 s (its look at the database after the first, at start), everything is answered in a few
    seconds all the same, the shop loaded on its first update."""
    await platform.worker.stop()
    slow = platform.new_worker(tick=30.0)
    await slow.start()
    try:
        await wait_until(
            lambda: slow.wakeups.listening and slow.locks.owned == {0, 1}, 10, "first tick"
        )
        a = platform.shops["A"]
        budi = a.bot.user(1001, first_name="Budi", phone_number="+6281234567890")
        assert a.shop.id not in slow.loaded

        order = await checkout(a, budi, "1 kopi susu")  # each step answered within 5 s
        await a.merchant.trigger(order.id, "settle")
        paid = await a.bot.wait_for_message(budi, contains="Pembayaran diterima", timeout=5)
    finally:
        await slow.stop()

    assert order.id in paid.text


async def test_three_workers_share_sixteen_partitions_and_keep_them(platform: Platform) -> None:
    """16 partitions over 3 workers: shares of 6, 6 and 4. The one left with fewer than its
    share keeps what it has (it once handed 2 back each tick and took them again, its shops
    evicted every time). Ticks are driven by hand: each round is every worker's one tick."""
    await platform.worker.stop()
    options = WorkerOptions(partitions=16, tick=60.0)
    workers = [platform.new_worker(options=options) for _ in range(3)]
    try:
        for _ in range(3):
            for worker in workers:
                await worker.tick()
        settled = [set(worker.locks.owned) for worker in workers]
        assert sorted(len(owned) for owned in settled) == [4, 6, 6]
        assert set().union(*settled) == set(range(16))
        for _ in range(3):
            for worker in workers:
                await worker.tick()
        assert [set(worker.locks.owned) for worker in workers] == settled
    finally:
        for worker in workers:
            await worker.stop()
