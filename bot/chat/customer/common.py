"""Helpers shared by the customer handlers: language, cart and draft in user_data, replies."""

from __future__ import annotations

import logging
from typing import Any, cast

from telegram import (
    Update,
)

from bot.chat.common import plain, user_lang
from bot.chat.context import ShopContext
from bot.rules.money import format_rupiah
from bot.rules.orders import (
    INDOMARET_MAX_AMOUNT,
    INDOMARET_MIN_AMOUNT,
    CartProblem,
    Quote,
)
from bot.rules.shop import Shop
from bot.shop.checkout import CheckoutOutcome
from bot.text import phrases
from bot.text.formatting import escape
from storage import Product, Tx

logger = logging.getLogger(__name__)

Context = ShopContext

SHOPPING, ASK_NAME, ASK_PHONE, ASK_EMAIL, ASK_FULFILMENT, ASK_ADDRESS, ASK_NOTE, CONFIRM = range(8)
MENU_PAGE_SIZE = 10
ORDERS_PAGE_SIZE = 8


# --- small helpers -----------------------------------------------------------------------


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
            lines.append(phrases.t(lang, "problem.unavailable_unknown"))
            continue
        lines.append(
            phrases.t(
                lang,
                f"problem.{problem.value}",
                name=escape(name),
                min=format_rupiah(INDOMARET_MIN_AMOUNT),
                max=format_rupiah(INDOMARET_MAX_AMOUNT),
            )
        )
    return "\n".join(lines)


def refusal_text(
    refused: CheckoutOutcome, shop: Shop, lang: str, max_pending: int, *, key: str
) -> str:
    """The customer's answer when ``bot.shop.checkout.refusal`` says no; ``key`` is the
    closed-shop phrase of the place asking (the greeting or the checkout)."""
    if refused is CheckoutOutcome.TOO_MANY_PENDING:
        return phrases.t(lang, "checkout.too_many_pending", count=max_pending)
    message = f"\n{escape(shop.closed_message)}" if shop.closed_message else ""
    return phrases.t(lang, key, shop=escape(shop.name), message=message)


def two_ints(parts: list[str]) -> tuple[int, int]:
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return 0, 0


async def available_product(update: Update, context: Context, product_id: int) -> Product | None:
    """The product a button names, if it can still be ordered; otherwise say so in a pop-up."""
    product = await context.services.store.run(Tx.product, product_id)
    if product is not None and product.available:
        return product
    name = escape(product.name) if product else "?"
    text = plain(phrases.t(user_lang(update), "product.unavailable", name=name))
    if update.callback_query:
        await update.callback_query.answer(text, show_alert=True)
    return None
