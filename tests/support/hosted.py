"""Hosted shops for platform tests: the stand-ins and an in-process edge around them, and shops
made straight in the directory (onboarding has tests of its own), each with its own bot and
merchant key and one product."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.types import Receive, Scope, Send

from bot.config import load_settings
from bot.platform.edge import EdgeApp
from bot.platform.hosting import Hosting, PaymentsCache, shop_store
from bot.platform.shops import HostedShop, ShopDirectory
from devtools.midtrans import MidtransSandbox
from devtools.telegram import TelegramStandin
from storage import Product, Store, Tx
from storage.postgres import PostgresStore
from tests.support.servers import serve_app
from tests.support.webhooks import WebhookRelay
from tests.support.world import FakeClock

PLATFORM_TOKEN = "5000000001:PLATFORMplatformPLATFORM12345"


@dataclass
class HostedWorld:
    """The Telegram stand-in (the platform's bot first), the Midtrans sandbox, an edge served
    in this process, the ``Hosting`` every shop shares and a relay from the stand-in's bots to
    the edge (not running until ``relay.running()``)."""

    telegram: TelegramStandin
    sandbox: MidtransSandbox
    edge_url: str
    hosting: Hosting
    relay: WebhookRelay
    clock: FakeClock


@contextlib.asynccontextmanager
async def hosted_world(
    pg_store: PostgresStore, directory: ShopDirectory, first_key: str
) -> AsyncIterator[HostedWorld]:
    telegram = TelegramStandin(token=PLATFORM_TOKEN, bot_username="warung_platform_bot")
    sandbox = MidtransSandbox(first_key)
    served: list[EdgeApp] = []
    clock = FakeClock()

    async def forward(scope: Scope, receive: Receive, send: Send) -> None:
        await served[0](scope, receive, send)

    async with (
        telegram.serve() as telegram_url,
        serve_app(sandbox.app) as midtrans_url,
        serve_app(forward) as edge_url,
    ):
        base = load_settings(
            {
                "TELEGRAM_BOT_TOKEN": PLATFORM_TOKEN,
                "TELEGRAM_API_BASE_URL": telegram_url,
                "MIDTRANS_SERVER_KEY": first_key,
                "MIDTRANS_API_BASE_URL": midtrans_url,
            }
        )
        hosting = Hosting(
            base,
            public_base_url=edge_url,
            midtrans_base_urls={"sandbox": midtrans_url, "production": midtrans_url},
        )
        payments = PaymentsCache(pg_store, hosting, clock)
        served.append(EdgeApp(pg_store, directory, payments, clock=clock))
        try:
            yield HostedWorld(telegram, sandbox, edge_url, hosting, WebhookRelay(edge_url), clock)
        finally:
            await payments.close()


async def create_shop(
    directory: ShopDirectory,
    pg_store: PostgresStore,
    bot: TelegramStandin,
    name: str,
    merchant_key: str,
    owner: int,
) -> tuple[HostedShop, Store, Product]:
    """A sandbox shop of ``bot``: key ``key-<name>``, webhook secret ``secret-<name>``, one
    product (Kopi Susu, Rp18.000). Returns the shop, its store view and the product."""
    shop = await directory.create(
        owner_user_id=owner,
        bot_token=bot.token,
        bot_username=str(bot.bot_user["username"]),
        shop_key=f"key-{name}",
        webhook_secret=f"secret-{name}",
        midtrans_server_key=merchant_key,
        midtrans_environment="sandbox",
    )
    store = shop_store(pg_store, shop.id)
    product = await store.run(Tx.add_product, "Kopi Susu", 18_000, None, datetime.now(UTC))
    return shop, store, product
