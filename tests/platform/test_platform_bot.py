"""The platform bot end to end: a seller in the platform's own bot, the Telegram stand-in serving
the platform bot and the sellers' bots, the Midtrans sandboxes of both environments, and a real
PostgreSQL directory, all over real HTTP."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from telegram.ext import Application

from bot.logging_filter import SecretMask
from bot.platform.onboarding import Onboarding
from bot.platform.platform_bot import (
    PlatformBot,
    build_application,
    notify_suspended,
    set_commands,
)
from bot.platform.shops import HostedShop, ShopDirectory
from devtools.midtrans import MidtransSandbox
from devtools.telegram import FakeUser, TelegramStandin
from storage import Tx
from storage.postgres import PostgresStore
from tests.support.servers import serve_app

PLATFORM = "5000000001:PLATFORMplatformPLATFORMplatform12345"
SANDBOX_KEY = "SB-Mid-server-KopiBuSiti_0001"
LIVE_KEY = "Mid-server-KopiBuSiti_LIVE_0001"
PUBLIC = "https://warung.example.com"
SELLER = 5150
OTHER_SELLER = 6160


@dataclass
class Platform:
    telegram: TelegramStandin
    sandbox: MidtransSandbox
    directory: ShopDirectory
    store: PostgresStore
    application: Application  # type: ignore[type-arg]
    mask: SecretMask  # the operator's log mask, told each pasted secret by onboarding

    def seller(self, user_id: int = SELLER, lang: str = "en") -> FakeUser:
        return self.telegram.user(user_id, first_name="Siti", language_code=lang, started=True)

    async def shops(self, owner: int = SELLER) -> list[HostedShop]:
        return await self.directory.of_owner(owner)

    async def new_shop(self, seller: FakeUser, username: str) -> HostedShop:
        """The whole /newshop path with a valid token and key; the created shop."""
        bot = self.telegram.add_bot(username=username)
        await seller.ask("/newshop")
        await seller.ask(bot.token)
        await seller.ask(SANDBOX_KEY)
        (shop,) = [s for s in await self.shops(seller.id) if s.bot_username == username]
        return shop


@pytest.fixture
async def platform(directory: ShopDirectory, pg_store: PostgresStore) -> AsyncIterator[Platform]:
    telegram = TelegramStandin(token=PLATFORM, bot_username="warung_platform_bot")
    sandbox = MidtransSandbox(SANDBOX_KEY, environment="sandbox")
    production = MidtransSandbox(LIVE_KEY, environment="production")
    mask = SecretMask([PLATFORM])
    async with (
        telegram.serve() as telegram_url,
        serve_app(sandbox.app) as sandbox_url,
        serve_app(production.app) as production_url,
        httpx.AsyncClient(timeout=5.0) as http,
    ):
        onboarding = Onboarding(
            http=http,
            telegram_base_url=telegram_url.removesuffix("/bot"),
            public_base_url=PUBLIC,
            hash_token=directory.token_hash,
            midtrans_urls={"sandbox": sandbox_url, "production": production_url},
            platform_bot_id=5000000001,
            remember_secret=mask.add,
        )
        application = build_application(
            PLATFORM, PlatformBot(onboarding, directory), base_url=telegram_url
        )
        await application.initialize()
        await set_commands(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            yield Platform(telegram, sandbox, directory, pg_store, application, mask)
        finally:
            await application.updater.stop()
            await application.stop()
            await application.shutdown()
    assert telegram.violations == [], telegram.violations


def _deleted_user_messages(telegram: TelegramStandin, seller: FakeUser) -> int:
    return telegram.transcript(seller).count("bot deletes the user's message")


async def test_a_valid_token_and_key_make_a_live_shop_owned_by_the_seller(
    platform: Platform,
) -> None:
    telegram, seller = platform.telegram, platform.seller()
    shop_bot = telegram.add_bot(username="kopi_bu_siti_bot", first_name="Kopi Bu Siti")

    (asked,) = await seller.ask("/newshop")
    assert "@BotFather" in asked.text and "/newbot" in asked.text
    started = time.perf_counter()
    seller.send_text(shop_bot.token)
    ask_key = await telegram.wait_for_message(seller, contains="Step 2 of 2")
    seller.send_text(SANDBOX_KEY)
    live = await telegram.wait_for_message(seller, contains="is live")
    onboarding_seconds = time.perf_counter() - started
    print(f"\nonboarding: token pasted to shop live in {onboarding_seconds:.3f} s")

    assert "@kopi_bu_siti_bot" in ask_key.text
    assert "Indomaret channel active" in ask_key.text and "402" in ask_key.text
    assert live.text.startswith("Your shop @kopi_bu_siti_bot is live (sandbox (testing))")
    assert "/admin" in live.text
    (shop,) = await platform.shops()
    assert (shop.bot_username, shop.status, shop.midtrans_environment) == (
        "kopi_bu_siti_bot",
        "active",
        "sandbox",
    )
    assert (shop.bot_token, shop.midtrans_server_key) == (shop_bot.token, SANDBOX_KEY)
    assert shop_bot.webhook_url == f"{PUBLIC}/tg/{shop.shop_key}"
    assert shop_bot.webhook_secret == shop.webhook_secret
    assert await platform.store.for_shop(shop.id).run(Tx.admins) == {SELLER: True}
    # Both pasted secrets were deleted from the chat; no bot message repeats one.
    assert _deleted_user_messages(telegram, seller) == 2
    shown = " ".join(m.text for m in telegram.messages(seller))
    assert shop_bot.token not in shown and SANDBOX_KEY not in shown
    assert onboarding_seconds < 5


async def test_pasted_secrets_never_reach_a_log_line(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    seller = platform.seller()
    bot = platform.telegram.add_bot(username="kopi_bu_siti_bot")
    caplog.handler.addFilter(platform.mask)  # as bot.logging_filter.install does
    with caplog.at_level(logging.DEBUG):
        await seller.ask("/newshop")
        await seller.ask(bot.token)
        await seller.ask(SANDBOX_KEY)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Processing update" in logged  # PTB's DEBUG lines were there, masked
    assert bot.token.split(":")[1] not in logged and SANDBOX_KEY not in logged
    assert PLATFORM.split(":")[1] not in logged


async def test_indonesian_is_the_default_language(platform: Platform) -> None:
    seller = platform.seller(lang="id")
    bot = platform.telegram.add_bot(username="warung_mbok_bot")
    (asked,) = await seller.ask("/newshop")
    assert asked.text.startswith("Langkah 1 dari 2: bot toko Anda")
    await seller.ask(bot.token)
    (live,) = await seller.ask(SANDBOX_KEY)
    assert live.text.startswith("Toko Anda @warung_mbok_bot sudah buka")


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [
        ("hello there", "That is not a bot token"),
        ("7999999999:AAnobodyNOBODYnobodyNOBODYnobody1234", "Telegram refused this token"),
        (PLATFORM, "this platform's own bot token"),
    ],
)
async def test_a_bad_token_is_one_clear_message_and_the_seller_may_paste_again(
    platform: Platform, pasted: str, expected: str
) -> None:
    seller = platform.seller()
    await seller.ask("/newshop")
    (refused,) = await seller.ask(pasted)
    assert expected in refused.text.split(".")[0]
    assert await platform.shops() == []
    # The question stands: the right token now works.
    bot = platform.telegram.add_bot(username="second_try_bot")
    (ask_key,) = await seller.ask(bot.token)
    assert "Step 2 of 2" in ask_key.text


async def test_a_token_another_shop_has_is_refused_and_its_bot_untouched(
    platform: Platform,
) -> None:
    first = await platform.new_shop(platform.seller(), "kopi_bu_siti_bot")
    (bot,) = [b for b in platform.telegram.bots if b.bot_user["username"] == "kopi_bu_siti_bot"]
    webhook = bot.webhook_url
    other = platform.seller(OTHER_SELLER)

    await other.ask("/newshop")
    (refused,) = await other.ask(bot.token)

    assert refused.text.startswith("This bot is already connected to another shop")
    assert await platform.shops(OTHER_SELLER) == []
    assert bot.webhook_url == webhook == f"{PUBLIC}/tg/{first.shop_key}"
    assert _deleted_user_messages(platform.telegram, other) == 1


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("SB-Mid-server-SomebodyElse_9999", "Midtrans sandbox (testing) refused this key"),
        (SANDBOX_KEY.removeprefix("SB-"), "Midtrans production (real money) refused this key"),
        ("SB-Mid-client-KopiBuSiti_0001", "That is the Client Key"),
        ("my password", "That is not a Midtrans Server Key"),
    ],
)
async def test_a_bad_key_is_one_clear_message_and_nothing_is_created(
    platform: Platform, key: str, expected: str
) -> None:
    seller = platform.seller()
    bot = platform.telegram.add_bot(username="kopi_bu_siti_bot")
    await seller.ask("/newshop")
    await seller.ask(bot.token)

    (refused,) = await seller.ask(key)

    assert refused.text.startswith(expected)
    assert await platform.shops() == []
    assert key not in " ".join(m.text for m in platform.telegram.messages(seller))
    (live,) = await seller.ask(SANDBOX_KEY)  # the question stands
    assert "is live" in live.text


async def test_cancel_creates_nothing(platform: Platform) -> None:
    seller = platform.seller()
    bot = platform.telegram.add_bot()
    await seller.ask("/newshop")
    await seller.ask(bot.token)
    (cancelled,) = await seller.ask("/cancel")
    assert cancelled.text == "Cancelled. Nothing was changed."
    (after,) = await seller.ask(SANDBOX_KEY)  # no longer read as a key, deleted all the same
    assert after.text.startswith("Welcome!") and "/newshop" in after.text
    assert _deleted_user_messages(platform.telegram, seller) == 2
    assert await platform.shops() == []


async def test_pause_resume_and_delete_with_a_confirmation_naming_the_shop(
    platform: Platform,
) -> None:
    seller = platform.seller()
    shop = await platform.new_shop(seller, "kopi_bu_siti_bot")
    kept = await platform.new_shop(seller, "roti_bu_siti_bot")

    (listing,) = await seller.ask("/myshops")
    assert listing.button_texts == ["@kopi_bu_siti_bot", "@roti_bu_siti_bot"]
    (card,) = await seller.choose("@kopi_bu_siti_bot")
    assert "Status: open" in card.text
    (card,) = await seller.choose("Pause shop")
    assert "Status: paused by you" in card.text and "Resume shop" in card.button_texts
    assert (await platform.directory.get(shop.id)).status == "paused"  # type: ignore[union-attr]
    (card,) = await seller.choose("Resume shop")
    assert "Status: open" in card.text
    assert (await platform.directory.get(shop.id)).active  # type: ignore[union-attr]

    (confirm,) = await seller.choose("Delete shop")
    assert confirm.text.startswith("Delete the shop @kopi_bu_siti_bot for good?")
    assert confirm.button_texts == ["Yes, delete @kopi_bu_siti_bot", "No, keep it"]
    (card,) = await seller.choose("No, keep it")
    assert await platform.directory.get(shop.id) is not None
    await seller.choose("Delete shop")
    (done,) = await seller.choose("Yes, delete @kopi_bu_siti_bot")

    assert done.text == "The shop @kopi_bu_siti_bot is deleted with its data."
    assert await platform.directory.get(shop.id) is None
    assert await platform.store.for_shop(shop.id).run(Tx.admins) == {}
    assert [s.id for s in await platform.shops()] == [kept.id]
    (bot,) = [b for b in platform.telegram.bots if b.bot_user["username"] == "kopi_bu_siti_bot"]
    assert bot.webhook_url == ""  # Telegram no longer sends its updates to the platform


async def test_only_the_owner_can_act_on_a_shop(platform: Platform) -> None:
    owner = platform.seller()
    shop = await platform.new_shop(owner, "kopi_bu_siti_bot")
    stranger = platform.seller(OTHER_SELLER)
    (nothing,) = await stranger.ask("/myshops")
    assert nothing.text.startswith("You have no shop yet")

    for code in ("lc", "lp", "ld", "lz", "lk", "lt"):
        query = stranger.tap_data(f"{code}:{shop.id}", nothing)
        answered = await platform.telegram.wait_for_answer(query)
        assert answered.get("text") == "This button is not for a shop of yours."
    for forged in ("lp:99999999999999999999999", "lp:abc", "lp"):
        query = stranger.tap_data(forged, nothing)
        assert (await platform.telegram.wait_for_answer(query)).get("text")

    still = await platform.directory.get(shop.id)
    assert still is not None and still.active and still.midtrans_server_key == SANDBOX_KEY
    assert await platform.store.for_shop(shop.id).run(Tx.admins) == {SELLER: True}


async def test_rotating_the_key_and_replacing_the_token(platform: Platform) -> None:
    seller = platform.seller()
    shop = await platform.new_shop(seller, "kopi_bu_siti_bot")
    await seller.ask("/myshops")
    await seller.choose("@kopi_bu_siti_bot")

    (asked,) = await seller.choose("Replace Server Key")
    assert "new Midtrans Server Key for @kopi_bu_siti_bot" in asked.text
    (refused,) = await seller.ask("SB-Mid-server-SomebodyElse_9999")
    assert "refused this key" in refused.text
    (done,) = await seller.ask(LIVE_KEY)
    assert done.text == "The Server Key of @kopi_bu_siti_bot is replaced (production (real money))."
    rotated = await platform.directory.get(shop.id)
    assert rotated is not None
    assert (rotated.midtrans_server_key, rotated.midtrans_environment) == (LIVE_KEY, "production")

    old_bot = platform.telegram.bot_for(shop.bot_token)
    assert old_bot is not None
    new_bot = platform.telegram.add_bot(username="kopi_baru_bot")
    await seller.ask("/myshops")
    await seller.choose("@kopi_bu_siti_bot")
    await seller.choose("Replace bot token")
    (done,) = await seller.ask(new_bot.token)
    assert done.text == "Your shop is now served by @kopi_baru_bot."
    replaced = await platform.directory.get(shop.id)
    assert replaced is not None and replaced.bot_token == new_bot.token
    assert new_bot.webhook_url == f"{PUBLIC}/tg/{shop.shop_key}"
    assert new_bot.webhook_secret == replaced.webhook_secret != shop.webhook_secret
    assert old_bot.webhook_url == ""
    assert _deleted_user_messages(platform.telegram, seller) == 5  # 2 at /newshop, 3 here


async def test_a_suspended_shops_seller_is_told_through_the_platform_bot(
    platform: Platform,
) -> None:
    seller = platform.seller()
    shop = await platform.new_shop(seller, "kopi_bu_siti_bot")
    bot = platform.application.bot

    assert not await notify_suspended(bot, platform.directory, shop, "<token revoked>")
    assert await platform.directory.suspend(shop.id, "Telegram refused the token (401)")
    assert await notify_suspended(
        bot, platform.directory, shop, "Telegram refused the <bot> token (401)"
    )

    told = await platform.telegram.wait_for_message(seller, contains="was stopped")
    assert told.text.startswith(
        "Your shop @kopi_bu_siti_bot was stopped by the platform: "
        "Telegram refused the <bot> token (401)\n"
    )
    assert told.button_texts == ["Replace bot token", "Resume shop"]
    await seller.ask("/myshops")
    (card,) = await seller.choose("@kopi_bu_siti_bot")
    assert "stopped by the platform: Telegram refused the token (401)" in card.text


async def test_the_suspension_notice_is_in_the_language_the_seller_last_used_with_us(
    platform: Platform,
) -> None:
    """The directory keeps the seller's language from /newshop, and again at each /myshops:
    a notice the seller did not ask for comes in it."""
    seller = platform.seller(lang="id")
    shop = await platform.new_shop(seller, "kopi_bu_siti_bot")
    bot = platform.application.bot
    assert await platform.directory.suspend(shop.id, "Telegram menolak token (401)")
    assert await notify_suspended(bot, platform.directory, shop, "Telegram menolak token (401)")
    told = await platform.telegram.wait_for_message(seller, contains="dihentikan")
    assert told.text.startswith("Toko Anda @kopi_bu_siti_bot dihentikan oleh platform")

    seller.language_code = "en-GB"  # the seller switched their Telegram to English
    await seller.ask("/myshops")
    assert await platform.directory.resume(shop.id)
    assert await platform.directory.suspend(shop.id, "Telegram refused the token (401)")
    assert await notify_suspended(bot, platform.directory, shop, "Telegram refused the token")
    told = await platform.telegram.wait_for_message(seller, contains="was stopped")
    assert told.text.startswith("Your shop @kopi_bu_siti_bot was stopped by the platform")
    assert told.button_texts == ["Replace bot token", "Resume shop"]

    english = platform.seller(OTHER_SELLER, lang="en")  # English from their first /newshop
    other = await platform.new_shop(english, "roti_pak_budi_bot")
    assert await platform.directory.suspend(other.id, "Telegram refused the token (401)")
    assert await notify_suspended(bot, platform.directory, other, "Telegram refused the token")
    told = await platform.telegram.wait_for_message(english, contains="was stopped")
    assert told.text.startswith("Your shop @roti_pak_budi_bot was stopped by the platform")


async def test_a_token_for_a_shop_deleted_meanwhile_is_not_read_but_still_deleted(
    platform: Platform,
) -> None:
    seller = platform.seller()
    shop = await platform.new_shop(seller, "kopi_bu_siti_bot")
    await seller.ask("/myshops")
    await seller.choose("@kopi_bu_siti_bot")
    await seller.choose("Replace bot token")
    assert await platform.directory.delete(shop.id)  # e.g. from another device's /myshops
    new_bot = platform.telegram.add_bot(username="kopi_baru_bot")

    (gone,) = await seller.ask(new_bot.token)

    assert gone.text == "This shop no longer exists."
    assert new_bot.calls == [] and new_bot.webhook_url == ""
    assert _deleted_user_messages(platform.telegram, seller) == 3


async def test_a_shop_stopped_for_a_revoked_token_resumes_only_with_a_token_telegram_takes(
    platform: Platform,
) -> None:
    seller = platform.seller()
    shop = await platform.new_shop(seller, "kopi_bu_siti_bot")
    shop_bot = platform.telegram.bot_for(shop.bot_token)
    assert shop_bot is not None
    shop_bot.revoke()
    assert await platform.directory.suspend(shop.id, "Telegram refused the token (401)")
    bot = platform.application.bot
    assert await notify_suspended(bot, platform.directory, shop, "401")
    told = await platform.telegram.wait_for_message(seller, contains="stopped by the platform")

    query = seller.tap("Resume shop", told)
    refused = await platform.telegram.wait_for_answer(query)
    assert str(refused.get("text", "")).startswith("Telegram refused this token")
    assert (await platform.directory.get(shop.id)).status == "suspended"  # type: ignore[union-attr]

    await seller.choose("Replace bot token", told)
    (done,) = await seller.ask(shop_bot.token)  # the new token BotFather gave
    assert done.text == "Your shop is now served by @kopi_bu_siti_bot."
    query = seller.tap("Resume shop", told)
    assert (await platform.telegram.wait_for_answer(query)).get("text") == (
        "@kopi_bu_siti_bot is open again."
    )
    assert (await platform.directory.get(shop.id)).active  # type: ignore[union-attr]


async def test_one_sellers_slow_key_check_holds_no_other_seller(platform: Platform) -> None:
    slow, other = platform.seller(), platform.seller(OTHER_SELLER)
    bot = platform.telegram.add_bot(username="kopi_bu_siti_bot")
    await slow.ask("/newshop")
    await slow.ask(bot.token)
    platform.sandbox.add_fault(delay_seconds=3.0)
    start = len(platform.telegram.calls)
    slow.send_text(SANDBOX_KEY)
    await platform.telegram.wait_for_call("deleteMessage", start=start)  # the key is being read

    other.send_text("/newshop")
    await platform.telegram.wait_for_message(other, contains="Step 1 of 2", timeout=2.5)

    assert platform.sandbox.slow_answers == 0  # the first seller's check was still waiting
    await platform.telegram.wait_for_message(slow, contains="is live")


async def test_the_command_menu_in_both_languages(platform: Platform) -> None:
    assert [c["command"] for c in platform.telegram.commands()] == ["newshop", "myshops", "cancel"]
    english = platform.telegram.commands(language_code="en")
    assert english[0] == {"command": "newshop", "description": "Make a new shop"}
