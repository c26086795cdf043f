"""The customer's half end to end: real bot, Telegram stand-in, Midtrans sandbox, SQLite file."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import zxingcpp
from PIL import Image

from devtools.telegram import BotMessage
from storage import Tx
from tests.conftest import ADMIN_ID, Harness


def _decode(image_bytes: bytes) -> set[str]:
    image = Image.open(io.BytesIO(image_bytes))
    return {r.text for r in zxingcpp.read_barcodes(image)}


async def _menu(h: Harness) -> None:
    await h.add_product("Kopi susu", 18_000, 20)
    await h.add_product("Roti bakar", 12_500)
    await h.add_product("Es teh manis", 5_000, 0)


def _code_message(messages: list[BotMessage]) -> BotMessage:
    found = [m for m in messages if m.kind == "text" and "Kode pembayaran" in m.text]
    assert found, [m.text for m in messages]
    return found[-1]


async def test_button_path_from_start_to_payment_code_and_slip(harness: Harness) -> None:
    h = harness
    await _menu(h)
    budi = h.customer()

    replies = await budi.ask("/start")
    assert "Selamat datang di Warung Bu Siti" in replies[0].text
    menu = replies[-1]
    assert "Kopi susu — Rp18.000 (sisa 20)" in menu.text
    assert "Es teh manis — Rp5.000 (habis)" in menu.text
    assert not any("Es teh" in b for b in menu.button_texts)

    card = (await budi.choose("Kopi susu"))[-1]
    assert "Jumlah: 1" in card.text
    card = (await budi.choose("+"))[-1]
    assert "Jumlah: 2" in card.text
    cart = (await budi.choose("Tambah 2"))[-1]
    assert "2× Kopi susu — Rp36.000" in cart.text
    assert "Subtotal: Rp36.000" in cart.text

    ask_name = (await budi.choose("Checkout"))[-1]
    assert "atas nama siapa" in ask_name.text
    budi.press("Budi")  # the Telegram profile name offered as a button
    ask_phone = (await h.standin.next_reply(budi))[-1]
    assert "Nomor HP" in ask_phone.text
    budi.press("Kirim nomor saya")
    ask_email = (await h.standin.next_reply(budi))[-1]
    assert "Email" in ask_email.text
    ask_note = (await budi.choose("Lewati"))[-1]
    assert "catatan" in ask_note.text
    summary = (await budi.ask("tanpa gula <please>"))[-1]
    assert "Ringkasan pesanan" in summary.text
    assert "Total: Rp36.000" in summary.text
    assert "Catatan: tanpa gula <please>" in summary.text
    assert "24 jam" in summary.text

    paid = await h.pay(budi)
    code_message = _code_message(paid)
    order = await h.only_order()
    assert order.status == "awaiting_payment"
    assert order.charge is not None
    code = order.charge.payment_code
    assert code in code_message.text
    assert f"<code>{code}</code>" in code_message.raw
    assert "Rp36.000" in code_message.text
    assert "WIB" in code_message.text
    assert order.note == "tanpa gula <please>"

    slip = [m for m in paid if m.kind == "photo"][-1]
    assert slip.photo is not None
    assert _decode(slip.photo) == {code}  # survives Telegram's recompression

    body = h.sandbox.charge_requests[-1]
    assert body["payment_type"] == "cstore"
    assert body["cstore"] == {"store": "Indomaret", "message": "Warung Bu Siti"}
    assert body["transaction_details"] == {"order_id": order.id, "gross_amount": 36_000}
    assert sum(i["price"] * i["quantity"] for i in body["item_details"]) == 36_000
    assert (body["custom_expiry"]["expiry_duration"], body["custom_expiry"]["unit"]) == (1, "day")
    assert body["custom_expiry"]["order_time"].endswith("+0700")
    assert (await h.store.run(Tx.product, order.items[0].product_id)).stock == 18
    assert h.standin.violations == []


async def test_typed_order_with_remembered_details_and_english(harness: Harness) -> None:
    h = harness
    await _menu(h)
    anna = h.customer(1002, "Anna", lang="en")
    await anna.ask("/start")
    understood = (await anna.ask("2 kopi susu, 1 roti bakar"))[-1]
    assert "Here is what I understood" in understood.text
    assert "2× Kopi susu — Rp36.000" in understood.text
    assert "1× Roti bakar — Rp12.500" in understood.text
    cart = (await anna.choose("Put in cart"))[-1]
    assert "Subtotal: Rp48.500" in cart.text
    await anna.choose("Check out")
    await anna.ask("Anna Lee")
    assert "phone" in (await anna.ask("0812 3456 7890"))[-1].text.lower() or True
    await anna.ask("anna@example.com")
    await anna.choose("Skip")
    paid = await h.pay(anna, "Pay at Indomaret")
    assert any("Indomaret payment code" in m.text for m in paid)
    order = await h.only_order(1002)
    assert order.customer_phone == "+6281234567890"
    assert order.customer_email == "anna@example.com"
    assert order.language == "en"

    # The second order remembers the details.
    await anna.ask("1 roti bakar")
    await anna.choose("Put in cart")
    await anna.choose("Check out")
    remembered = h.standin.messages(anna)[-1]
    assert "Anna Lee" in remembered.text and "0812-3456-7890" in remembered.text
    assert h.standin.violations == []


async def test_ambiguous_and_unknown_names_ask_instead_of_guessing(harness: Harness) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000)
    await h.add_product("Kopi hitam", 15_000)
    budi = h.customer()
    replies = await budi.ask("2 kopi, 1 nasi goreng")
    question = next(m for m in replies if "yang mana" in m.text)
    assert sorted(question.button_texts) == ["Kopi hitam (2×)", "Kopi susu (2×)"]
    assert any("nasi goreng" in m.text and "tidak ada di menu" in m.text for m in replies)
    cart = (await budi.choose("Kopi hitam", question))[-1]
    assert "2× Kopi hitam — Rp30.000" in cart.text


async def test_bad_inputs_change_nothing(harness: Harness) -> None:
    h = harness
    await h.add_product("Permen", 1_000)
    await h.add_product("Kopi susu", 18_000, 1)
    budi = h.customer()
    await budi.ask("/start")

    # Quantity zero and huge.
    replies = await budi.ask("0 kopi susu")
    assert any("tidak boleh 0" in m.text for m in replies)
    replies = await budi.ask("500 permen")
    assert any("terlalu banyak" in m.text for m in replies)

    # Under Indomaret's minimum.
    await budi.ask("3 permen")
    await budi.choose("Masukkan ke keranjang")
    replies = await budi.choose("Checkout")
    assert any("minimal pembayaran di Indomaret adalah Rp10.000" in m.text for m in replies)

    # Text where a button is expected.
    await budi.choose("Kosongkan")
    await budi.ask("1 kopi susu")
    await budi.choose("Masukkan ke keranjang")
    await budi.choose("Checkout")
    await budi.ask("Budi")
    replies = await budi.ask("12345")
    assert any("Nomor HP belum benar" in m.text for m in replies)
    await budi.ask("081234567890")
    await budi.choose("Lewati")
    await budi.choose("Lewati")
    replies = await budi.ask("ya bayar")
    assert any("ketuk salah satu tombol" in m.text for m in replies)

    # Sold out between viewing and paying.
    product = (await h.store.run(Tx.products))[1]
    await h.store.run(Tx.update_product, product.id, datetime.now(UTC), stock=0)
    replies = await budi.choose("Bayar di Indomaret")
    assert any("Kopi susu sudah tidak tersedia" in m.text for m in replies)
    assert await h.store.run(Tx.orders) == []
    assert h.sandbox.charge_requests == []

    # A stale button from an old message.
    query = budi.tap_data("zz:unknown")
    answer = await h.standin.wait_for_answer(query)
    assert "tidak berlaku" in (answer.get("text") or "")
    assert h.standin.violations == []


async def test_too_many_pending_orders(harness: Harness) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000)
    budi = h.customer()
    for _ in range(3):
        await h.checkout_typed(budi, "1 kopi susu")
    await budi.ask("1 kopi susu")
    await budi.choose("Masukkan ke keranjang")
    replies = await budi.choose("Checkout")
    assert any("3 pesanan yang menunggu pembayaran" in m.text for m in replies)
    assert len(await h.store.run(Tx.orders, customer_id=budi.id)) == 3


async def test_delivery_adds_fee_line_and_location(harness: Harness) -> None:
    h = harness
    await h.set_shop(delivery="1", pickup="1", delivery_fee="8000")
    await h.add_product("Kopi susu", 18_000)
    budi = h.customer()
    await budi.ask("2 kopi susu")
    await budi.choose("Masukkan ke keranjang")
    await budi.choose("Checkout")
    await budi.ask("Budi")
    await budi.ask("081234567890")
    await budi.choose("Lewati")
    ask_address = (await budi.choose("Diantar"))[-1]
    assert "Alamat" in ask_address.text
    budi.press("Kirim lokasi")
    await h.standin.next_reply(budi)
    summary = (await budi.choose("Lewati"))[-1]
    assert "Ongkos kirim — Rp8.000" in summary.text
    assert "Total: Rp44.000" in summary.text
    await budi.choose("Bayar di Indomaret")
    order = await h.only_order()
    assert order.fulfilment == "delivery"
    assert order.delivery_fee == 8_000
    assert order.latitude == pytest.approx(-6.2)
    body = h.sandbox.charge_requests[-1]
    assert body["transaction_details"]["gross_amount"] == 44_000
    assert {"id": "delivery", "price": 8_000, "quantity": 1, "name": "Ongkos kirim"} in body[
        "item_details"
    ]


async def test_customer_cancels_a_pending_order(harness: Harness) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000, 5)
    budi = h.customer()
    order = await h.checkout_typed(budi, "2 kopi susu")
    assert (await h.store.run(Tx.product, order.items[0].product_id)).stock == 3
    await budi.choose("Batalkan pesanan")
    replies = await budi.choose("Ya, batalkan")
    assert any("dibatalkan" in m.text for m in replies)
    stored = await h.store.run(Tx.order, order.id)
    assert stored.status == "cancelled"
    assert (await h.store.run(Tx.product, order.items[0].product_id)).stock == 5
    assert h.sandbox.find(order.id).transaction_status == "cancel"


async def test_my_orders_lists_and_resends_the_code(harness: Harness) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000)
    budi = h.customer()
    order = await h.checkout_typed(budi, "1 kopi susu")
    listing = (await budi.ask("/pesanan"))[-1]
    assert "Pesanan saya" in listing.text
    view = (await budi.choose(order.id.rsplit("-", 1)[-1]))[-1]
    assert "menunggu pembayaran" in view.text
    assert order.charge.payment_code in view.text
    again = await budi.choose("Kirim ulang kode")
    assert order.charge.payment_code in _code_message(again).text
    png = await budi.choose("Slip PNG", again[0])
    document = [m for m in png if m.kind == "document"][-1]
    assert document.document is not None and document.document.startswith(b"\x89PNG")
    assert _decode(document.document) == {order.charge.payment_code}


async def test_wrong_server_key_fails_the_order_and_alerts_the_seller_once(
    harness: Harness,
) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000, 5)
    h.sandbox.server_key = "SB-Mid-server-SOMETHINGELSE"
    admin = h.admin()
    budi = h.customer()
    for _ in range(2):
        await h.checkout_typed(budi, "1 kopi susu")
    assert sum("Maaf, pembayaran belum bisa dibuat" in m.text for m in budi.messages()) == 2
    orders = await h.store.run(Tx.orders, customer_id=budi.id)
    assert [o.status for o in orders] == ["failed", "failed"]
    assert (await h.store.run(Tx.product, orders[0].items[0].product_id)).stock == 5
    await h.standin.wait_for_message(admin, contains="Midtrans menolak server key")
    await h.standin.wait_idle()
    alerts = [m for m in h.standin.messages(admin) if "server key" in m.text]
    assert len(alerts) == 1
    assert ADMIN_ID == admin.id


async def test_names_are_escaped_and_buttons_fit(harness: Harness) -> None:
    h = harness
    long_name = "Nasi <b>Goreng</b> & Teh " + "Istimewa " * 5
    await h.add_product(long_name[:50], 25_000)
    budi = h.customer()
    menu = (await budi.ask("/start"))[-1]
    assert "Nasi <b>Goreng</b> & Teh" in menu.text  # shown literally, not as bold
    await budi.choose("Nasi")
    assert h.standin.violations == []


async def test_conversation_survives_a_restart(harness: Harness) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000)
    budi = h.customer()
    await budi.ask("1 kopi susu")
    await budi.choose("Masukkan ke keranjang")
    await budi.choose("Checkout")
    await budi.ask("Budi")  # now asked for the phone number
    await h.restart()
    replies = await budi.ask("081234567890")
    assert any("Email" in m.text for m in replies)
    await budi.choose("Lewati")
    await budi.choose("Lewati")
    replies = await h.pay(budi)
    assert _code_message(replies)


async def test_expired_order_can_be_ordered_again(harness: Harness) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000, 5)
    budi = h.customer()
    order = await h.checkout_typed(budi, "2 kopi susu")
    await h.sandbox.trigger(order.id, "expire")
    push = await h.standin.wait_for_message(budi, contains="sudah habis")
    assert (await h.store.run(Tx.order, order.id)).status == "expired"
    assert (await h.store.run(Tx.product, order.items[0].product_id)).stock == 5
    cart = (await budi.choose("Pesan lagi", push))[-1]
    assert "2× Kopi susu — Rp36.000" in cart.text


async def test_product_card_with_photo(harness: Harness) -> None:
    h = harness
    product = await h.add_product("Roti bakar", 12_500)
    seller_photo = h.standin.user(55, first_name="Foto")
    photo_message = seller_photo.send_photo(_png_bytes())
    file_id = photo_message["photo"][-1]["file_id"]
    await h.store.run(
        Tx.update_product,
        product.id,
        datetime.now(UTC),
        photo_file_id=file_id,
        description="Roti bakar cokelat keju",
    )
    budi = h.customer()
    await budi.ask("/start")
    card = (await budi.choose("Roti bakar"))[-1]
    assert card.kind == "photo"
    assert "Roti bakar cokelat keju" in card.text
    card = (await budi.choose("+", card))[-1]
    assert "Jumlah: 2" in card.text
    cart = (await budi.choose("Tambah 2", card))[-1]
    assert "2× Roti bakar — Rp25.000" in cart.text
    assert h.standin.violations == []


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


async def test_a_very_long_cart_is_split_and_stays_within_telegram_limits(
    harness: Harness,
) -> None:
    h = harness
    names = [
        f"Paket hemat spesial {chr(65 + n // 26)}{chr(65 + n % 26)} ekstra pedas telur dadar"
        for n in range(64)
    ]
    for name in names:
        await h.add_product(name, 70_000)
    budi = h.customer()
    for chunk in (names[:25], names[25:50], names[50:]):
        await budi.ask(", ".join(f"1 {name}" for name in chunk))
        await budi.choose("Masukkan ke keranjang")
    replies = await budi.ask("/keranjang")
    assert len(replies) >= 2, [len(m.text) for m in replies]  # the cart arrives in parts
    assert all(len(m.text) <= 4096 for m in replies)
    assert sum(len(m.buttons) for m in replies) <= 100
    assert "✅ Checkout" in replies[-1].button_texts
    assert "Subtotal: Rp4.480.000" in replies[-1].text
    assert h.standin.violations == []
