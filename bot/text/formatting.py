"""Small pure helpers that turn orders and durations into catalogue text."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.rules.clock import WIB
from bot.rules.money import format_rupiah
from bot.text import phrases
from bot.text.fields import parse_phone
from storage import Order, OrderItem

TEXT_LIMIT = 4096  # a message's text, in UTF-16 code units
CAPTION_LIMIT = 1024  # a photo's caption
ELLIPSIS = "…"
_TAG_RE = re.compile(r"<[^>]*>")
_OPEN_ENTITY_RE = re.compile(r"&#?[0-9A-Za-z]{0,10}$")


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
            cut = _entity_safe_cut(line, limit)
            parts.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current.strip() or not parts:
        parts.append(current)
    return [part for part in parts if part.strip()] or [text[:limit]]


def _entity_safe_cut(line: str, limit: int) -> int:
    """Where to cut ``line`` at most ``limit`` characters in without splitting ``&amp;`` & co."""
    opened = _OPEN_ENTITY_RE.search(line[:limit])
    return opened.start() if opened and opened.start() > 0 else limit


def telegram_length(text: str) -> int:
    """Telegram counts UTF-16 code units; the HTML source is never shorter than what it shows."""
    return len(text.encode("utf-16-le")) // 2


def shown_length(html_text: str) -> int:
    """What Telegram counts against its limits for an HTML text: the characters it shows (tags
    dropped, entities decoded), in UTF-16 code units."""
    return telegram_length(html.unescape(_TAG_RE.sub("", html_text)))


def cut_text(text: str, limit: int) -> str:
    """Plain user text cut to at most ``limit`` UTF-16 units, marked with an ellipsis when cut.

    Cut before escaping: a cut inside the escaped form could split ``&amp;`` or leave a tag open,
    which Telegram refuses ("can't parse entities") or shows garbled.
    """
    if telegram_length(text) <= limit:
        return text
    kept: list[str] = []
    used = telegram_length(ELLIPSIS)
    for char in text:
        used += telegram_length(char)
        if used > limit:
            break
        kept.append(char)
    return "".join(kept).rstrip() + ELLIPSIS if limit >= telegram_length(ELLIPSIS) else ""


def fit_user_text(render: Callable[[str], str], text: str, limit: int) -> str:
    """``render(escaped text)`` with as much of the user's ``text`` as fits ``limit`` shown
    characters (a caption: 1,024). Everything ``render`` puts around it (a product card's
    quantity line) always stays whole; only the user's text is shortened, before escaping."""
    room = limit - shown_length(render(""))
    while True:
        rendered = render(escape(cut_text(text, room)))
        if shown_length(rendered) <= limit or room <= 0:
            return rendered
        room -= shown_length(rendered) - limit


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
