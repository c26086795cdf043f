"""The leader's housekeeping over real HTTP on a real PostgreSQL: the Telegram stand-in serving a
bot per shop and the platform bot; time driven by a fake clock (a round is called, or the
leader runs rounds back to back)."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import psycopg
import pytest
from telegram import Bot
from telegram.ext import Application

from bot.platform.config import load_platform_settings
from bot.platform.hosting import shop_store
from bot.platform.housekeeping import Checked, Housekeeping, HousekeepingOptions, Purged
from bot.platform.leader import LeaderLock, PlatformBotLeader
from bot.platform.platform_bot import notify_suspended
from bot.platform.secrets import SecretBox
from bot.platform.shops import HostedShop, ShopDirectory
from devtools.telegram import TelegramStandin
from storage import Tx
from storage.postgres import PostgresStore
from tests.platform.conftest import LOOKUP
from tests.support.waiting import wait_until
from tests.support.world import FakeClock

PLATFORM = "5000000001:PLATFORMplatformPLATFORMplatform12345"
PUBLIC = "https://warung.example.com"
HOUR = 3600.0


@dataclass
class Hosted:
    shop: HostedShop
    bot: TelegramStandin
    secret: str

    @property
    def url(self) -> str:
        return f"{PUBLIC}/tg/{self.shop.shop_key}"


@dataclass
class Platform:
    telegram: TelegramStandin
    directory: ShopDirectory
    store: PostgresStore
    dsn: str
    clock: FakeClock
    http: httpx.AsyncClient
    shops: dict[str, Hosted]
    told: list[tuple[int, str]]

    def housekeeping(self, **options: Any) -> Housekeeping:
        async def tell_seller(shop: HostedShop, reason: str) -> None:
            self.told.append((shop.id, reason))
            async with Bot(PLATFORM, base_url=self.telegram.base_url or "") as bot:
                await notify_suspended(bot, self.directory, shop, reason)

        return Housekeeping(
            self.store,
            self.directory,
            self.http,
            telegram_base_url=self.telegram.base_url or "",
            public_base_url=PUBLIC,
            clock=self.clock,
            options=HousekeepingOptions(rate=50, **options),
            on_suspended=tell_seller,
        )


@pytest.fixture
async def platform(
    pg_store: PostgresStore, pg_database: str, secret_box: SecretBox
) -> AsyncIterator[Platform]:
    telegram = TelegramStandin(token=PLATFORM, bot_username="warung_platform_bot")
    clock = FakeClock()
    directory = ShopDirectory(pg_store, secret_box, LOOKUP, clock)
    async with telegram.serve(), httpx.AsyncClient() as http:
        shops: dict[str, Hosted] = {}
        for n, name in enumerate("ABC"):
            bot = telegram.add_bot(username=f"toko_{name}_bot")
            secret = f"secret-{name}"
            shop = await directory.create(
                owner_user_id=9000 + n,
                bot_token=bot.token,
                bot_username=f"toko_{name}_bot",
                shop_key=f"key-{name}",
                webhook_secret=secret,
                midtrans_server_key=f"SB-Mid-server-Toko{name}_000{n}",
                midtrans_environment="sandbox",
            )
            hosted = Hosted(shop, bot, secret)
            bot.webhook_url, bot.webhook_secret = hosted.url, secret  # as onboarding left it
            shops[name] = hosted
        yield Platform(telegram, directory, pg_store, pg_database, clock, http, shops, [])


def info_calls(hosted: Hosted) -> int:
    return len(hosted.bot.calls_to("getWebhookInfo"))


async def test_a_removed_or_moved_webhook_is_set_again_with_its_secret(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    a, b, c = (platform.shops[name] for name in "ABC")
    a.bot.webhook_url, a.bot.webhook_secret = "", None  # the seller deleted it
    b.bot.webhook_url, b.bot.webhook_secret = "https://elsewhere.example.org/hook", None
    housekeeping = platform.housekeeping()
    assert not await housekeeping.check_webhooks()  # nothing due: checked at onboarding

    platform.clock.advance(HOUR + 1)
    with caplog.at_level(logging.INFO):
        await housekeeping.round()

    assert (a.bot.webhook_url, a.bot.webhook_secret) == (a.url, "secret-A")
    assert (b.bot.webhook_url, b.bot.webhook_secret) == (b.url, "secret-B")
    assert a.bot.webhook_allowed_updates and "callback_query" in a.bot.webhook_allowed_updates
    assert c.bot.calls_to("setWebhook") == []  # C's webhook was fine
    assert [info_calls(hosted) for hosted in (a, b, c)] == [1, 1, 1]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"shop {a.shop.id}: its webhook was not set; set again" in logged
    assert f"shop {b.shop.id}: its webhook pointed elsewhere; set again" in logged
    assert "secret-" not in logged and "elsewhere.example.org" not in logged

    await housekeeping.round()  # the next round: each was checked an hour ago at most
    platform.clock.advance(HOUR / 2)
    await housekeeping.round()
    assert [info_calls(hosted) for hosted in (a, b, c)] == [1, 1, 1]
    platform.clock.advance(HOUR / 2 + 1)
    await housekeeping.round()
    assert [info_calls(hosted) for hosted in (a, b, c)] == [2, 2, 2]
    assert platform.telegram.violations == []


async def test_a_revoked_token_suspends_only_its_shop_and_its_seller_is_told(
    platform: Platform,
) -> None:
    a, b = platform.shops["A"], platform.shops["B"]
    seller = platform.telegram.user(a.shop.owner_user_id, first_name="Siti", started=True)
    other_seller = platform.telegram.user(b.shop.owner_user_id, started=True)
    a.bot.revoke()
    platform.clock.advance(HOUR + 1)

    await platform.housekeeping().round()

    suspended, served = (
        await platform.directory.get(a.shop.id),
        await platform.directory.get(b.shop.id),
    )
    assert suspended is not None and suspended.status == "suspended"
    assert "401" in suspended.status_reason
    assert served is not None and served.status == "active"
    told = await platform.telegram.wait_for_message(seller, contains="@toko_A_bot", timeout=10)
    assert "401" in told.text and any("token" in b.text.lower() for b in told.buttons)
    assert platform.telegram.messages(other_seller) == []
    assert [shop_id for shop_id, _ in platform.told] == [a.shop.id]
    platform.clock.advance(HOUR + 1)
    await platform.housekeeping().round()  # a suspended shop is not looked at again
    assert [shop_id for shop_id, _ in platform.told] == [a.shop.id]


async def test_telegram_failing_to_reach_a_shop_is_a_warning_and_a_lost_secret_is_set_again(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    a, b, c = (platform.shops[name] for name in "ABC")
    platform.clock.advance(HOUR + 1)
    now = platform.clock().timestamp()
    a.bot.webhook_failing("Connection timed out", at=now - 60)
    a.bot.user(1001).send_text("halo")  # waits at Telegram
    b.bot.webhook_failing("Wrong response from the webhook: 401 Unauthorized", at=now - 60)
    b.bot.webhook_secret = None  # someone set our URL again, without the shop's secret
    c.bot.webhook_failing("Connection timed out", at=now - 2 * HOUR)  # long ago, none waiting
    housekeeping = platform.housekeeping()

    with caplog.at_level(logging.INFO):
        checked = [await housekeeping.check_webhook(h.shop) for h in (a, b, c)]

    assert checked == [Checked.FAILING, Checked.SET_AGAIN, Checked.FINE]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"shop {a.shop.id}: Telegram cannot deliver to its webhook: Connection timed out"
        " (updates waiting: 1; last error 60 s ago)"
    ]
    assert a.bot.calls_to("setWebhook") == [] and c.bot.calls_to("setWebhook") == []
    assert b.bot.webhook_secret == "secret-B"


async def test_old_handled_updates_of_an_evicted_shop_are_purged_unhandled_ones_never(
    platform: Platform,
) -> None:
    a, b = platform.shops["A"], platform.shops["B"]
    now = platform.clock()
    old, recent = now - timedelta(days=2), now - timedelta(hours=1)
    store_a = shop_store(platform.store, a.shop.id)  # no worker ever loaded shop A
    for update_id, at in ((1, old), (2, recent), (3, old), (4, old)):
        await store_a.run(Tx.inbox_add, update_id, "{}", at)
    await store_a.run(Tx.inbox_done, [1, 4], old)
    await store_a.run(Tx.inbox_done, [2], recent)  # 3 stays unhandled, however old
    assert await platform.directory.delete(b.shop.id)
    store_b = shop_store(platform.store, b.shop.id)
    await store_b.run(Tx.inbox_add, 7, "{}", now)  # the edge took it as B was being deleted

    purged = await platform.housekeeping().purge()

    assert purged == Purged(inbox=2, deleted_shops=1)
    assert inbox_rows(platform.dsn) == [(a.shop.id, 2, True), (a.shop.id, 3, False)]
    assert await platform.housekeeping().purge() == Purged(0, 0)


def inbox_rows(dsn: str) -> list[tuple[int, int, bool]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT shop_id, update_id, handled_at IS NOT NULL FROM inbox ORDER BY 1, 2"
        ).fetchall()
    return [(int(r[0]), int(r[1]), bool(r[2])) for r in rows]


async def test_only_the_leader_runs_the_housekeeping_and_the_next_goes_on_where_it_stopped(
    platform: Platform,
) -> None:
    a = platform.shops["A"]
    a.bot.webhook_url, a.bot.webhook_secret = "", None
    platform.clock.advance(HOUR + 1)
    housekeepers = [platform.housekeeping(round_every=0.02) for _ in range(2)]

    def platform_bot() -> Any:
        return Application.builder().token(PLATFORM).base_url(platform.telegram.base_url).build()

    leaders = [
        PlatformBotLeader(
            LeaderLock(platform.dsn),
            platform_bot,
            retry=0.05,
            poll_timeout=1,
            housekeeping=housekeeping.run,
        )
        for housekeeping in housekeepers
    ]
    first, second = leaders
    try:
        await first.start()
        await wait_until(lambda: housekeepers[0].rounds > 0, 10, "the leader's first round")
        await second.start()
        rounds = housekeepers[0].rounds
        await wait_until(lambda: housekeepers[0].rounds > rounds + 20, 10, "more rounds")

        assert housekeepers[1].rounds == 0 and not second.leading.is_set()
        assert a.bot.webhook_url == a.url
        assert [info_calls(h) for h in platform.shops.values()] == [1, 1, 1]

        await first.stop()  # the leader's process ends: its lock goes with its session
        await wait_until(lambda: housekeepers[1].rounds > 0, 10, "the next leader's round")
        assert [info_calls(h) for h in platform.shops.values()] == [1, 1, 1]
        platform.clock.advance(HOUR + 1)
        await wait_until(
            lambda: [info_calls(h) for h in platform.shops.values()] == [2, 2, 2],
            10,
            "the next hour's checks by the new leader",
        )
    finally:
        for leader in leaders:
            await leader.stop()
    assert len(a.bot.calls_to("setWebhook")) == 1


async def test_the_checks_keep_to_the_rate_however_many_shops_are_due(platform: Platform) -> None:
    for n in range(27):  # 30 shops in all, every one due at once (a leader after an outage)
        bot = platform.telegram.add_bot()
        shop = await platform.directory.create(
            owner_user_id=9100 + n,
            bot_token=bot.token,
            bot_username=str(bot.bot_user["username"]),
            shop_key=f"key-{n}",
            webhook_secret=f"secret-{n}",
            midtrans_server_key=f"SB-Mid-server-Toko_{n:04d}",
            midtrans_environment="sandbox",
        )
        bot.webhook_url, bot.webhook_secret = f"{PUBLIC}/tg/{shop.shop_key}", f"secret-{n}"
    platform.clock.advance(HOUR + 1)
    rate = 20
    housekeeping = Housekeeping(  # rounds of rate x 0.5 s = 10 shops
        platform.store,
        platform.directory,
        platform.http,
        telegram_base_url=platform.telegram.base_url or "",
        public_base_url=PUBLIC,
        clock=platform.clock,
        options=HousekeepingOptions(rate=rate, round_every=0.5),
    )

    fuller = [await housekeeping.round() for _ in range(4)]

    assert fuller == [True, True, True, False]  # three full rounds, then none due
    calls = sorted(
        call.at for bot in platform.telegram.bots for call in bot.calls_to("getWebhookInfo")
    )
    assert len(calls) == 30
    # Never more than ``rate`` calls within a second: any rate + 1 calls in a row span one.
    spans = [calls[i + rate] - calls[i] for i in range(len(calls) - rate)]
    assert min(spans) >= 0.8, spans  # 1 s at the sender; arrival jitter under load


def test_the_interval_and_the_rate_are_settings() -> None:
    env = {
        "DATABASE_URL": "postgresql://warung@127.0.0.1/warung",
        "PLATFORM_MASTER_KEYS": "k1:" + base64.b64encode(bytes(32)).decode(),
        "PLATFORM_LOOKUP_KEY": base64.b64encode(bytes(16)).decode(),
        "PUBLIC_BASE_URL": PUBLIC,
        "PLATFORM_BOT_TOKEN": PLATFORM,
    }
    defaults = load_platform_settings(env)
    chosen = load_platform_settings(
        {**env, "PLATFORM_WEBHOOK_CHECK_INTERVAL": "6 jam", "PLATFORM_HOUSEKEEPING_RATE": "20"}
    )

    assert (defaults.webhook_check_interval, defaults.housekeeping_rate) == (timedelta(hours=1), 5)
    assert (chosen.webhook_check_interval, chosen.housekeeping_rate) == (timedelta(hours=6), 20)
