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
import secrets
import warnings
from collections.abc import Awaitable
from typing import Any

import uvicorn
from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, BaseUpdateProcessor, Defaults

from bot.chat import guards
from bot.chat.context import CONTEXT_TYPES
from bot.chat.customer import register as customer
from bot.chat.seller import register as admin
from bot.chat.seller.common import load_admins
from bot.chat.seller.register import CLAIM_GATE
from bot.config import Secret, Settings
from bot.listener import create_web_app
from bot.messages.outbox import OutboxSender
from bot.messages.paycode import send_payment_code
from bot.messages.pushes import SEND_PAYMENT_CODE
from bot.payments.midtrans import MidtransClient
from bot.payments.reconcile import schedule as schedule_reconciliation
from bot.payments.service import PaymentService
from bot.payments.worker import PaymentWorker
from bot.persistence import SQLitePersistence
from bot.rules.clock import WIB, Clock, utc_now
from bot.shop.admins import ClaimGate, new_claim_code
from bot.shop.services import KEY, Services
from bot.text import phrases
from storage import OutboxMessage, Store, Tx

logger = logging.getLogger(__name__)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats run concurrently; updates of one chat run in order.

    A checkout waits on Midtrans for a moment; other customers should not wait with it. The
    conversation state of one chat must not race with itself, hence one lock per chat.
    """

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # updates holding or awaiting each chat's lock

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat_id = 0
        if isinstance(update, Update) and update.effective_chat:
            chat_id = update.effective_chat.id
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._users[chat_id] = self._users.get(chat_id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[chat_id] -= 1
            if not self._users[chat_id]:  # forget idle chats: memory stays flat
                del self._users[chat_id]
                del self._locks[chat_id]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


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
        self.port: int | None = None

    @property
    def listener_url(self) -> str:
        return f"http://{self.settings.listen_host}:{self.port}"

    async def start(self) -> None:
        if self.settings.telegram_webhook_url and not self.settings.telegram_webhook_secret:
            # Telegram echoes this secret on every webhook call; a fresh one per start is enough.
            self.settings = dataclasses.replace(
                self.settings, telegram_webhook_secret=Secret(secrets.token_urlsafe(32))
            )
        settings = self.settings
        store = await Store.open(settings.database_path)
        self.store = store
        midtrans = MidtransClient(
            settings.midtrans_server_key.get(),
            base_url=settings.midtrans_base_url,
            read_timeout=self.midtrans_read_timeout,
        )
        self.midtrans = midtrans
        application = (
            Application.builder()
            .token(settings.telegram_token.get())
            .base_url(settings.telegram_base_url)
            .base_file_url(settings.telegram_base_file_url)
            .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=WIB))
            .rate_limiter(AIORateLimiter(max_retries=2))
            .persistence(SQLitePersistence(store))
            .concurrent_updates(PerChatUpdateProcessor())
            .context_types(CONTEXT_TYPES)
            .build()
        )
        self.application = application
        self.outbox = OutboxSender(
            store,
            application.bot,
            self.clock,
            special={SEND_PAYMENT_CODE: self._send_payment_code},
        )
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

        with warnings.catch_warnings():
            # PTB notes that per_message=False does not track buttons per message; our buttons
            # carry all they need in their data, and the conversation is per chat on purpose.
            warnings.filterwarnings("ignore", message="If 'per_message=False'")
            guards.register(application)
            admin.register(application)
            customer.register(application)
        application.add_error_handler(_on_error)

        await application.initialize()
        await self._start_listener(svc)
        await application.start()
        if settings.telegram_webhook_url:
            await application.bot.set_webhook(
                settings.telegram_webhook_url,
                secret_token=settings.telegram_webhook_secret.get(),
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            assert application.updater is not None
            await application.updater.start_polling(
                poll_interval=0.0, timeout=self.poll_timeout, allowed_updates=Update.ALL_TYPES
            )
        self.outbox.start()
        if application.job_queue is not None:
            schedule_reconciliation(
                application.job_queue, svc.payments, store, settings, clock=self.clock
            )
        await self._announce(svc)

    async def _start_listener(self, svc: Services) -> None:
        application = self.application
        assert application is not None

        async def feed_update(data: dict[str, Any]) -> None:
            await application.update_queue.put(Update.de_json(data, application.bot))

        web = create_web_app(
            payments=svc.payments,
            store=svc.store,
            settings=self.settings,
            telegram_updates=feed_update if self.settings.telegram_webhook_url else None,
            is_running=lambda: application.running,
        )
        config = uvicorn.Config(
            web,
            host=self.settings.listen_host,
            port=self.settings.listen_port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._server_task = asyncio.create_task(self._server.serve())
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

    async def _send_payment_code(self, message: OutboxMessage) -> None:
        """Outbox special: a code recovered by the reconciler goes out as text plus slip."""
        assert self.store is not None and self.application is not None and self.services
        order = await self.store.run(Tx.order, str(message.payload["order_id"]))
        if order is None or order.charge is None:
            return
        shop = await self.services.shop()
        await send_payment_code(self.application.bot, order, shop.name)

    async def stop(self) -> None:
        application = self.application
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

    async def __aenter__(self) -> BotRuntime:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def _on_error(update: object, context: Any) -> None:
    """Log the failure; tell the user something friendly, never the traceback."""
    logger.error("error while handling an update", exc_info=context.error)
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

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with BotRuntime(settings) as runtime:
        me = await runtime.application.bot.get_me() if runtime.application else None
        logger.info("bot @%s running", me.username if me else "?")
        # Everything loaded so far (modules, PTB, handlers) lives as long as the process: keep
        # it out of the garbage collector's full passes, which otherwise rescan it under load.
        gc.freeze()
        await stop.wait()
