"""The seller's orders: a filtered, paginated list, one order's full view, and its actions.

Actions go through the same paths as everything else: mark fulfilled through the state machine
(``bot.shop.fulfilment``), cancel and re-check through the payment service (Midtrans cancel / Get
Status, then the state machine), so a seller's tap and a Midtrans notification can never disagree.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime
from typing import Any, cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.chat.common import answer, button, show, user_lang
from bot.chat.seller.common import (
    Context,
    query_parts,
)
from bot.payments.midtrans import MidtransError
from bot.payments.service import PaymentOutcome
from bot.rules.money import format_rupiah
from bot.rules.orders import PENDING, OrderStatus, short_order_ref
from bot.shop.fulfilment import Fulfil, mark_fulfilled
from bot.shop.order_history import order_record
from bot.text import callbacks, phrases
from bot.text.formatting import (
    display_phone,
    escape,
    fit_message,
    format_wib,
    order_lines,
    status_label,
)
from storage import HistoryEntry, Order, PaymentEvent, Tx

logger = logging.getLogger(__name__)

PAGE_SIZE = 8
HISTORY_SHOWN = 12
EVENTS_SHOWN = 8
LAST_LIST = "admin_orders"
FILTERS: dict[str, tuple[str, ...] | None] = {
    "w": (OrderStatus.AWAITING_PAYMENT,),
    "p": (OrderStatus.PAID,),
    "f": (OrderStatus.FULFILLED,),
    "e": (OrderStatus.EXPIRED,),
    "a": None,
}
UNAVAILABLE = PaymentOutcome.UNAVAILABLE
FROM_VIEW = "v"  # third part of af:<order_id>:v: the tap came from the order view
FROM_VIEW_SURE = "vs"  # af:<order_id>:vs: and the seller confirmed inside the reversal window


def _last_list(context: Context) -> tuple[str, int]:
    saved = cast(dict[str, Any], context.user_data).get(LAST_LIST) or ["a", 0]
    return str(saved[0]), int(saved[1])


async def orders(update: Update, context: Context) -> None:
    """``/orders`` and the list buttons ``ao:<filter>:<page>``."""
    await answer(update)
    lang = user_lang(update)
    parts = query_parts(update)
    key = parts[1] if len(parts) > 1 and parts[1] in FILTERS else "a"
    page = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0
    statuses = FILTERS[key]
    store = context.services.store
    total = await store.run(Tx.count_orders, statuses=statuses)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(page, pages - 1)
    cast(dict[str, Any], context.user_data)[LAST_LIST] = [key, page]
    found = await store.run(Tx.orders, statuses=statuses, limit=PAGE_SIZE, offset=page * PAGE_SIZE)
    lines = [
        phrases.t(
            lang, "admin.orders.title", filter=phrases.t(lang, f"admin.filter.{key}"), count=total
        )
    ]
    if not found:
        lines.append(phrases.t(lang, "admin.orders.none"))
    elif pages > 1:
        lines.append(phrases.t(lang, "admin.page", page=page + 1, pages=pages))
    rows: list[list[InlineKeyboardButton]] = [
        [
            button(
                phrases.t(
                    lang,
                    "admin.orders.button",
                    ref=short_order_ref(o.id),
                    total=format_rupiah(o.gross_amount),
                    status=status_label(o.status, lang),
                    name=(o.customer_name or "-")[:20],
                ),
                callbacks.ADMIN_ORDER,
                o.id,
            )
        ]
        for o in found
    ]
    nav = []
    if page > 0:
        nav.append(
            button(phrases.t(lang, "admin.button.prev"), callbacks.ADMIN_ORDERS, key, page - 1)
        )
    if page < pages - 1:
        nav.append(
            button(phrases.t(lang, "admin.button.next"), callbacks.ADMIN_ORDERS, key, page + 1)
        )
    if nav:
        rows.append(nav)
    filter_buttons = [
        button(
            ("• " if name == key else "") + phrases.t(lang, f"admin.filter.{name}"),
            callbacks.ADMIN_ORDERS,
            name,
            0,
        )
        for name in FILTERS
    ]
    rows += [filter_buttons[:3], filter_buttons[3:]]
    await show(update, "\n".join(lines), InlineKeyboardMarkup(rows))


def order_text(
    order: Order, history: list[HistoryEntry], events: list[PaymentEvent], lang: str
) -> str:
    """Everything a seller needs about one order, escaped, within Telegram's limit."""
    lines = [
        phrases.t(lang, "admin.order.title", order_id=escape(order.id)),
        phrases.t(lang, "admin.order.status", status=status_label(order.status, lang)),
        phrases.t(lang, "admin.order.created", at=format_wib(order.created_at, lang)),
    ]
    if order.paid_at:
        lines.append(phrases.t(lang, "admin.order.paid", at=format_wib(order.paid_at, lang)))
    if order.fulfilled_at:
        lines.append(
            phrases.t(lang, "admin.order.fulfilled", at=format_wib(order.fulfilled_at, lang))
        )
    lines += [
        "",
        order_lines(order, lang),
        phrases.t(lang, "admin.order.total", total=format_rupiah(order.gross_amount)),
        "",
        phrases.t(
            lang,
            "admin.order.customer",
            name=escape(order.customer_name or "-"),
            user_id=order.customer_id,
        ),
        phrases.t(
            lang,
            "admin.order.phone",
            phone=escape(display_phone(order.customer_phone) if order.customer_phone else "-"),
        ),
    ]
    if order.customer_email:
        lines.append(phrases.t(lang, "admin.order.email", email=escape(order.customer_email)))
    if order.fulfilment == "delivery":
        lines.append(phrases.t(lang, "admin.order.delivery", address=escape(order.address or "-")))
    else:
        lines.append(phrases.t(lang, "admin.order.pickup"))
    if order.note:
        lines.append(phrases.t(lang, "admin.order.note", note=escape(order.note)))
    if order.charge:
        expiry = order.charge.expires_at or order.expires_at
        lines += [
            "",
            phrases.t(
                lang,
                "admin.order.code",
                code=escape(order.charge.payment_code),
                expiry=format_wib(expiry, lang) if expiry else "-",
            ),
        ]
    if events:
        last = events[-1]
        lines.append(
            phrases.t(
                lang,
                "admin.order.midtrans",
                status=escape(last.transaction_status or "-"),
                at=format_wib(last.received_at, lang),
            )
        )
    if history:
        lines += ["", phrases.t(lang, "admin.order.history")]
        for entry in history[-HISTORY_SHOWN:]:
            lines.append(
                phrases.t(
                    lang,
                    "admin.order.history_line",
                    at=format_wib(entry.at, lang),
                    status=status_label(entry.to_status, lang),
                    reason=escape(entry.reason),
                )
            )
    if events:
        lines += ["", phrases.t(lang, "admin.order.events")]
        for event in events[-EVENTS_SHOWN:]:
            lines.append(
                phrases.t(
                    lang,
                    "admin.order.event_line",
                    at=format_wib(event.received_at, lang),
                    source=escape(event.source),
                    status=escape(event.transaction_status or "-"),
                    outcome=escape(event.outcome),
                )
            )
    return "\n".join(lines)


def order_markup(order: Order, lang: str, back: tuple[str, int]) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    if order.status == OrderStatus.PAID:
        rows.append(
            [
                button(
                    phrases.t(lang, "admin.button.fulfil"),
                    callbacks.ADMIN_FULFIL,
                    order.id,
                    FROM_VIEW,
                )
            ]
        )
    if order.status in PENDING:
        rows.append(
            [button(phrases.t(lang, "admin.button.cancel_order"), callbacks.ADMIN_CANCEL, order.id)]
        )
    if order.status in PENDING or order.status == OrderStatus.PAID:
        rows.append(
            [button(phrases.t(lang, "admin.button.recheck"), callbacks.ADMIN_RECHECK, order.id)]
        )
    rows.append([button(phrases.t(lang, "admin.button.orders"), callbacks.ADMIN_ORDERS, *back)])
    return InlineKeyboardMarkup(rows)


async def _render(update: Update, context: Context, order_id: str, note: str = "") -> None:
    lang = user_lang(update)
    record = await order_record(context.services, order_id)
    if record is None:
        await show(update, phrases.t(lang, "admin.order.not_found"))
        return
    text = order_text(record.order, record.history, record.events, lang)
    if note:
        text = note + "\n\n" + text
    await show(update, text, order_markup(record.order, lang, _last_list(context)))


async def _order_or_alert(update: Update, context: Context) -> Order | None:
    parts = query_parts(update)
    order = None
    if len(parts) > 1 and parts[1]:
        order = await context.services.store.run(Tx.order, parts[1])
    if order is None:
        await answer(update, phrases.t(user_lang(update), "admin.order.not_found"), alert=True)
    return order


async def order_view(update: Update, context: Context) -> None:
    order = await _order_or_alert(update, context)
    if order is None:
        return
    await answer(update)
    await _render(update, context, order.id)


async def fulfil(update: Update, context: Context) -> None:
    """``af:<order_id>`` from the paid-order push, ``af:<order_id>:v`` from the order view,
    ``af:<order_id>:vs`` once the seller confirmed inside the reversal window."""
    lang = user_lang(update)
    parts = query_parts(update)
    order_id = parts[1] if len(parts) > 1 else ""
    from_view = len(parts) > 2 and parts[2] in (FROM_VIEW, FROM_VIEW_SURE)
    sure = len(parts) > 2 and parts[2] == FROM_VIEW_SURE
    user = update.effective_user
    result = await mark_fulfilled(
        context.services, order_id, by=user.id if user else 0, risk_accepted=sure
    )
    if result.outcome is Fulfil.NOT_FOUND or result.order is None:
        await answer(update, phrases.t(lang, "admin.order.not_found"), alert=True)
        return
    order = result.order
    if result.outcome is Fulfil.IN_REVERSAL_WINDOW and result.window_end is not None:
        await answer(update)
        await _ask_fulfil_sure(update, order, result.window_end, lang)
        return
    if result.outcome is Fulfil.NOT_ALLOWED:
        await answer(
            update,
            phrases.t(lang, "admin.fulfil.not_paid", status=status_label(order.status, lang)),
            alert=True,
        )
        return
    done_key = "admin.fulfil.done" if result.outcome is Fulfil.DONE else "admin.fulfil.already"
    done = phrases.t(lang, done_key, order_id=escape(order.id))
    await answer(update, done)
    if from_view:
        await _render(update, context, order.id, note=done)
        return
    await _leave_push(update, lang, done, order.id)


async def _ask_fulfil_sure(update: Update, order: Order, window_end: datetime, lang: str) -> None:
    """Inside the reversal window: warn, show when it ends, and ask for a second tap."""
    markup = InlineKeyboardMarkup(
        [
            [
                button(
                    phrases.t(lang, "fulfil.window.button_sure"),
                    callbacks.ADMIN_FULFIL,
                    order.id,
                    FROM_VIEW_SURE,
                ),
                button(
                    phrases.t(lang, "fulfil.window.button_back"), callbacks.ADMIN_ORDER, order.id
                ),
            ]
        ]
    )
    paid = format_wib(order.paid_at, lang) if order.paid_at else "-"
    text = phrases.t(
        lang,
        "fulfil.window.warning",
        order_id=escape(order.id),
        total=format_rupiah(order.gross_amount),
        paid=paid,
        until=format_wib(window_end, lang),
    )
    await show(update, text, markup)


async def _leave_push(update: Update, lang: str, done: str, order_id: str) -> None:
    """The push gets a 'done' line and a 'view order' button instead of 'mark fulfilled'.

    In the staff group the line names who marked it, and there is no 'view order' button: order
    details stay in private chats.

    Rewritten with editMessageText: PTB adds the default parse_mode to editMessageReplyMarkup,
    a parameter that method does not have.
    """
    query = update.callback_query
    message = query.message if query else None
    if query is None or not isinstance(message, Message) or not message.text:
        return
    chat, user = update.effective_chat, update.effective_user
    markup: InlineKeyboardMarkup | None = InlineKeyboardMarkup(
        [[button(phrases.t(lang, "admin.button.view_order"), callbacks.ADMIN_ORDER, order_id)]]
    )
    if chat is not None and chat.type != chat.PRIVATE:
        markup = None
        done = phrases.t(
            lang, "group.fulfil.by", done=done, name=escape(user.first_name if user else "-")
        )
    try:
        await query.edit_message_text(
            fit_message(message.text_html + "\n\n" + done), reply_markup=markup
        )
    except BadRequest as exc:
        logger.debug("could not update the push: %s", exc)


async def cancel(update: Update, context: Context) -> None:
    """Ask first: cancelling makes the customer's payment code useless."""
    order = await _order_or_alert(update, context)
    if order is None:
        return
    lang = user_lang(update)
    if order.status not in PENDING:
        await answer(update, _cannot_cancel(order.status, lang), alert=True)
        return
    await answer(update)
    markup = InlineKeyboardMarkup(
        [
            [
                button(
                    phrases.t(lang, "admin.button.cancel_yes"),
                    callbacks.ADMIN_CANCEL_SURE,
                    order.id,
                ),
                button(phrases.t(lang, "admin.button.cancel_no"), callbacks.ADMIN_ORDER, order.id),
            ]
        ]
    )
    await show(
        update,
        phrases.t(
            lang,
            "admin.cancel.sure",
            order_id=escape(order.id),
            total=format_rupiah(order.gross_amount),
            name=escape(order.customer_name or "-"),
        ),
        markup,
    )


def _cannot_cancel(status: str, lang: str) -> str:
    if status in (OrderStatus.PAID, OrderStatus.FULFILLED):
        return phrases.t(lang, "admin.cancel.paid")
    return phrases.t(lang, "admin.cancel.closed", status=status_label(status, lang))


async def cancel_sure(update: Update, context: Context) -> None:
    order = await _order_or_alert(update, context)
    if order is None:
        return
    lang = user_lang(update)
    if order.status not in PENDING:
        await answer(update, _cannot_cancel(order.status, lang), alert=True)
        await _render(update, context, order.id)
        return
    payments = context.services.payments
    await answer(update)
    try:
        status = await payments.cancel_order(order.id, reason="seller")
    except MidtransError as exc:
        logger.warning("seller cancel of %s failed: %s", order.id, exc)
        await _render(update, context, order.id, note=phrases.t(lang, "admin.cancel.failed"))
        return
    if status == OrderStatus.CANCELLED:
        note = phrases.t(lang, "admin.cancel.done", order_id=escape(order.id))
    else:
        note = _cannot_cancel(status, lang)
    await _render(update, context, order.id, note=note)


async def recheck(update: Update, context: Context) -> None:
    """Get Status from Midtrans and apply it through the state machine, then show the order."""
    order = await _order_or_alert(update, context)
    if order is None:
        return
    lang = user_lang(update)
    payments = context.services.payments
    outcome = await payments.check_order(order.id, source="seller_check")
    if outcome == UNAVAILABLE:
        await answer(update, phrases.t(lang, "admin.recheck.failed"), alert=True)
        return
    await answer(update, phrases.t(lang, "admin.recheck.done"))
    fresh = await context.services.store.run(Tx.order, order.id)
    status = status_label(fresh.status if fresh else order.status, lang)
    await _render(
        update, context, order.id, note=phrases.t(lang, "admin.recheck.note", status=status)
    )
