"""The seller's shop settings: name, welcome text, payment validity, pickup/delivery, open/closed.

Each setting is one short command (``/setexpiry 2h``); ``/shop`` shows them all with buttons for
the on/off ones. Values are checked first; a bad value gets a clear reply and changes nothing.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.chat.common import answer, button, reply, show, user_lang
from bot.chat.seller import staff_group
from bot.chat.seller.common import (
    Context,
    args_of,
    query_parts,
)
from bot.rules.money import format_rupiah
from bot.rules.shop import PAYMENT_EXPIRY_MAX, PAYMENT_EXPIRY_MIN, Shop
from bot.shop.seller_group import seller_group, set_group_only
from bot.shop.shop_settings import change_shop
from bot.text import callbacks, phrases
from bot.text.fields import parse_duration, parse_price
from bot.text.formatting import escape, format_duration

SHOP_NAME_MAX = 50
WELCOME_MAX = 500
CLOSED_MESSAGE_MAX = 300
DELIVERY_FEE_MAX = 1_000_000
ON = {"on", "ya", "yes", "aktif", "1", "buka"}
OFF = {"off", "tidak", "no", "nonaktif", "0", "mati"}


def _flag(shop: Shop, lang: str, on: bool) -> str:
    return phrases.t(lang, "admin.on" if on else "admin.off")


def shop_text(shop: Shop, lang: str) -> str:
    delivery = _flag(shop, lang, shop.delivery)
    if shop.delivery:
        delivery += phrases.t(lang, "admin.shop.fee", fee=format_rupiah(shop.delivery_fee))
    if shop.is_open:
        status = phrases.t(lang, "admin.shop.open")
    else:
        status = phrases.t(lang, "admin.shop.closed")
        if shop.closed_message:
            status += f" — {escape(shop.closed_message)}"
    return phrases.t(
        lang,
        "admin.shop.card",
        name=escape(shop.name),
        welcome=escape(shop.welcome) or phrases.t(lang, "admin.shop.empty"),
        expiry=format_duration(shop.payment_expiry, lang),
        pickup=_flag(shop, lang, shop.pickup),
        delivery=delivery,
        status=status,
    )


def shop_markup(shop: Shop, lang: str) -> InlineKeyboardMarkup:
    def label(key: str, on: bool) -> str:
        return phrases.t(lang, key, state=_flag(shop, lang, on))

    return InlineKeyboardMarkup(
        [
            [
                button(label("admin.button.pickup", shop.pickup), callbacks.ADMIN_SHOP, "pickup"),
                button(
                    label("admin.button.delivery", shop.delivery), callbacks.ADMIN_SHOP, "delivery"
                ),
            ],
            [
                button(
                    phrases.t(lang, "admin.button.close" if shop.is_open else "admin.button.open"),
                    callbacks.ADMIN_SHOP,
                    "open",
                )
            ],
        ]
    )


async def _card(context: Context, shop: Shop, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    """The /shop card: the shop's settings plus the staff group line and its toggle."""
    group = await seller_group(context.services)
    text = shop_text(shop, lang) + "\n\n" + staff_group.group_line(group, lang)
    rows = [*shop_markup(shop, lang).inline_keyboard, *staff_group.group_buttons(group, lang)]
    return text, InlineKeyboardMarkup(rows)


async def shop_command(update: Update, context: Context) -> None:
    await answer(update)
    lang = user_lang(update)
    shop = await context.services.shop()
    await show(update, *await _card(context, shop, lang))


async def _done(update: Update, context: Context, key: str, **values: object) -> None:
    """Confirm the change and show the settings as they are now."""
    lang = user_lang(update)
    shop = await context.services.shop()
    text, markup = await _card(context, shop, lang)
    await reply(update, phrases.t(lang, key, **values) + "\n\n" + text, reply_markup=markup)


async def toggle(update: Update, context: Context) -> None:
    """A /shop button: pickup, delivery, open/closed."""
    lang = user_lang(update)
    parts = query_parts(update)
    setting = parts[1] if len(parts) > 1 else ""
    svc = context.services
    shop = await svc.shop()
    changed: Shop | None = shop
    if setting == "pickup":
        changed = await change_shop(svc, pickup=not shop.pickup)
    elif setting == "delivery":
        changed = await change_shop(svc, delivery=not shop.delivery)
    elif setting == "open":
        changed = await change_shop(svc, is_open=not shop.is_open)
    elif setting == staff_group.GROUP_ONLY_TOGGLE:
        group = await seller_group(svc)
        if group is not None:
            await set_group_only(svc, not group.only)
    if changed is None:
        await answer(update, phrases.t(lang, "admin.shop.need_one"), alert=True)
        return
    await answer(update)
    await show(update, *await _card(context, changed, lang))


async def set_name(update: Update, context: Context) -> None:
    lang = user_lang(update)
    name = " ".join(args_of(update).split())
    if not name or len(name) > SHOP_NAME_MAX:
        await reply(update, phrases.t(lang, "admin.shop.bad_name", max=SHOP_NAME_MAX))
        return
    await change_shop(context.services, name=name)
    await _done(update, context, "admin.shop.saved")


async def set_welcome(update: Update, context: Context) -> None:
    lang = user_lang(update)
    text = args_of(update)
    if not text:
        await reply(update, phrases.t(lang, "admin.shop.welcome_usage", max=WELCOME_MAX))
        return
    if text in {"-", "—"}:
        text = ""
    if len(text) > WELCOME_MAX:
        await reply(update, phrases.t(lang, "admin.shop.welcome_usage", max=WELCOME_MAX))
        return
    await change_shop(context.services, welcome=text)
    await _done(update, context, "admin.shop.saved")


async def set_expiry(update: Update, context: Context) -> None:
    lang = user_lang(update)
    duration = parse_duration(args_of(update)) if args_of(update) else None
    if duration is None or not PAYMENT_EXPIRY_MIN <= duration <= PAYMENT_EXPIRY_MAX:
        await reply(update, phrases.t(lang, "admin.shop.expiry_usage"))
        return
    await change_shop(context.services, payment_expiry=duration)
    await _done(update, context, "admin.shop.saved")


async def set_delivery(update: Update, context: Context) -> None:
    lang = user_lang(update)
    words = args_of(update).split(maxsplit=1)
    svc = context.services
    if not words or words[0].lower() not in ON | OFF:
        await reply(update, phrases.t(lang, "admin.shop.delivery_usage"))
        return
    if words[0].lower() in OFF:
        if await change_shop(svc, delivery=False) is None:
            await reply(update, phrases.t(lang, "admin.shop.need_one"))
            return
        await _done(update, context, "admin.shop.saved")
        return
    fee: int | None = None
    if len(words) > 1:
        raw = words[1].strip()
        fee = 0 if raw in {"0", "gratis", "free", "Rp0", "rp0"} else parse_price(raw)
        if fee is None or not 0 <= fee <= DELIVERY_FEE_MAX:
            await reply(update, phrases.t(lang, "admin.shop.bad_fee", text=escape(raw[:40])))
            return
    await change_shop(svc, delivery=True, delivery_fee=fee)
    await _done(update, context, "admin.shop.saved")


async def set_pickup(update: Update, context: Context) -> None:
    lang = user_lang(update)
    word = args_of(update).lower()
    if word not in ON | OFF:
        await reply(update, phrases.t(lang, "admin.shop.pickup_usage"))
        return
    if await change_shop(context.services, pickup=word in ON) is None:
        await reply(update, phrases.t(lang, "admin.shop.need_one"))
        return
    await _done(update, context, "admin.shop.saved")


async def open_shop(update: Update, context: Context) -> None:
    await change_shop(context.services, is_open=True)
    await _done(update, context, "admin.shop.opened")


async def close_shop(update: Update, context: Context) -> None:
    lang = user_lang(update)
    message = args_of(update)
    if len(message) > CLOSED_MESSAGE_MAX:
        await reply(update, phrases.t(lang, "admin.shop.bad_closed", max=CLOSED_MESSAGE_MAX))
        return
    await change_shop(context.services, is_open=False, closed_message=message)
    await _done(update, context, "admin.shop.closed_now")
