"""Onboarding against the Telegram stand-in (many bots) and the Midtrans sandboxes of both
environments, over real HTTP: each outcome a seller can meet, with the message they read."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from bot.logging_filter import install
from bot.platform.onboarding import CheckedBot, CheckedKey, Onboarding, Refusal, Webhook
from bot.platform.secrets import token_hash
from devtools.midtrans import MidtransSandbox
from devtools.telegram import TelegramStandin
from tests.support.servers import serve_app

PLATFORM = "5000000001:PLATFORMplatformPLATFORMplatform12345"
LOOKUP = b"lookup-key-for-tests-0123456789"
SANDBOX_KEY = "SB-Mid-server-KopiBuSiti_0001"
LIVE_KEY = "Mid-server-KopiBuSiti_LIVE_0001"


@dataclass
class Stands:
    telegram: TelegramStandin
    sandbox: MidtransSandbox
    production: MidtransSandbox
    onboarding: Onboarding
    taken: set[str]
    log: io.StringIO

    async def token_taken(self, digest: str) -> bool:
        return digest in self.taken


@pytest.fixture
async def stands() -> AsyncIterator[Stands]:
    telegram = TelegramStandin(token=PLATFORM, bot_username="warung_platform_bot")
    sandbox = MidtransSandbox(SANDBOX_KEY, environment="sandbox")
    production = MidtransSandbox(LIVE_KEY, environment="production")
    log = io.StringIO()
    logger = logging.getLogger("test.onboarding")
    logger.handlers.clear()
    logger.addHandler(logging.StreamHandler(log))
    mask = install([], logger)
    async with (
        telegram.serve() as telegram_url,
        serve_app(sandbox.app) as sandbox_url,
        serve_app(production.app) as production_url,
        httpx.AsyncClient(timeout=5.0) as http,
    ):
        onboarding = Onboarding(
            http=http,
            telegram_base_url=telegram_url.removesuffix("/bot"),
            public_base_url="https://warung.example.com",
            hash_token=lambda token: token_hash(token, LOOKUP),
            midtrans_urls={"sandbox": sandbox_url, "production": production_url},
            platform_bot_id=5000000001,
            remember_secret=mask.add,
        )
        yield Stands(telegram, sandbox, production, onboarding, set(), log)


async def test_a_valid_token_becomes_a_shop_bot_with_its_webhook(stands: Stands) -> None:
    shop = stands.telegram.add_bot(username="kopi_bu_siti_bot", first_name="Kopi Bu Siti")
    shop.user(1001).send_text("an update from before the platform")
    checked = await stands.onboarding.check_token(
        f"  {shop.token}\n", token_taken=stands.token_taken
    )
    assert checked == CheckedBot(
        bot_id=int(shop.token.split(":")[0]),
        username="kopi_bu_siti_bot",
        first_name="Kopi Bu Siti",
        token_hash=token_hash(shop.token, LOOKUP),
    )
    assert shop.calls_to("setWebhook") == []  # checking changes nothing
    hook = await stands.onboarding.attach_webhook(shop.token)
    assert isinstance(hook, Webhook)
    assert hook.url == f"https://warung.example.com/tg/{hook.shop_key}"
    assert len(hook.shop_key) >= 22 and hook.secret_token not in repr(hook)
    assert shop.webhook_url == hook.url and shop.webhook_secret == hook.secret_token
    assert shop.pending_updates == []  # old updates cleared
    assert [c.method for c in shop.calls] == [
        "getMe",
        "deleteWebhook",
        "setWebhook",
        "getWebhookInfo",
    ]
    again = await stands.onboarding.attach_webhook(shop.token)
    assert isinstance(again, Webhook) and again.shop_key != hook.shop_key
    assert again.secret_token != hook.secret_token
    assert stands.telegram.violations == [] and shop.violations == []


@pytest.mark.parametrize(
    "pasted",
    ["", "hello", "123456", "123:short", "abc:AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "1:" + "x" * 19],
)
async def test_a_pasted_text_that_is_no_token_is_refused_without_a_call(
    stands: Stands, pasted: str
) -> None:
    refused = await stands.onboarding.check_token(pasted, token_taken=stands.token_taken)
    assert refused == Refusal("platform.token.format")
    assert "@BotFather" in refused.text("id") and "colon" in refused.text("en")
    assert stands.telegram.calls == []


async def test_a_token_telegram_refuses_gets_one_clear_message(stands: Stands) -> None:
    shop = stands.telegram.add_bot()
    old = shop.token
    shop.revoke()
    for token in (old, "7999999999:AAnobodyNOBODYnobodyNOBODYnobody1234"):
        refused = await stands.onboarding.check_token(token, token_taken=stands.token_taken)
        assert refused == Refusal("platform.token.refused")
        assert refused.text("en").startswith("Telegram refused this token")
        assert refused.text("id").startswith("Telegram menolak token ini")
    assert stands.log.getvalue() == "" or old.split(":")[1] not in stands.log.getvalue()


async def test_a_token_another_shop_has_is_refused_before_any_change(stands: Stands) -> None:
    shop = stands.telegram.add_bot()
    stands.taken.add(token_hash(shop.token, LOOKUP))
    shop.user(1001).send_text("the other shop's customer")
    refused = await stands.onboarding.check_token(shop.token, token_taken=stands.token_taken)
    assert refused == Refusal("platform.token.taken")
    assert "another shop" in refused.text("en") and "toko lain" in refused.text("id")
    assert [c.method for c in shop.calls] == ["getMe"]  # the other shop's bot is untouched
    assert len(shop.pending_updates) == 1


async def test_the_platforms_own_token_is_refused(stands: Stands) -> None:
    refused = await stands.onboarding.check_token(PLATFORM, token_taken=stands.token_taken)
    assert refused == Refusal("platform.token.platform_bot")


async def test_telegram_trouble_is_try_again_later(stands: Stands) -> None:
    shop = stands.telegram.add_bot()
    shop.fail("getMe", 429, times=1, retry_after=3600)
    refused = await stands.onboarding.check_token(shop.token, token_taken=stands.token_taken)
    assert refused == Refusal("platform.token.later")
    shop.fail("getWebhookInfo", 502, times=1)
    assert await stands.onboarding.attach_webhook(shop.token) == Refusal("platform.webhook.failed")
    assert stands.telegram.add_bot().token not in stands.log.getvalue()


async def test_a_valid_server_key_of_each_environment(stands: Stands) -> None:
    assert await stands.onboarding.check_server_key(SANDBOX_KEY) == CheckedKey("sandbox")
    assert await stands.onboarding.check_server_key(f" {LIVE_KEY} ") == CheckedKey("production")
    (probe,) = [r.path for r in stands.sandbox.requests]
    assert probe.startswith("/v2/warung-keycheck-") and probe.endswith("/status")
    assert stands.sandbox.transactions == {} and stands.production.transactions == {}


async def test_a_wrong_key_is_refused_naming_the_environment(stands: Stands) -> None:
    refused = await stands.onboarding.check_server_key("SB-Mid-server-SomebodyElse_9999")
    assert refused == Refusal("platform.key.refused", environment="sandbox")
    assert refused.text("en").startswith("Midtrans sandbox (testing) refused this key")
    assert "SomebodyElse" not in stands.log.getvalue()


async def test_a_key_of_the_other_environment_is_refused(stands: Stands) -> None:
    # The seller's sandbox merchant key, pasted with the production prefix (the dashboards
    # look alike): production does not know it.
    refused = await stands.onboarding.check_server_key(SANDBOX_KEY.removeprefix("SB-"))
    assert refused == Refusal("platform.key.refused", environment="production")
    assert "other environment" in refused.text("en") and "lingkungan lain" in refused.text("id")


async def test_a_platform_for_real_money_takes_production_keys_only(stands: Stands) -> None:
    async with httpx.AsyncClient() as http:
        strict = Onboarding(
            http=http,
            telegram_base_url="http://127.0.0.1:9",
            public_base_url="https://warung.example.com",
            hash_token=lambda token: token_hash(token, LOOKUP),
            accepted=("production",),
        )
        refused = await strict.check_server_key(SANDBOX_KEY)
    assert refused == Refusal(
        "platform.key.environment_not_accepted", environment="sandbox", accepted=("production",)
    )
    assert refused.text("en") == (
        "This platform takes production (real money) keys only. "
        "The key you pasted is for sandbox (testing)."
    )
    assert stands.sandbox.requests == []


async def test_a_client_key_is_refused(stands: Stands) -> None:
    refused = await stands.onboarding.check_server_key("SB-Mid-client-KopiBuSiti_0001")
    assert refused == Refusal("platform.key.client_key")
    assert "Client Key" in refused.text("en") and "Server Key" in refused.text("id")
    assert stands.sandbox.requests == []


@pytest.mark.parametrize(
    "pasted", ["", "hello", "Mid-server-", "SB-Mid-server-a b c", "VT-server-x"]
)
async def test_a_pasted_text_that_is_no_server_key_is_refused(stands: Stands, pasted: str) -> None:
    assert await stands.onboarding.check_server_key(pasted) == Refusal("platform.key.format")
    assert stands.sandbox.requests == []


async def test_midtrans_trouble_is_try_again_later(stands: Stands) -> None:
    stands.sandbox.add_fault(fail_status=503)
    refused = await stands.onboarding.check_server_key(SANDBOX_KEY)
    assert refused == Refusal("platform.key.later")
    assert "try again" in refused.text("en").lower()
