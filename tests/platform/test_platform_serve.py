"""The platform as ``python -m bot platform --role all`` runs it (``run_platform``), wired whole,
over real HTTP on a real PostgreSQL: a seller makes a shop in the platform bot, a customer of
that shop is served through the edge and the worker, and when Telegram revokes the shop's token
the seller hears of it through the platform bot."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from bot.logging_filter import SecretMask
from bot.platform.config import load_platform_settings
from bot.platform.hosting import shop_store
from bot.platform.leader import LeaderLock
from bot.platform.serve import run_platform
from bot.platform.shops import ShopDirectory
from devtools.midtrans import MidtransSandbox
from devtools.telegram import TelegramStandin
from storage import Tx
from storage.postgres import PostgresStore
from tests.support.postgres import dsn_url
from tests.support.servers import closed_port, serve_app
from tests.support.waiting import wait_until
from tests.support.webhooks import WebhookRelay

PLATFORM = "5000000001:PLATFORMplatformPLATFORMplatform12345"
SANDBOX_KEY = "SB-Mid-server-KopiBuSiti_0001"
SELLER = 5150
PUBLIC = "https://warung.example.com"


@contextlib.asynccontextmanager
async def running_platform(env: dict[str, str], mask: SecretMask) -> AsyncIterator[str]:
    """``run_platform(--role all)`` in this loop until the block ends; yields the edge's URL."""
    settings = load_platform_settings(env)
    stop = asyncio.Event()
    task = asyncio.create_task(run_platform(settings, "all", mask, stop, leader_retry=0.2))
    edge = f"http://127.0.0.1:{env['LISTEN_PORT']}"
    try:
        async with httpx.AsyncClient(base_url=edge, timeout=2) as http:

            async def healthy() -> bool:
                if task.done():
                    task.result()  # its error, if it stopped
                with contextlib.suppress(httpx.TransportError):
                    return (await http.get("/healthz")).status_code == 200
                return False

            await wait_until(healthy, 30, "the platform's /healthz")
        yield edge
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_a_seller_makes_a_shop_its_customer_is_served_and_a_revoked_token_is_told(
    pg_database: str,
    pg_store: PostgresStore,
    directory: ShopDirectory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    telegram = TelegramStandin(token=PLATFORM, bot_username="warung_platform_bot")
    sandbox = MidtransSandbox(SANDBOX_KEY, environment="sandbox")
    mask = SecretMask([PLATFORM])
    async with telegram.serve() as telegram_url, serve_app(sandbox.app) as midtrans_url:
        env = {
            "DATABASE_URL": dsn_url(pg_database),
            "PLATFORM_MASTER_KEYS": "k1:" + base64.b64encode(bytes(range(32))).decode(),
            "PLATFORM_LOOKUP_KEY": base64.b64encode(b"lookup-key-0123456789abcdef").decode(),
            "PLATFORM_BOT_TOKEN": PLATFORM,
            "PUBLIC_BASE_URL": PUBLIC,
            "TELEGRAM_API_BASE_URL": telegram_url,
            "MIDTRANS_API_BASE_URL": midtrans_url,
            "LISTEN_HOST": "127.0.0.1",
            "LISTEN_PORT": str(closed_port()),
        }
        with caplog.at_level(logging.DEBUG):
            async with running_platform(env, mask) as edge:
                shop_bot = telegram.add_bot(username="kopi_bu_siti_bot")
                seller = telegram.user(SELLER, first_name="Siti", language_code="en", started=True)

                await seller.ask("/newshop")  # the leader polls the platform bot's updates
                token = shop_bot.token
                seller.send_text(token)
                await telegram.wait_for_message(seller, contains="Step 2 of 2", timeout=10)
                seller.send_text(SANDBOX_KEY)
                await telegram.wait_for_message(seller, contains="is live", timeout=10)

                (shop,) = await directory.of_owner(SELLER)
                assert shop.owner_user_id == SELLER
                store = shop_store(pg_store, shop.id)
                await store.run(Tx.add_product, "Kopi Susu", 18_000, None, datetime.now(UTC))
                secret = shop_bot.webhook_secret
                assert secret is not None and shop_bot.webhook_url.startswith(PUBLIC)
                relay = WebhookRelay(edge)
                relay.add(shop_bot, shop_bot.webhook_url.rsplit("/", 1)[1], secret)
                async with relay.running():
                    budi = shop_bot.user(1001, first_name="Budi")
                    menu = await budi.ask("/start")
                    assert any(b.text.startswith("Kopi Susu") for m in menu for b in m.buttons)

                    shop_bot.revoke()
                    budi.send_text("/start")
                    told = await telegram.wait_for_message(
                        seller, contains="@kopi_bu_siti_bot", timeout=15
                    )
                assert "was stopped" in told.text and "401" in told.text  # in her English
                assert any("token" in b.text.lower() for b in told.buttons)
                assert relay.statuses and set(relay.statuses) == {200}
    (suspended,) = await directory.of_owner(SELLER)
    assert suspended.status == "suspended"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "runs the platform bot" in logged
    for secret in (PLATFORM, token, SANDBOX_KEY):  # the mask was told each secret
        assert mask.mask(secret) != secret and secret not in mask.mask(logged)
    assert telegram.violations == [], telegram.violations


async def test_only_one_process_leads(pg_database: str) -> None:
    first, second = LeaderLock(dsn_url(pg_database)), LeaderLock(dsn_url(pg_database))
    try:
        assert await first.try_take()
        assert not await second.try_take()
        await first.close()  # the leader's session ends (its process died)
        # The server lets go of the lock as the session's backend exits, a moment after the
        # client closed: taken soon, not necessarily at the very next call.
        await wait_until(second.try_take, 5, "the leader lock free")
    finally:
        await first.close()
        await second.close()
