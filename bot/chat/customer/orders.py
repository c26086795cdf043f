"""My orders: the list, an order's view, re-sending the code, the PNG slip, cancel, re-order."""

from __future__ import annotations

import logging

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)

from bot.chat.common import answer, button, plain, reply, show, user_lang
from bot.chat.customer.common import (
    ORDERS_PAGE_SIZE,
    SHOPPING,
    Context,
    get_cart,
    save_cart,
)
from bot.chat.customer.menu import (
    send_cart,
)
from bot.messages.paycode import send_payment_code, send_slip_document
from bot.payments.midtrans import MidtransError
from bot.rules.money import format_rupiah
from bot.rules.orders import (
    MAX_LINE_QUANTITY,
    PENDING,
    short_order_ref,
)
from bot.text import callbacks, phrases
from bot.text.formatting import escape, format_wib, order_lines, status_label
from storage import Order, Tx

# --- my orders -----------------------------------------------------------------------------

logger = logging.getLogger(__name__)


async def my_orders(update: Update, context: Context) -> int:
    await answer(update)
    lang = user_lang(update)
    user = update.effective_user
    assert user is not None
    page = 0
    if update.callback_query and update.callback_query.data:
        parts = callbacks.split(update.callback_query.data)
        page = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    store = context.services.store
    total = await store.run(Tx.count_orders, customer_id=user.id)
    orders = await store.run(
        Tx.orders, customer_id=user.id, limit=ORDERS_PAGE_SIZE, offset=page * ORDERS_PAGE_SIZE
    )
    if not orders:
        await show(update, phrases.t(lang, "orders.none"), None)
        return SHOPPING
    rows = [
        [
            button(
                phrases.t(
                    lang,
                    "orders.button",
                    ref=short_order_ref(o.id),
                    total=format_rupiah(o.gross_amount),
                    status=status_label(o.status, lang),
                ),
                callbacks.ORDER_VIEW,
                o.id,
            )
        ]
        for o in orders
    ]
    nav = []
    if page > 0:
        nav.append(button(phrases.t(lang, "button.prev"), callbacks.MY_ORDERS, page - 1))
    if (page + 1) * ORDERS_PAGE_SIZE < total:
        nav.append(button(phrases.t(lang, "button.next"), callbacks.MY_ORDERS, page + 1))
    if nav:
        rows.append(nav)
    rows.append([button(phrases.t(lang, "button.menu"), callbacks.MENU, 0)])
    await show(update, phrases.t(lang, "orders.title"), InlineKeyboardMarkup(rows))
    return SHOPPING


async def _own_order(update: Update, context: Context) -> Order | None:
    """The order named by the tapped button, if it belongs to the person who tapped it."""
    query = update.callback_query
    assert query and query.data
    parts = callbacks.split(query.data)
    user = update.effective_user
    order = await context.services.store.run(Tx.order, parts[1]) if len(parts) > 1 else None
    if order is None or user is None or order.customer_id != user.id:
        await query.answer(plain(phrases.t(user_lang(update), "order.not_found")), show_alert=True)
        return None
    return order


async def order_view(update: Update, context: Context) -> int:
    order = await _own_order(update, context)
    if order is None:
        return SHOPPING
    await answer(update)
    lang = user_lang(update)
    text = phrases.t(
        lang,
        "order.view",
        order_id=order.id,
        status=status_label(order.status, lang),
        created=format_wib(order.created_at, lang),
        lines=order_lines(order, lang),
        total=format_rupiah(order.gross_amount),
    )
    rows: list[list[InlineKeyboardButton]] = []
    if order.status in PENDING and order.charge:
        expiry = order.charge.expires_at or order.expires_at
        text += phrases.t(
            lang,
            "order.code_line",
            code=escape(order.charge.payment_code),
            expiry=format_wib(expiry, lang) if expiry else "-",
        )
        rows.append(
            [
                button(phrases.t(lang, "button.resend"), callbacks.ORDER_RESEND, order.id),
                button(phrases.t(lang, "button.slip_png"), callbacks.ORDER_PNG, order.id),
            ]
        )
        rows.append(
            [button(phrases.t(lang, "button.cancel_order"), callbacks.ORDER_CANCEL, order.id)]
        )
    else:
        rows.append([button(phrases.t(lang, "button.reorder"), callbacks.REORDER, order.id)])
    rows.append([button(phrases.t(lang, "button.my_orders"), callbacks.MY_ORDERS, 0)])
    await show(update, text, InlineKeyboardMarkup(rows))
    return SHOPPING


async def order_resend(update: Update, context: Context) -> int:
    order = await _own_order(update, context)
    if order is None or not await _code_still_valid(update, order):
        return SHOPPING
    await answer(update)
    shop = await context.services.shop()
    await send_payment_code(context.bot, order, shop.name)
    return SHOPPING


async def order_png(update: Update, context: Context) -> int:
    order = await _own_order(update, context)
    if order is None or not await _code_still_valid(update, order):
        return SHOPPING
    await answer(update)
    shop = await context.services.shop()
    await send_slip_document(context.bot, order, shop.name)
    return SHOPPING


async def order_cancel(update: Update, context: Context) -> int:
    order = await _own_order(update, context)
    if order is None:
        return SHOPPING
    lang = user_lang(update)
    if not await _still_pending(update, order):
        return SHOPPING
    await answer(update)
    await reply(
        update,
        phrases.t(lang, "order.cancel_sure", order_id=order.id),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    button(
                        phrases.t(lang, "button.cancel_yes"), callbacks.ORDER_CANCEL_SURE, order.id
                    ),
                    button(phrases.t(lang, "button.cancel_no"), callbacks.ORDER_VIEW, order.id),
                ]
            ]
        ),
    )
    return SHOPPING


async def order_cancel_sure(update: Update, context: Context) -> int:
    order = await _own_order(update, context)
    if order is None:
        return SHOPPING
    lang = user_lang(update)
    svc = context.services
    if not await _still_pending(update, order):
        return SHOPPING
    await answer(update)
    try:
        status = await svc.payments.cancel_order(order.id, reason="customer")
    except MidtransError as exc:
        logger.warning("cancel of %s failed: %s", order.id, exc)
        await show(update, phrases.t(lang, "order.cancel_failed"), None)
        return SHOPPING
    if status == "cancelled":
        await show(update, phrases.t(lang, "order.cancelled", order_id=order.id), None)
    else:
        await show(
            update, phrases.t(lang, "order.cannot_cancel", status=status_label(status, lang)), None
        )
    return SHOPPING


async def reorder(update: Update, context: Context) -> int:
    order = await _own_order(update, context)
    if order is None:
        return SHOPPING
    await answer(update)
    cart = get_cart(context)
    for item in order.items:
        if item.product_id is not None:
            cart[item.product_id] = min(
                cart.get(item.product_id, 0) + item.quantity, MAX_LINE_QUANTITY
            )
    save_cart(context, cart)
    await reply(update, phrases.t(user_lang(update), "order.reordered", order_id=order.id))
    await send_cart(update, context, edit=False)
    return SHOPPING


async def stale_button(update: Update, context: Context) -> int | None:
    """A button from an old message whose step is over: say so, change nothing."""
    await answer(update, plain(phrases.t(user_lang(update), "error.stale_button")))
    return None


async def _code_still_valid(update: Update, order: Order) -> bool:
    """A payment code (text or slip) is shown only while it can be paid. For an order that is
    over (cancelled, expired, paid...), say the code is no longer valid and offer to order the
    same again: an old slip must never send someone to the cashier."""
    if order.status in PENDING and order.charge is not None:
        return True
    lang = user_lang(update)
    await answer(update)
    if order.charge is None and order.status in PENDING:  # the code is still being made
        await reply(update, phrases.t(lang, "checkout.awaiting_code", order_id=order.id))
        return False
    await reply(
        update,
        phrases.t(
            lang, "order.code_stale", order_id=order.id, status=status_label(order.status, lang)
        ),
        reply_markup=InlineKeyboardMarkup(
            [[button(phrases.t(lang, "button.reorder"), callbacks.REORDER, order.id)]]
        ),
    )
    return False


async def _still_pending(update: Update, order: Order) -> bool:
    """Only an order awaiting payment can be cancelled; otherwise say why in a pop-up."""
    if order.status in PENDING:
        return True
    lang = user_lang(update)
    status = status_label(order.status, lang)
    await answer(update, plain(phrases.t(lang, "order.cannot_cancel", status=status)))
    return False
