"""Applying a payment on PostgreSQL: psycopg 3 (the real Tx, group commit) against asyncpg
(the same statements awaited one by one). The figures are in storage/postgres.py's docstring.

asyncpg is not a dependency: ``.venv/bin/pip install asyncpg`` first, then
``.venv/bin/python -m bench.pg_drivers [PAYMENTS] [fsync]`` (a throwaway server, as the tests).
"""

import asyncio
import json
import sys
import time
from datetime import UTC, datetime, timedelta

import asyncpg  # type: ignore[import-not-found]

from storage import NewOrder, OrderItem, Tx
from storage.postgres import PostgresStore
from tests.support.postgres import start_server

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
N = int(sys.argv[1]) if len(sys.argv) > 1 else 1500


def new_order(i):
    return NewOrder(
        id=f"WB-{i}",
        customer_id=7 + i % 50,
        chat_id=7 + i % 50,
        status="awaiting_payment",
        items=(OrderItem(None, "Kopi", 18000, 2),),
        delivery_fee=0,
        fulfilment="pickup",
        customer_name="Budi",
        customer_phone="+62812",
        customer_email="",
        language="id",
        created_at=NOW,
        expires_at=NOW + timedelta(hours=24),
    )


def apply_payment(tx: Tx, order_id: str) -> bool:
    order = tx.order(order_id)
    assert order is not None
    ok = tx.set_order_status(order_id, "awaiting_payment", "paid", "settlement", NOW, paid_at=NOW)
    tx.enqueue(
        order.chat_id,
        "sendMessage",
        {"chat_id": order.chat_id, "text": "Lunas " + order_id},
        NOW,
        f"paid:{order_id}",
    )
    tx.enqueue(
        9000,
        "sendMessage",
        {"chat_id": 9000, "text": "Pesanan " + order_id},
        NOW,
        f"seller:{order_id}",
    )
    tx.record_payment_event(
        order_id=order_id,
        source="notification",
        transaction_status="settlement",
        status_code="200",
        gross_amount="36000.00",
        verified=True,
        applied=ok,
        outcome="applied",
        raw="{}",
        now=NOW,
    )
    return ok


def ts(d):
    return d.astimezone(UTC).isoformat(timespec="microseconds")


async def apg_apply(conn, shop, order_id):
    async with conn.transaction():
        row = await conn.fetchrow(
            (
                "SELECT id, customer_id, chat_id, status, subtotal, delivery_fee, "
                "gross_amount, fulfilment, address, latitude, longitude, note, "
                "customer_name, customer_phone, customer_email, language, expires_at, "
                "created_at, updated_at, paid_at, seller_notified_at, fulfilled_at, "
                "last_checked_at FROM orders WHERE shop_id = $1 AND id = $2"
            ),
            shop,
            order_id,
        )
        await conn.fetch(
            (
                "SELECT product_id, name, price, quantity FROM order_items WHERE "
                "shop_id = $1 AND order_id = $2 ORDER BY line"
            ),
            shop,
            order_id,
        )
        await conn.fetchrow(
            (
                "SELECT transaction_id, payment_code, store, expires_at, created_at "
                "FROM charges WHERE shop_id = $1 AND order_id = $2"
            ),
            shop,
            order_id,
        )
        await conn.execute(
            (
                "UPDATE orders SET status = $1, updated_at = $2, paid_at = $3 WHERE "
                "shop_id = $4 AND id = $5 AND status = $6"
            ),
            "paid",
            ts(NOW),
            ts(NOW),
            shop,
            order_id,
            "awaiting_payment",
        )
        await conn.execute(
            (
                "INSERT INTO order_history (shop_id, order_id, from_status, to_status, "
                "reason, at) VALUES ($1,$2,$3,$4,$5,$6)"
            ),
            shop,
            order_id,
            "awaiting_payment",
            "paid",
            "settlement",
            ts(NOW),
        )
        chat = row["chat_id"]
        for c, key in ((chat, f"paid:{order_id}"), (9000, f"seller:{order_id}")):
            await conn.execute(
                (
                    "INSERT INTO outbox (shop_id, chat_id, dedupe_key, method, payload, "
                    "created_at, next_attempt_at) VALUES ($1,$2,$3,$4,$5,$6,$7) ON "
                    "CONFLICT (shop_id, dedupe_key) DO NOTHING"
                ),
                shop,
                c,
                key,
                "sendMessage",
                json.dumps({"chat_id": c, "text": "x " + order_id}),
                ts(NOW),
                ts(NOW),
            )
        await conn.fetchrow(
            (
                "INSERT INTO payment_events (shop_id, order_id, source, "
                "transaction_status, status_code, gross_amount, verified, applied, "
                "outcome, raw, received_at) VALUES "
                "($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id"
            ),
            shop,
            order_id,
            "notification",
            "settlement",
            "200",
            "36000.00",
            1,
            1,
            "applied",
            "{}",
            ts(NOW),
        )


async def seed(dsn, shop):
    store = await PostgresStore.open(dsn, shop_id=shop)
    await asyncio.gather(*(store.run(Tx.create_order, new_order(i)) for i in range(N)))
    await store.close()


def rate(label, n, t):
    print(f"{label:58s} {n / t:8.0f}/s  ({n} in {t:.2f}s)", flush=True)


async def main(server):
    dsn = server.new_database()
    # psycopg sequential
    await seed(dsn, 1)
    store = await PostgresStore.open(dsn, shop_id=1)
    n = N // 2
    t = time.perf_counter()
    for i in range(n):
        assert await store.run(apply_payment, f"WB-{i}")
    rate("psycopg3 sync Tx in thread, sequential", n, time.perf_counter() - t)
    sem = asyncio.Semaphore(64)

    async def one(i):
        async with sem:
            assert await store.run(apply_payment, f"WB-{i}")

    t = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n, N)))
    rate("psycopg3 + group commit, 1 connection, 64 callers", N - n, time.perf_counter() - t)
    await store.close()
    # asyncpg
    await seed(dsn, 2)
    host = str(server.directory)
    conn = await asyncpg.connect(
        host=host, port=5432, user="postgres", database=dsn.split("dbname=")[1]
    )
    t = time.perf_counter()
    for i in range(n // 2):
        await apg_apply(conn, 2, f"WB-{i}")
    rate("asyncpg, sequential", n // 2, time.perf_counter() - t)
    lock = asyncio.Lock()

    async def one_conn(i):
        async with lock:
            await apg_apply(conn, 2, f"WB-{i}")

    t = time.perf_counter()
    await asyncio.gather(*(one_conn(i) for i in range(n // 2, n)))
    rate(
        "asyncpg, 1 connection, 64 callers (a transaction each)",
        n - n // 2,
        time.perf_counter() - t,
    )
    await conn.close()
    pool = await asyncpg.create_pool(
        host=host,
        port=5432,
        user="postgres",
        database=dsn.split("dbname=")[1],
        min_size=8,
        max_size=8,
    )

    async def one_pool(i):
        async with sem, pool.acquire() as c:
            await apg_apply(c, 2, f"WB-{i}")

    t = time.perf_counter()
    await asyncio.gather(*(one_pool(i) for i in range(n, N)))
    rate("asyncpg, pool of 8 connections, 64 callers", N - n, time.perf_counter() - t)
    await pool.close()


server = start_server(fsync="fsync" in sys.argv)
try:
    asyncio.run(main(server))
finally:
    server.stop()
