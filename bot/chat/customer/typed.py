"""Typed orders: "2 kopi susu, 1 roti bakar" answered with the cart it understood, or a question."""

from __future__ import annotations

from typing import Any, cast

from telegram import (
    InlineKeyboardMarkup,
    Update,
)

from bot.chat.common import answer, button, plain, reply, user_lang
from bot.chat.customer.common import (
    SHOPPING,
    Context,
    available_product,
    get_cart,
    refusal_text,
    save_cart,
    two_ints,
)
from bot.chat.customer.menu import (
    send_cart,
)
from bot.rules.orders import (
    MAX_LINE_QUANTITY,
)
from bot.shop.checkout import refusal
from bot.text import callbacks, phrases
from bot.text.formatting import cart_line, escape
from bot.text.typed_orders import CatalogueItem, OrderParse, parse_order
from storage import Product, Tx

# --- typed orders --------------------------------------------------------------------------


async def typed_order(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message and message.text
    lang = user_lang(update)
    svc = context.services
    shop = await svc.shop()
    refused = await refusal(svc, shop)
    if refused is not None:
        max_pending = svc.settings.max_pending_orders
        await reply(update, refusal_text(refused, shop, lang, max_pending, key="start.closed"))
        return SHOPPING
    products = await svc.store.run(Tx.products)
    catalogue = [CatalogueItem(p.id, p.name) for p in products]
    parsed = parse_order(message.text[:2000], catalogue)
    by_id = {p.id: p for p in products}
    if not (parsed.lines or parsed.ambiguous or parsed.unknown or parsed.invalid):
        await reply(update, phrases.t(lang, "typed.not_understood"))
        return SHOPPING
    await _answer_typed(update, context, parsed, by_id, lang)
    return SHOPPING


async def _answer_typed(
    update: Update,
    context: Context,
    parsed: OrderParse,
    by_id: dict[int, Product],
    lang: str,
) -> None:
    understood = {line.item_id: line.quantity for line in parsed.lines}
    cast(dict[str, Any], context.user_data)["typed"] = {str(k): v for k, v in understood.items()}
    if understood:
        lines = [phrases.t(lang, "typed.understood")]
        for product_id, quantity in understood.items():
            product = by_id[product_id]
            lines.append(cart_line(lang, quantity, product.name, product.price * quantity))
        lines += ["", phrases.t(lang, "typed.confirm_hint")]
        await reply(
            update,
            "\n".join(lines),
            reply_markup=InlineKeyboardMarkup(
                [
                    [button(phrases.t(lang, "button.typed_confirm"), callbacks.TYPED_CONFIRM)],
                    [button(phrases.t(lang, "button.menu"), callbacks.MENU, 0)],
                ]
            ),
        )
    for ambiguity in parsed.ambiguous:
        await reply(
            update,
            phrases.t(lang, "typed.ambiguous", phrase=escape(ambiguity.phrase)),
            reply_markup=_pick_markup(ambiguity.candidate_ids, ambiguity.quantity, by_id, lang),
        )
    for unknown in parsed.unknown:
        if unknown.suggestions:
            await reply(
                update,
                phrases.t(lang, "typed.unknown_suggest", phrase=escape(unknown.phrase)),
                reply_markup=_pick_markup(unknown.suggestions, unknown.quantity, by_id, lang),
            )
        else:
            await reply(update, phrases.t(lang, "typed.unknown", phrase=escape(unknown.phrase)))
    for invalid in parsed.invalid:
        await reply(
            update,
            phrases.t(
                lang,
                f"typed.invalid_{invalid.reason}",
                phrase=escape(invalid.phrase),
                max=MAX_LINE_QUANTITY,
            ),
        )
    if parsed.skipped:
        await reply(update, phrases.t(lang, "typed.skipped", count=parsed.skipped))


def _pick_markup(
    candidate_ids: tuple[int, ...], quantity: int, by_id: dict[int, Product], lang: str
) -> InlineKeyboardMarkup:
    quantity = min(max(quantity, 1), MAX_LINE_QUANTITY)
    return InlineKeyboardMarkup(
        [
            [
                button(
                    phrases.t(lang, "button.pick", name=by_id[pid].name[:40], quantity=quantity),
                    callbacks.TYPED_PICK,
                    pid,
                    quantity,
                )
            ]
            for pid in candidate_ids
            if pid in by_id
        ]
    )


async def typed_confirm(update: Update, context: Context) -> int:
    lang = user_lang(update)
    data = cast(dict[str, Any], context.user_data)
    typed = {int(k): int(v) for k, v in (data.pop("typed", None) or {}).items()}
    if not typed:
        await answer(update, plain(phrases.t(lang, "error.stale_button")))
        return SHOPPING
    await answer(update)
    cart = get_cart(context)
    for product_id, quantity in typed.items():
        cart[product_id] = min(cart.get(product_id, 0) + quantity, MAX_LINE_QUANTITY)
    save_cart(context, cart)
    await send_cart(update, context, edit=False)
    return SHOPPING


async def typed_pick(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query and query.data
    lang = user_lang(update)
    product_id, quantity = two_ints(callbacks.split(query.data)[1:3])
    product = await available_product(update, context, product_id)
    if product is None:
        return SHOPPING
    cart = get_cart(context)
    cart[product_id] = min(cart.get(product_id, 0) + max(quantity, 1), MAX_LINE_QUANTITY)
    save_cart(context, cart)
    await query.answer(
        plain(phrases.t(lang, "product.added", quantity=quantity, name=escape(product.name)))
    )
    await send_cart(update, context, edit=False)
    return SHOPPING
