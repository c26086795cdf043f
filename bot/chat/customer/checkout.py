"""Checkout: details (name, phone, email), pickup or delivery, note, summary, and the charge."""

from __future__ import annotations

import contextlib
from typing import Any, cast

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest

from bot.chat.common import answer, button, plain, reply, user_lang
from bot.chat.customer.common import (
    ASK_ADDRESS,
    ASK_EMAIL,
    ASK_FULFILMENT,
    ASK_NAME,
    ASK_NOTE,
    ASK_PHONE,
    CONFIRM,
    SHOPPING,
    Context,
    get_cart,
    get_draft,
    problem_lines,
    refusal_text,
    save_cart,
)
from bot.chat.customer.menu import (
    send_cart,
)
from bot.messages.paycode import send_payment_code
from bot.rules.money import format_rupiah
from bot.rules.orders import quote_fingerprint
from bot.shop.checkout import (
    CheckoutOutcome,
    CheckoutResult,
    Draft,
    place_order,
    price_cart,
    quote_for,
    refusal,
)
from bot.text import callbacks, phrases
from bot.text.fields import parse_email, parse_person_name
from bot.text.fields import parse_phone as parse_phone_number
from bot.text.formatting import cart_line, display_phone, escape, format_duration, split_message
from storage import Tx


async def checkout(update: Update, context: Context) -> int:
    await answer(update)
    lang = user_lang(update)
    svc = context.services
    shop = await svc.shop()
    user = update.effective_user
    assert user is not None
    refused = await refusal(svc, shop, user.id)
    if refused is not None:
        max_pending = svc.settings.max_pending_orders
        await reply(update, refusal_text(refused, shop, lang, max_pending, key="checkout.closed"))
        return SHOPPING
    cart = get_cart(context)
    priced = await price_cart(svc, cart)
    if not priced.ok:
        await reply(update, problem_lines(priced, lang) or phrases.t(lang, "cart.empty"))
        if priced.lines and len(priced.lines) != len(cart):
            save_cart(context, {line.product_id: line.quantity for line in priced.lines})
            await send_cart(update, context, edit=False)
        return SHOPPING
    cast(dict[str, Any], context.user_data)["draft"] = {}
    customer = await svc.store.run(Tx.customer, user.id)
    if customer and customer.name and customer.phone:
        email = (
            phrases.t(lang, "details.remembered_email", email=escape(customer.email))
            if customer.email
            else ""
        )
        await reply(
            update,
            phrases.t(
                lang,
                "details.remembered",
                name=escape(customer.name),
                phone=display_phone(customer.phone),
                email=email,
            ),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        button(phrases.t(lang, "button.keep"), callbacks.KEEP),
                        button(phrases.t(lang, "button.change"), callbacks.CHANGE),
                    ]
                ]
            ),
        )
        return ASK_NAME
    return await _ask_name(update, context)


async def _ask_name(update: Update, context: Context) -> int:
    lang = user_lang(update)
    user = update.effective_user
    profile = " ".join(filter(None, [user.first_name, user.last_name])) if user else ""
    markup: ReplyKeyboardMarkup | ReplyKeyboardRemove = ReplyKeyboardRemove()
    if parse_person_name(profile) is not None:  # an invisible profile name is not offered
        markup = ReplyKeyboardMarkup(
            [[KeyboardButton(profile)]], resize_keyboard=True, one_time_keyboard=True
        )
    await reply(update, phrases.t(lang, "details.ask_name"), reply_markup=markup)
    return ASK_NAME


async def keep_details(update: Update, context: Context) -> int:
    await answer(update)
    user = update.effective_user
    assert user is not None
    customer = await context.services.store.run(Tx.customer, user.id)
    if not customer or not customer.name or not customer.phone:
        return await _ask_name(update, context)
    draft = get_draft(context)
    draft.update(name=customer.name, phone=customer.phone, email=customer.email or "")
    if customer.address:
        draft["last_address"] = customer.address
    return await _ask_fulfilment(update, context)


async def change_details(update: Update, context: Context) -> int:
    await answer(update)
    return await _ask_name(update, context)


async def got_name(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message and message.text
    name = parse_person_name(message.text)
    if name is None:
        await reply(update, phrases.t(user_lang(update), "details.bad_name"))
        return ASK_NAME
    get_draft(context)["name"] = name
    lang = user_lang(update)
    await reply(
        update,
        phrases.t(lang, "details.ask_phone"),
        reply_markup=ReplyKeyboardMarkup(
            [[KeyboardButton(phrases.t(lang, "button.share_phone"), request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        ),
    )
    return ASK_PHONE


async def got_phone(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message is not None
    lang = user_lang(update)
    raw = message.contact.phone_number if message.contact else (message.text or "")
    phone = parse_phone_number(raw)
    if phone is None:
        await reply(update, phrases.t(lang, "details.bad_phone"))
        return ASK_PHONE
    get_draft(context)["phone"] = phone
    await reply(update, "✅ " + display_phone(phone), reply_markup=ReplyKeyboardRemove())
    await reply(
        update,
        phrases.t(lang, "details.ask_email"),
        reply_markup=InlineKeyboardMarkup(
            [[button(phrases.t(lang, "button.skip"), callbacks.SKIP)]]
        ),
    )
    return ASK_EMAIL


async def got_email(update: Update, context: Context) -> int:
    lang = user_lang(update)
    if update.callback_query:
        await answer(update)
        get_draft(context)["email"] = ""
    else:
        message = update.effective_message
        assert message and message.text
        email = parse_email(message.text)
        if email is None:
            await reply(update, phrases.t(lang, "details.bad_email"))
            return ASK_EMAIL
        get_draft(context)["email"] = email
    return await _ask_fulfilment(update, context)


async def _ask_fulfilment(update: Update, context: Context) -> int:
    lang = user_lang(update)
    shop = await context.services.shop()
    if shop.delivery and shop.pickup:
        await reply(
            update,
            phrases.t(lang, "details.ask_fulfilment"),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        button(phrases.t(lang, "button.pickup"), callbacks.FULFIL_PICKUP),
                        button(
                            phrases.t(
                                lang, "button.delivery", fee=format_rupiah(shop.delivery_fee)
                            ),
                            callbacks.FULFIL_DELIVERY,
                        ),
                    ]
                ]
            ),
        )
        return ASK_FULFILMENT
    if shop.delivery:
        return await _ask_address(update, context)
    get_draft(context)["fulfilment"] = "pickup"
    return await _ask_note(update, context)


async def got_fulfilment(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query and query.data
    await query.answer()
    if query.data == callbacks.FULFIL_DELIVERY:
        return await _ask_address(update, context)
    get_draft(context)["fulfilment"] = "pickup"
    return await _ask_note(update, context)


async def _ask_address(update: Update, context: Context) -> int:
    lang = user_lang(update)
    get_draft(context)["fulfilment"] = "delivery"
    await reply(
        update,
        phrases.t(lang, "details.ask_address"),
        reply_markup=ReplyKeyboardMarkup(
            [[KeyboardButton(phrases.t(lang, "button.share_location"), request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        ),
    )
    return ASK_ADDRESS


async def got_address(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message is not None
    lang = user_lang(update)
    draft = get_draft(context)
    if message.location:
        draft["latitude"] = message.location.latitude
        draft["longitude"] = message.location.longitude
        draft["address"] = f"{message.location.latitude:.6f}, {message.location.longitude:.6f}"
        await reply(
            update, phrases.t(lang, "details.location_received"), reply_markup=ReplyKeyboardRemove()
        )
    else:
        address = " ".join((message.text or "").split())
        if len(address) < 8:
            await reply(update, phrases.t(lang, "details.bad_address"))
            return ASK_ADDRESS
        draft["address"] = address[:300]
        draft.pop("latitude", None)
        draft.pop("longitude", None)
        await reply(update, "✅", reply_markup=ReplyKeyboardRemove())
    return await _ask_note(update, context)


async def _ask_note(update: Update, context: Context) -> int:
    lang = user_lang(update)
    await reply(
        update,
        phrases.t(lang, "details.ask_note"),
        reply_markup=InlineKeyboardMarkup(
            [[button(phrases.t(lang, "button.skip"), callbacks.SKIP)]]
        ),
    )
    return ASK_NOTE


async def got_note(update: Update, context: Context) -> int:
    if update.callback_query:
        await answer(update)
        get_draft(context)["note"] = ""
    else:
        message = update.effective_message
        assert message and message.text
        get_draft(context)["note"] = " ".join(message.text.split())[:300]
    return await _summary(update, context)


async def _summary(update: Update, context: Context) -> int:
    lang = user_lang(update)
    svc = context.services
    draft = get_draft(context)
    delivery = draft.get("fulfilment") == "delivery"
    shop = await svc.shop()
    priced = await quote_for(svc, shop, get_cart(context), "delivery" if delivery else "pickup")
    if not priced.ok:
        await reply(update, problem_lines(priced, lang))
        return SHOPPING
    draft["seen_quote"] = quote_fingerprint(priced)  # what the pay button agrees to
    lines = [phrases.t(lang, "summary.title"), ""]
    for line in priced.lines:
        lines.append(cart_line(lang, line.quantity, line.name, line.total))
    if priced.delivery_fee:
        lines.append(phrases.t(lang, "summary.fee", fee=format_rupiah(priced.delivery_fee)))
    lines += ["", phrases.t(lang, "summary.total", total=format_rupiah(priced.total)), ""]
    lines.append(
        phrases.t(lang, "summary.delivery", address=escape(draft.get("address")))
        if delivery
        else phrases.t(lang, "summary.pickup")
    )
    if draft.get("note"):
        lines.append(phrases.t(lang, "summary.note", note=escape(draft["note"])))
    lines.append(
        phrases.t(
            lang,
            "summary.customer",
            name=escape(draft.get("name")),
            phone=display_phone(str(draft.get("phone", ""))),
        )
    )
    lines += [
        "",
        phrases.t(lang, "summary.payment", validity=format_duration(shop.payment_expiry, lang)),
    ]
    parts = split_message("\n".join(lines))
    for part in parts[:-1]:
        await reply(update, part)
    await reply(
        update,
        parts[-1],
        reply_markup=InlineKeyboardMarkup(
            [
                [button(phrases.t(lang, "button.pay"), callbacks.CONFIRM)],
                [button(phrases.t(lang, "button.abort"), callbacks.ABORT)],
            ]
        ),
    )
    return CONFIRM


async def confirm(update: Update, context: Context) -> int:
    query = update.callback_query
    assert query is not None
    lang = user_lang(update)
    svc = context.services
    draft = get_draft(context)
    user, chat = update.effective_user, update.effective_chat
    assert user and chat
    if not draft.get("name") or not draft.get("phone"):
        await query.answer(plain(phrases.t(lang, "error.stale_button")), show_alert=True)
        return SHOPPING
    await query.answer(plain(phrases.t(lang, "checkout.working")))
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
            cart=get_cart(context),
            name=str(draft["name"]),
            phone=str(draft["phone"]),
            seen_quote=str(draft.get("seen_quote") or ""),
            email=str(draft.get("email") or ""),
            fulfilment=str(draft.get("fulfilment") or "pickup"),
            address=draft.get("address"),
            latitude=draft.get("latitude"),
            longitude=draft.get("longitude"),
            note=draft.get("note") or None,
        ),
    )
    return await _after_checkout(update, context, result)


async def _after_checkout(update: Update, context: Context, result: CheckoutResult) -> int:
    lang = user_lang(update)
    svc = context.services
    outcome = result.outcome
    if outcome in {CheckoutOutcome.PLACED, CheckoutOutcome.AWAITING_CODE}:
        assert result.order is not None
        save_cart(context, {})
        cast(dict[str, Any], context.user_data).pop("draft", None)
        if outcome is CheckoutOutcome.PLACED:
            shop = await svc.shop()
            await send_payment_code(context.bot, result.order, shop.name)
        else:
            await reply(update, phrases.t(lang, "checkout.awaiting_code", order_id=result.order.id))
        return SHOPPING
    if outcome in {CheckoutOutcome.SHOP_CLOSED, CheckoutOutcome.TOO_MANY_PENDING}:
        shop = await svc.shop()
        max_pending = svc.settings.max_pending_orders
        await reply(update, refusal_text(outcome, shop, lang, max_pending, key="checkout.closed"))
    elif outcome is CheckoutOutcome.PRICE_CHANGED:
        await reply(update, phrases.t(lang, "checkout.price_changed"))
        return await _summary(update, context)
    elif outcome is CheckoutOutcome.CART_PROBLEM and result.quote is not None:
        await reply(update, problem_lines(result.quote, lang))
    elif outcome is CheckoutOutcome.OUT_OF_STOCK:
        await reply(
            update, phrases.t(lang, "checkout.out_of_stock", name=escape(result.product_name))
        )
    else:
        await reply(update, phrases.t(lang, "checkout.failed"))
    return SHOPPING


async def abort(update: Update, context: Context) -> int:
    await answer(update)
    cast(dict[str, Any], context.user_data).pop("draft", None)
    await reply(
        update, phrases.t(user_lang(update), "checkout.aborted"), reply_markup=ReplyKeyboardRemove()
    )
    return SHOPPING


async def press_a_button(update: Update, context: Context) -> None:
    """Text where a button was expected: say so, change nothing, stay in the same state."""
    await reply(update, phrases.t(user_lang(update), "details.press_button"))


async def cancel_step(update: Update, context: Context) -> int:
    cast(dict[str, Any], context.user_data).pop("draft", None)
    await reply(
        update, phrases.t(user_lang(update), "cancelled_step"), reply_markup=ReplyKeyboardRemove()
    )
    return SHOPPING


async def help_command(update: Update, context: Context) -> int:
    await reply(update, phrases.t(user_lang(update), "help"))
    return SHOPPING
