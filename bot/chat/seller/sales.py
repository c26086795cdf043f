"""``/sales`` (summary plus a revenue-per-day chart) and ``/export`` (the orders as a CSV file).

Days are WIB days. Sales count paid and fulfilled orders by their payment time; the export lists
every order created in the range, whatever its status.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from telegram import Update

from bot.chat.common import reply, user_lang
from bot.chat.seller.common import (
    Context,
    args_of,
)
from bot.rules.clock import WIB
from bot.rules.money import format_rupiah
from bot.rules.orders import SOLD
from bot.shop.sales import (
    REPORT_FIRST_DAY,
    REPORT_LAST_DAY,
    fill_days,
    orders_csv,
    sales_chart,
    within_report_span,
)
from bot.text import phrases
from bot.text.fields import parse_date_range
from bot.text.formatting import escape
from storage import Order, Tx

MAX_DAYS = 366
EXPORT_PAGE = 500
EXPORT_MAX = 20_000
CAPTION_LIMIT = 1024


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0), WIB)


def _day(day: date, lang: str) -> str:
    return f"{day.day} {phrases.t(lang, f'slip.month.{day.month}')} {day.year}"


def period_label(first: date, last: date, lang: str) -> str:
    if first == last:
        return _day(first, lang)
    return f"{_day(first, lang)} – {_day(last, lang)}"


async def _out_of_span(update: Update, lang: str) -> None:
    first, last = _day(REPORT_FIRST_DAY, lang), _day(REPORT_LAST_DAY, lang)
    await reply(update, phrases.t(lang, "admin.report.out_of_span", first=first, last=last))


async def sales(update: Update, context: Context) -> None:
    lang = user_lang(update)
    svc = context.services
    today = svc.clock().astimezone(WIB).date()
    arg = args_of(update)
    window = parse_date_range(arg, today) if arg else (today, today)
    if window is not None and not within_report_span(*window):
        await _out_of_span(update, lang)
        return
    if window is None or (window[1] - window[0]).days >= MAX_DAYS:
        await reply(update, phrases.t(lang, "admin.sales.usage"))
        return
    first, last = window
    report = await svc.store.run(Tx.sales, SOLD, _start(first), _start(last + timedelta(days=1)))
    period = period_label(first, last, lang)
    if report.paid_count == 0:
        await reply(update, phrases.t(lang, "admin.sales.none", period=period))
        return
    lines = [
        phrases.t(lang, "admin.sales.title", period=period),
        phrases.t(lang, "admin.sales.count", count=report.paid_count),
        phrases.t(lang, "admin.sales.revenue", revenue=format_rupiah(report.revenue)),
    ]
    if report.top_products:
        lines += ["", phrases.t(lang, "admin.sales.top")]
        for rank, (name, quantity, revenue) in enumerate(report.top_products, start=1):
            lines.append(
                phrases.t(
                    lang,
                    "admin.sales.top_line",
                    rank=rank,
                    name=escape(name[:40]),
                    quantity=quantity,
                    revenue=format_rupiah(revenue),
                )
            )
    caption = "\n".join(lines)
    chart = sales_chart(
        fill_days(report.revenue_by_day, first, last),
        phrases.t(lang, "admin.chart.title", period=period),
        lang,
    )
    chat = update.effective_chat
    assert chat is not None
    if len(caption) <= CAPTION_LIMIT:
        await chat.send_photo(chart, caption=caption)
    else:  # cannot happen with five short lines, but never let Telegram refuse the report
        await chat.send_photo(chart)
        await reply(update, caption)


async def export(update: Update, context: Context) -> None:
    lang = user_lang(update)
    svc = context.services
    today = svc.clock().astimezone(WIB).date()
    arg = args_of(update)
    since = until = None
    if arg:
        window = parse_date_range(arg, today)
        if window is None:
            await reply(update, phrases.t(lang, "admin.export.usage"))
            return
        if not within_report_span(*window):
            await _out_of_span(update, lang)
            return
        since, until = _start(window[0]), _start(window[1] + timedelta(days=1))
        period = period_label(window[0], window[1], lang)
        filename = f"pesanan-{window[0].isoformat()}-{window[1].isoformat()}.csv"
    else:
        period = phrases.t(lang, "admin.export.all")
        filename = f"pesanan-{today.isoformat()}.csv"
    found: list[Order] = []
    while len(found) < EXPORT_MAX:
        page = await svc.store.run(
            Tx.orders,
            since=since,
            until=until,
            limit=EXPORT_PAGE,
            offset=len(found),
            newest_first=False,
        )
        found += page
        if len(page) < EXPORT_PAGE:
            break
    if not found:
        await reply(update, phrases.t(lang, "admin.export.none", period=period))
        return
    data = orders_csv(found[:EXPORT_MAX], lang)
    chat = update.effective_chat
    assert chat is not None
    caption = phrases.t(
        lang,
        "admin.export.caption",
        period=period,
        count=len(found[:EXPORT_MAX]),
        total=format_rupiah(sum(o.gross_amount for o in found[:EXPORT_MAX] if o.status in SOLD)),
    )
    await chat.send_document(data, filename=filename, caption=caption)
