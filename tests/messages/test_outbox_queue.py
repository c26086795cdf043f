"""``Tx.due_messages`` on the partial indexes: each chat's oldest undelivered row, if due."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage import Store, Tx

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


async def test_heads_only_oldest_first_and_due_only(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "shop.db")

    def fill(tx: Tx) -> dict[str, int]:
        for name, chat in [("a1", 1), ("b1", 2), ("a2", 1), ("c1", 3), ("d1", 4), ("b2", 2)]:
            tx.enqueue(chat, "sendMessage", {"text": name}, NOW, dedupe_key=name)
        ids = {str(m.dedupe_key): m.id for m in tx.outbox_messages()}
        tx.mark_retry(ids["c1"], NOW + timedelta(seconds=60), "later")
        return ids

    try:
        ids = await store.run(fill)
        heads = await store.run(Tx.due_messages, NOW, 100)
        assert [m.payload["text"] for m in heads] == ["a1", "b1", "d1"]  # c1 is not due yet
        await store.run(Tx.mark_sent, ids["a1"], NOW)
        await store.run(Tx.mark_failed, ids["b1"], NOW, "blocked")
        heads = await store.run(Tx.due_messages, NOW + timedelta(minutes=2), 2)
        assert [m.payload["text"] for m in heads] == ["a2", "c1"]  # limit 2, oldest first
        rows = await store.run(Tx.outbox_messages, 2)
        assert [(m.payload["text"], m.failed_at is not None) for m in rows] == [
            ("b1", True),
            ("b2", False),
        ]
    finally:
        await store.close()


async def test_a_claimed_head_is_taken_once_until_its_lease_ends(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "shop.db")
    lease_end = NOW + timedelta(minutes=2)

    def fill(tx: Tx) -> None:
        for name, chat in [("a1", 1), ("b1", 2), ("a2", 1), ("c1", 3)]:
            tx.enqueue(chat, "sendMessage", {"text": name}, NOW, dedupe_key=name)

    try:
        await store.run(fill)
        first = await store.run(Tx.claim_due_messages, NOW, lease_end, 10, (3,))
        assert [m.payload["text"] for m in first] == ["a1", "b1"]  # heads; chat 3 skipped
        second = await store.run(Tx.claim_due_messages, NOW, lease_end, 10)
        assert [m.payload["text"] for m in second] == ["c1"]  # a2 waits behind claimed a1
        assert await store.run(Tx.claim_due_messages, NOW, lease_end, 10) == []
        await store.run(Tx.release, first[1].id)  # b1's send was cut off: due again
        again = await store.run(Tx.claim_due_messages, NOW, lease_end, 10)
        assert [m.payload["text"] for m in again] == ["b1"]
        late = await store.run(Tx.claim_due_messages, lease_end, lease_end + timedelta(1), 10)
        assert [m.payload["text"] for m in late] == ["a1", "b1", "c1"]  # holder died: due again
        assert await store.run(Tx.release_claims) == 3  # the next bot on this database
        assert len(await store.run(Tx.due_messages, NOW)) == 3
    finally:
        await store.close()
