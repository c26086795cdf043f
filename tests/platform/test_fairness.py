"""One bad shop does not slow the others, measured: several good shops and one bad one on one
worker, over real HTTP (Telegram stand-in with a bot per shop, the edge, a real PostgreSQL).

Each test times a round of work for the good shops (outbox pushes, and customers' /start
through the edge): alone; beside the other shop busy with a flood of work of its own (a backlog
of updates straight into its inbox, and pushes), healthy; and beside it with the same flood
while every call of it hangs past the request timeout, is told ``retry_after=3600``, or is
refused for a revoked token. Beside the bad shop the good ones must finish within ``SLOWDOWN``
times the slower of the first two rounds plus ``SLACK`` seconds: generous, so a loaded 2-core
machine does not fail it, yet far below what a bad shop holding the shared HTTP pool costs
(before per-shop send slots, the good shops' sends got "pool timeout" and did not finish in a
minute). The pool and a shop's slots are scaled down with the fleet (32 and 8; production: 256
and 16), so one bad shop has more calls in flight than the whole pool.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count

import pytest

from bot.platform.shops import HostedShop, ShopDirectory
from bot.platform.worker import PlatformWorker, WorkerOptions
from devtools.telegram import FakeUser, TelegramStandin
from storage import Store, Tx
from storage.postgres import PostgresStore
from tests.support.hosted import create_shop, hosted_world
from tests.support.waiting import wait_until
from tests.support.world import FakeClock

GOOD_SHOPS = 3
PUSHES, PUSH_CHATS, CUSTOMERS = 30, 6, 6  # a round, per good shop
BAD_PUSHES, BAD_CHATS, BAD_CUSTOMERS = 16, 16, 40  # the bad shop's flood: calls > HTTP_POOL
SLOWDOWN, SLACK = 1.5, 1.0
HTTP_POOL, SLOTS = 32, 8  # the shared pool and a shop's share, scaled down with the fleet


@dataclass
class Hosted:
    shop: HostedShop
    bot: TelegramStandin
    store: Store


@dataclass
class Fleet:
    worker: PlatformWorker
    directory: ShopDirectory
    good: list[Hosted]
    bad: Hosted
    users: count[int]
    clock: FakeClock


@pytest.fixture
async def fleet(
    directory: ShopDirectory, pg_store: PostgresStore, pg_database: str
) -> AsyncIterator[Fleet]:
    async with hosted_world(pg_store, directory, "SB-Mid-server-Toko_0000") as world:
        shops: list[Hosted] = []
        for n in range(GOOD_SHOPS + 1):
            bot = world.telegram.add_bot(username=f"toko_{n}_bot")
            key = f"SB-Mid-server-Toko_{n + 1:04d}"
            world.sandbox.add_merchant(key)
            shop, store, _ = await create_shop(
                directory, pg_store, bot, str(n), key, owner=9000 + n
            )
            if n < GOOD_SHOPS:  # the bad shop's updates go straight into its inbox
                world.relay.add(bot, shop.shop_key, f"secret-{n}")
            shops.append(Hosted(shop, bot, store))
        options = WorkerOptions(partitions=2, tick=0.05, http_pool=HTTP_POOL, send_slots=SLOTS)
        worker = PlatformWorker(
            pg_store, pg_database, directory, world.hosting, clock=world.clock, options=options
        )
        await worker.start()
        try:
            async with world.relay.running():
                fleet = Fleet(worker, directory, shops[:-1], shops[-1], count(20_000), world.clock)
                await _round(fleet, [*fleet.good, fleet.bad], 1, 1, 1)  # every shop loaded
                yield fleet
        finally:
            await worker.stop()


async def _round(
    fleet: Fleet, shops: list[Hosted], pushes: int, chats: int, customers: int
) -> float:
    """Seconds until every shop delivered ``pushes`` outbox messages spread over ``chats``
    chats and answered ``customers`` customers' /start."""
    start = time.monotonic()
    done = await _give_work(fleet, shops, pushes, chats, customers)
    await wait_until(done, 60, "the good shops' round")
    return time.monotonic() - start


async def _give_work(
    fleet: Fleet, shops: list[Hosted], pushes: int, chats: int, customers: int
) -> Callable[[], bool]:
    """Queue the pushes, send the customers' /start (through the edge; the bad shop's straight
    into its inbox, all at once, as a backlog arrives); returns the check that all is done."""
    waiting: list[tuple[FakeUser, int]] = []
    now = datetime.now(UTC)
    for hosted in shops:
        receivers = [hosted.bot.user(next(fleet.users), started=True) for _ in range(chats)]
        rows = [(receivers[i % chats].id, f"push {i}") for i in range(pushes)]
        await hosted.store.run(_enqueue, rows, now)
        waiting.extend((r, len(range(i, pushes, chats))) for i, r in enumerate(receivers))
        seen = {u["update_id"] for u in hosted.bot.pending_updates}
        for _ in range(customers):
            customer = hosted.bot.user(next(fleet.users))
            customer.send_text("/start")
            waiting.append((customer, 1))
        if hosted is fleet.bad:
            updates = [u for u in hosted.bot.pending_updates if u["update_id"] not in seen]
            await hosted.store.run(_inbox_add, updates, now)
    return lambda: all(len(user.messages()) >= n for user, n in waiting)


def _enqueue(tx: Tx, rows: list[tuple[int, str]], now: datetime) -> None:
    for chat_id, text in rows:
        tx.enqueue(chat_id, "sendMessage", {"text": text}, now)


def _inbox_add(tx: Tx, updates: list[dict[str, object]], now: datetime) -> None:
    for update in updates:
        tx.inbox_add(int(str(update["update_id"])), json.dumps(update), now)


async def _compare(fleet: Fleet, kind: str, turn_bad: Callable[[], Awaitable[None]]) -> int:
    """Time the good shops' round alone; beside the other shop busy with a flood of work and
    healthy; then beside it with the same flood and bad. Returns how many calls the bad shop
    had made before its fault."""
    alone = await _round(fleet, fleet.good, PUSHES, PUSH_CHATS, CUSTOMERS)
    healthy_done = await _flood(fleet)
    beside_busy = await _round(fleet, fleet.good, PUSHES, PUSH_CHATS, CUSTOMERS)
    await wait_until(healthy_done, 60, "the healthy shop's flood")
    calls = len(fleet.bad.bot.calls)
    await turn_bad()
    await _flood(fleet)
    beside_bad = await _round(fleet, fleet.good, PUSHES, PUSH_CHATS, CUSTOMERS)

    messages = GOOD_SHOPS * (PUSHES + CUSTOMERS)
    figure = (
        f"{kind}: {messages} messages: alone {alone:.2f} s ({messages / alone:.0f}/s),"
        f" beside a busy healthy shop {beside_busy:.2f} s ({messages / beside_busy:.0f}/s),"
        f" beside it bad {beside_bad:.2f} s ({messages / beside_bad:.0f}/s)"
    )
    print(figure)
    assert beside_bad <= SLOWDOWN * max(alone, beside_busy) + SLACK, figure
    return calls


async def _flood(fleet: Fleet) -> Callable[[], bool]:
    """Give the other shop its flood of work; return once it is at work (a call of it reached
    Telegram), with the check that all of it was delivered."""
    calls = len(fleet.bad.bot.calls)
    done = await _give_work(fleet, [fleet.bad], BAD_PUSHES, BAD_CHATS, BAD_CUSTOMERS)
    await wait_until(lambda: len(fleet.bad.bot.calls) > calls, 10, "the other shop at work")
    return done


def _pushes_delivered(hosted: Hosted) -> int:
    sent = hosted.bot.calls_to("sendMessage")
    return len([c for c in sent if c.status == 200 and str(c.params["text"]).startswith("push")])


async def test_a_shop_whose_calls_all_time_out_slows_no_other_and_backs_off(
    fleet: Fleet,
) -> None:
    bad = fleet.bad

    async def turn_bad() -> None:
        bad.bot.slow(None, 30.0)  # past the 5 s read timeout of every call

    calls = await _compare(fleet, "timeouts", turn_bad)
    await wait_until(lambda: fleet.worker.paused_for(bad.shop.id) > 0, 15, "the bad shop paused")
    hung = len(bad.bot.calls) - calls
    assert hung <= 2 * SLOTS  # its first calls, not one per update and message it had

    bad.bot.clear_faults()  # Telegram answers again; once the pause is over the shop goes on
    fleet.clock.advance(fleet.worker.paused_for(bad.shop.id) + 1)
    await wait_until(lambda: _pushes_delivered(bad) >= BAD_PUSHES, 30, "the bad shop's pushes")


async def test_a_shop_told_to_retry_after_an_hour_slows_no_other_and_waits_the_hour(
    fleet: Fleet,
) -> None:
    bad = fleet.bad

    async def turn_bad() -> None:
        bad.bot.fail(None, 429, retry_after=3600)

    calls = await _compare(fleet, "retry_after=3600", turn_bad)
    assert 3500 < fleet.worker.paused_for(bad.shop.id) <= 3600
    told = len(bad.bot.calls) - calls
    assert told <= SLOTS  # the calls in flight when Telegram said so, then none

    bad.bot.clear_faults()
    fleet.clock.advance(3601)  # the hour is over: every message waited, none was lost
    await wait_until(lambda: _pushes_delivered(bad) >= BAD_PUSHES, 30, "the bad shop's pushes")


async def test_a_shop_whose_token_was_revoked_slows_no_other(fleet: Fleet) -> None:
    async def turn_bad() -> None:
        fleet.bad.bot.revoke()

    await _compare(fleet, "revoked (401)", turn_bad)
    await wait_until(lambda: fleet.bad.shop.id not in fleet.worker.loaded, 10, "bad evicted")
    suspended = await fleet.directory.get(fleet.bad.shop.id)
    assert suspended is not None and suspended.status == "suspended"
