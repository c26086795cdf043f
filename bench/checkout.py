"""Confirm-to-payment-code time of our checkout code, and the slip render time.

Run: ``python -m bench checkout [--n 200]``. Prints a table, then one JSON line. Budgets: from the
customer's "pay" to the payment code delivered, p50 < 30 ms; slip render p50 < 10 ms.

What runs is what the pay button runs after the tap is routed (``bot.chat.customer.register``):
``bot.shop.checkout.place_order`` (shop and cart checks, order row with stock reserved, the
Indomaret charge to Midtrans, the charge row) then ``bot.messages.paycode.send_payment_code`` (slip
rendered off the loop, the code as text, the slip as a photo), on a real SQLite file. Midtrans is
the project's sandbox and Telegram the lean stand-in, each in its own process, both answering at
once, so their own time is in the figures (a few HTTP round trips on 127.0.0.1). The bot is a plain
``telegram.Bot``: PTB's rate limiter would space a run of checkouts at Telegram's 30 messages/s,
which is Telegram's rule, not our overhead. One checkout at a time, each for a new customer.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import Bot

from bench.common import (
    KEY,
    TOKEN,
    emit,
    print_table,
    running,
    start_midtrans,
    start_telegram,
    summary_ms,
)
from bot.config import Secret, Settings
from bot.messages.paycode import send_payment_code
from bot.messages.slip import render_slip
from bot.payments.midtrans import MidtransClient
from bot.payments.service import PaymentService
from bot.rules.orders import quote_fingerprint
from bot.shop.checkout import CheckoutOutcome, Draft, place_order, price_cart
from bot.shop.services import Services
from storage import Store, Tx

FIRST_USER = 5_000_000
SLIP_BUDGET_MS = 10
CHECKOUT_BUDGET_MS = 30


async def _measure(
    n: int, database: Path, telegram_port: int, midtrans_port: int
) -> dict[str, list[float]]:
    midtrans_url = f"http://127.0.0.1:{midtrans_port}"
    telegram_url = f"http://127.0.0.1:{telegram_port}/bot"
    settings = Settings(
        telegram_token=Secret(TOKEN),
        telegram_base_url=telegram_url,
        midtrans_server_key=Secret(KEY),
        midtrans_base_url=midtrans_url,
        database_path=database,
        shop_name="Warung Bench",
    )
    store = await Store.open(database)
    midtrans = MidtransClient(KEY, base_url=midtrans_url)
    bot = Bot(TOKEN, base_url=telegram_url)
    await bot.initialize()
    samples: dict[str, list[float]] = {"total": [], "place_order": [], "send": [], "render": []}
    try:
        now = datetime.now(UTC)
        kopi = await store.run(Tx.add_product, "Kopi susu", 18_000, 1_000_000, now)
        roti = await store.run(Tx.add_product, "Roti bakar", 15_000, None, now)
        payments = PaymentService(store, midtrans, settings)
        services = Services(settings=settings, store=store, midtrans=midtrans, payments=payments)
        shop = await services.shop()
        for i in range(-5, n):  # the first five warm up connections and caches, not counted
            user = FIRST_USER + i
            cart = {kopi.id: 1 + i % 3, roti.id: 1}
            draft = Draft(
                user_id=user,
                chat_id=user,
                language="id" if i % 3 else "en",
                cart=cart,
                name="Budi Santoso",
                phone="+6281234567890",
                seen_quote=quote_fingerprint(await price_cart(services, cart)),
            )
            started = time.perf_counter()
            result = await place_order(services, draft)
            placed = time.perf_counter()
            assert result.outcome is CheckoutOutcome.PLACED and result.order is not None, result
            await send_payment_code(bot, result.order, shop.name)
            done = time.perf_counter()
            charge = result.order.charge
            assert charge is not None and result.order.expires_at is not None
            render_started = time.perf_counter()
            render_slip(
                shop_name=shop.name,
                amount=result.order.gross_amount,
                payment_code=charge.payment_code,
                expires_at=charge.expires_at or result.order.expires_at,
                order_id=result.order.id,
                lang=result.order.language,
            )
            rendered = time.perf_counter()
            if i >= 0:
                samples["total"].append(done - started)
                samples["place_order"].append(placed - started)
                samples["send"].append(done - placed)
                samples["render"].append(rendered - render_started)
    finally:
        await bot.shutdown()
        await midtrans.aclose()
        await store.close()
    return samples


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench checkout", description=__doc__)
    parser.add_argument("--n", type=int, default=200, help="checkouts (default 200)")
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="warung-bench-checkout-"))
    try:
        with running([]) as children:
            telegram, telegram_port = start_telegram(directory)
            children.append(telegram)
            sandbox, midtrans_port = start_midtrans(directory)
            children.append(sandbox)
            samples = asyncio.run(
                _measure(args.n, directory / "checkout.db", telegram_port, midtrans_port)
            )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    figures = {name: summary_ms(values) for name, values in samples.items()}
    labels = {
        "total": f"confirm to code delivered (budget p50 < {CHECKOUT_BUDGET_MS} ms)",
        "place_order": "  place_order (order, stock, charge)",
        "send": "  send_payment_code (slip, text, photo)",
        "render": f"slip render alone (budget p50 < {SLIP_BUDGET_MS} ms)",
    }
    print_table(
        f"checkout, {args.n} customers one after another (sandbox and stand-in answer at once)",
        ["step", "n", "p50 ms", "p99 ms", "max ms"],
        [
            [labels[name], f["n"], f["p50_ms"], f["p99_ms"], f["max_ms"]]
            for name, f in figures.items()
        ],
    )
    emit("checkout", figures)
    return figures


if __name__ == "__main__":
    main()
