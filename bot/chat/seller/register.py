"""The seller's side of the bot: owner claim, admins, command menus and the wiring of every
seller handler (catalogue, shop, orders, sales live in the sibling modules; the admin rules in
``bot/shop/admins.py``).

Seller handlers sit in group 0 ahead of the customer conversation and only match admins in a
private chat (``bot/chat/seller/common.py``). For anyone else they do not exist: the update falls
through to the customer conversation, which ignores unknown commands and stale buttons.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    BaseHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.chat.common import reply, user_lang
from bot.chat.customer import register as customer
from bot.chat.seller import orders as admin_orders
from bot.chat.seller import products as cat
from bot.chat.seller import sales as admin_reports
from bot.chat.seller import settings as admin_shop
from bot.chat.seller.common import (
    ADMIN_CACHE,
    AdminCallbackHandler,
    AdminFilter,
    Context,
    args_of,
    int_arg,
)
from bot.shop import admins
from bot.shop.admins import AdminChange
from bot.shop.services import Services
from bot.text import callbacks, phrases

logger = logging.getLogger(__name__)

CLAIM_GATE = "claim"  # bot_data: the ClaimGate of this start, while the shop has no admin
ADD_ADMIN_REPLIES = {
    AdminChange.DONE: "admin.addadmin.done",
    AdminChange.ALREADY: "admin.addadmin.already",
}
REMOVE_ADMIN_REPLIES = {
    AdminChange.DONE: "admin.removeadmin.done",
    AdminChange.FROM_SETTINGS: "admin.removeadmin.from_settings",
    AdminChange.UNKNOWN: "admin.removeadmin.unknown",
    AdminChange.OWNER: "admin.removeadmin.owner",
}
Callback = Callable[[Update, Context], Coroutine[Any, Any, Any]]

ADMIN_COMMANDS = (
    "admin",
    "add",
    "products",
    "orders",
    "sales",
    "export",
    "shop",
    "open",
    "close",
)


# --- command menus -------------------------------------------------------------------------


def commands(lang: str) -> list[tuple[str, str]]:
    """The seller commands shown in the Telegram menu (after the customer ones)."""
    return [(name, phrases.t(lang, f"admin.command.{name}")) for name in ADMIN_COMMANDS]


def _bot_commands(pairs: Iterable[tuple[str, str]]) -> list[BotCommand]:
    return [BotCommand(name, description) for name, description in pairs]


async def publish_commands(bot: Bot, admin_ids: set[int]) -> None:
    """Customers see the customer commands; each admin's own chat also lists the seller ones."""
    await bot.set_my_commands(
        _bot_commands(customer.commands("id")), scope=BotCommandScopeDefault()
    )
    await bot.set_my_commands(
        _bot_commands(customer.commands("en")), scope=BotCommandScopeDefault(), language_code="en"
    )
    for admin_id in sorted(admin_ids):
        scope = BotCommandScopeChat(admin_id)
        try:
            await bot.set_my_commands(
                _bot_commands([*customer.commands("id"), *commands("id")]), scope=scope
            )
            await bot.set_my_commands(
                _bot_commands([*customer.commands("en"), *commands("en")]),
                scope=scope,
                language_code="en",
            )
        except TelegramError as exc:  # e.g. an admin who never opened the bot
            logger.warning("could not set the seller menu for admin %s: %s", admin_id, exc)


async def unpublish_commands(bot: Bot, user_id: int) -> None:
    """A removed admin's chat goes back to the default (customer) menu."""
    scope = BotCommandScopeChat(user_id)
    try:
        await bot.delete_my_commands(scope=scope)
        await bot.delete_my_commands(scope=scope, language_code="en")
    except TelegramError as exc:
        logger.warning("could not reset the menu of %s: %s", user_id, exc)


# --- who is an admin -------------------------------------------------------------------------


async def _owner_or_refused(update: Update, svc: Services, lang: str) -> bool:
    """Whether the sender owns the shop; if not, they are told only owners may do this."""
    user = update.effective_user
    assert user is not None
    if await admins.is_owner(svc, user.id):
        return True
    await reply(update, phrases.t(lang, "admin.owner_only"))
    return False


async def _admins_changed(context: Context) -> set[int]:
    admin_ids = await context.services.admin_ids()
    context.bot_data[ADMIN_CACHE] = admin_ids
    await publish_commands(context.bot, admin_ids)
    return admin_ids


async def claim(update: Update, context: Context) -> None:
    """``/claim CODE``: the first admin of a shop configured without ADMIN_IDS.

    Anything but the right code while no admin exists gets no answer at all, exactly like an
    unknown command, so the command reveals nothing. The guesses are capped per account and in
    all (``bot/shop/admins.ClaimGate``); once all are used, ``/claim`` says it is closed until
    a restart, which gives a new code.
    """
    user = update.effective_user
    gate = context.bot_data.get(CLAIM_GATE)
    if user is None or not isinstance(gate, admins.ClaimGate):
        return
    verdict = gate.check(user.id, args_of(update))
    lang = user_lang(update)
    if verdict is admins.ClaimVerdict.CLOSED:
        await reply(update, phrases.t(lang, "admin.claim.closed"))
        return
    if verdict is not admins.ClaimVerdict.RIGHT:
        return
    claimed = await admins.claim_owner(context.services, user.id)
    context.bot_data.pop(CLAIM_GATE, None)  # one use, whatever happened
    if not claimed:
        return
    logger.warning("shop claimed by Telegram user %s", user.id)
    await _admins_changed(context)
    await reply(update, phrases.t(lang, "admin.claimed") + "\n\n" + phrases.t(lang, "admin.help"))


async def help_command(update: Update, context: Context) -> None:
    await reply(update, phrases.t(user_lang(update), "admin.help"))


async def add_admin(update: Update, context: Context) -> None:
    lang = user_lang(update)
    svc = context.services
    if not await _owner_or_refused(update, svc, lang):
        return
    new_id = int_arg(args_of(update))
    if new_id is None or new_id <= 0:
        await reply(update, phrases.t(lang, "admin.addadmin.usage"))
        return
    change = await admins.add_admin(svc, new_id)
    if change is AdminChange.DONE:
        await _admins_changed(context)
    await reply(update, phrases.t(lang, ADD_ADMIN_REPLIES[change], id=new_id))


async def remove_admin(update: Update, context: Context) -> None:
    lang = user_lang(update)
    svc = context.services
    if not await _owner_or_refused(update, svc, lang):
        return
    old_id = int_arg(args_of(update))
    if old_id is None:
        await reply(update, phrases.t(lang, "admin.removeadmin.usage"))
        return
    change = await admins.remove_admin(svc, old_id)
    if change is AdminChange.DONE:
        await unpublish_commands(context.bot, old_id)
        await _admins_changed(context)
    await reply(update, phrases.t(lang, REMOVE_ADMIN_REPLIES[change], id=old_id))


async def list_admins(update: Update, context: Context) -> None:
    lang = user_lang(update)
    lines = [phrases.t(lang, "admin.admins.title")]
    for admin_id, owner in await admins.admin_roles(context.services):
        key = "admin.admins.owner" if owner else "admin.admins.admin"
        lines.append(phrases.t(lang, key, id=admin_id))
    await reply(update, "\n".join(lines))


# --- wiring --------------------------------------------------------------------------------

COMMANDS: list[tuple[list[str], Callback]] = [
    (["admin"], help_command),
    (["products", "produk"], cat.products),
    (["product"], cat.product_command),
    (["price", "harga"], cat.price_command),
    (["stock", "stok"], cat.stock_command),
    (["orders"], admin_orders.orders),
    (["sales", "penjualan"], admin_reports.sales),
    (["export", "ekspor"], admin_reports.export),
    (["shop", "toko"], admin_shop.shop_command),
    (["setname"], admin_shop.set_name),
    (["setwelcome"], admin_shop.set_welcome),
    (["setexpiry"], admin_shop.set_expiry),
    (["setdelivery"], admin_shop.set_delivery),
    (["setpickup"], admin_shop.set_pickup),
    (["open", "buka"], admin_shop.open_shop),
    (["close", "tutup"], admin_shop.close_shop),
    (["addadmin"], add_admin),
    (["removeadmin"], remove_admin),
    (["admins"], list_admins),
]
BUTTONS: list[tuple[str, Callback]] = [
    (callbacks.ADMIN_PRODUCTS, cat.products),
    (callbacks.ADMIN_PRODUCT, cat.product_card),
    (callbacks.ADMIN_TOGGLE, cat.toggle),
    (callbacks.ADMIN_DELETE, cat.delete),
    (callbacks.ADMIN_DELETE_SURE, cat.delete_sure),
    (callbacks.ADMIN_ORDERS, admin_orders.orders),
    (callbacks.ADMIN_ORDER, admin_orders.order_view),
    (callbacks.ADMIN_FULFIL, admin_orders.fulfil),
    (callbacks.ADMIN_CANCEL, admin_orders.cancel),
    (callbacks.ADMIN_CANCEL_SURE, admin_orders.cancel_sure),
    (callbacks.ADMIN_RECHECK, admin_orders.recheck),
    (callbacks.ADMIN_SHOP, admin_shop.toggle),
]


def _ending(callback: Callback) -> Callback:
    """The same handler, ending an unfinished guided step first (another command was chosen)."""

    async def wrapped(update: Update, context: Context) -> int:
        context_data: dict[str, Any] = context.user_data  # type: ignore[assignment]
        context_data.pop(cat.DRAFT, None)
        context_data.pop(cat.EDITING, None)
        await callback(update, context)
        return ConversationHandler.END

    return wrapped


def _handlers(
    bot_data: dict[str, Any], wrap: Callable[[Callback], Callback]
) -> list[BaseHandler[Any, Any, Any]]:
    is_admin = AdminFilter(bot_data) & filters.ChatType.PRIVATE
    found: list[BaseHandler[Any, Any, Any]] = [
        CommandHandler(names, wrap(callback), filters=is_admin) for names, callback in COMMANDS
    ]
    found += [AdminCallbackHandler(bot_data, wrap(callback), code) for code, callback in BUTTONS]
    return found


async def cancel_step(update: Update, context: Context) -> int:
    data: dict[str, Any] = context.user_data  # type: ignore[assignment]
    data.pop(cat.DRAFT, None)
    data.pop(cat.EDITING, None)
    await reply(update, phrases.t(user_lang(update), "admin.step_cancelled"))
    return ConversationHandler.END


def conversation(bot_data: dict[str, Any]) -> ConversationHandler[Any]:
    """Guided /add and the edit steps that wait for the seller's next message."""
    is_admin = AdminFilter(bot_data) & filters.ChatType.PRIVATE
    text = filters.TEXT & ~filters.COMMAND & is_admin
    photo = filters.PHOTO & is_admin
    not_photo = ~filters.PHOTO & ~filters.COMMAND & is_admin
    not_text = ~filters.TEXT & ~filters.COMMAND & is_admin

    def typed(callback: Callback) -> list[BaseHandler[Any, Any, Any]]:
        return [MessageHandler(text, callback), MessageHandler(not_text, cat.expect_text)]

    def step(callback: Callback) -> AdminCallbackHandler:
        return AdminCallbackHandler(bot_data, callback, callbacks.ADMIN_STEP)

    return ConversationHandler(
        name="admin",
        persistent=True,
        allow_reentry=True,
        per_message=False,
        entry_points=[
            CommandHandler("add", cat.add, filters=is_admin),
            AdminCallbackHandler(bot_data, cat.edit, callbacks.ADMIN_EDIT),
        ],
        states={
            cat.ADD_NAME: typed(cat.add_name),
            cat.ADD_PRICE: typed(cat.add_price),
            cat.ADD_STOCK: [step(cat.add_stock), *typed(cat.add_stock)],
            cat.ADD_PHOTO: [
                step(cat.add_photo),
                MessageHandler(photo, cat.add_photo),
                MessageHandler(not_photo, cat.not_a_photo),
            ],
            cat.ADD_TEXT: [step(cat.add_description), *typed(cat.add_description)],
            cat.EDIT_PRICE: typed(cat.edit_price),
            cat.EDIT_STOCK: [step(cat.edit_stock), *typed(cat.edit_stock)],
            cat.EDIT_NAME: typed(cat.edit_name),
            cat.EDIT_PHOTO: [
                step(cat.edit_photo),
                MessageHandler(photo, cat.edit_photo),
                MessageHandler(not_photo, cat.not_a_photo),
            ],
            cat.EDIT_TEXT: typed(cat.edit_description),
        },
        fallbacks=[
            CommandHandler(["batal", "cancel"], cancel_step, filters=is_admin),
            *_handlers(bot_data, _ending),
        ],
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add every seller handler; call before ``customer.register`` (same group, tried first)."""
    bot_data: dict[str, Any] = application.bot_data
    application.add_handler(conversation(bot_data))
    application.add_handler(CommandHandler("claim", claim, filters=filters.ChatType.PRIVATE))
    for handler in _handlers(bot_data, lambda callback: callback):
        application.add_handler(handler)
