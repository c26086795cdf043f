"""Group commit in ``Store.run``: calls queued together share one transaction, each atomic."""

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import Store, Tx
from storage import store as store_module

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


class Boom(Exception):
    pass


def _add(tx: Tx, name: str) -> int:
    return tx.add_product(name, 10_000, None, NOW).id


def _add_then_fail(tx: Tx, name: str) -> None:
    tx.add_product(name, 10_000, None, NOW)
    raise Boom(name)


async def test_concurrent_calls_share_a_transaction_and_keep_their_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups: list[int] = []
    real = store_module.run_group

    def counting(conn: sqlite3.Connection, jobs: list[store_module._Job]) -> list[object]:
        groups.append(len(jobs))
        return real(conn, jobs)

    monkeypatch.setattr(store_module, "run_group", counting)
    store = await Store.open(tmp_path / "shop.db")
    try:
        ids = await asyncio.gather(*(store.run(_add, f"p{i}") for i in range(50)))
        names = [p.name for p in await store.run(Tx.products)]
    finally:
        await store.close()
    assert ids == sorted(ids)  # run in call order
    assert names == [f"p{i}" for i in range(50)]
    assert len(groups) < 50 and max(groups) > 1  # fewer transactions than calls


async def test_a_failing_call_undoes_only_its_own_writes(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "shop.db")
    try:
        results = await asyncio.gather(
            store.run(_add, "a"),
            store.run(_add_then_fail, "b"),
            store.run(_add, "c"),
            return_exceptions=True,
        )
        names = [p.name for p in await store.run(Tx.products)]
    finally:
        await store.close()
    assert isinstance(results[1], Boom) and str(results[1]) == "b"
    assert isinstance(results[0], int) and isinstance(results[2], int)
    assert names == ["a", "c"]


async def test_a_lone_failing_call_rolls_back(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "shop.db")
    try:
        with pytest.raises(Boom):
            await store.run(_add_then_fail, "x")
        assert await store.run(Tx.products) == []
        assert await store.run(_add, "y") > 0  # the connection is usable afterwards
    finally:
        await store.close()


async def test_results_come_after_the_commit(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    store = await Store.open(path)
    try:
        await asyncio.gather(*(store.run(_add, f"p{i}") for i in range(20)))
        other = sqlite3.connect(path)  # another connection sees every returned write
        try:
            assert other.execute("SELECT COUNT(*) FROM products").fetchone()[0] == 20
        finally:
            other.close()
    finally:
        await store.close()


async def test_a_cancelled_caller_does_not_break_the_others(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "shop.db")
    try:
        first = asyncio.ensure_future(store.run(_add, "a"))
        second = asyncio.ensure_future(store.run(_add, "b"))
        await asyncio.sleep(0)
        second.cancel()
        assert await first > 0
        await asyncio.sleep(0.05)
        names = {p.name for p in await store.run(Tx.products)}
    finally:
        await store.close()
    assert "a" in names  # "b" may or may not have been written: it was already queued
