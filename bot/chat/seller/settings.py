"""The seller's shop settings: name, welcome text, payment validity, pickup/delivery, open/closed.

Each setting is one short command (``/setexpiry 2h``); ``/shop`` shows them all with buttons for
the on/off ones. Values are checked first; a bad value gets a clear reply and changes nothing.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.chat.common import button, user_lang
from bot.chat.seller.common import (
    Context,
    answer,
    args_of,
    query_parts,
    reply,
    show,
)
from bot.rules.money import format_rupiah
from bot.rules.shop import PAYMENT_EXPIRY_MAX, PAYMENT_EXPIRY_MIN, Shop
from bot.shop.services import Services, services
from bot.text import callbacks, phrases
from bot.text.formatting import escape, format_duration
from bot.text.parsing import parse_duration, parse_price
from storage import Tx

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


async def shop_command(update: Update, context: Context) -> None:
    await answer(update)
    lang = user_lang(update)
    shop = await services(context).shop()
    await show(update, shop_text(shop, lang), shop_markup(shop, lang))


async def _set(svc: Services, **values: str) -> None:
    def work(tx: Tx) -> None:
        for key, value in values.items():
            tx.set_shop_setting(key, value)

    await svc.store.run(work)


async def _done(update: Update, context: Context, key: str, **values: object) -> None:
    """Confirm the change and show the settings as they are now."""
    lang = user_lang(update)
    shop = await services(context).shop()
    await reply(
        update,
        phrases.t(lang, key, **values) + "\n\n" + shop_text(shop, lang),
        reply_markup=shop_markup(shop, lang),
    )


async def toggle(update: Update, context: Context) -> None:
    """A /shop button: pickup, delivery, open/closed."""
    lang = user_lang(update)
    parts = query_parts(update)
    setting = parts[1] if len(parts) > 1 else ""
    svc = services(context)
    shop = await svc.shop()
    if setting == "pickup":
        if shop.pickup and not shop.delivery:
            await answer(update, phrases.t(lang, "admin.shop.need_one"), alert=True)
            return
        await _set(svc, pickup="0" if shop.pickup else "1")
    elif setting == "delivery":
        if shop.delivery and not shop.pickup:
            await answer(update, phrases.t(lang, "admin.shop.need_one"), alert=True)
            return
        await _set(svc, delivery="0" if shop.delivery else "1")
    elif setting == "open":
        await _set(svc, is_open="0" if shop.is_open else "1")
    await answer(update)
    shop = await svc.shop()
    await show(update, shop_text(shop, lang), shop_markup(shop, lang))


async def set_name(update: Update, context: Context) -> None:
    lang = user_lang(update)
    name = " ".join(args_of(update).split())
    if not name or len(name) > SHOP_NAME_MAX:
        await reply(update, phrases.t(lang, "admin.shop.bad_name", max=SHOP_NAME_MAX))
        return
    await _set(services(context), name=name)
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
    await _set(services(context), welcome=text)
    await _done(update, context, "admin.shop.saved")


async def set_expiry(update: Update, context: Context) -> None:
    lang = user_lang(update)
    duration = parse_duration(args_of(update)) if args_of(update) else None
    if duration is None or not PAYMENT_EXPIRY_MIN <= duration <= PAYMENT_EXPIRY_MAX:
        await reply(update, phrases.t(lang, "admin.shop.expiry_usage"))
        return
    seconds = int(duration.total_seconds())
    await _set(services(context), payment_expiry_seconds=str(seconds))
    await _done(update, context, "admin.shop.saved")


async def set_delivery(update: Update, context: Context) -> None:
    lang = user_lang(update)
    words = args_of(update).split(maxsplit=1)
    svc = services(context)
    shop = await svc.shop()
    if not words or words[0].lower() not in ON | OFF:
        await reply(update, phrases.t(lang, "admin.shop.delivery_usage"))
        return
    if words[0].lower() in OFF:
        if not shop.pickup:
            await reply(update, phrases.t(lang, "admin.shop.need_one"))
            return
        await _set(svc, delivery="0")
        await _done(update, context, "admin.shop.saved")
        return
    values = {"delivery": "1"}
    if len(words) > 1:
        raw = words[1].strip()
        fee = 0 if raw in {"0", "gratis", "free", "Rp0", "rp0"} else parse_price(raw)
        if fee is None or not 0 <= fee <= DELIVERY_FEE_MAX:
            await reply(update, phrases.t(lang, "admin.shop.bad_fee", text=escape(raw[:40])))
            return
        values["delivery_fee"] = str(fee)
    await _set(svc, **values)
    await _done(update, context, "admin.shop.saved")


async def set_pickup(update: Update, context: Context) -> None:
    lang = user_lang(update)
    word = args_of(update).lower()
    svc = services(context)
    if word not in ON | OFF:
        await reply(update, phrases.t(lang, "admin.shop.pickup_usage"))
        return
    if word in OFF and not (await svc.shop()).delivery:
        await reply(update, phrases.t(lang, "admin.shop.need_one"))
        return
    await _set(svc, pickup="1" if word in ON else "0")
    await _done(update, context, "admin.shop.saved")


async def open_shop(update: Update, context: Context) -> None:
    await _set(services(context), is_open="1")
    await _done(update, context, "admin.shop.opened")


async def close_shop(update: Update, context: Context) -> None:
    lang = user_lang(update)
    message = args_of(update)
    if len(message) > CLOSED_MESSAGE_MAX:
        await reply(update, phrases.t(lang, "admin.shop.bad_closed", max=CLOSED_MESSAGE_MAX))
        return
    await _set(services(context), is_open="0", closed_message=message)
    await _done(update, context, "admin.shop.closed_now")
