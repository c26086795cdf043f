"""Group commit in ``Store.run``: calls queued together share one transaction, each atomic
(both backends: the same queue and ``run_group`` drive SQLite and PostgreSQL)."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from storage import Tx
from storage import postgres as postgres_module
from storage import store as store_module
from tests.storage.conftest import AnyStore, Backend

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


class Boom(Exception):
    pass


def _add(tx: Tx, name: str) -> int:
    return tx.add_product(name, 10_000, None, NOW).id


def _add_then_fail(tx: Tx, name: str) -> None:
    tx.add_product(name, 10_000, None, NOW)
    raise Boom(name)


async def test_concurrent_calls_share_a_transaction_and_keep_their_order(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups: list[int] = []
    real = store_module.run_group

    def counting(conn: Any, jobs: list[store_module._Job], *rest: Any) -> list[object]:
        groups.append(len(jobs))
        return real(conn, jobs, *rest)

    monkeypatch.setattr(store_module, "run_group", counting)
    monkeypatch.setattr(postgres_module, "run_group", counting)
    store = await backend.open()
    ids = await asyncio.gather(*(store.run(_add, f"p{i}") for i in range(50)))
    names = [p.name for p in await store.run(Tx.products)]
    assert ids == sorted(ids)  # run in call order
    assert names == [f"p{i}" for i in range(50)]
    assert len(groups) < 50 and max(groups) > 1  # fewer transactions than calls


async def test_a_failing_call_undoes_only_its_own_writes(store: AnyStore) -> None:
    results = await asyncio.gather(
        store.run(_add, "a"),
        store.run(_add_then_fail, "b"),
        store.run(_add, "c"),
        return_exceptions=True,
    )
    names = [p.name for p in await store.run(Tx.products)]
    assert isinstance(results[1], Boom) and str(results[1]) == "b"
    assert isinstance(results[0], int) and isinstance(results[2], int)
    assert names == ["a", "c"]


async def test_a_lone_failing_call_rolls_back(store: AnyStore) -> None:
    with pytest.raises(Boom):
        await store.run(_add_then_fail, "x")
    assert await store.run(Tx.products) == []
    assert await store.run(_add, "y") > 0  # the connection is usable afterwards


async def test_results_come_after_the_commit(backend: Backend) -> None:
    store = await backend.open()
    await asyncio.gather(*(store.run(_add, f"p{i}") for i in range(20)))
    assert backend.count("products") == 20  # another connection sees every returned write


async def test_a_cancelled_caller_does_not_break_the_others(store: AnyStore) -> None:
    first = asyncio.ensure_future(store.run(_add, "a"))
    second = asyncio.ensure_future(store.run(_add, "b"))
    await asyncio.sleep(0)
    second.cancel()
    assert await first > 0
    names = {p.name for p in await store.run(Tx.products)}
    assert "a" in names  # "b" may or may not have been written: it was already queued
