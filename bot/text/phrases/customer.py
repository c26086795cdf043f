"""Customer texts: menu, cart, typed orders, details, checkout, payment code, my orders.

Values are HTML (``parse_mode=HTML``); placeholders that carry user text are escaped by callers.
"""

ID: dict[str, str] = {
    # start and menu
    "start.greeting": "Halo, {name}! Selamat datang di <b>{shop}</b>.",
    "start.closed": "Maaf, <b>{shop}</b> sedang tutup.{message}",
    "start.empty": "Maaf, <b>{shop}</b> belum punya menu yang tersedia. Coba lagi nanti ya.",
    "menu.title": "<b>Menu {shop}</b>",
    "menu.hint": (
        "Ketuk menu untuk memesan, atau ketik pesananmu, misalnya: <i>2 kopi susu, 1 roti bakar</i>."
    ),
    "menu.line": "• {name} — {price}{stock}",
    "menu.stock_left": " (sisa {stock})",
    "menu.sold_out": " (habis)",
    "menu.page": "Halaman {page}/{pages}",
    "button.product": "{name} · {price}",
    "button.cart": "🛒 Keranjang ({count})",
    "button.cart_empty": "🛒 Keranjang",
    "button.my_orders": "📦 Pesanan saya",
    "button.menu": "📋 Menu",
    "button.prev": "‹ Sebelumnya",
    "button.next": "Berikutnya ›",
    # product card
    "product.card": "<b>{name}</b>\n{price}{stock}\n{description}",
    "product.stock_left": "\nStok: {stock}",
    "product.quantity": "Jumlah: <b>{quantity}</b>",
    "button.add": "➕ Tambah {quantity} ke keranjang",
    "product.added": "{quantity}× {name} masuk keranjang.",
    "product.unavailable": "Maaf, {name} sedang tidak tersedia.",
    "product.not_enough": "Stok {name} tinggal {stock}.",
    # cart
    "cart.title": "<b>Keranjang</b>",
    "cart.line": "• {quantity}× {name} — {total}",
    "cart.subtotal": "Subtotal: <b>{amount}</b>",
    "cart.empty": "Keranjangmu masih kosong. Pilih dari menu atau ketik pesananmu.",
    "cart.cleared": "Keranjang dikosongkan.",
    "button.clear": "🗑 Kosongkan",
    "button.checkout": "✅ Checkout",
    "button.continue": "📋 Tambah lagi",
    "button.remove": "🗑",
    # typed orders
    "typed.understood": "Ini pesanan yang saya tangkap:",
    "typed.confirm_hint": "Sudah benar? Masukkan ke keranjang, atau ketik ulang untuk mengubah.",
    "typed.ambiguous": "Maksudmu “{phrase}” yang mana?",
    "typed.unknown": "Maaf, “{phrase}” tidak ada di menu.",
    "typed.unknown_suggest": "Maaf, “{phrase}” tidak ada di menu. Mungkin maksudmu:",
    "typed.invalid_zero": "Jumlah untuk “{phrase}” tidak boleh 0.",
    "typed.invalid_negative": "Jumlah untuk “{phrase}” tidak boleh negatif.",
    "typed.invalid_too_many": "Jumlah untuk “{phrase}” terlalu banyak (maksimal {max} per menu).",
    "typed.invalid_fraction": (
        "Jumlah untuk “{phrase}” harus bilangan bulat (1, 2, 3, …), bukan pecahan. "
        "Contoh: <i>1 kopi susu</i>. Kalau ada ukuran kecil, pilih dari /menu."
    ),
    "typed.skipped": "Pesanan terlalu panjang; {count} baris terakhir saya lewati.",
    "typed.not_understood": (
        "Maaf, saya belum paham. Ketik pesanan seperti <i>2 kopi susu, 1 roti bakar</i>, "
        "atau pilih dari menu."
    ),
    "button.typed_confirm": "✅ Masukkan ke keranjang",
    "button.pick": "{name} ({quantity}×)",
    # details
    "details.remembered": ("Pakai data ini?\nNama: <b>{name}</b>\nHP: <b>{phone}</b>{email}"),
    "details.remembered_email": "\nEmail: <b>{email}</b>",
    "button.keep": "✅ Ya, lanjut",
    "button.change": "✏️ Ubah data",
    "details.ask_name": "Pesanan atas nama siapa? Ketik nama, atau ketuk tombol di bawah.",
    "details.bad_name": "Nama harus 2–50 huruf yang terlihat. Coba lagi ya.",
    "details.ask_phone": (
        "Nomor HP untuk dihubungi? Ketuk <b>Kirim nomor saya</b>, atau ketik (misal 0812-3456-7890)."
    ),
    "button.share_phone": "📱 Kirim nomor saya",
    "details.bad_phone": (
        "Nomor HP belum benar. Pakai nomor seluler Indonesia, misal 0812-3456-7890 atau +62812…"
    ),
    "details.ask_email": "Email untuk bukti pembayaran (boleh dilewati):",
    "details.bad_email": "Alamat email belum benar. Coba lagi, atau ketuk Lewati.",
    "button.skip": "Lewati",
    "details.ask_fulfilment": "Diambil sendiri atau diantar?",
    "button.pickup": "🏪 Ambil sendiri",
    "button.delivery": "🛵 Diantar (+{fee})",
    "details.ask_address": (
        "Alamat pengantaran? Ketik alamat lengkap, atau ketuk <b>Kirim lokasi</b>."
    ),
    "button.share_location": "📍 Kirim lokasi",
    "details.bad_address": "Alamat terlalu pendek. Tulis alamat lengkap ya (jalan, nomor, patokan).",
    "details.location_received": "📍 Lokasi diterima.",
    "details.ask_note": "Ada catatan untuk penjual? (misal: tanpa gula). Boleh dilewati.",
    "details.press_button": "Silakan ketuk salah satu tombol di atas ya.",
    # checkout summary
    "summary.title": "<b>Ringkasan pesanan</b>",
    "summary.fee": "• Ongkos kirim — {fee}",
    "summary.total": "Total: <b>{total}</b>",
    "summary.pickup": "Ambil sendiri di toko",
    "summary.delivery": "Diantar ke: {address}",
    "summary.note": "Catatan: {note}",
    "summary.customer": "Atas nama: {name} ({phone})",
    "summary.payment": "Bayar di kasir <b>Indomaret</b>; kode berlaku {validity}.",
    "button.pay": "✅ Bayar di Indomaret",
    "button.abort": "✖️ Batal",
    "checkout.aborted": "Checkout dibatalkan. Keranjangmu masih tersimpan.",
    "checkout.working": "Sebentar, kode pembayaran sedang dibuat…",
    # cart problems
    "problem.empty": "Keranjangmu kosong.",
    "problem.unavailable": "{name} sudah tidak tersedia dan dikeluarkan dari keranjang.",
    "problem.unavailable_unknown": "Ada menu yang sudah tidak tersedia dan dikeluarkan.",
    "problem.not_enough_stock": "Stok {name} tidak cukup. Kurangi jumlahnya dulu ya.",
    "problem.bad_quantity": "Jumlah {name} harus 1–99.",
    "problem.total_too_low": (
        "Total minimal pembayaran di Indomaret adalah {min}. Tambah pesananmu dulu ya."
    ),
    "problem.total_too_high": "Total maksimal pembayaran di Indomaret adalah {max}.",
    "checkout.closed": "Maaf, toko sedang tutup, jadi belum bisa menerima pesanan.{message}",
    "checkout.too_many_pending": (
        "Kamu masih punya {count} pesanan yang menunggu pembayaran. Bayar atau batalkan dulu "
        "salah satunya lewat /pesanan."
    ),
    "checkout.out_of_stock": "Maaf, {name} baru saja habis. Keranjangmu tidak berubah.",
    "checkout.price_changed": (
        "⚠️ <b>Harga berubah</b> sejak ringkasan tadi. Maaf, belum ada yang ditagih: periksa "
        "ringkasan baru di bawah, lalu ketuk bayar lagi kalau sudah cocok."
    ),
    "checkout.failed": (
        "Maaf, pembayaran belum bisa dibuat saat ini. Pesanan dibatalkan dan tidak ada yang "
        "ditagih. Coba lagi sebentar lagi ya."
    ),
    "checkout.awaiting_code": (
        "Pesanan <code>{order_id}</code> tercatat. Kode pembayaran sedang kami pastikan ke "
        "Midtrans dan akan dikirim ke sini sebentar lagi."
    ),
    # payment code
    "paycode.message": (
        "<b>Kode pembayaran Indomaret</b>\n"
        "<code>{code}</code>\n\n"
        "Jumlah: <b>{amount}</b>\n"
        "Bayar sebelum: <b>{expiry} WIB</b>\n"
        "No. pesanan: <code>{order_id}</code>\n\n"
        "Cara bayar:\n"
        "1. Datang ke kasir Indomaret mana saja.\n"
        "2. Bilang mau bayar <b>Midtrans</b> dan sebutkan kode di atas (atau tunjukkan slip).\n"
        "3. Bayar {amount} dan simpan struknya.\n"
        "Kami kabari di sini begitu pembayaran masuk."
    ),
    "paycode.caption": "Slip pembayaran {order_id}: tunjukkan barcode ini ke kasir Indomaret.",
    "paycode.document_caption": "Slip pembayaran {order_id} (PNG asli, untuk dicetak).",
    "button.slip_png": "🖨 Slip PNG",
    "button.resend": "🔁 Kirim ulang kode",
    "button.cancel_order": "✖️ Batalkan pesanan",
    "button.view_order": "🔎 Lihat pesanan",
    "button.reorder": "🔁 Pesan lagi",
    # my orders
    "orders.title": "<b>Pesanan saya</b>",
    "orders.none": "Kamu belum punya pesanan. Ketik /start untuk melihat menu.",
    "orders.button": "{ref} · {total} · {status}",
    "order.view": (
        "<b>Pesanan {order_id}</b>\nStatus: <b>{status}</b>\nDibuat: {created} WIB\n\n{lines}\n"
        "Total: <b>{total}</b>"
    ),
    "order.code_line": "\nKode pembayaran: <code>{code}</code> (berlaku sampai {expiry} WIB)",
    "order.delivery_fee_item": "Ongkos kirim",
    "order.cancel_sure": "Yakin batalkan pesanan <code>{order_id}</code>?",
    "button.cancel_yes": "Ya, batalkan",
    "button.cancel_no": "Tidak",
    "order.cancelled": "Pesanan <code>{order_id}</code> dibatalkan. Kode pembayarannya tidak berlaku lagi.",
    "order.cannot_cancel": "Pesanan ini tidak bisa dibatalkan lagi (status: {status}).",
    "order.cancel_failed": "Maaf, pembatalan belum berhasil. Coba lagi sebentar lagi ya.",
    "order.not_found": "Pesanan itu tidak ditemukan.",
    "order.code_stale": (
        "Kode bayar pesanan <code>{order_id}</code> sudah tidak berlaku (status: {status}). "
        "Jangan dibayar di kasir. Mau pesan lagi dengan isi yang sama?"
    ),
    "order.reordered": "Isi pesanan {order_id} sudah dimasukkan lagi ke keranjang.",
    "status.awaiting_payment": "menunggu pembayaran",
    "status.paid": "lunas",
    "status.fulfilled": "selesai",
    "status.expired": "kedaluwarsa",
    "status.cancelled": "dibatalkan",
    "status.failed": "gagal",
    "status.reversed": "pembayaran dibatalkan bank",
    "status.refunded": "dikembalikan",
    # misc
    "help": (
        "<b>Cara pesan</b>\n"
        "• /start — lihat menu\n"
        "• Ketik pesanan, misal <i>2 kopi susu, 1 roti bakar</i>\n"
        "• /keranjang — lihat keranjang\n"
        "• /pesanan — pesanan saya\n"
        "• /batal — batalkan langkah yang sedang berjalan\n"
        "Pembayaran di kasir Indomaret mana saja."
    ),
    "cancelled_step": "Oke, dibatalkan. Ketik /start untuk melihat menu.",
    "duration.days": "{n} hari",
    "duration.hours": "{n} jam",
    "duration.minutes": "{n} menit",
    "duration.seconds": "{n} detik",
    "seller_alert.midtrans_401": (
        "⚠️ <b>Midtrans menolak server key</b> (401). Semua checkout gagal sampai "
        "MIDTRANS_SERVER_KEY dan MIDTRANS_ENVIRONMENT di .env diperbaiki dan bot dijalankan ulang."
    ),
    "seller_alert.midtrans_402": (
        "⚠️ <b>Kanal pembayaran Indomaret belum aktif</b> di akun Midtrans (402). Semua checkout "
        "gagal sampai Indomaret diaktifkan di dashboard Midtrans (Settings &gt; Payment)."
    ),
    "seller_alert.midtrans_410": (
        "⚠️ <b>Akun merchant Midtrans dinonaktifkan</b> (410). Semua checkout gagal; hubungi "
        "dukungan Midtrans."
    ),
    "command.start": "Lihat menu",
    "command.cart": "Keranjang",
    "command.orders": "Pesanan saya",
    "command.help": "Bantuan",
    "command.cancel": "Batalkan langkah ini",
}

EN: dict[str, str] = {
    "start.greeting": "Hi, {name}! Welcome to <b>{shop}</b>.",
    "start.closed": "Sorry, <b>{shop}</b> is closed right now.{message}",
    "start.empty": "Sorry, <b>{shop}</b> has nothing on the menu yet. Please try again later.",
    "menu.title": "<b>{shop} menu</b>",
    "menu.hint": "Tap an item to order, or type your order, e.g. <i>2 kopi susu, 1 roti bakar</i>.",
    "menu.line": "• {name} — {price}{stock}",
    "menu.stock_left": " ({stock} left)",
    "menu.sold_out": " (sold out)",
    "menu.page": "Page {page}/{pages}",
    "button.product": "{name} · {price}",
    "button.cart": "🛒 Cart ({count})",
    "button.cart_empty": "🛒 Cart",
    "button.my_orders": "📦 My orders",
    "button.menu": "📋 Menu",
    "button.prev": "‹ Previous",
    "button.next": "Next ›",
    "product.card": "<b>{name}</b>\n{price}{stock}\n{description}",
    "product.stock_left": "\nIn stock: {stock}",
    "product.quantity": "Quantity: <b>{quantity}</b>",
    "button.add": "➕ Add {quantity} to cart",
    "product.added": "{quantity}× {name} added to your cart.",
    "product.unavailable": "Sorry, {name} is not available right now.",
    "product.not_enough": "Only {stock} {name} left.",
    "cart.title": "<b>Your cart</b>",
    "cart.line": "• {quantity}× {name} — {total}",
    "cart.subtotal": "Subtotal: <b>{amount}</b>",
    "cart.empty": "Your cart is empty. Pick from the menu or type your order.",
    "cart.cleared": "Cart cleared.",
    "button.clear": "🗑 Clear",
    "button.checkout": "✅ Check out",
    "button.continue": "📋 Add more",
    "button.remove": "🗑",
    "typed.understood": "Here is what I understood:",
    "typed.confirm_hint": "Is that right? Put it in your cart, or type again to change it.",
    "typed.ambiguous": "Which “{phrase}” do you mean?",
    "typed.unknown": "Sorry, “{phrase}” is not on the menu.",
    "typed.unknown_suggest": "Sorry, “{phrase}” is not on the menu. Did you mean:",
    "typed.invalid_zero": "The quantity for “{phrase}” cannot be 0.",
    "typed.invalid_negative": "The quantity for “{phrase}” cannot be negative.",
    "typed.invalid_too_many": "Too many “{phrase}” (at most {max} per item).",
    "typed.invalid_fraction": (
        "The quantity for “{phrase}” must be a whole number (1, 2, 3, …), not a fraction. "
        "For example: <i>1 kopi susu</i>. For a smaller size, pick one from /menu."
    ),
    "typed.skipped": "Your order is very long; I skipped the last {count} lines.",
    "typed.not_understood": (
        "Sorry, I did not get that. Type an order like <i>2 kopi susu, 1 roti bakar</i>, "
        "or pick from the menu."
    ),
    "button.typed_confirm": "✅ Put in cart",
    "button.pick": "{name} ({quantity}×)",
    "details.remembered": "Use these details?\nName: <b>{name}</b>\nPhone: <b>{phone}</b>{email}",
    "details.remembered_email": "\nEmail: <b>{email}</b>",
    "button.keep": "✅ Yes, continue",
    "button.change": "✏️ Change details",
    "details.ask_name": "What name is the order for? Type it, or tap the button below.",
    "details.bad_name": "A name has 2–50 visible letters. Please try again.",
    "details.ask_phone": (
        "Your phone number? Tap <b>Share my number</b>, or type it (e.g. 0812-3456-7890)."
    ),
    "button.share_phone": "📱 Share my number",
    "details.bad_phone": (
        "That phone number does not look right. Use an Indonesian mobile number, e.g. "
        "0812-3456-7890 or +62812…"
    ),
    "details.ask_email": "Email for the payment receipt (optional):",
    "details.bad_email": "That email address does not look right. Try again, or tap Skip.",
    "button.skip": "Skip",
    "details.ask_fulfilment": "Pick up or delivery?",
    "button.pickup": "🏪 Pick up",
    "button.delivery": "🛵 Delivery (+{fee})",
    "details.ask_address": "Delivery address? Type the full address, or tap <b>Share location</b>.",
    "button.share_location": "📍 Share location",
    "details.bad_address": "That address is too short. Please write it in full.",
    "details.location_received": "📍 Location received.",
    "details.ask_note": "Any note for the seller? (e.g. no sugar). Optional.",
    "details.press_button": "Please tap one of the buttons above.",
    "summary.title": "<b>Order summary</b>",
    "summary.fee": "• Delivery fee — {fee}",
    "summary.total": "Total: <b>{total}</b>",
    "summary.pickup": "Pick up at the shop",
    "summary.delivery": "Deliver to: {address}",
    "summary.note": "Note: {note}",
    "summary.customer": "For: {name} ({phone})",
    "summary.payment": "Pay at any <b>Indomaret</b> cashier; the code is valid for {validity}.",
    "button.pay": "✅ Pay at Indomaret",
    "button.abort": "✖️ Cancel",
    "checkout.aborted": "Checkout cancelled. Your cart is still saved.",
    "checkout.working": "One moment, creating your payment code…",
    "problem.empty": "Your cart is empty.",
    "problem.unavailable": "{name} is no longer available and was taken out of your cart.",
    "problem.unavailable_unknown": "An item is no longer available and was taken out.",
    "problem.not_enough_stock": "Not enough {name} in stock. Please lower the quantity.",
    "problem.bad_quantity": "The quantity of {name} must be 1–99.",
    "problem.total_too_low": "Indomaret payments start at {min}. Please add to your order.",
    "problem.total_too_high": "Indomaret payments are at most {max}.",
    "checkout.closed": "Sorry, the shop is closed and cannot take orders right now.{message}",
    "checkout.too_many_pending": (
        "You already have {count} orders waiting for payment. Pay or cancel one of them first "
        "in /pesanan."
    ),
    "checkout.out_of_stock": "Sorry, {name} just sold out. Your cart is unchanged.",
    "checkout.price_changed": (
        "⚠️ <b>Prices changed</b> since the summary. Sorry, nothing was charged: check the new "
        "summary below and tap pay again if it looks right."
    ),
    "checkout.failed": (
        "Sorry, the payment could not be created right now. The order was cancelled and nothing "
        "was charged. Please try again shortly."
    ),
    "checkout.awaiting_code": (
        "Order <code>{order_id}</code> is saved. We are confirming your payment code with "
        "Midtrans and will send it here shortly."
    ),
    "paycode.message": (
        "<b>Indomaret payment code</b>\n"
        "<code>{code}</code>\n\n"
        "Amount: <b>{amount}</b>\n"
        "Pay before: <b>{expiry} WIB</b>\n"
        "Order: <code>{order_id}</code>\n\n"
        "How to pay:\n"
        "1. Go to any Indomaret cashier.\n"
        "2. Say you want to pay <b>Midtrans</b> and give the code above (or show the slip).\n"
        "3. Pay {amount} and keep the receipt.\n"
        "We will tell you here as soon as the payment arrives."
    ),
    "paycode.caption": "Payment slip {order_id}: show this barcode at the Indomaret cashier.",
    "paycode.document_caption": "Payment slip {order_id} (original PNG, for printing).",
    "button.slip_png": "🖨 Slip PNG",
    "button.resend": "🔁 Send the code again",
    "button.cancel_order": "✖️ Cancel order",
    "button.view_order": "🔎 View order",
    "button.reorder": "🔁 Order again",
    "orders.title": "<b>My orders</b>",
    "orders.none": "You have no orders yet. Send /start to see the menu.",
    "orders.button": "{ref} · {total} · {status}",
    "order.view": (
        "<b>Order {order_id}</b>\nStatus: <b>{status}</b>\nPlaced: {created} WIB\n\n{lines}\n"
        "Total: <b>{total}</b>"
    ),
    "order.code_line": "\nPayment code: <code>{code}</code> (valid until {expiry} WIB)",
    "order.delivery_fee_item": "Delivery fee",
    "order.cancel_sure": "Cancel order <code>{order_id}</code>?",
    "button.cancel_yes": "Yes, cancel",
    "button.cancel_no": "No",
    "order.cancelled": "Order <code>{order_id}</code> is cancelled. Its payment code no longer works.",
    "order.cannot_cancel": "This order can no longer be cancelled (status: {status}).",
    "order.cancel_failed": "Sorry, the cancellation did not go through. Please try again shortly.",
    "order.not_found": "That order was not found.",
    "order.code_stale": (
        "The payment code of order <code>{order_id}</code> is no longer valid (status: {status}). "
        "Do not pay it at the cashier. Order the same again?"
    ),
    "order.reordered": "The items of order {order_id} are back in your cart.",
    "status.awaiting_payment": "awaiting payment",
    "status.paid": "paid",
    "status.fulfilled": "fulfilled",
    "status.expired": "expired",
    "status.cancelled": "cancelled",
    "status.failed": "failed",
    "status.reversed": "payment reversed",
    "status.refunded": "refunded",
    "help": (
        "<b>How to order</b>\n"
        "• /start — see the menu\n"
        "• Type your order, e.g. <i>2 kopi susu, 1 roti bakar</i>\n"
        "• /keranjang — your cart\n"
        "• /pesanan — my orders\n"
        "• /batal — cancel the current step\n"
        "Pay at any Indomaret cashier."
    ),
    "cancelled_step": "OK, cancelled. Send /start to see the menu.",
    "duration.days": "{n} days",
    "duration.hours": "{n} hours",
    "duration.minutes": "{n} minutes",
    "duration.seconds": "{n} seconds",
    "seller_alert.midtrans_401": (
        "⚠️ <b>Midtrans refused the server key</b> (401). Every checkout fails until "
        "MIDTRANS_SERVER_KEY and MIDTRANS_ENVIRONMENT in .env are fixed and the bot restarted."
    ),
    "seller_alert.midtrans_402": (
        "⚠️ <b>The Indomaret payment channel is not active</b> on the Midtrans account (402). "
        "Every checkout fails until Indomaret is activated in the Midtrans dashboard "
        "(Settings &gt; Payment)."
    ),
    "seller_alert.midtrans_410": (
        "⚠️ <b>The Midtrans merchant account is deactivated</b> (410). Every checkout fails; "
        "contact Midtrans support."
    ),
    "command.start": "See the menu",
    "command.cart": "Cart",
    "command.orders": "My orders",
    "command.help": "Help",
    "command.cancel": "Cancel this step",
}
