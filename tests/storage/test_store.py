"""The SQLite store: WAL, foreign keys, migrations from empty and from an older file, rollback."""

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import Store, Tx
from storage.migrations import LATEST_VERSION, migrate

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


async def test_opens_empty_file_at_latest_version(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "sub" / "shop.db")
    try:
        assert await store.schema_version() == LATEST_VERSION
        assert await store.ping()
    finally:
        await store.close()
    conn = sqlite3.connect(tmp_path / "sub" / "shop.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_older_file_upgrades_in_place_keeping_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=1)
    conn.execute(
        "INSERT INTO products (name, price, stock, created_at, updated_at)"
        " VALUES ('Kopi susu', 18000, 5, 'x', 'x')"
    )
    conn.close()

    store = await Store.open(path)
    try:
        assert await store.schema_version() == LATEST_VERSION
        products = await store.run(Tx.products)
        assert [p.name for p in products] == ["Kopi susu"]
        assert await store.run(Tx.add_admin, 42, NOW, owner=True)
        assert await store.run(Tx.admins) == {42: True}
    finally:
        await store.close()


async def test_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future_things (x)")
    conn.execute("INSERT INTO future_things VALUES (1)")
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this bot"):
        await Store.open(path)
    # Left as it was: same version, same data, not even switched to WAL.
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION + 1
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("SELECT x FROM future_things").fetchall() == [(1,)]
    conn.close()


async def test_a_failing_transaction_leaves_nothing(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "shop.db")

    def two_writes_then_fail(tx: Tx) -> None:
        tx.add_product("Kopi", 18_000, None, NOW)
        tx.set_shop_setting("name", "Warung")
        raise RuntimeError("boom")

    try:
        with pytest.raises(RuntimeError):
            await store.run(two_writes_then_fail)
        assert await store.run(Tx.products) == []
        assert await store.run(Tx.shop_settings) == {}
        # The connection is usable afterwards.
        await store.run(Tx.set_shop_setting, "name", "Warung")
        assert await store.run(Tx.shop_settings) == {"name": "Warung"}
    finally:
        await store.close()


async def assert_foreign_keys_enforced(store: Store) -> None:
    """An order line of no order is refused by the database itself; the store is closed."""

    def orphan_item(tx: Tx) -> None:
        tx.conn.execute(
            "INSERT INTO order_items (shop_id, order_id, line, name, price, quantity)"
            " VALUES (1, 'nope', 1, 'x', 1, 1)"
        )

    try:
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            await store.run(orphan_item)
    finally:
        await store.close()


async def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    await assert_foreign_keys_enforced(await Store.open(tmp_path / "shop.db"))
