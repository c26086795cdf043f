"""Small pure helpers that turn orders and durations into catalogue text."""

from __future__ import annotations

import html
from datetime import timedelta

from bot.rules.money import format_rupiah
from bot.text import phrases
from storage import Order, OrderItem


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


def split_message(text: str, limit: int = 4096) -> list[str]:
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
