"""Onboarding checks: is a pasted BotFather token a live bot no other shop has, and does a pasted
Midtrans server key work? Then point the bot's webhook at its shop.

Why a service of its own: the platform bot's /newshop conversation (a later step) only parses
what the seller pasted, calls these, and shows the answer. Every refusal is one clear message
from the text catalogue (``platform.*``), never a traceback or a raw Telegram error. Nothing here
stores anything: the caller looks up the token hash among its shops (``token_taken``) and keeps
the shop key and webhook secret it gets back, sealed (``bot/platform/secrets.py``).

Order matters for a token: its format, then getMe (a 401 is the clearest answer), then whether
another shop has it, and only then a change on Telegram (clear old updates, set the webhook):
checking a token never disturbs a bot another shop runs.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from bot.payments.midtrans import MidtransClient, MidtransError, MidtransErrorKind
from bot.text.phrases import t

logger = logging.getLogger(__name__)

Environment = Literal["sandbox", "production"]
ENVIRONMENTS: tuple[Environment, ...] = ("sandbox", "production")
SERVER_KEY_PREFIXES: Mapping[Environment, str] = {
    "sandbox": "SB-Mid-server-",
    "production": "Mid-server-",
}
CLIENT_KEY_PREFIXES = ("SB-Mid-client-", "Mid-client-")
TOKEN_SHAPE = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{20,100}")
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{8,200}")
WEBHOOK_PATH = "/tg/{shop_key}"
# What a shop's bot asks Telegram for: everything but the noisy reaction and member updates.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")


@dataclass(frozen=True)
class Refusal:
    """Why a pasted token or key was not taken: a catalogue key and its placeholders."""

    key: str
    environment: Environment | None = None
    accepted: tuple[Environment, ...] = ()

    def text(self, lang: str) -> str:
        values: dict[str, str] = {}
        if self.environment is not None:
            values["environment"] = t(lang, f"platform.env.{self.environment}")
        if self.accepted:
            values["accepted"] = " / ".join(t(lang, f"platform.env.{e}") for e in self.accepted)
        return t(lang, self.key, **values) if values else t(lang, self.key)


@dataclass(frozen=True)
class CheckedBot:
    """A live bot that no other shop has: who it is, and its token's lookup hash."""

    bot_id: int
    username: str
    first_name: str
    token_hash: str


@dataclass(frozen=True)
class Webhook:
    """Where Telegram now sends the bot's updates, and the secret it sends with them."""

    shop_key: str
    url: str
    secret_token: str = field(repr=False)


@dataclass(frozen=True)
class CheckedKey:
    """A Midtrans server key that Midtrans accepted, and its environment."""

    environment: Environment


class Onboarding:
    """Checks against Telegram and Midtrans, over one shared HTTP client.

    ``public_base_url`` is where the platform's edge is reached (``https://...``);
    ``midtrans_urls`` may point the two environments at stand-ins; ``accepted`` limits which
    environments' keys this platform takes. ``remember_secret`` is told each pasted token and
    key before the first call that carries it (``SecretMask.add``), so no log line shows one.
    """

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        telegram_base_url: str,
        public_base_url: str,
        hash_token: Callable[[str], str],
        midtrans_urls: Mapping[Environment, str] | None = None,
        accepted: tuple[Environment, ...] = ENVIRONMENTS,
        platform_bot_id: int | None = None,
        remember_secret: Callable[[str], None] | None = None,
        midtrans_timeout: float = 10.0,
    ) -> None:
        self._http = http
        self._telegram = telegram_base_url.rstrip("/")
        self._public = public_base_url.rstrip("/")
        self._hash_token = hash_token
        self._midtrans_urls = dict(midtrans_urls or {})
        self._accepted = accepted
        self._platform_bot_id = platform_bot_id
        self._remember = remember_secret or (lambda secret: None)
        self._midtrans_timeout = midtrans_timeout

    # -- the bot token ---------------------------------------------------------------------------

    async def check_token(
        self, pasted: str, *, token_taken: Callable[[str], Awaitable[bool]]
    ) -> CheckedBot | Refusal:
        """Format, getMe, then ``token_taken(token_hash)``; changes nothing on Telegram."""
        token = pasted.strip()
        if not TOKEN_SHAPE.fullmatch(token):
            return Refusal("platform.token.format")
        self._remember(token)
        answer = await self._telegram_call(token, "getMe")
        if isinstance(answer, Refusal):
            return answer
        if not isinstance(answer, dict) or not isinstance(answer.get("id"), int):
            return Refusal("platform.token.later")
        if answer["id"] == self._platform_bot_id:
            return Refusal("platform.token.platform_bot")
        digest = self._hash_token(token)
        if await token_taken(digest):
            return Refusal("platform.token.taken")
        return CheckedBot(
            bot_id=answer["id"],
            username=str(answer.get("username", "")),
            first_name=str(answer.get("first_name", "")),
            token_hash=digest,
        )

    async def attach_webhook(self, token: str, *, shop_key: str | None = None) -> Webhook | Refusal:
        """Clear the bot's old updates, set its webhook to ``/tg/{shop_key}`` (a random key
        unless given) with a random secret token, and confirm with getWebhookInfo."""
        token = token.strip()
        self._remember(token)
        shop_key = shop_key or new_shop_key()
        url = self._public + WEBHOOK_PATH.format(shop_key=shop_key)
        secret_token = secrets.token_urlsafe(32)
        self._remember(secret_token)
        steps: list[tuple[str, dict[str, Any]]] = [
            ("deleteWebhook", {"drop_pending_updates": True}),
            (
                "setWebhook",
                {
                    "url": url,
                    "secret_token": secret_token,
                    "drop_pending_updates": True,
                    "allowed_updates": list(ALLOWED_UPDATES),
                },
            ),
        ]
        for method, params in steps:
            answer = await self._telegram_call(token, method, params)
            if isinstance(answer, Refusal):
                return answer if answer.key == "platform.token.refused" else _webhook_failed()
        info = await self._telegram_call(token, "getWebhookInfo")
        if isinstance(info, Refusal):
            return info if info.key == "platform.token.refused" else _webhook_failed()
        if not isinstance(info, dict) or info.get("url") != url:
            logger.warning("getWebhookInfo did not confirm the webhook for a new shop")
            return _webhook_failed()
        return Webhook(shop_key=shop_key, url=url, secret_token=secret_token)

    async def detach_webhook(self, token: str) -> bool:
        """Stop Telegram sending this bot's updates to the platform (a deleted shop, or the old
        bot of a shop whose token was replaced); False when Telegram did not take it (a revoked
        token: nothing is sent to it any more anyway)."""
        token = token.strip()
        self._remember(token)
        answer = await self._telegram_call(token, "deleteWebhook", {"drop_pending_updates": True})
        return not isinstance(answer, Refusal)

    async def _telegram_call(
        self, token: str, method: str, params: dict[str, Any] | None = None
    ) -> Any:
        """The call's result, or the Refusal a seller should read."""
        try:
            response = await self._http.post(f"{self._telegram}/bot{token}/{method}", json=params)
        except httpx.HTTPError as exc:
            logger.warning("Telegram %s failed during onboarding: %s", method, type(exc).__name__)
            return Refusal("platform.token.later")
        if response.status_code in (401, 404):  # 404: Telegram's answer to a malformed token
            return Refusal("platform.token.refused")
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict) or body.get("ok") is not True:
            logger.warning(
                "Telegram %s answered HTTP %s during onboarding", method, response.status_code
            )
            return Refusal("platform.token.later")
        return body.get("result")

    # -- the Midtrans server key -----------------------------------------------------------------

    async def check_server_key(self, pasted: str) -> CheckedKey | Refusal:
        """The environment from the prefix, then Get Status of a random order id: Midtrans
        answering "404 not found" proves the key; 401 means a wrong key or environment."""
        key = pasted.strip()
        if key.startswith(CLIENT_KEY_PREFIXES):
            return Refusal("platform.key.client_key")
        environment = key_environment(key)
        rest = key.removeprefix(SERVER_KEY_PREFIXES[environment]) if environment else ""
        if environment is None or not _KEY_SHAPE.fullmatch(rest):
            return Refusal("platform.key.format")
        if environment not in self._accepted:
            return Refusal(
                "platform.key.environment_not_accepted",
                environment=environment,
                accepted=self._accepted,
            )
        self._remember(key)
        probe = f"warung-keycheck-{secrets.token_hex(12)}"
        async with MidtransClient(
            key,
            production=environment == "production",
            base_url=self._midtrans_urls.get(environment),
            read_timeout=self._midtrans_timeout,
            charge_attempts=1,
        ) as client:
            try:
                found = await client.get_status(probe)
            except MidtransError as exc:
                if exc.kind is MidtransErrorKind.UNAUTHORIZED:
                    return Refusal("platform.key.refused", environment=environment)
                logger.warning("Midtrans key check answered %s", exc.kind.name)
                return Refusal("platform.key.later")
        if found is not None:  # a random order id that exists: not the answer we know
            return Refusal("platform.key.later")
        return CheckedKey(environment)


def key_environment(key: str) -> Environment | None:
    """ "sandbox" or "production" from a server key's prefix; None when it is neither."""
    for environment, prefix in SERVER_KEY_PREFIXES.items():
        if key.startswith(prefix):
            return environment
    return None


def new_shop_key() -> str:
    """An opaque, unguessable path segment for a shop's webhook (128 random bits)."""
    return secrets.token_urlsafe(16)


def _webhook_failed() -> Refusal:
    return Refusal("platform.webhook.failed")
