"""``python -m bot platform --role edge|worker|all``: the platform's processes.

An edge serves ``/tg/{shop_key}``, ``/midtrans/{shop_key}/notification`` and ``/healthz`` on
``LISTEN_HOST``:``LISTEN_PORT``; a worker serves the shops of the partitions it can take. ``all``
runs both in one process (a small deployment). Every process opens its own PostgreSQL
connection (schema migrated under the advisory lock, so processes starting together are safe).
Of the ``worker`` and ``all`` processes, the one holding the leader lock runs the platform bot
and the housekeeping (``bot/platform/leader.py``); every worker tells a seller of a suspended
shop through the platform bot's API (sending needs no lock).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import signal

import httpx
import psycopg
import uvicorn
from telegram import Bot

from bot.config import Settings
from bot.connections import (
    ConnectionLimits,
    descriptors_in_use,
    guarded_protocol,
    plan_max_connections,
    raise_descriptor_limit,
)
from bot.logging_filter import SecretMask
from bot.platform.config import PlatformSettings
from bot.platform.edge import EdgeApp
from bot.platform.hosting import Hosting, PaymentsCache
from bot.platform.housekeeping import Housekeeping, HousekeepingOptions
from bot.platform.leader import LeaderLock, PlatformApplication, PlatformBotLeader
from bot.platform.onboarding import Onboarding
from bot.platform.platform_bot import PlatformBot, build_application, notify_suspended
from bot.platform.secrets import SecretBox
from bot.platform.shops import HostedShop, ShopDirectory
from bot.platform.worker import PlatformWorker, WorkerOptions
from bot.rules.clock import utc_now
from bot.startup import EXIT_TRY_AGAIN, StartupError, bind_listener
from storage.postgres import PostgresStore

logger = logging.getLogger(__name__)

ROLES = ("edge", "worker", "all")


async def run_platform(
    settings: PlatformSettings,
    role: str,
    mask: SecretMask | None,
    stop: asyncio.Event | None = None,
    *,
    leader_retry: float = 5.0,
) -> None:
    """Run ``role`` until SIGINT or SIGTERM (or until ``stop`` is set, when given)."""
    raise_descriptor_limit()
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    base = settings.base
    socket = bind_listener(base.listen_host, base.listen_port) if role != "worker" else None
    try:
        store = await PostgresStore.open(settings.database_url.get())
    except psycopg.Error as exc:
        if socket is not None:
            socket.close()
        first = (str(exc).strip().splitlines() or ["no answer"])[0]
        raise StartupError(f"cannot open DATABASE_URL: {first}", EXIT_TRY_AGAIN) from None
    directory = ShopDirectory(store, SecretBox(settings.master_keys), settings.lookup_key, utc_now)
    hosting = Hosting(base, settings.public_base_url, settings.midtrans_base_urls, mask)
    async with contextlib.AsyncExitStack() as running:
        running.push_async_callback(store.close)
        if socket is not None:
            payments = PaymentsCache(store, hosting)
            running.push_async_callback(payments.close)
            edge = EdgeApp(
                store, directory, payments, body_timeout=base.request_timeout.total_seconds()
            )
            server = uvicorn.Server(
                uvicorn.Config(
                    edge,
                    log_level="warning",
                    access_log=False,
                    lifespan="off",
                    http=guarded_protocol(_limits(base)),
                    timeout_keep_alive=5,
                    h11_max_incomplete_event_size=16 * 1024,
                )
            )
            running.callback(socket.close)  # last: after the server below has stopped
            task = asyncio.create_task(server.serve(sockets=[socket]))
            running.push_async_callback(_stop_server, server, task)
            logger.info("edge listening on %s:%d", base.listen_host, base.listen_port)
        if role in ("worker", "all"):
            notifier = Bot(settings.platform_bot_token.get(), base_url=base.telegram_base_url)
            running.push_async_callback(notifier.shutdown)

            async def tell_seller(shop: HostedShop, reason: str) -> None:
                await notifier.initialize()  # once; again after a failed first try
                await notify_suspended(notifier, directory, shop, reason)

            worker = PlatformWorker(
                store,
                settings.database_url.get(),
                directory,
                hosting,
                options=WorkerOptions(partitions=settings.partitions),
                on_suspended=tell_seller,
            )
            await worker.start()
            running.push_async_callback(worker.stop)
            logger.info("worker started (%d partitions)", settings.partitions)
            http = httpx.AsyncClient(timeout=base.request_timeout.total_seconds())
            running.push_async_callback(http.aclose)
            housekeeping = Housekeeping(
                store,
                directory,
                http,
                telegram_base_url=base.telegram_base_url,
                public_base_url=settings.public_base_url,
                options=HousekeepingOptions(
                    check_every=settings.webhook_check_interval,
                    rate=settings.housekeeping_rate,
                ),
                on_suspended=tell_seller,
                mask=mask,
            )
            leader = PlatformBotLeader(
                LeaderLock(settings.database_url.get()),
                lambda: _platform_bot(settings, directory, http, mask),
                retry=leader_retry,
                housekeeping=housekeeping.run,
            )
            await leader.start()
            running.push_async_callback(leader.stop)
        await stop.wait()


def _platform_bot(
    settings: PlatformSettings,
    directory: ShopDirectory,
    http: httpx.AsyncClient,
    mask: SecretMask | None,
) -> PlatformApplication:
    """The platform bot's Application: onboarding over ``http``, each pasted secret masked."""
    base = settings.base
    onboarding = Onboarding(
        http=http,
        telegram_base_url=base.telegram_base_url.removesuffix("/bot"),
        public_base_url=settings.public_base_url,
        hash_token=directory.token_hash,
        midtrans_urls={
            "sandbox": settings.midtrans_base_urls["sandbox"],
            "production": settings.midtrans_base_urls["production"],
        },
        platform_bot_id=settings.platform_bot_id,
        remember_secret=mask.add if mask is not None else None,
    )
    return build_application(
        settings.platform_bot_token.get(),
        PlatformBot(onboarding, directory),
        base_url=base.telegram_base_url,
    )


def _limits(base: Settings) -> ConnectionLimits:
    """LISTEN_MAX_CONNECTIONS, lowered as the single-shop listener does to fit the open-file
    limit (bot.connections)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    allowed = plan_max_connections(base.listen_max_connections, soft, descriptors_in_use())
    return ConnectionLimits(allowed, base.request_timeout.total_seconds())


async def _stop_server(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    server.should_exit = True
    with contextlib.suppress(asyncio.CancelledError):
        await task
