"""Push builders: what each message says, escaping, buttons, dedupe keys and the length cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.messages import pushes
from bot.rules.orders import OrderStatus
from devtools.telegram import parse_entities
from storage import Order, OrderItem

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def order(**changes: Any) -> Order:
    items = changes.pop(
        "items", (OrderItem(1, "Kopi susu", 18_000, 2), OrderItem(2, "Roti", 15_000, 1))
    )
    fee = changes.pop("delivery_fee", 0)
    subtotal = sum(i.total for i in items)
    base: dict[str, Any] = dict(
        id="WB-261125-7KQ2ZD",
        customer_id=1001,
        chat_id=1001,
        status="awaiting_payment",
        subtotal=subtotal,
        delivery_fee=fee,
        gross_amount=subtotal + fee,
        fulfilment="pickup",
        address=None,
        latitude=None,
        longitude=None,
        note=None,
        customer_name="Budi",
        customer_phone="+6281234567890",
        customer_email="",
        language="id",
        expires_at=NOW + timedelta(hours=24),
        created_at=NOW,
        updated_at=NOW,
        paid_at=None,
        seller_notified_at=None,
        fulfilled_at=None,
        last_checked_at=None,
        items=items,
    )
    base.update(changes)
    return Order(**base)


def plain(push: pushes.Push) -> str:
    """The text as the user reads it; raises if Telegram could not parse the HTML."""
    text, _ = parse_entities(push.params["text"], push.params["parse_mode"])
    return text


def test_paid_push_summarises_the_order() -> None:
    push = pushes.customer_paid(
        order(delivery_fee=5_000, fulfilment="delivery", address="Jl. Mawar 5")
    )
    assert push.chat_id == 1001 and push.method == "sendMessage"
    assert push.dedupe_key == "WB-261125-7KQ2ZD:paid:1001"
    text = plain(push)
    assert "Pembayaran diterima" in text
    assert "• Kopi susu × 2 = Rp36.000" in text
    assert "• Roti × 1 = Rp15.000" in text
    assert "Ongkir: Rp5.000" in text
    assert "Total: Rp56.000" in text
    assert "Diantar ke: Jl. Mawar 5" in text
    assert "reply_markup" not in push.params


def test_pickup_and_english() -> None:
    text = plain(pushes.customer_paid(order(language="en")))
    assert "Payment received" in text and "Pick-up at the shop" in text
    assert "Ongkir" not in text and "Delivery fee" not in text


def test_user_text_is_escaped() -> None:
    evil = order(
        items=(OrderItem(1, "<b>Kopi</b> & susu", 18_000, 1),),
        customer_name="<script>Budi</script>",
        fulfilment="delivery",
        address='Jl. "Mawar" <5> & co',
        note="</code><a href='x'>klik</a>",
    )
    for push in (pushes.customer_paid(evil), pushes.seller_paid(evil, 9000)):
        text = plain(push)  # parses: nothing the customer typed became markup
        assert "<b>Kopi</b> & susu" in text
    seller = plain(pushes.seller_paid(evil, 9000))
    assert "<script>Budi</script>" in seller
    assert 'Jl. "Mawar" <5> & co' in seller
    assert "</code><a href='x'>klik</a>" in seller


def test_expired_and_failed_offer_to_order_again() -> None:
    for build, words in (
        (pushes.customer_expired, "sudah habis"),
        (pushes.customer_failed, "ditolak"),
    ):
        push = build(order())
        assert words in plain(push)
        assert push.params["reply_markup"] == {
            "inline_keyboard": [[{"text": "🔁 Pesan lagi", "callback_data": "ra:WB-261125-7KQ2ZD"}]]
        }
    english = pushes.customer_expired(order(language="en"))
    assert english.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "🔁 Order again"
    refused = pushes.customer_failed(order(), charge_refused=True)
    assert "tidak berhasil dibuat" in plain(refused)


def test_every_status_has_its_own_customer_push() -> None:
    kinds = {}
    for status in OrderStatus:
        push = pushes.customer_push_for(order(), status)
        kinds[status] = push.kind if push else None
        if push is not None:
            assert "WB-261125-7KQ2ZD" in plain(push)
    assert kinds == {
        OrderStatus.AWAITING_PAYMENT: None,
        OrderStatus.PAID: "paid",
        OrderStatus.FULFILLED: None,
        OrderStatus.EXPIRED: "expired",
        OrderStatus.CANCELLED: "cancelled",
        OrderStatus.FAILED: "failed",
        OrderStatus.REVERSED: "reversed",
        OrderStatus.REFUNDED: "refunded",
    }


def test_seller_push_has_contact_fulfilment_and_button() -> None:
    paid = order(
        fulfilment="delivery",
        address="Jl. Mawar 5",
        latitude=-6.2,
        longitude=106.816666,
        note="Pedas",
    )
    push = pushes.seller_paid(paid, 9000)
    assert push.chat_id == 9000 and push.dedupe_key == "WB-261125-7KQ2ZD:seller_paid:9000"
    text = plain(push)
    assert "Pesanan baru lunas" in text
    assert "Budi" in text and "0812-3456-7890" in text
    assert "Antar" in text or "Diantar" in text
    assert "Catatan: Pedas" in text
    assert "lihat peta" in text
    _, entities = parse_entities(push.params["text"], "HTML")
    links = [e["url"] for e in entities if e["type"] == "text_link"]
    assert links == ["https://maps.google.com/?q=-6.200000,106.816666"]
    assert push.params["reply_markup"]["inline_keyboard"][0][0] == {
        "text": "✅ Tandai selesai",
        "callback_data": "af:WB-261125-7KQ2ZD",
    }
    assert "Mark fulfilled" in str(pushes.seller_paid(paid, 9000, lang="en").params)


def test_seller_alerts() -> None:
    reversed_ = pushes.seller_reversed(order(), 9000)
    assert "Jangan serahkan barangnya" in plain(reversed_)
    assert reversed_.dedupe_key == "WB-261125-7KQ2ZD:seller_reversed:9000"
    late = pushes.seller_late_payment(order(), 9000)
    assert "sudah ditutup" in plain(late) and "0812-3456-7890" in plain(late)


def test_payment_code_is_a_special_row_for_checkout_to_render() -> None:
    push = pushes.customer_payment_code(order())
    assert push.method == pushes.SEND_PAYMENT_CODE == "warung.sendPaymentCode"
    assert push.params == {"order_id": "WB-261125-7KQ2ZD"}
    assert push.dedupe_key == "WB-261125-7KQ2ZD:payment_code:1001"


@pytest.mark.parametrize("count", [1, 60, 400])
def test_long_orders_stay_under_telegram_s_limit(count: int) -> None:
    items = tuple(
        OrderItem(i, f"Nasi goreng spesial nomor {i} " + "x" * 60, 10_000, 99) for i in range(count)
    )
    long_order = order(
        items=items,
        fulfilment="delivery",
        address="A" * 2000,
        note="N" * 2000,
        customer_name="B" * 500,
    )
    for push in (pushes.customer_paid(long_order), pushes.seller_paid(long_order, 9000)):
        text = push.params["text"]
        assert len(text.encode("utf-16-le")) // 2 <= 4096
        shown = plain(push)
        assert f"Total: Rp{99 * 10_000 * count:,}".replace(",", ".") in shown
        if count > 20:
            assert "item lainnya" in shown
