"""Browsing: the greeting, the menu pages, product cards with a quantity stepper, the cart."""

from __future__ import annotations

import math

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest

from bot.chat.common import answer, button, plain, reply, show, user_lang
from bot.chat.customer.common import (
    MENU_PAGE_SIZE,
    SHOPPING,
    Context,
    available_product,
    get_cart,
    problem_lines,
    refusal_text,
    save_cart,
    two_ints,
)
from bot.rules.money import format_rupiah
from bot.rules.orders import (
    MAX_LINE_QUANTITY,
    Quote,
)
from bot.shop.checkout import price_cart, refusal
from bot.shop.services import Services
from bot.text import callbacks, phrases
from bot.text.formatting import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    cart_line,
    escape,
    fit_user_text,
    split_message,
)
from storage import Product, Tx


def _menu_markup(
    products: list[Product], cart_count: int, lang: str, page: int
) -> InlineKeyboardMarkup:
    pages = max(1, math.ceil(len(products) / MENU_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = products[page * MENU_PAGE_SIZE : (page + 1) * MENU_PAGE_SIZE]
    rows = [
        [
            button(
                phrases.t(lang, "button.product", name=p.name[:40], price=format_rupiah(p.price)),
                callbacks.PRODUCT,
                p.id,
                1,
            )
        ]
        for p in shown
        if p.available
    ]
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(button(phrases.t(lang, "button.prev"), callbacks.MENU, page - 1))
        if page < pages - 1:
            nav.append(button(phrases.t(lang, "button.next"), callbacks.MENU, page + 1))
        rows.append(nav)
    cart_label = (
        phrases.t(lang, "button.cart", count=cart_count)
        if cart_count
        else phrases.t(lang, "button.cart_empty")
    )
    rows.append(
        [
            button(cart_label, callbacks.CART),
            button(phrases.t(lang, "button.my_orders"), callbacks.MY_ORDERS, 0),
        ]
    )
    return InlineKeyboardMarkup(rows)


def _menu_text(products: list[Product], shop_name: str, lang: str, page: int) -> str:
    pages = max(1, math.ceil(len(products) / MENU_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    lines = [phrases.t(lang, "menu.title", shop=escape(shop_name)), ""]
    for p in products[page * MENU_PAGE_SIZE : (page + 1) * MENU_PAGE_SIZE]:
        if not p.available:
            stock = phrases.t(lang, "menu.sold_out")
        elif p.stock is not None:
            stock = phrases.t(lang, "menu.stock_left", stock=p.stock)
        else:
            stock = ""
        lines.append(
            phrases.t(
                lang, "menu.line", name=escape(p.name), price=format_rupiah(p.price), stock=stock
            )
        )
    if pages > 1:
        lines.append(phrases.t(lang, "menu.page", page=page + 1, pages=pages))
    lines += ["", phrases.t(lang, "menu.hint")]
    return "\n".join(lines)


async def _remember_customer(update: Update, svc: Services) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user and chat:
        await svc.store.run(
            Tx.save_customer, user.id, chat.id, svc.clock(), language=user_lang(update)
        )


# --- menu, product, cart ------------------------------------------------------------------


CART_BUTTON_LINES = 20


async def start(update: Update, context: Context) -> int:
    svc = context.services
    lang = user_lang(update)
    shop = await svc.shop()
    await _remember_customer(update, svc)
    user = update.effective_user
    name = escape(user.first_name if user else "")
    refused = await refusal(svc, shop)
    if refused is not None:
        max_pending = svc.settings.max_pending_orders
        await reply(update, refusal_text(refused, shop, lang, max_pending, key="start.closed"))
        return SHOPPING
    greeting = phrases.t(lang, "start.greeting", name=name, shop=escape(shop.name))
    if shop.welcome:
        greeting += "\n" + escape(shop.welcome)
    await reply(update, greeting, reply_markup=ReplyKeyboardRemove())
    await send_menu(update, context, page=0, edit=False)
    return SHOPPING


async def send_menu(update: Update, context: Context, *, page: int, edit: bool) -> None:
    svc = context.services
    lang = user_lang(update)
    shop = await svc.shop()
    products = await svc.store.run(Tx.products)
    if not products:
        await reply(update, phrases.t(lang, "start.empty", shop=escape(shop.name)))
        return
    cart_count = sum(get_cart(context).values())
    text = _menu_text(products, shop.name, lang, page)
    markup = _menu_markup(products, cart_count, lang, page)
    if edit:
        await show(update, text, markup)
    else:
        await reply(update, text, reply_markup=markup)


async def menu(update: Update, context: Context) -> int:
    await answer(update)
    page = 0
    if update.callback_query and update.callback_query.data:
        parts = callbacks.split(update.callback_query.data)
        page = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    await send_menu(update, context, page=page, edit=update.callback_query is not None)
    return SHOPPING


async def product_card(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query and query.data
    lang = user_lang(update)
    parts = callbacks.split(query.data)
    product_id, quantity = two_ints(parts[1:3])
    product = await available_product(update, context, product_id)
    if product is None:
        return SHOPPING
    limit = min(MAX_LINE_QUANTITY, product.stock if product.stock is not None else 99)
    quantity = min(max(quantity, 1), max(limit, 1))
    await query.answer()
    stock = (
        phrases.t(lang, "product.stock_left", stock=product.stock)
        if product.stock is not None
        else ""
    )
    quantity_line = phrases.t(lang, "product.quantity", quantity=quantity)

    def render(description: str) -> str:
        card = phrases.t(
            lang,
            "product.card",
            name=escape(product.name),
            price=format_rupiah(product.price),
            stock=stock,
            description=description,
        )
        return card.rstrip() + "\n\n" + quantity_line

    markup = InlineKeyboardMarkup(
        [
            [
                button("−", callbacks.PRODUCT, product.id, max(quantity - 1, 1)),
                button(str(quantity), callbacks.PRODUCT, product.id, quantity),
                button("+", callbacks.PRODUCT, product.id, min(quantity + 1, limit)),
            ],
            [
                button(
                    phrases.t(lang, "button.add", quantity=quantity),
                    callbacks.ADD,
                    product.id,
                    quantity,
                )
            ],
            [
                button(phrases.t(lang, "button.menu"), callbacks.MENU, 0),
                button(phrases.t(lang, "button.cart_empty"), callbacks.CART),
            ],
        ]
    )
    message = query.message
    is_photo_card = isinstance(message, Message) and bool(message.photo)
    as_caption = bool(product.photo_file_id) or is_photo_card
    limit = CAPTION_LIMIT if as_caption else TEXT_LIMIT
    text = fit_user_text(render, product.description or "", limit)
    if product.photo_file_id and not is_photo_card:
        chat = update.effective_chat
        assert chat is not None
        await chat.send_photo(product.photo_file_id, caption=text, reply_markup=markup)
    elif is_photo_card:
        try:
            await query.edit_message_caption(caption=text, reply_markup=markup)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise
    else:
        await show(update, text, markup)
    return SHOPPING


async def add_to_cart(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query and query.data
    lang = user_lang(update)
    product_id, quantity = two_ints(callbacks.split(query.data)[1:3])
    product = await available_product(update, context, product_id)
    if product is None:
        return SHOPPING
    cart = get_cart(context)
    wanted = cart.get(product_id, 0) + max(quantity, 1)
    if wanted > MAX_LINE_QUANTITY or (product.stock is not None and wanted > product.stock):
        left = product.stock if product.stock is not None else MAX_LINE_QUANTITY
        await query.answer(
            plain(phrases.t(lang, "product.not_enough", name=escape(product.name), stock=left)),
            show_alert=True,
        )
        return SHOPPING
    cart[product_id] = wanted
    save_cart(context, cart)
    await query.answer(
        plain(phrases.t(lang, "product.added", quantity=quantity, name=escape(product.name)))
    )
    await send_cart(update, context, edit=False)
    return SHOPPING


async def show_cart(update: Update, context: Context) -> int:
    await answer(update)
    await send_cart(update, context, edit=update.callback_query is not None)
    return SHOPPING


async def send_cart(update: Update, context: Context, *, edit: bool) -> None:
    lang = user_lang(update)
    cart = get_cart(context)
    if not cart:
        markup = InlineKeyboardMarkup([[button(phrases.t(lang, "button.menu"), callbacks.MENU, 0)]])
        text = phrases.t(lang, "cart.empty")
    else:
        priced = await price_cart(context.services, cart)
        if len(priced.lines) != len(cart):
            save_cart(context, {line.product_id: line.quantity for line in priced.lines})
        text, markup = _cart_view(priced, lang)
        notes = problem_lines(priced, lang, only_items=True)
        if notes:
            text = notes + "\n\n" + text
    parts = split_message(text)
    if edit and len(parts) == 1:
        await show(update, text, markup)
        return
    for part in parts[:-1]:
        await reply(update, part)
    await reply(update, parts[-1], reply_markup=markup)


def _cart_view(priced: Quote, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    lines = [phrases.t(lang, "cart.title"), ""]
    rows: list[list[InlineKeyboardButton]] = []
    for number, line in enumerate(priced.lines):
        lines.append(cart_line(lang, line.quantity, line.name, line.total))
        if number >= CART_BUTTON_LINES:
            continue  # Telegram takes about 100 buttons; later lines change by typing
        rows.append(
            [
                button("−", callbacks.CART_SET, line.product_id, line.quantity - 1),
                button(
                    f"{line.name[:24]} ×{line.quantity}",
                    callbacks.PRODUCT,
                    line.product_id,
                    line.quantity,
                ),
                button(
                    "+",
                    callbacks.CART_SET,
                    line.product_id,
                    min(line.quantity + 1, MAX_LINE_QUANTITY),
                ),
                button(phrases.t(lang, "button.remove"), callbacks.CART_SET, line.product_id, 0),
            ]
        )
    lines += ["", phrases.t(lang, "cart.subtotal", amount=format_rupiah(priced.subtotal))]
    rows.append(
        [
            button(phrases.t(lang, "button.clear"), callbacks.CART_CLEAR),
            button(phrases.t(lang, "button.continue"), callbacks.MENU, 0),
        ]
    )
    rows.append([button(phrases.t(lang, "button.checkout"), callbacks.CHECKOUT)])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def cart_set(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query and query.data
    lang = user_lang(update)
    product_id, quantity = two_ints(callbacks.split(query.data)[1:3])
    cart = get_cart(context)
    if product_id not in cart:
        await query.answer(plain(phrases.t(lang, "error.stale_button")))
        return SHOPPING
    product = await context.services.store.run(Tx.product, product_id)
    if quantity > 0 and product and product.stock is not None and quantity > product.stock:
        await query.answer(
            plain(
                phrases.t(
                    lang, "product.not_enough", name=escape(product.name), stock=product.stock
                )
            ),
            show_alert=True,
        )
        return SHOPPING
    await query.answer()
    if quantity <= 0:
        cart.pop(product_id, None)
    else:
        cart[product_id] = min(quantity, MAX_LINE_QUANTITY)
    save_cart(context, cart)
    await send_cart(update, context, edit=True)
    return SHOPPING


async def cart_clear(update: Update, context: Context) -> int:
    save_cart(context, {})
    await answer(update, plain(phrases.t(user_lang(update), "cart.cleared")))
    await send_cart(update, context, edit=True)
    return SHOPPING
