"""Sending the payment code: one text message to copy from, one slip photo to show the cashier."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile

from bot.messages.slip import render_slip
from bot.rules.money import format_rupiah
from bot.text import callbacks, phrases
from bot.text.formatting import escape, format_wib
from storage import Order, OutboxMessage, Store, Tx


async def slip_png(order: Order, shop_name: str) -> bytes:
    """Render off the event loop: ~6 ms of Pillow work would otherwise stall other chats."""
    assert order.charge is not None
    charge = order.charge
    expires = charge.expires_at or order.expires_at
    assert expires is not None
    return await asyncio.to_thread(
        render_slip,
        shop_name=shop_name,
        amount=order.gross_amount,
        payment_code=charge.payment_code,
        expires_at=expires,
        order_id=order.id,
        lang=order.language,
    )


def payment_code_text(order: Order) -> str:
    assert order.charge is not None
    expires = order.charge.expires_at or order.expires_at
    return phrases.t(
        order.language,
        "paycode.message",
        code=escape(order.charge.payment_code),
        amount=format_rupiah(order.gross_amount),
        expiry=format_wib(expires, order.language) if expires else "-",
        order_id=order.id,
    )


def payment_code_buttons(order: Order) -> InlineKeyboardMarkup:
    lang = order.language
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    phrases.t(lang, "button.slip_png"),
                    callback_data=callbacks.data(callbacks.ORDER_PNG, order.id),
                ),
                InlineKeyboardButton(
                    phrases.t(lang, "button.cancel_order"),
                    callback_data=callbacks.data(callbacks.ORDER_CANCEL, order.id),
                ),
            ]
        ]
    )


async def send_payment_code(bot: Bot, order: Order, shop_name: str) -> None:
    """The code as copyable text, then the slip as a photo (Telegram recompresses photos; the
    slip is drawn to survive that, and the PNG button sends it untouched as a document)."""
    png = await slip_png(order, shop_name)
    await bot.send_message(
        order.chat_id, payment_code_text(order), reply_markup=payment_code_buttons(order)
    )
    await bot.send_photo(
        order.chat_id,
        InputFile(png, filename=f"slip-{order.id}.png"),
        caption=phrases.t(order.language, "paycode.caption", order_id=order.id),
    )


async def send_slip_document(bot: Bot, order: Order, shop_name: str) -> None:
    png = await slip_png(order, shop_name)
    await bot.send_document(
        order.chat_id,
        InputFile(png, filename=f"slip-{order.id}.png"),
        caption=phrases.t(order.language, "paycode.document_caption", order_id=order.id),
    )


def resend_from_outbox(
    store: Store, bot: Bot, shop_name: Callable[[], Awaitable[str]]
) -> Callable[[OutboxMessage], Awaitable[None]]:
    """The outbox's ``warung.sendPaymentCode``: a code the reconciler recovered goes out as text
    plus slip, as at checkout (the single-shop bot's and each hosted shop's sender)."""

    async def send(message: OutboxMessage) -> None:
        order = await store.run(Tx.order, str(message.payload["order_id"]))
        if order is None or order.charge is None:
            return
        await send_payment_code(bot, order, await shop_name())

    return send
