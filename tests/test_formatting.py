"""Durations and order lines as customers read them."""

from datetime import timedelta

from bot.formatting import escape, format_duration


def test_durations_read_naturally() -> None:
    assert format_duration(timedelta(hours=24), "id") == "24 jam"
    assert format_duration(timedelta(days=2), "id") == "2 hari"
    assert format_duration(timedelta(hours=2), "en") == "2 hours"
    assert format_duration(timedelta(minutes=90), "id") == "90 menit"
    assert format_duration(timedelta(seconds=45), "en") == "45 seconds"


def test_escape_keeps_user_text_literal() -> None:
    assert escape("<b>Kopi & Teh</b>") == "&lt;b&gt;Kopi &amp; Teh&lt;/b&gt;"
    assert escape(None) == ""
