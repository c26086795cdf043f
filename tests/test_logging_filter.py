"""No secret in any log line, at any level: the bot token, the Midtrans server key, the webhook
secret, also inside exception text and HTTP Basic credentials."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import secrets
import signal
import threading
import time
import timeit
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


def _shop_secrets(number: int) -> tuple[str, str, str]:
    """One hosted shop's token, webhook secret and Midtrans key, shaped as the real ones."""
    return (
        f"{7_000_000_000 + number}:AA{secrets.token_urlsafe(26)}",
        secrets.token_urlsafe(32),  # as onboarding makes a webhook secret
        f"SB-Mid-server-{secrets.token_urlsafe(18)}",
    )


def _cost_per_line(mask: SecretMask, line: str) -> float:
    """Seconds to mask one line: the best of a few rounds, so a busy machine skews it less."""
    return min(timeit.repeat(lambda: mask.mask(line), number=200, repeat=5)) / 200


def test_mask_finds_every_form_wherever_it_is_glued() -> None:
    token, hook, key = _shop_secrets(1)
    mask = SecretMask([token, hook, key, "short-pw"])
    basic = base64.b64encode(f"{key}:".encode()).decode()
    text = mask.mask(
        f"/bot{token}/getMe x{hook}y Basic {basic}== [{key}] id{token.split(':')[1]}_ short-pw."
    )
    assert text == "/bot7000000001:***/getMe x***y Basic ***== [***] id***_ ***."


def test_mask_hides_overlapping_secrets_whole() -> None:
    one, two = "AAAAAAAAAAAAAAAAAAAA-overlap", "overlap-BBBBBBBBBBBBBBBBBBBB"
    mask = SecretMask([one, two])
    assert mask.mask(f"<{one[:-7]}{two}>") == "<***>"


def test_mask_of_ten_thousand_shops_hides_each_and_costs_what_ten_do() -> None:
    """Every one of 10,000 shops' secrets is masked, and a log line costs about the same as with
    10 shops: the mask looks a line's pieces up instead of searching it once per secret."""
    shops = [_shop_secrets(number) for number in range(10_000)]
    small, large = SecretMask([]), SecretMask([])
    for shop in shops[:10]:
        small.add(*shop)
    started = time.perf_counter()
    for shop in shops:
        large.add(*shop)
    adding = time.perf_counter() - started
    for token, hook, key in shops:
        basic = base64.b64encode(f"{key}:".encode()).decode()
        text = large.mask(f"POST /bot{token}/getMe secret={hook} key {key} Basic {basic}")
        assert text == f"POST /bot{token.split(':')[0]}:***/getMe secret=*** key *** Basic ***"
    token = shops[5][0]
    line = f'HTTP Request: POST https://api.telegram.org/bot{token}/sendMessage "HTTP/1.1 200 OK"'
    quiet = 'HTTP Request: POST https://api.telegram.org/bot7000000005:***/getMe "HTTP/1.1 200 OK"'
    costs = {
        (size, name): _cost_per_line(mask, text)
        for size, mask in ((10, small), (10_000, large))
        for name, text in (("with a token", line), ("without", quiet))
    }
    print(f"\nadding 10,000 shops: {adding:.2f} s")
    for (size, name), cost in costs.items():
        print(f"{size:>6} shops, a line {name}: {cost * 1e6:.1f} µs")
    assert adding < 10  # one dict store per secret (the sorted list took minutes)
    for name in ("with a token", "without"):  # generous: the machine is shared
        assert costs[10_000, name] < 5 * costs[10, name] + 20e-6


def test_mask_learns_secrets_while_other_threads_mask_lines() -> None:
    """Shops are loaded (``add``, two threads at once) while handlers in other threads mask
    lines: every secret added before a line was masked stays hidden, none added is lost, and
    nothing breaks mid-update."""
    shops = [_shop_secrets(number) for number in range(2_000)]
    mask = SecretMask([])
    first_added = [threading.Event(), threading.Event()]  # each loader's first 50 shops
    leaks: list[str] = []

    def load(half: int) -> None:
        for count, shop in enumerate(shops[half::2], start=1):
            mask.add(*shop)
            if count == 50:
                first_added[half].set()

    def log() -> None:
        if not all(event.wait(10) for event in first_added):
            leaks.append("the loaders did not get through their first shops")
            return
        for token, hook, key in shops[:100] * 20:
            text = mask.mask(f"/bot{token}/getMe {hook} {key}")
            if token.split(":")[1] in text or hook in text or key in text:
                leaks.append(text)

    loaders = [threading.Thread(target=load, args=(half,)) for half in (0, 1)]
    threads = loaders + [threading.Thread(target=log) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not leaks
    for token, hook, key in shops:
        assert mask.mask(f"{token} {hook} {key}") == f"{token.split(':')[0]}:*** *** ***"
