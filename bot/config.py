"""Settings from the environment and `.env`, validated once at start-up.

A bad value stops the bot with one line naming the setting, what is wrong and an example, so an
operator can fix it without reading a traceback. The Midtrans server key is held in a ``Secret``
whose ``repr`` and ``str`` hide it: it cannot leak into a log line or an error by accident.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from dotenv import dotenv_values

from bot.rules.shop import PAYMENT_EXPIRY_MAX, PAYMENT_EXPIRY_MIN
from bot.text.fields import duration_seconds

MIDTRANS_BASE_URLS = {
    "sandbox": "https://api.sandbox.midtrans.com",
    "production": "https://api.midtrans.com",
}
TELEGRAM_DEFAULT_BASE_URL = "https://api.telegram.org/bot"
MAX_TELEGRAM_USER_ID = 2**52 - 1
"""Telegram documents user ids as at most 52 significant bits."""
WEBHOOK_PORTS = frozenset({443})
"""PUBLIC_BASE_URL serves Telegram's webhook (ports 443, 80, 88, 8443) and Midtrans'
notifications (HTTPS on a usual port: Midtrans cannot notify unusual ones). Both take 443."""

T = TypeVar("T")


class ConfigError(Exception):
    """One bad setting: its name, what is wrong with it, and an example of a good value."""

    def __init__(self, name: str, problem: str, example: str) -> None:
        self.name = name
        self.problem = problem
        self.example = example
        super().__init__(f"setting {name}: {problem} (example: {name}={example})")


class Secret:
    """A string that never shows itself in logs, reprs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment. See `.env.example` for each one."""

    telegram_token: Secret
    telegram_base_url: str = TELEGRAM_DEFAULT_BASE_URL
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"
    midtrans_server_key: Secret = field(default_factory=lambda: Secret(""))
    midtrans_environment: str = "sandbox"
    midtrans_base_url: str = MIDTRANS_BASE_URLS["sandbox"]
    public_base_url: str | None = None
    listen_host: str = "127.0.0.1"
    listen_port: int = 8080
    notification_path: str = "/midtrans/notification"
    telegram_webhook_path: str = "/telegram"
    telegram_webhook_secret: Secret = field(default_factory=lambda: Secret(""))
    database_path: Path = Path("data/warung.db")
    admin_ids: frozenset[int] = frozenset()
    payment_expiry: timedelta = timedelta(hours=24)
    shop_name: str = "Warung"
    max_pending_orders: int = 3
    checkout_timeout: timedelta = timedelta(hours=24)
    confirm_notifications: bool = True
    payment_worker: bool = True
    reversal_window: timedelta = timedelta(minutes=5)
    reconcile_interval: timedelta = timedelta(seconds=60)
    reconcile_grace: timedelta = timedelta(minutes=5)
    log_level: str = "INFO"
    # Operations (issue 15): hostile connections, health, backups.
    request_timeout: timedelta = timedelta(seconds=10)
    listen_max_connections: int = 256
    health_outbox_max_age: timedelta = timedelta(minutes=10)
    health_telegram_max_silence: timedelta = timedelta(minutes=2)
    backup_dir: Path | None = None  # None: "backups" next to the database file
    backup_keep: int = 7
    notification_deadline: timedelta = timedelta(seconds=5)
    status_poll_interval: timedelta = timedelta(seconds=15)
    status_check_rate: int = 5

    @property
    def notification_url(self) -> str | None:
        """Where Midtrans should POST notifications, when the listener is public."""
        if not self.public_base_url:
            return None
        return self.public_base_url.rstrip("/") + self.notification_path

    @property
    def telegram_webhook_url(self) -> str | None:
        if not self.public_base_url:
            return None
        return self.public_base_url.rstrip("/") + self.telegram_webhook_path


# --- parsers: each returns the value or raises ValueError with a short, key-free reason ---


def _duration_in_range(text: str, low: timedelta, high: timedelta) -> timedelta:
    """A duration setting in any form the chat's ``/setexpiry`` takes (``90s``, ``2h30m``,
    ``2 jam``, ``1,5 jam``), between ``low`` and ``high``."""
    seconds = duration_seconds(text)
    if seconds is None:
        raise ValueError("is not a duration like 90s, 30m, 2h30m, 1d or 2 jam")
    if not low.total_seconds() <= seconds <= high.total_seconds():
        raise ValueError(f"must be between {_span(low)} and {_span(high)}")
    return timedelta(microseconds=round(seconds * 1_000_000))


def _span(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _duration_between(low: timedelta, high: timedelta) -> Callable[[str], timedelta]:
    return lambda text: _duration_in_range(text, low, high)


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be true or false")


def _parse_url(text: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    return text.strip().rstrip("/")


def _parse_public_url(text: str) -> str:
    url = _parse_url(text)
    if not url.startswith("https://"):
        raise ValueError("must be an https URL (Telegram and Midtrans only call HTTPS)")
    try:
        port = urlsplit(url).port
    except ValueError:
        raise ValueError("has a port that is not a number") from None
    if port is not None and port not in WEBHOOK_PORTS:
        raise ValueError(
            f"uses port {port}: Midtrans notifies only the usual HTTPS port and Telegram "
            "webhooks only 443, 80, 88 or 8443, so use 443 (no port in the URL)"
        )
    return url


def _parse_port(text: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise ValueError("must be a port number from 1 to 65535")
    return port


def _parse_path(text: str) -> str:
    text = text.strip()
    if not text.startswith("/") or " " in text:
        raise ValueError("must be a URL path starting with /")
    return text


def _parse_admin_ids(text: str) -> frozenset[int]:
    ids = set()
    for part in re.split(r"[,\s]+", text.strip()):
        if not part:
            continue
        if not part.isdigit():
            raise ValueError(f"{part!r} is not a numeric Telegram user id")
        if not 1 <= int(part) <= MAX_TELEGRAM_USER_ID:
            raise ValueError(f"{part!r} is not a Telegram user id (1 to {MAX_TELEGRAM_USER_ID})")
        ids.add(int(part))
    return frozenset(ids)


def _parse_positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError("must be a whole number of at least 1")
    return value


def _parse_token(text: str) -> Secret:
    if not re.fullmatch(r"\d+:[A-Za-z0-9_-]{20,}", text.strip()):
        raise ValueError("does not look like a bot token from @BotFather")
    return Secret(text.strip())


def _parse_server_key(text: str) -> Secret:
    value = text.strip()
    if value.startswith(("SB-Mid-client-", "Mid-client-")):
        raise ValueError(
            "is a client key (Mid-client-...); use the server key (Mid-server-...) from the "
            "dashboard > Settings > Access Keys"
        )
    if len(value) < 8 or not re.fullmatch(r"[A-Za-z0-9_\-]+", value):
        raise ValueError("does not look like a Midtrans server key")
    return Secret(value)


def _parse_payment_expiry(text: str) -> timedelta:
    try:
        return _duration_in_range(text, PAYMENT_EXPIRY_MIN, PAYMENT_EXPIRY_MAX)
    except ValueError as exc:
        raise ValueError(f"{exc} (Indomaret's limits)") from None


def _parse_log_level(text: str) -> str:
    level = text.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
    return level


def _parse_environment(text: str) -> str:
    value = text.strip().lower()
    if value not in MIDTRANS_BASE_URLS:
        raise ValueError("must be sandbox or production")
    return value


def _parse_webhook_secret(text: str) -> Secret:
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", text.strip()):
        raise ValueError("must be 1-256 characters of letters, digits, _ and -")
    return Secret(text.strip())


def _read(
    env: Mapping[str, str],
    name: str,
    parse: Callable[[str], T],
    example: str,
    default: T,
) -> T:
    raw = env.get(name, "")
    if raw.strip() == "":
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        problem = str(exc) if str(exc) and "invalid literal" not in str(exc) else "is not valid"
        raise ConfigError(name, problem, example) from None


def read_environment(env_file: Path | None = Path(".env")) -> dict[str, str]:
    """The process environment over the `.env` file (the environment wins)."""
    merged: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ)
    return merged


def available_cpus() -> int:
    """CPUs this process may run on (a container's or ``taskset``'s limit included)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def load_settings(
    env: Mapping[str, str], *, require_telegram: bool = True, cpu_count: int | None = None
) -> Settings:
    """Validate ``env`` into Settings, raising ConfigError for the first bad value.

    ``PAYMENT_WORKER`` defaults to on only with more than one CPU (``cpu_count``, by default
    ``available_cpus()``): on one core a second process only takes turns with the bot.
    """
    defaults = Settings(telegram_token=Secret(""))
    token = _read(env, "TELEGRAM_BOT_TOKEN", _parse_token, "123456:ABC-your-token", Secret(""))
    if require_telegram and not token:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN", "is not set (get one from @BotFather)", "123456:ABC-your-token"
        )
    server_key = _read(
        env, "MIDTRANS_SERVER_KEY", _parse_server_key, "SB-Mid-server-xxxx", Secret("")
    )
    if require_telegram and not server_key:
        raise ConfigError(
            "MIDTRANS_SERVER_KEY",
            "is not set (Midtrans dashboard > Settings > Access Keys)",
            "SB-Mid-server-xxxx",
        )
    environment = _read(env, "MIDTRANS_ENVIRONMENT", _parse_environment, "sandbox", "sandbox")
    if environment == "production" and server_key.get().startswith("SB-"):
        raise ConfigError(
            "MIDTRANS_SERVER_KEY",
            "is a sandbox key (SB-...) but MIDTRANS_ENVIRONMENT is production",
            "Mid-server-xxxx",
        )
    base_url = (
        _read(env, "MIDTRANS_API_BASE_URL", _parse_url, "http://127.0.0.1:8090", "")
        or MIDTRANS_BASE_URLS[environment]
    )
    telegram_base = _read(env, "TELEGRAM_API_BASE_URL", _parse_url, "http://127.0.0.1:8081/bot", "")
    settings = Settings(
        telegram_token=token,
        telegram_base_url=telegram_base or defaults.telegram_base_url,
        telegram_base_file_url=(
            _file_url_for(telegram_base) if telegram_base else defaults.telegram_base_file_url
        ),
        midtrans_server_key=server_key,
        midtrans_environment=environment,
        midtrans_base_url=base_url,
        public_base_url=_read(
            env, "PUBLIC_BASE_URL", _parse_public_url, "https://warung.example.com", None
        ),
        listen_host=_read(env, "LISTEN_HOST", str.strip, "0.0.0.0", defaults.listen_host),  # noqa: S104
        listen_port=_read(env, "LISTEN_PORT", _parse_port, "8080", defaults.listen_port),
        notification_path=_read(
            env,
            "NOTIFICATION_PATH",
            _parse_path,
            "/midtrans/notification",
            defaults.notification_path,
        ),
        telegram_webhook_path=_read(
            env, "TELEGRAM_WEBHOOK_PATH", _parse_path, "/telegram", defaults.telegram_webhook_path
        ),
        telegram_webhook_secret=_read(
            env,
            "TELEGRAM_WEBHOOK_SECRET",
            _parse_webhook_secret,
            "a-long-random-string",
            Secret(""),
        ),
        database_path=_read(env, "DATABASE_PATH", Path, "data/warung.db", defaults.database_path),
        admin_ids=_read(env, "ADMIN_IDS", _parse_admin_ids, "12345678,87654321", frozenset()),
        payment_expiry=_read(
            env, "PAYMENT_EXPIRY", _parse_payment_expiry, "24h", defaults.payment_expiry
        ),
        shop_name=_read(env, "SHOP_NAME", _parse_shop_name, "Warung Bu Siti", defaults.shop_name),
        max_pending_orders=_read(
            env, "MAX_PENDING_ORDERS", _parse_positive_int, "3", defaults.max_pending_orders
        ),
        checkout_timeout=_read(
            env,
            "CHECKOUT_TIMEOUT",
            _duration_between(timedelta(seconds=1), timedelta(days=30)),
            "24h",
            defaults.checkout_timeout,
        ),
        confirm_notifications=_read(
            env, "CONFIRM_NOTIFICATIONS", _parse_bool, "true", defaults.confirm_notifications
        ),
        payment_worker=_read(
            env,
            "PAYMENT_WORKER",
            _parse_bool,
            "true",
            (cpu_count if cpu_count is not None else available_cpus()) > 1,
        ),
        reversal_window=_read(
            env,
            "REVERSAL_WINDOW",
            _duration_between(timedelta(0), timedelta(days=1)),
            "5m",
            defaults.reversal_window,
        ),
        reconcile_interval=_read(
            env,
            "RECONCILE_INTERVAL",
            _duration_between(timedelta(seconds=1), timedelta(days=1)),
            "60s",
            defaults.reconcile_interval,
        ),
        reconcile_grace=_read(
            env,
            "RECONCILE_GRACE",
            _duration_between(timedelta(0), timedelta(days=30)),
            "5m",
            defaults.reconcile_grace,
        ),
        log_level=_read(env, "LOG_LEVEL", _parse_log_level, "INFO", defaults.log_level),
        request_timeout=_read(
            env,
            "REQUEST_TIMEOUT",
            _duration_between(timedelta(seconds=1), timedelta(minutes=5)),
            "10s",
            defaults.request_timeout,
        ),
        listen_max_connections=_read(
            env,
            "LISTEN_MAX_CONNECTIONS",
            _parse_positive_int,
            "256",
            defaults.listen_max_connections,
        ),
        health_outbox_max_age=_read(
            env,
            "HEALTH_OUTBOX_MAX_AGE",
            _duration_between(timedelta(minutes=1), timedelta(days=1)),
            "10m",
            defaults.health_outbox_max_age,
        ),
        health_telegram_max_silence=_read(
            env,
            "HEALTH_TELEGRAM_MAX_SILENCE",
            _duration_between(timedelta(seconds=10), timedelta(days=1)),
            "2m",
            defaults.health_telegram_max_silence,
        ),
        backup_dir=_read(env, "BACKUP_DIR", Path, "data/backups", defaults.backup_dir),
        backup_keep=_read(env, "BACKUP_KEEP", _parse_positive_int, "7", defaults.backup_keep),
        notification_deadline=_read(
            env,
            "NOTIFICATION_DEADLINE",
            _parse_notification_deadline,
            "5s",
            defaults.notification_deadline,
        ),
        status_poll_interval=_read(
            env,
            "STATUS_POLL_INTERVAL",
            _duration_between(timedelta(seconds=1), timedelta(hours=1)),
            "15s",
            defaults.status_poll_interval,
        ),
        status_check_rate=_read(
            env, "STATUS_CHECK_RATE", _parse_status_check_rate, "5", defaults.status_check_rate
        ),
    )
    _check_routes(settings)
    return settings


def _check_routes(settings: Settings) -> None:
    """The listener's routes must differ: a shared path would send Telegram's updates to the
    notification handler (or the other way round), and the bot would hear nothing."""
    notification = settings.notification_path.rstrip("/") or "/"
    webhook = settings.telegram_webhook_path.rstrip("/") or "/"
    if notification == webhook:
        raise ConfigError(
            "NOTIFICATION_PATH",
            f"is the same path as TELEGRAM_WEBHOOK_PATH ({webhook}); give each its own",
            "/midtrans/notification",
        )
    for name, path, example in (
        ("NOTIFICATION_PATH", notification, "/midtrans/notification"),
        ("TELEGRAM_WEBHOOK_PATH", webhook, "/telegram"),
    ):
        if path == "/healthz":
            raise ConfigError(name, "cannot be /healthz: the health check uses it", example)


def _parse_notification_deadline(text: str) -> timedelta:
    # Midtrans waits 15 s for an answer and asks for one within 5 s.
    return _duration_in_range(text, timedelta(seconds=1), timedelta(seconds=14))


def _parse_status_check_rate(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 50:
        raise ValueError("must be a whole number of Get Status calls per second, 1 to 50")
    return value


def _parse_shop_name(text: str) -> str:
    name = text.strip()
    if len(name) > 64:
        raise ValueError("is longer than 64 characters")
    return name


def _file_url_for(base_url: str) -> str:
    """Telegram serves files under /file/bot<token>; mirror that for a custom API server."""
    if base_url.endswith("/bot"):
        return base_url[: -len("/bot")] + "/file/bot"
    return base_url.rstrip("/") + "/file/bot"
