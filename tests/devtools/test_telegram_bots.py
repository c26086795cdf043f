"""The Telegram stand-in serves many bot tokens at once, each its own bot, as Telegram does for
a platform hosting many shops: identity, chats, updates, webhook, revocation and faults apart."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot
from telegram.error import BadRequest, InvalidToken

from devtools.telegram import TelegramStandin

PLATFORM = "5000000001:PLATFORMplatformPLATFORMplatform12345"
SHOP_A = "7000000101:AAkopiKOPIkopiKOPIkopiKOPIkopiKOPI12"
SHOP_B = "7000000202:AAroti_ROTIrotiROTIrotiROTIrotiROTI3"


@pytest.fixture
async def server() -> AsyncIterator[TelegramStandin]:
    standin = TelegramStandin(token=PLATFORM, bot_username="warung_platform_bot")
    async with standin.serve():
        yield standin


async def call(
    standin: TelegramStandin, token: str, method: str, **params: object
) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{standin.base_url}{token}/{method}", json=params)


async def test_each_token_is_its_own_bot(server: TelegramStandin) -> None:
    kopi = server.add_bot(SHOP_A, username="kopi_bu_siti_bot", first_name="Kopi Bu Siti")
    roti = server.add_bot(SHOP_B, username="roti_pak_budi_bot")
    assert server.bots == [server, kopi, roti]
    assert kopi.base_url == server.base_url
    identities = {}
    for token in (PLATFORM, SHOP_A, SHOP_B):
        async with Bot(token, base_url=server.base_url or "") as bot:
            me = await bot.get_me()
            identities[token] = (me.id, me.username)
    assert identities == {
        PLATFORM: (5000000001, "warung_platform_bot"),
        SHOP_A: (7000000101, "kopi_bu_siti_bot"),
        SHOP_B: (7000000202, "roti_pak_budi_bot"),
    }


async def test_the_same_user_has_separate_chats_and_updates_per_bot(
    server: TelegramStandin,
) -> None:
    kopi, roti = server.add_bot(SHOP_A), server.add_bot(SHOP_B)
    kopi.user(1001).send_text("/start")
    roti_user = roti.user(1001)  # same person, another bot: not started there
    async with Bot(SHOP_A, base_url=server.base_url or "") as bot_a:
        updates = await bot_a.get_updates(timeout=0)
        assert [u.message.text for u in updates if u.message] == ["/start"]
        await bot_a.send_message(1001, "Halo dari kopi")
    async with Bot(SHOP_B, base_url=server.base_url or "") as bot_b:
        assert await bot_b.get_updates(timeout=0) == ()
        with pytest.raises(Exception, match="can't initiate conversation"):
            await bot_b.send_message(1001, "Halo dari roti")
    assert [m.text for m in kopi.messages(1001)] == ["Halo dari kopi"]
    assert roti.messages(roti_user) == []
    assert server.calls_to("sendMessage") == []  # the platform bot's own record is untouched


async def test_unknown_and_revoked_tokens_answer_401(server: TelegramStandin) -> None:
    kopi = server.add_bot(SHOP_A)
    unknown = await call(server, "7000000999:AAnobodyNOBODYnobodyNOBODYnobody1234", "getMe")
    assert unknown.status_code == 401
    assert unknown.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    kopi.user(1001).send_text("/start")
    new_token = kopi.revoke()
    assert new_token != SHOP_A and new_token.startswith("7000000101:")
    assert (await call(server, SHOP_A, "getMe")).status_code == 401
    assert server.bot_for(SHOP_A) is None and server.bot_for(new_token) is kopi
    with pytest.raises(InvalidToken):
        async with Bot(SHOP_A, base_url=server.base_url or ""):
            pass  # initialize() calls getMe
    async with Bot(new_token, base_url=server.base_url or "") as renewed:
        assert (await renewed.get_me()).id == 7000000101
        updates = await renewed.get_updates(timeout=0)  # the bot lives on: same chats
        assert len(updates) == 1


async def test_calls_with_a_revoked_token_are_recorded_as_refused(
    server: TelegramStandin,
) -> None:
    kopi = server.add_bot(SHOP_A)
    kopi.user(1001).send_text("/start")
    kopi.revoke()
    answer = await call(server, SHOP_A, "sendMessage", chat_id=1001, text="halo")
    assert answer.status_code == 401
    refused = kopi.calls[-1]
    assert (refused.method, refused.status, refused.description) == (
        "sendMessage",
        401,
        "Unauthorized",
    )
    assert kopi.messages(1001) == []


async def test_a_single_bot_without_a_token_still_answers_to_any_token() -> None:
    standin = TelegramStandin()
    async with standin.serve():
        async with Bot("42:ANYanyANYany", base_url=standin.base_url or "") as bot:
            assert (await bot.get_me()).id == 42
        added = standin.add_bot()
        assert (await call(standin, "43:SOMEotherTOKEN", "getMe")).status_code == 401
        assert (await call(standin, "42:ANYanyANYany", "getMe")).status_code == 200
        assert (await call(standin, added.token, "getMe")).json()["result"]["id"] == int(
            added.token.split(":")[0]
        )


async def test_webhooks_are_per_bot_with_their_secret_token(server: TelegramStandin) -> None:
    kopi, roti = server.add_bot(SHOP_A), server.add_bot(SHOP_B)
    kopi.user(1001).send_text("old message")
    async with Bot(SHOP_A, base_url=server.base_url or "") as bot:
        info = await bot.get_webhook_info()
        assert info.url == "" and info.pending_update_count == 1
        assert await bot.delete_webhook(drop_pending_updates=True)
        assert (await bot.get_webhook_info()).pending_update_count == 0
        await bot.set_webhook("https://platform.example.com/tg/k3y", secret_token="s3cret_Token-1")
        info = await bot.get_webhook_info()
        assert info.url == "https://platform.example.com/tg/k3y"
        kopi.user(1001).send_text("new message")
        assert (await bot.get_webhook_info()).pending_update_count == 1
        with pytest.raises(BadRequest, match=r"(?i)https url"):
            await bot.set_webhook("http://platform.example.com/tg/k3y")
        with pytest.raises(BadRequest, match=r"(?i)ports 80, 88, 443 or 8443"):
            await bot.set_webhook("https://platform.example.com:8080/tg/k3y")
        with pytest.raises(BadRequest, match=r"(?i)unallowed characters"):
            await bot.set_webhook("https://platform.example.com/tg/k3y", secret_token="a b")
    assert kopi.webhook_secret == "s3cret_Token-1"
    assert roti.webhook_url == "" and roti.webhook_secret is None and server.webhook_url == ""
    kopi.violations.clear()  # the refused setWebhook calls above were on purpose
    async with Bot(SHOP_A, base_url=server.base_url or "") as bot:
        await bot.delete_webhook()
    assert kopi.webhook_url == "" and kopi.webhook_secret is None


async def test_a_failing_webhook_shows_in_its_bots_webhook_info(server: TelegramStandin) -> None:
    kopi, roti = server.add_bot(SHOP_A), server.add_bot(SHOP_B)
    for bot in (kopi, roti):
        async with Bot(bot.token, base_url=server.base_url or "") as client:
            await client.set_webhook("https://platform.example.com/tg/k3y")
    kopi.webhook_failing("Connection timed out", at=1_700_000_000)
    kopi.user(1001).send_text("waiting")

    async with Bot(SHOP_A, base_url=server.base_url or "") as bot:
        info = await bot.get_webhook_info()
    async with Bot(SHOP_B, base_url=server.base_url or "") as bot:
        other = await bot.get_webhook_info()

    assert info.last_error_message == "Connection timed out"
    assert info.last_error_date is not None and info.last_error_date.timestamp() == 1_700_000_000
    assert info.pending_update_count == 1
    assert other.last_error_date is None and other.last_error_message is None


async def test_retry_after_is_per_token(server: TelegramStandin) -> None:
    kopi, roti = server.add_bot(SHOP_A), server.add_bot(SHOP_B)
    kopi.fail(None, 429, retry_after=3600)
    limited = await call(server, SHOP_A, "getMe")
    assert limited.status_code == 429
    assert limited.json()["parameters"] == {"retry_after": 3600}
    assert (await call(server, SHOP_B, "getMe")).status_code == 200
    assert (await call(server, PLATFORM, "getMe")).status_code == 200
    assert roti.calls_to("getMe")[0].status == 200
    assert roti.violations == [] and server.violations == []


def test_tokens_are_unique_and_well_formed() -> None:
    standin = TelegramStandin(token=PLATFORM)
    made = standin.add_bot()
    assert made.token.split(":")[0] != PLATFORM.split(":")[0]
    assert len(made.token.split(":")[1]) == 35
    with pytest.raises(ValueError, match="already belongs"):
        standin.add_bot(made.token)
    with pytest.raises(ValueError, match="look like"):
        standin.add_bot("no-colon")
