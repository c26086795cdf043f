"""The payment worker process: notifications applied in a second process, with the same answers.

The harness runs the real ``BotRuntime`` with its default settings, so these tests (and every
other end-to-end test that pays) go through the worker.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.payments.ledger import Ledger, PaymentOutcome, PaymentReport
from bot.payments.worker import (
    PaymentWorker,
    WorkerCallFailed,
    WorkerUnavailable,
    _frame,
    _take_frames,
)
from bot.rules.orders import OrderStatus
from storage import Store, Tx
from tests.conftest import Harness


def _worker(h: Harness) -> PaymentWorker:
    worker = h.runtime.payment_worker
    assert worker is not None and worker.pid is not None
    return worker


async def _exited(pid: int, within: float = 10.0) -> bool:
    """Whether process ``pid`` is gone (or a zombie) within ``within`` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split()[2]  # noqa: ASYNC240 - procfs
        except (FileNotFoundError, ProcessLookupError):  # gone between the check and the read
            return True
        if state == "Z":
            return True
        await asyncio.sleep(0.05)
    return False


async def test_a_paid_order_is_applied_in_another_process(harness: Harness) -> None:
    worker = _worker(harness)
    assert worker.pid != os.getpid()
    user = harness.customer()
    await harness.add_product("Kopi Susu", 18_000, stock=5)
    order = await harness.checkout_typed(user, "2 kopi susu")
    delivery = await harness.settle(order.id)
    assert delivery["status"] == 200
    paid = await harness.store.run(Tx.order, order.id)
    assert paid is not None and paid.status == OrderStatus.PAID
    await harness.standin.wait_for_message(user, lambda m: "Pembayaran diterima" in m.text)
    events = await harness.store.run(Tx.payment_events, order.id)
    notified = [e.outcome for e in events if e.source == "notification"]
    # The charge's own pending notification first (recorded, nothing to confirm), then:
    assert notified == [
        PaymentOutcome.NO_CHANGE,
        PaymentOutcome.CONFIRMED,
    ]  # the default: confirmed with Get Status, then applied
    assert [e.source for e in events if e.applied] == ["status_check"]
    assert harness.standin.violations == []


async def _kill(pid: int | None) -> None:
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert await _exited(pid)


async def test_a_dead_worker_is_replaced_and_one_dying_at_once_means_503_then_retry(
    harness: Harness,
) -> None:
    user = harness.customer()
    await harness.add_product("Kopi Susu", 18_000, stock=5)
    first_order = await harness.checkout_typed(user, "2 kopi susu")
    other = harness.customer(1002, name="Ani")
    order = await harness.checkout_typed(other, "1 kopi susu")
    first = _worker(harness).pid
    await _kill(first)

    # The next notification starts a new worker and is applied by it.
    assert (await harness.settle(first_order.id))["status"] == 200
    second = _worker(harness).pid
    assert second != first
    paid = await harness.store.run(Tx.order, first_order.id)
    assert paid is not None and paid.status == OrderStatus.PAID

    # A replacement that dies at once is not restarted in a tight loop: Midtrans hears 503,
    # nothing changes, and its next try (here after a second) is applied.
    await _kill(second)
    assert (await harness.settle(order.id))["status"] == 503
    still = await harness.store.run(Tx.order, order.id)
    assert still is not None and still.status == OrderStatus.AWAITING_PAYMENT
    harness.clock.advance(1.1)  # Midtrans tries again later; the restart pause has passed
    assert (await harness.sandbox.notify(order.id)).status == 200
    paid = await harness.store.run(Tx.order, order.id)
    assert paid is not None and paid.status == OrderStatus.PAID
    for customer in (user, other):
        await harness.standin.wait_for_message(customer, lambda m: "Pembayaran diterima" in m.text)
        pushes = [m for m in harness.standin.messages(customer) if "Pembayaran" in m.text]
        assert len(pushes) == 1


async def test_stopping_the_bot_ends_the_worker_cleanly(harness: Harness) -> None:
    pid = _worker(harness).pid
    assert pid is not None
    await harness.runtime.stop()
    assert await _exited(pid, within=2.0)
    await harness.start()  # the fixture stops it again


async def test_payment_worker_false_applies_in_the_bots_own_process(
    harness: Harness,
) -> None:
    await harness.runtime.stop()
    harness.settings = dataclasses.replace(harness.settings, payment_worker=False)
    await harness.start()
    assert harness.runtime.payment_worker is None
    user = harness.customer()
    await harness.add_product("Kopi Susu", 18_000, stock=5)
    order = await harness.checkout_typed(user, "2 kopi susu")
    assert (await harness.settle(order.id))["status"] == 200
    paid = await harness.store.run(Tx.order, order.id)
    assert paid is not None and paid.status == OrderStatus.PAID


# --- the worker on its own -------------------------------------------------------------------


async def _open_worker(tmp_path: Path) -> tuple[Store, PaymentWorker]:
    store = await Store.open(tmp_path / "warung.db")  # creates and migrates, as the bot does
    worker = PaymentWorker(tmp_path / "warung.db", frozenset({9000}), log_level="WARNING")
    await worker.start()
    return store, worker


def _report(order_id: str) -> PaymentReport:
    raw = json.dumps({"order_id": order_id})
    return PaymentReport(order_id, "settlement", "accept", "20000.00", "200", raw, "notification")


async def test_one_failing_call_leaves_the_others_of_its_transaction(tmp_path: Path) -> None:
    store, worker = await _open_worker(tmp_path)
    try:
        now = datetime.now(UTC)
        broken = PaymentReport(None, "settlement", None, None, None, None, "x")  # type: ignore[arg-type]
        results = await asyncio.gather(
            worker.run(Ledger.apply, _report("W-1"), now),
            worker.run(Ledger.record, broken, now, PaymentOutcome.CONFIRMED),
            worker.run(Ledger.apply, _report("W-2"), now),
            return_exceptions=True,
        )
        assert results[0] == (PaymentOutcome.UNKNOWN_ORDER, 0)
        assert isinstance(results[1], WorkerCallFailed)
        assert results[2] == (PaymentOutcome.UNKNOWN_ORDER, 0)
        recorded = [e.order_id for e in await store.run(Tx.payment_events)]
        assert sorted(recorded) == ["W-1", "W-2"]
    finally:
        await worker.stop()
        await store.close()


async def test_only_ledger_methods_cross_to_the_worker(tmp_path: Path) -> None:
    store, worker = await _open_worker(tmp_path)
    try:
        with pytest.raises(ValueError, match="not a Ledger method"):
            await worker.run(Tx.admins)  # type: ignore[arg-type]
    finally:
        await worker.stop()
        await store.close()


async def test_a_worker_that_cannot_open_the_database_fails_the_start(tmp_path: Path) -> None:
    worker = PaymentWorker(tmp_path / "missing" / "warung.db", frozenset(), log_level="CRITICAL")
    with pytest.raises(WorkerUnavailable):
        await worker.start()
    await worker.stop()


def test_frames_cross_whole_and_in_pieces_with_the_same_instants() -> None:
    wib = timezone(timedelta(hours=7))
    report = _report("W-9")
    calls = [
        (1, "apply", (report, datetime(2026, 11, 25, 17, 0, 0, 123456, tzinfo=wib)), {}),
        (2, "record", (report, datetime(2026, 11, 25, 10, 0, tzinfo=UTC), "x"), {"y": None}),
        (3, "apply", (report, datetime(2026, 11, 25, 10, 0)), {}),  # naive stays naive
    ]
    stream = b"".join(_frame(call) for call in calls)
    buffer = bytearray()
    received: list[object] = []
    for start in range(0, len(stream), 7):  # a pipe may hand over any number of bytes
        buffer += stream[start : start + 7]
        received += _take_frames(buffer)
    assert received == calls and buffer == bytearray()
    first = received[0][2][1]  # type: ignore[index]
    assert first == calls[0][2][1] and first.utcoffset() == timedelta(0)
    assert received[2][2][1].tzinfo is None  # type: ignore[index]
    assert isinstance(received[0][2][0], PaymentReport)  # type: ignore[index]
