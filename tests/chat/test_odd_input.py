"""Odd, hostile and racy chat input (issue 13), end to end over the Telegram stand-in.

Each test drives the real bot the way a customer or a seller would and asserts what they see:
the price they were shown, captions Telegram accepts, the stock after a reversal, fractions,
forged buttons and absurd dates, stale slips, claim guessing and invisible names.
"""

from __future__ import annotations

import dataclasses
import io
import logging
from datetime import UTC, datetime

import pytest
from PIL import Image

from bot.chat.seller.products import clean_name
from devtools.telegram import BotMessage, FakeUser
from storage import Tx
from tests.conftest import ADMIN_ID, Harness


async def _to_summary(h: Harness, user: FakeUser, typed: str) -> BotMessage:
    """Type an order and answer the questions up to the summary with its pay button."""
    await user.ask(typed)
    await user.choose("Masukkan ke keranjang")
    await user.choose("Checkout")
    await user.ask("Budi Santoso")
    user.press("Kirim nomor saya")
    await h.standin.next_reply(user)
    await user.choose("Lewati")  # email
    replies = await user.choose("Lewati")  # note
    summary = replies[-1]
    assert "Ringkasan pesanan" in summary.text
    return summary


# --- 3: the price the customer saw -----------------------------------------------------------


async def test_a_price_change_after_the_summary_shows_the_new_summary_and_charges_nothing(
    harness: Harness,
) -> None:
    h = harness
    kopi = await h.add_product("Kopi susu", 18_000)
    budi = h.customer()
    summary = await _to_summary(h, budi, "1 kopi susu")
    assert "Total: Rp18.000" in summary.text

    admin = h.admin()
    changed = await admin.ask(f"/price {kopi.id} 4900000")
    assert "Rp4.900.000" in changed[-1].text

    replies = await h.pay(budi)
    assert h.sandbox.charge_requests == []
    assert await h.store.run(Tx.orders) == []
    again = replies[-1]
    assert "Harga berubah" in "\n".join(m.text for m in replies)
    assert "Total: Rp4.900.000" in again.text
    assert "✅ Bayar di Indomaret" in again.button_texts

    # Seen now: paying charges exactly the amount of the new summary.
    await h.pay(budi)
    order = await h.only_order()
    assert order.gross_amount == 4_900_000
    assert h.sandbox.charge_requests[-1]["transaction_details"]["gross_amount"] == 4_900_000
    assert h.standin.violations == []


async def test_a_delivery_fee_change_after_the_summary_asks_again(harness: Harness) -> None:
    h = harness
    await h.set_shop(delivery="1", pickup="0", delivery_fee="8000")
    await h.add_product("Kopi susu", 18_000)
    budi = h.customer()
    await budi.ask("1 kopi susu")
    await budi.choose("Masukkan ke keranjang")
    await budi.choose("Checkout")
    await budi.ask("Budi Santoso")
    budi.press("Kirim nomor saya")
    await h.standin.next_reply(budi)
    await budi.choose("Lewati")
    await budi.ask("Jalan Melati 12, Jakarta")
    summary = (await budi.choose("Lewati"))[-1]
    assert "Total: Rp26.000" in summary.text

    await h.set_shop(delivery_fee="25000")
    replies = await h.pay(budi)
    assert h.sandbox.charge_requests == []
    assert "Harga berubah" in "\n".join(m.text for m in replies)
    assert "Total: Rp43.000" in replies[-1].text


# --- 4: captions that break HTML -------------------------------------------------------------


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("lang", ["id", "en"])
async def test_a_long_description_with_ampersands_keeps_the_photo_card_and_its_quantity(
    harness: Harness, lang: str
) -> None:
    h = harness
    product = await h.add_product("Roti bakar", 12_500)
    file_id = h.standin.user(55, first_name="Foto").send_photo(_png())["photo"][-1]["file_id"]
    # Escaped, every "&" becomes "&amp;": cut after escaping, the caption lost its quantity
    # line or broke its <b> tag, and Telegram refused the card.
    description = "&&&&&roti " * 50
    await h.store.run(
        Tx.update_product,
        product.id,
        datetime.now(UTC),
        photo_file_id=file_id,
        description=description[:500],
    )
    budi = h.customer(lang=lang)
    word = "Jumlah" if lang == "id" else "Quantity"
    await budi.ask("/start")
    card = (await budi.choose("Roti bakar"))[-1]
    assert card.kind == "photo"
    assert f"{word}: 1" in card.text
    assert card.text.count("&&&&&roti") == 50  # a 500-character text fits whole
    assert len(card.text) <= 1024
    card = (await budi.choose("+", card))[-1]
    assert f"{word}: 2" in card.text
    seller_card = (await h.admin().ask(f"/product {product.id}"))[-1]
    assert seller_card.kind == "photo" and seller_card.text.count("&&&&&roti") == 50
    assert h.standin.violations == []
    assert h.standin.unanswered_callbacks == []


# --- 5: a reversed, handed-over order ---------------------------------------------------------


async def test_a_reversal_after_hand_over_keeps_the_stock_and_tells_the_seller(
    harness: Harness,
) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000, 5)
    admin = h.admin()
    budi = h.customer()
    order = await h.checkout_typed(budi, "2 kopi susu")
    await h.settle(order.id)
    push = await h.standin.wait_for_message(admin, contains="Pesanan baru lunas")
    await admin.choose("Tandai selesai", push)
    assert (await h.store.run(Tx.order, order.id)).status == "fulfilled"

    await h.sandbox.trigger(order.id, "deny")
    warning = await h.standin.wait_for_message(admin, contains="reversal")
    assert "sudah diserahkan" in warning.text
    assert "Stok tidak dikembalikan" in warning.text
    assert "Stok sudah dikembalikan" not in warning.text
    assert (await h.store.run(Tx.order, order.id)).status == "reversed"
    assert (await h.store.run(Tx.product, order.items[0].product_id)).stock == 3


# --- 6: fractions -------------------------------------------------------------------------------


async def test_fractions_are_refused_with_a_hint(harness: Harness) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000)
    budi = h.customer()
    for typed in ("½ kopi susu", "kopi susu ¼", "⅔ kopi susu", "1/2 kopi susu"):
        replies = await budi.ask(typed)
        text = "\n".join(m.text for m in replies)
        assert "bilangan bulat" in text, (typed, text)
        assert "12×" not in text and "14×" not in text and "23×" not in text
        assert "Masukkan ke keranjang" not in [b for m in replies for b in m.button_texts]


# --- 7: forged and extreme input ------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        "p:99999999999999999999999:1",
        "a:1:99999999999999999999999",
        "cs:99999999999999999999999:1",
        "tp:99999999999999999999999:1",
        "ov:99999999999999999999999",
        "o:99999999999999999999999",
        "m:99999999999999999999999",
    ],
)
async def test_forged_huge_ids_get_a_clear_answer_and_the_spinner_stops(
    harness: Harness, data: str
) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000)
    budi = h.customer()
    await budi.ask("/start")
    query = budi.tap_data(data)
    answer = await h.standin.wait_for_answer(query)
    await h.standin.wait_idle()
    assert "tidak berlaku" in (answer.get("text") or "")
    assert not any("Maaf, ada gangguan" in m.text for m in budi.messages())
    assert h.standin.unanswered_callbacks == []


@pytest.mark.parametrize(
    "data", ["aq:99999999999999999999999", "av:99999999999999999999999", "ap:9999999999999999999"]
)
async def test_forged_huge_ids_on_seller_buttons(harness: Harness, data: str) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000)
    admin = h.admin()
    await admin.ask("/products")
    query = admin.tap_data(data)
    answer = await h.standin.wait_for_answer(query)
    await h.standin.wait_idle()
    assert "tidak berlaku" in (answer.get("text") or "")
    assert not any("Maaf, ada gangguan" in m.text for m in admin.messages())
    assert h.standin.unanswered_callbacks == []


@pytest.mark.parametrize(
    "command",
    [
        "/sales 0001-01-01",
        "/sales 9999-12-31",
        "/sales 0001-01-01 9999-12-31",
        "/export 0001-01-01",
        "/export 9999-12-31",
        "/export 9999-12",
    ],
)
async def test_reports_for_absurd_dates_get_a_clear_reply(harness: Harness, command: str) -> None:
    h = harness
    admin = h.admin()
    replies = await admin.ask(command)
    text = "\n".join(m.text for m in replies)
    assert "Maaf, ada gangguan" not in text
    assert "2000" in text and "2099" in text, text


async def test_a_tap_whose_handler_failed_still_stops_spinning(harness: Harness) -> None:
    """Telegram fails the first answer (a 500): the handler fails, the error handler answers."""
    h = harness
    await h.add_product("Kopi susu", 18_000)
    budi = h.customer()
    await budi.ask("/start")
    h.standin.fail("answerCallbackQuery", 500, times=1)
    query = budi.tap("Keranjang")
    answer = await h.standin.wait_for_answer(query)
    assert "Maaf, ada gangguan" in (answer.get("text") or "")
    await h.standin.wait_idle()
    assert h.standin.unanswered_callbacks == []


# --- 8: a stale slip ------------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["cancel", "expire"])
async def test_the_slip_of_a_closed_order_is_refused_with_order_again(
    harness: Harness, ending: str
) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000, 5)
    budi = h.customer()
    order = await h.checkout_typed(budi, "2 kopi susu")
    code_message = next(m for m in budi.messages() if "Kode pembayaran" in m.text)
    if ending == "cancel":
        await budi.choose("Batalkan pesanan", code_message)
        await budi.choose("Ya, batalkan")
    else:
        await h.sandbox.trigger(order.id, "expire")
        await h.standin.wait_for_message(budi, contains="sudah habis")
    before = len(budi.messages())

    replies = await budi.choose("Slip PNG", code_message)
    assert not any(m.kind == "document" for m in replies)
    stale = replies[-1]
    assert "sudah tidak berlaku" in stale.text
    assert stale.button_texts == ["🔁 Pesan lagi"]
    assert len(budi.messages()) == before + 1
    cart = (await budi.choose("Pesan lagi", stale))[-1]
    assert "2× Kopi susu — Rp36.000" in cart.text

    budi.tap_data(f"or:{order.id}", code_message)  # "resend the code" from an old order view
    replies = await h.standin.next_reply(budi)
    assert "sudah tidak berlaku" in replies[-1].text
    assert not any(order.charge.payment_code in m.text for m in replies)
    assert h.standin.unanswered_callbacks == []


# --- 9: claim guessing ----------------------------------------------------------------------------


async def test_claim_guesses_are_capped_across_all_accounts(
    harness: Harness, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    h.settings = dataclasses.replace(
        h.settings, admin_ids=frozenset(), database_path=tmp_path / "claim.db"
    )
    await h.restart()
    code = h.runtime.claim_code
    assert code is not None and len(code) >= 10
    wrong = "0" * len(code) if code != "0" * len(code) else "1" * len(code)
    caplog.set_level(logging.WARNING, logger="bot")
    for n in range(40):  # 40 accounts, five guesses each
        stranger = h.standin.user(8000 + n, f"Tamu{n}", started=True)
        for _ in range(5):
            stranger.send_text(f"/claim {wrong}")
        await h.standin.wait_idle()
    messages = [record.getMessage() for record in caplog.records]
    capped = [m for m in messages if "claim" in m and "guesses" in m]
    assert len(capped) == 1, messages

    owner = h.standin.user(7001, "Ani", started=True)
    replies = await owner.ask(f"/claim {code}")
    assert "ditutup" in replies[-1].text and "restart" in replies[-1].text
    assert await h.store.run(Tx.admins) == {}

    await h.restart()  # a new start, a new code, a fresh count
    fresh = h.runtime.claim_code
    assert fresh is not None and fresh != code
    replies = await owner.ask(f"/claim {fresh}")
    assert "pemilik" in replies[-1].text
    assert await h.store.run(Tx.admins) == {7001: True}


# --- 11: invisible names ----------------------------------------------------------------------


INVISIBLE = [
    "\u200b\u200b\u200b",
    "\u3164\u3164",
    "\u2800\u2800",
    "\u200d\u2060\ufeff",
    "\u0301\u0301",
]


@pytest.mark.parametrize("name", INVISIBLE)
async def test_an_invisible_customer_name_is_refused(harness: Harness, name: str) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000)
    budi = h.customer()
    await budi.ask("1 kopi susu")
    await budi.choose("Masukkan ke keranjang")
    await budi.choose("Checkout")
    replies = await budi.ask(name)
    assert any("Nama harus" in m.text for m in replies), [m.text for m in replies]
    replies = await budi.ask("Budi")
    assert any("Nomor HP" in m.text for m in replies)


@pytest.mark.parametrize("name", INVISIBLE)
async def test_an_invisible_product_name_is_refused(harness: Harness, name: str) -> None:
    h = harness
    kopi = await h.add_product("Kopi susu", 18_000)
    admin = h.admin()
    replies = await admin.ask(f"/add {name} | 10000")
    assert any("Nama produk harus" in m.text for m in replies), [m.text for m in replies]
    await admin.ask("/add")
    replies = await admin.ask(name)
    assert any("Nama produk harus" in m.text for m in replies), [m.text for m in replies]
    await admin.ask("/batal")
    await admin.ask(f"/product {kopi.id}")
    await admin.choose("Nama")
    replies = await admin.ask(name)
    assert any("Nama produk harus" in m.text for m in replies), [m.text for m in replies]
    names = [p.name for p in await h.store.run(Tx.products, include_hidden=True)]
    assert names == ["Kopi susu"]
    assert ADMIN_ID == admin.id


def test_product_names_need_one_visible_character() -> None:
    assert clean_name("\u200b\u3164") is None
    assert clean_name("7") == "7"
    assert clean_name("Kopi\u200b susu") == "Kopi\u200b susu"
