# The waiting helpers take a ``timeout`` argument on purpose: tests read better with it.
# ruff: noqa: ASYNC109
"""A payment world for tests: everything issue 4 touches, wired by hand, over real HTTP.

Midtrans sandbox and Telegram stand-in on 127.0.0.1, our webhook app served by uvicorn, a real
SQLite file, a real ``telegram.Bot`` for the outbox. The clock runs with real time plus an
offset that tests move forward (never back), so the outbox's sleeps and the reversal window
can be crossed without waiting.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from telegram import Bot

from bot.config import Secret, Settings
from bot.listener import create_web_app
from bot.messages.outbox import OutboxSender, Special
from bot.payments.midtrans import MidtransClient
from bot.payments.service import PaymentService
from bot.rules.clock import utc_now
from devtools.midtrans import MidtransSandbox
from devtools.telegram import BotMessage, TelegramStandin
from storage import Order, Product, Store, Tx
from tests.support.orders import add_products, place_order
from tests.support.servers import serve_app

SERVER_KEY = "SB-Mid-server-WORLDKEY0123456789"
TOKEN = "123456:TESTtokenTESTtokenTEST12345"
WEBHOOK_SECRET = "hook-secret_0123456789"
CUSTOMER = 1001
ADMIN = 9000


class FakeClock:
    """Real time plus an offset that only grows."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utc_now() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclasses.dataclass
class World:
    settings: Settings
    store: Store
    sandbox: MidtransSandbox
    midtrans: MidtransClient
    standin: TelegramStandin
    bot: Bot
    outbox: OutboxSender
    payments: PaymentService
    clock: FakeClock
    url: str  # our web app
    http: httpx.AsyncClient
    kopi: Product
    roti: Product
    updates: list[dict[str, Any]]

    @property
    def notification_url(self) -> str:
        return self.url + self.settings.notification_path

    async def order(self, kopi: int = 2, roti: int = 0, **kw: Any) -> Order:
        """An order of Kopi susu (and Roti bakar) with a real charge at the sandbox, once the
        "pending" notification that every charge brings has been answered."""
        items = [(p, n) for p, n in ((self.kopi, kopi), (self.roti, roti)) if n]
        order = await place_order(self.store, self.midtrans, items, now=self.clock(), **kw)
        if order.charge is not None:
            await pending_answered(self.sandbox, order.id)
        return order

    async def get(self, order_id: str) -> Order:
        order = await self.store.run(Tx.order, order_id)
        assert order is not None
        return order

    async def post_notification(self, body: Mapping[str, Any] | bytes) -> httpx.Response:
        if isinstance(body, bytes):
            return await self.http.post(self.notification_url, content=body)
        return await self.http.post(self.notification_url, json=dict(body))

    async def push(
        self, chat: int, contains: str | None = None, timeout: float = 5.0
    ) -> BotMessage:
        return await self.standin.wait_for_message(chat, contains=contains, timeout=timeout)

    async def settled_outbox(self, timeout: float = 5.0) -> dict[str, int]:
        """Wait until no outbox row is pending; the counts of sent and failed rows."""
        deadline = utc_now() + timedelta(seconds=timeout)
        while True:
            counts = await self.store.run(Tx.outbox_counts)
            if counts["pending"] == 0:
                return counts
            if utc_now() > deadline:
                raise AssertionError(f"outbox still has pending rows: {counts}")
            await asyncio.sleep(0.01)

    def texts(self, chat: int) -> list[str]:
        return [m.text for m in self.standin.messages(chat)]


async def pending_answered(sandbox: MidtransSandbox, order_id: str, timeout: float = 5.0) -> None:
    """Wait until the sandbox's "pending" notification for ``order_id`` got its answer."""
    deadline = utc_now() + timedelta(seconds=timeout)
    while not any(
        d.notification["order_id"] == order_id and d.notification["transaction_status"] == "pending"
        for d in sandbox.deliveries
    ):
        if utc_now() > deadline:
            raise AssertionError(f"no pending notification for {order_id} was answered")
        await asyncio.sleep(0.005)


@asynccontextmanager
async def payment_world(
    tmp_path: Path,
    *,
    confirm: bool = True,
    reversal_window: timedelta = timedelta(milliseconds=200),
    admins: tuple[int, ...] = (ADMIN,),
    start_outbox: bool = True,
    backoff_base: float = 0.05,
    special: Mapping[str, Special] | None = None,
    take_updates: bool = True,
    is_running: Callable[[], bool] = lambda: True,
    db_name: str = "warung.db",
    settings_changes: Mapping[str, Any] | None = None,
) -> AsyncIterator[World]:
    clock = FakeClock()
    standin = TelegramStandin(token=TOKEN)
    sandbox = MidtransSandbox(SERVER_KEY)
    standin.user(CUSTOMER, first_name="Budi", started=True)
    for admin in admins:
        standin.user(admin, first_name="Siti", started=True)
    updates: list[dict[str, Any]] = []

    async def take(update: dict[str, Any]) -> None:
        updates.append(update)

    async with AsyncExitStack() as stack:
        telegram_url = await stack.enter_async_context(standin.serve())
        sandbox_url = await stack.enter_async_context(serve_app(sandbox.app))
        settings = Settings(
            telegram_token=Secret(TOKEN),
            telegram_base_url=telegram_url,
            midtrans_server_key=Secret(SERVER_KEY),
            midtrans_base_url=sandbox_url,
            telegram_webhook_secret=Secret(WEBHOOK_SECRET),
            database_path=tmp_path / db_name,
            admin_ids=frozenset(admins),
            confirm_notifications=confirm,
            reversal_window=reversal_window,
            reconcile_grace=timedelta(seconds=30),
        )
        settings = dataclasses.replace(settings, **dict(settings_changes or {}))
        store = await Store.open(settings.database_path)
        stack.push_async_callback(store.close)
        midtrans = MidtransClient(SERVER_KEY, base_url=sandbox_url, retry_backoff=0.01)
        stack.push_async_callback(midtrans.aclose)
        bot = Bot(TOKEN, base_url=telegram_url)
        await bot.initialize()
        stack.push_async_callback(bot.shutdown)
        outbox = OutboxSender(store, bot, clock, special, backoff_base=backoff_base)
        payments = PaymentService(store, midtrans, settings, clock, wake_outbox=outbox.wake)
        app = create_web_app(
            payments=payments,
            store=store,
            settings=settings,
            telegram_updates=take if take_updates else None,
            is_running=is_running,
            clock=clock,
        )
        url = await stack.enter_async_context(serve_app(app))
        sandbox.notification_url = url + settings.notification_path
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=10))
        if start_outbox:
            outbox.start()
        stack.push_async_callback(outbox.stop)
        kopi, roti = await add_products(store, clock())
        world = World(
            settings,
            store,
            sandbox,
            midtrans,
            standin,
            bot,
            outbox,
            payments,
            clock,
            url,
            http,
            kopi,
            roti,
            updates,
        )
        yield world
        await outbox.stop()
        # Every call the bot made was one real Telegram would accept.
        assert standin.violations == [], standin.violations
