"""Resident memory of the running bot with 10,000 stored orders, against the 120 MB budget.

Run: ``python -m bench memory [--orders 10000] [--settle 2000]``. Prints a table, then one JSON
line. The bot is ``python -m bot run`` (everything it runs in production: PTB Application, its
persistence, uvicorn listener, outbox sender, reconciler) on a SQLite file holding ``--orders``
charged orders and as many customers with saved user data (PTB persistence loads user data at
start). RSS is read from /proc after start-up, after ``--settle`` of the orders were paid
through the listener (wrk, pending + settlement each) and their pushes sent, and as the peak
(VmHWM) over the whole run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    FIRST_CHAT,
    children_of,
    emit,
    notification_bodies,
    print_table,
    rss_kib,
    running,
    seed_orders,
    start_midtrans,
    start_telegram,
    write_transactions,
)
from bench.notifications import Standin, ensure_wrk, run_wrk, start_bot
from bot.persistence import USER
from storage import Store, Tx

BUDGET_MB = 120


async def _seed(database: Path, count: int) -> list[Any]:
    store = await Store.open(database)
    try:
        seeded = await seed_orders(store, FIRST_CHAT, count)
        draft = {"cart": {}, "draft": {"name": "Tamu Bench", "phone": "+6281234567890"}}

        def users(tx: Tx) -> None:
            for seed in seeded:
                tx.put_bot_state(USER, str(seed.chat_id), json.dumps(draft))

        await store.run(users)
        return seeded
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench memory", description=__doc__)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--settle", type=int, default=2_000, help="orders paid while measured")
    args = parser.parse_args(argv)
    wrk = ensure_wrk()
    directory = Path(tempfile.mkdtemp(prefix="warung-bench-memory-"))
    try:
        database = directory / "memory.db"
        seeded = asyncio.run(_seed(database, args.orders))
        transactions = directory / "transactions.json"
        write_transactions(transactions, seeded, "settlement")
        with running([]) as children:
            telegram, telegram_port = start_telegram(directory)
            children.append(telegram)
            sandbox, midtrans_port = start_midtrans(directory, transactions)
            children.append(sandbox)
            standin = Standin(telegram, telegram_port)
            bot, url = start_bot(directory, database, standin, midtrans_port, confirm=False)
            children.append(bot)
            time.sleep(2.0)  # let start-up work (persistence load, first jobs) settle
            pids = [bot.pid, *children_of(bot.pid)]  # the bot and its payment worker
            started = [rss_kib(pid)[0] for pid in pids]
            bodies = notification_bodies(seeded[: args.settle], ["pending", "settlement"])
            result = run_wrk(wrk, url, bodies, 16, directory, "memory")
            time.sleep(2.0)
            loaded = [rss_kib(pid) for pid in pids]
    finally:
        shutil.rmtree(directory, ignore_errors=True)

    def mb(kib: list[int]) -> list[float]:
        return [round(sum(kib) / 1024, 1), *(round(k / 1024, 1) for k in kib)]

    rows = [
        ["after start-up", *mb(started)],
        [f"after {result.answered:,} notifications", *mb([rss for rss, _ in loaded])],
        ["peak (VmHWM)", *mb([peak for _, peak in loaded])],
    ]
    print_table(
        f"RSS with {args.orders:,} stored orders and customers (budget {BUDGET_MB} MB, both "
        "processes together)",
        ["moment", "total MB", "bot MB", *(["payment worker MB"] if len(pids) > 1 else [])],
        rows,
    )
    figures = {
        "orders": args.orders,
        "processes": len(pids),
        "rss_start_mb": rows[0][1],
        "rss_after_load_mb": rows[1][1],
        "rss_peak_mb": rows[2][1],
        "rss_bot_after_load_mb": rows[1][2],
        "rss_worker_after_load_mb": rows[1][3] if len(pids) > 1 else 0.0,
        "budget_mb": BUDGET_MB,
    }
    emit("memory", figures)
    return figures


if __name__ == "__main__":
    main()
