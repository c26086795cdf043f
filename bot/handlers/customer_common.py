"""Helpers shared by the customer handlers: language, cart and draft in user_data, replies."""

from __future__ import annotations

import logging
import re
from typing import Any, cast

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import (
    ContextTypes,
)

from bot import callbacks, texts
from bot.formatting import escape
from bot.money import format_rupiah
from bot.orders import (
    INDOMARET_MAX_AMOUNT,
    INDOMARET_MIN_AMOUNT,
    CartProblem,
    Quote,
)
from bot.services import services
from storage import Product, Tx

logger = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

SHOPPING, ASK_NAME, ASK_PHONE, ASK_EMAIL, ASK_FULFILMENT, ASK_ADDRESS, ASK_NOTE, CONFIRM = range(8)
MENU_PAGE_SIZE = 10
ORDERS_PAGE_SIZE = 8


# --- small helpers -----------------------------------------------------------------------


def user_lang(update: Update) -> str:
    user = update.effective_user
    return texts.language_for(user.language_code if user else None)


def get_cart(context: Context) -> dict[int, int]:
    data = cast(dict[str, Any], context.user_data)
    raw = data.get("cart") or {}
    return {int(k): int(v) for k, v in raw.items() if int(v) > 0}


def save_cart(context: Context, cart: dict[int, int]) -> None:
    data = cast(dict[str, Any], context.user_data)
    data["cart"] = {str(k): v for k, v in cart.items() if v > 0}


def get_draft(context: Context) -> dict[str, Any]:
    data = cast(dict[str, Any], context.user_data)
    draft = data.setdefault("draft", {})
    assert isinstance(draft, dict)
    return draft


def button(text: str, *parts: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.data(*parts))


async def reply(update: Update, text: str, **kwargs: Any) -> Message:
    """Answer in the chat the update came from (message or button)."""
    chat = update.effective_chat
    assert chat is not None
    return await chat.send_message(text, **kwargs)


async def show(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit the message whose button was tapped (keeps the chat tidy), or send a new one."""
    query = update.callback_query
    if query and query.message and isinstance(query.message, Message) and query.message.text:
        try:
            await query.edit_message_text(text, reply_markup=markup)
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            logger.debug("could not edit, sending anew: %s", exc)
    await reply(update, text, reply_markup=markup)


async def answer_query(update: Update, text: str | None = None) -> None:
    if update.callback_query:
        await update.callback_query.answer(text)


def problem_lines(priced: Quote, lang: str, *, only_items: bool = False) -> str:
    lines = []
    for problem, name in priced.problems:
        if only_items and problem in {
            CartProblem.TOTAL_TOO_LOW,
            CartProblem.TOTAL_TOO_HIGH,
            CartProblem.EMPTY,
        }:
            continue
        if problem is CartProblem.UNAVAILABLE and not name:
            lines.append(texts.t(lang, "problem.unavailable_unknown"))
            continue
        lines.append(
            texts.t(
                lang,
                f"problem.{problem.value}",
                name=escape(name),
                min=format_rupiah(INDOMARET_MIN_AMOUNT),
                max=format_rupiah(INDOMARET_MAX_AMOUNT),
            )
        )
    return "\n".join(lines)


def two_ints(parts: list[str]) -> tuple[int, int]:
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return 0, 0


def plain(text: str) -> str:
    """Callback answers are plain text (no HTML) and at most 200 characters."""
    return (
        re.sub(r"<[^>]+>", "", text)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")[:200]
    )


def pattern(code: str) -> str:
    return rf"^{code}(:|$)"


async def available_product(update: Update, context: Context, product_id: int) -> Product | None:
    """The product a button names, if it can still be ordered; otherwise say so in a pop-up."""
    product = await services(context).store.run(Tx.product, product_id)
    if product is not None and product.available:
        return product
    name = escape(product.name) if product else "?"
    text = plain(texts.t(user_lang(update), "product.unavailable", name=name))
    if update.callback_query:
        await update.callback_query.answer(text, show_alert=True)
    return None
