"""Shared fixtures: the real bot, booted against the Telegram stand-in and the Midtrans sandbox.

Everything talks over real HTTP on 127.0.0.1 with a real SQLite file: nothing of our own code is
mocked. ``harness`` gives a running bot plus handles to both stand-ins and the store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import BotRuntime
from bot.config import Settings, load_settings
from devtools.midtrans import MidtransSandbox
from devtools.telegram import BotMessage, FakeUser, TelegramStandin
from storage import Order, Product, Store, Tx
from tests.support.postgres import pg_server  # noqa: F401  (the session's PostgreSQL)
from tests.support.servers import serve_app
from tests.support.world import FakeClock

SERVER_KEY = "SB-Mid-server-TESTKEY0123456789"
TOKEN = "123456:TESTtokenTESTtokenTEST12345"
ADMIN_ID = 9000


def make_settings(tmp_path: Path, telegram_url: str, midtrans_url: str, **env: str) -> Settings:
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": telegram_url,
            "MIDTRANS_SERVER_KEY": SERVER_KEY,
            "MIDTRANS_API_BASE_URL": midtrans_url,
            "DATABASE_PATH": str(tmp_path / "warung.db"),
            "ADMIN_IDS": str(ADMIN_ID),
            "SHOP_NAME": "Warung Bu Siti",
            **env,
        }
    )
    return dataclasses.replace(settings, listen_host="127.0.0.1", listen_port=0)


@dataclasses.dataclass
class Harness:
    standin: TelegramStandin
    sandbox: MidtransSandbox
    settings: Settings
    runtime: BotRuntime
    midtrans_url: str
    clock: FakeClock = dataclasses.field(default_factory=FakeClock)

    @property
    def store(self) -> Store:
        assert self.runtime.store is not None
        return self.runtime.store

    def customer(self, user_id: int = 1001, name: str = "Budi", lang: str = "id") -> FakeUser:
        return self.standin.user(
            user_id, first_name=name, language_code=lang, phone_number="+6281234567890"
        )

    def admin(self) -> FakeUser:
        return self.standin.user(ADMIN_ID, first_name="Siti", language_code="id", started=True)

    async def add_product(self, name: str, price: int, stock: int | None = None) -> Product:
        return await self.store.run(Tx.add_product, name, price, stock, datetime.now(UTC))

    async def set_shop(self, **values: str) -> None:
        for key, value in values.items():
            await self.store.run(Tx.set_shop_setting, key, value)

    async def start(self) -> None:
        self.runtime = BotRuntime(
            self.settings, clock=self.clock, poll_timeout=1, midtrans_read_timeout=2.0
        )
        await self.runtime.start()
        self.sandbox.notification_url = (
            f"{self.runtime.listener_url}{self.settings.notification_path}"
        )

    async def restart(self) -> None:
        await self.runtime.stop()
        await self.start()

    async def only_order(self, user_id: int = 1001) -> Order:
        orders = await self.store.run(Tx.orders, customer_id=user_id)
        assert len(orders) == 1, orders
        return orders[0]

    async def checkout_typed(self, user: FakeUser, text: str) -> Order:
        """The shortest happy path: type an order, confirm, give details, pay. Returns the order."""
        await user.ask(text)
        await user.choose("Masukkan ke keranjang")
        await user.choose("Checkout")
        replies = self.standin.messages(user)
        if "Pakai data ini" in replies[-1].text:
            await user.choose("Ya, lanjut")
        else:
            await user.ask("Budi Santoso")
            user.press("Kirim nomor saya")
            await self.standin.next_reply(user)
            await user.choose("Lewati")
        await user.choose("Lewati")  # note
        await self.pay(user)
        orders = await self.store.run(Tx.orders, customer_id=user.id, limit=1)
        return orders[0]

    async def pay(self, user: FakeUser, button: str = "Bayar di Indomaret") -> list[BotMessage]:
        """Tap the pay button and wait for the outcome (code + slip, or a refusal)."""
        before = len(self.standin.messages(user))
        user.tap(button)
        await self.standin.wait_for_message(
            user,
            lambda m: (
                m.kind == "photo" or "Maaf" in m.text or "Sorry" in m.text or "tercatat" in m.text
            ),
            timeout=10,
        )
        await self.standin.wait_idle()
        return self.standin.messages(user)[before - 1 :]

    async def settle(self, order_id: str, action: str = "settle", **kw: Any) -> dict[str, Any]:
        delivery = await self.sandbox.trigger(order_id, action, **kw)
        return dataclasses.asdict(delivery) if dataclasses.is_dataclass(delivery) else {}


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    standin = TelegramStandin(token=TOKEN)
    sandbox = MidtransSandbox(SERVER_KEY)
    async with AsyncExitStack() as stack:
        telegram_url = await stack.enter_async_context(standin.serve())
        midtrans_url = await stack.enter_async_context(serve_app(sandbox.app))
        settings = make_settings(tmp_path, telegram_url, midtrans_url)
        settings = dataclasses.replace(settings, reversal_window=timedelta(milliseconds=300))
        h = Harness(standin, sandbox, settings, BotRuntime(settings), midtrans_url)
        await h.start()
        try:
            yield h
        finally:
            await h.runtime.stop()
