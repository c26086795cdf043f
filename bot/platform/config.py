"""Platform mode's own settings (``python -m bot platform``), on top of the bot's Settings.

Why separate: the single-shop bot needs none of them, and its settings table stays its own.
The platform reads the bot's Settings for what every hosted shop shares (timings, limits,
``LISTEN_HOST``/``LISTEN_PORT`` for the edge, ``TELEGRAM_API_BASE_URL``, ``MIDTRANS_API_BASE_URL``,
``LOG_LEVEL``) and these: ``DATABASE_URL`` (PostgreSQL), ``PLATFORM_MASTER_KEYS`` (the key ring
that seals shop secrets), ``PLATFORM_LOOKUP_KEY`` (the token hash's key), ``PUBLIC_BASE_URL``
(required here), ``PLATFORM_PARTITIONS``, ``PLATFORM_BOT_TOKEN`` (the platform's own
onboarding bot), and the leader's housekeeping: ``PLATFORM_WEBHOOK_CHECK_INTERVAL`` (how often
each shop's webhook is looked at) and ``PLATFORM_HOUSEKEEPING_RATE`` (its Telegram calls per
second at most). A bad value is one ConfigError line.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from bot.config import MIDTRANS_BASE_URLS, ConfigError, Secret, Settings, load_settings
from bot.platform.secrets import KeyRing, SecretError, parse_key_ring
from bot.text.fields import duration_seconds

DEFAULT_PARTITIONS = 16
DEFAULT_WEBHOOK_CHECK_INTERVAL = timedelta(hours=1)
WEBHOOK_CHECK_INTERVAL_RANGE = (timedelta(minutes=5), timedelta(days=1))
DEFAULT_HOUSEKEEPING_RATE = 5
LOOKUP_KEY_MIN = 16
_BOT_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{20,100}")


@dataclass(frozen=True)
class PlatformSettings:
    base: Settings
    database_url: Secret
    master_keys: KeyRing
    lookup_key: bytes
    public_base_url: str
    midtrans_base_urls: Mapping[str, str]
    partitions: int
    platform_bot_token: Secret
    webhook_check_interval: timedelta = DEFAULT_WEBHOOK_CHECK_INTERVAL
    housekeeping_rate: int = DEFAULT_HOUSEKEEPING_RATE

    @property
    def platform_bot_id(self) -> int:
        """The platform bot's own id (a token starts with it)."""
        return int(self.platform_bot_token.get().split(":", 1)[0])

    def __repr__(self) -> str:
        return f"PlatformSettings(public_base_url={self.public_base_url!r}, ...)"


def load_platform_settings(env: Mapping[str, str]) -> PlatformSettings:
    """The platform's settings from ``env``; ConfigError naming the first bad one."""
    base = load_settings(env, require_telegram=False)
    if not base.public_base_url:
        raise ConfigError(
            "PUBLIC_BASE_URL",
            "is not set (the platform's public HTTPS address: shops' webhooks and notifications)",
            "https://warung.example.com",
        )
    override = env.get("MIDTRANS_API_BASE_URL", "").strip()
    return PlatformSettings(
        base=base,
        database_url=_database_url(env.get("DATABASE_URL", "")),
        master_keys=_master_keys(env.get("PLATFORM_MASTER_KEYS", "")),
        lookup_key=_lookup_key(env.get("PLATFORM_LOOKUP_KEY", "")),
        public_base_url=base.public_base_url,
        midtrans_base_urls=(
            dict.fromkeys(MIDTRANS_BASE_URLS, base.midtrans_base_url)
            if override
            else dict(MIDTRANS_BASE_URLS)
        ),
        partitions=_partitions(env.get("PLATFORM_PARTITIONS", "")),
        platform_bot_token=_platform_bot_token(env.get("PLATFORM_BOT_TOKEN", "")),
        webhook_check_interval=_webhook_check_interval(
            env.get("PLATFORM_WEBHOOK_CHECK_INTERVAL", "")
        ),
        housekeeping_rate=_housekeeping_rate(env.get("PLATFORM_HOUSEKEEPING_RATE", "")),
    )


def _platform_bot_token(text: str) -> Secret:
    example = "123456789:AA... (from @BotFather, for the platform's own bot)"
    value = text.strip()
    if not value:
        raise ConfigError(
            "PLATFORM_BOT_TOKEN", "is not set (the platform's onboarding bot)", example
        )
    if not _BOT_TOKEN.fullmatch(value):
        raise ConfigError("PLATFORM_BOT_TOKEN", "does not look like a bot token", example)
    return Secret(value)


def _database_url(text: str) -> Secret:
    example = "postgresql://warung:password@127.0.0.1:5432/warung"
    value = text.strip()
    if not value:
        raise ConfigError("DATABASE_URL", "is not set (platform mode runs on PostgreSQL)", example)
    if urlsplit(value).scheme not in {"postgresql", "postgres"}:
        raise ConfigError("DATABASE_URL", "must be a postgresql:// URL", example)
    return Secret(value)


def _master_keys(text: str) -> KeyRing:
    example = "k1:<openssl rand -base64 32>"
    if not text.strip():
        raise ConfigError("PLATFORM_MASTER_KEYS", "is not set (seals shops' secrets)", example)
    try:
        return parse_key_ring(text)
    except SecretError as exc:
        raise ConfigError("PLATFORM_MASTER_KEYS", str(exc), example) from None


def _lookup_key(text: str) -> bytes:
    example = "<openssl rand -base64 32>"
    if not text.strip():
        raise ConfigError("PLATFORM_LOOKUP_KEY", "is not set (keeps bot tokens unique)", example)
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("PLATFORM_LOOKUP_KEY", "is not valid base64", example) from None
    if len(key) < LOOKUP_KEY_MIN:
        raise ConfigError(
            "PLATFORM_LOOKUP_KEY", f"must be at least {LOOKUP_KEY_MIN} bytes", example
        )
    return key


def _partitions(text: str) -> int:
    if not text.strip():
        return DEFAULT_PARTITIONS
    if not text.strip().isdigit() or not 1 <= int(text) <= 4096:
        raise ConfigError("PLATFORM_PARTITIONS", "must be a whole number from 1 to 4096", "16")
    return int(text)


def _webhook_check_interval(text: str) -> timedelta:
    if not text.strip():
        return DEFAULT_WEBHOOK_CHECK_INTERVAL
    low, high = WEBHOOK_CHECK_INTERVAL_RANGE
    seconds = duration_seconds(text)
    if seconds is None or not low.total_seconds() <= seconds <= high.total_seconds():
        raise ConfigError(
            "PLATFORM_WEBHOOK_CHECK_INTERVAL", "must be a duration from 5m to 1d", "1h"
        )
    return timedelta(seconds=float(seconds))


def _housekeeping_rate(text: str) -> int:
    if not text.strip():
        return DEFAULT_HOUSEKEEPING_RATE
    if not text.strip().isdigit() or not 1 <= int(text) <= 50:
        raise ConfigError(
            "PLATFORM_HOUSEKEEPING_RATE", "must be a whole number of calls per second, 1 to 50", "5"
        )
    return int(text)
