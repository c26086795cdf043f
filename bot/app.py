"""Wiring only: the store, the Midtrans client, the PTB Application and the web listener, started
and stopped together in one process and one event loop.

The same ``BotRuntime`` runs in production (``python -m bot run``), in the offline demo and in the
end-to-end tests; only the settings differ (base URLs of Telegram and Midtrans).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import resource
import secrets
import socket
import sqlite3
import warnings
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import uvicorn
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    Defaults,
)
from telegram.request import BaseRequest

from bot.chat import groups, guards
from bot.chat.context import CONTEXT_TYPES
from bot.chat.customer import register as customer
from bot.chat.customer import timeout as checkout_timeout
from bot.chat.seller import register as admin
from bot.chat.seller.common import load_admins
from bot.chat.seller.register import CLAIM_GATE
from bot.config import Secret, Settings
from bot.connections import (
    ConnectionLimits,
    descriptors_in_use,
    guarded_protocol,
    plan_max_connections,
    raise_descriptor_limit,
)
from bot.health import HealthCheck, TelegramWatch, watched_requests
from bot.listener import create_web_app
from bot.messages.outbox import OutboxSender
from bot.messages.paycode import resend_from_outbox
from bot.messages.pushes import SEND_PAYMENT_CODE
from bot.payments.midtrans import MidtransClient
from bot.payments.polling import StatusPoller
from bot.payments.reconcile import schedule as schedule_reconciliation
from bot.payments.service import PaymentService
from bot.payments.worker import PaymentWorker
from bot.persistence import SQLitePersistence
from bot.rules.clock import WIB, Clock, utc_now
from bot.shop.admins import ClaimGate, new_claim_code
from bot.shop.services import KEY, Services
from bot.startup import InstanceLock, bind_listener, database_open_error, telegram_error
from bot.text import phrases
from storage import Store, Tx

logger = logging.getLogger(__name__)


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats and users run concurrently; updates that share a chat or a
    user run in order.

    A checkout waits on Midtrans for a moment; other customers should not wait with it. The
    conversation state of one chat must not race with itself, and neither may one person's
    cart and pending orders, which follow the user across chats (their private chat, a group,
    a button on an old message): hence one lock per chat and one per user. An update takes
    both, always in the same global order, so two updates never wait on each other in a circle.
    """

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[tuple[str, int], asyncio.Lock] = {}
        self._users: dict[tuple[str, int], int] = {}  # updates holding or awaiting each lock

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        keys = sorted(_serial_keys(update))
        for key in keys:
            self._users[key] = self._users.get(key, 0) + 1
        try:
            async with contextlib.AsyncExitStack() as held:
                for key in keys:
                    await held.enter_async_context(self._locks.setdefault(key, asyncio.Lock()))
                await coroutine
        finally:
            for key in keys:
                self._users[key] -= 1
                if not self._users[key]:  # forget idle chats and users: memory stays flat
                    del self._users[key]
                    del self._locks[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def _serial_keys(update: object) -> set[tuple[str, int]]:
    """The locks an update needs: its chat's and its sender's (one shared key when neither)."""
    keys: set[tuple[str, int]] = set()
    if isinstance(update, checkout_timeout.CheckoutExpired):
        keys.update({("chat", update.chat_id), ("user", update.user_id)})
    elif isinstance(update, Update):
        if update.effective_chat:
            keys.add(("chat", update.effective_chat.id))
        if update.effective_user:
            keys.add(("user", update.effective_user.id))
    return keys or {("chat", 0)}


class BotRuntime:
    """Everything the bot runs, started and stopped in the right order."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = utc_now,
        poll_timeout: int = 10,
        midtrans_read_timeout: float = 15.0,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.poll_timeout = poll_timeout
        self.midtrans_read_timeout = midtrans_read_timeout
        self.store: Store | None = None
        self.application: Application[Any, Any, Any, Any, Any, Any] | None = None
        self.services: Services | None = None
        self.midtrans: MidtransClient | None = None
        self.outbox: OutboxSender | None = None
        self.claim_code: str | None = None
        self.payment_worker: PaymentWorker | None = None
        self._server: uvicorn.Server | None = None
        self._server_task: asyncio.Task[None] | None = None
        self._poller_task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None
        self._lock: InstanceLock | None = None
        self.port: int | None = None
        self.telegram_watch = TelegramWatch()

    @property
    def listener_url(self) -> str:
        return f"http://{self.settings.listen_host}:{self.port}"

    async def start(self) -> None:
        """Start everything, in an order that makes a failed start harmless.

        The instance lock comes first (a second bot on this database touches nothing), then the
        database and the listener port (found busy in milliseconds), then Telegram's getMe (a
        refused token stops here). Telegram's webhook is set, or deleted for polling, last of
        all: a start that fails anywhere before leaves it as it was.
        """
        self.settings = with_webhook_secret(self.settings)
        settings = self.settings
        if str(settings.database_path) != ":memory:":
            self._lock = InstanceLock(settings.database_path)
            self._lock.acquire()
        store = await _open_store(settings.database_path)
        self.store = store
        if self._lock is not None:  # no other sender is alive: a dead one's claims are void
            await store.run(Tx.release_claims)
        self._socket = bind_listener(settings.listen_host, settings.listen_port)
        midtrans = MidtransClient(
            settings.midtrans_server_key.get(),
            base_url=settings.midtrans_base_url,
            read_timeout=self.midtrans_read_timeout,
        )
        self.midtrans = midtrans
        request, updates_request = watched_requests(self.telegram_watch)
        application = shop_application(settings, store, request, updates_request).build()
        self.application = application
        self.outbox = OutboxSender(
            store,
            application.bot,
            self.clock,
            special={
                SEND_PAYMENT_CODE: resend_from_outbox(store, application.bot, self._shop_name)
            },
        )

        register_handlers(application)

        await _initialize(application, settings)  # getMe: the token and the network
        if settings.payment_worker and str(settings.database_path) != ":memory:":
            self.payment_worker = PaymentWorker(
                settings.database_path,
                settings.admin_ids,
                log_level=settings.log_level,
                clock=self.clock,
            )
            await self.payment_worker.start()
        payments = PaymentService(
            store,
            midtrans,
            settings,
            clock=self.clock,
            wake_outbox=self.outbox.wake,
            worker=self.payment_worker,
        )
        svc = Services(
            settings=settings,
            store=store,
            midtrans=midtrans,
            payments=payments,
            clock=self.clock,
            wake_outbox=self.outbox.wake,
        )
        self.services = svc
        application.bot_data[KEY] = svc
        load_admins(application.bot_data, await svc.admin_ids())
        await self._start_listener(svc)
        await application.start()
        self.outbox.start()
        if application.job_queue is not None:
            schedule_reconciliation(
                application.job_queue, svc.payments, store, settings, clock=self.clock
            )
            checkout_timeout.schedule(application.job_queue, settings.reconcile_interval)
        poller = StatusPoller(svc.payments, store, settings, clock=self.clock)
        self._poller_task = asyncio.create_task(poller.run(), name="status-poller")
        try:
            await self._announce(svc)
            await self._receive_updates()
        except TelegramError as exc:
            raise telegram_error(exc, settings.telegram_base_url) from None

    async def _receive_updates(self) -> None:
        """Tell Telegram where updates go: the webhook, or polling (which deletes it)."""
        application = self.application
        assert application is not None
        if self.settings.telegram_webhook_url:
            await application.bot.set_webhook(
                self.settings.telegram_webhook_url,
                secret_token=self.settings.telegram_webhook_secret.get(),
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            assert application.updater is not None
            await application.updater.start_polling(
                poll_interval=0.0, timeout=self.poll_timeout, allowed_updates=Update.ALL_TYPES
            )

    async def _start_listener(self, svc: Services) -> None:
        application = self.application
        assert application is not None and self._socket is not None

        async def feed_update(data: dict[str, Any]) -> None:
            await application.update_queue.put(Update.de_json(data, application.bot))

        web = create_web_app(
            payments=svc.payments,
            store=svc.store,
            settings=self.settings,
            telegram_updates=feed_update if self.settings.telegram_webhook_url else None,
            is_running=lambda: application.running,
            health=HealthCheck(
                svc.store,
                self.settings,
                is_running=lambda: application.running,
                clock=self.clock,
                telegram=self.telegram_watch,
                ask_telegram=application.bot.get_me,
            ),
        )
        config = uvicorn.Config(
            web,
            host=self.settings.listen_host,
            port=self.settings.listen_port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http=guarded_protocol(self._connection_limits()),
            timeout_keep_alive=5,
            h11_max_incomplete_event_size=16 * 1024,  # a request head larger than this: 400
        )
        self._server = uvicorn.Server(config)
        self._server_task = asyncio.create_task(self._server.serve(sockets=[self._socket]))
        while not self._server.started:
            if self._server_task.done():
                self._server_task.result()  # re-raises why it could not listen
                raise RuntimeError("web listener stopped during start-up")
            await asyncio.sleep(0.01)
        sockets = [s for server in self._server.servers for s in server.sockets]
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.listen_port
        logger.info(
            "listening on %s (Midtrans: %s)", self.listener_url, self.settings.notification_path
        )

    def _connection_limits(self) -> ConnectionLimits:
        """LISTEN_MAX_CONNECTIONS, lowered if the descriptor limit could not hold it with the
        reserve the rest of the bot needs (bot.connections)."""
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = self.settings.listen_max_connections
        allowed = plan_max_connections(wanted, soft, descriptors_in_use())
        if allowed < wanted:
            logger.warning(
                "open-file limit %d allows %d listener connections, not LISTEN_MAX_CONNECTIONS=%d:"
                " raise LimitNOFILE (systemd) or ulimit -n",
                soft,
                allowed,
                wanted,
            )
        return ConnectionLimits(allowed, self.settings.request_timeout.total_seconds())

    async def _announce(self, svc: Services) -> None:
        """Command menus; and a claim code when the shop has no admin yet."""
        application = self.application
        assert application is not None
        admins = await svc.admin_ids()
        await admin.publish_commands(application.bot, admins)
        if not admins:
            gate = ClaimGate(new_claim_code())
            self.claim_code = gate.code
            application.bot_data[CLAIM_GATE] = gate
            logger.warning(
                "no admin yet: send /claim %s to the bot from the owner's Telegram account",
                self.claim_code,
            )

    async def _shop_name(self) -> str:
        assert self.services is not None
        return (await self.services.shop()).name

    async def stop(self) -> None:
        application = self.application
        if self._poller_task is not None:
            self._poller_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller_task
        if self.outbox is not None:
            await self.outbox.stop()
        if application is not None:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            await application.shutdown()
        if self._server is not None and self._server_task is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._server_task
        if self.payment_worker is not None:  # after the listener: nothing new can arrive
            await self.payment_worker.stop()
        if self.midtrans is not None:
            await self.midtrans.aclose()
        if self.store is not None:
            await self.store.close()
        if self._socket is not None:
            self._socket.close()
        if self._lock is not None:  # last: the next instance may start now
            self._lock.release()

    async def __aenter__(self) -> BotRuntime:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def shop_application(
    settings: Settings, store: Store, request: BaseRequest, updates_request: BaseRequest
) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
    """The python-telegram-bot Application of a shop's bot, as the single-shop bot and each
    hosted shop (``bot.platform.worker``, which adds no updater and no job queue) build it:
    HTML by default in WIB, Telegram's limits kept, state in the shop's store, updates of one
    chat or user in order, the typed context."""
    return (
        Application.builder()
        .token(settings.telegram_token.get())
        .request(request)
        .get_updates_request(updates_request)
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=WIB))
        .rate_limiter(AIORateLimiter(max_retries=2))
        .persistence(SQLitePersistence(store))
        .concurrent_updates(PerUserUpdateProcessor())
        .context_types(CONTEXT_TYPES)
    )


def register_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Every handler of a shop's bot, in order: the single-shop bot's and each hosted shop's
    (``bot.platform.worker``)."""
    with warnings.catch_warnings():
        # PTB notes that per_message=False does not track buttons per message; our buttons
        # carry all they need in their data, and the conversation is per chat on purpose.
        warnings.filterwarnings("ignore", message="If 'per_message=False'")
        guards.register(application)  # forged button data stops here, answered
        groups.register(application)  # first: no shopping handler sees a group update
        admin.register(application)
        customer.register(application)
    application.add_error_handler(_on_error)


def with_webhook_secret(settings: Settings) -> Settings:
    """Settings with a webhook secret: Telegram echoes it on every webhook call, and a fresh
    random one per start is enough when TELEGRAM_WEBHOOK_SECRET is empty."""
    if settings.telegram_webhook_url and not settings.telegram_webhook_secret:
        return dataclasses.replace(
            settings, telegram_webhook_secret=Secret(secrets.token_urlsafe(32))
        )
    return settings


async def _open_store(path: Path) -> Store:
    try:
        return await Store.open(path)
    except (sqlite3.Error, RuntimeError) as exc:
        refusal = database_open_error(path, exc)
        if refusal is None:
            raise
        raise refusal from None


async def _initialize(
    application: Application[Any, Any, Any, Any, Any, Any], settings: Settings
) -> None:
    """``Application.initialize`` (its getMe), with a refused token or no network as one line."""
    try:
        await application.initialize()
    except TelegramError as exc:
        with contextlib.suppress(Exception):
            await application.bot.shutdown()  # its HTTP clients were opened for getMe
        raise telegram_error(exc, settings.telegram_base_url) from None


async def _on_error(update: object, context: Any) -> None:
    """Log the failure; tell the user something friendly, never the traceback."""
    error = context.error
    if isinstance(error, TelegramError) and not isinstance(error, BadRequest):
        # Telegram could not be reached, refused the chat or asked to wait: not a bug of ours,
        # and a traceback per update would bury the log while Telegram is unwell.
        logger.error("error while handling an update: %s: %s", type(error).__name__, error)
    else:
        logger.error("error while handling an update", exc_info=error)
    await guards.answer_failed_tap(update)
    if isinstance(update, Update) and update.effective_chat:
        lang = phrases.language_for(
            update.effective_user.language_code if update.effective_user else None
        )
        with contextlib.suppress(Exception):
            await update.effective_chat.send_message(phrases.t(lang, "error.generic"))


async def run_forever(settings: Settings) -> None:
    """`python -m bot run`: start everything and stop cleanly on Ctrl-C or SIGTERM."""
    import signal

    raise_descriptor_limit()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with BotRuntime(settings) as runtime:
        assert runtime.application is not None
        logger.info("bot @%s running", runtime.application.bot.username)
        # Everything loaded so far (modules, PTB, handlers) lives as long as the process: keep
        # it out of the garbage collector's full passes, which otherwise rescan it under load.
        gc.freeze()
        await stop.wait()
