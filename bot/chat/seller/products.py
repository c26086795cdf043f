"""The seller's catalogue: add products (guided or in one line), list them, edit with buttons.

Guided steps and edits are states of the seller conversation (``admin.py``); the draft lives in
``user_data`` so a half-added product survives a restart. Every value is checked before anything
is stored: a bad price, name, stock or photo gets a clear reply and changes nothing.
"""

from __future__ import annotations

import math
import re
from typing import Any, cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ConversationHandler

from bot.chat.common import answer, button, reply, show, user_lang
from bot.chat.seller.common import (
    Context,
    args_of,
    int_arg,
    query_parts,
)
from bot.rules.money import format_rupiah
from bot.rules.orders import INDOMARET_MAX_AMOUNT
from bot.text import callbacks, phrases
from bot.text.fields import (
    UNLIMITED,
    parse_price,
    parse_stock,
    split_command_args,
    visible_length,
)
from bot.text.formatting import CAPTION_LIMIT, TEXT_LIMIT, escape, fit_user_text
from storage import Product, Tx

END = ConversationHandler.END
ADD_NAME, ADD_PRICE, ADD_STOCK, ADD_PHOTO, ADD_TEXT = range(10, 15)
EDIT_NAME, EDIT_PRICE, EDIT_STOCK, EDIT_PHOTO, EDIT_TEXT = range(20, 25)

NAME_MAX = 50  # Midtrans item_details.name limit
DESCRIPTION_MAX = 500
MIN_PRICE = 1
MAX_PRICE = INDOMARET_MAX_AMOUNT  # one item can never cost more than an Indomaret payment
PAGE_SIZE = 10
DRAFT = "admin_draft"
EDITING = "admin_edit"
FIELDS = {"p": EDIT_PRICE, "s": EDIT_STOCK, "n": EDIT_NAME, "f": EDIT_PHOTO, "d": EDIT_TEXT}


# --- validation (pure) -----------------------------------------------------------------------


def clean_name(text: str) -> str | None:
    """One line, 1..50 characters after tidying spaces, at least one of them visible (not only
    zero-width or blank characters); None when it does not fit."""
    name = " ".join(text.split())
    if not name or len(name) > NAME_MAX or any(ord(ch) < 32 for ch in name):
        return None
    return name if visible_length(name) > 0 else None


def check_price(text: str) -> int | None:
    """Whole Rupiah within 1..5.000.000 ("18000", "18.000", "18rb"); None otherwise."""
    price = parse_price(text)
    if price is None or not MIN_PRICE <= price <= MAX_PRICE:
        return None
    return price


def check_stock(text: str) -> tuple[bool, int | None]:
    """(ok, stock): stock None means unlimited."""
    stock = parse_stock(text)
    if stock is None:
        return False, None
    if stock == UNLIMITED:
        return True, None
    return True, int(stock)


def clean_description(text: str) -> str | None:
    description = text.strip()
    if description in {"-", "—"}:
        return ""
    return description if len(description) <= DESCRIPTION_MAX else None


# --- small helpers -------------------------------------------------------------------------


def _data(context: Context) -> dict[str, Any]:
    return cast(dict[str, Any], context.user_data)


def _stock_label(product: Product, lang: str) -> str:
    if product.stock is None:
        return phrases.t(lang, "admin.stock.unlimited")
    if product.stock == 0:
        return phrases.t(lang, "admin.stock.sold_out")
    return str(product.stock)


def card_text(product: Product, lang: str, *, note: str = "", limit: int = TEXT_LIMIT) -> str:
    """The seller's product card, after ``note`` if any; the description is shortened (as plain
    text, before escaping) when the card must fit ``limit``, e.g. a photo caption."""
    head = (note + "\n\n" if note else "") + phrases.t(
        lang,
        "admin.product.card",
        id=product.id,
        name=escape(product.name),
        price=format_rupiah(product.price),
        stock=_stock_label(product, lang),
        visibility=phrases.t(
            lang, "admin.product.visible" if product.visible else "admin.product.hidden"
        ),
        photo=phrases.t(lang, "admin.yes" if product.photo_file_id else "admin.no"),
    )
    if not product.description:
        return head
    return fit_user_text(lambda description: head + "\n" + description, product.description, limit)


def card_markup(product: Product, lang: str) -> InlineKeyboardMarkup:
    pid = product.id
    toggle = "admin.button.hide" if product.visible else "admin.button.show"
    return InlineKeyboardMarkup(
        [
            [
                button(phrases.t(lang, "admin.button.price"), callbacks.ADMIN_EDIT, pid, "p"),
                button(phrases.t(lang, "admin.button.stock"), callbacks.ADMIN_EDIT, pid, "s"),
            ],
            [
                button(phrases.t(lang, "admin.button.name"), callbacks.ADMIN_EDIT, pid, "n"),
                button(phrases.t(lang, "admin.button.photo"), callbacks.ADMIN_EDIT, pid, "f"),
            ],
            [
                button(phrases.t(lang, "admin.button.description"), callbacks.ADMIN_EDIT, pid, "d"),
                button(phrases.t(lang, toggle), callbacks.ADMIN_TOGGLE, pid),
            ],
            [
                button(phrases.t(lang, "admin.button.delete"), callbacks.ADMIN_DELETE, pid),
                button(phrases.t(lang, "admin.button.products"), callbacks.ADMIN_PRODUCTS, 0),
            ],
        ]
    )


async def send_card(update: Update, product: Product, *, note: str = "") -> None:
    """The product card: edited in place after a button, else a new message (photo if any)."""
    lang = user_lang(update)
    text = card_text(product, lang, note=note)
    caption = card_text(product, lang, note=note, limit=CAPTION_LIMIT)
    markup = card_markup(product, lang)
    query = update.callback_query
    message = query.message if query else None
    if query and isinstance(message, Message) and message.photo and not note:
        try:
            await query.edit_message_caption(caption=caption, reply_markup=markup)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise
        return
    if query and isinstance(message, Message) and message.text and not note:
        await show(update, text, markup)
        return
    chat = update.effective_chat
    assert chat is not None
    if product.photo_file_id:
        await chat.send_photo(product.photo_file_id, caption=caption, reply_markup=markup)
    else:
        await reply(update, text, reply_markup=markup)


async def _duplicate_note(context: Context, name: str, lang: str, skip_id: int = 0) -> str:
    products = await context.services.store.run(Tx.products, include_hidden=True)
    for product in products:
        if product.id != skip_id and product.name.casefold() == name.casefold():
            return "\n" + phrases.t(
                lang, "admin.product.duplicate", name=escape(product.name), id=product.id
            )
    return ""


async def _product_or_say(
    update: Update, context: Context, product_id: int | None
) -> Product | None:
    """The product, or a clear reply (an alert for a button) when there is no such product."""
    product = None
    if product_id is not None:
        product = await context.services.store.run(Tx.product, product_id)
    if product is None:
        text = phrases.t(user_lang(update), "admin.product.not_found", id=product_id or "?")
        if update.callback_query:
            await answer(update, text, alert=True)
        else:
            await reply(update, text)
    return product


# --- listing -------------------------------------------------------------------------------


async def products(update: Update, context: Context) -> None:
    await answer(update)
    lang = user_lang(update)
    parts = query_parts(update)
    page = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    items = await context.services.store.run(Tx.products, include_hidden=True)
    if not items:
        await show(update, phrases.t(lang, "admin.products.none"))
        return
    pages = max(1, math.ceil(len(items) / PAGE_SIZE))
    page = min(page, pages - 1)
    shown = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines = [phrases.t(lang, "admin.products.title", count=len(items)), ""]
    for product in shown:
        lines.append(
            phrases.t(
                lang,
                "admin.products.line",
                id=product.id,
                name=escape(product.name),
                price=format_rupiah(product.price),
                stock=_stock_label(product, lang),
                hidden="" if product.visible else phrases.t(lang, "admin.products.hidden_mark"),
            )
        )
    if pages > 1:
        lines.append(phrases.t(lang, "admin.page", page=page + 1, pages=pages))
    lines += ["", phrases.t(lang, "admin.products.hint")]
    rows: list[list[InlineKeyboardButton]] = []
    for index in range(0, len(shown), 2):
        rows.append(
            [
                button(f"#{p.id} {p.name[:28]}", callbacks.ADMIN_PRODUCT, p.id)
                for p in shown[index : index + 2]
            ]
        )
    nav = []
    if page > 0:
        nav.append(button(phrases.t(lang, "admin.button.prev"), callbacks.ADMIN_PRODUCTS, page - 1))
    if page < pages - 1:
        nav.append(button(phrases.t(lang, "admin.button.next"), callbacks.ADMIN_PRODUCTS, page + 1))
    if nav:
        rows.append(nav)
    await show(update, "\n".join(lines), InlineKeyboardMarkup(rows))


async def product_card(update: Update, context: Context) -> None:
    parts = query_parts(update)
    product = await _product_or_say(update, context, int_arg(parts[1]) if len(parts) > 1 else None)
    if product is None:
        return
    await answer(update)
    await send_card(update, product)


async def product_command(update: Update, context: Context) -> None:
    """``/product 3``: the card of one product."""
    product_id = int_arg(args_of(update))
    if product_id is None:
        await reply(update, phrases.t(user_lang(update), "admin.product.usage"))
        return
    product = await _product_or_say(update, context, product_id)
    if product is not None:
        await send_card(update, product)


# --- adding ----------------------------------------------------------------------------------


async def add(update: Update, context: Context) -> int:
    """``/add`` starts the guided steps; ``/add name | price | stock | text`` adds at once."""
    lang = user_lang(update)
    text = args_of(update)
    _data(context).pop(EDITING, None)
    _data(context).pop(DRAFT, None)
    if "|" in text:
        await _add_one_line(update, context, text)
        return END
    _data(context)[DRAFT] = {}
    if text:
        return await _got_name(update, context, text)
    await reply(update, phrases.t(lang, "admin.add.ask_name", max=NAME_MAX))
    return ADD_NAME


async def _add_one_line(update: Update, context: Context, text: str) -> None:
    lang = user_lang(update)
    fields = split_command_args("/add " + text)
    if not 2 <= len(fields) <= 4:
        await reply(update, phrases.t(lang, "admin.add.usage"))
        return
    name = clean_name(fields[0])
    price = check_price(fields[1])
    stock_ok, stock = check_stock(fields[2]) if len(fields) > 2 and fields[2] else (True, None)
    description = clean_description(fields[3]) if len(fields) > 3 else ""
    problems = []
    if name is None:
        problems.append(phrases.t(lang, "admin.bad.name", max=NAME_MAX))
    if price is None:
        problems.append(phrases.t(lang, "admin.bad.price", text=escape(fields[1])))
    if not stock_ok:
        problems.append(phrases.t(lang, "admin.bad.stock", text=escape(fields[2])))
    if description is None:
        problems.append(phrases.t(lang, "admin.bad.description", max=DESCRIPTION_MAX))
    if problems or name is None or price is None or description is None:
        await reply(update, "\n".join([*problems, "", phrases.t(lang, "admin.add.usage")]))
        return
    note = await _duplicate_note(context, name, lang)
    svc = context.services
    product = await svc.store.run(
        Tx.add_product, name, price, stock, svc.clock(), description=description
    )
    await send_card(update, product, note=phrases.t(lang, "admin.add.done") + note)


async def _got_name(update: Update, context: Context, text: str) -> int:
    lang = user_lang(update)
    name = clean_name(text)
    if name is None:
        await reply(update, phrases.t(lang, "admin.bad.name", max=NAME_MAX))
        return ADD_NAME
    _data(context).setdefault(DRAFT, {})["name"] = name
    note = await _duplicate_note(context, name, lang)
    await reply(update, phrases.t(lang, "admin.add.ask_price", name=escape(name)) + note)
    return ADD_PRICE


async def add_name(update: Update, context: Context) -> int:
    message = update.effective_message
    return await _got_name(update, context, message.text or "" if message else "")


async def add_price(update: Update, context: Context) -> int:
    lang = user_lang(update)
    message = update.effective_message
    text = (message.text or "") if message else ""
    price = check_price(text)
    if price is None:
        await reply(update, phrases.t(lang, "admin.bad.price", text=escape(text[:40])))
        return ADD_PRICE
    _data(context).setdefault(DRAFT, {})["price"] = price
    markup = InlineKeyboardMarkup(
        [[button(phrases.t(lang, "admin.button.unlimited"), callbacks.ADMIN_STEP, "u")]]
    )
    await reply(update, phrases.t(lang, "admin.add.ask_stock"), reply_markup=markup)
    return ADD_STOCK


async def add_stock(update: Update, context: Context) -> int:
    lang = user_lang(update)
    if update.callback_query:
        await answer(update)
        stock_ok, stock = True, None
    else:
        message = update.effective_message
        text = (message.text or "") if message else ""
        stock_ok, stock = check_stock(text)
        if not stock_ok:
            await reply(update, phrases.t(lang, "admin.bad.stock", text=escape(text[:40])))
            return ADD_STOCK
    _data(context).setdefault(DRAFT, {})["stock"] = stock
    markup = InlineKeyboardMarkup(
        [[button(phrases.t(lang, "admin.button.skip"), callbacks.ADMIN_STEP, "s")]]
    )
    await reply(update, phrases.t(lang, "admin.add.ask_photo"), reply_markup=markup)
    return ADD_PHOTO


async def add_photo(update: Update, context: Context) -> int:
    lang = user_lang(update)
    if update.callback_query:
        await answer(update)
    else:
        message = update.effective_message
        assert message is not None and message.photo
        _data(context).setdefault(DRAFT, {})["photo"] = message.photo[-1].file_id
    markup = InlineKeyboardMarkup(
        [[button(phrases.t(lang, "admin.button.skip"), callbacks.ADMIN_STEP, "s")]]
    )
    await reply(
        update,
        phrases.t(lang, "admin.add.ask_description", max=DESCRIPTION_MAX),
        reply_markup=markup,
    )
    return ADD_TEXT


async def not_a_photo(update: Update, context: Context) -> None:
    """A file, a sticker or text where a photo was asked for: say so, stay in the step."""
    message = update.effective_message
    key = "admin.bad.photo_document" if message and message.document else "admin.bad.photo"
    await reply(update, phrases.t(user_lang(update), key))


async def expect_text(update: Update, context: Context) -> None:
    """A photo or sticker where a typed answer was asked for: say so, stay in the step."""
    await reply(update, phrases.t(user_lang(update), "admin.bad.expect_text"))


async def add_description(update: Update, context: Context) -> int:
    lang = user_lang(update)
    description = ""
    if update.callback_query:
        await answer(update)
    else:
        message = update.effective_message
        cleaned = clean_description((message.text or "") if message else "")
        if cleaned is None:
            await reply(update, phrases.t(lang, "admin.bad.description", max=DESCRIPTION_MAX))
            return ADD_TEXT
        description = cleaned
    draft = _data(context).pop(DRAFT, None) or {}
    if "name" not in draft or "price" not in draft:
        await reply(update, phrases.t(lang, "admin.add.lost"))
        return END
    svc = context.services
    product = await svc.store.run(
        Tx.add_product,
        draft["name"],
        int(draft["price"]),
        draft.get("stock"),
        svc.clock(),
        description=description,
        photo_file_id=draft.get("photo"),
    )
    await send_card(update, product, note=phrases.t(lang, "admin.add.done"))
    return END


# --- editing ---------------------------------------------------------------------------------


async def edit(update: Update, context: Context) -> int:
    """A card button: ask for the new value of one field."""
    parts = query_parts(update)
    product = await _product_or_say(update, context, int_arg(parts[1]) if len(parts) > 1 else None)
    field = parts[2] if len(parts) > 2 else ""
    if product is None or field not in FIELDS:
        if product is not None:
            await answer(update)
        return END
    await answer(update)
    lang = user_lang(update)
    _data(context)[EDITING] = product.id
    _data(context).pop(DRAFT, None)
    name = escape(product.name)
    rows: list[list[InlineKeyboardButton]] = []
    if field == "p":
        text = phrases.t(
            lang, "admin.edit.ask_price", name=name, price=format_rupiah(product.price)
        )
    elif field == "s":
        text = phrases.t(lang, "admin.edit.ask_stock", name=name, stock=_stock_label(product, lang))
        rows.append([button(phrases.t(lang, "admin.button.unlimited"), callbacks.ADMIN_STEP, "u")])
    elif field == "n":
        text = phrases.t(lang, "admin.edit.ask_name", name=name, max=NAME_MAX)
    elif field == "f":
        text = phrases.t(lang, "admin.edit.ask_photo", name=name)
        if product.photo_file_id:
            rows.append(
                [button(phrases.t(lang, "admin.button.remove_photo"), callbacks.ADMIN_STEP, "r")]
            )
    else:
        text = phrases.t(lang, "admin.edit.ask_description", name=name, max=DESCRIPTION_MAX)
    await reply(update, text, reply_markup=InlineKeyboardMarkup(rows) if rows else None)
    return FIELDS[field]


async def _save(update: Update, context: Context, **fields: object) -> int:
    """Store the edited field and show the card again; a vanished product gets a clear reply."""
    product_id = _data(context).pop(EDITING, None)
    svc = context.services
    product = None
    if isinstance(product_id, int):
        product = await svc.store.run(Tx.update_product, product_id, svc.clock(), **fields)
    if product is None:
        await reply(update, phrases.t(user_lang(update), "admin.product.not_found", id=product_id))
        return END
    await send_card(update, product, note=phrases.t(user_lang(update), "admin.edit.saved"))
    return END


def _text(update: Update) -> str:
    message = update.effective_message
    return (message.text or "") if message else ""


async def edit_price(update: Update, context: Context) -> int:
    price = check_price(_text(update))
    if price is None:
        await reply(
            update, phrases.t(user_lang(update), "admin.bad.price", text=escape(_text(update)[:40]))
        )
        return EDIT_PRICE
    return await _save(update, context, price=price)


async def edit_stock(update: Update, context: Context) -> int:
    if update.callback_query:
        await answer(update)
        return await _save(update, context, stock=None)
    stock_ok, stock = check_stock(_text(update))
    if not stock_ok:
        await reply(
            update, phrases.t(user_lang(update), "admin.bad.stock", text=escape(_text(update)[:40]))
        )
        return EDIT_STOCK
    return await _save(update, context, stock=stock)


async def edit_name(update: Update, context: Context) -> int:
    lang = user_lang(update)
    name = clean_name(_text(update))
    if name is None:
        await reply(update, phrases.t(lang, "admin.bad.name", max=NAME_MAX))
        return EDIT_NAME
    product_id = _data(context).get(EDITING)
    note = await _duplicate_note(context, name, lang, skip_id=int(product_id or 0))
    if note:
        await reply(update, note.strip())
    return await _save(update, context, name=name)


async def edit_photo(update: Update, context: Context) -> int:
    if update.callback_query:  # "remove photo"
        await answer(update)
        return await _save(update, context, photo_file_id=None)
    message = update.effective_message
    assert message is not None and message.photo
    return await _save(update, context, photo_file_id=message.photo[-1].file_id)


async def edit_description(update: Update, context: Context) -> int:
    description = clean_description(_text(update))
    if description is None:
        await reply(
            update,
            phrases.t(user_lang(update), "admin.bad.description", max=DESCRIPTION_MAX),
        )
        return EDIT_TEXT
    return await _save(update, context, description=description)


# --- quick commands: /price 3 20000, /stock 3 15 -----------------------------------------------


def _id_and_value(update: Update) -> tuple[int | None, str]:
    match = re.fullmatch(r"#?(\d{1,15})\s+(.+)", args_of(update), flags=re.DOTALL)
    if match is None:
        return None, ""
    return int(match.group(1)), match.group(2).strip()


async def price_command(update: Update, context: Context) -> None:
    lang = user_lang(update)
    product_id, value = _id_and_value(update)
    if product_id is None:
        await reply(update, phrases.t(lang, "admin.price.usage"))
        return
    price = check_price(value)
    if price is None:
        await reply(update, phrases.t(lang, "admin.bad.price", text=escape(value[:40])))
        return
    if await _product_or_say(update, context, product_id) is None:
        return
    _data(context)[EDITING] = product_id
    await _save(update, context, price=price)


async def stock_command(update: Update, context: Context) -> None:
    lang = user_lang(update)
    product_id, value = _id_and_value(update)
    if product_id is None:
        await reply(update, phrases.t(lang, "admin.stock.usage"))
        return
    stock_ok, stock = check_stock(value)
    if not stock_ok:
        await reply(update, phrases.t(lang, "admin.bad.stock", text=escape(value[:40])))
        return
    if await _product_or_say(update, context, product_id) is None:
        return
    _data(context)[EDITING] = product_id
    await _save(update, context, stock=stock)


# --- hide / show / delete --------------------------------------------------------------------


async def toggle(update: Update, context: Context) -> None:
    parts = query_parts(update)
    product = await _product_or_say(update, context, int_arg(parts[1]) if len(parts) > 1 else None)
    if product is None:
        return
    svc = context.services
    updated = await svc.store.run(
        Tx.update_product, product.id, svc.clock(), visible=int(not product.visible)
    )
    lang = user_lang(update)
    await answer(
        update,
        phrases.t(
            lang, "admin.product.now_visible" if not product.visible else "admin.product.now_hidden"
        ),
    )
    if updated is not None:
        await send_card(update, updated)


async def delete(update: Update, context: Context) -> None:
    parts = query_parts(update)
    product = await _product_or_say(update, context, int_arg(parts[1]) if len(parts) > 1 else None)
    if product is None:
        return
    await answer(update)
    lang = user_lang(update)
    markup = InlineKeyboardMarkup(
        [
            [
                button(
                    phrases.t(lang, "admin.button.delete_yes"),
                    callbacks.ADMIN_DELETE_SURE,
                    product.id,
                ),
                button(
                    phrases.t(lang, "admin.button.delete_no"), callbacks.ADMIN_PRODUCT, product.id
                ),
            ]
        ]
    )
    await reply(
        update,
        phrases.t(lang, "admin.product.delete_sure", name=escape(product.name), id=product.id),
        reply_markup=markup,
    )


async def delete_sure(update: Update, context: Context) -> None:
    parts = query_parts(update)
    product = await _product_or_say(update, context, int_arg(parts[1]) if len(parts) > 1 else None)
    if product is None:
        return
    svc = context.services
    await svc.store.run(Tx.delete_product, product.id, svc.clock())
    await answer(update)
    await show(
        update,
        phrases.t(
            user_lang(update), "admin.product.deleted", name=escape(product.name), id=product.id
        ),
    )
