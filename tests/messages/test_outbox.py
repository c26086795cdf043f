"""The outbox sender against the Telegram stand-in: retries, order, restarts, permanent refusals."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import AIORateLimiter, Application

from bot.messages import pushes
from bot.messages.outbox import OutboxSender
from storage import OutboxMessage, Store, Tx
from tests.support.waiting import wait_until
from tests.support.world import ADMIN, CUSTOMER, TOKEN, World, payment_world

OTHER = 1002


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with payment_world(tmp_path) as w:
        w.standin.user(OTHER, first_name="Ani", started=True)
        yield w


async def enqueue(w: World, chat_id: int, text: str, **params: Any) -> None:
    payload = {"text": text, **params}
    await w.store.run(Tx.enqueue, chat_id, "sendMessage", payload, w.clock(), f"t:{chat_id}:{text}")
    w.outbox.wake()


async def test_every_push_goes_through_as_telegram_accepts_it(world: World) -> None:
    order = await world.order(
        fulfilment="delivery", address="Jl. <Mawar> 5", note="a & b", kopi=1, roti=2
    )
    order = await world.get(order.id)
    built = [
        pushes.customer_paid(order),
        pushes.customer_expired(order),
        pushes.customer_cancelled(order),
        pushes.customer_failed(order),
        pushes.customer_failed(order, charge_refused=True),
        pushes.customer_reversed(order),
        pushes.customer_refunded(order),
        pushes.seller_paid(order, ADMIN),
        pushes.seller_reversed(order, ADMIN),
        pushes.seller_late_payment(order, ADMIN),
    ]
    for push in built:
        key = push.dedupe_key + ":" + str(built.index(push))
        await world.store.run(
            Tx.enqueue, push.chat_id, push.method, push.params, world.clock(), key
        )
    world.outbox.wake()
    assert await world.settled_outbox() == {"sent": 10, "failed": 0, "pending": 0}
    assert len(world.texts(CUSTOMER)) == 7 and len(world.texts(ADMIN)) == 3
    customer = world.standin.messages(CUSTOMER)
    assert [m.text[:2] for m in customer][:2] == ["✅ ", "⌛ "]  # in queue order
    assert customer[1].buttons[0].data == f"ra:{order.id}"
    assert world.standin.messages(ADMIN)[0].buttons[0].data == f"af:{order.id}"
    # the world's teardown checks that the stand-in saw no call Telegram would refuse


async def test_server_errors_for_a_while_then_delivered_once(world: World) -> None:
    world.standin.fail("sendMessage", 500, times=2)
    world.standin.fail("sendMessage", 502, times=1)  # an nginx page, not JSON
    await enqueue(world, CUSTOMER, "Lunas")
    message = await world.push(CUSTOMER, contains="Lunas")
    assert message.text == "Lunas"
    assert await world.settled_outbox() == {"sent": 1, "failed": 0, "pending": 0}
    assert len(world.standin.calls_to("sendMessage")) == 4
    assert len(world.texts(CUSTOMER)) == 1


async def test_429_waits_retry_after_then_delivers_once(world: World) -> None:
    world.standin.fail("sendMessage", 429, times=1, retry_after=1)
    started = time.monotonic()
    await enqueue(world, CUSTOMER, "Lunas")
    await world.push(CUSTOMER, contains="Lunas")
    assert time.monotonic() - started >= 0.9
    assert await world.settled_outbox() == {"sent": 1, "failed": 0, "pending": 0}
    assert len(world.standin.calls_to("sendMessage")) == 2


async def test_blocked_user_is_given_up_others_go_on(world: World) -> None:
    world.standin.block(CUSTOMER)
    await enqueue(world, CUSTOMER, "satu")
    await enqueue(world, OTHER, "untuk Ani")
    await world.push(OTHER, contains="untuk Ani")
    counts = await world.settled_outbox()
    assert counts == {"sent": 1, "failed": 1, "pending": 0}
    assert world.texts(CUSTOMER) == []
    # a later message is not held behind the failed one
    world.standin.unblock(CUSTOMER)
    await enqueue(world, CUSTOMER, "dua")
    await world.push(CUSTOMER, contains="dua")


async def test_unknown_chat_is_permanent(world: World) -> None:
    await enqueue(world, 424242, "nobody")
    assert (await world.settled_outbox())["failed"] == 1
    assert len(world.standin.calls_to("sendMessage")) == 1


async def test_order_is_kept_per_chat_through_failures(world: World) -> None:
    world.standin.fail("sendMessage", 500, times=2)  # hits the head of the queue
    for n in range(5):
        await enqueue(world, CUSTOMER, f"pesan {n}")
    await world.settled_outbox()
    assert world.texts(CUSTOMER) == [f"pesan {n}" for n in range(5)]


async def test_one_call_at_a_time_per_chat_chats_in_parallel(world: World) -> None:
    world.standin.slow("sendMessage", 0.2)
    for n in range(3):
        await enqueue(world, CUSTOMER, f"pesan {n}")
    others = range(2001, 2007)
    for chat in others:
        world.standin.user(chat, first_name="Tamu", started=True)
        await enqueue(world, chat, "halo")
    await world.settled_outbox()
    calls = world.standin.calls_to("sendMessage")
    mine = [c.at for c in calls if c.params["chat_id"] == CUSTOMER]
    theirs = [c.at for c in calls if c.params["chat_id"] in others]
    assert len(mine) == 3 and len(theirs) == 6
    assert all(later - earlier >= 0.19 for earlier, later in itertools.pairwise(mine))
    assert max(theirs) - min(theirs) < 0.15  # all six were in flight together
    assert world.texts(CUSTOMER) == ["pesan 0", "pesan 1", "pesan 2"]


async def test_next_head_due_ignores_rows_queued_behind_a_head(world: World) -> None:
    await world.outbox.stop()
    now = world.clock()
    later = now + timedelta(minutes=5)
    await world.store.run(Tx.enqueue, CUSTOMER, "sendMessage", {"text": "a"}, now, "a")
    await world.store.run(Tx.enqueue, CUSTOMER, "sendMessage", {"text": "b"}, now, "b")
    await world.store.run(Tx.enqueue, OTHER, "sendMessage", {"text": "c"}, later, "c")
    head = (await world.store.run(Tx.due_messages, now))[0]
    await world.store.run(Tx.mark_retry, head.id, later + timedelta(minutes=1), "500")
    # "b" is due now but waits behind "a"; the earliest head is OTHER's "c"
    assert await world.store.run(Tx.next_head_due) == later
    assert await world.store.run(Tx.next_head_due, [OTHER]) == later + timedelta(minutes=1)
    assert await world.store.run(Tx.next_head_due, [OTHER, CUSTOMER]) is None


async def test_rows_left_by_a_stopped_sender_go_out_once_after_restart(tmp_path: Path) -> None:
    async with payment_world(tmp_path, start_outbox=False) as w:
        order = await w.order()
        await w.sandbox.trigger(order.id, "settle")  # queued, nobody sending
        assert (await w.store.run(Tx.outbox_counts))["pending"] == 1

        w.standin.fail("sendMessage", 500)  # down until cleared
        first = OutboxSender(w.store, w.bot, w.clock, backoff_base=0.02)
        first.start()
        await w.standin.wait_for_call("sendMessage")
        await first.stop()
        w.standin.clear_faults()

        second = OutboxSender(w.store, w.bot, w.clock, backoff_base=0.02)
        second.start()
        try:
            w.clock.advance(1)  # past the first sender's back-off
            second.wake()
            await w.push(CUSTOMER, contains="Pembayaran diterima")
            assert await w.settled_outbox() == {"sent": 1, "failed": 0, "pending": 0}
        finally:
            await second.stop()
        assert len(w.texts(CUSTOMER)) == 1


async def test_special_methods_are_handed_to_their_renderer(tmp_path: Path) -> None:
    seen: list[OutboxMessage] = []
    fails = [RuntimeError("slip renderer broke")]

    async def send_code(row: OutboxMessage) -> None:
        if fails:
            raise fails.pop()
        seen.append(row)

    special = {pushes.SEND_PAYMENT_CODE: send_code}
    async with payment_world(tmp_path, special=special) as w:
        await w.store.run(
            Tx.enqueue, CUSTOMER, pushes.SEND_PAYMENT_CODE, {"order_id": "WB-1"}, w.clock(), "k"
        )
        await enqueue(w, CUSTOMER, "sesudahnya")  # waits behind the payment code
        w.outbox.wake()
        await w.push(CUSTOMER, contains="sesudahnya")
        assert [r.payload for r in seen] == [{"order_id": "WB-1"}]
        assert await w.settled_outbox() == {"sent": 2, "failed": 0, "pending": 0}


async def test_two_senders_on_one_database_never_double_a_push(tmp_path: Path) -> None:
    """Even two senders (two processes by mistake) send each row once: a row is claimed first."""
    async with payment_world(tmp_path, start_outbox=False) as w:
        chats = [5000 + n for n in range(12)]
        for chat in chats:
            w.standin.user(chat, first_name="Pelanggan", started=True)
            for n in range(3):
                await enqueue(w, chat, f"pesan {n}")
        second_store = await Store.open(tmp_path / "warung.db")  # as another process would
        senders = [
            OutboxSender(w.store, w.bot, w.clock, concurrency=4),
            OutboxSender(second_store, w.bot, w.clock, concurrency=4),
        ]
        try:
            for sender in senders:
                sender.start()
            assert await w.settled_outbox(timeout=20) == {"sent": 36, "failed": 0, "pending": 0}
        finally:
            for sender in senders:
                await sender.stop()
            await second_store.close()
        for chat in chats:
            assert w.texts(chat) == ["pesan 0", "pesan 1", "pesan 2"]  # once each, in order
        assert len(w.standin.calls_to("sendMessage")) == 36


async def test_a_send_cut_off_at_stop_is_due_again_at_once(tmp_path: Path) -> None:
    async with payment_world(tmp_path, start_outbox=False) as w:
        w.standin.slow("sendMessage", 30)
        await enqueue(w, CUSTOMER, "lambat")
        sender = OutboxSender(w.store, w.bot, w.clock)
        sender.start()
        await w.standin.wait_for_call("sendMessage")
        await sender.stop(grace=0.1)
        [row] = await w.store.run(Tx.due_messages, w.clock())  # not held until the lease ends
        assert row.payload["text"] == "lambat"


async def test_a_send_failing_while_the_shop_is_held_leaves_its_row_untouched(
    tmp_path: Path,
) -> None:
    """Platform mode: while ``hold`` says the shop's sends are paused, a send that failed is
    released as it was (no attempt counted, due again) and nothing is claimed; it goes out once
    the hold ends."""
    held = [0.0]
    tries: list[object] = []

    async def send_code(row: OutboxMessage) -> None:
        tries.append(row.payload["order_id"])
        if len(tries) == 1:
            held[0] = 3600.0  # as the shop's gate does when Telegram says "retry after 3600"
            raise RuntimeError("the shop is paused")

    async with payment_world(tmp_path, start_outbox=False) as w:
        await w.store.run(
            Tx.enqueue, CUSTOMER, pushes.SEND_PAYMENT_CODE, {"order_id": "WB-1"}, w.clock(), "k"
        )
        special = {pushes.SEND_PAYMENT_CODE: send_code}
        sender = OutboxSender(w.store, w.bot, w.clock, special, hold=lambda: held[0])
        sender.start()
        try:

            async def released() -> bool:
                rows = await w.store.run(Tx.due_messages, w.clock())
                return [(r.payload["order_id"], r.attempts) for r in rows] == [("WB-1", 0)]

            await wait_until(lambda: tries, 5, "the first send")
            await wait_until(released, 5, "the row released untouched")
            held[0] = 0.0
            sender.wake()
            assert await w.settled_outbox() == {"sent": 1, "failed": 0, "pending": 0}
        finally:
            await sender.stop()
        assert tries == ["WB-1", "WB-1"]


class CountingLimiter(AIORateLimiter):
    """PTB's own rate limiter, counting the calls it lets through."""

    def __init__(self) -> None:
        super().__init__()
        self.endpoints: list[str] = []

    async def process_request(self, *args: Any, **kwargs: Any) -> Any:
        self.endpoints.append(kwargs["endpoint"])
        return await super().process_request(*args, **kwargs)


async def test_sends_go_through_the_application_s_rate_limiter(tmp_path: Path) -> None:
    async with payment_world(tmp_path, start_outbox=False) as w:
        limiter = CountingLimiter()
        assert w.standin.base_url is not None
        app = Application.builder().token(TOKEN).base_url(w.standin.base_url).rate_limiter(limiter)
        application = app.build()
        await application.initialize()
        try:
            sender = OutboxSender(w.store, application.bot, w.clock)
            sender.start()
            await enqueue(
                w,
                CUSTOMER,
                "lewat limiter",
                reply_markup={"inline_keyboard": [[{"text": "ok", "callback_data": "x"}]]},
            )
            await w.push(CUSTOMER, contains="lewat limiter")
            await sender.stop()
        finally:
            await application.shutdown()
        assert "sendmessage" in limiter.endpoints
