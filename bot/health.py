"""What ``GET /healthz`` reports: 200 only when the bot can take and deliver orders now.

Checked on each call: the bot is running; the database file takes a write (``storage.health``);
the outbox is not stuck (its oldest due message waits less than ``HEALTH_OUTBOX_MAX_AGE``); and
Telegram answered within ``HEALTH_TELEGRAM_MAX_SILENCE`` (polling asks every few seconds; in
webhook mode a quiet bot may not call at all, so then the check asks ``getMe`` itself). Anything
else: 503 with the reasons, for Docker's HEALTHCHECK, a monitor, or a person with curl.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram.request import HTTPXRequest

from bot.config import Settings
from bot.rules.clock import Clock, utc_now
from storage import Store, Tx
from storage.health import check_writable

logger = logging.getLogger(__name__)

TELEGRAM_PROBE_TIMEOUT = 5.0


class TelegramWatch:
    """When Telegram last answered one of the bot's requests (any HTTP answer counts)."""

    def __init__(self) -> None:
        self.last_answer: float | None = None  # time.monotonic()

    def answered(self) -> None:
        self.last_answer = time.monotonic()

    def silence(self) -> float | None:
        """Seconds since the last answer; None if Telegram never answered yet."""
        return None if self.last_answer is None else time.monotonic() - self.last_answer


class WatchedRequest(HTTPXRequest):
    """python-telegram-bot's HTTP client, telling a TelegramWatch of every answer from Telegram
    itself (a 5xx is a gateway saying Telegram is not there)."""

    def __init__(self, watch: TelegramWatch, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._watch = watch

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        answer = await super().do_request(*args, **kwargs)
        if answer[0] < 500:
            self._watch.answered()
        return answer


@dataclass
class HealthReport:
    ok: bool
    body: dict[str, Any] = field(default_factory=dict)


class HealthCheck:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        is_running: Callable[[], bool],
        clock: Clock = utc_now,
        telegram: TelegramWatch | None = None,
        ask_telegram: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self._store = store
        self._settings = settings
        self._is_running = is_running
        self._clock = clock
        self._telegram = telegram
        self._ask_telegram = ask_telegram

    async def check(self) -> HealthReport:
        reasons: list[str] = []
        bot = bool(self._is_running())
        if not bot:
            reasons.append("bot is not running")
        database_problem = await self._database()
        if database_problem:
            reasons.append(database_problem)
        outbox_age = await self._outbox_age()
        if outbox_age is None:
            if not database_problem:
                reasons.append("outbox cannot be read")
        elif outbox_age > self._settings.health_outbox_max_age.total_seconds():
            reasons.append(f"outbox stuck: oldest due message waiting {_span(outbox_age)}")
        silence = await self._telegram_silence()
        limit = self._settings.health_telegram_max_silence.total_seconds()
        if silence == float("inf"):
            reasons.append("Telegram has not answered since the start")
        elif silence is not None and silence > limit:
            reasons.append(f"Telegram has not answered for {_span(silence)}")
        body: dict[str, Any] = {
            "ok": not reasons,
            "bot": bot,
            "database": database_problem is None,
            "outbox_oldest_due_seconds": None if outbox_age is None else round(outbox_age, 1),
            "telegram_last_answer_seconds_ago": (
                None if silence is None or silence == float("inf") else round(silence, 1)
            ),
            "reasons": reasons,
        }
        return HealthReport(not reasons, body)

    async def _database(self) -> str | None:
        path = Path(self._store.path)
        try:
            return await asyncio.to_thread(check_writable, path)
        except Exception as exc:  # the probe itself failed: still a reason, never a traceback
            return f"database check failed ({type(exc).__name__})"

    async def _outbox_age(self) -> float | None:
        """Seconds the oldest due outbox message has waited (0 when none is due)."""
        try:
            due = await self._store.run(Tx.next_outbox_due)
        except Exception:
            return None
        if due is None:
            return 0.0
        return max(0.0, (self._clock() - due).total_seconds())

    async def _telegram_silence(self) -> float | None:
        if self._telegram is None:
            return None
        silence = self._telegram.silence()
        limit = self._settings.health_telegram_max_silence.total_seconds()
        if (silence is None or silence > limit / 2) and self._ask_telegram is not None:
            try:
                async with asyncio.timeout(TELEGRAM_PROBE_TIMEOUT):
                    await self._ask_telegram()
            except Exception as exc:
                logger.info("health: Telegram did not answer getMe (%s)", type(exc).__name__)
            silence = self._telegram.silence()
        if silence is None:
            return float("inf")
        return silence


def _span(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def watched_requests(watch: TelegramWatch) -> tuple[WatchedRequest, WatchedRequest]:
    """The two HTTP clients an Application needs (calls, getUpdates), as its builder would
    make them by default, each telling ``watch`` when Telegram answers."""
    return (
        WatchedRequest(watch, connection_pool_size=256),
        WatchedRequest(watch, connection_pool_size=1),
    )
