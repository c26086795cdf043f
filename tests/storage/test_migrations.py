"""Schema migrations: an existing single-shop SQLite file gains shop ids without losing a row;
PostgreSQL processes starting together migrate once, under the advisory lock."""

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from storage import Store, Tx, migrations_pg
from storage.migrations import LATEST_VERSION, migrate
from storage.postgres import PostgresStore
from tests.storage.test_store import assert_foreign_keys_enforced
from tests.support.postgres import PgServer

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
T = "2026-11-25T08:00:00.000000+00:00"


def _fill_version_5(conn: sqlite3.Connection) -> None:
    """A row in every table, written as the bot of migration 5 wrote them."""
    conn.executescript(
        f"""
        INSERT INTO shop_settings VALUES ('name', 'Warung Bu Siti');
        INSERT INTO products (id, name, price, stock, created_at, updated_at)
            VALUES (7, 'Kopi susu', 18000, 3, '{T}', '{T}');
        INSERT INTO customers (user_id, chat_id, name, created_at, updated_at)
            VALUES (1001, 1001, 'Budi', '{T}', '{T}');
        INSERT INTO orders (id, customer_id, chat_id, status, subtotal, gross_amount,
            created_at, updated_at) VALUES ('WB-1', 1001, 1001, 'paid', 36000, 36000,
            '{T}', '{T}');
        INSERT INTO order_items VALUES ('WB-1', 1, 7, 'Kopi susu', 18000, 2);
        INSERT INTO charges VALUES ('WB-1', 'trx-1', '123456789012', 'indomaret', NULL,
            '{{}}', '{T}');
        INSERT INTO payment_events (order_id, source, transaction_status, verified, applied,
            outcome, raw, received_at) VALUES ('WB-1', 'notification', 'settlement', 1, 1,
            'applied', '{{}}', '{T}');
        INSERT INTO order_history (order_id, from_status, to_status, reason, at)
            VALUES ('WB-1', NULL, 'paid', 'settlement', '{T}');
        INSERT INTO outbox (chat_id, dedupe_key, method, payload, created_at, next_attempt_at)
            VALUES (1001, 'paid:WB-1', 'sendMessage', '{{"text": "Lunas"}}', '{T}', '{T}');
        INSERT INTO admins VALUES (9000, 1, '{T}');
        INSERT INTO bot_state VALUES ('user_data', '1001', '{{"cart": {{}}}}');
        INSERT INTO alerts VALUES ('disk', '{T}');
        """
    )


async def test_a_version_5_file_upgrades_keeping_every_row_as_shop_1(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    migrate(conn, target=5)
    _fill_version_5(conn)
    conn.close()

    store = await Store.open(path)
    try:
        assert await store.schema_version() == LATEST_VERSION
        order = await store.run(Tx.order, "WB-1")
        assert order is not None and order.status == "paid" and order.gross_amount == 36_000
        assert [(i.product_id, i.quantity) for i in order.items] == [(7, 2)]
        assert order.charge is not None and order.charge.payment_code == "123456789012"
        assert [h.to_status for h in await store.run(Tx.history, "WB-1")] == ["paid"]
        assert [e.outcome for e in await store.run(Tx.payment_events, "WB-1")] == ["applied"]
        assert [m.dedupe_key for m in await store.run(Tx.outbox_messages)] == ["paid:WB-1"]
        assert await store.run(Tx.admins) == {9000: True}
        assert await store.run(Tx.bot_state, "user_data") == {"1001": '{"cart": {}}'}
        assert await store.run(Tx.shop_settings) == {"name": "Warung Bu Siti"}
        assert not await store.run(Tx.raise_alert_once, "disk", NOW)  # still raised
        customer = await store.run(Tx.customer, 1001)
        assert customer is not None and customer.name == "Budi"
        product = await store.run(Tx.product, 7)
        assert product is not None and product.stock == 3
        # New rows go on from the old ids, and the old outbox row keeps its dedupe key.
        assert (await store.run(Tx.add_product, "Roti", 12_000, None, NOW)).id == 8
        assert not await store.run(Tx.enqueue, 1001, "sendMessage", {}, NOW, "paid:WB-1")
    finally:
        await store.close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT DISTINCT shop_id FROM orders").fetchall() == [(1,)]
    finally:
        conn.close()


async def test_foreign_keys_stay_enforced_after_upgrading(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=5)
    conn.close()
    await assert_foreign_keys_enforced(await Store.open(path))


def test_postgres_processes_starting_together_migrate_once(pg_server: PgServer) -> None:
    dsn = pg_server.new_database()
    starters = 6
    gate = threading.Barrier(starters)

    def start() -> int:
        with psycopg.connect(dsn, autocommit=True) as conn:
            gate.wait()
            return migrations_pg.migrate(conn)

    with ThreadPoolExecutor(starters) as pool:
        reached = list(pool.map(lambda _: start(), range(starters)))
    assert reached == [migrations_pg.LATEST_VERSION] * starters
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert [r[0] for r in rows] == list(range(1, migrations_pg.LATEST_VERSION + 1))


async def test_postgres_refuses_a_newer_schema(pg_server: PgServer) -> None:
    dsn = pg_server.new_database()
    await (await PostgresStore.open(dsn)).close()  # migrated to this bot's version
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (999,))
    with pytest.raises(migrations_pg.SchemaTooNew, match="newer than this bot"):
        await PostgresStore.open(dsn)
