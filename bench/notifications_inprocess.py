"""Notification handling and notification-to-push latency, against issue 4's budgets.

Run: ``.venv/bin/python -m bench.notifications_inprocess [--n 300]``. Prints a table, then one
JSON line. Budgets: a verified notification handled and stored, p50 < 5 ms in process; from
notification to the push reaching Telegram, p99 < 50 ms when Telegram answers at once.

Set-up, all real: a SQLite file (WAL), the Midtrans sandbox for the charges, the Telegram
stand-in on 127.0.0.1 behind a real ``telegram.Bot``, ``confirm_notifications`` off (with it on,
each notification waits for a Get Status round trip to Midtrans, which is not ours to measure).

1. handled: ``PaymentService.handle_notification`` alone (JSON, signature, one transaction with
   the event row, order update and outbox row), the sender stopped.
2. to push: the same with the outbox sender running, one notification at a time; the time from
   the call until the stand-in receives the ``sendMessage``.
3. burst: ``--n`` notifications at once; each one's time to its push.
4. HTTP: one notification at a time POSTed through uvicorn, to the 200 answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
from telegram import Bot

from bot.config import Secret, Settings
from bot.listener import create_web_app
from bot.messages.outbox import OutboxSender
from bot.payments.midtrans import MidtransClient
from bot.payments.service import PaymentService
from bot.rules.clock import utc_now
from devtools.midtrans import MidtransSandbox
from devtools.telegram import TelegramStandin
from storage import Order, Store, Tx
from tests.support.orders import add_products, place_order
from tests.support.servers import serve_app

KEY = "SB-Mid-server-BENCHKEY0123456789"
TOKEN = "123456:BENCHtokenBENCHtokenBENCH1"


def _percentile(sorted_ms: list[float], q: float) -> float:
    index = min(len(sorted_ms) - 1, max(0, round(q / 100 * len(sorted_ms)) - 1))
    return sorted_ms[index]


def _summary(name: str, samples: list[float]) -> dict[str, Any]:
    ms = sorted(s * 1000 for s in samples)
    return {
        "name": name,
        "n": len(ms),
        "p50_ms": round(_percentile(ms, 50), 3),
        "p90_ms": round(_percentile(ms, 90), 3),
        "p99_ms": round(_percentile(ms, 99), 3),
        "max_ms": round(ms[-1], 3),
        "mean_ms": round(statistics.fmean(ms), 3),
    }


class Bench:
    def __init__(self, n: int, directory: Path) -> None:
        self.n = n
        self.directory = directory
        self.standin = TelegramStandin(token=TOKEN)
        self.sandbox = MidtransSandbox(KEY)
        self.stack = AsyncExitStack()

    async def __aenter__(self) -> Bench:
        stack = self.stack
        telegram_url = await stack.enter_async_context(self.standin.serve())
        sandbox_url = await stack.enter_async_context(serve_app(self.sandbox.app))
        self.settings = Settings(
            telegram_token=Secret(TOKEN),
            telegram_base_url=telegram_url,
            midtrans_server_key=Secret(KEY),
            midtrans_base_url=sandbox_url,
            database_path=self.directory / "bench.db",
            admin_ids=frozenset({9000}),
            confirm_notifications=False,
        )
        self.store = await Store.open(self.settings.database_path)
        stack.push_async_callback(self.store.close)
        self.midtrans = MidtransClient(KEY, base_url=sandbox_url)
        stack.push_async_callback(self.midtrans.aclose)
        self.bot = Bot(TOKEN, base_url=telegram_url)
        await self.bot.initialize()
        stack.push_async_callback(self.bot.shutdown)
        self.outbox = OutboxSender(self.store, self.bot)
        self.payments = PaymentService(
            self.store, self.midtrans, self.settings, wake_outbox=self.outbox.wake
        )
        app = create_web_app(
            payments=self.payments,
            store=self.store,
            settings=self.settings,
            telegram_updates=None,
            is_running=lambda: True,
        )
        self.url = await stack.enter_async_context(serve_app(app))
        self.products = await add_products(self.store, utc_now())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.outbox.stop()
        await self.stack.aclose()

    async def orders(self, first_chat: int) -> list[tuple[Order, bytes]]:
        """``n`` charged orders, each for its own customer, with their settlement bodies."""
        _, roti = self.products
        made = []
        for i in range(self.n):
            chat = first_chat + i
            self.standin.user(chat, first_name="Tamu", started=True)
            items = [(roti, 1 + i % 3)]
            order = await place_order(self.store, self.midtrans, items, now=utc_now(), chat_id=chat)
            await self.sandbox.trigger(order.id, "settle", notify=False)
            made.append((order, json.dumps(self.sandbox.notification_for(order.id)).encode()))
        return made

    async def handled(self) -> list[float]:
        samples = []
        for _, body in await self.orders(100_000):
            started = time.perf_counter()
            result = await self.payments.handle_notification(body)
            samples.append(time.perf_counter() - started)
            assert result.status == 200 and result.detail == "applied", result
        return samples

    async def to_push(self, first_chat: int) -> list[float]:
        made = await self.orders(first_chat)
        self.outbox.start()
        await self.drain()  # the pushes queued while the sender was stopped
        samples = []
        for order, body in made:
            mark = len(self.standin.calls)
            started = time.monotonic()
            await self.payments.handle_notification(body)
            call = await self.standin.wait_for_call(
                "sendMessage", lambda c, chat=order.chat_id: c.params["chat_id"] == chat, start=mark
            )
            samples.append(call.at - started)
        return samples

    async def drain(self) -> None:
        while (await self.store.run(Tx.outbox_counts))["pending"]:  # noqa: ASYNC110 - a table
            await asyncio.sleep(0.01)

    async def burst(self, first_chat: int) -> list[float]:
        made = await self.orders(first_chat)
        mark = len(self.standin.calls)
        started: dict[int, float] = {}

        async def one(order: Order, body: bytes) -> None:
            started[order.chat_id] = time.monotonic()
            await self.payments.handle_notification(body)

        await asyncio.gather(*(one(o, b) for o, b in made))
        deadline = time.monotonic() + 30
        while len([c for c in self.standin.calls[mark:] if c.status == 200]) < len(made):
            assert time.monotonic() < deadline, "pushes did not all arrive"
            await asyncio.sleep(0.005)
        arrived = {c.params["chat_id"]: c.at for c in self.standin.calls[mark:]}
        return [arrived[chat] - at for chat, at in started.items()]

    async def over_http(self, first_chat: int) -> list[float]:
        made = await self.orders(first_chat)
        url = self.url + self.settings.notification_path
        samples = []
        async with httpx.AsyncClient() as client:
            for _, body in made:
                started = time.perf_counter()
                answer = await client.post(url, content=body)
                samples.append(time.perf_counter() - started)
                assert answer.status_code == 200
        return samples


async def main(n: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as directory:
        async with Bench(n, Path(directory)) as bench:
            results = [_summary("handled and stored (in process)", await bench.handled())]
            results.append(_summary("notification to push", await bench.to_push(200_000)))
            results.append(_summary(f"burst of {n}: to push", await bench.burst(300_000)))
            results.append(_summary("HTTP POST to 200 (uvicorn)", await bench.over_http(400_000)))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    rows = asyncio.run(main(args.n))
    print(f"{'measure':36} {'n':>5} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8}  (ms)")
    for row in rows:
        print(
            f"{row['name']:36} {row['n']:>5} {row['p50_ms']:>8.2f} {row['p90_ms']:>8.2f}"
            f" {row['p99_ms']:>8.2f} {row['max_ms']:>8.2f}"
        )
    print(json.dumps({"notifications": rows}))
