"""Push texts: what the bot tells a customer or a seller when a payment moves, unasked.

Templates are HTML; ``bot/messages/pushes.py`` escapes every user-provided value before filling them in.
"""

ID: dict[str, str] = {
    # order summary pieces
    "push.line": "• {name} × {quantity} = {amount}",
    "push.more_lines": "• … dan {count} item lainnya",
    "push.fee": "Ongkir: {amount}",
    "push.total": "<b>Total: {amount}</b>",
    "push.pickup": "🏪 Ambil sendiri di toko.",
    "push.delivery": "🛵 Diantar ke: {address}",
    "push.note": "📝 Catatan: {note}",
    "push.map_link": '<a href="{url}">lihat peta</a>',
    # customer
    "push.paid": (
        "✅ <b>Pembayaran diterima!</b>\n"
        "Pesanan <code>{order_id}</code> sudah lunas. Terima kasih 🙏\n\n"
        "{summary}\n\n{fulfilment}\n\n"
        "Penjual akan segera memproses pesananmu."
    ),
    "push.expired": (
        "⌛ Waktu bayar pesanan <code>{order_id}</code> ({total}) sudah habis, jadi pesanan "
        "dibatalkan. Kode bayarnya tidak bisa dipakai lagi.\n\nMau pesan yang sama lagi?"
    ),
    "push.cancelled": (
        "❎ Pesanan <code>{order_id}</code> ({total}) sudah dibatalkan. Kode bayarnya tidak "
        "berlaku lagi."
    ),
    "push.failed": (
        "❌ Pembayaran pesanan <code>{order_id}</code> ({total}) ditolak, jadi pesanan "
        "dibatalkan. Silakan pesan lagi kalau masih mau."
    ),
    "push.charge_failed": (
        "❌ Maaf, kode bayar untuk pesanan <code>{order_id}</code> tidak berhasil dibuat, jadi "
        "pesanan dibatalkan. Belum ada uang yang ditarik. Silakan coba pesan lagi."
    ),
    "push.reversed": (
        "⚠️ <b>Pembayaran dibatalkan</b>\n"
        "Pembayaran pesanan <code>{order_id}</code> ({total}) dibatalkan oleh bank/Indomaret "
        "(reversal), jadi pesanan tidak bisa diproses. Kalau uangmu sudah terpotong, simpan "
        "struk Indomaret dan hubungi penjual."
    ),
    "push.refunded": (
        "↩️ Dana pesanan <code>{order_id}</code> ({total}) sudah dikembalikan (refund)."
    ),
    "push.button.reorder": "🔁 Pesan lagi",
    # seller
    "push.seller.paid": (
        "🛒 <b>Pesanan baru lunas</b>\n"
        "<code>{order_id}</code>\n\n"
        "{summary}\n\n"
        "👤 {name}\n📞 {phone}\n{fulfilment}{note}"
    ),
    "push.seller.reversed": (
        "⚠️ <b>Pembayaran dibatalkan (reversal)</b>\n"
        "Pesanan <code>{order_id}</code> ({total}, {name}) tidak jadi lunas: bank/Indomaret "
        "membatalkan pembayarannya. <b>Jangan serahkan barangnya.</b> Stok sudah dikembalikan."
    ),
    "push.seller.reversed_handed_over": (
        "⚠️ <b>Pembayaran dibatalkan (reversal)</b>\n"
        "Pesanan <code>{order_id}</code> ({total}, {name}) sudah diserahkan, tetapi "
        "bank/Indomaret membatalkan pembayarannya, jadi uangnya tidak masuk. Hubungi pembeli. "
        "Stok tidak dikembalikan karena barangnya sudah keluar dari toko."
    ),
    "push.seller.late_payment": (
        "⚠️ <b>Pembayaran masuk untuk pesanan yang sudah ditutup</b>\n"
        "Midtrans melaporkan pembayaran {total} untuk pesanan <code>{order_id}</code>, padahal "
        "pesanan itu sudah ditutup. Cek di dashboard Midtrans dan hubungi pembeli "
        "({name}, {phone})."
    ),
    "push.button.fulfil": "✅ Tandai selesai",
}

EN: dict[str, str] = {
    "push.line": "• {name} × {quantity} = {amount}",
    "push.more_lines": "• … and {count} more items",
    "push.fee": "Delivery fee: {amount}",
    "push.total": "<b>Total: {amount}</b>",
    "push.pickup": "🏪 Pick-up at the shop.",
    "push.delivery": "🛵 Delivery to: {address}",
    "push.note": "📝 Note: {note}",
    "push.map_link": '<a href="{url}">see map</a>',
    "push.paid": (
        "✅ <b>Payment received!</b>\n"
        "Order <code>{order_id}</code> is paid. Thank you 🙏\n\n"
        "{summary}\n\n{fulfilment}\n\n"
        "The seller will prepare your order shortly."
    ),
    "push.expired": (
        "⌛ The time to pay for order <code>{order_id}</code> ({total}) has run out, so the "
        "order was cancelled. Its payment code can no longer be used.\n\n"
        "Order the same again?"
    ),
    "push.cancelled": (
        "❎ Order <code>{order_id}</code> ({total}) is cancelled. Its payment code is no longer "
        "valid."
    ),
    "push.failed": (
        "❌ The payment for order <code>{order_id}</code> ({total}) was declined, so the order "
        "was cancelled. Feel free to order again."
    ),
    "push.charge_failed": (
        "❌ Sorry, we could not create a payment code for order <code>{order_id}</code>, so the "
        "order was cancelled. No money was taken. Please try ordering again."
    ),
    "push.reversed": (
        "⚠️ <b>Payment reversed</b>\n"
        "The payment for order <code>{order_id}</code> ({total}) was reversed by the bank or "
        "Indomaret, so the order cannot go ahead. If you were charged, keep your Indomaret "
        "receipt and contact the seller."
    ),
    "push.refunded": "↩️ The payment for order <code>{order_id}</code> ({total}) was refunded.",
    "push.button.reorder": "🔁 Order again",
    "push.seller.paid": (
        "🛒 <b>New paid order</b>\n"
        "<code>{order_id}</code>\n\n"
        "{summary}\n\n"
        "👤 {name}\n📞 {phone}\n{fulfilment}{note}"
    ),
    "push.seller.reversed": (
        "⚠️ <b>Payment reversed</b>\n"
        "Order <code>{order_id}</code> ({total}, {name}) is no longer paid: the bank or "
        "Indomaret reversed the payment. <b>Do not hand over the goods.</b> The stock was "
        "put back."
    ),
    "push.seller.reversed_handed_over": (
        "⚠️ <b>Payment reversed</b>\n"
        "Order <code>{order_id}</code> ({total}, {name}) was already handed over, but the bank "
        "or Indomaret reversed the payment, so the money did not come in. Contact the customer. "
        "The stock was not put back: the goods have left the shop."
    ),
    "push.seller.late_payment": (
        "⚠️ <b>Payment received for a closed order</b>\n"
        "Midtrans reports a payment of {total} for order <code>{order_id}</code>, which was "
        "already closed. Check the Midtrans dashboard and contact the customer ({name}, {phone})."
    ),
    "push.button.fulfil": "✅ Mark fulfilled",
}
