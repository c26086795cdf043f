"""The customer's conversation: menu, product cards, cart, typed orders, details, checkout, orders.

One persistent ConversationHandler, so a checkout in progress survives a restart. Shopping buttons
(menu, cart, my orders) work from every state: tapping one simply leaves the checkout questions.
The cart lives in ``user_data["cart"]`` as ``{"<product id>": quantity}`` (JSON-friendly).
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
from typing import Any, cast

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks, texts
from bot.checkout import Draft, Outcome, place_order, price_cart
from bot.formatting import escape, format_duration, order_lines, status_label
from bot.handlers.paycode import send_payment_code, send_slip_document
from bot.midtrans import MidtransError
from bot.money import format_rupiah
from bot.orders import (
    INDOMARET_MAX_AMOUNT,
    INDOMARET_MIN_AMOUNT,
    MAX_LINE_QUANTITY,
    PENDING,
    CartProblem,
    Quote,
    short_order_ref,
)
from bot.parsing import CatalogueItem, OrderParse, display_phone, parse_email, parse_order
from bot.parsing import parse_phone as parse_phone_number
from bot.services import Services, services
from bot.slip import format_wib
from storage import Order, Product, Tx

logger = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

SHOPPING, ASK_NAME, ASK_PHONE, ASK_EMAIL, ASK_FULFILMENT, ASK_ADDRESS, ASK_NOTE, CONFIRM = range(8)
MENU_PAGE_SIZE = 10
ORDERS_PAGE_SIZE = 8


# --- small helpers -----------------------------------------------------------------------


def _lang(update: Update) -> str:
    user = update.effective_user
    return texts.language_for(user.language_code if user else None)


def _cart(context: Context) -> dict[int, int]:
    data = cast(dict[str, Any], context.user_data)
    raw = data.get("cart") or {}
    return {int(k): int(v) for k, v in raw.items() if int(v) > 0}


def _save_cart(context: Context, cart: dict[int, int]) -> None:
    data = cast(dict[str, Any], context.user_data)
    data["cart"] = {str(k): v for k, v in cart.items() if v > 0}


def _draft(context: Context) -> dict[str, Any]:
    data = cast(dict[str, Any], context.user_data)
    draft = data.setdefault("draft", {})
    assert isinstance(draft, dict)
    return draft


def _button(text: str, *parts: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.data(*parts))


async def _reply(update: Update, text: str, **kwargs: Any) -> Message:
    """Answer in the chat the update came from (message or button)."""
    chat = update.effective_chat
    assert chat is not None
    return await chat.send_message(text, **kwargs)


async def _show(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
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
    await _reply(update, text, reply_markup=markup)


async def _answer(update: Update, text: str | None = None) -> None:
    if update.callback_query:
        await update.callback_query.answer(text)


def _menu_markup(
    products: list[Product], cart_count: int, lang: str, page: int
) -> InlineKeyboardMarkup:
    pages = max(1, math.ceil(len(products) / MENU_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = products[page * MENU_PAGE_SIZE : (page + 1) * MENU_PAGE_SIZE]
    rows = [
        [
            _button(
                texts.t(lang, "button.product", name=p.name[:40], price=format_rupiah(p.price)),
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
            nav.append(_button(texts.t(lang, "button.prev"), callbacks.MENU, page - 1))
        if page < pages - 1:
            nav.append(_button(texts.t(lang, "button.next"), callbacks.MENU, page + 1))
        rows.append(nav)
    cart_label = (
        texts.t(lang, "button.cart", count=cart_count)
        if cart_count
        else texts.t(lang, "button.cart_empty")
    )
    rows.append(
        [
            _button(cart_label, callbacks.CART),
            _button(texts.t(lang, "button.my_orders"), callbacks.MY_ORDERS, 0),
        ]
    )
    return InlineKeyboardMarkup(rows)


def _menu_text(products: list[Product], shop_name: str, lang: str, page: int) -> str:
    pages = max(1, math.ceil(len(products) / MENU_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    lines = [texts.t(lang, "menu.title", shop=escape(shop_name)), ""]
    for p in products[page * MENU_PAGE_SIZE : (page + 1) * MENU_PAGE_SIZE]:
        if not p.available:
            stock = texts.t(lang, "menu.sold_out")
        elif p.stock is not None:
            stock = texts.t(lang, "menu.stock_left", stock=p.stock)
        else:
            stock = ""
        lines.append(
            texts.t(
                lang, "menu.line", name=escape(p.name), price=format_rupiah(p.price), stock=stock
            )
        )
    if pages > 1:
        lines.append(texts.t(lang, "menu.page", page=page + 1, pages=pages))
    lines += ["", texts.t(lang, "menu.hint")]
    return "\n".join(lines)


async def _remember_customer(update: Update, svc: Services) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user and chat:
        await svc.store.run(Tx.save_customer, user.id, chat.id, svc.clock(), language=_lang(update))


# --- menu, product, cart ------------------------------------------------------------------


async def start(update: Update, context: Context) -> int:
    svc = services(context)
    lang = _lang(update)
    shop = await svc.shop()
    await _remember_customer(update, svc)
    user = update.effective_user
    name = escape(user.first_name if user else "")
    if not shop.is_open:
        message = f"\n{escape(shop.closed_message)}" if shop.closed_message else ""
        await _reply(update, texts.t(lang, "start.closed", shop=escape(shop.name), message=message))
        return SHOPPING
    greeting = texts.t(lang, "start.greeting", name=name, shop=escape(shop.name))
    if shop.welcome:
        greeting += "\n" + escape(shop.welcome)
    await _reply(update, greeting, reply_markup=ReplyKeyboardRemove())
    await _send_menu(update, context, page=0, edit=False)
    return SHOPPING


async def _send_menu(update: Update, context: Context, *, page: int, edit: bool) -> None:
    svc = services(context)
    lang = _lang(update)
    shop = await svc.shop()
    products = await svc.store.run(Tx.products)
    if not products:
        await _reply(update, texts.t(lang, "start.empty", shop=escape(shop.name)))
        return
    cart_count = sum(_cart(context).values())
    text = _menu_text(products, shop.name, lang, page)
    markup = _menu_markup(products, cart_count, lang, page)
    if edit:
        await _show(update, text, markup)
    else:
        await _reply(update, text, reply_markup=markup)


async def menu(update: Update, context: Context) -> int:
    await _answer(update)
    page = 0
    if update.callback_query and update.callback_query.data:
        parts = callbacks.split(update.callback_query.data)
        page = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    await _send_menu(update, context, page=page, edit=update.callback_query is not None)
    return SHOPPING


async def product_card(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query and query.data
    lang = _lang(update)
    parts = callbacks.split(query.data)
    product_id, quantity = _ints(parts[1:3])
    product = await services(context).store.run(Tx.product, product_id)
    if product is None or not product.available:
        name = escape(product.name) if product else "?"
        await query.answer(_plain(texts.t(lang, "product.unavailable", name=name)), show_alert=True)
        return SHOPPING
    limit = min(MAX_LINE_QUANTITY, product.stock if product.stock is not None else 99)
    quantity = min(max(quantity, 1), max(limit, 1))
    await query.answer()
    stock = (
        texts.t(lang, "product.stock_left", stock=product.stock)
        if product.stock is not None
        else ""
    )
    text = texts.t(
        lang,
        "product.card",
        name=escape(product.name),
        price=format_rupiah(product.price),
        stock=stock,
        description=escape(product.description),
    ).rstrip()
    text += "\n\n" + texts.t(lang, "product.quantity", quantity=quantity)
    markup = InlineKeyboardMarkup(
        [
            [
                _button("−", callbacks.PRODUCT, product.id, max(quantity - 1, 1)),
                _button(str(quantity), callbacks.PRODUCT, product.id, quantity),
                _button("+", callbacks.PRODUCT, product.id, min(quantity + 1, limit)),
            ],
            [
                _button(
                    texts.t(lang, "button.add", quantity=quantity),
                    callbacks.ADD,
                    product.id,
                    quantity,
                )
            ],
            [
                _button(texts.t(lang, "button.menu"), callbacks.MENU, 0),
                _button(texts.t(lang, "button.cart_empty"), callbacks.CART),
            ],
        ]
    )
    message = query.message
    is_photo_card = isinstance(message, Message) and bool(message.photo)
    if product.photo_file_id and not is_photo_card:
        chat = update.effective_chat
        assert chat is not None
        await chat.send_photo(product.photo_file_id, caption=text[:1024], reply_markup=markup)
    elif is_photo_card:
        try:
            await query.edit_message_caption(caption=text[:1024], reply_markup=markup)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise
    else:
        await _show(update, text, markup)
    return SHOPPING


async def add_to_cart(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query and query.data
    lang = _lang(update)
    product_id, quantity = _ints(callbacks.split(query.data)[1:3])
    product = await services(context).store.run(Tx.product, product_id)
    if product is None or not product.available:
        await query.answer(
            _plain(
                texts.t(lang, "product.unavailable", name=escape(product.name if product else "?"))
            ),
            show_alert=True,
        )
        return SHOPPING
    cart = _cart(context)
    wanted = cart.get(product_id, 0) + max(quantity, 1)
    if wanted > MAX_LINE_QUANTITY or (product.stock is not None and wanted > product.stock):
        left = product.stock if product.stock is not None else MAX_LINE_QUANTITY
        await query.answer(
            _plain(texts.t(lang, "product.not_enough", name=escape(product.name), stock=left)),
            show_alert=True,
        )
        return SHOPPING
    cart[product_id] = wanted
    _save_cart(context, cart)
    await query.answer(
        _plain(texts.t(lang, "product.added", quantity=quantity, name=escape(product.name)))
    )
    await _send_cart(update, context, edit=False)
    return SHOPPING


async def show_cart(update: Update, context: Context) -> int:
    await _answer(update)
    await _send_cart(update, context, edit=update.callback_query is not None)
    return SHOPPING


async def _send_cart(update: Update, context: Context, *, edit: bool) -> None:
    lang = _lang(update)
    cart = _cart(context)
    if not cart:
        markup = InlineKeyboardMarkup([[_button(texts.t(lang, "button.menu"), callbacks.MENU, 0)]])
        text = texts.t(lang, "cart.empty")
    else:
        priced = await price_cart(services(context), cart, delivery=False)
        if len(priced.lines) != len(cart):
            _save_cart(context, {line.product_id: line.quantity for line in priced.lines})
        text, markup = _cart_view(priced, lang)
        notes = _problem_lines(priced, lang, only_items=True)
        if notes:
            text = notes + "\n\n" + text
    if edit:
        await _show(update, text, markup)
    else:
        await _reply(update, text, reply_markup=markup)


def _cart_view(priced: Quote, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    lines = [texts.t(lang, "cart.title"), ""]
    rows: list[list[InlineKeyboardButton]] = []
    for line in priced.lines:
        lines.append(
            texts.t(
                lang,
                "cart.line",
                quantity=line.quantity,
                name=escape(line.name),
                total=format_rupiah(line.total),
            )
        )
        rows.append(
            [
                _button("−", callbacks.CART_SET, line.product_id, line.quantity - 1),
                _button(
                    f"{line.name[:24]} ×{line.quantity}",
                    callbacks.PRODUCT,
                    line.product_id,
                    line.quantity,
                ),
                _button(
                    "+",
                    callbacks.CART_SET,
                    line.product_id,
                    min(line.quantity + 1, MAX_LINE_QUANTITY),
                ),
                _button(texts.t(lang, "button.remove"), callbacks.CART_SET, line.product_id, 0),
            ]
        )
    lines += ["", texts.t(lang, "cart.subtotal", amount=format_rupiah(priced.subtotal))]
    rows.append(
        [
            _button(texts.t(lang, "button.clear"), callbacks.CART_CLEAR),
            _button(texts.t(lang, "button.continue"), callbacks.MENU, 0),
        ]
    )
    rows.append([_button(texts.t(lang, "button.checkout"), callbacks.CHECKOUT)])
    text = "\n".join(lines)
    if len(text) > 4000:  # a cart of dozens of long names: keep the message within Telegram's limit
        text = text[:3990].rsplit("\n", 1)[0] + "\n…"
    return text, InlineKeyboardMarkup(rows[:90])


async def cart_set(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query and query.data
    lang = _lang(update)
    product_id, quantity = _ints(callbacks.split(query.data)[1:3])
    cart = _cart(context)
    if product_id not in cart:
        await query.answer(_plain(texts.t(lang, "error.stale_button")))
        return SHOPPING
    product = await services(context).store.run(Tx.product, product_id)
    if quantity > 0 and product and product.stock is not None and quantity > product.stock:
        await query.answer(
            _plain(
                texts.t(lang, "product.not_enough", name=escape(product.name), stock=product.stock)
            ),
            show_alert=True,
        )
        return SHOPPING
    await query.answer()
    if quantity <= 0:
        cart.pop(product_id, None)
    else:
        cart[product_id] = min(quantity, MAX_LINE_QUANTITY)
    _save_cart(context, cart)
    await _send_cart(update, context, edit=True)
    return SHOPPING


async def cart_clear(update: Update, context: Context) -> int:
    _save_cart(context, {})
    await _answer(update, _plain(texts.t(_lang(update), "cart.cleared")))
    await _send_cart(update, context, edit=True)
    return SHOPPING


# --- typed orders --------------------------------------------------------------------------


async def typed_order(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message and message.text
    lang = _lang(update)
    svc = services(context)
    shop = await svc.shop()
    if not shop.is_open:
        closed = f"\n{escape(shop.closed_message)}" if shop.closed_message else ""
        await _reply(update, texts.t(lang, "start.closed", shop=escape(shop.name), message=closed))
        return SHOPPING
    products = await svc.store.run(Tx.products)
    catalogue = [CatalogueItem(p.id, p.name) for p in products]
    parsed = parse_order(message.text[:2000], catalogue)
    by_id = {p.id: p for p in products}
    if not (parsed.lines or parsed.ambiguous or parsed.unknown or parsed.invalid):
        await _reply(update, texts.t(lang, "typed.not_understood"))
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
        lines = [texts.t(lang, "typed.understood")]
        for product_id, quantity in understood.items():
            product = by_id[product_id]
            lines.append(
                texts.t(
                    lang,
                    "cart.line",
                    quantity=quantity,
                    name=escape(product.name),
                    total=format_rupiah(product.price * quantity),
                )
            )
        lines += ["", texts.t(lang, "typed.confirm_hint")]
        await _reply(
            update,
            "\n".join(lines),
            reply_markup=InlineKeyboardMarkup(
                [
                    [_button(texts.t(lang, "button.typed_confirm"), callbacks.TYPED_CONFIRM)],
                    [_button(texts.t(lang, "button.menu"), callbacks.MENU, 0)],
                ]
            ),
        )
    for ambiguity in parsed.ambiguous:
        await _reply(
            update,
            texts.t(lang, "typed.ambiguous", phrase=escape(ambiguity.phrase)),
            reply_markup=_pick_markup(ambiguity.candidate_ids, ambiguity.quantity, by_id, lang),
        )
    for unknown in parsed.unknown:
        if unknown.suggestions:
            await _reply(
                update,
                texts.t(lang, "typed.unknown_suggest", phrase=escape(unknown.phrase)),
                reply_markup=_pick_markup(unknown.suggestions, unknown.quantity, by_id, lang),
            )
        else:
            await _reply(update, texts.t(lang, "typed.unknown", phrase=escape(unknown.phrase)))
    for invalid in parsed.invalid:
        await _reply(
            update,
            texts.t(
                lang,
                f"typed.invalid_{invalid.reason}",
                phrase=escape(invalid.phrase),
                max=MAX_LINE_QUANTITY,
            ),
        )
    if parsed.skipped:
        await _reply(update, texts.t(lang, "typed.skipped", count=parsed.skipped))


def _pick_markup(
    candidate_ids: tuple[int, ...], quantity: int, by_id: dict[int, Product], lang: str
) -> InlineKeyboardMarkup:
    quantity = min(max(quantity, 1), MAX_LINE_QUANTITY)
    return InlineKeyboardMarkup(
        [
            [
                _button(
                    texts.t(lang, "button.pick", name=by_id[pid].name[:40], quantity=quantity),
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
    lang = _lang(update)
    data = cast(dict[str, Any], context.user_data)
    typed = {int(k): int(v) for k, v in (data.pop("typed", None) or {}).items()}
    if not typed:
        await _answer(update, _plain(texts.t(lang, "error.stale_button")))
        return SHOPPING
    await _answer(update)
    cart = _cart(context)
    for product_id, quantity in typed.items():
        cart[product_id] = min(cart.get(product_id, 0) + quantity, MAX_LINE_QUANTITY)
    _save_cart(context, cart)
    await _send_cart(update, context, edit=False)
    return SHOPPING


async def typed_pick(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query and query.data
    lang = _lang(update)
    product_id, quantity = _ints(callbacks.split(query.data)[1:3])
    product = await services(context).store.run(Tx.product, product_id)
    if product is None or not product.available:
        await query.answer(
            _plain(
                texts.t(lang, "product.unavailable", name=escape(product.name if product else "?"))
            ),
            show_alert=True,
        )
        return SHOPPING
    cart = _cart(context)
    cart[product_id] = min(cart.get(product_id, 0) + max(quantity, 1), MAX_LINE_QUANTITY)
    _save_cart(context, cart)
    await query.answer(
        _plain(texts.t(lang, "product.added", quantity=quantity, name=escape(product.name)))
    )
    await _send_cart(update, context, edit=False)
    return SHOPPING


# --- checkout: details ---------------------------------------------------------------------


def _problem_lines(priced: Quote, lang: str, *, only_items: bool = False) -> str:
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


async def checkout(update: Update, context: Context) -> int:
    await _answer(update)
    lang = _lang(update)
    svc = services(context)
    shop = await svc.shop()
    if not shop.is_open:
        closed = f"\n{escape(shop.closed_message)}" if shop.closed_message else ""
        await _reply(update, texts.t(lang, "checkout.closed", message=closed))
        return SHOPPING
    cart = _cart(context)
    priced = await price_cart(svc, cart, delivery=False)
    if not priced.ok:
        await _reply(update, _problem_lines(priced, lang) or texts.t(lang, "cart.empty"))
        if priced.lines and len(priced.lines) != len(cart):
            _save_cart(context, {line.product_id: line.quantity for line in priced.lines})
            await _send_cart(update, context, edit=False)
        return SHOPPING
    user = update.effective_user
    assert user is not None
    pending = await svc.store.run(Tx.count_orders, customer_id=user.id, statuses=list(PENDING))
    if pending >= svc.settings.max_pending_orders:
        await _reply(update, texts.t(lang, "checkout.too_many_pending", count=pending))
        return SHOPPING
    cast(dict[str, Any], context.user_data)["draft"] = {}
    customer = await svc.store.run(Tx.customer, user.id)
    if customer and customer.name and customer.phone:
        email = (
            texts.t(lang, "details.remembered_email", email=escape(customer.email))
            if customer.email
            else ""
        )
        await _reply(
            update,
            texts.t(
                lang,
                "details.remembered",
                name=escape(customer.name),
                phone=display_phone(customer.phone),
                email=email,
            ),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        _button(texts.t(lang, "button.keep"), callbacks.KEEP),
                        _button(texts.t(lang, "button.change"), callbacks.CHANGE),
                    ]
                ]
            ),
        )
        return ASK_NAME
    return await _ask_name(update, context)


async def _ask_name(update: Update, context: Context) -> int:
    lang = _lang(update)
    user = update.effective_user
    profile = " ".join(filter(None, [user.first_name, user.last_name])) if user else ""
    markup: ReplyKeyboardMarkup | ReplyKeyboardRemove = ReplyKeyboardRemove()
    if profile and 2 <= len(profile) <= 50:
        markup = ReplyKeyboardMarkup(
            [[KeyboardButton(profile)]], resize_keyboard=True, one_time_keyboard=True
        )
    await _reply(update, texts.t(lang, "details.ask_name"), reply_markup=markup)
    return ASK_NAME


async def keep_details(update: Update, context: Context) -> int:
    await _answer(update)
    user = update.effective_user
    assert user is not None
    customer = await services(context).store.run(Tx.customer, user.id)
    if not customer or not customer.name or not customer.phone:
        return await _ask_name(update, context)
    draft = _draft(context)
    draft.update(name=customer.name, phone=customer.phone, email=customer.email or "")
    if customer.address:
        draft["last_address"] = customer.address
    return await _ask_fulfilment(update, context)


async def change_details(update: Update, context: Context) -> int:
    await _answer(update)
    return await _ask_name(update, context)


async def got_name(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message and message.text
    name = " ".join(message.text.split())
    if not 2 <= len(name) <= 50 or name.startswith("/"):
        await _reply(update, texts.t(_lang(update), "details.bad_name"))
        return ASK_NAME
    _draft(context)["name"] = name
    lang = _lang(update)
    await _reply(
        update,
        texts.t(lang, "details.ask_phone"),
        reply_markup=ReplyKeyboardMarkup(
            [[KeyboardButton(texts.t(lang, "button.share_phone"), request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        ),
    )
    return ASK_PHONE


async def got_phone(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message is not None
    lang = _lang(update)
    raw = message.contact.phone_number if message.contact else (message.text or "")
    phone = parse_phone_number(raw)
    if phone is None:
        await _reply(update, texts.t(lang, "details.bad_phone"))
        return ASK_PHONE
    _draft(context)["phone"] = phone
    await _reply(update, "✅ " + display_phone(phone), reply_markup=ReplyKeyboardRemove())
    await _reply(
        update,
        texts.t(lang, "details.ask_email"),
        reply_markup=InlineKeyboardMarkup(
            [[_button(texts.t(lang, "button.skip"), callbacks.SKIP)]]
        ),
    )
    return ASK_EMAIL


async def got_email(update: Update, context: Context) -> int:
    lang = _lang(update)
    if update.callback_query:
        await _answer(update)
        _draft(context)["email"] = ""
    else:
        message = update.effective_message
        assert message and message.text
        email = parse_email(message.text)
        if email is None:
            await _reply(update, texts.t(lang, "details.bad_email"))
            return ASK_EMAIL
        _draft(context)["email"] = email
    return await _ask_fulfilment(update, context)


async def _ask_fulfilment(update: Update, context: Context) -> int:
    lang = _lang(update)
    shop = await services(context).shop()
    if shop.delivery and shop.pickup:
        await _reply(
            update,
            texts.t(lang, "details.ask_fulfilment"),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        _button(texts.t(lang, "button.pickup"), callbacks.FULFIL_PICKUP),
                        _button(
                            texts.t(lang, "button.delivery", fee=format_rupiah(shop.delivery_fee)),
                            callbacks.FULFIL_DELIVERY,
                        ),
                    ]
                ]
            ),
        )
        return ASK_FULFILMENT
    if shop.delivery:
        return await _ask_address(update, context)
    _draft(context)["fulfilment"] = "pickup"
    return await _ask_note(update, context)


async def got_fulfilment(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query and query.data
    await query.answer()
    if query.data == callbacks.FULFIL_DELIVERY:
        return await _ask_address(update, context)
    _draft(context)["fulfilment"] = "pickup"
    return await _ask_note(update, context)


async def _ask_address(update: Update, context: Context) -> int:
    lang = _lang(update)
    _draft(context)["fulfilment"] = "delivery"
    await _reply(
        update,
        texts.t(lang, "details.ask_address"),
        reply_markup=ReplyKeyboardMarkup(
            [[KeyboardButton(texts.t(lang, "button.share_location"), request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        ),
    )
    return ASK_ADDRESS


async def got_address(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message is not None
    lang = _lang(update)
    draft = _draft(context)
    if message.location:
        draft["latitude"] = message.location.latitude
        draft["longitude"] = message.location.longitude
        draft["address"] = f"{message.location.latitude:.6f}, {message.location.longitude:.6f}"
        await _reply(
            update, texts.t(lang, "details.location_received"), reply_markup=ReplyKeyboardRemove()
        )
    else:
        address = " ".join((message.text or "").split())
        if len(address) < 8:
            await _reply(update, texts.t(lang, "details.bad_address"))
            return ASK_ADDRESS
        draft["address"] = address[:300]
        draft.pop("latitude", None)
        draft.pop("longitude", None)
        await _reply(update, "✅", reply_markup=ReplyKeyboardRemove())
    return await _ask_note(update, context)


async def _ask_note(update: Update, context: Context) -> int:
    lang = _lang(update)
    await _reply(
        update,
        texts.t(lang, "details.ask_note"),
        reply_markup=InlineKeyboardMarkup(
            [[_button(texts.t(lang, "button.skip"), callbacks.SKIP)]]
        ),
    )
    return ASK_NOTE


async def got_note(update: Update, context: Context) -> int:
    if update.callback_query:
        await _answer(update)
        _draft(context)["note"] = ""
    else:
        message = update.effective_message
        assert message and message.text
        _draft(context)["note"] = " ".join(message.text.split())[:300]
    return await _summary(update, context)


async def _summary(update: Update, context: Context) -> int:
    lang = _lang(update)
    svc = services(context)
    draft = _draft(context)
    delivery = draft.get("fulfilment") == "delivery"
    priced = await price_cart(svc, _cart(context), delivery=delivery)
    if not priced.ok:
        await _reply(update, _problem_lines(priced, lang))
        return SHOPPING
    shop = await svc.shop()
    lines = [texts.t(lang, "summary.title"), ""]
    for line in priced.lines:
        lines.append(
            texts.t(
                lang,
                "cart.line",
                quantity=line.quantity,
                name=escape(line.name),
                total=format_rupiah(line.total),
            )
        )
    if priced.delivery_fee:
        lines.append(texts.t(lang, "summary.fee", fee=format_rupiah(priced.delivery_fee)))
    lines += ["", texts.t(lang, "summary.total", total=format_rupiah(priced.total)), ""]
    lines.append(
        texts.t(lang, "summary.delivery", address=escape(draft.get("address")))
        if delivery
        else texts.t(lang, "summary.pickup")
    )
    if draft.get("note"):
        lines.append(texts.t(lang, "summary.note", note=escape(draft["note"])))
    lines.append(
        texts.t(
            lang,
            "summary.customer",
            name=escape(draft.get("name")),
            phone=display_phone(str(draft.get("phone", ""))),
        )
    )
    lines += [
        "",
        texts.t(lang, "summary.payment", validity=format_duration(shop.payment_expiry, lang)),
    ]
    text = "\n".join(lines)
    if len(text) > 4096:
        text = text[:4090].rsplit("\n", 1)[0] + "\n…"
    await _reply(
        update,
        text,
        reply_markup=InlineKeyboardMarkup(
            [
                [_button(texts.t(lang, "button.pay"), callbacks.CONFIRM)],
                [_button(texts.t(lang, "button.abort"), callbacks.ABORT)],
            ]
        ),
    )
    return CONFIRM


async def confirm(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query is not None
    lang = _lang(update)
    svc = services(context)
    draft = _draft(context)
    user, chat = update.effective_user, update.effective_chat
    assert user and chat
    if not draft.get("name") or not draft.get("phone"):
        await query.answer(_plain(texts.t(lang, "error.stale_button")), show_alert=True)
        return SHOPPING
    await query.answer(_plain(texts.t(lang, "checkout.working")))
    if isinstance(query.message, Message) and query.message.text:
        # Drop the buttons so "pay" cannot be tapped twice. editMessageText rather than
        # editMessageReplyMarkup: PTB adds the default parse_mode to the latter, which that
        # method does not have.
        with contextlib.suppress(BadRequest):
            await query.edit_message_text(query.message.text_html, reply_markup=None)
    result = await place_order(
        svc,
        Draft(
            user_id=user.id,
            chat_id=chat.id,
            language=lang,
            cart=_cart(context),
            name=str(draft["name"]),
            phone=str(draft["phone"]),
            email=str(draft.get("email") or ""),
            fulfilment=str(draft.get("fulfilment") or "pickup"),
            address=draft.get("address"),
            latitude=draft.get("latitude"),
            longitude=draft.get("longitude"),
            note=draft.get("note") or None,
        ),
    )
    return await _after_checkout(update, context, result.outcome, result)


async def _after_checkout(update: Update, context: Context, outcome: Outcome, result: Any) -> int:
    lang = _lang(update)
    svc = services(context)
    if outcome is Outcome.PLACED:
        _save_cart(context, {})
        cast(dict[str, Any], context.user_data).pop("draft", None)
        shop = await svc.shop()
        await send_payment_code(context.bot, result.order, shop.name)
        return SHOPPING
    if outcome is Outcome.AWAITING_CODE:
        _save_cart(context, {})
        cast(dict[str, Any], context.user_data).pop("draft", None)
        await _reply(update, texts.t(lang, "checkout.awaiting_code", order_id=result.order.id))
        return SHOPPING
    if outcome is Outcome.SHOP_CLOSED:
        shop = await svc.shop()
        closed = f"\n{escape(shop.closed_message)}" if shop.closed_message else ""
        await _reply(update, texts.t(lang, "checkout.closed", message=closed))
    elif outcome is Outcome.TOO_MANY_PENDING:
        await _reply(
            update,
            texts.t(lang, "checkout.too_many_pending", count=svc.settings.max_pending_orders),
        )
    elif outcome is Outcome.CART_PROBLEM:
        await _reply(update, _problem_lines(result.quote, lang))
    elif outcome is Outcome.OUT_OF_STOCK:
        await _reply(
            update, texts.t(lang, "checkout.out_of_stock", name=escape(result.product_name))
        )
    else:
        await _reply(update, texts.t(lang, "checkout.failed"))
    return SHOPPING


async def abort(update: Update, context: Context) -> int:
    await _answer(update)
    cast(dict[str, Any], context.user_data).pop("draft", None)
    await _reply(
        update, texts.t(_lang(update), "checkout.aborted"), reply_markup=ReplyKeyboardRemove()
    )
    return SHOPPING


async def press_a_button(update: Update, context: Context) -> None:
    """Text where a button was expected: say so, change nothing, stay in the same state."""
    await _reply(update, texts.t(_lang(update), "details.press_button"))


async def cancel_step(update: Update, context: Context) -> int:
    cast(dict[str, Any], context.user_data).pop("draft", None)
    await _reply(
        update, texts.t(_lang(update), "cancelled_step"), reply_markup=ReplyKeyboardRemove()
    )
    return SHOPPING


async def help_command(update: Update, context: Context) -> int:
    await _reply(update, texts.t(_lang(update), "help"))
    return SHOPPING


# --- my orders -----------------------------------------------------------------------------


async def my_orders(update: Update, context: Context) -> int:
    await _answer(update)
    lang = _lang(update)
    user = update.effective_user
    assert user is not None
    page = 0
    if update.callback_query and update.callback_query.data:
        parts = callbacks.split(update.callback_query.data)
        page = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    store = services(context).store
    total = await store.run(Tx.count_orders, customer_id=user.id)
    orders = await store.run(
        Tx.orders, customer_id=user.id, limit=ORDERS_PAGE_SIZE, offset=page * ORDERS_PAGE_SIZE
    )
    if not orders:
        await _show(update, texts.t(lang, "orders.none"), None)
        return SHOPPING
    rows = [
        [
            _button(
                texts.t(
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
        nav.append(_button(texts.t(lang, "button.prev"), callbacks.MY_ORDERS, page - 1))
    if (page + 1) * ORDERS_PAGE_SIZE < total:
        nav.append(_button(texts.t(lang, "button.next"), callbacks.MY_ORDERS, page + 1))
    if nav:
        rows.append(nav)
    rows.append([_button(texts.t(lang, "button.menu"), callbacks.MENU, 0)])
    await _show(update, texts.t(lang, "orders.title"), InlineKeyboardMarkup(rows))
    return SHOPPING


async def _own_order(update: Update, context: Context) -> Order | None:
    """The order named by the tapped button, if it belongs to the person who tapped it."""
    query = update.callback_query
    assert query and query.data
    parts = callbacks.split(query.data)
    user = update.effective_user
    order = await services(context).store.run(Tx.order, parts[1]) if len(parts) > 1 else None
    if order is None or user is None or order.customer_id != user.id:
        await query.answer(_plain(texts.t(_lang(update), "order.not_found")), show_alert=True)
        return None
    return order


async def order_view(update: Update, context: Context) -> int:
    order = await _own_order(update, context)
    if order is None:
        return SHOPPING
    await _answer(update)
    lang = _lang(update)
    text = texts.t(
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
        text += texts.t(
            lang,
            "order.code_line",
            code=escape(order.charge.payment_code),
            expiry=format_wib(expiry, lang) if expiry else "-",
        )
        rows.append(
            [
                _button(texts.t(lang, "button.resend"), callbacks.ORDER_RESEND, order.id),
                _button(texts.t(lang, "button.slip_png"), callbacks.ORDER_PNG, order.id),
            ]
        )
        rows.append(
            [_button(texts.t(lang, "button.cancel_order"), callbacks.ORDER_CANCEL, order.id)]
        )
    else:
        rows.append([_button(texts.t(lang, "button.reorder"), callbacks.REORDER, order.id)])
    rows.append([_button(texts.t(lang, "button.my_orders"), callbacks.MY_ORDERS, 0)])
    await _show(update, text, InlineKeyboardMarkup(rows))
    return SHOPPING


async def order_resend(update: Update, context: Context) -> int:
    order = await _own_order(update, context)
    if order is None:
        return SHOPPING
    if order.status not in PENDING or order.charge is None:
        await _answer(
            update,
            _plain(
                texts.t(
                    _lang(update),
                    "order.cannot_cancel",
                    status=status_label(order.status, _lang(update)),
                )
            ),
        )
        return SHOPPING
    await _answer(update)
    shop = await services(context).shop()
    await send_payment_code(context.bot, order, shop.name)
    return SHOPPING


async def order_png(update: Update, context: Context) -> int:
    order = await _own_order(update, context)
    if order is None:
        return SHOPPING
    if order.charge is None:
        await _answer(update, _plain(texts.t(_lang(update), "order.not_found")))
        return SHOPPING
    await _answer(update)
    shop = await services(context).shop()
    await send_slip_document(context.bot, order, shop.name)
    return SHOPPING


async def order_cancel(update: Update, context: Context) -> int:
    order = await _own_order(update, context)
    if order is None:
        return SHOPPING
    lang = _lang(update)
    if order.status not in PENDING:
        await _answer(
            update,
            _plain(texts.t(lang, "order.cannot_cancel", status=status_label(order.status, lang))),
        )
        return SHOPPING
    await _answer(update)
    await _reply(
        update,
        texts.t(lang, "order.cancel_sure", order_id=order.id),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    _button(
                        texts.t(lang, "button.cancel_yes"), callbacks.ORDER_CANCEL_SURE, order.id
                    ),
                    _button(texts.t(lang, "button.cancel_no"), callbacks.ORDER_VIEW, order.id),
                ]
            ]
        ),
    )
    return SHOPPING


async def order_cancel_sure(update: Update, context: Context) -> int:
    order = await _own_order(update, context)
    if order is None:
        return SHOPPING
    lang = _lang(update)
    svc = services(context)
    if order.status not in PENDING:
        await _answer(
            update,
            _plain(texts.t(lang, "order.cannot_cancel", status=status_label(order.status, lang))),
        )
        return SHOPPING
    await _answer(update)
    assert svc.payments is not None
    try:
        status = await svc.payments.cancel_order(order.id, reason="customer")
    except MidtransError as exc:
        logger.warning("cancel of %s failed: %s", order.id, exc)
        await _show(update, texts.t(lang, "order.cancel_failed"), None)
        return SHOPPING
    if status == "cancelled":
        await _show(update, texts.t(lang, "order.cancelled", order_id=order.id), None)
    else:
        await _show(
            update, texts.t(lang, "order.cannot_cancel", status=status_label(status, lang)), None
        )
    return SHOPPING


async def reorder(update: Update, context: Context) -> int:
    order = await _own_order(update, context)
    if order is None:
        return SHOPPING
    await _answer(update)
    cart = _cart(context)
    for item in order.items:
        if item.product_id is not None:
            cart[item.product_id] = min(
                cart.get(item.product_id, 0) + item.quantity, MAX_LINE_QUANTITY
            )
    _save_cart(context, cart)
    await _reply(update, texts.t(_lang(update), "order.reordered", order_id=order.id))
    await _send_cart(update, context, edit=False)
    return SHOPPING


async def stale_button(update: Update, context: Context) -> int | None:
    """A button from an old message whose step is over: say so, change nothing."""
    await _answer(update, _plain(texts.t(_lang(update), "error.stale_button")))
    return None


# --- wiring ----------------------------------------------------------------------------------


def _ints(parts: list[str]) -> tuple[int, int]:
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return 0, 0


def _plain(text: str) -> str:
    """Callback answers are plain text (no HTML) and at most 200 characters."""
    return (
        re.sub(r"<[^>]+>", "", text)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")[:200]
    )


def _pattern(code: str) -> str:
    return rf"^{code}(:|$)"


def shopping_handlers() -> list[Any]:
    return [
        CommandHandler("start", start),
        CommandHandler(["menu"], menu),
        CommandHandler(["keranjang", "cart"], show_cart),
        CommandHandler(["pesanan", "orders"], my_orders),
        CommandHandler(["bantuan", "help"], help_command),
        CommandHandler(["batal", "cancel"], cancel_step),
        CallbackQueryHandler(menu, pattern=_pattern(callbacks.MENU)),
        CallbackQueryHandler(product_card, pattern=_pattern(callbacks.PRODUCT)),
        CallbackQueryHandler(add_to_cart, pattern=_pattern(callbacks.ADD)),
        CallbackQueryHandler(show_cart, pattern=_pattern(callbacks.CART)),
        CallbackQueryHandler(cart_set, pattern=_pattern(callbacks.CART_SET)),
        CallbackQueryHandler(cart_clear, pattern=_pattern(callbacks.CART_CLEAR)),
        CallbackQueryHandler(checkout, pattern=_pattern(callbacks.CHECKOUT)),
        CallbackQueryHandler(typed_confirm, pattern=_pattern(callbacks.TYPED_CONFIRM)),
        CallbackQueryHandler(typed_pick, pattern=_pattern(callbacks.TYPED_PICK)),
        CallbackQueryHandler(my_orders, pattern=_pattern(callbacks.MY_ORDERS)),
        CallbackQueryHandler(order_view, pattern=_pattern(callbacks.ORDER_VIEW)),
        CallbackQueryHandler(order_resend, pattern=_pattern(callbacks.ORDER_RESEND)),
        CallbackQueryHandler(order_png, pattern=_pattern(callbacks.ORDER_PNG)),
        CallbackQueryHandler(order_cancel, pattern=_pattern(callbacks.ORDER_CANCEL)),
        CallbackQueryHandler(order_cancel_sure, pattern=_pattern(callbacks.ORDER_CANCEL_SURE)),
        CallbackQueryHandler(reorder, pattern=_pattern(callbacks.REORDER)),
    ]


def conversation() -> ConversationHandler[Any]:
    private_text = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
    return ConversationHandler(
        name="customer",
        persistent=True,
        allow_reentry=False,
        per_message=False,
        entry_points=[*shopping_handlers(), MessageHandler(private_text, typed_order)],
        states={
            SHOPPING: [MessageHandler(private_text, typed_order)],
            ASK_NAME: [
                CallbackQueryHandler(keep_details, pattern=_pattern(callbacks.KEEP)),
                CallbackQueryHandler(change_details, pattern=_pattern(callbacks.CHANGE)),
                MessageHandler(private_text, got_name),
            ],
            ASK_PHONE: [MessageHandler(filters.CONTACT | private_text, got_phone)],
            ASK_EMAIL: [
                CallbackQueryHandler(got_email, pattern=_pattern(callbacks.SKIP)),
                MessageHandler(private_text, got_email),
            ],
            ASK_FULFILMENT: [
                CallbackQueryHandler(
                    got_fulfilment,
                    pattern=rf"^({callbacks.FULFIL_PICKUP}|{callbacks.FULFIL_DELIVERY})$",
                ),
                MessageHandler(private_text, press_a_button),
            ],
            ASK_ADDRESS: [MessageHandler(filters.LOCATION | private_text, got_address)],
            ASK_NOTE: [
                CallbackQueryHandler(got_note, pattern=_pattern(callbacks.SKIP)),
                MessageHandler(private_text, got_note),
            ],
            CONFIRM: [
                CallbackQueryHandler(confirm, pattern=_pattern(callbacks.CONFIRM)),
                CallbackQueryHandler(abort, pattern=_pattern(callbacks.ABORT)),
                MessageHandler(private_text, press_a_button),
            ],
        },
        fallbacks=[*shopping_handlers(), CallbackQueryHandler(stale_button)],
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(conversation())


def commands(lang: str) -> list[tuple[str, str]]:
    """The command menu customers see in Telegram."""
    return [
        ("start", texts.t(lang, "command.start")),
        ("keranjang", texts.t(lang, "command.cart")),
        ("pesanan", texts.t(lang, "command.orders")),
        ("bantuan", texts.t(lang, "command.help")),
        ("batal", texts.t(lang, "command.cancel")),
    ]
