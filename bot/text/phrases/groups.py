"""Group chats and the staff group, the reversal-window warning, abandoned checkouts. HTML;
callers escape every user-provided value."""

ID: dict[str, str] = {
    # shopping in a group
    "group.private_only": (
        "🔒 Belanja dan pesanan hanya lewat chat pribadi dengan saya, supaya nama, nomor HP, "
        "dan kode bayar Anda tidak terlihat di grup. Ketuk tombol di bawah."
    ),
    "group.private_only_short": "Belanja lewat chat pribadi dengan bot.",
    "group.button.open_private": "💬 Buka chat pribadi",
    # the staff group
    "group.link.done": (
        "✅ Grup <b>{title}</b> sekarang grup staf toko: pesanan lunas dikirim ke sini juga, "
        "dan admin toko bisa menandainya selesai. Atur di /shop (chat pribadi dengan bot); "
        "/unlinkgroup untuk melepas."
    ),
    "group.link.already": "Grup <b>{title}</b> sudah menjadi grup staf toko.",
    "group.link.not_admin": "Hanya admin toko yang bisa menautkan atau melepas grup staf.",
    "group.link.not_member": (
        "Anda harus menjadi anggota grup ini untuk menautkannya. Gabung dulu, lalu kirim "
        "/linkgroup lagi."
    ),
    "group.link.anonymous": (
        "Anda mengirim sebagai admin anonim, jadi saya tidak tahu siapa Anda. Matikan "
        "“Tetap anonim” di hak admin grup, lalu kirim /linkgroup lagi."
    ),
    "group.link.how": (
        "<b>Grup staf</b>\n"
        "Tambahkan @{bot} ke grup staf Anda, lalu kirim /linkgroup di grup itu. Pesanan lunas "
        "akan dikirim ke grup, dan admin toko bisa menandainya selesai dari sana."
    ),
    "group.unlink.done": "Grup <b>{title}</b> dilepas. Pesanan lunas hanya dikirim ke admin.",
    "group.unlink.not_linked": "Grup ini bukan grup staf toko.",
    "group.unlink.none": "Belum ada grup staf yang ditautkan.",
    "group.fulfil.admins_only": "Hanya admin toko yang bisa menandai pesanan selesai.",
    "group.fulfil.by": "{done}\n(oleh {name})",
    "group.card.none": "Grup staf: belum ada (/linkgroup)",
    "group.card.linked": "Grup staf: <b>{title}</b> — pesanan lunas dikirim {where}",
    "group.card.both": "ke grup dan ke admin",
    "group.card.only": "hanya ke grup",
    "group.button.only": "👥 Kirim hanya ke grup",
    "group.button.both": "👥 Kirim ke grup dan admin",
    # fulfilling inside the reversal window
    "fulfil.window.warning": (
        "⚠️ Pesanan {order_id} ({total}) baru dibayar {paid} WIB. Indomaret masih bisa "
        "membatalkan pembayaran ini sampai sekitar <b>{until} WIB</b>; kalau itu terjadi setelah "
        "barang diserahkan, uangnya tidak Anda terima.\n\nTetap tandai selesai sekarang?"
    ),
    "fulfil.window.button_sure": "✅ Ya, tandai selesai",
    "fulfil.window.button_back": "↩️ Nanti saja",
    # abandoned checkouts
    "checkout.timed_out": (
        "⌛ Checkout tadi saya batalkan karena lama tidak dilanjutkan. Keranjang Anda masih "
        "tersimpan: ketuk tombol di bawah untuk melanjutkan."
    ),
    "checkout.timed_out.button": "🛒 Lihat keranjang",
}

EN: dict[str, str] = {
    "group.private_only": (
        "🔒 Shopping and orders happen in a private chat with me only, so your name, phone "
        "number and payment code stay out of the group. Tap the button below."
    ),
    "group.private_only_short": "Shop in a private chat with the bot.",
    "group.button.open_private": "💬 Open private chat",
    "group.link.done": (
        "✅ <b>{title}</b> is now the shop's staff group: paid orders are posted here too, and "
        "the shop's admins can mark them fulfilled. Settings in /shop (private chat with the "
        "bot); /unlinkgroup to unlink."
    ),
    "group.link.already": "<b>{title}</b> is already the shop's staff group.",
    "group.link.not_admin": "Only the shop's admins can link or unlink the staff group.",
    "group.link.not_member": (
        "You must be a member of this group to link it. Join it, then send /linkgroup again."
    ),
    "group.link.anonymous": (
        "You are posting as an anonymous admin, so I cannot tell who you are. Turn off "
        "“Remain anonymous” in your admin rights, then send /linkgroup again."
    ),
    "group.link.how": (
        "<b>Staff group</b>\n"
        "Add @{bot} to your staff group, then send /linkgroup in that group. Paid orders will "
        "be posted there, and the shop's admins can mark them fulfilled from there."
    ),
    "group.unlink.done": "<b>{title}</b> is unlinked. Paid orders go to the admins only.",
    "group.unlink.not_linked": "This group is not the shop's staff group.",
    "group.unlink.none": "No staff group is linked.",
    "group.fulfil.admins_only": "Only the shop's admins can mark orders fulfilled.",
    "group.fulfil.by": "{done}\n(by {name})",
    "group.card.none": "Staff group: none (/linkgroup)",
    "group.card.linked": "Staff group: <b>{title}</b> — paid orders go {where}",
    "group.card.both": "to the group and the admins",
    "group.card.only": "to the group only",
    "group.button.only": "👥 Send to the group only",
    "group.button.both": "👥 Send to the group and admins",
    "fulfil.window.warning": (
        "⚠️ Order {order_id} ({total}) was paid just now, {paid} WIB. Indomaret can still "
        "reverse this payment until about <b>{until} WIB</b>; if that happens after you hand "
        "the goods over, you do not get the money.\n\nMark it fulfilled now anyway?"
    ),
    "fulfil.window.button_sure": "✅ Yes, mark fulfilled",
    "fulfil.window.button_back": "↩️ Not now",
    "checkout.timed_out": (
        "⌛ I cancelled your checkout because it was not finished for a long time. Your cart "
        "is still saved: tap the button below to carry on."
    ),
    "checkout.timed_out.button": "🛒 View cart",
}
