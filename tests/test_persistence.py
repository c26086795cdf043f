"""Conversation states and user data survive closing and reopening the store."""

from pathlib import Path

from bot.persistence import SQLitePersistence
from storage import Store


async def test_round_trip_through_a_reopened_store(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "p.db")
    persistence = SQLitePersistence(store)
    await persistence.update_conversation("customer", (7, 7), 3)
    await persistence.update_conversation("customer", (8, 8), 1)
    await persistence.update_conversation("customer", (8, 8), None)  # ended
    await persistence.update_user_data(7, {"cart": {"12": 2}, "draft": {"name": "Budi"}})
    await store.close()

    store = await Store.open(tmp_path / "p.db")
    persistence = SQLitePersistence(store)
    assert await persistence.get_conversations("customer") == {(7, 7): 3}
    assert await persistence.get_conversations("admin") == {}
    assert await persistence.get_user_data() == {7: {"cart": {"12": 2}, "draft": {"name": "Budi"}}}
    await persistence.drop_user_data(7)
    assert await persistence.get_user_data() == {}
    await store.close()
