"""Payments over real HTTP: sandbox notifications into our listener, state, stock and pushes."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.messages.pushes import SEND_PAYMENT_CODE
from bot.payments.midtrans import MidtransError, notification_signature
from bot.payments.service import PaymentOutcome
from bot.rules.orders import OrderStatus
from storage import OutboxMessage, Tx
from tests.support.orders import charge_order, place_order
from tests.support.world import ADMIN, CUSTOMER, SERVER_KEY, World, payment_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with payment_world(tmp_path) as w:
        yield w


@pytest.fixture
async def unconfirmed(tmp_path: Path) -> AsyncIterator[World]:
    async with payment_world(tmp_path, confirm=False) as w:
        yield w


def signed(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """``body`` with ``changes``, signed again with the real key (only Midtrans could)."""
    out = {**body, **changes}
    out["signature_key"] = notification_signature(
        out["order_id"], out["status_code"], out["gross_amount"], SERVER_KEY
    )
    return out


async def events(w: World, order_id: str) -> list[tuple[str, bool, bool, str]]:
    """The order's payment events after the "pending" notification its charge brought."""
    rows = await w.store.run(Tx.payment_events, order_id)
    if rows and (rows[0].source, rows[0].transaction_status) == ("notification", "pending"):
        rows = rows[1:]
    return [(e.source, e.verified, e.applied, e.outcome) for e in rows]


async def test_settlement_tells_the_customer_with_the_order_summary(world: World) -> None:
    order = await world.order(kopi=2, roti=1)
    delivery = await world.sandbox.trigger(order.id, "settle")
    assert delivery.status == 200

    paid = await world.get(order.id)
    assert paid.status == OrderStatus.PAID and paid.paid_at is not None
    push = await world.push(CUSTOMER, contains="Pembayaran diterima")
    assert "Kopi susu × 2 = Rp36.000" in push.text
    assert "Roti bakar × 1 = Rp15.000" in push.text
    assert "Total: Rp51.000" in push.text
    assert order.id in push.text
    # confirmed with Get Status: the notification row, then the applied status check
    assert await events(world, order.id) == [
        ("notification", True, False, "confirmed"),
        ("status_check", True, True, "applied"),
    ]
    # the seller waits for the reversal window
    assert world.texts(ADMIN) == []


async def test_english_customer_reads_english(world: World) -> None:
    order = await world.order(language="en", fulfilment="delivery", address="Jl. Mawar 5")
    await world.sandbox.trigger(order.id, "settle")
    push = await world.push(CUSTOMER, contains="Payment received")
    assert "Delivery to: Jl. Mawar 5" in push.text


async def test_expire_offers_to_order_again_and_gives_stock_back(world: World) -> None:
    order = await world.order(kopi=3)
    assert (await world.store.run(Tx.product, world.kopi.id)).stock == 7
    await world.sandbox.trigger(order.id, "expire")

    assert (await world.get(order.id)).status == OrderStatus.EXPIRED
    assert (await world.store.run(Tx.product, world.kopi.id)).stock == 10
    push = await world.push(CUSTOMER, contains="sudah habis")
    assert push.buttons[0].text == "🔁 Pesan lagi"
    assert push.buttons[0].data == f"ra:{order.id}"


async def test_cancel_is_confirmed_to_the_customer(world: World) -> None:
    order = await world.order()
    await world.sandbox.trigger(order.id, "cancel")
    await world.push(CUSTOMER, contains="sudah dibatalkan")
    assert (await world.get(order.id)).status == OrderStatus.CANCELLED
    assert (await world.store.run(Tx.product, world.kopi.id)).stock == 10


async def test_forged_and_tampered_notifications_change_nothing(world: World) -> None:
    order = await world.order()
    real = world.sandbox.notification_for(order.id, "settlement")

    forged = {**real, "signature_key": "0" * 128}
    tampered = {**real, "gross_amount": "10000.00"}  # signature no longer matches
    unsigned = {k: v for k, v in real.items() if k != "signature_key"}
    for body in (forged, tampered, unsigned):
        answer = await world.post_notification(body)
        assert answer.status_code == 401

    # Signed with the real key but for another amount: recorded, rejected, acknowledged.
    other_amount = signed(real, gross_amount="36001.00")
    answer = await world.post_notification(other_amount)
    assert answer.status_code == 200
    assert answer.json()["detail"] == "amount_mismatch"

    assert (await world.get(order.id)).status == OrderStatus.AWAITING_PAYMENT
    assert await events(world, order.id) == [
        ("notification", False, False, "bad_signature"),
        ("notification", False, False, "bad_signature"),
        ("notification", False, False, "bad_signature"),
        ("notification", True, False, "amount_mismatch"),
    ]
    assert (await world.store.run(Tx.outbox_counts))["pending"] == 0
    assert world.texts(CUSTOMER) == []


async def test_malformed_bodies_are_refused_unrecorded(world: World) -> None:
    for body in (b"{not json", b"[1, 2]", b"\xff\xfe", b""):
        answer = await world.post_notification(body)
        assert answer.status_code == 400, body
    assert await world.store.run(Tx.payment_events) == []


async def test_unknown_order_is_acknowledged_and_recorded(world: World) -> None:
    body = signed(
        {
            "order_id": "SOMEONE-ELSES-1",
            "status_code": "200",
            "gross_amount": "50000.00",
            "transaction_status": "settlement",
        }
    )
    answer = await world.post_notification(body)
    assert answer.status_code == 200 and answer.json()["detail"] == "unknown_order"
    assert await events(world, "SOMEONE-ELSES-1") == [
        ("notification", True, False, "unknown_order")
    ]


async def test_loose_parsing_extra_fields_and_amount_forms(unconfirmed: World) -> None:
    order = await unconfirmed.order()  # Rp36.000
    body = unconfirmed.sandbox.notification_for(order.id, "settlement")
    body = signed(
        body,
        gross_amount="36000",
        new_field={"nested": [1, 2]},
        va_numbers=[],
        fraud_status=None,
    )
    answer = await unconfirmed.post_notification(body)
    assert answer.status_code == 200 and answer.json()["detail"] == "applied"
    assert (await unconfirmed.get(order.id)).status == OrderStatus.PAID


@pytest.mark.parametrize("confirm", [True, False], ids=["confirmed", "unconfirmed"])
async def test_repeats_and_disorder_give_one_push_per_transition(
    tmp_path: Path, confirm: bool
) -> None:
    async with payment_world(tmp_path, confirm=confirm) as w:
        order = await w.order()
        pending = w.sandbox.notification_for(order.id, "pending")
        await w.sandbox.trigger(order.id, "settle", notify=False)
        settlement = w.sandbox.notification_for(order.id, "settlement")
        expire = w.sandbox.notification_for(order.id, "expire")
        bodies = [pending] * 10 + [settlement] * 10
        random.Random(4).shuffle(bodies)
        answers = await asyncio.gather(*(w.post_notification(b) for b in bodies))
        assert {a.status_code for a in answers} == {200}
        # late and out of order: an expiry after the payment moves nothing
        for _ in range(3):
            assert (await w.post_notification(expire)).status_code == 200

        assert (await w.settled_outbox())["sent"] == 1
        assert (await w.get(order.id)).status == OrderStatus.PAID
        assert len(w.texts(CUSTOMER)) == 1
        rows = await w.store.run(Tx.payment_events, order.id)
        assert sum(e.applied for e in rows) == 1
        notifications = [e for e in rows if e.source == "notification"]
        assert len(notifications) == 24  # and the pending one the charge brought
        history = await w.store.run(Tx.history, order.id)
        assert [(h.from_status, h.to_status) for h in history] == [
            (None, "awaiting_payment"),
            ("awaiting_payment", "paid"),
        ]


async def test_seller_hears_only_after_the_reversal_window(world: World) -> None:
    order = await world.order(note="Gulanya <sedikit> & es", phone="081234567890")
    await world.sandbox.trigger(order.id, "settle")
    await world.push(CUSTOMER, contains="Pembayaran diterima")

    assert await world.payments.confirm_sales(world.clock()) == 0  # inside the window
    world.clock.advance(0.3)
    assert await world.payments.confirm_sales(world.clock()) == 1
    push = await world.push(ADMIN, contains="Pesanan baru lunas")
    assert "Kopi susu × 2" in push.text and "Budi" in push.text
    assert "0812-3456-7890" in push.text
    assert "Gulanya <sedikit> & es" in push.text  # escaped when sent, shown as typed
    assert push.buttons[0].data == f"af:{order.id}"
    assert push.buttons[0].text == "✅ Tandai selesai"
    assert (await world.get(order.id)).seller_notified_at is not None

    assert await world.payments.confirm_sales(world.clock()) == 0  # once only
    await world.settled_outbox()
    assert len(world.texts(ADMIN)) == 1


async def test_reversal_inside_the_window_tells_only_the_customer(world: World) -> None:
    order = await world.order(kopi=4)
    await world.sandbox.trigger(order.id, "settle")
    await world.sandbox.trigger(order.id, "deny")

    assert (await world.get(order.id)).status == OrderStatus.REVERSED
    assert (await world.store.run(Tx.product, world.kopi.id)).stock == 10
    await world.push(CUSTOMER, contains="Pembayaran diterima")
    await world.push(CUSTOMER, contains="Pembayaran dibatalkan")
    world.clock.advance(1)
    assert await world.payments.confirm_sales(world.clock()) == 0
    await world.settled_outbox()
    assert world.texts(ADMIN) == []  # the seller never heard of the sale


async def test_reversal_after_the_seller_was_told_reaches_both(world: World) -> None:
    order = await world.order(kopi=1)
    await world.sandbox.trigger(order.id, "settle")
    world.clock.advance(0.3)
    assert await world.payments.confirm_sales(world.clock()) == 1
    await world.push(ADMIN, contains="Pesanan baru lunas")

    await world.sandbox.trigger(order.id, "deny")
    await world.push(CUSTOMER, contains="Pembayaran dibatalkan")
    alert = await world.push(ADMIN, contains="reversal")
    assert "Jangan serahkan barangnya" in alert.text
    assert (await world.store.run(Tx.product, world.kopi.id)).stock == 10


async def test_a_lost_deny_is_found_before_the_seller_is_told(world: World) -> None:
    order = await world.order()
    await world.sandbox.trigger(order.id, "settle")
    await world.sandbox.trigger(order.id, "deny", notify=False)
    world.clock.advance(0.3)

    assert await world.payments.confirm_sales(world.clock()) == 0
    assert (await world.get(order.id)).status == OrderStatus.REVERSED
    await world.push(CUSTOMER, contains="Pembayaran dibatalkan")
    await world.settled_outbox()
    assert world.texts(ADMIN) == []


async def test_status_check_unreachable_answers_503_then_the_retry_applies(world: World) -> None:
    order = await world.order()
    world.sandbox.add_fault(fail_status=503, paths=["/v2/*/status"])
    delivery = await world.sandbox.trigger(order.id, "settle")
    assert delivery.status == 503
    assert (await world.get(order.id)).status == OrderStatus.AWAITING_PAYMENT
    assert await events(world, order.id) == [
        ("notification", True, False, PaymentOutcome.UNAVAILABLE),
    ]

    retry = await world.sandbox.notify(order.id)  # Midtrans' retry
    assert retry.status == 200
    assert (await world.get(order.id)).status == OrderStatus.PAID
    await world.push(CUSTOMER, contains="Pembayaran diterima")


async def test_confirmation_applies_what_midtrans_says_now(world: World) -> None:
    """A stale 'settlement' arriving after a reversal is confirmed as what it is now: deny."""
    order = await world.order()
    await world.sandbox.trigger(order.id, "settle", notify=False)
    stale = world.sandbox.notification_for(order.id)
    await world.sandbox.trigger(order.id, "deny", notify=False)
    answer = await world.post_notification(stale)
    assert answer.status_code == 200
    assert (await world.get(order.id)).status == OrderStatus.FAILED
    await world.push(CUSTOMER, contains="ditolak")
    await world.settled_outbox()
    assert len(world.texts(CUSTOMER)) == 1


async def test_settlement_for_an_expired_order_alerts_the_seller(unconfirmed: World) -> None:
    w = unconfirmed
    order = await w.order()
    await w.sandbox.trigger(order.id, "expire")
    await w.push(CUSTOMER, contains="sudah habis")
    late = signed(w.sandbox.notification_for(order.id, "settlement"), status_code="200")
    assert (await w.post_notification(late)).status_code == 200
    assert (await w.get(order.id)).status == OrderStatus.EXPIRED
    alert = await w.push(ADMIN, contains="sudah ditutup")
    assert order.id in alert.text
    assert (await events(w, order.id))[-1] == ("notification", True, False, "late_payment")


async def test_check_order_recovers_a_lost_charge_answer(tmp_path: Path) -> None:
    sent: list[OutboxMessage] = []

    async def send_code(row: OutboxMessage) -> None:
        sent.append(row)

    async with payment_world(tmp_path, special={SEND_PAYMENT_CODE: send_code}) as w:
        order = await place_order(w.store, w.midtrans, [(w.kopi, 1)], now=w.clock(), charge=False)
        await charge_order(w.store, w.midtrans, order.id, now=w.clock(), save=False)

        # Right after checkout the charge may still be on its way: leave it alone.
        assert await w.payments.check_order(order.id) == PaymentOutcome.CHARGE_IN_PROGRESS
        w.clock.advance(180)
        assert await w.payments.check_order(order.id) == PaymentOutcome.NO_CHANGE
        recovered = await w.get(order.id)
        assert recovered.charge is not None
        assert recovered.charge.payment_code == w.sandbox.transactions[order.id].payment_code
        await w.settled_outbox()
        assert [(r.method, r.payload, r.chat_id) for r in sent] == [
            (SEND_PAYMENT_CODE, {"order_id": order.id}, CUSTOMER)
        ]
        # asking again sends nothing new
        assert await w.payments.check_order(order.id) == PaymentOutcome.NO_CHANGE
        await w.settled_outbox()
        assert len(sent) == 1


async def test_check_order_fails_an_order_midtrans_never_heard_of(world: World) -> None:
    order = await place_order(
        world.store, world.midtrans, [(world.kopi, 2)], now=world.clock(), charge=False
    )
    assert await world.payments.check_order(order.id) == PaymentOutcome.NOT_FOUND
    assert (await world.get(order.id)).status == OrderStatus.AWAITING_PAYMENT

    world.clock.advance(11 * 60)
    assert await world.payments.check_order(order.id) == PaymentOutcome.APPLIED
    assert (await world.get(order.id)).status == OrderStatus.FAILED
    assert (await world.store.run(Tx.product, world.kopi.id)).stock == 10
    push = await world.push(CUSTOMER, contains="tidak berhasil dibuat")
    assert push.buttons[0].data == f"ra:{order.id}"


async def test_unverified_bodies_are_stored_cut_short(world: World) -> None:
    body = json.dumps({"order_id": "X", "padding": "a" * 50_000}).encode()
    assert (await world.post_notification(body)).status_code == 401
    conn_rows = await world.store.run(
        lambda tx: tx.conn.execute("SELECT length(raw) FROM payment_events").fetchall()
    )
    assert conn_rows[0][0] <= 4096


async def test_storage_failure_answers_503_so_midtrans_retries(world: World) -> None:
    order = await world.order()
    await world.sandbox.trigger(order.id, "settle", notify=False)
    body = json.dumps(world.sandbox.notification_for(order.id)).encode()

    def break_events(tx: Tx, broken: bool) -> None:
        names = ("payment_events", "events_away") if broken else ("events_away", "payment_events")
        tx.conn.execute(f"ALTER TABLE {names[0]} RENAME TO {names[1]}")

    await world.store.run(break_events, True)
    result = await world.payments.handle_notification(body)
    assert (result.status, result.detail) == (503, "storage_unavailable")
    assert (await world.get(order.id)).status == OrderStatus.AWAITING_PAYMENT

    await world.store.run(break_events, False)
    assert (await world.payments.handle_notification(body)).status == 200
    assert (await world.get(order.id)).status == OrderStatus.PAID


async def test_admins_from_the_store_are_told_too(world: World) -> None:
    other = 9100
    world.standin.user(other, first_name="Rina", started=True)
    await world.store.run(Tx.add_admin, other, world.clock())
    order = await world.order()
    await world.sandbox.trigger(order.id, "settle")
    world.clock.advance(timedelta(milliseconds=300).total_seconds())
    assert await world.payments.confirm_sales(world.clock()) == 1
    await world.push(ADMIN, contains="Pesanan baru lunas")
    await world.push(other, contains="Pesanan baru lunas")


async def _notified(world: World, order_id: str, within: float = 10.0) -> None:
    """Wait for the event itself (Midtrans' notification recorded), never a fixed time."""
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        events = await world.store.run(Tx.payment_events, order_id)
        if any(event.source == "notification" for event in events):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no notification recorded for {order_id}")


async def test_seller_cancel_reaches_midtrans_and_tells_the_customer_once(world: World) -> None:
    order = await world.order(kopi=3)
    assert await world.payments.cancel_order(order.id, reason="seller") == "cancelled"
    assert world.sandbox.transactions[order.id].transaction_status == "cancel"
    assert (await world.store.run(Tx.product, world.kopi.id)).stock == 10
    await world.push(CUSTOMER, contains="sudah dibatalkan")
    await _notified(world, order.id)  # Midtrans' own cancel notification arrives, changes nothing
    await world.settled_outbox()
    assert len(world.texts(CUSTOMER)) == 1
    assert [outcome for *_, outcome in await events(world, order.id)][:1] == ["applied"]


async def test_customer_cancel_is_answered_in_their_chat_not_pushed(world: World) -> None:
    order = await world.order()
    assert await world.payments.cancel_order(order.id, reason="customer") == "cancelled"
    assert (await world.get(order.id)).status == OrderStatus.CANCELLED
    await _notified(world, order.id)
    await world.settled_outbox()
    assert world.texts(CUSTOMER) == []


async def test_cancel_after_an_unheard_payment_applies_the_payment(world: World) -> None:
    order = await world.order()
    await world.sandbox.trigger(order.id, "settle", notify=False)
    assert await world.payments.cancel_order(order.id) == "paid"
    await world.push(CUSTOMER, contains="Pembayaran diterima")


async def test_cancel_with_midtrans_down_changes_nothing(world: World) -> None:
    order = await world.order()
    world.sandbox.add_fault(fail_status=500, paths=["/v2/*/cancel"])
    with pytest.raises(MidtransError):
        await world.payments.cancel_order(order.id)
    assert (await world.get(order.id)).status == OrderStatus.AWAITING_PAYMENT


async def test_cancel_of_an_order_midtrans_never_saw(world: World) -> None:
    order = await place_order(
        world.store, world.midtrans, [(world.kopi, 1)], now=world.clock(), charge=False
    )
    assert await world.payments.cancel_order(order.id, reason="seller") == "cancelled"
    assert (await world.store.run(Tx.product, world.kopi.id)).stock == 10


async def test_pending_notification_is_recorded_without_asking_midtrans(world: World) -> None:
    order = await world.order()
    asked = [r for r in world.sandbox.requests if r.path.endswith("/status")]
    answer = await world.post_notification(world.sandbox.notification_for(order.id, "pending"))
    assert answer.status_code == 200
    assert [r for r in world.sandbox.requests if r.path.endswith("/status")] == asked
    assert (await world.get(order.id)).status == OrderStatus.AWAITING_PAYMENT
    assert [
        (source, verified, applied)
        for source, verified, applied, _ in await events(world, order.id)
    ] == [("notification", True, False)]
