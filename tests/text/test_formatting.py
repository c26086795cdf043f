"""Durations and order lines as customers read them."""

from datetime import timedelta

from bot.text.formatting import escape, format_duration, split_message


def test_durations_read_naturally() -> None:
    assert format_duration(timedelta(hours=24), "id") == "24 jam"
    assert format_duration(timedelta(days=2), "id") == "2 hari"
    assert format_duration(timedelta(hours=2), "en") == "2 hours"
    assert format_duration(timedelta(minutes=90), "id") == "90 menit"
    assert format_duration(timedelta(seconds=45), "en") == "45 seconds"


def test_escape_keeps_user_text_literal() -> None:
    assert escape("<b>Kopi & Teh</b>") == "&lt;b&gt;Kopi &amp; Teh&lt;/b&gt;"
    assert escape(None) == ""


def test_split_message_cuts_at_line_ends_within_the_limit() -> None:
    text = "\n".join(f"• {n}× Produk nomor {n} — Rp{n}.000" for n in range(1, 400))
    parts = split_message(text, limit=4096)
    assert len(parts) > 1
    assert all(len(part) <= 4096 for part in parts)
    assert "\n".join(parts) == text


def test_split_message_keeps_a_short_text_whole() -> None:
    assert split_message("Halo") == ["Halo"]
    assert split_message("x" * 5000, limit=4096) == ["x" * 4096, "x" * 904]
