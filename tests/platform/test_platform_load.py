"""The platform under load across processes: two edges and the workers as ``python -m bot
platform`` runs them, a real PostgreSQL, the Telegram stand-in with a bot per shop and the
Midtrans sandbox with a merchant per shop, all over 127.0.0.1.

While customers of every shop type numbered orders (posted to the two edges in turn, as
Telegram's webhook would) and their payments settle (notifications posted to the two edges in
turn), the shops' partitions move: a second worker starts (half the partitions are handed over
to it), the first stops on SIGTERM (the second takes all), a third starts (half handed over
again), and then the worker holding the other half is killed with SIGKILL. Asserted:

- every reply and every payment push reaches its customer, in the order it was produced;
- nothing is sent twice, except after the kill -9: at most one reply and one push per chat of
  the killed worker's shops (the update and the outbox row it had in flight);
- the killed worker's shops are served again by the other worker within ``RESUME_WITHIN``
  seconds of the kill (the partition locks go with its session, and the new owner takes over
  the claims the dead worker held instead of waiting for their leases to run out).

Each run prints one line with what it measured (``pytest -s``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.platform.shops import HostedShop, ShopDirectory
from devtools.midtrans import MidtransSandbox
from devtools.telegram import FakeUser, TelegramStandin
from storage import Store, Tx
from storage.postgres import PostgresStore
from tests.platform.conftest import LOOKUP, MASTER
from tests.support.hosted import create_shop
from tests.support.postgres import dsn_url
from tests.support.seeded import Seeded, seed_charged_orders, settle_silently
from tests.support.servers import closed_port, serve_app
from tests.support.waiting import wait_until

pytestmark = pytest.mark.faults

PLATFORM = "5000000001:PLATFORMplatformPLATFORMplatform12345"
PARTITIONS = 4
SHOPS = 8  # two per partition
CUSTOMERS = 2  # per shop
ORDERS = 8  # paid per customer, one after the other
TYPE_EVERY = 0.5  # seconds between two typed orders of one customer
PAY_EVERY = 2.5  # seconds between two payments of one customer
RESUME_WITHIN = 5.0  # seconds from kill -9 to the first message of its shops by another worker
LINE = re.compile(r"(\d+)× Kopi Susu")


@dataclass
class Shop:
    hosted: HostedShop
    bot: TelegramStandin
    merchant: MidtransSandbox
    store: Store
    secret: str
    customers: list[FakeUser]
    orders: dict[int, list[Seeded]]  # customer id -> orders, in the order they are paid
    typed: dict[int, int] = field(default_factory=dict)  # customer id -> orders typed


class Role:
    """One ``python -m bot platform --role ...`` process and its log."""

    def __init__(self, name: str, role: str, env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        command = [sys.executable, "-m", "bot", "--env-file", str(log.parent / "none.env")]
        with log.open("w") as err:
            self.process = subprocess.Popen(
                [*command, "platform", "--role", role], env=env, stderr=err
            )

    def owned(self) -> set[int]:
        """The partitions it owns now, as its log tells."""
        owned: set[int] = set()
        for line in self.text().splitlines():
            if found := re.search(r"worker owns partition (\d+) of", line):
                owned.add(int(found[1]))
            elif found := re.search(r"worker hands partition (\d+) of \d+ over", line):
                owned.discard(int(found[1]))
        return owned

    def text(self) -> str:
        return self.log.read_text()

    def alive(self) -> bool:
        return self.process.poll() is None

    async def stop(self) -> int:
        """SIGTERM; its exit status. Waited for without blocking the loop: the stand-ins serve
        in this loop, and a stopping worker finishes its sends to them."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        await wait_until(lambda: not self.alive(), 30, f"{self.name} to stop")
        return self.process.wait()

    async def kill(self) -> float:
        """SIGKILL; when it was sent (time.monotonic())."""
        self.process.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        await wait_until(lambda: not self.alive(), 10, f"{self.name} to die")
        return killed_at

    def end(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait(timeout=10)


@contextlib.contextmanager
def processes() -> Iterator[list[Role]]:
    """The processes a test starts; any still running at its end are killed."""
    started: list[Role] = []
    try:
        yield started
    finally:
        for role in started:
            role.end()


@contextlib.asynccontextmanager
async def stand_ins() -> AsyncIterator[tuple[TelegramStandin, MidtransSandbox, str, str]]:
    telegram = TelegramStandin(token=PLATFORM, bot_username="warung_platform_bot")
    sandbox = MidtransSandbox("SB-Mid-server-Platform_0000", environment="sandbox")
    async with telegram.serve() as telegram_url, serve_app(sandbox.app) as midtrans_url:
        yield telegram, sandbox, telegram_url, midtrans_url


async def _make_shops(
    directory: ShopDirectory,
    pg_store: PostgresStore,
    telegram: TelegramStandin,
    sandbox: MidtransSandbox,
) -> list[Shop]:
    shops = []
    now = datetime.now(UTC)
    for n in range(SHOPS):
        key = f"SB-Mid-server-Toko{n:04d}_load"
        bot = telegram.add_bot(username=f"toko_{n}_bot")
        merchant = sandbox.add_merchant(key)
        hosted, store, product = await create_shop(
            directory, pg_store, bot, str(n), key, owner=9000 + n
        )
        customers = [
            bot.user(1001 + c, first_name=f"Pelanggan{c}", started=True) for c in range(CUSTOMERS)
        ]
        chats = [c.id for c in customers for _ in range(ORDERS)]
        seeded = await seed_charged_orders(
            store, merchant, chats, now=now, product=product, tag=f"L{n}"
        )
        orders = {c.id: [s for s in seeded if s.chat_id == c.id] for c in customers}
        shops.append(Shop(hosted, bot, merchant, store, f"secret-{n}", customers, orders))
    return shops


class Load:
    """Customers typing numbered orders and paying, over both edges, until ``finish``."""

    def __init__(self, shops: list[Shop], edges: list[str]) -> None:
        self.shops, self.edges = shops, edges
        self.typing = asyncio.Event()  # set: customers stop typing
        self.tasks: list[asyncio.Task[None]] = []

    @contextlib.asynccontextmanager
    async def running(self, http: httpx.AsyncClient) -> AsyncIterator[Load]:
        """The load runs in this block; what is left of it when the block ends is cancelled."""
        for shop in self.shops:
            self.tasks.append(asyncio.create_task(self._relay(http, shop)))
            for customer in shop.customers:
                self.tasks.append(asyncio.create_task(self._type(shop, customer)))
                self.tasks.append(asyncio.create_task(self._pay(http, shop, customer)))
        try:
            yield self
        finally:
            for task in self.tasks:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)

    async def finish(self) -> None:
        """Stop typing; every update and payment is in once this returns."""
        self.typing.set()
        await asyncio.gather(*self.tasks)

    async def _type(self, shop: Shop, customer: FakeUser) -> None:
        for k in range(1, 100):  # at most 99 of one item
            if self.typing.is_set():
                return
            customer.send_text(f"{k} kopi susu")
            shop.typed[customer.id] = k
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.typing.wait(), TYPE_EVERY)

    async def _relay(self, http: httpx.AsyncClient, shop: Shop) -> None:
        """Telegram's side of the webhook: the shop's updates in order, to the edges in turn,
        each again until an edge answers 200."""
        delivered, turn = 0, shop.hosted.id
        headers = {"X-Telegram-Bot-Api-Secret-Token": shop.secret}
        while True:
            for update in shop.bot.pending_updates:
                if update["update_id"] <= delivered:
                    continue
                while True:
                    edge = self.edges[turn % len(self.edges)]
                    turn += 1
                    with contextlib.suppress(httpx.TransportError):
                        answer = await http.post(
                            f"{edge}/tg/{shop.hosted.shop_key}", json=update, headers=headers
                        )
                        if answer.status_code == 200:
                            break
                    await asyncio.sleep(0.05)
                delivered = update["update_id"]
            if self.typing.is_set() and all(
                u["update_id"] <= delivered for u in shop.bot.pending_updates
            ):
                return
            await asyncio.sleep(0.02)

    async def _pay(self, http: httpx.AsyncClient, shop: Shop, customer: FakeUser) -> None:
        """The customer's orders paid one after the other, each notification posted to the
        edges in turn until one answers 200 (it has committed by then)."""
        for n, order in enumerate(shop.orders[customer.id]):
            with contextlib.suppress(TimeoutError):  # once typing stops, the rest at once
                await asyncio.wait_for(self.typing.wait(), PAY_EVERY)
            body = await settle_silently(shop.merchant, order.order_id)
            turn = customer.id + n
            while True:
                edge = self.edges[turn % len(self.edges)]
                turn += 1
                with contextlib.suppress(httpx.TransportError):
                    answer = await http.post(
                        f"{edge}/midtrans/{shop.hosted.shop_key}/notification",
                        content=body,
                        headers={"Content-Type": "application/json"},
                    )
                    if answer.status_code == 200:
                        break
                await asyncio.sleep(0.05)


async def test_under_load_partitions_move_and_a_killed_workers_shops_resume_in_order(
    pg_database: str,
    pg_store: PostgresStore,
    directory: ShopDirectory,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    async with stand_ins() as (telegram, sandbox, telegram_url, midtrans_url):
        shops = await _make_shops(directory, pg_store, telegram, sandbox)
        env = _env(pg_database, telegram_url, midtrans_url)
        ports = [closed_port(), closed_port()]
        edges = [f"http://127.0.0.1:{port}" for port in ports]
        with processes() as running:

            def start(name: str, role: str, **extra: str) -> Role:
                running.append(Role(name, role, {**env, **extra}, tmp_path / f"{name}.log"))
                return running[-1]

            for n, port in enumerate(ports):
                start(f"edge{n}", "edge", LISTEN_HOST="127.0.0.1", LISTEN_PORT=str(port))
            first = start("worker1", "worker")
            async with httpx.AsyncClient(timeout=10) as http:
                for edge in edges:
                    await wait_until(_healthy(http, edge), 30, f"{edge}/healthz")
                await wait_until(lambda: len(first.owned()) == PARTITIONS, 30, "worker1 owns all")
                load = Load(shops, edges)
                async with load.running(http):
                    await _progress(shops, "the first replies")

                    # A second worker: half the partitions move to it, mid-load.
                    second = start("worker2", "worker")
                    await wait_until(
                        lambda: len(first.owned()) == len(second.owned()) == PARTITIONS // 2,
                        30,
                        "a hand-over to worker2",
                    )
                    await _progress(shops, "replies after the hand-over")

                    # The first stops (SIGTERM): the second takes every partition.
                    assert await first.stop() == 0, first.text()
                    await wait_until(
                        lambda: len(second.owned()) == PARTITIONS, 30, "worker2 owns all"
                    )
                    await _progress(shops, "replies after worker1 stopped")

                    # A third worker takes half; then the second is killed mid-load.
                    third = start("worker3", "worker")
                    await wait_until(
                        lambda: len(second.owned()) == len(third.owned()) == PARTITIONS // 2,
                        30,
                        "a hand-over to worker3",
                    )
                    await _progress(shops, "replies after the second hand-over")
                    orphaned = second.owned()
                    killed_shops = [s for s in shops if s.hosted.id % PARTITIONS in orphaned]
                    killed_at = await second.kill()
                    resumed_at = await _first_message_after(
                        killed_shops, killed_at, RESUME_WITHIN + 5
                    )
                    resume = resumed_at - killed_at
                    await _progress(shops, "replies after the kill")

                    await load.finish()
                await _all_arrived(shops, 60)
                assert third.owned() == set(range(PARTITIONS))
                for role in running:
                    if role.alive():
                        assert await role.stop() == 0, role.text()
        logs = {role.name: role.text() for role in running}

    killed_chats = [(s.hosted.id, c.id) for s in killed_shops for c in s.customers]
    replies, pushes = _duplicates(shops)
    for shop in shops:
        for customer in shop.customers:
            bound = 1 if shop in killed_shops else 0
            assert replies[(shop.hosted.id, customer.id)] <= bound, (shop.hosted.id, customer.id)
            assert pushes[(shop.hosted.id, customer.id)] <= bound, (shop.hosted.id, customer.id)
    for shop in shops:
        outbox = await shop.store.run(Tx.outbox_messages)
        assert [m for m in outbox if m.sent_at is None] == []
        assert await shop.store.run(Tx.inbox_pending_count) == 0
    for name, text in logs.items():
        assert "Traceback" not in text, f"{name}:\n{text}"
    assert telegram.violations == [], telegram.violations
    print(
        f"\nload: {SHOPS} shops, {len(killed_chats)} chats on the killed worker;"
        f" {sum(sum(s.typed.values()) for s in shops)} typed orders,"
        f" {SHOPS * CUSTOMERS * ORDERS} payments; resumed {resume:.2f} s after kill -9;"
        f" repeated replies {sum(replies.values())}, repeated pushes {sum(pushes.values())};"
        f" whole test {time.monotonic() - started:.1f} s"
    )
    assert resume < RESUME_WITHIN


def _env(dsn: str, telegram_url: str, midtrans_url: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PLATFORM_", "MIDTRANS_"))}
    return {
        **keep,
        "DATABASE_URL": dsn_url(dsn),
        "PLATFORM_MASTER_KEYS": "k1:" + base64.b64encode(MASTER).decode(),
        "PLATFORM_LOOKUP_KEY": base64.b64encode(LOOKUP).decode(),
        "PLATFORM_BOT_TOKEN": PLATFORM,
        "PLATFORM_PARTITIONS": str(PARTITIONS),
        "PUBLIC_BASE_URL": "https://warung.example.com",
        "TELEGRAM_API_BASE_URL": telegram_url,
        "MIDTRANS_API_BASE_URL": midtrans_url,
    }


def _healthy(http: httpx.AsyncClient, edge: str) -> Any:
    async def check() -> bool:
        with contextlib.suppress(httpx.TransportError):
            return (await http.get(f"{edge}/healthz")).status_code == 200
        return False

    return check


def _replies(shop: Shop, customer: FakeUser) -> list[int]:
    """The numbers of the typed orders the customer's replies repeat, in the order received."""
    found = (LINE.search(m.text) for m in shop.bot.messages(customer))
    return [int(match[1]) for match in found if match]


def _paid(shop: Shop, customer: FakeUser) -> list[str]:
    """The order ids of the payment pushes the customer received, in order."""
    ids = {o.order_id for o in shop.orders[customer.id]}
    return [
        next(i for i in ids if i in m.text)
        for m in shop.bot.messages(customer)
        if "Pembayaran diterima" in m.text
    ]


def _collapsed(seq: list[Any]) -> list[Any]:
    """``seq`` without an item repeated right after itself (a send repeated after a crash)."""
    return [x for n, x in enumerate(seq) if n == 0 or seq[n - 1] != x]


async def _progress(shops: list[Shop], what: str, replies: int = 2) -> None:
    """Wait until every shop's customers got ``replies`` more replies: the load goes on."""
    marks = {(s.hosted.id, c.id): len(_replies(s, c)) for s in shops for c in s.customers}
    await wait_until(
        lambda: all(
            len(_replies(s, c)) >= marks[(s.hosted.id, c.id)] + replies
            for s in shops
            for c in s.customers
        ),
        30,
        what,
        step=0.1,
    )


async def _first_message_after(shops: list[Shop], since: float, within: float) -> float:
    """When the first message to a customer of ``shops`` arrived from the worker that took
    them over after ``since``: sent after that worker loaded the shop (its getMe), so not a
    request the dead worker had on the wire."""
    found: list[float] = []

    def check() -> bool:
        for shop in shops:
            calls = [c for c in shop.bot.calls if c.at > since and c.status == 200]
            loaded = next((c.at for c in calls if c.method == "getMe"), None)
            if loaded is not None:
                found.extend(c.at for c in calls if c.at > loaded and c.method == "sendMessage")
        return bool(found)

    await wait_until(check, within, "a message from the killed worker's shops", step=0.01)
    return min(found)


async def _all_arrived(shops: list[Shop], within: float) -> None:
    """Wait until every reply and push arrived; fail at once when one came out of order."""

    def done() -> bool:
        complete = True
        for s in shops:
            for c in s.customers:
                for got, wanted in (
                    (_collapsed(_replies(s, c)), list(range(1, s.typed[c.id] + 1))),
                    (_collapsed(_paid(s, c)), [o.order_id for o in s.orders[c.id]]),
                ):
                    assert got == wanted[: len(got)], f"shop {s.hosted.id}, chat {c.id}: {got}"
                    complete = complete and len(got) == len(wanted)
        return complete

    await wait_until(done, within, "every reply and push", step=0.1)


def _duplicates(shops: list[Shop]) -> tuple[dict[tuple[int, int], int], dict[tuple[int, int], int]]:
    """Per (shop, customer): replies and pushes received more than once."""
    replies, pushes = {}, {}
    for s in shops:
        for c in s.customers:
            got, paid = _replies(s, c), _paid(s, c)
            replies[(s.hosted.id, c.id)] = len(got) - len(_collapsed(got))
            pushes[(s.hosted.id, c.id)] = len(paid) - len(_collapsed(paid))
    return replies, pushes
