"""The shops directory on PostgreSQL: secrets sealed at rest, one live shop per token, the
states a seller and the platform move a shop through, and deletion that leaves no row behind."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from bot.platform.hosting import shop_store
from bot.platform.shops import HostedShop, ShopDirectory, TokenTaken
from storage import OrderItem, Tx
from storage.postgres import PostgresStore
from storage.tx import SHOP_DATA_TABLES
from tests.support.orders import unpaid_order

TOKEN_A = "7001234567:AAHx9yqk2Zm4pQ1rT8vW3nB6cD5eF7gH0jK"
TOKEN_B = "7009876543:BBHx9yqk2Zm4pQ1rT8vW3nB6cD5eF7gH0jK"
KEY_A = "SB-Mid-server-AAAAaaaa1111"
KEY_B = "SB-Mid-server-BBBBbbbb2222"
OWNER = 5150
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


async def _create(
    directory: ShopDirectory, token: str = TOKEN_A, key: str = "shopkeyA", owner: int = OWNER
) -> HostedShop:
    return await directory.create(
        owner_user_id=owner,
        bot_token=token,
        bot_username=f"warung_{key}_bot",
        shop_key=key,
        webhook_secret=f"secret-{key}",
        midtrans_server_key=KEY_A if token == TOKEN_A else KEY_B,
        midtrans_environment="sandbox",
    )


def _raw_shop_row(dsn: str, shop_id: int) -> tuple[object, ...]:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT * FROM shops WHERE id = %s", (shop_id,)).fetchone()
    assert row is not None
    return tuple(row)


async def test_a_created_shop_is_found_by_key_and_token_with_its_secrets_sealed_at_rest(
    directory: ShopDirectory, pg_database: str
) -> None:
    shop = await _create(directory)

    assert shop.id >= 2  # shop 1 is the single-shop bot's id
    assert shop.status == "active" and shop.owner_user_id == OWNER
    assert (shop.bot_token, shop.webhook_secret, shop.midtrans_server_key) == (
        TOKEN_A,
        "secret-shopkeyA",
        KEY_A,
    )
    assert await directory.by_key("shopkeyA") == shop
    assert await directory.by_token_hash(directory.token_hash(TOKEN_A)) == shop
    assert await directory.taken(directory.token_hash(" " + TOKEN_A + " "))
    assert await directory.by_key("nope") is None
    assert [s.id for s in await directory.of_owner(OWNER)] == [shop.id]
    stored = " ".join(str(value) for value in _raw_shop_row(pg_database, shop.id))
    for secret in (TOKEN_A, "secret-shopkeyA", KEY_A):
        assert secret not in stored
    assert TOKEN_A not in repr(shop) and KEY_A not in repr(shop)


async def test_a_token_another_live_shop_has_is_refused(directory: ShopDirectory) -> None:
    await _create(directory)
    with pytest.raises(TokenTaken):
        await _create(directory, TOKEN_A, "shopkeyOther", owner=77)
    second = await _create(directory, TOKEN_B, "shopkeyB")
    with pytest.raises(TokenTaken):
        await directory.replace_token(second.id, TOKEN_A, "stolen_bot", "s2")
    assert (await directory.get(second.id)).bot_token == TOKEN_B  # type: ignore[union-attr]


async def test_pause_resume_and_suspend_move_only_from_the_states_they_work_from(
    directory: ShopDirectory,
) -> None:
    shop = await _create(directory)

    assert await directory.pause(shop.id)
    assert not await directory.pause(shop.id)
    assert await directory.active_in_partition(shop.id % 4, 4) == []
    assert await directory.resume(shop.id)
    assert await directory.suspend(shop.id, "Telegram refused the token (401)")
    suspended = await directory.get(shop.id)
    assert suspended is not None
    assert (suspended.status, suspended.status_reason) == (
        "suspended",
        "Telegram refused the token (401)",
    )
    assert await directory.resume(shop.id)
    resumed = await directory.get(shop.id)
    assert resumed is not None and (resumed.status, resumed.status_reason) == ("active", "")


async def test_partitions_split_the_active_shops_between_workers(
    directory: ShopDirectory,
) -> None:
    shops = [
        await _create(directory, f"70000000{n}:AAHx9yqk2Zm4pQ1rT8vW3nB6cD5eF7gH0{n}", f"k{n}")
        for n in range(6)
    ]
    parts = [await directory.active_in_partition(p, 3) for p in range(3)]

    assert sorted(s.id for part in parts for s in part) == [s.id for s in shops]
    assert all(len(part) == 2 for part in parts)
    assert all(s.id % 3 == p for p, part in enumerate(parts) for s in part)


async def test_rotating_the_key_and_replacing_the_token_keep_the_shop(
    directory: ShopDirectory,
) -> None:
    shop = await _create(directory)

    assert await directory.rotate_server_key(shop.id, "Mid-server-PRODprod9999", "production")
    assert await directory.replace_token(shop.id, TOKEN_B, "warung_baru_bot", "new-secret")
    changed = await directory.by_key("shopkeyA")
    assert changed is not None and changed.id == shop.id
    assert (changed.midtrans_server_key, changed.midtrans_environment) == (
        "Mid-server-PRODprod9999",
        "production",
    )
    assert (changed.bot_token, changed.bot_username, changed.webhook_secret) == (
        TOKEN_B,
        "warung_baru_bot",
        "new-secret",
    )
    assert not await directory.taken(directory.token_hash(TOKEN_A))


async def test_deleting_a_shop_removes_every_row_of_its_data_and_frees_its_token(
    directory: ShopDirectory, pg_store: PostgresStore, pg_database: str
) -> None:
    doomed, kept = await _create(directory), await _create(directory, TOKEN_B, "shopkeyB")
    for shop in (doomed, kept):
        await _fill(pg_store.for_shop(shop.id))

    assert await directory.delete(doomed.id)
    assert not await directory.delete(doomed.id)

    assert await directory.by_key("shopkeyA") is None
    assert await directory.get(doomed.id) is None
    assert _rows_of(pg_database, doomed.id) == dict.fromkeys(SHOP_DATA_TABLES, 0)
    assert all(n > 0 for n in _rows_of(pg_database, kept.id).values())
    again = await _create(directory, TOKEN_A, "shopkeyA2")
    assert again.id not in (doomed.id, kept.id)


async def test_the_deletion_list_names_every_table_with_shop_data(pg_database: str) -> None:
    await (await PostgresStore.open(pg_database)).close()
    with psycopg.connect(pg_database) as conn:
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.columns"
                " WHERE column_name = 'shop_id' AND table_schema = current_schema()"
            )
        }
    assert tables == set(SHOP_DATA_TABLES)


async def _fill(store: PostgresStore) -> None:
    """A row of the shop in every table that holds shop data."""
    product = await store.run(Tx.add_product, "Kopi", 18_000, 5, NOW)
    await store.run(Tx.save_customer, 4242, 4242, NOW, name="Budi")
    await store.run(
        Tx.create_order,
        unpaid_order("WB-1", (OrderItem(product.id, "Kopi", 18_000, 1),), now=NOW, customer=4242),
    )
    await store.run(Tx.save_charge, "WB-1", "trx", "1111", None, {}, NOW)
    await store.run(Tx.add_history, "WB-1", "awaiting_payment", "paid", "test", NOW)
    await store.run(
        Tx.record_payment_event,
        order_id="WB-1",
        source="notification",
        transaction_status="settlement",
        status_code="200",
        gross_amount="18000.00",
        verified=True,
        applied=True,
        outcome="applied",
        raw="{}",
        now=NOW,
    )
    await store.run(Tx.enqueue, 4242, "sendMessage", {"text": "hi"}, NOW)
    await store.run(Tx.add_admin, 9000, NOW, owner=True)
    await store.run(Tx.put_bot_state, "chat", "4242", "{}")
    await store.run(Tx.set_checkout_deadline, 4242, 4242, "id", NOW)
    await store.run(Tx.raise_alert_once, "telegram", NOW)
    await store.run(Tx.set_shop_setting, "name", "Warung")
    await store.run(Tx.inbox_add, 1, "{}", NOW)


def _rows_of(dsn: str, shop_id: int) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {
            table: int(
                conn.execute(  # type: ignore[index]
                    f"SELECT COUNT(*) FROM {table} WHERE shop_id = %s",  # type: ignore[arg-type]
                    (shop_id,),
                ).fetchone()[0]
            )
            for table in SHOP_DATA_TABLES
        }


async def test_the_seller_who_creates_a_shop_is_its_owner_in_that_shop_only(
    directory: ShopDirectory, pg_store: PostgresStore
) -> None:
    shop = await _create(directory)
    other = await _create(directory, TOKEN_B, "shopkeyB", owner=77)

    assert await pg_store.for_shop(shop.id).run(Tx.admins) == {OWNER: True}
    assert await pg_store.for_shop(other.id).run(Tx.admins) == {77: True}


async def test_a_worker_finds_the_active_shops_of_its_partitions_with_a_checkout_past_due(
    directory: ShopDirectory, pg_store: PostgresStore
) -> None:
    a, b = await _create(directory), await _create(directory, TOKEN_B, "shopkeyB")
    hour = timedelta(hours=1)
    await pg_store.for_shop(a.id).run(Tx.set_checkout_deadline, 1001, 1001, "id", NOW)
    await pg_store.for_shop(b.id).run(Tx.set_checkout_deadline, 1001, 1001, "en", NOW + hour)

    def due(owned: list[int], now: datetime) -> Awaitable[list[int]]:
        return pg_store.run(Tx.directory_shops_with_checkouts_due, owned, 2, now)

    assert await due([0, 1], NOW) == [a.id]
    assert await due([0, 1], NOW + hour) == [a.id, b.id]
    assert await due([b.id % 2], NOW + hour) == [b.id]
    assert await due([], NOW + hour) == []
    assert await directory.pause(a.id)
    assert await due([0, 1], NOW + hour) == [b.id]  # a paused shop waits until it resumes


async def test_taking_a_partition_over_frees_only_its_shops_claims(
    directory: ShopDirectory, pg_store: PostgresStore
) -> None:
    """What a dead worker had claimed of a partition is due at once for the worker that takes
    it; claims of other partitions, and handled updates and sent pushes, stay as they are."""
    a, b = [
        await _create(directory, f"70000000{n}:AAHx9yqk2Zm4pQ1rT8vW3nB6cD5eF7gH0{n}", f"k{n}")
        for n in range(2)
    ]
    later = NOW + timedelta(seconds=1)
    for shop in (a, b):
        store = shop_store(pg_store, shop.id)
        for update_id in (1, 2):
            await store.run(Tx.inbox_add, update_id, "{}", NOW)
        await store.run(Tx.inbox_claim, NOW, timedelta(seconds=60), 2)
        await store.run(Tx.inbox_done, [1], NOW)
        for chat in (1001, 1002):
            await store.run(Tx.enqueue, chat, "sendMessage", {"text": "halo"}, NOW)
        (sent, claimed) = await store.run(Tx.claim_due_messages, NOW, NOW + timedelta(minutes=2))
        await store.run(Tx.mark_sent, sent.id, NOW)

    cleared = await pg_store.run(Tx.directory_release_claims, a.id % 2, 2)

    assert cleared == 2  # a's unhandled update and unsent push
    a_store, b_store = shop_store(pg_store, a.id), shop_store(pg_store, b.id)
    assert await a_store.run(Tx.inbox_claim, later, timedelta(seconds=60)) == [(2, "{}")]
    assert await b_store.run(Tx.inbox_claim, later, timedelta(seconds=60)) == []
    assert [m.chat_id for m in await a_store.run(Tx.claim_due_messages, later, later)] == [
        claimed.chat_id
    ]
    assert await b_store.run(Tx.claim_due_messages, later, later) == []


async def test_the_owners_language_is_kept_and_follows_the_owner_to_every_live_shop(
    directory: ShopDirectory,
) -> None:
    first = await _create(directory)
    assert first.owner_language == "id"  # a seller whose Telegram is not in English
    second = await directory.create(
        owner_user_id=OWNER,
        bot_token=TOKEN_B,
        bot_username="warung_b_bot",
        shop_key="shopkeyB",
        webhook_secret="secret-shopkeyB",
        midtrans_server_key=KEY_B,
        midtrans_environment="sandbox",
        owner_language="en",
    )
    assert second.owner_language == "en"
    someone_else = await _create(directory, TOKEN_A.replace("7001", "7002"), "shopkeyC", 6160)

    await directory.set_owner_language(OWNER, "en")

    for shop in (first, second):
        found = await directory.get(shop.id)
        assert found is not None and found.owner_language == "en"
        assert found.updated_at == shop.updated_at  # a worker does not reload the shop for it
    other = await directory.get(someone_else.id)
    assert other is not None and other.owner_language == "id"
