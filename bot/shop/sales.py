"""Sales reports for the seller: a revenue-per-day bar chart and the orders as a CSV file.

Pure functions (no I/O): the handlers load the data, these turn it into bytes to send.

CSV choice: UTF-8 with a BOM (so Excel reads accents and emoji) and ``;`` between fields. Excel
with Indonesian regional settings uses ``,`` as the decimal mark and ``;`` as its list separator,
so a ``;`` file opens in columns on a double click there; LibreOffice and Google Sheets detect
either. Amounts are plain integers (no ``Rp``, no thousands dots) so they stay numbers in any
locale, and times are ``YYYY-MM-DD HH:MM`` in WIB, which spreadsheets read as date-times.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from PIL import Image, ImageDraw, ImageFont

from bot.rules.clock import WIB
from bot.text import phrases
from bot.text.formatting import display_phone
from storage import Order

CSV_DELIMITER = ";"
CSV_COLUMNS = (
    "order_id",
    "created",
    "paid",
    "fulfilled",
    "status",
    "customer",
    "phone",
    "email",
    "fulfilment",
    "address",
    "note",
    "items",
    "quantity",
    "subtotal",
    "delivery_fee",
    "total",
    "payment_code",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

REPORT_FIRST_DAY = date(2000, 1, 1)
REPORT_LAST_DAY = date(2099, 12, 31)
"""Reports cover days in this span: a typed "0001-01-01" or "9999-12-31" is a mistake (and
would overflow the date arithmetic), not a period anyone sold in."""

CHART_SIZE = (900, 480)
_BAR = (46, 125, 50)
_BAR_EMPTY = (200, 200, 200)
_INK = (33, 33, 33)
_GRID = (225, 225, 225)
_MUTED = (110, 110, 110)


def within_report_span(first: date, last: date) -> bool:
    """Whether a report period lies inside ``REPORT_FIRST_DAY``..``REPORT_LAST_DAY``."""
    return REPORT_FIRST_DAY <= first and last <= REPORT_LAST_DAY


# --- chart ---------------------------------------------------------------------------------


def days_between(since: date, until: date) -> list[date]:
    """Every day from ``since`` to ``until``, both included."""
    return [since + timedelta(days=n) for n in range((until - since).days + 1)]


def fill_days(
    by_day: Iterable[tuple[str, int]], since: date, until: date
) -> list[tuple[date, int]]:
    """Revenue for every day of the window; days without sales get 0 (a gap is information)."""
    known = {date.fromisoformat(day): amount for day, amount in by_day}
    return [(day, known.get(day, 0)) for day in days_between(since, until)]


def short_rupiah(amount: int, lang: str) -> str:
    """Bar labels must be short: ``Rp950``, ``Rp18rb``, ``Rp1,2jt`` (``Rp18k``, ``Rp1.2M``)."""
    for size, unit in ((1_000_000_000, "bn"), (1_000_000, "m"), (1_000, "k")):
        if amount >= size:
            value = f"{amount / size:.1f}".rstrip("0").rstrip(".")
            if lang != "en":
                value = value.replace(".", ",")
            return "Rp" + value + phrases.t(lang, f"admin.chart.unit_{unit}")
    return f"Rp{amount}"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _text_width(draw: ImageDraw.ImageDraw, text: str, font: object) -> float:
    return draw.textlength(text, font=font)  # type: ignore[arg-type]


def sales_chart(days: Sequence[tuple[date, int]], title: str, lang: str) -> bytes:
    """A PNG bar chart of revenue per day, with the amount over each bar and dates below."""
    width, height = CHART_SIZE
    image = Image.new("RGB", CHART_SIZE, "white")
    draw = ImageDraw.Draw(image)
    title_font, label_font, small_font = _font(26), _font(16), _font(14)
    # Pillow's bundled font lacks some dashes; a plain hyphen reads the same on a chart.
    title = title.replace("\u2013", "-").replace("\u2014", "-")
    draw.text((30, 20), title, fill=_INK, font=title_font)

    left, right, top, bottom = 90, width - 30, 80, height - 60
    peak = max((amount for _, amount in days), default=0)
    scale_top = _nice_ceiling(peak)
    for step in range(5):
        value = scale_top * step // 4
        y = bottom - (bottom - top) * step / 4
        draw.line([(left, y), (right, y)], fill=_GRID, width=1)
        label = short_rupiah(value, lang) if value else "0"
        draw.text(
            (left - 10 - _text_width(draw, label, small_font), y - 8),
            label,
            fill=_MUTED,
            font=small_font,
        )
    draw.line([(left, bottom), (right, bottom)], fill=_INK, width=2)

    count = max(len(days), 1)
    slot = (right - left) / count
    bar_width = max(2.0, min(slot * 0.7, 80.0))
    label_every = max(1, -(-count // 12))  # at most about 12 date labels
    show_values = count <= 16
    for index, (day, amount) in enumerate(days):
        center = left + slot * (index + 0.5)
        bar_top = bottom - (bottom - top) * (amount / scale_top if scale_top else 0)
        if amount > 0:
            draw.rectangle(
                [(center - bar_width / 2, bar_top), (center + bar_width / 2, bottom - 1)],
                fill=_BAR,
            )
            if show_values or amount == peak:
                shown = short_rupiah(amount, lang)
                half = _text_width(draw, shown, label_font) / 2
                x = min(max(center - half, 2), width - 2 * half - 2)
                draw.text(
                    (x, bar_top - 22),
                    shown,
                    fill=_INK,
                    font=label_font,
                )
        else:
            draw.line(
                [(center - bar_width / 2, bottom - 1), (center + bar_width / 2, bottom - 1)],
                fill=_BAR_EMPTY,
                width=3,
            )
        if index % label_every == 0:
            label = f"{day.day:02d}/{day.month:02d}"
            draw.text(
                (center - _text_width(draw, label, small_font) / 2, bottom + 8),
                label,
                fill=_MUTED,
                font=small_font,
            )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _nice_ceiling(value: int, lines: int = 4) -> int:
    """A top for the scale so that each of the ``lines`` grid steps is a round amount."""
    if value <= 0:
        return 0
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for size in (magnitude // 100, magnitude // 10, magnitude):
        for factor in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8):
            step = max(int(size * factor), 1)
            if step * lines >= value:
                return step * lines
    return magnitude * 10 * lines


# --- CSV -----------------------------------------------------------------------------------


def _wib(moment: datetime | None) -> str:
    return moment.astimezone(WIB).strftime("%Y-%m-%d %H:%M") if moment else ""


def _cell(text: str | None) -> str:
    """Text as typed, except that a leading ``=``/``+``/``-``/``@`` cannot start a formula."""
    value = (text or "").replace("\r\n", "\n")
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def csv_header(lang: str) -> list[str]:
    return [phrases.t(lang, f"admin.csv.{column}") for column in CSV_COLUMNS]


def csv_row(order: Order, lang: str) -> list[str | int]:
    items = ", ".join(f"{item.quantity}x {item.name}" for item in order.items)
    return [
        order.id,
        _wib(order.created_at),
        _wib(order.paid_at),
        _wib(order.fulfilled_at),
        phrases.t(lang, f"status.{order.status}"),
        _cell(order.customer_name),
        _cell(display_phone(order.customer_phone) if order.customer_phone else ""),
        _cell(order.customer_email),
        phrases.t(lang, _fulfilment_key(order)),
        _cell(order.address),
        _cell(order.note),
        _cell(items),
        sum(item.quantity for item in order.items),
        order.subtotal,
        order.delivery_fee,
        order.gross_amount,
        order.charge.payment_code if order.charge else "",
    ]


def _fulfilment_key(order: Order) -> str:
    return "admin.fulfilment." + ("delivery" if order.fulfilment == "delivery" else "pickup")


def orders_csv(orders: Iterable[Order], lang: str) -> bytes:
    """The orders as an Excel-friendly CSV file (see the module docstring for the format)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(csv_header(lang))
    for order in orders:
        writer.writerow(csv_row(order, lang))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
