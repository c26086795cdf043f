"""Seller texts: owner claim, catalogue, shop settings, orders, reports, and the customer's
"order done" message. HTML; callers escape every user-provided value.
"""

ID: dict[str, str] = {
    # menus and help
    "admin.command.admin": "Bantuan penjual",
    "admin.command.add": "Tambah produk",
    "admin.command.products": "Daftar produk",
    "admin.command.orders": "Pesanan masuk",
    "admin.command.sales": "Laporan penjualan",
    "admin.command.export": "Unduh pesanan (CSV)",
    "admin.command.shop": "Pengaturan toko",
    "admin.command.open": "Buka toko",
    "admin.command.close": "Tutup toko",
    "admin.help": (
        "<b>Perintah penjual</b>\n"
        "<b>Produk</b>\n"
        "• /add — tambah produk (dipandu), atau satu baris:\n"
        "  <code>/add Kopi susu | 18000 | 20 | keterangan</code> (stok kosong = tak terbatas)\n"
        "• /products — daftar produk, ubah lewat tombol\n"
        "• /price 3 20000 · /stock 3 15 — ubah cepat produk #3\n"
        "<b>Pesanan</b>\n"
        "• /orders — pesanan masuk, tandai selesai, batalkan, cek Midtrans\n"
        "• /sales today · /sales 7d · /sales 30d — laporan + grafik\n"
        "• /export — semua pesanan (CSV); /export 2026-11 atau /export 7d\n"
        "<b>Toko</b>\n"
        "• /shop — pengaturan toko\n"
        "• /open · /close Buka lagi besok jam 7\n"
        "• /linkgroup — grup staf untuk pesanan lunas\n"
        "<b>Admin</b> (pemilik)\n"
        "• /admins · /addadmin ID · /removeadmin ID"
    ),
    "admin.claimed": "🎉 Selamat! Kamu sekarang <b>pemilik</b> toko ini.",
    "admin.claim.closed": (
        "Klaim toko ditutup: terlalu banyak kode salah. Pemilik toko: restart bot, lalu kirim "
        "/claim dengan kode baru dari log server."
    ),
    "admin.owner_only": "Hanya pemilik toko yang bisa mengatur admin.",
    "admin.addadmin.usage": (
        "Tulis ID Telegram (angka) admin baru, misal <code>/addadmin 123456789</code>. "
        "ID pembeli terlihat di detail pesanannya."
    ),
    "admin.addadmin.already": "{id} sudah admin.",
    "admin.addadmin.done": (
        "✅ {id} sekarang admin. Minta dia membuka bot ini dan mengetik /admin."
    ),
    "admin.removeadmin.usage": "Tulis ID admin yang dihapus, misal <code>/removeadmin 123456789</code>.",
    "admin.removeadmin.from_settings": (
        "{id} diatur lewat ADMIN_IDS di file .env; hapus dari sana lalu jalankan ulang bot."
    ),
    "admin.removeadmin.owner": "Pemilik toko tidak bisa dihapus.",
    "admin.removeadmin.unknown": "{id} bukan admin.",
    "admin.removeadmin.done": "✅ {id} bukan admin lagi.",
    "admin.admins.title": "<b>Admin toko</b>",
    "admin.admins.owner": "• {id} (pemilik)",
    "admin.admins.admin": "• {id}",
    "admin.step_cancelled": "Oke, dibatalkan. Tidak ada yang diubah.",
    "admin.page": "Halaman {page}/{pages}",
    "admin.yes": "ada",
    "admin.no": "belum ada",
    "admin.on": "aktif",
    "admin.off": "nonaktif",
    # buttons
    "admin.button.prev": "‹ Sebelumnya",
    "admin.button.next": "Berikutnya ›",
    "admin.button.price": "💰 Harga",
    "admin.button.stock": "📦 Stok",
    "admin.button.name": "✏️ Nama",
    "admin.button.photo": "🖼 Foto",
    "admin.button.description": "📝 Keterangan",
    "admin.button.hide": "🙈 Sembunyikan",
    "admin.button.show": "👁 Tampilkan",
    "admin.button.delete": "🗑 Hapus",
    "admin.button.delete_yes": "🗑 Ya, hapus",
    "admin.button.delete_no": "Jangan",
    "admin.button.products": "« Produk",
    "admin.button.unlimited": "♾ Tak terbatas",
    "admin.button.skip": "Lewati",
    "admin.button.remove_photo": "🗑 Hapus foto",
    "admin.button.fulfil": "✅ Tandai selesai",
    "admin.button.cancel_order": "❎ Batalkan pesanan",
    "admin.button.cancel_yes": "❎ Ya, batalkan",
    "admin.button.cancel_no": "Jangan",
    "admin.button.recheck": "🔄 Cek status di Midtrans",
    "admin.button.orders": "« Pesanan",
    "admin.button.view_order": "📄 Lihat pesanan",
    "admin.button.pickup": "🏪 Ambil sendiri: {state}",
    "admin.button.delivery": "🛵 Diantar: {state}",
    "admin.button.open": "🟢 Buka toko",
    "admin.button.close": "🔴 Tutup toko",
    # validation
    "admin.bad.name": (
        "Nama produk harus 1–{max} karakter dalam satu baris, dan harus terlihat. Coba lagi."
    ),
    "admin.bad.price": (
        "Harga “{text}” tidak bisa dipakai. Tulis angka rupiah 1–5.000.000, "
        "misal <code>18000</code>, <code>18.000</code> atau <code>18rb</code>."
    ),
    "admin.bad.stock": (
        "Stok “{text}” tidak bisa dipakai. Tulis angka (misal <code>20</code>, 0 = habis) "
        "atau ketuk Tak terbatas."
    ),
    "admin.bad.description": "Keterangan paling banyak {max} karakter. Coba lagi.",
    "admin.bad.expect_text": "Ketik jawabannya sebagai teks, atau /batal untuk berhenti.",
    "admin.bad.photo": "Kirim <b>foto</b> produknya (atau ketuk Lewati). /batal untuk berhenti.",
    "admin.bad.photo_document": (
        "Itu dikirim sebagai file. Kirim sebagai <b>foto</b> (pilih Foto, bukan File), "
        "atau ketuk Lewati."
    ),
    # adding
    "admin.add.usage": (
        "Cara menambah produk:\n"
        "• /add lalu ikuti langkahnya, atau\n"
        "• <code>/add Kopi susu | 18000 | 20</code> (nama | harga | stok | keterangan; "
        "stok dan keterangan boleh kosong)"
    ),
    "admin.add.ask_name": (
        "➕ <b>Produk baru</b>\nNama produknya? (maks. {max} karakter)\n/batal untuk berhenti."
    ),
    "admin.add.ask_price": "Harga <b>{name}</b>? Misal <code>18000</code> atau <code>18rb</code>.",
    "admin.add.ask_stock": "Stoknya berapa? Tulis angka, atau ketuk Tak terbatas.",
    "admin.add.ask_photo": "Kirim foto produk (opsional), atau ketuk Lewati.",
    "admin.add.ask_description": (
        "Keterangan singkat (opsional, maks. {max} karakter), atau ketuk Lewati."
    ),
    "admin.add.done": "✅ Produk ditambahkan.",
    "admin.add.lost": "Maaf, data produk yang sedang ditambahkan hilang. Ulangi dengan /add.",
    # products
    "admin.products.none": "Belum ada produk. Tambah dengan /add.",
    "admin.products.title": "<b>Produk ({count})</b>",
    "admin.products.line": "#{id} {name} — {price} · stok {stock}{hidden}",
    "admin.products.hidden_mark": " · 🙈 disembunyikan",
    "admin.products.hint": "Ketuk produk untuk mengubahnya. /add untuk menambah.",
    "admin.product.card": (
        "<b>#{id} {name}</b>\nHarga: {price}\nStok: {stock}\nTampil di menu: {visibility}\n"
        "Foto: {photo}"
    ),
    "admin.product.visible": "ya",
    "admin.product.hidden": "tidak (disembunyikan)",
    "admin.product.duplicate": "⚠️ Sudah ada produk bernama {name} (#{id}).",
    "admin.product.not_found": "Produk #{id} tidak ada. Lihat /products.",
    "admin.product.usage": "Tulis nomor produknya, misal <code>/product 3</code>. Lihat /products.",
    "admin.product.now_hidden": "Disembunyikan dari menu.",
    "admin.product.now_visible": "Tampil lagi di menu.",
    "admin.product.delete_sure": (
        "Hapus <b>{name}</b> (#{id})? Pesanan lama tetap tersimpan. Kalau hanya sementara, "
        "lebih baik disembunyikan."
    ),
    "admin.product.deleted": "🗑 {name} (#{id}) dihapus. Lihat /products.",
    "admin.stock.unlimited": "tak terbatas",
    "admin.stock.sold_out": "0 (habis)",
    "admin.price.usage": "Contoh: <code>/price 3 20000</code> (nomor produk, harga baru).",
    "admin.stock.usage": "Contoh: <code>/stock 3 15</code> atau <code>/stock 3 tak terbatas</code>.",
    # editing
    "admin.edit.ask_price": "Harga baru <b>{name}</b>? Sekarang {price}. /batal untuk batal.",
    "admin.edit.ask_stock": (
        "Stok baru <b>{name}</b>? Sekarang {stock}. Tulis angka atau ketuk Tak terbatas."
    ),
    "admin.edit.ask_name": "Nama baru untuk <b>{name}</b>? (maks. {max} karakter)",
    "admin.edit.ask_photo": "Kirim foto baru untuk <b>{name}</b>. /batal untuk batal.",
    "admin.edit.ask_description": (
        "Keterangan baru untuk <b>{name}</b> (maks. {max} karakter; <code>-</code> untuk "
        "mengosongkan)."
    ),
    "admin.edit.saved": "✅ Tersimpan.",
    # shop
    "admin.shop.card": (
        "<b>Pengaturan toko</b>\n"
        "Nama: <b>{name}</b>\n"
        "Sambutan: {welcome}\n"
        "Batas waktu bayar: {expiry}\n"
        "Ambil sendiri: {pickup}\n"
        "Diantar: {delivery}\n"
        "Status: {status}\n\n"
        "Ubah dengan:\n"
        "/setname Nama toko\n"
        "/setwelcome Teks sambutan (<code>-</code> untuk mengosongkan)\n"
        "/setexpiry 2h (20 detik – 180 hari, misal 30m, 2h, 1d)\n"
        "/setdelivery on 10000 · /setdelivery off\n"
        "/setpickup on · /setpickup off\n"
        "/open · /close Buka lagi besok jam 7"
    ),
    "admin.shop.fee": ", ongkir {fee}",
    "admin.shop.open": "🟢 buka",
    "admin.shop.closed": "🔴 tutup",
    "admin.shop.empty": "(kosong)",
    "admin.shop.saved": "✅ Tersimpan.",
    "admin.shop.opened": "🟢 Toko dibuka. Pembeli bisa memesan lagi.",
    "admin.shop.closed_now": "🔴 Toko ditutup. Pembeli melihat pesan tutup dan tidak bisa checkout.",
    "admin.shop.need_one": "Minimal satu cara terima pesanan harus aktif (ambil sendiri atau diantar).",
    "admin.shop.bad_name": "Nama toko harus 1–{max} karakter, misal <code>/setname Warung Bu Siti</code>.",
    "admin.shop.welcome_usage": (
        "Contoh: <code>/setwelcome Selamat datang! Pesanan diproses jam 08.00–20.00.</code> "
        "(maks. {max} karakter; <code>/setwelcome -</code> untuk mengosongkan)"
    ),
    "admin.shop.expiry_usage": (
        "Contoh: <code>/setexpiry 2h</code>, <code>/setexpiry 30m</code>, "
        "<code>/setexpiry 1d</code>. Antara 20 detik dan 180 hari."
    ),
    "admin.shop.delivery_usage": (
        "Contoh: <code>/setdelivery on 10000</code> (ongkir rata Rp10.000), "
        "<code>/setdelivery on 0</code> (gratis) atau <code>/setdelivery off</code>."
    ),
    "admin.shop.bad_fee": "Ongkir “{text}” tidak bisa dipakai. Tulis 0–1.000.000, misal 10000.",
    "admin.shop.pickup_usage": "Contoh: <code>/setpickup on</code> atau <code>/setpickup off</code>.",
    "admin.shop.bad_closed": "Pesan tutup paling banyak {max} karakter.",
    # orders
    "admin.filter.w": "Menunggu bayar",
    "admin.filter.p": "Lunas",
    "admin.filter.f": "Selesai",
    "admin.filter.e": "Kedaluwarsa",
    "admin.filter.a": "Semua",
    "admin.orders.title": "<b>Pesanan · {filter}</b> ({count})",
    "admin.orders.none": "Tidak ada pesanan di sini.",
    "admin.orders.button": "{ref} · {total} · {status} · {name}",
    "admin.order.title": "<b>Pesanan</b> <code>{order_id}</code>",
    "admin.order.status": "Status: <b>{status}</b>",
    "admin.order.created": "Dibuat: {at} WIB",
    "admin.order.paid": "Dibayar: {at} WIB",
    "admin.order.fulfilled": "Selesai: {at} WIB",
    "admin.order.total": "<b>Total: {total}</b>",
    "admin.order.customer": "👤 {name} (ID {user_id})",
    "admin.order.phone": "📞 {phone}",
    "admin.order.email": "✉️ {email}",
    "admin.order.delivery": "🛵 Diantar ke: {address}",
    "admin.order.pickup": "🏪 Ambil sendiri",
    "admin.order.note": "📝 {note}",
    "admin.order.code": "Kode bayar Indomaret: <code>{code}</code> (berlaku s.d. {expiry} WIB)",
    "admin.order.midtrans": "Status Midtrans terakhir: {status} ({at} WIB)",
    "admin.order.history": "<b>Riwayat</b>",
    "admin.order.history_line": "• {at} — {status} ({reason})",
    "admin.order.events": "<b>Kabar dari Midtrans</b>",
    "admin.order.event_line": "• {at} — {source}: {status} → {outcome}",
    "admin.order.not_found": "Pesanan itu tidak ditemukan.",
    "admin.fulfil.done": "✅ Pesanan {order_id} ditandai selesai. Pembeli sudah diberi tahu.",
    "admin.fulfil.already": "Pesanan {order_id} sudah ditandai selesai sebelumnya.",
    "admin.fulfil.not_paid": "Hanya pesanan lunas yang bisa ditandai selesai. Status sekarang: {status}.",
    "admin.cancel.sure": (
        "Batalkan pesanan <code>{order_id}</code> ({total}, {name})? Kode bayarnya tidak "
        "berlaku lagi dan pembeli diberi tahu."
    ),
    "admin.cancel.done": "❎ Pesanan {order_id} dibatalkan. Pembeli sudah diberi tahu.",
    "admin.cancel.paid": (
        "Pesanan ini sudah dibayar, jadi tidak bisa dibatalkan di sini. Untuk pengembalian "
        "dana, pakai refund di dashboard Midtrans."
    ),
    "admin.cancel.closed": "Pesanan ini sudah {status}; tidak ada yang perlu dibatalkan.",
    "admin.cancel.failed": (
        "Maaf, Midtrans belum bisa membatalkan pesanan ini. Tidak ada yang berubah; coba lagi "
        "sebentar lagi."
    ),
    "admin.recheck.done": "Sudah dicek ke Midtrans.",
    "admin.recheck.failed": "Midtrans belum bisa dihubungi. Coba lagi sebentar lagi.",
    "admin.recheck.note": "🔄 Dicek ke Midtrans: status <b>{status}</b>.",
    # customer message when the seller marks an order done
    "admin.customer.fulfilled_pickup": (
        "📦 Pesanan <code>{order_id}</code> sudah siap! Silakan ambil di <b>{shop}</b>. "
        "Terima kasih 🙏"
    ),
    "admin.customer.fulfilled_delivery": (
        "🛵 Pesanan <code>{order_id}</code> sudah dikirim oleh <b>{shop}</b>. Terima kasih 🙏"
    ),
    # reports
    "admin.sales.usage": (
        "Contoh: <code>/sales today</code>, <code>/sales 7d</code>, <code>/sales 30d</code>, "
        "<code>/sales 2026-11</code> (paling lama 366 hari)."
    ),
    "admin.sales.none": "Belum ada pesanan lunas untuk {period}.",
    "admin.sales.title": "📊 <b>Penjualan {period}</b>",
    "admin.sales.count": "Pesanan lunas: <b>{count}</b>",
    "admin.sales.revenue": "Pendapatan: <b>{revenue}</b>",
    "admin.sales.top": "<b>Terlaris</b>",
    "admin.sales.top_line": "{rank}. {name} — {quantity}× · {revenue}",
    "admin.chart.title": "Pendapatan per hari · {period}",
    "admin.chart.unit_k": "rb",
    "admin.chart.unit_m": "jt",
    "admin.chart.unit_bn": "M",
    "admin.export.usage": (
        "Contoh: <code>/export</code> (semua), <code>/export 7d</code>, "
        "<code>/export 2026-11</code>, <code>/export 01/11/2026 - 15/11/2026</code>."
    ),
    "admin.report.out_of_span": (
        "Tanggal itu di luar jangkauan laporan: pilih hari antara {first} dan {last}, "
        "misalnya <code>/sales 2026-11</code>."
    ),
    "admin.export.all": "semua waktu",
    "admin.export.none": "Tidak ada pesanan untuk {period}.",
    "admin.export.caption": "📄 Pesanan {period}: {count} pesanan, lunas {total}.",
    "admin.fulfilment.pickup": "ambil sendiri",
    "admin.fulfilment.delivery": "diantar",
    "admin.csv.order_id": "ID pesanan",
    "admin.csv.created": "Dibuat (WIB)",
    "admin.csv.paid": "Dibayar (WIB)",
    "admin.csv.fulfilled": "Selesai (WIB)",
    "admin.csv.status": "Status",
    "admin.csv.customer": "Pembeli",
    "admin.csv.phone": "HP",
    "admin.csv.email": "Email",
    "admin.csv.fulfilment": "Pengambilan",
    "admin.csv.address": "Alamat",
    "admin.csv.note": "Catatan",
    "admin.csv.items": "Barang",
    "admin.csv.quantity": "Jumlah barang",
    "admin.csv.subtotal": "Subtotal",
    "admin.csv.delivery_fee": "Ongkir",
    "admin.csv.total": "Total",
    "admin.csv.payment_code": "Kode bayar",
}

EN: dict[str, str] = {
    "admin.command.admin": "Seller help",
    "admin.command.add": "Add a product",
    "admin.command.products": "Products",
    "admin.command.orders": "Incoming orders",
    "admin.command.sales": "Sales report",
    "admin.command.export": "Download orders (CSV)",
    "admin.command.shop": "Shop settings",
    "admin.command.open": "Open the shop",
    "admin.command.close": "Close the shop",
    "admin.help": (
        "<b>Seller commands</b>\n"
        "<b>Products</b>\n"
        "• /add — add a product (guided), or in one line:\n"
        "  <code>/add Kopi susu | 18000 | 20 | description</code> (no stock = unlimited)\n"
        "• /products — list products, edit with buttons\n"
        "• /price 3 20000 · /stock 3 15 — quick edits of product #3\n"
        "<b>Orders</b>\n"
        "• /orders — incoming orders, mark fulfilled, cancel, check Midtrans\n"
        "• /sales today · /sales 7d · /sales 30d — report + chart\n"
        "• /export — all orders (CSV); /export 2026-11 or /export 7d\n"
        "<b>Shop</b>\n"
        "• /shop — shop settings\n"
        "• /open · /close Back tomorrow at 7\n"
        "• /linkgroup — a staff group for paid orders\n"
        "<b>Admins</b> (owner)\n"
        "• /admins · /addadmin ID · /removeadmin ID"
    ),
    "admin.claimed": "🎉 Congratulations! You are now the <b>owner</b> of this shop.",
    "admin.claim.closed": (
        "Claiming this shop is closed: too many wrong codes. Shop owner: restart the bot, then "
        "send /claim with the new code from the server log."
    ),
    "admin.owner_only": "Only the shop owner can manage admins.",
    "admin.addadmin.usage": (
        "Give the new admin's Telegram user id (a number), e.g. <code>/addadmin 123456789</code>. "
        "A customer's id is shown in their order details."
    ),
    "admin.addadmin.already": "{id} is already an admin.",
    "admin.addadmin.done": "✅ {id} is now an admin. Ask them to open this bot and send /admin.",
    "admin.removeadmin.usage": "Give the admin's id, e.g. <code>/removeadmin 123456789</code>.",
    "admin.removeadmin.from_settings": (
        "{id} is set in ADMIN_IDS in the .env file; remove it there and restart the bot."
    ),
    "admin.removeadmin.owner": "The shop owner cannot be removed.",
    "admin.removeadmin.unknown": "{id} is not an admin.",
    "admin.removeadmin.done": "✅ {id} is no longer an admin.",
    "admin.admins.title": "<b>Shop admins</b>",
    "admin.admins.owner": "• {id} (owner)",
    "admin.admins.admin": "• {id}",
    "admin.step_cancelled": "OK, cancelled. Nothing was changed.",
    "admin.page": "Page {page}/{pages}",
    "admin.yes": "yes",
    "admin.no": "none",
    "admin.on": "on",
    "admin.off": "off",
    "admin.button.prev": "‹ Previous",
    "admin.button.next": "Next ›",
    "admin.button.price": "💰 Price",
    "admin.button.stock": "📦 Stock",
    "admin.button.name": "✏️ Name",
    "admin.button.photo": "🖼 Photo",
    "admin.button.description": "📝 Description",
    "admin.button.hide": "🙈 Hide",
    "admin.button.show": "👁 Show",
    "admin.button.delete": "🗑 Delete",
    "admin.button.delete_yes": "🗑 Yes, delete",
    "admin.button.delete_no": "Keep it",
    "admin.button.products": "« Products",
    "admin.button.unlimited": "♾ Unlimited",
    "admin.button.skip": "Skip",
    "admin.button.remove_photo": "🗑 Remove photo",
    "admin.button.fulfil": "✅ Mark fulfilled",
    "admin.button.cancel_order": "❎ Cancel order",
    "admin.button.cancel_yes": "❎ Yes, cancel",
    "admin.button.cancel_no": "Keep it",
    "admin.button.recheck": "🔄 Check status with Midtrans",
    "admin.button.orders": "« Orders",
    "admin.button.view_order": "📄 View order",
    "admin.button.pickup": "🏪 Pick-up: {state}",
    "admin.button.delivery": "🛵 Delivery: {state}",
    "admin.button.open": "🟢 Open the shop",
    "admin.button.close": "🔴 Close the shop",
    "admin.bad.name": (
        "A product name has 1–{max} visible characters on one line. Please try again."
    ),
    "admin.bad.price": (
        "The price “{text}” cannot be used. Write whole Rupiah from 1 to 5,000,000, "
        "e.g. <code>18000</code>, <code>18.000</code> or <code>18rb</code>."
    ),
    "admin.bad.stock": (
        "The stock “{text}” cannot be used. Write a number (e.g. <code>20</code>, 0 = sold out) "
        "or tap Unlimited."
    ),
    "admin.bad.description": "A description has at most {max} characters. Please try again.",
    "admin.bad.expect_text": "Please type the answer as text, or /cancel to stop.",
    "admin.bad.photo": "Send a <b>photo</b> of the product (or tap Skip). /cancel to stop.",
    "admin.bad.photo_document": (
        "That came as a file. Send it as a <b>photo</b> (choose Photo, not File), or tap Skip."
    ),
    "admin.add.usage": (
        "To add a product:\n"
        "• /add and follow the steps, or\n"
        "• <code>/add Kopi susu | 18000 | 20</code> (name | price | stock | description; "
        "stock and description are optional)"
    ),
    "admin.add.ask_name": (
        "➕ <b>New product</b>\nWhat is it called? (at most {max} characters)\n/cancel to stop."
    ),
    "admin.add.ask_price": "Price of <b>{name}</b>? E.g. <code>18000</code> or <code>18rb</code>.",
    "admin.add.ask_stock": "How many in stock? Write a number, or tap Unlimited.",
    "admin.add.ask_photo": "Send a product photo (optional), or tap Skip.",
    "admin.add.ask_description": "A short description (optional, at most {max} characters), or tap Skip.",
    "admin.add.done": "✅ Product added.",
    "admin.add.lost": "Sorry, the product being added was lost. Please start again with /add.",
    "admin.products.none": "No products yet. Add one with /add.",
    "admin.products.title": "<b>Products ({count})</b>",
    "admin.products.line": "#{id} {name} — {price} · stock {stock}{hidden}",
    "admin.products.hidden_mark": " · 🙈 hidden",
    "admin.products.hint": "Tap a product to edit it. /add to add one.",
    "admin.product.card": (
        "<b>#{id} {name}</b>\nPrice: {price}\nStock: {stock}\nOn the menu: {visibility}\n"
        "Photo: {photo}"
    ),
    "admin.product.visible": "yes",
    "admin.product.hidden": "no (hidden)",
    "admin.product.duplicate": "⚠️ There is already a product called {name} (#{id}).",
    "admin.product.not_found": "There is no product #{id}. See /products.",
    "admin.product.usage": "Give the product number, e.g. <code>/product 3</code>. See /products.",
    "admin.product.now_hidden": "Hidden from the menu.",
    "admin.product.now_visible": "Back on the menu.",
    "admin.product.delete_sure": (
        "Delete <b>{name}</b> (#{id})? Past orders are kept. If it is only for a while, "
        "hiding it is better."
    ),
    "admin.product.deleted": "🗑 {name} (#{id}) deleted. See /products.",
    "admin.stock.unlimited": "unlimited",
    "admin.stock.sold_out": "0 (sold out)",
    "admin.price.usage": "Example: <code>/price 3 20000</code> (product number, new price).",
    "admin.stock.usage": "Example: <code>/stock 3 15</code> or <code>/stock 3 unlimited</code>.",
    "admin.edit.ask_price": "New price of <b>{name}</b>? Now {price}. /cancel to stop.",
    "admin.edit.ask_stock": "New stock of <b>{name}</b>? Now {stock}. Write a number or tap Unlimited.",
    "admin.edit.ask_name": "New name for <b>{name}</b>? (at most {max} characters)",
    "admin.edit.ask_photo": "Send a new photo for <b>{name}</b>. /cancel to stop.",
    "admin.edit.ask_description": (
        "New description for <b>{name}</b> (at most {max} characters; <code>-</code> to clear)."
    ),
    "admin.edit.saved": "✅ Saved.",
    "admin.shop.card": (
        "<b>Shop settings</b>\n"
        "Name: <b>{name}</b>\n"
        "Welcome: {welcome}\n"
        "Time to pay: {expiry}\n"
        "Pick-up: {pickup}\n"
        "Delivery: {delivery}\n"
        "Status: {status}\n\n"
        "Change with:\n"
        "/setname Shop name\n"
        "/setwelcome Welcome text (<code>-</code> to clear)\n"
        "/setexpiry 2h (20 seconds – 180 days, e.g. 30m, 2h, 1d)\n"
        "/setdelivery on 10000 · /setdelivery off\n"
        "/setpickup on · /setpickup off\n"
        "/open · /close Back tomorrow at 7"
    ),
    "admin.shop.fee": ", fee {fee}",
    "admin.shop.open": "🟢 open",
    "admin.shop.closed": "🔴 closed",
    "admin.shop.empty": "(empty)",
    "admin.shop.saved": "✅ Saved.",
    "admin.shop.opened": "🟢 The shop is open. Customers can order again.",
    "admin.shop.closed_now": "🔴 The shop is closed. Customers see the closed message and cannot check out.",
    "admin.shop.need_one": "At least one way to get orders must stay on (pick-up or delivery).",
    "admin.shop.bad_name": "A shop name has 1–{max} characters, e.g. <code>/setname Warung Bu Siti</code>.",
    "admin.shop.welcome_usage": (
        "Example: <code>/setwelcome Welcome! Orders are prepared 08:00–20:00.</code> "
        "(at most {max} characters; <code>/setwelcome -</code> to clear)"
    ),
    "admin.shop.expiry_usage": (
        "Example: <code>/setexpiry 2h</code>, <code>/setexpiry 30m</code>, "
        "<code>/setexpiry 1d</code>. Between 20 seconds and 180 days."
    ),
    "admin.shop.delivery_usage": (
        "Example: <code>/setdelivery on 10000</code> (flat fee Rp10.000), "
        "<code>/setdelivery on 0</code> (free) or <code>/setdelivery off</code>."
    ),
    "admin.shop.bad_fee": "The fee “{text}” cannot be used. Write 0 to 1,000,000, e.g. 10000.",
    "admin.shop.pickup_usage": "Example: <code>/setpickup on</code> or <code>/setpickup off</code>.",
    "admin.shop.bad_closed": "A closed message has at most {max} characters.",
    "admin.filter.w": "Awaiting payment",
    "admin.filter.p": "Paid",
    "admin.filter.f": "Fulfilled",
    "admin.filter.e": "Expired",
    "admin.filter.a": "All",
    "admin.orders.title": "<b>Orders · {filter}</b> ({count})",
    "admin.orders.none": "No orders here.",
    "admin.orders.button": "{ref} · {total} · {status} · {name}",
    "admin.order.title": "<b>Order</b> <code>{order_id}</code>",
    "admin.order.status": "Status: <b>{status}</b>",
    "admin.order.created": "Created: {at} WIB",
    "admin.order.paid": "Paid: {at} WIB",
    "admin.order.fulfilled": "Fulfilled: {at} WIB",
    "admin.order.total": "<b>Total: {total}</b>",
    "admin.order.customer": "👤 {name} (id {user_id})",
    "admin.order.phone": "📞 {phone}",
    "admin.order.email": "✉️ {email}",
    "admin.order.delivery": "🛵 Delivery to: {address}",
    "admin.order.pickup": "🏪 Pick-up",
    "admin.order.note": "📝 {note}",
    "admin.order.code": "Indomaret payment code: <code>{code}</code> (valid until {expiry} WIB)",
    "admin.order.midtrans": "Latest Midtrans status: {status} ({at} WIB)",
    "admin.order.history": "<b>History</b>",
    "admin.order.history_line": "• {at} — {status} ({reason})",
    "admin.order.events": "<b>From Midtrans</b>",
    "admin.order.event_line": "• {at} — {source}: {status} → {outcome}",
    "admin.order.not_found": "That order was not found.",
    "admin.fulfil.done": "✅ Order {order_id} marked fulfilled. The customer was told.",
    "admin.fulfil.already": "Order {order_id} was already marked fulfilled.",
    "admin.fulfil.not_paid": "Only paid orders can be marked fulfilled. Its status now: {status}.",
    "admin.cancel.sure": (
        "Cancel order <code>{order_id}</code> ({total}, {name})? Its payment code stops working "
        "and the customer is told."
    ),
    "admin.cancel.done": "❎ Order {order_id} cancelled. The customer was told.",
    "admin.cancel.paid": (
        "This order is already paid, so it cannot be cancelled here. To give the money back, "
        "use a refund in the Midtrans dashboard."
    ),
    "admin.cancel.closed": "This order is already {status}; there is nothing to cancel.",
    "admin.cancel.failed": (
        "Sorry, Midtrans could not cancel this order yet. Nothing changed; please try again "
        "in a moment."
    ),
    "admin.recheck.done": "Checked with Midtrans.",
    "admin.recheck.failed": "Midtrans cannot be reached right now. Please try again shortly.",
    "admin.recheck.note": "🔄 Checked with Midtrans: status <b>{status}</b>.",
    "admin.customer.fulfilled_pickup": (
        "📦 Order <code>{order_id}</code> is ready! Please pick it up at <b>{shop}</b>. Thank you 🙏"
    ),
    "admin.customer.fulfilled_delivery": (
        "🛵 Order <code>{order_id}</code> is on its way from <b>{shop}</b>. Thank you 🙏"
    ),
    "admin.sales.usage": (
        "Examples: <code>/sales today</code>, <code>/sales 7d</code>, <code>/sales 30d</code>, "
        "<code>/sales 2026-11</code> (at most 366 days)."
    ),
    "admin.sales.none": "No paid orders for {period} yet.",
    "admin.sales.title": "📊 <b>Sales {period}</b>",
    "admin.sales.count": "Paid orders: <b>{count}</b>",
    "admin.sales.revenue": "Revenue: <b>{revenue}</b>",
    "admin.sales.top": "<b>Best sellers</b>",
    "admin.sales.top_line": "{rank}. {name} — {quantity}× · {revenue}",
    "admin.chart.title": "Revenue per day · {period}",
    "admin.chart.unit_k": "k",
    "admin.chart.unit_m": "M",
    "admin.chart.unit_bn": "B",
    "admin.export.usage": (
        "Examples: <code>/export</code> (everything), <code>/export 7d</code>, "
        "<code>/export 2026-11</code>, <code>/export 01/11/2026 - 15/11/2026</code>."
    ),
    "admin.report.out_of_span": (
        "That date is outside what reports cover: pick days between {first} and {last}, "
        "for example <code>/sales 2026-11</code>."
    ),
    "admin.export.all": "all time",
    "admin.export.none": "No orders for {period}.",
    "admin.export.caption": "📄 Orders {period}: {count} orders, paid {total}.",
    "admin.fulfilment.pickup": "pick-up",
    "admin.fulfilment.delivery": "delivery",
    "admin.csv.order_id": "Order id",
    "admin.csv.created": "Created (WIB)",
    "admin.csv.paid": "Paid (WIB)",
    "admin.csv.fulfilled": "Fulfilled (WIB)",
    "admin.csv.status": "Status",
    "admin.csv.customer": "Customer",
    "admin.csv.phone": "Phone",
    "admin.csv.email": "Email",
    "admin.csv.fulfilment": "Fulfilment",
    "admin.csv.address": "Address",
    "admin.csv.note": "Note",
    "admin.csv.items": "Items",
    "admin.csv.quantity": "Item count",
    "admin.csv.subtotal": "Subtotal",
    "admin.csv.delivery_fee": "Delivery fee",
    "admin.csv.total": "Total",
    "admin.csv.payment_code": "Payment code",
}
