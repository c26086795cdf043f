"""Delivers queued Bot API calls from the outbox table: in order per chat, retried until done.

Why a table and not a direct send: a push is queued in the same transaction that changed the
order, so it cannot be lost to a crash, a Telegram outage or a restart; this task only has to
work through the rows. Rules:

- Per chat, only the oldest undelivered row is eligible (``Tx.due_messages``), and a chat has at
  most one call in flight, so a customer reads "paid" after "payment code". Different chats are
  sent concurrently, at most ``concurrency`` at a time.
- Calls go through ``bot.do_api_request``, i.e. ``ExtBot._do_post``, so an Application built with
  ``AIORateLimiter`` throttles them like every other call. Parameters are plain JSON; PTB
  JSON-encodes dict values such as ``reply_markup`` itself.
- 429 waits ``retry_after``; network errors, timeouts, 5xx and anything unexpected back off
  1 s, 2 s, 4 s ... up to 5 min; a blocked bot, an unknown chat or any other 400 is permanent
  (marked failed and logged), since sending the same call again gets the same answer.
- A row is claimed before it is sent (``Tx.claim_due_messages``: one UPDATE that marks it taken
  for ``CLAIM_LEASE``), so a second sender, in this process or another, cannot take it too; a
  send is cut off at ``SEND_DEADLINE``, well inside the claim. The claims of a sender that died
  are cleared by the next bot that starts on the database (it holds the instance lock, so no
  other sender is alive; in platform mode, by the worker that takes the shop's partition), or
  run out by themselves.
- A row is marked sent right after Telegram accepts it. A crash between Telegram's answer and
  that commit (a few milliseconds) sends the row again after the restart; so does a timeout
  where Telegram did deliver. Nothing else sends a row twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)

from bot.rules.clock import Clock, utc_now
from storage import OutboxMessage, Store, Tx

logger = logging.getLogger(__name__)

Special = Callable[[OutboxMessage], Awaitable[None]]

MAX_BACKOFF = timedelta(minutes=5)
CLAIM_LEASE = timedelta(minutes=2)
SEND_DEADLINE = 60.0  # seconds; a send still running then counts as failed and is retried
_STORE_RETRY = 1.0  # seconds to wait when the database itself failed


class OutboxSender:
    """A background task sending outbox rows. ``start()``, ``wake()`` on new rows, ``stop()``.

    ``on_invalid_token`` (platform mode): called when Telegram refuses the token (401); the row
    is left as it was instead of being retried.

    ``hold`` (platform mode): seconds the shop's sends are paused for (0: not paused). While
    paused nothing is claimed, and a send that failed meanwhile is released untouched: every
    row waits, as it was, until the pause ends.

    ``special`` maps method names that are not Bot API calls (``warung.sendPaymentCode``) to the
    coroutine that carries them out; its errors are handled like Telegram's.
    """

    def __init__(
        self,
        store: Store,
        bot: Bot,
        clock: Clock = utc_now,
        special: Mapping[str, Special] | None = None,
        *,
        concurrency: int = 8,
        batch: int = 100,
        backoff_base: float = 1.0,
        max_backoff: timedelta = MAX_BACKOFF,
        on_invalid_token: Callable[[], None] | None = None,
        hold: Callable[[], float] | None = None,
    ) -> None:
        self._store = store
        self._bot = bot
        self._clock = clock
        self._special = dict(special or {})
        self._concurrency = max(1, concurrency)
        self._batch = batch
        self._backoff_base = backoff_base
        self._max_backoff = max_backoff.total_seconds()
        self._on_invalid_token = on_invalid_token
        self._hold = hold
        self._wake = asyncio.Event()
        self._busy: dict[int, asyncio.Task[None]] = {}  # chat id -> its send in flight
        self._claimed: dict[int, int] = {}  # chat id -> the row id of that send
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self.running:
            return
        self._stopping = False
        self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox-sender")

    def wake(self) -> None:
        """New rows were committed: look now instead of at the next due time."""
        self._wake.set()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop picking rows; let sends in flight finish for ``grace`` seconds, then cancel."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        in_flight = list(self._busy.values())
        if in_flight:
            _, late = await asyncio.wait(in_flight, timeout=grace)
            cancelled = [row for chat, row in self._claimed.items() if self._busy[chat] in late]
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            for row_id in cancelled:  # due again now, not when the lease ends
                with contextlib.suppress(Exception):
                    await self._store.run(Tx.release, row_id)

    # --- the loop --------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                delay = await self._dispatch()
            except Exception:
                logger.exception("outbox: could not read the queue")
                delay = _STORE_RETRY
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def _dispatch(self) -> float | None:
        """Start every due head row there is room for; seconds until the next look (None: wait
        for a wake-up)."""
        held = self._hold() if self._hold is not None else 0.0
        if held > 0:
            return held  # paused: nothing is claimed (a wake-up looks again)
        free = self._concurrency - len(self._busy)
        if free <= 0:
            # Every slot is taken: nothing could start. A finishing send wakes the loop; asking
            # the table now (on every new row, under load) would only repeat a scan of the queue.
            return None
        now = self._clock()
        rows = await self._store.run(
            Tx.claim_due_messages, now, now + CLAIM_LEASE, min(free, self._batch), tuple(self._busy)
        )
        for row in rows:
            task = asyncio.get_running_loop().create_task(self._deliver(row))
            self._busy[row.chat_id] = task
            self._claimed[row.chat_id] = row.id
            task.add_done_callback(functools.partial(self._done, row.chat_id))
        if len(self._busy) >= self._concurrency:
            return None  # a finishing send wakes the loop
        due = await self._store.run(Tx.next_head_due, tuple(self._busy))
        if due is None:
            return None
        return max(0.0, (due - self._clock()).total_seconds())

    def _done(self, chat_id: int, _: asyncio.Task[None]) -> None:
        self._busy.pop(chat_id, None)
        self._claimed.pop(chat_id, None)
        self._wake.set()

    # --- one row ---------------------------------------------------------------------------

    async def _deliver(self, row: OutboxMessage) -> None:
        try:
            async with asyncio.timeout(SEND_DEADLINE):
                await self._send(row)
        except RetryAfter as exc:
            wait = _seconds(exc)
            logger.info("outbox %d: Telegram asks to wait %.0f s", row.id, wait)
            await self._retry(row, wait, f"429 retry after {wait:.0f}s")
        except (Forbidden, BadRequest, ChatMigrated, EndPointNotFound) as exc:
            if await self._token_refused(row, exc):
                return
            logger.warning(
                "outbox %d to chat %d: %s refused for good: %s",
                row.id,
                row.chat_id,
                row.method,
                exc,
            )
            await self._mark(Tx.mark_failed, row.id, self._clock(), f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # network, timeout, 5xx, or a bug in a special method
            if await self._token_refused(row, exc) or await self._held(row):
                return
            wait = min(self._backoff_base * 2 ** min(row.attempts, 30), self._max_backoff)
            logger.warning(
                "outbox %d to chat %d: %s failed (%s), retry in %.1f s",
                row.id,
                row.chat_id,
                row.method,
                _describe(exc),
                wait,
                exc_info=not isinstance(exc, TelegramError),
            )
            await self._retry(row, wait, _describe(exc))
        else:
            await self._mark(Tx.mark_sent, row.id, self._clock())

    async def _token_refused(self, row: OutboxMessage, exc: Exception) -> bool:
        """Platform mode: Telegram refused the shop's token (401). The row waits, untouched,
        for the token the seller gives next, and ``on_invalid_token`` suspends the shop."""
        if self._on_invalid_token is None or not _is_token_refusal(exc):
            return False
        await self._mark(Tx.release, row.id)
        self._on_invalid_token()
        return True

    async def _held(self, row: OutboxMessage) -> bool:
        """Platform mode: the shop's sends are paused. The row waits untouched (not counted as
        an attempt) and is sent when the pause ends."""
        if self._hold is None or self._hold() <= 0:
            return False
        await self._mark(Tx.release, row.id)
        return True

    async def _send(self, row: OutboxMessage) -> None:
        special = self._special.get(row.method)
        if special is not None:
            await special(row)
            return
        params = {"chat_id": row.chat_id, **row.payload}
        # Bot API method names are case-insensitive. Lower case reaches the same method without
        # PTB's warning that Bot.sendMessage exists: rows name methods, not PTB functions.
        await self._bot.do_api_request(row.method.lower(), api_kwargs=params)

    async def _retry(self, row: OutboxMessage, seconds: float, error: str) -> None:
        at = self._clock() + timedelta(seconds=seconds)
        await self._mark(Tx.mark_retry, row.id, at, error)

    async def _mark(self, fn: Callable[..., None], row_id: int, *args: object) -> None:
        # Marking must not be lost to a short database hiccup: without it the row goes again.
        for attempt in range(3):
            try:
                await self._store.run(fn, row_id, *args)
                return
            except Exception:
                logger.exception("outbox %d: could not record the result", row_id)
                await asyncio.sleep(_STORE_RETRY * (attempt + 1))


def _is_token_refusal(exc: BaseException) -> bool:
    """A 401 from Telegram. PTB's ``do_api_request`` reports it as EndPointNotFound (a 404 and
    a 401 both raise InvalidToken underneath); Telegram's description tells them apart."""
    if isinstance(exc, EndPointNotFound):
        exc = exc.__cause__ or exc
    return isinstance(exc, InvalidToken) and "unauthorized" in str(exc).lower()


def _seconds(exc: RetryAfter) -> float:
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _describe(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, TelegramError) else repr(exc)
    return f"{type(exc).__name__}: {text}"[:300]
