"""``python -m bot platform --role edge|worker|all``: the platform's processes.

An edge serves ``/tg/{shop_key}``, ``/midtrans/{shop_key}/notification`` and ``/healthz`` on
``LISTEN_HOST``:``LISTEN_PORT``; a worker serves the shops of the partitions it can take. ``all``
runs both in one process (a small deployment). Every process opens its own PostgreSQL
connection (schema migrated under the advisory lock, so processes starting together are safe).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import signal

import psycopg
import uvicorn

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
from bot.platform.secrets import SecretBox
from bot.platform.shops import ShopDirectory
from bot.platform.worker import PlatformWorker, WorkerOptions
from bot.rules.clock import utc_now
from bot.startup import EXIT_TRY_AGAIN, StartupError, bind_listener
from storage.postgres import PostgresStore

logger = logging.getLogger(__name__)

ROLES = ("edge", "worker", "all")


async def run_platform(settings: PlatformSettings, role: str, mask: SecretMask | None) -> None:
    """Run ``role`` until SIGINT or SIGTERM."""
    raise_descriptor_limit()
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
            worker = PlatformWorker(
                store,
                settings.database_url.get(),
                directory,
                hosting,
                options=WorkerOptions(partitions=settings.partitions),
            )
            await worker.start()
            running.push_async_callback(worker.stop)
            logger.info("worker started (%d partitions)", settings.partitions)
        await stop.wait()


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
