"""Texts shared by every area: money, errors, generic buttons."""

ID: dict[str, str] = {
    "error.generic": "Maaf, ada gangguan. Coba lagi sebentar lagi ya.",
    "error.stale_button": "Tombol ini sudah tidak berlaku. Ketik /start untuk mulai lagi.",
    "button.back": "« Kembali",
    "button.cancel": "Batal",
}

EN: dict[str, str] = {
    "error.generic": "Sorry, something went wrong. Please try again in a moment.",
    "error.stale_button": "This button is no longer valid. Send /start to begin again.",
    "button.back": "« Back",
    "button.cancel": "Cancel",
}
