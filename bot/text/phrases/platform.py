"""Platform onboarding: what a seller reads when a pasted bot token or Midtrans key is refused.
HTML; no user-provided value is put into these texts."""

ID: dict[str, str] = {
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
