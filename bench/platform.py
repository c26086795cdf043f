"""Platform mode: 1,000 shops loaded by one worker process, and the first reply of a shop never
loaded, of one loaded, and of one evicted.

Run: ``python -m bench platform [--shops 1000] [--cold 20]``. Prints a table, then one JSON line.
A throwaway PostgreSQL (as the tests start it), the lean Telegram stand-in in its own process
(``bench.telegram_server``: answers any token at once), and ``python -m bot platform --role
worker`` in its own process (16 partitions, all owned by it). ``--shops`` shops are created in
the directory; one ``/start`` per shop goes into the inbox (as the edge puts it there), the worker
loads every shop (a lean Application each) and answers. RSS of the worker is read from /proc
before (no shop loaded, after start-up) and after every shop answered, with the shops idle;
the difference divided by the shops is the RSS per idle loaded shop.

Then ``--cold`` more shops, never loaded, get one ``/start`` each, one after another: the time
from the inbox commit to the reply arriving at the stand-in is the first reply of a cold shop
(the worker hears of the update by LISTEN/NOTIFY; each update is written at a random phase of
the worker's 0.5 s tick, which code without the wake-ups waited for). A second ``/start`` to the
same shop, now loaded, gives the warm figure beside it: the difference is what loading the shop
costs. Last, the worker is replaced by one that evicts a shop idle for 1 s
(``bench.platform_worker``, ``BENCH_IDLE_AFTER``): each of those shops answers a ``/start``
(loaded again), is evicted (the worker's log says so), and the time to the reply of its next
``/start`` is the first reply of an evicted shop.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import secrets
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    PYTHON,
    Child,
    emit,
    free_port,
    print_table,
    rss_kib,
    running,
    start_process,
    start_telegram,
    summary_ms,
)
from bot.platform.hosting import shop_store
from bot.platform.secrets import KeyRing, SecretBox
from bot.platform.shops import ShopDirectory
from storage import Tx
from storage.postgres import PostgresStore
from tests.support.postgres import start_server

GOAL_KIB_PER_SHOP = 1024
MASTER = bytes(range(32))
LOOKUP = b"bench-lookup-key-0123456789abcdef"
PLATFORM_TOKEN = "5000000001:" + "P" * 35
EVICT_AFTER = 1.0  # seconds idle before the second worker evicts a shop


def _update(update_id: int, chat_id: int) -> str:
    user = {"id": chat_id, "is_bot": False, "first_name": "Budi"}
    message = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private", "first_name": "Budi"},
        "from": user,
        "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }
    return json.dumps({"update_id": update_id, "message": message})


def _url(dsn: str) -> str:
    fields = dict(part.split("=", 1) for part in dsn.split())
    return (
        f"postgresql://{fields['user']}@/{fields['dbname']}"
        f"?host={fields['host']}&port={fields['port']}"
    )


class Pushes:
    """Sends the stand-in recorded: (chat id, method, monotonic seconds)."""

    def __init__(self, port: int) -> None:
        self._url = f"http://127.0.0.1:{port}/_bench/pushes"
        self.seen: list[list[Any]] = []

    async def refresh(self, http: httpx.AsyncClient) -> None:
        answer = await http.get(self._url, params={"since": len(self.seen)})
        self.seen.extend(answer.json())

    async def wait_for(
        self, http: httpx.AsyncClient, chats: set[int], within: float
    ) -> dict[int, float]:
        """Arrival time of the first send to each of ``chats`` (from now on)."""
        start, found = len(self.seen), dict[int, float]()
        deadline = time.monotonic() + within
        while len(found) < len(chats):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(found)} of {len(chats)} chats answered")
            await self.refresh(http)
            for chat, _, at in self.seen[start:]:
                if chat in chats and chat not in found:
                    found[chat] = at
            await asyncio.sleep(0.005)
        return found


async def _wait_evicted(worker: Child, shop_id: int, within: float) -> None:
    """Until the worker's log says it evicted the shop."""
    deadline = time.monotonic() + within
    while f"shop {shop_id} evicted" not in worker.log_path.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"shop {shop_id} not evicted in {within:.0f}s")
        await asyncio.sleep(0.05)


async def _create_shops(directory: ShopDirectory, first: int, count: int) -> list[int]:
    ids = []
    for n in range(first, first + count):
        shop = await directory.create(
            owner_user_id=900_000 + n,
            bot_token=f"{7_000_000_000 + n}:{'A' * 25}{n:010d}",
            bot_username=f"toko_{n}_bot",
            shop_key=secrets.token_urlsafe(16),
            webhook_secret=secrets.token_urlsafe(16),
            midtrans_server_key=f"SB-Mid-server-bench{n:06d}",
            midtrans_environment="sandbox",
        )
        ids.append(shop.id)
    return ids


async def _send_start(store: PostgresStore, shop_id: int, update_id: int, chat: int) -> None:
    await shop_store(store, shop_id).run(
        Tx.inbox_add, update_id, _update(update_id, chat), datetime.now(UTC)
    )


async def _run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    server = start_server()
    children: list[Child] = []
    try:
        dsn = server.new_database()
        store = await PostgresStore.open(dsn)
        box = SecretBox(KeyRing({"k1": MASTER}, current="k1"))
        directory = ShopDirectory(store, box, LOOKUP, lambda: datetime.now(UTC))
        with running(children):
            telegram, telegram_port = start_telegram(work)
            children.append(telegram)
            started = time.perf_counter()
            hot = await _create_shops(directory, 0, args.shops)
            cold = await _create_shops(directory, args.shops, args.cold)
            created_s = time.perf_counter() - started
            env = {
                "DATABASE_URL": _url(dsn),
                "PLATFORM_MASTER_KEYS": "k1:" + base64.b64encode(MASTER).decode(),
                "PLATFORM_LOOKUP_KEY": base64.b64encode(LOOKUP).decode(),
                "PLATFORM_BOT_TOKEN": PLATFORM_TOKEN,
                "PUBLIC_BASE_URL": "https://warung.example.com",
                "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{telegram_port}/bot",
                "MIDTRANS_API_BASE_URL": f"http://127.0.0.1:{free_port()}",
                "LOG_LEVEL": "WARNING",
            }
            worker = start_process(
                "worker", [PYTHON, "-m", "bot", "platform", "--role", "worker"], work, env
            )
            children.append(worker)
            await asyncio.sleep(3.0)  # started, partitions taken, platform bot polling
            rss_start, _ = rss_kib(worker.pid)
            async with httpx.AsyncClient(timeout=5) as http:
                pushes = Pushes(telegram_port)
                await pushes.refresh(http)
                started = time.perf_counter()
                for n, shop_id in enumerate(hot):
                    await _send_start(store, shop_id, 1, 10_000 + n)
                await pushes.wait_for(http, {10_000 + n for n in range(len(hot))}, 300)
                loaded_s = time.perf_counter() - started
                await asyncio.sleep(5.0)  # idle: nothing in flight
                rss_loaded, rss_peak = rss_kib(worker.pid)
                firsts, warms = [], []
                for n, shop_id in enumerate(cold):
                    chat = 50_000 + n
                    await asyncio.sleep(random.uniform(0.0, 0.5))  # any phase of the tick
                    sent = time.monotonic()
                    await _send_start(store, shop_id, 1, chat)
                    firsts.append((await pushes.wait_for(http, {chat}, 30))[chat] - sent)
                    # The rest of that reply sent, the shop idle; then any phase of the tick.
                    await asyncio.sleep(1.0 + random.uniform(0.0, 0.5))
                    await pushes.refresh(http)
                    sent = time.monotonic()
                    await _send_start(store, shop_id, 2, chat)
                    warms.append((await pushes.wait_for(http, {chat}, 30))[chat] - sent)
                if not worker.alive():
                    raise RuntimeError(f"the worker stopped:\n{worker.tail()}")
                worker.stop()
                evicting = start_process(
                    "worker-evicting",
                    [PYTHON, "-m", "bench.platform_worker", "platform", "--role", "worker"],
                    work,
                    env | {"BENCH_IDLE_AFTER": str(EVICT_AFTER), "LOG_LEVEL": "INFO"},
                )
                children.append(evicting)
                await asyncio.sleep(3.0)  # started, partitions taken
                evicted = []
                for n, shop_id in enumerate(cold):
                    chat = 50_000 + n
                    await pushes.refresh(http)
                    await _send_start(store, shop_id, 3, chat)
                    await pushes.wait_for(http, {chat}, 30)
                    await _wait_evicted(evicting, shop_id, 30)
                    await asyncio.sleep(random.uniform(0.0, 0.5))  # any phase of the tick
                    await pushes.refresh(http)
                    sent = time.monotonic()
                    await _send_start(store, shop_id, 4, chat)
                    evicted.append((await pushes.wait_for(http, {chat}, 30))[chat] - sent)
            if not evicting.alive():
                raise RuntimeError(f"the worker stopped:\n{evicting.tail()}")
        await store.close()
    finally:
        server.stop()
    per_shop = (rss_loaded - rss_start) / max(1, len(hot))
    return {
        "shops": len(hot),
        "create_shops_s": round(created_s, 1),
        "load_and_answer_all_s": round(loaded_s, 1),
        "rss_start_mib": round(rss_start / 1024, 1),
        "rss_loaded_mib": round(rss_loaded / 1024, 1),
        "rss_peak_mib": round(rss_peak / 1024, 1),
        "rss_per_idle_shop_kib": round(per_shop, 1),
        "goal_kib": GOAL_KIB_PER_SHOP,
        "cold_first_reply_ms": summary_ms(firsts),
        "warm_reply_ms": summary_ms(warms),
        "evicted_first_reply_ms": summary_ms(evicted),
        "evict_after_s": EVICT_AFTER,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench platform", description=__doc__)
    parser.add_argument("--shops", type=int, default=1000)
    parser.add_argument("--cold", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-platform-") as work:
        figures = asyncio.run(_run(args, Path(work)))
    cold, warm = figures["cold_first_reply_ms"], figures["warm_reply_ms"]
    evicted = figures["evicted_first_reply_ms"]
    print_table(
        f"platform: {figures['shops']} shops on one worker process",
        ["figure", "value"],
        [
            ["worker RSS at start (no shop loaded)", f"{figures['rss_start_mib']} MiB"],
            ["worker RSS, every shop loaded and idle", f"{figures['rss_loaded_mib']} MiB"],
            ["worker peak RSS (VmHWM)", f"{figures['rss_peak_mib']} MiB"],
            [
                "RSS per idle loaded shop (goal < 1 MiB)",
                f"{figures['rss_per_idle_shop_kib']} KiB",
            ],
            ["all shops loaded and answered /start", f"{figures['load_and_answer_all_s']} s"],
            ["cold shop, first reply p50 / p99", f"{cold['p50_ms']} / {cold['p99_ms']} ms"],
            ["loaded shop, reply p50 / p99", f"{warm['p50_ms']} / {warm['p99_ms']} ms"],
            [
                "evicted shop, first reply p50 / p99",
                f"{evicted['p50_ms']} / {evicted['p99_ms']} ms",
            ],
        ],
    )
    emit("platform", figures)
    return figures


if __name__ == "__main__":
    main()
