"""Telegram's side of a webhook, for tests of the platform's edge: the Telegram stand-in keeps a
bot's updates for getUpdates; ``WebhookRelay`` POSTs them, in order, to a shop's webhook path on
the edge with its secret token, and tries again (as Telegram does) until the edge answers 200."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from devtools.telegram import TelegramStandin


@dataclass
class _Hook:
    bot: TelegramStandin
    path: str
    secret: str
    delivered: int = 0  # the highest update_id the edge took


class WebhookRelay:
    def __init__(self, edge_url: str) -> None:
        self._edge = edge_url
        self._hooks: list[_Hook] = []
        self.statuses: list[int] = []

    def add(self, bot: TelegramStandin, shop_key: str, secret: str) -> None:
        self._hooks.append(_Hook(bot, f"/tg/{shop_key}", secret))

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[WebhookRelay]:
        async with httpx.AsyncClient(base_url=self._edge, timeout=10) as http:
            task = asyncio.create_task(self._loop(http))
            try:
                yield self
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _loop(self, http: httpx.AsyncClient) -> None:
        while True:
            for hook in self._hooks:
                for update in hook.bot.pending_updates:
                    if update["update_id"] <= hook.delivered:
                        continue
                    answer = await http.post(
                        hook.path,
                        json=update,
                        headers={"X-Telegram-Bot-Api-Secret-Token": hook.secret},
                    )
                    self.statuses.append(answer.status_code)
                    if answer.status_code != 200:
                        break  # Telegram keeps the order: this one again first
                    hook.delivered = update["update_id"]
            await asyncio.sleep(0.01)
