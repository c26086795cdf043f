"""The seller's half end to end: real bot, Telegram stand-in, Midtrans sandbox, SQLite file.

Sellers run the shop from the chat: claim, catalogue, shop settings, orders and reports. Anyone
else must find none of it: no reply, no data, no change.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
from datetime import timedelta

from PIL import Image

from bot.shop.checkout import CheckoutOutcome, place_order
from devtools.telegram import FakeUser
from storage import Order, Tx
from tests.conftest import ADMIN_ID, Harness
from tests.support.checkout import draft_as_seen
from tests.support.waiting import wait_until

PHOTO = Image.new("RGB", (64, 48), (200, 120, 40))


def _photo_bytes() -> bytes:
    out = io.BytesIO()
    PHOTO.save(out, format="PNG")
    return out.getvalue()


async def _place(h: Harness, customer: FakeUser, cart: dict[int, int], **kw: str) -> Order:
    """An order through the real checkout (charge at the sandbox), as the customer flow does."""
    svc = h.runtime.services
    assert svc is not None
    draft = await draft_as_seen(
        svc, customer.id, cart, name=kw.get("name", "Budi Santoso"), note=kw.get("note")
    )
    result = await place_order(svc, draft)
    assert result.outcome is CheckoutOutcome.PLACED, result
    assert result.order is not None
    return result.order


async def _status(h: Harness, order_id: str, wanted: str) -> Order:
    for _ in range(200):
        order = await h.store.run(Tx.order, order_id)
        assert order is not None
        if order.status == wanted:
            return order
        await asyncio.sleep(0.02)
    raise AssertionError(f"{order_id} is {order.status}, not {wanted}")


async def _paid(h: Harness, order: Order) -> Order:
    await h.settle(order.id)
    return await _status(h, order.id, "paid")


async def _seller_told_of_payments(h: Harness) -> None:
    """Wait until the seller's "paid" notices (sent once the reversal window has passed) are out."""

    async def told() -> bool:
        orders = await h.store.run(Tx.orders, limit=1000)
        counts = await h.store.run(Tx.outbox_counts)
        paid = [o for o in orders if o.status == "paid"]
        return all(o.seller_notified_at for o in paid) and counts["pending"] == 0

    await wait_until(told, within=15, what="the seller's paid notices sent")


async def _snapshot(h: Harness) -> tuple[object, ...]:
    def work(tx: Tx) -> tuple[object, ...]:
        return (
            tx.products(include_hidden=True),
            tx.shop_settings(),
            tx.admins(),
            [(o.id, o.status) for o in tx.orders(limit=1000)],
            tx.outbox_counts(),
        )

    return await h.store.run(work)


# --- who is an admin ---------------------------------------------------------------------


async def test_claim_makes_the_first_owner_and_only_once(harness: Harness, tmp_path) -> None:
    h = harness
    h.settings = dataclasses.replace(
        h.settings, admin_ids=frozenset(), database_path=tmp_path / "claim.db"
    )
    await h.restart()
    code = h.runtime.claim_code
    assert code and len(code) == 10
    assert h.standin.commands() and not any(c["command"] == "add" for c in h.standin.commands())

    owner = h.standin.user(7001, "Ani", started=True)
    wrong = "0" * 10 if code != "0" * 10 else "1" * 10
    owner.send_text(f"/claim {wrong}")
    owner.send_text("/claim")
    owner.send_text("/products")
    await h.standin.wait_idle()
    assert owner.messages() == []  # like an unknown command: silence
    assert await h.store.run(Tx.admins) == {}

    replies = await owner.ask(f"/claim {code}")
    assert "pemilik" in replies[-1].text
    assert await h.store.run(Tx.admins) == {7001: True}
    scope = {"type": "chat", "chat_id": 7001}
    admin_menu = [c["command"] for c in h.standin.commands(scope)]
    assert {"start", "pesanan", "add", "products", "orders", "sales", "export"} <= set(admin_menu)
    assert "add" in [c["command"] for c in h.standin.commands(scope, "en")]

    thief = h.standin.user(7002, "Eko", started=True)
    thief.send_text(f"/claim {code}")
    await h.standin.wait_idle()
    assert thief.messages() == []
    assert await h.store.run(Tx.admins) == {7001: True}

    assert "Belum ada produk" in (await owner.ask("/products"))[-1].text
    assert "7002 sekarang admin" in (await owner.ask("/addadmin 7002"))[-1].text
    assert await h.store.run(Tx.admins) == {7001: True, 7002: False}
    assert any(c["command"] == "add" for c in h.standin.commands({"type": "chat", "chat_id": 7002}))
    assert "Hanya pemilik" in (await thief.ask("/addadmin 7003"))[-1].text
    assert "Hanya pemilik" in (await thief.ask("/removeadmin 7001"))[-1].text
    assert "sudah admin" in (await owner.ask("/addadmin 7002"))[-1].text
    assert "7002 bukan admin lagi" in (await owner.ask("/removeadmin 7002"))[-1].text
    assert await h.store.run(Tx.admins) == {7001: True}
    assert h.standin.commands({"type": "chat", "chat_id": 7002}) == []
    assert "tidak bisa dihapus" in (await owner.ask("/removeadmin 7001"))[-1].text
    assert h.standin.violations == []


async def test_admin_commands_do_not_exist_for_customers(harness: Harness) -> None:
    h = harness
    product = await h.add_product("Kopi susu", 18_000, 20)
    budi = h.standin.user(1001, "Budi", started=True)
    order = await _place(h, budi, {product.id: 1})
    before = await _snapshot(h)

    for command in [
        "/admin",
        "/add",
        "/add Roti | 1000 | 5",
        "/products",
        "/product 1",
        "/price 1 5000",
        "/stock 1 0",
        "/sales today",
        "/sales 30d",
        "/export",
        "/shop",
        "/setname Toko Palsu",
        "/setwelcome hai",
        "/setexpiry 2h",
        "/setdelivery on 5000",
        "/setpickup off",
        "/open",
        "/close besok",
        "/addadmin 1001",
        "/removeadmin 9000",
        "/admins",
        "/claim 123456",
        "/batal",
    ]:
        budi.send_text(command)
    await h.standin.wait_idle()
    said = [m.text for m in budi.messages()]
    assert all("Produk" not in text and "Pengaturan" not in text for text in said), said
    assert not [m for m in budi.messages() if m.kind in ("photo", "document")]
    assert len(said) <= 1, h.standin.transcript(budi)  # /batal: the customer answer at most

    # Forged seller buttons: treated as stale customer buttons, nothing changes.
    await budi.ask("/start")
    for data in [
        "ap:0",
        f"aq:{product.id}",
        f"ae:{product.id}:p",
        f"ah:{product.id}",
        f"az:{product.id}",
        "ao:a:0",
        f"av:{order.id}",
        f"ay:{order.id}",
        f"af:{order.id}",
        "as:open",
    ]:
        query = budi.tap_data(data)
        answer = await h.standin.wait_for_answer(query)
        assert order.id not in str(answer) and "Kopi" not in str(answer)
    await h.standin.wait_idle()
    assert not any(order.id in m.text for m in budi.messages())
    assert await _snapshot(h) == before
    assert h.sandbox.find(order.id).transaction_status == "pending"
    assert h.standin.commands() and not any(c["command"] == "add" for c in h.standin.commands())
    assert h.standin.commands({"type": "chat", "chat_id": ADMIN_ID})  # the configured admin
    assert h.standin.violations == []


# --- catalogue -----------------------------------------------------------------------------


async def test_one_line_add_and_bad_input(harness: Harness) -> None:
    h = harness
    siti = h.admin()
    card = (await siti.ask("/add Kopi susu | 18.000 | 20"))[-1]
    assert "Produk ditambahkan" in card.text and "#1 Kopi susu" in card.text
    assert "Rp18.000" in card.text and "Stok: 20" in card.text
    card = (await siti.ask("/add Roti bakar | 12rb"))[-1]
    assert "tak terbatas" in card.text
    card = (await siti.ask("/add Es <teh> | 5000 | 3 | dingin & manis"))[-1]
    assert "Es <teh>" in card.text and "dingin & manis" in card.text
    products = await h.store.run(Tx.products, include_hidden=True)
    assert [(p.name, p.price, p.stock) for p in products] == [
        ("Kopi susu", 18_000, 20),
        ("Roti bakar", 12_000, None),
        ("Es <teh>", 5_000, 3),
    ]
    assert products[2].description == "dingin & manis"

    for bad, expect in [
        ("/add Teh | abc | 5", "Harga “abc”"),
        ("/add Teh | -5", "Harga “-5”"),
        ("/add Teh | 0", "Harga “0”"),
        ("/add Teh | 5000001", "Harga"),
        ("/add " + "x" * 51 + " | 5000", "1–50 karakter"),
        ("/add Teh | 5000 | banyak", "Stok “banyak”"),
        ("/add Teh", None),  # starts the guided flow with the name
    ]:
        reply = (await siti.ask(bad))[-1]
        if expect:
            assert expect in reply.text, (bad, reply.text)
    assert "Harga <b>Teh</b>" in siti.last_message.raw or "Harga Teh" in siti.last_message.text
    assert "dibatalkan" in (await siti.ask("/batal"))[-1].text
    assert len(await h.store.run(Tx.products, include_hidden=True)) == 3

    dup = (await siti.ask("/add kopi SUSU | 20000"))[-1]
    assert "Sudah ada produk bernama Kopi susu (#1)" in dup.text
    assert "Produk #999 tidak ada" in (await siti.ask("/product 999"))[-1].text
    assert "Produk #999 tidak ada" in (await siti.ask("/price 999 1000"))[-1].text
    assert "Rp20.000" in (await siti.ask("/price 1 20rb"))[-1].text
    assert "Stok: 0 (habis)" in (await siti.ask("/stock 1 habis"))[-1].text
    assert (await h.store.run(Tx.product, 1)).stock == 0
    assert h.standin.violations == []


async def test_guided_add_with_photo_and_description(harness: Harness) -> None:
    h = harness
    siti = h.admin()
    assert "Nama produknya" in (await siti.ask("/add"))[-1].text
    siti.send_photo(_photo_bytes())
    assert "sebagai teks" in (await h.standin.next_reply(siti))[-1].text
    assert "Harga <b>Nasi uduk</b>" in (await siti.ask("Nasi uduk"))[-1].raw
    assert "Harga “abc”" in (await siti.ask("abc"))[-1].text
    assert "Harga “-5”" in (await siti.ask("-5"))[-1].text
    assert "Stoknya" in (await siti.ask("15rb"))[-1].text
    assert "foto" in (await siti.choose("Tak terbatas"))[-1].text.lower()

    siti.send_document(b"%PDF-1.4 not a photo", "menu.pdf", "application/pdf")
    refused = (await h.standin.next_reply(siti))[-1]
    assert "sebagai file" in refused.text
    assert "Kirim foto" in (await siti.ask("ini fotonya"))[-1].text
    siti.send_photo(_photo_bytes())
    assert "Keterangan" in (await h.standin.next_reply(siti))[-1].text
    card = (await siti.ask("Nasi uduk komplit"))[-1]
    assert card.kind == "photo" and "Produk ditambahkan" in card.text
    product = (await h.store.run(Tx.products))[-1]
    assert (product.name, product.price, product.stock) == ("Nasi uduk", 15_000, None)
    assert product.description == "Nasi uduk komplit" and product.photo_file_id

    # After the flow, plain text is a customer's typed order again, not a product name.
    await siti.ask("2 nasi uduk")
    assert len(await h.store.run(Tx.products)) == 1
    assert h.standin.violations == []


async def test_product_buttons_edit_hide_and_delete(harness: Harness) -> None:
    h = harness
    await h.add_product("Kopi susu", 18_000, 20)
    await h.add_product("Roti bakar", 12_500)
    siti = h.admin()
    listing = (await siti.ask("/products"))[-1]
    assert "#1 Kopi susu — Rp18.000 · stok 20" in listing.text
    assert "#2 Roti bakar — Rp12.500 · stok tak terbatas" in listing.text
    card = (await siti.choose("#1 Kopi susu"))[-1]
    assert "Tampil di menu: ya" in card.text

    await siti.choose("Harga")
    assert "Harga “0”" in (await siti.ask("0"))[-1].text
    assert "Rp20.000" in (await siti.ask("20rb"))[-1].text
    await siti.choose("Stok")
    assert "Stok: 15" in (await siti.ask("15"))[-1].text
    await siti.choose("Nama")
    assert "1–50 karakter" in (await siti.ask("y" * 60))[-1].text
    assert "#1 Kopi susu gula aren" in (await siti.ask("Kopi susu gula aren"))[-1].text
    await siti.choose("Foto")
    assert "foto" in (await siti.ask("bukan foto"))[-1].text.lower()
    siti.send_photo(_photo_bytes())
    photo_card = (await h.standin.next_reply(siti))[-1]
    assert photo_card.kind == "photo"
    product = await h.store.run(Tx.product, 1)
    assert (product.name, product.price, product.stock) == ("Kopi susu gula aren", 20_000, 15)
    assert product.photo_file_id

    hidden = (await siti.choose("Sembunyikan", photo_card))[-1]
    assert "Tampil di menu: tidak" in hidden.text
    budi = h.standin.user(1001, "Budi", started=True)
    menu = (await budi.ask("/start"))[-1]
    assert "Kopi susu" not in menu.text and "Roti bakar" in menu.text
    await siti.choose("Tampilkan", hidden)
    assert "Kopi susu gula aren" in (await budi.ask("/start"))[-1].text

    await siti.ask("/products")
    await siti.choose("#2 Roti bakar")
    sure = (await siti.choose("Hapus"))[-1]
    assert "Hapus <b>Roti bakar</b>" in sure.raw
    assert "dihapus" in (await siti.choose("Ya, hapus"))[-1].text
    assert [p.id for p in await h.store.run(Tx.products, include_hidden=True)] == [1]
    query = siti.tap_data("aq:2")
    assert "Produk #2 tidak ada" in (await h.standin.wait_for_answer(query))["text"]
    assert h.standin.unanswered_callbacks == []
    assert h.standin.violations == []


# --- shop ----------------------------------------------------------------------------------


async def test_shop_settings(harness: Harness) -> None:
    h = harness
    siti = h.admin()
    card = (await siti.ask("/shop"))[-1]
    assert "Nama: Warung Bu Siti" in card.text and "Batas waktu bayar: " in card.text
    assert "Warung Baru" in (await siti.ask("/setname Warung Baru"))[-1].text
    assert "Batas waktu bayar: 2 jam" in (await siti.ask("/setexpiry 2h"))[-1].text
    assert "20 detik" in (await siti.ask("/setexpiry 5s"))[-1].text
    assert "20 detik" in (await siti.ask("/setexpiry 200d"))[-1].text
    assert "Rp10.000" in (await siti.ask("/setdelivery on 10rb"))[-1].text
    assert "tidak bisa dipakai" in (await siti.ask("/setdelivery on abc"))[-1].text
    assert "Ambil sendiri: nonaktif" in (await siti.ask("/setpickup off"))[-1].text
    assert "Minimal satu" in (await siti.ask("/setdelivery off"))[-1].text
    await siti.ask("/setwelcome Selamat datang <b>!</b>")
    closed = (await siti.ask("/close Buka lagi besok jam 7"))[-1]
    assert "tutup" in closed.text
    shop = await h.runtime.services.shop()
    assert (shop.name, shop.payment_expiry, shop.delivery_fee) == (
        "Warung Baru",
        timedelta(hours=2),
        10_000,
    )
    assert (shop.pickup, shop.delivery, shop.is_open) == (False, True, False)
    assert shop.welcome == "Selamat datang <b>!</b>"
    budi = h.standin.user(1001, "Budi", started=True)
    assert "Buka lagi besok jam 7" in (await budi.ask("/start"))[-1].text
    opened = (await siti.choose("Buka toko", closed))[-1]
    assert "Status: 🟢 buka" in opened.text
    assert (await h.runtime.services.shop()).is_open
    assert h.standin.violations == []


# --- orders --------------------------------------------------------------------------------


async def test_orders_list_filters_view_fulfil_cancel(harness: Harness) -> None:
    h = harness
    kopi = await h.add_product("Kopi susu", 18_000, 20)
    roti = await h.add_product("Roti bakar", 12_500)
    budi = h.standin.user(1001, "Budi", started=True)
    ani = h.standin.user(1002, "Ani", started=True)
    paid = await _paid(h, await _place(h, budi, {kopi.id: 2}, note="tanpa <gula>"))
    pending = await _place(h, ani, {roti.id: 1, kopi.id: 1}, name="Ani")
    siti = h.admin()

    listing = (await siti.ask("/orders"))[-1]
    assert "Pesanan · Semua" in listing.text and "(2)" in listing.text
    assert any(paid.id[-6:] in b and "lunas" in b for b in listing.button_texts)
    only_paid = (await siti.choose("Lunas"))[-1]
    assert "(1)" in only_paid.text and not any(pending.id[-6:] in b for b in only_paid.button_texts)
    waiting = (await siti.choose("Menunggu bayar"))[-1]
    assert any(pending.id[-6:] in b for b in waiting.button_texts)
    assert "(0)" in (await siti.choose("Kedaluwarsa"))[-1].text

    await siti.choose("Semua")
    view = (await siti.choose(paid.id[-6:]))[-1]
    for part in [
        "Status: lunas",
        "2× Kopi susu — Rp36.000",
        "Total: Rp36.000",
        "Budi Santoso",
        "0812-3456-7890",
        "tanpa <gula>",
        "Riwayat",
        "Kode bayar Indomaret",
    ]:
        assert part in view.text, part
    assert paid.charge is not None and paid.charge.payment_code in view.text
    assert "settlement" in view.text  # what Midtrans said

    # Cancel a paid order: refused, nothing changes.
    query = siti.tap_data(f"ax:{paid.id}", view)
    assert "sudah dibayar" in (await h.standin.wait_for_answer(query))["text"]
    assert (await h.store.run(Tx.order, paid.id)).status == "paid"

    # Fulfil from the view, past the reversal window (inside it, see test_reversal_window):
    # the customer is told.
    h.clock.advance(5)
    done = (await siti.choose("Tandai selesai", view))[-1]
    assert "ditandai selesai" in done.text and "Status: selesai" in done.text
    told = await h.standin.wait_for_message(budi, contains="sudah siap")
    assert paid.id in told.text
    assert (await h.store.run(Tx.order, paid.id)).fulfilled_at is not None

    # Cancel the pending order: Midtrans cancels, the customer hears, stock comes back.
    await siti.choose("Pesanan")
    await siti.choose(pending.id[-6:])
    await siti.choose("Batalkan pesanan")
    cancelled = (await siti.choose("Ya, batalkan"))[-1]
    assert "dibatalkan" in cancelled.text
    assert h.sandbox.find(pending.id).transaction_status == "cancel"
    await _status(h, pending.id, "cancelled")
    await h.standin.wait_for_message(ani, contains="dibatalkan")
    assert (await h.store.run(Tx.product, kopi.id)).stock == 18  # two sold, one released

    # Re-check with Midtrans goes through the same state machine.
    third = await _place(h, ani, {kopi.id: 1}, name="Ani")
    await h.settle(third.id, notify=False)
    await siti.ask("/orders")
    await siti.choose(third.id[-6:])
    rechecked = (await siti.choose("Cek status"))[-1]
    assert "Dicek ke Midtrans: status lunas" in rechecked.text
    assert (await h.store.run(Tx.order, third.id)).status == "paid"
    assert h.standin.unanswered_callbacks == []
    assert h.standin.violations == []


async def test_fulfil_from_the_paid_push(harness: Harness) -> None:
    h = harness
    kopi = await h.add_product("Kopi susu", 18_000)
    budi = h.standin.user(1001, "Budi", started=True)
    siti = h.admin()
    order = await _paid(h, await _place(h, budi, {kopi.id: 1}))
    payments = h.runtime.services.payments
    await payments.confirm_sales(h.runtime.clock() + timedelta(seconds=5))
    push = await h.standin.wait_for_message(siti, contains="Pesanan baru lunas")
    edited = (await siti.choose("Tandai selesai", push))[-1]
    assert edited.message_id == push.message_id
    assert "Pesanan baru lunas" in edited.text and "ditandai selesai" in edited.text
    assert edited.button_texts == ["📄 Lihat pesanan"]  # no second fulfil from the push
    await h.standin.wait_for_message(budi, contains="sudah siap")
    assert (await h.store.run(Tx.order, order.id)).status == "fulfilled"
    view = (await siti.choose("Lihat pesanan", edited))[-1]
    assert "Status: selesai" in view.text
    query = siti.tap_data(f"af:{order.id}", push)
    assert "sudah ditandai selesai" in (await h.standin.wait_for_answer(query))["text"]
    assert h.standin.violations == []


# --- reports -------------------------------------------------------------------------------


async def test_sales_chart_and_csv_export(harness: Harness) -> None:
    h = harness
    kopi = await h.add_product("Kopi susu", 18_000)
    roti = await h.add_product("Roti; bakar", 12_500)
    budi = h.standin.user(1001, "Budi", started=True)
    ani = h.standin.user(1002, "Ani", started=True)
    await _paid(h, await _place(h, budi, {kopi.id: 2}))
    await _paid(h, await _place(h, ani, {kopi.id: 1, roti.id: 2}, name="=Ani"))
    await _place(h, budi, {roti.id: 1})  # awaiting payment: not a sale
    siti = h.admin()
    await _seller_told_of_payments(h)  # else a "paid" notice may land among the answers below

    report = (await siti.ask("/sales today"))[-1]
    assert report.kind == "photo" and report.photo is not None
    image = Image.open(io.BytesIO(h.standin.file_bytes(report.file_id)))
    image.load()
    assert image.width >= 800
    assert "Pesanan lunas: 2" in report.text and "Pendapatan: Rp79.000" in report.text
    assert "1. Kopi susu — 3× · Rp54.000" in report.text
    assert (await siti.ask("/sales 7d"))[-1].kind == "photo"
    assert "Contoh" in (await siti.ask("/sales kapan-kapan"))[-1].text

    document = (await siti.ask("/export"))[-1]
    assert document.kind == "document" and document.filename.endswith(".csv")
    assert document.document is not None and document.document.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(document.document.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 3
    assert sum(int(r["Total"]) for r in rows) == 36_000 + 43_000 + 12_500
    assert sum(int(r["Total"]) for r in rows if r["Status"] == "lunas") == 79_000
    assert {r["Pembeli"] for r in rows} == {"Budi Santoso", "'=Ani"}
    assert "1x Kopi susu, 2x Roti; bakar" in {r["Barang"] for r in rows}
    ranged = (await siti.ask("/export 7d"))[-1]
    assert ranged.kind == "document"
    assert "Tidak ada pesanan" in (await siti.ask("/export 2020-01"))[-1].text
    assert "Contoh" in (await siti.ask("/export kemarin dulu"))[-1].text
    assert h.standin.violations == []
