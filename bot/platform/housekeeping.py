"""The leader's housekeeping (platform mode): the work of no one shop's worker.

Only the process holding the leader lock runs it (``bot/platform/leader.py``, beside the
platform bot), in rounds:

- **Webhook health.** Every active shop's webhook is looked at once per ``check_every``
  (``PLATFORM_WEBHOOK_CHECK_INTERVAL``, 1 hour) with getWebhookInfo under the shop's own token,
  up to ``IN_FLIGHT`` shops at a time and at most ``rate`` Telegram calls per second over all
  shops (``PLATFORM_HOUSEKEEPING_RATE``, 5): 5,000 shops cost 1.4 calls a second, and a leader
  that takes over after an outage catches up at the rate, never in a burst. When each shop was last
  looked at is kept in the directory (``shops.webhook_checked_at``; a shop never looked at counts
  from its creation, when onboarding confirmed its webhook), so a new leader goes on where the
  last one stopped. What it finds:

  - the URL is not ``<PUBLIC_BASE_URL>/tg/<shop_key>`` (the seller pointed the bot elsewhere or
    deleted its webhook; PUBLIC_BASE_URL changed), or it is but Telegram's last delivery error is
    our edge's 401 (the webhook was set again without the shop's secret): set again with the
    shop's secret token, its waiting updates kept, and one log line (no URL, no secret);
  - Telegram failing to deliver (an error within ``check_every`` and updates waiting): a warning
    naming the shop and Telegram's error, for the operator (the seller can do nothing about it);
  - 401: the token was revoked or the bot deleted: the shop is suspended as a worker suspends it
    and its seller told (``on_suspended``). So shops no worker has loaded lately are
    token-checked too;
  - no answer from Telegram (or a 5xx): the round stops; the shops not looked at stay due.

- **Purges** (every ``purge_every``, 10 minutes): handled inbox rows of every shop older than a
  day (``INBOX_KEEP``: Telegram no longer retries them), in batches; unhandled rows never; and
  rows of deleted shops written after the deletion (an update or notification the edge took as
  the shop was being deleted). Unverified payment events need nothing here: the ledger keeps
  each shop's latest ``UNVERIFIED_KEPT`` as it records one.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from bot.logging_filter import SecretMask
from bot.payments.polling import RateLimit
from bot.platform.hosting import TELEGRAM_PATH
from bot.platform.onboarding import ALLOWED_UPDATES
from bot.platform.shops import HostedShop, ShopDirectory
from bot.platform.worker import REVOKED
from bot.rules.clock import Clock, utc_now
from storage import Tx
from storage.postgres import PostgresStore

logger = logging.getLogger(__name__)

INBOX_KEEP = timedelta(days=1)
"""Handled updates are kept this long: a retry of Telegram's within it is still absorbed."""

PURGE_BATCH = 5_000
"""Inbox rows deleted per transaction (a long purge holds no lock for long)."""

IN_FLIGHT = 10
"""Shops looked at concurrently, each call still waiting for its slot of the rate: with
Telegram a few hundred milliseconds away, one at a time would stay under a high rate."""

OnSuspended = Callable[[HostedShop, str], Awaitable[object]]


@dataclass(frozen=True)
class HousekeepingOptions:
    check_every: timedelta = timedelta(hours=1)  # each active shop's webhook
    rate: float = 5.0  # Telegram calls per second at most, over all shops
    round_every: float = 30.0  # seconds between rounds (a full round starts the next at once)
    purge_every: float = 600.0  # seconds between purges
    timeout: float = 10.0  # seconds for one Telegram call


class Checked(enum.Enum):
    """What a look at one shop's webhook found."""

    FINE = "fine"
    SET_AGAIN = "set again"
    FAILING = "Telegram cannot deliver"
    REVOKED = "token revoked"
    REFUSED = "Telegram refused the call"
    NO_ANSWER = "no answer"


@dataclass(frozen=True)
class Purged:
    inbox: int
    deleted_shops: int


@dataclass(frozen=True)
class _Answer:
    status: int  # HTTP status; 0: no answer at all
    result: Any = None
    description: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200


class Housekeeping:
    """Rounds of webhook checks and purges (see the module docstring); ``run`` until cancelled."""

    def __init__(
        self,
        store: PostgresStore,
        directory: ShopDirectory,
        http: httpx.AsyncClient,
        *,
        telegram_base_url: str,
        public_base_url: str,
        clock: Clock = utc_now,
        options: HousekeepingOptions = HousekeepingOptions(),
        on_suspended: OnSuspended | None = None,
        mask: SecretMask | None = None,
    ) -> None:
        self._store = store
        self._directory = directory
        self._http = http
        self._telegram = telegram_base_url.rstrip("/").removesuffix("/bot")
        self._public = public_base_url.rstrip("/")
        self._clock = clock
        self.options = options
        self._on_suspended = on_suspended
        self._mask = mask
        self._limit = RateLimit(options.rate)
        self._next_purge = 0.0
        self.rounds = 0

    async def run(self) -> None:
        while True:
            try:
                more = await self.round()
            except Exception:
                logger.exception("housekeeping round failed")
                more = False
            if not more:
                await asyncio.sleep(self.options.round_every)

    async def round(self) -> bool:
        """The purges when due, then the webhooks due (at most a round's worth: ``rate`` times
        ``round_every``). True when the round was full, so more may be due at once."""
        monotonic = time.monotonic()
        if monotonic >= self._next_purge:
            self._next_purge = monotonic + self.options.purge_every
            await self.purge()
        more = await self.check_webhooks()
        self.rounds += 1
        return more

    # --- webhooks -------------------------------------------------------------------------

    async def check_webhooks(self) -> bool:
        """Look at the webhooks due, longest unchecked first; True when there were more due
        than a round takes and Telegram answered every one."""
        batch = max(1, int(self.options.rate * self.options.round_every))
        due = await self._directory.due_for_webhook_check(
            self._clock() - self.options.check_every, batch
        )
        in_flight = asyncio.Semaphore(IN_FLIGHT)
        unanswered = False

        async def check(shop: HostedShop) -> None:
            nonlocal unanswered
            try:
                if await self.check_webhook(shop) is Checked.NO_ANSWER:
                    unanswered = True
            except Exception:
                logger.exception("shop %d: its webhook check failed", shop.id)
            finally:
                in_flight.release()

        checks: list[asyncio.Task[None]] = []
        try:
            for shop in due:
                await in_flight.acquire()
                if unanswered:
                    in_flight.release()
                    break
                checks.append(asyncio.create_task(check(shop), name=f"webhook-check-{shop.id}"))
            await asyncio.gather(*checks)
        finally:  # cancelled (no longer the leader, or stopping): no check goes on without it
            for task in checks:
                task.cancel()
            await asyncio.gather(*checks, return_exceptions=True)
        return not unanswered and len(due) == batch

    async def check_webhook(self, shop: HostedShop) -> Checked:
        """getWebhookInfo under the shop's token, and what follows from the answer."""
        if self._mask is not None:
            self._mask.add(shop.bot_token, shop.webhook_secret)
        info = await self._call(shop, "getWebhookInfo")
        checked = await self._judge(shop, info)
        if checked is not Checked.NO_ANSWER:
            await self._directory.webhook_checked(shop.id)
        return checked

    async def _judge(self, shop: HostedShop, info: _Answer) -> Checked:
        if not info.ok:
            return await self._failed(shop, "getWebhookInfo", info)
        result = info.result if isinstance(info.result, dict) else {}
        url = self._public + TELEGRAM_PATH.format(shop_key=shop.shop_key)
        error = str(result.get("last_error_message") or "")
        error_age = self._error_age(result)
        recent = error_age is not None and error_age <= self.options.check_every
        if result.get("url") != url or (recent and "401" in error):
            found = (
                "was not set"
                if not result.get("url")
                else "pointed elsewhere"
                if result.get("url") != url
                else "had lost its secret (our edge answered 401)"
            )
            if not await self._still_as_read(shop):
                return Checked.FINE  # changed meanwhile (a new token, deleted): next round
            return await self._set_again(shop, url, found)
        waiting = int(result.get("pending_update_count") or 0)
        if recent and waiting > 0:
            logger.warning(
                "shop %d: Telegram cannot deliver to its webhook: %s (updates waiting: %d;"
                " last error %d s ago)",
                shop.id,
                error or "no reason given",
                waiting,
                int(error_age.total_seconds()) if error_age is not None else 0,
            )
            return Checked.FAILING
        return Checked.FINE

    async def _set_again(self, shop: HostedShop, url: str, found: str) -> Checked:
        params = {
            "url": url,
            "secret_token": shop.webhook_secret,
            "allowed_updates": list(ALLOWED_UPDATES),
        }
        answer = await self._call(shop, "setWebhook", params)
        if not answer.ok:
            return await self._failed(shop, "setWebhook", answer)
        logger.info("shop %d: its webhook %s; set again to the shop's path", shop.id, found)
        return Checked.SET_AGAIN

    async def _still_as_read(self, shop: HostedShop) -> bool:
        """True when the shop's row is as this round read it: a seller who replaced the token,
        or deleted the shop, since then must not have the old token's answer acted upon."""
        return await self._directory.get(shop.id) == shop

    async def _failed(self, shop: HostedShop, method: str, answer: _Answer) -> Checked:
        if answer.status == 401:
            if not await self._still_as_read(shop):
                return Checked.FINE  # the token was replaced meanwhile: the new one is checked
            await self._suspend(shop)
            return Checked.REVOKED
        if answer.status == 0 or answer.status >= 500:
            logger.warning(
                "housekeeping: Telegram gave no answer to %s (%s); webhook checks go on at the"
                " next round",
                method,
                answer.description or f"HTTP {answer.status}",
            )
            return Checked.NO_ANSWER
        logger.warning(
            "shop %d: Telegram refused %s: HTTP %d %s",
            shop.id,
            method,
            answer.status,
            answer.description,
        )
        return Checked.REFUSED

    async def _suspend(self, shop: HostedShop) -> None:
        """As the worker does on a 401: suspend the shop, tell its seller once."""
        logger.warning("shop %d: %s; suspended", shop.id, REVOKED)
        if not await self._directory.suspend(shop.id, REVOKED) or self._on_suspended is None:
            return
        try:
            current = await self._directory.get(shop.id)
            if current is not None:
                await self._on_suspended(current, REVOKED)
        except Exception:
            logger.exception("shop %d: telling its seller of the suspension failed", shop.id)

    def _error_age(self, info: dict[str, Any]) -> timedelta | None:
        when = info.get("last_error_date")
        if not isinstance(when, int) or when <= 0:
            return None
        return self._clock() - datetime.fromtimestamp(when, self._clock().tzinfo)

    async def _call(
        self, shop: HostedShop, method: str, params: dict[str, Any] | None = None
    ) -> _Answer:
        await self._limit.wait()
        try:
            response = await self._http.post(
                f"{self._telegram}/bot{shop.bot_token}/{method}",
                json=params,
                timeout=self.options.timeout,
            )
        except httpx.HTTPError as exc:
            return _Answer(0, description=type(exc).__name__)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _Answer(response.status_code if response.status_code != 200 else 502)
        if response.status_code == 200 and body.get("ok") is not True:
            return _Answer(502, description="not ok")
        return _Answer(response.status_code, body.get("result"), str(body.get("description") or ""))

    # --- purges ---------------------------------------------------------------------------

    async def purge(self) -> Purged:
        """Handled inbox rows older than ``INBOX_KEEP`` (all shops), then deleted shops' rows."""
        before = self._clock() - INBOX_KEEP
        inbox = 0
        while True:
            removed = await self._store.run(Tx.directory_purge_inbox, before, PURGE_BATCH)
            inbox += removed
            if removed < PURGE_BATCH:
                break
        leftovers = await self._store.run(Tx.directory_purge_deleted_shops)
        if inbox or leftovers:
            logger.info(
                "housekeeping purged %d handled updates older than a day and %d rows of"
                " deleted shops",
                inbox,
                leftovers,
            )
        return Purged(inbox, leftovers)
