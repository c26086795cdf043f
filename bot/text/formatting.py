"""Small pure helpers that turn orders and durations into catalogue text."""

from __future__ import annotations

import html
from datetime import datetime, timedelta

from bot.rules.clock import WIB
from bot.rules.money import format_rupiah
from bot.text import phrases
from bot.text.fields import parse_phone
from storage import Order, OrderItem

TEXT_LIMIT = 4096  # a message's text, in UTF-16 code units
CAPTION_LIMIT = 1024  # a photo's caption


def escape(text: str | None) -> str:
    """User text goes into HTML messages escaped, always."""
    return html.escape(text or "", quote=False)


def format_duration(duration: timedelta, lang: str) -> str:
    """``24 jam``, ``2 hari``, ``90 menit``: the largest unit that divides it exactly."""
    seconds = int(duration.total_seconds())
    for unit, size in (("days", 86_400), ("hours", 3_600), ("minutes", 60)):
        if unit == "days" and seconds < 2 * size:
            continue  # "24 jam" reads better than "1 hari"
        if seconds and seconds % size == 0:
            return phrases.t(lang, f"duration.{unit}", n=seconds // size)
    return phrases.t(lang, "duration.seconds", n=seconds)


def status_label(status: str, lang: str) -> str:
    return phrases.t(lang, f"status.{status}")


def cart_line(lang: str, quantity: int, name: str, total: int) -> str:
    """``• 2× Kopi susu — Rp36.000``: one line of a cart, a summary or an order."""
    return phrases.t(
        lang, "cart.line", quantity=quantity, name=escape(name), total=format_rupiah(total)
    )


def item_lines(items: tuple[OrderItem, ...], lang: str, limit: int = 40) -> str:
    """One line per item; very long orders are cut with a count so messages stay short."""
    lines = [cart_line(lang, i.quantity, i.name, i.total) for i in items[:limit]]
    if len(items) > limit:
        lines.append(f"… +{len(items) - limit}")
    return "\n".join(lines)


def order_lines(order: Order, lang: str) -> str:
    lines = item_lines(order.items, lang)
    if order.delivery_fee:
        lines += "\n" + phrases.t(lang, "summary.fee", fee=format_rupiah(order.delivery_fee))
    return lines


def split_message(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut a long text at line ends into parts Telegram accepts (4,096 characters each).

    A long cart or summary is sent as several messages rather than losing its end. Lines are
    short and carry whole HTML tags, so cutting between lines never breaks the markup.
    """
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # one absurdly long line: cut it hard
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current.strip() or not parts:
        parts.append(current)
    return [part for part in parts if part.strip()] or [text[:limit]]


def telegram_length(text: str) -> int:
    """Telegram counts UTF-16 code units; the HTML source is never shorter than what it shows."""
    return len(text.encode("utf-16-le")) // 2


def fit_message(text: str, limit: int = TEXT_LIMIT) -> str:
    """The one message a text must stay (an edit, a caption, a push): cut at a line end, marked
    with an ellipsis. The same line-end cutting as ``split_message``, which sends the rest."""
    if telegram_length(text) <= limit:
        return text
    budget = limit - 2
    while True:
        cut = split_message(text, budget)[0] + "\n…"
        if telegram_length(cut) <= limit or budget <= 1:
            return cut
        budget -= max(1, telegram_length(cut) - limit)


def display_phone(phone: str) -> str:
    """Local, readable form ("0812-3456-7890") of a stored number; unparseable input is echoed."""
    normalised = parse_phone(phone)
    if normalised is None:
        return phone
    local = "0" + normalised[3:]
    head, rest = local[:4], local[4:]
    middle = 3 if len(rest) == 6 else 4
    return f"{head}-{rest[:middle]}-{rest[middle:]}"


def format_wib(moment: datetime, lang: str = "id") -> str:
    """``26 Nov 2026 15:30`` in Western Indonesian Time, with month names from the catalogue."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("expires_at must be timezone-aware")
    local = moment.astimezone(WIB)
    return phrases.t(
        lang,
        "slip.datetime",
        day=local.day,
        month=phrases.t(lang, f"slip.month.{local.month}"),
        year=local.year,
        time=f"{local:%H:%M}",
    )
