"""No secret in any log line, at any level: the bot token, the Midtrans server key, the webhook
secret, also inside exception text and HTTP Basic credentials."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import signal
from pathlib import Path

from bot.logging_filter import SecretMask, install
from tests.conftest import SERVER_KEY, TOKEN
from tests.test_startup import bot_env, services, start_bot

TOKEN_SECRET = TOKEN.split(":")[1]
BOT_ID = TOKEN.split(":")[0]
WEBHOOK_SECRET = "hook-secret-0123456789"


def _logger_writing_to(stream: io.StringIO, secrets: list[str]) -> logging.Logger:
    logger = logging.getLogger(f"test.mask.{id(stream)}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    install(secrets, logger)
    return logger


def test_mask_hides_secrets_in_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    logger = _logger_writing_to(stream, [TOKEN, SERVER_KEY, WEBHOOK_SECRET])
    logger.debug("Set Bot API URL: https://api.telegram.org/bot%s", TOKEN)
    logger.info('HTTP Request: POST http://x/bot%s/getMe "HTTP/1.1 200 OK"', TOKEN)
    logger.warning("key=%s secret=%s", SERVER_KEY, WEBHOOK_SECRET)
    basic = base64.b64encode(f"{SERVER_KEY}:".encode()).decode()
    logger.debug("headers: Authorization: Basic %s", basic)
    logger.debug("only the secret half: %s", TOKEN_SECRET)
    try:
        raise ValueError(f"bad URL /bot{TOKEN}/getMe with {SERVER_KEY}")
    except ValueError:
        logger.exception("failed")
    text = stream.getvalue()
    for secret in (TOKEN_SECRET, SERVER_KEY, WEBHOOK_SECRET, basic):
        assert secret not in text
    assert f"https://api.telegram.org/bot{BOT_ID}:***" in text  # the public bot id stays
    assert "key=*** secret=***" in text
    assert "ValueError: bad URL" in text  # the traceback is still there, masked
    assert text.count("\n") >= 7


def test_mask_ignores_empty_and_short_values() -> None:
    mask = SecretMask(["", "abc"])
    assert mask.mask("abc def") == "abc def"


async def test_no_secret_in_the_log_at_debug(tmp_path: Path) -> None:
    """The real bot at LOG_LEVEL=DEBUG: PTB's and httpx's own lines are there, masked."""
    async with services() as (standin, _, telegram_url, midtrans_url):
        env = bot_env(
            tmp_path,
            telegram_url,
            midtrans_url,
            LOG_LEVEL="DEBUG",
            TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
        process = await start_bot(tmp_path, env)
        try:
            budi = standin.user(1001, first_name="Budi")
            budi.send_text("/start")
            await standin.wait_for_message(budi, contains="Selamat datang", timeout=20)
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode()
    assert "Set Bot API URL" in log and "HTTP Request: POST" in log  # PTB's and httpx's lines
    assert f"/bot{BOT_ID}:***/getMe" in log
    for secret in (TOKEN_SECRET, SERVER_KEY, WEBHOOK_SECRET):
        assert secret not in log
