"""Platform mode: what a seller reads in the platform's own bot (/newshop, /myshops) and when a
pasted bot token or Midtrans key is refused. HTML; the bot username and a suspension reason are
escaped by the caller before they are put in."""

ID: dict[str, str] = {
    "platform.command.newshop": "Buat toko baru",
    "platform.command.myshops": "Toko Anda",
    "platform.command.cancel": "Batalkan langkah ini",
    "platform.bot.welcome": (
        "Selamat datang! Di sini Anda membuat toko Telegram sendiri yang menerima pembayaran di "
        "Indomaret lewat Midtrans.\n\n"
        "/newshop: buat toko baru (butuh bot dari @BotFather dan Server Key Midtrans)\n"
        "/myshops: toko Anda: jeda, lanjutkan, hapus, ganti key atau token\n"
        "/cancel: batalkan langkah yang sedang berjalan"
    ),
    "platform.newshop.ask_token": (
        "<b>Langkah 1 dari 2: bot toko Anda</b>\n"
        "1. Buka @BotFather dan kirim /newbot.\n"
        "2. Pilih nama toko, lalu username yang berakhiran <code>bot</code>.\n"
        "3. BotFather membalas dengan token, misalnya <code>123456789:AAE...</code>.\n"
        "Salin token itu dan tempel di sini. Pesan Anda saya hapus setelah dibaca, supaya token "
        "tidak terlihat di chat. /cancel untuk batal."
    ),
    "platform.newshop.ask_key": (
        "Bot @{username} sudah tersambung.\n\n"
        "<b>Langkah 2 dari 2: Server Key Midtrans</b>\n"
        "Buka dashboard Midtrans → Settings → Access Keys dan salin <b>Server Key</b> (bukan "
        "Client Key).\n"
        "• <b>Sandbox</b> (diawali <code>SB-Mid-server-</code>): untuk uji coba, tidak ada uang "
        "sungguhan. Akun sandbox bisa dibuat siapa saja.\n"
        "• <b>Production</b> (diawali <code>Mid-server-</code>): uang sungguhan. Harus akun "
        "Midtrans Anda sendiri yang sudah disetujui Midtrans, dengan channel Indomaret aktif; "
        "kalau belum, Midtrans menolak setiap pembayaran (402).\n"
        "Tempel key di sini; pesan Anda saya hapus setelah dibaca."
    ),
    "platform.newshop.live": (
        "Toko Anda @{username} sudah buka ({environment}).\n"
        "Buka @{username} dan kirim /admin untuk mengisi produk dan pengaturan toko. Anda "
        "pemiliknya."
    ),
    "platform.paste_text": "Tempel sebagai teks biasa, ya. /cancel untuk batal.",
    "platform.cancelled": "Dibatalkan. Tidak ada yang diubah.",
    "platform.secret_not_deleted": (
        "Pesan Anda tidak bisa saya hapus: hapus sendiri pesan yang berisi token atau key."
    ),
    "platform.myshops.none": "Anda belum punya toko. Kirim /newshop untuk membuat toko.",
    "platform.myshops.title": "<b>Toko Anda</b> (pilih satu):",
    "platform.shop.card": (
        "<b>@{username}</b>\nStatus: {status}\nMidtrans: {environment}\nDibuat: {created}"
    ),
    "platform.status.active": "buka",
    "platform.status.paused": "dijeda oleh Anda (pembeli tidak dilayani)",
    "platform.status.suspended": "dihentikan oleh platform: {reason}",
    "platform.button.pause": "Jeda toko",
    "platform.button.resume": "Lanjutkan toko",
    "platform.button.delete": "Hapus toko",
    "platform.button.rotate_key": "Ganti Server Key",
    "platform.button.replace_token": "Ganti token bot",
    "platform.button.back": "« Semua toko",
    "platform.button.delete_sure": "Ya, hapus @{username}",
    "platform.button.delete_keep": "Jangan, simpan",
    "platform.shop.delete_ask": (
        "Hapus toko <b>@{username}</b> untuk selamanya?\n"
        "Produk, pesanan, data pembeli dan pengaturannya dihapus dan tidak bisa kembali. Bot "
        "berhenti menjawab; bot itu sendiri tetap milik Anda di @BotFather."
    ),
    "platform.shop.deleted": "Toko @{username} sudah dihapus beserta datanya.",
    "platform.shop.paused": "@{username} dijeda: pembeli tidak dilayani sampai Anda lanjutkan.",
    "platform.shop.resumed": "@{username} buka lagi.",
    "platform.shop.unchanged": "Status toko sudah berubah; ini keadaannya sekarang.",
    "platform.shop.not_yours": "Tombol ini bukan untuk toko Anda.",
    "platform.rotate.ask_key": (
        "Tempel Server Key Midtrans yang baru untuk @{username} (sandbox "
        "<code>SB-Mid-server-</code> atau production <code>Mid-server-</code>; production "
        "harus akun Anda sendiri yang disetujui, dengan channel Indomaret aktif). /cancel untuk "
        "batal."
    ),
    "platform.rotate.done": "Server Key @{username} sudah diganti ({environment}).",
    "platform.replace.ask_token": (
        "Tempel token bot yang baru untuk toko @{username} (dari @BotFather: /mybots → bot → "
        "API Token, atau /newbot). Produk dan pesanan toko tetap. /cancel untuk batal."
    ),
    "platform.replace.done": "Toko Anda sekarang dilayani @{username}.",
    "platform.shop.gone": "Toko ini sudah tidak ada.",
    "platform.suspended": (
        "Toko Anda @{username} dihentikan oleh platform: {reason}\n"
        "Pembeli tidak dilayani sampai masalahnya beres. Kalau token bot diganti di "
        "@BotFather, tempel token baru lewat tombol di bawah."
    ),
    "platform.env.sandbox": "sandbox (uji coba)",
    "platform.env.production": "production (uang sungguhan)",
    "platform.token.format": (
        "Itu bukan token bot. Salin seluruh token dari @BotFather: angka, titik dua, lalu "
        "huruf dan angka, misalnya <code>123456789:AAE...</code>."
    ),
    "platform.token.refused": (
        "Telegram menolak token ini: salah salin, atau sudah diganti. Di @BotFather buka "
        "/mybots → bot Anda → API Token, salin lagi, lalu tempel di sini."
    ),
    "platform.token.taken": (
        "Bot ini sudah tersambung ke toko lain di platform ini. Satu bot hanya untuk satu toko: "
        "buat bot baru dengan /newbot di @BotFather."
    ),
    "platform.token.platform_bot": (
        "Itu token bot platform ini sendiri. Buat bot untuk toko Anda dengan /newbot di "
        "@BotFather, lalu tempel tokennya."
    ),
    "platform.token.later": (
        "Telegram belum menjawab dengan jelas. Token Anda tidak diubah; coba lagi beberapa "
        "menit lagi."
    ),
    "platform.webhook.failed": (
        "Bot Anda belum bisa disambungkan ke platform (Telegram tidak memastikan alamatnya). "
        "Coba lagi beberapa menit lagi."
    ),
    "platform.key.format": (
        "Itu bukan Server Key Midtrans. Server Key diawali <code>SB-Mid-server-</code> "
        "(sandbox) atau <code>Mid-server-</code> (production); lihat dashboard Midtrans → "
        "Settings → Access Keys."
    ),
    "platform.key.client_key": (
        "Itu Client Key. Yang dibutuhkan Server Key (diawali <code>SB-Mid-server-</code> atau "
        "<code>Mid-server-</code>), di halaman yang sama: dashboard Midtrans → Settings → "
        "Access Keys."
    ),
    "platform.key.refused": (
        "Midtrans {environment} menolak key ini: key salah, atau key dari lingkungan lain "
        "(sandbox dan production punya key sendiri-sendiri). Salin lagi Server Key dari "
        "dashboard lingkungan yang sama."
    ),
    "platform.key.environment_not_accepted": (
        "Platform ini hanya menerima key {accepted}. Key yang Anda tempel untuk {environment}."
    ),
    "platform.key.later": (
        "Midtrans belum menjawab dengan jelas, jadi key belum bisa diperiksa. Coba lagi "
        "beberapa menit lagi."
    ),
}

EN: dict[str, str] = {
    "platform.command.newshop": "Make a new shop",
    "platform.command.myshops": "Your shops",
    "platform.command.cancel": "Stop this step",
    "platform.bot.welcome": (
        "Welcome! Here you make your own Telegram shop that takes payment at Indomaret through "
        "Midtrans.\n\n"
        "/newshop: make a new shop (you need a bot from @BotFather and a Midtrans Server Key)\n"
        "/myshops: your shops: pause, resume, delete, replace the key or the token\n"
        "/cancel: stop the step in progress"
    ),
    "platform.newshop.ask_token": (
        "<b>Step 1 of 2: your shop's bot</b>\n"
        "1. Open @BotFather and send /newbot.\n"
        "2. Pick the shop's name, then a username ending in <code>bot</code>.\n"
        "3. BotFather answers with a token, like <code>123456789:AAE...</code>.\n"
        "Copy that token and paste it here. I delete your message once I have read it, so the "
        "token does not stay visible in the chat. /cancel to stop."
    ),
    "platform.newshop.ask_key": (
        "The bot @{username} is connected.\n\n"
        "<b>Step 2 of 2: your Midtrans Server Key</b>\n"
        "Open the Midtrans dashboard → Settings → Access Keys and copy the <b>Server Key</b> "
        "(not the Client Key).\n"
        "• <b>Sandbox</b> (starts with <code>SB-Mid-server-</code>): for testing, no real "
        "money. Anyone can open a sandbox account.\n"
        "• <b>Production</b> (starts with <code>Mid-server-</code>): real money. It must be "
        "your own Midtrans account, approved by Midtrans, with the Indomaret channel active; "
        "otherwise Midtrans refuses every payment (402).\n"
        "Paste the key here; I delete your message once I have read it."
    ),
    "platform.newshop.live": (
        "Your shop @{username} is live ({environment}).\n"
        "Open @{username} and send /admin to add products and set up the shop. You are its "
        "owner."
    ),
    "platform.paste_text": "Please paste it as plain text. /cancel to stop.",
    "platform.cancelled": "Cancelled. Nothing was changed.",
    "platform.secret_not_deleted": (
        "I could not delete your message: please delete the message with the token or key yourself."
    ),
    "platform.myshops.none": "You have no shop yet. Send /newshop to make one.",
    "platform.myshops.title": "<b>Your shops</b> (pick one):",
    "platform.shop.card": (
        "<b>@{username}</b>\nStatus: {status}\nMidtrans: {environment}\nCreated: {created}"
    ),
    "platform.status.active": "open",
    "platform.status.paused": "paused by you (customers are not served)",
    "platform.status.suspended": "stopped by the platform: {reason}",
    "platform.button.pause": "Pause shop",
    "platform.button.resume": "Resume shop",
    "platform.button.delete": "Delete shop",
    "platform.button.rotate_key": "Replace Server Key",
    "platform.button.replace_token": "Replace bot token",
    "platform.button.back": "« All shops",
    "platform.button.delete_sure": "Yes, delete @{username}",
    "platform.button.delete_keep": "No, keep it",
    "platform.shop.delete_ask": (
        "Delete the shop <b>@{username}</b> for good?\n"
        "Its products, orders, customers' details and settings are deleted and cannot come "
        "back. The bot stops answering; the bot itself stays yours in @BotFather."
    ),
    "platform.shop.deleted": "The shop @{username} is deleted with its data.",
    "platform.shop.paused": "@{username} is paused: customers are not served until you resume.",
    "platform.shop.resumed": "@{username} is open again.",
    "platform.shop.unchanged": "The shop's status had changed; this is how it is now.",
    "platform.shop.not_yours": "This button is not for a shop of yours.",
    "platform.rotate.ask_key": (
        "Paste the new Midtrans Server Key for @{username} (sandbox "
        "<code>SB-Mid-server-</code> or production <code>Mid-server-</code>; production must be "
        "your own approved account with the Indomaret channel active). /cancel to stop."
    ),
    "platform.rotate.done": "The Server Key of @{username} is replaced ({environment}).",
    "platform.replace.ask_token": (
        "Paste the new bot token for the shop @{username} (from @BotFather: /mybots → the bot "
        "→ API Token, or /newbot). The shop's products and orders stay. /cancel to stop."
    ),
    "platform.replace.done": "Your shop is now served by @{username}.",
    "platform.shop.gone": "This shop no longer exists.",
    "platform.suspended": (
        "Your shop @{username} was stopped by the platform: {reason}\n"
        "Customers are not served until this is fixed. If you replaced the bot's token in "
        "@BotFather, paste the new one with the button below."
    ),
    "platform.env.sandbox": "sandbox (testing)",
    "platform.env.production": "production (real money)",
    "platform.token.format": (
        "That is not a bot token. Copy the whole token from @BotFather: digits, a colon, then "
        "letters and digits, like <code>123456789:AAE...</code>."
    ),
    "platform.token.refused": (
        "Telegram refused this token: mistyped, or replaced since. In @BotFather open /mybots → "
        "your bot → API Token, copy it again and paste it here."
    ),
    "platform.token.taken": (
        "This bot is already connected to another shop on this platform. One bot serves one "
        "shop: make a new bot with /newbot in @BotFather."
    ),
    "platform.token.platform_bot": (
        "That is this platform's own bot token. Make a bot for your shop with /newbot in "
        "@BotFather, then paste its token."
    ),
    "platform.token.later": (
        "Telegram did not answer clearly. Nothing was changed on your bot; try again in a few "
        "minutes."
    ),
    "platform.webhook.failed": (
        "Your bot could not be connected to the platform yet (Telegram did not confirm the "
        "address). Try again in a few minutes."
    ),
    "platform.key.format": (
        "That is not a Midtrans Server Key. A Server Key starts with "
        "<code>SB-Mid-server-</code> (sandbox) or <code>Mid-server-</code> (production); see "
        "the Midtrans dashboard → Settings → Access Keys."
    ),
    "platform.key.client_key": (
        "That is the Client Key. The Server Key is needed (it starts with "
        "<code>SB-Mid-server-</code> or <code>Mid-server-</code>), on the same page: Midtrans "
        "dashboard → Settings → Access Keys."
    ),
    "platform.key.refused": (
        "Midtrans {environment} refused this key: a wrong key, or one from the other "
        "environment (sandbox and production each have their own keys). Copy the Server Key "
        "again from the dashboard of the same environment."
    ),
    "platform.key.environment_not_accepted": (
        "This platform takes {accepted} keys only. The key you pasted is for {environment}."
    ),
    "platform.key.later": (
        "Midtrans did not answer clearly, so the key could not be checked yet. Try again in a "
        "few minutes."
    ),
}
