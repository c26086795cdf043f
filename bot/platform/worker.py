"""The platform's worker: serves the hosted shops of the partitions it owns.

Shops are spread over ``partitions`` by shop id (id modulo the count). A worker owns a partition
while it holds that partition's PostgreSQL session advisory lock, on a connection of its own:
when the process dies the connection goes and the lock with it, and another worker takes the
partition at its next tick. Every live worker also holds a shared presence lock, so each can
count the others and own its fair share, ceil(partitions / workers): a worker that starts takes
free partitions, and one that owns more than its share hands the extra ones over (their shops'
batches in hand finished first, so each shop's updates stay in order). A worker that takes a
partition takes over the inbox and outbox claims its previous owner left (that owner is gone:
a worker killed mid-batch would otherwise hold its shops' updates and pushes until the leases
ran out, and let later updates of a chat overtake them). A worker whose lock session ends stops
serving every shop before it takes partitions again.

The edge announces new work as it commits it (LISTEN/NOTIFY, ``bot.platform.wakeups``): the
worker kicks that shop at once. Each tick (``tick`` seconds; the fallback for announcements
missed while the listening connection was down) the worker asks which active shops of its
partitions have updates in the inbox or outbox messages due (``Tx.directory_shops_with_work``),
and every ``RECONCILE_INTERVAL`` which have orders for reconciliation (pending orders to check,
sellers to tell of a payment past the reversal window: ``Tx.directory_shops_with_payments_due``)
or an unfinished checkout past ``CHECKOUT_TIMEOUT`` (``Tx.directory_shops_with_checkouts_due``).
It loads those it has not loaded, drains their inbox in ``update_id`` order and wakes their
outbox sender; each update is marked handled in its chat's turn, so a worker that dies leaves at
most the update in flight of each chat to be handled again. A loaded shop is a lean
python-telegram-bot Application (no updater, no job queue) with the single-shop bot's handlers
(``bot.app.register_handlers``), its own rate limiter, conversation state in the shop's store,
and one HTTP pool shared by every shop (``SharedRequest``: a shop's shutdown does not close it,
and it drops idle connections before servers do, ``KEEPALIVE``); its outbox sender, and a
reconciliation pass with the checkout timeout sweep (``bot.chat.customer.timeout``) every
``reconcile_interval``, run while it is loaded. A shop idle for
``idle_after`` seconds is evicted; its next update loads it again.
A shop that is paused, suspended, deleted or changed (rotated key, new token) is evicted or
reloaded at the next check of the directory.

Each shop works in tasks of its own, so a slow or failing shop delays no other, and its calls
to Telegram pass its own ``ShopGate`` (``bot.platform.fairness``): at most ``send_slots`` in
flight, so a shop whose calls hang cannot take the shared pool; a ``retry_after`` over a minute,
or calls that keep timing out, pause the shop: its inbox is not drained and its outbox not sent
(both wait untouched) until the pause ends, while ``AIORateLimiter`` still sleeps out short
waits. A shop whose token Telegram refuses (401) is suspended with that reason and evicted.

When it suspends a shop it calls ``on_suspended(shop, reason)`` (``python -m bot platform``:
the platform bot tells the seller, ``notify_suspended``).

Handled inbox rows are purged by the leader's housekeeping (``bot/platform/housekeeping.py``),
for every shop, loaded or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx
from telegram import Update
from telegram.error import InvalidToken
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bot.app import register_handlers, shop_application
from bot.chat.customer import timeout as checkout_timeout
from bot.chat.seller.common import load_admins
from bot.messages.outbox import OutboxSender
from bot.messages.paycode import resend_from_outbox
from bot.messages.pushes import SEND_PAYMENT_CODE
from bot.payments.midtrans import MidtransClient
from bot.payments.reconcile import QUIET_PERIOD, reconcile_once
from bot.payments.service import PaymentService
from bot.platform.fairness import ShopGate, ShopPaused, ShopRequest
from bot.platform.hosting import Hosting, shop_store
from bot.platform.shops import HostedShop, ShopDirectory
from bot.platform.wakeups import Wakeups
from bot.rules.clock import Clock, utc_now
from bot.rules.orders import PENDING, OrderStatus
from bot.shop.services import KEY, Services
from storage import Store, Tx
from storage.locks import LockLost, LockSession
from storage.postgres import PostgresStore
from storage.wakeups import Wakeup

logger = logging.getLogger(__name__)

PARTITION_LOCK = 0x5741_5255_4E47_1000
"""Partition p is owned by whoever holds the session advisory lock PARTITION_LOCK + p."""

WORKER_PRESENCE = PARTITION_LOCK - 1
"""Held shared by every live worker: their count decides each one's share of partitions."""

OnSuspended = Callable[[HostedShop, str], Awaitable[object]]
T = TypeVar("T")

REVOKED = "Telegram refused the bot token (401): it was revoked or the bot deleted"


KEEPALIVE = 4.0
"""Seconds an idle connection to Telegram is kept: less than the 5 s after which common servers
(uvicorn, so the Telegram stand-in) close one. httpx's default is 5 s too, and the two race: a
request sent on a connection the server is closing fails with a ReadError, and a handler's
reply is lost (seen in tests/platform/test_platform_load.py)."""


class SharedRequest(HTTPXRequest):
    """One HTTP connection pool for every shop's bot. PTB shuts a bot's request down with the
    bot; this one ignores that, and only ``close`` (the worker, at its end) closes it."""

    def __init__(self, connection_pool_size: int = 256) -> None:
        limits = httpx.Limits(max_connections=connection_pool_size, keepalive_expiry=KEEPALIVE)
        super().__init__(connection_pool_size=connection_pool_size, httpx_kwargs={"limits": limits})

    async def shutdown(self) -> None:
        return None

    async def close(self) -> None:
        await super().shutdown()


@dataclass(frozen=True)
class WorkerOptions:
    partitions: int = 16
    max_partitions: int | None = None  # None: as many as are free
    tick: float = 0.5
    idle_after: float = 600.0
    inbox_lease: timedelta = timedelta(seconds=60)
    batch: int = 50
    directory_check_every: int = 10  # ticks between two looks at the loaded shops' rows
    build_retry: float = 30.0  # seconds before a shop that failed to load is tried again
    http_pool: int = 256  # connections of the HTTP pool every shop's bot shares
    send_slots: int = 16  # a shop's Telegram calls in flight at most (bot.platform.fairness)


class PartitionLocks:
    """The partitions this worker owns: one exclusive session advisory lock each, on a session
    of its own (``storage.locks``), which also holds the shared presence lock every live worker
    holds, so workers can count each other. A ``LockLost`` from any call means the session
    ended (the database restarted, the connection broke): every partition is gone, and another
    worker may own it already."""

    def __init__(self, dsn: str) -> None:
        self._session = LockSession(dsn, shared=WORKER_PRESENCE)
        self.owned: set[int] = set()

    async def try_take(self, partition: int) -> bool:
        """Lock the partition; the caller adds it to ``owned`` once it is ready to serve it."""
        return await self._guard(self._session.try_lock(PARTITION_LOCK + partition))

    async def release(self, partition: int) -> None:
        """Give the partition up (its shops must be evicted first)."""
        await self._guard(self._session.unlock(PARTITION_LOCK + partition))
        self.owned.discard(partition)

    async def live_workers(self) -> int:
        """Workers of this database whose presence lock is held (this one included)."""
        return max(1, await self._guard(self._session.holders(WORKER_PRESENCE)))

    async def close(self) -> None:
        """Releases every partition and the presence lock, then ends the session."""
        await self._session.close()
        self.owned.clear()

    async def _guard(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except LockLost:
            self.owned.clear()
            raise


@dataclass
class ShopBot:
    """One loaded shop: its Application, services and outbox sender."""

    shop: HostedShop
    store: Store
    application: Application[Any, Any, Any, Any, Any, Any]
    services: Services
    midtrans: MidtransClient
    outbox: OutboxSender
    gate: ShopGate
    last_used: float = field(default_factory=time.monotonic)
    next_reconcile: float = 0.0
    drain: asyncio.Task[None] | None = None
    reconcile: asyncio.Task[None] | None = None
    woken: bool = False  # an update came in while a drain ran: it looks once more

    def busy(self) -> bool:
        return any(task is not None and not task.done() for task in (self.drain, self.reconcile))


class PlatformWorker:
    """Serves the active shops of the partitions it owns (see the module docstring)."""

    def __init__(
        self,
        store: PostgresStore,
        dsn: str,
        directory: ShopDirectory,
        hosting: Hosting,
        *,
        clock: Clock = utc_now,
        options: WorkerOptions = WorkerOptions(),
        on_suspended: OnSuspended | None = None,
    ) -> None:
        self._store = store
        self._on_suspended = on_suspended
        self._directory = directory
        self._hosting = hosting
        self._clock = clock
        self.options = options
        self.locks = PartitionLocks(dsn)
        self.wakeups = Wakeups(dsn, self._on_wakeup)
        self._request = SharedRequest(connection_pool_size=options.http_pool)
        self.loaded: dict[int, ShopBot] = {}
        self._loading: dict[int, asyncio.Task[None]] = {}
        self._failed_until: dict[int, float] = {}
        self._gates: dict[int, ShopGate] = {}  # loaded shops' and paused shops'
        self._revoking: dict[int, asyncio.Task[None]] = {}
        self._closing: dict[int, asyncio.Task[None]] = {}  # shops being evicted
        self._task: asyncio.Task[None] | None = None
        self._ticks = 0
        self._next_sweep = 0.0
        self._stopping = False

    # --- life -----------------------------------------------------------------------------

    async def start(self) -> None:
        await self._request.initialize()
        self.wakeups.start()
        self._task = asyncio.create_task(self._run(), name="platform-worker")

    async def stop(self) -> None:
        self._stopping = True
        await self.wakeups.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._let_go_of_all()
        await self.locks.close()
        await self._request.close()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.tick()
            except Exception:
                logger.exception("worker tick failed")
            await asyncio.sleep(self.options.tick)

    # --- one tick -------------------------------------------------------------------------

    async def tick(self) -> None:
        """Take free partitions, start work for shops that have some, evict idle shops."""
        try:
            await self._take_partitions()
        except LockLost as exc:
            logger.error("worker lost its partition locks (%s): it stops serving their shops", exc)
            await self._let_go_of_all(grace=0.0)  # another worker may be serving them already
            return
        self._ticks += 1
        if self._ticks % self.options.directory_check_every == 0:
            await self._check_directory()
        now = self._clock()
        n = self.options.partitions
        owned = sorted(self.locks.owned)
        for shop_id in await self._store.run(Tx.directory_shops_with_work, owned, n, now):
            self._kick(shop_id)
        monotonic = time.monotonic()
        if monotonic >= self._next_sweep:
            self._next_sweep = monotonic + self._hosting.base.reconcile_interval.total_seconds()
            await self._sweep_payments(now)
            await self._load_due_checkouts(now)
        for shop_id, bot in list(self.loaded.items()):
            if monotonic >= bot.next_reconcile and not bot.busy():
                bot.next_reconcile = (
                    monotonic + bot.services.settings.reconcile_interval.total_seconds()
                )
                bot.reconcile = asyncio.create_task(self._reconcile(bot))
            elif not bot.busy() and monotonic - bot.last_used > self.options.idle_after:
                self._evict_soon(shop_id)
        self._forget_gates()

    async def _take_partitions(self) -> None:
        """Own a fair share of the partitions: ceil(partitions / live workers), at most
        ``max_partitions``. Free ones are taken; past the share (another worker started), the
        highest are handed back once their shops are evicted, and the newcomer takes them."""
        n = self.options.partitions
        share = -(-n // await self.locks.live_workers())
        limit = min(share, self.options.max_partitions or n)
        for partition in range(n):
            if len(self.locks.owned) >= limit:
                break
            if partition in self.locks.owned or not await self.locks.try_take(partition):
                continue
            # Whoever held the partition before is gone: the claims it left are this worker's
            # to take over now, not when their leases run out. Served (owned) only after that,
            # so no update of a chat overtakes one the previous owner had claimed.
            try:
                cleared = await self._store.run(Tx.directory_release_claims, partition, n)
            except Exception:
                await self.locks.release(partition)  # taken again, and cleared, at a later tick
                raise
            self.locks.owned.add(partition)
            logger.info(
                "worker owns partition %d of %d (%d claims taken over)", partition, n, cleared
            )
        excess = len(self.locks.owned) - limit
        for partition in sorted(self.locks.owned, reverse=True)[: max(0, excess)]:
            self.locks.owned.discard(partition)  # nothing of it is loaded from now on
            loading = [task for i, task in self._loading.items() if i % n == partition]
            for task in loading:
                task.cancel()
            await asyncio.gather(*loading, return_exceptions=True)
            for shop_id in [i for i in self.loaded if i % n == partition]:
                self._evict_soon(shop_id)
            closing = [task for i, task in self._closing.items() if i % n == partition]
            await asyncio.gather(*closing, return_exceptions=True)
            await self.locks.release(partition)
            logger.info("worker hands partition %d of %d over", partition, n)

    async def _let_go_of_all(self, grace: float = 10.0) -> None:
        """Stop serving every shop, and wait until each has stopped: another worker may own
        their partitions now and take over their claims, so none of ours may still be sending
        when this worker takes a partition again. ``grace``: seconds a batch or a send in hand
        may take to finish (0 when the locks were lost: stop at once)."""
        for task in list(self._loading.values()):
            task.cancel()
        await asyncio.gather(*self._loading.values(), return_exceptions=True)
        for shop_id in list(self.loaded):
            self._evict_soon(shop_id, grace)
        await asyncio.gather(*self._closing.values(), return_exceptions=True)

    async def _sweep_payments(self, now: datetime) -> None:
        """Load the shops that have orders for reconciliation to check, or sellers to tell of
        a payment: a loaded shop reconciles at once, then every ``RECONCILE_INTERVAL``."""
        base = self._hosting.base
        due = await self._store.run(
            Tx.directory_shops_with_payments_due,
            sorted(self.locks.owned),
            self.options.partitions,
            sorted(PENDING),
            now - base.reconcile_grace,
            now - QUIET_PERIOD,
            OrderStatus.PAID,
            now - base.reversal_window,
        )
        for shop_id in due:
            if shop_id not in self.loaded:
                self._kick(shop_id)

    async def _load_due_checkouts(self, now: datetime) -> None:
        """Load the shops with an unfinished checkout past its deadline: a loaded shop times
        them out in its reconciliation, at once after loading."""
        due = await self._store.run(
            Tx.directory_shops_with_checkouts_due,
            sorted(self.locks.owned),
            self.options.partitions,
            now,
        )
        for shop_id in due:
            if shop_id not in self.loaded:
                self._kick(shop_id)

    def _on_wakeup(self, wakeup: Wakeup) -> None:
        """The edge committed work for a shop (``bot.platform.wakeups``): start on it now if
        the shop is in a partition this worker owns, rather than at the next tick."""
        if self._stopping or wakeup.shop_id % self.options.partitions not in self.locks.owned:
            return
        if self.paused_for(wakeup.shop_id):
            return  # its updates and messages wait, untouched, until the pause ends
        bot = self.loaded.get(wakeup.shop_id)
        if bot is None:
            self._kick(wakeup.shop_id)  # loaded, then its inbox and outbox looked at
        elif wakeup.kind == "outbox":
            bot.outbox.wake()
        else:
            self._start_drain(bot)

    def _start_drain(self, bot: ShopBot) -> None:
        if bot.drain is None or bot.drain.done():
            bot.drain = asyncio.create_task(self._drain(bot), name=f"inbox-{bot.shop.id}")
        else:
            bot.woken = True

    def _kick(self, shop_id: int) -> None:
        if self.paused_for(shop_id):
            return  # its updates and messages wait, untouched, until the pause ends
        bot = self.loaded.get(shop_id)
        if bot is not None:
            bot.outbox.wake()
            self._start_drain(bot)
            return
        if shop_id in self._loading or shop_id in self._closing:
            return  # a shop being evicted is loaded again only once its last batch is done
        if time.monotonic() < self._failed_until.get(shop_id, 0):
            return
        self._loading[shop_id] = asyncio.create_task(self._load(shop_id), name=f"load-{shop_id}")

    def paused_for(self, shop_id: int) -> float:
        """Seconds the shop's calls to Telegram stay paused (0: not paused)."""
        gate = self._gates.get(shop_id)
        return gate.hold() if gate is not None else 0.0

    def _gate(self, shop_id: int) -> ShopGate:
        gate = self._gates.get(shop_id)
        if gate is None:
            gate = ShopGate(shop_id, self.options.send_slots, self._clock)
            self._gates[shop_id] = gate
        return gate

    def _forget_gates(self) -> None:
        """Drop the gates of shops neither loaded nor paused (a paused shop's gate outlives
        its eviction, so it is not loaded again before its pause ends)."""
        busy = self.loaded.keys() | self._loading.keys() | self._closing.keys()
        for shop_id in [i for i, gate in self._gates.items() if i not in busy and not gate.hold()]:
            del self._gates[shop_id]

    async def _check_directory(self) -> None:
        """Evict loaded shops that are no longer active, or whose row changed (one query per
        owned partition; the rows' secrets stay sealed)."""
        current: dict[int, datetime] = {}
        for partition in sorted(self.locks.owned):
            rows = await self._store.run(
                Tx.directory_active_shops, partition, self.options.partitions
            )
            current.update((row.id, row.updated_at) for row in rows)
        for shop_id, bot in list(self.loaded.items()):
            if current.get(shop_id) != bot.shop.updated_at:
                self._evict_soon(shop_id)
                self._gates.pop(shop_id, None)  # a new token may be another bot: no pause

    # --- a shop ---------------------------------------------------------------------------

    async def _load(self, shop_id: int) -> None:
        try:
            shop = await self._directory.get(shop_id)
            if shop is None or not shop.active:
                return
            try:
                bot = await self._build(shop)
            except InvalidToken:
                await self._revoked(shop.id)
                return
            except ShopPaused as exc:
                logger.info("shop %d not loaded: %s", shop_id, exc)
                return
            except Exception:
                logger.exception("shop %d could not be loaded; trying again later", shop_id)
                self._failed_until[shop_id] = time.monotonic() + self.options.build_retry
                return
            if shop_id % self.options.partitions not in self.locks.owned:
                await self._shut(bot)  # its partition was handed over meanwhile
                return
            self.loaded[shop_id] = bot
            self._failed_until.pop(shop_id, None)
            self._kick(shop_id)
        finally:
            self._loading.pop(shop_id, None)

    async def _build(self, shop: HostedShop) -> ShopBot:
        settings = self._hosting.settings_for(shop)
        store = shop_store(self._store, shop.id)
        gate = self._gate(shop.id)
        request = ShopRequest(self._request, gate)
        application = (
            shop_application(settings, store, request, request).updater(None).job_queue(None)
        ).build()
        register_handlers(application)
        application.add_error_handler(self._on_error_of(shop.id))
        midtrans = self._hosting.midtrans_client(settings)
        services: Services | None = None

        async def shop_name() -> str:
            assert services is not None  # set before the outbox starts
            return (await services.shop()).name

        outbox = OutboxSender(
            store,
            application.bot,
            self._clock,
            special={SEND_PAYMENT_CODE: resend_from_outbox(store, application.bot, shop_name)},
            on_invalid_token=lambda: self._suspend_soon(shop.id),
            hold=gate.hold,
        )
        payments = PaymentService(
            store, midtrans, settings, clock=self._clock, wake_outbox=outbox.wake
        )
        services = Services(
            settings=settings,
            store=store,
            midtrans=midtrans,
            payments=payments,
            clock=self._clock,
            wake_outbox=outbox.wake,
        )
        try:
            await application.initialize()  # getMe: a revoked token raises InvalidToken here
            await store.run(Tx.add_admin, shop.owner_user_id, self._clock(), owner=True)
            application.bot_data[KEY] = services
            load_admins(application.bot_data, await services.admin_ids())
            await application.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await application.shutdown()
            await midtrans.aclose()
            raise
        outbox.start()
        logger.info("shop %d (@%s) loaded", shop.id, shop.bot_username)
        return ShopBot(shop, store, application, services, midtrans, outbox, gate)

    async def _drain(self, bot: ShopBot) -> None:
        """Handle the shop's inbox in update_id order, a batch at a time; updates of different
        chats and users run concurrently, those sharing one in order (PerUserUpdateProcessor)."""
        application = bot.application
        # An evicted shop finishes its batch only; a paused one claims no more until it ends.
        while self.loaded.get(bot.shop.id) is bot and not bot.gate.hold():
            bot.woken = False
            batch = await bot.store.run(
                Tx.inbox_claim, self._clock(), self.options.inbox_lease, self.options.batch
            )
            if not batch:
                if bot.woken:  # committed after this claim's snapshot: look again
                    continue
                return
            bot.last_used = time.monotonic()
            tasks = []
            for update_id, payload in batch:
                update = Update.de_json(json.loads(payload), application.bot)
                tasks.append(
                    asyncio.create_task(
                        application.update_processor.process_update(
                            update, self._handle(bot, update_id, update)
                        )
                    )
                )
            await asyncio.gather(*tasks, return_exceptions=True)
            bot.last_used = time.monotonic()

    async def _handle(self, bot: ShopBot, update_id: int, update: Update) -> None:
        """Handle one update and mark it handled, inside its chat's and user's turn: a worker
        that dies leaves at most the update in flight of each chat to be handled again."""
        try:
            await bot.application.process_update(update)
        except Exception:  # handled as far as it goes: retrying would fail the same way
            logger.exception("shop %d: update %d failed", bot.shop.id, update_id)
        await bot.store.run(Tx.inbox_done, [update_id], self._clock())

    async def _reconcile(self, bot: ShopBot) -> None:
        try:
            await reconcile_once(
                bot.services.payments, bot.store, bot.services.settings, self._clock()
            )
        except Exception:
            logger.exception("reconcile of shop %d failed", bot.shop.id)
        try:
            await checkout_timeout.sweep(bot.application)
        except Exception:
            logger.exception("checkout timeout sweep of shop %d failed", bot.shop.id)

    def _on_error_of(self, shop_id: int) -> Callable[[object, Any], Any]:
        async def on_error(update: object, context: Any) -> None:
            if isinstance(context.error, InvalidToken):
                self._suspend_soon(shop_id)

        return on_error

    def _suspend_soon(self, shop_id: int) -> None:
        """Suspend a shop whose token was refused, in a task of its own: eviction waits for
        the drain or the send this is called from."""
        if shop_id not in self._revoking:
            self._revoking[shop_id] = asyncio.create_task(self._revoked(shop_id))

    async def _revoked(self, shop_id: int) -> None:
        """Telegram refused the shop's token: suspend it (the seller replaces the token)."""
        logger.warning("shop %d: %s; suspended", shop_id, REVOKED)
        try:
            moved = await self._directory.suspend(shop_id, REVOKED)
            self._evict_soon(shop_id)
            if moved and self._on_suspended is not None:
                await self._tell_suspended(shop_id)
        finally:
            self._revoking.pop(shop_id, None)

    async def _tell_suspended(self, shop_id: int) -> None:
        assert self._on_suspended is not None
        try:
            shop = await self._directory.get(shop_id)
            if shop is not None:
                await self._on_suspended(shop, REVOKED)
        except Exception:
            logger.exception("shop %d: telling its seller of the suspension failed", shop_id)

    def _evict_soon(self, shop_id: int, grace: float = 10.0) -> None:
        """Stop serving the shop, in a task of its own (a shop slow to stop delays no other):
        no new batch starts at once; the shop is loaded again only once this is done."""
        bot = self.loaded.pop(shop_id, None)
        if bot is None or shop_id in self._closing:
            return
        task = asyncio.create_task(self._shut(bot, grace), name=f"evict-{shop_id}")
        self._closing[shop_id] = task
        task.add_done_callback(lambda _: self._closing.pop(shop_id, None))

    async def _shut(self, bot: ShopBot, grace: float = 10.0) -> None:
        """The batch of updates in hand is finished first (within ``grace`` seconds; past it,
        cancelled, and its updates wait out their lease), so whoever serves the shop next
        continues in order; then its sender, Application and Midtrans client stop."""
        if bot.drain is not None and not bot.drain.done():
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(bot.drain), grace)
        for task in (bot.drain, bot.reconcile):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        await bot.outbox.stop(grace=min(grace, 5.0))
        with contextlib.suppress(Exception):
            if bot.application.running:
                await bot.application.stop()
            await bot.application.shutdown()
        await bot.midtrans.aclose()
        logger.info("shop %d evicted", bot.shop.id)
