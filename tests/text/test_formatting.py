"""Durations and order lines as customers read them."""

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text.formatting import (
    CAPTION_LIMIT,
    cut_text,
    escape,
    fit_user_text,
    format_duration,
    shown_length,
    split_message,
    telegram_length,
)
from devtools.telegram import parse_entities


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


def test_a_hard_cut_never_splits_an_html_entity() -> None:
    line = "&amp;" * 1000
    parts = split_message(line, limit=4096)
    assert "".join(parts) == line
    assert all(part.endswith("&amp;") for part in parts)


def test_cut_text_counts_like_telegram_and_marks_the_cut() -> None:
    assert cut_text("Kopi", 4) == "Kopi"
    assert cut_text("Kopi susu", 5) == "Kopi…"
    assert cut_text("😀😀😀", 5) == "😀😀…"  # an emoji is two UTF-16 units, never halved
    assert cut_text("abc", 0) == ""


@pytest.mark.parametrize(
    "description", ["&" * 1500, "<b>" * 500, "Roti & selai " * 120, "😀&" * 500]
)
def test_fit_user_text_keeps_the_frame_whole_and_fits_the_caption(description: str) -> None:
    def render(text: str) -> str:
        return f"<b>Roti bakar</b>\nRp12.500\n{text}\n\nJumlah: <b>2</b>"

    caption = fit_user_text(render, description, CAPTION_LIMIT)
    shown, _ = parse_entities(caption, "HTML")  # Telegram parses it (raises if it cannot)
    assert telegram_length(shown) <= CAPTION_LIMIT
    assert shown.endswith("Jumlah: 2")
    assert shown_length(caption) == telegram_length(shown)
    assert shown.endswith("…\n\nJumlah: 2")
    assert fit_user_text(render, "&" * 500, CAPTION_LIMIT) == render("&amp;" * 500)  # room to spare


@given(st.text(max_size=1500))
def test_fit_user_text_always_gives_a_caption_telegram_takes(description: str) -> None:
    def render(text: str) -> str:
        return f"<b>Nama</b>\n{text}\n\nJumlah: <b>1</b>"

    caption = fit_user_text(render, description, CAPTION_LIMIT)
    shown, _ = parse_entities(caption, "HTML")
    assert telegram_length(shown) <= CAPTION_LIMIT
    assert shown.endswith("Jumlah: 1")
