"""The runtime as an operator sees it: Telegram webhook mode, health, the owner claim code."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx

from bot.app import BotRuntime
from devtools.midtrans import MidtransSandbox
from devtools.telegram import TelegramStandin
from tests.conftest import SERVER_KEY, TOKEN, make_settings
from tests.support.servers import serve_app


def _update(update_id: int, user_id: int, text: str) -> dict[str, object]:
    user = {"id": user_id, "is_bot": False, "first_name": "Budi", "language_code": "id"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_764_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Budi"},
            "from": user,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


async def test_webhook_mode_checks_the_secret_and_answers(tmp_path: Path) -> None:
    standin = TelegramStandin(token=TOKEN)
    sandbox = MidtransSandbox(SERVER_KEY)
    async with standin.serve() as telegram_url, serve_app(sandbox.app) as midtrans_url:
        settings = make_settings(
            tmp_path,
            telegram_url,
            midtrans_url,
            PUBLIC_BASE_URL="https://warung.example.com",
            TELEGRAM_WEBHOOK_SECRET="s3cret-token",
        )
        async with BotRuntime(settings, poll_timeout=1) as runtime:
            assert standin.webhook_url == "https://warung.example.com/telegram"
            assert standin.calls_to("getUpdates") == []
            budi = standin.user(1001, first_name="Budi", started=True)
            url = f"{runtime.listener_url}/telegram"
            async with httpx.AsyncClient() as client:
                forged = await client.post(
                    url,
                    json=_update(1, 1001, "/start"),
                    headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                )
                assert forged.status_code == 403
                missing = await client.post(url, json=_update(2, 1001, "/start"))
                assert missing.status_code == 403
                real = await client.post(
                    url,
                    json=_update(3, 1001, "/start"),
                    headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"},
                )
                assert real.status_code == 200
            greeting = await standin.wait_for_message(budi, contains="Selamat datang")
            assert "Warung Bu Siti" in greeting.text
            assert len(standin.messages(budi)) >= 1
    assert standin.violations == []


async def test_healthz_and_claim_code_when_no_admin(tmp_path: Path, caplog) -> None:
    standin = TelegramStandin(token=TOKEN)
    sandbox = MidtransSandbox(SERVER_KEY)
    async with standin.serve() as telegram_url, serve_app(sandbox.app) as midtrans_url:
        settings = dataclasses.replace(
            make_settings(tmp_path, telegram_url, midtrans_url), admin_ids=frozenset()
        )
        with caplog.at_level("WARNING"):
            async with BotRuntime(settings, poll_timeout=1) as runtime:
                async with httpx.AsyncClient() as client:
                    health = await client.get(f"{runtime.listener_url}/healthz")
                assert health.status_code == 200
                assert health.json()["ok"] is True
                assert runtime.claim_code is not None
                claim_lines = [r.getMessage() for r in caplog.records if "/claim" in r.getMessage()]
                assert claim_lines == [
                    f"no admin yet: send /claim {runtime.claim_code} to the bot from the "
                    "owner's Telegram account"
                ]
        assert SERVER_KEY not in caplog.text
        assert TOKEN.split(":")[1] not in caplog.text
