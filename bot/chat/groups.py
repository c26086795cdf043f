"""Group chats: shopping stays private, the seller's staff group is the one exception.

A customer who checks out in a group would post their name, phone and payment code there, and
their cart (kept per user) would be shared between the group and the private chat. So in any
group, the bot's shop commands and buttons get one short reply with a button that opens the
private chat (a deep link ``t.me/<bot>?start=...``) and change nothing. What does work in a group
is the staff group (``bot/chat/seller/staff_group.py``): ``/linkgroup``, ``/unlinkgroup`` and
"mark fulfilled" on paid-order pushes.

These handlers are added before the seller and customer ones (``register`` first), so no
shopping handler ever sees a group update.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.ext import Application, BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.chat.common import answer, pattern, reply, user_lang
from bot.chat.customer import register as customer
from bot.chat.seller import register as seller
from bot.chat.seller import staff_group
from bot.chat.seller.common import AdminFilter, Context
from bot.text import callbacks, phrases

START_PAYLOAD = "menu"
"""What a deep link from a group starts with: /start shows the greeting and the menu."""

GROUPS = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE


def deep_link(bot_username: str, payload: str = START_PAYLOAD) -> str:
    """The link that opens the private chat with the bot and sends ``/start <payload>``."""
    return f"https://t.me/{bot_username}?start={payload}"


class GroupCallbackHandler(CallbackQueryHandler[Any, Any]):
    """A button handler for taps in groups and supergroups only."""

    def check_update(self, update: object) -> Any:
        if not isinstance(update, Update):
            return None
        chat = update.effective_chat
        if chat is None or chat.type not in (chat.GROUP, chat.SUPERGROUP):
            return None
        return super().check_update(update)


async def go_private(update: Update, context: Context) -> None:
    """A shop command or button in a group: point to the private chat, change nothing."""
    lang = user_lang(update)
    await answer(update, phrases.t(lang, "group.private_only_short"))
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    phrases.t(lang, "group.button.open_private"),
                    url=deep_link(context.bot.username),
                )
            ]
        ]
    )
    message = update.message
    quote = ReplyParameters(message.message_id) if message is not None else None
    await reply(
        update,
        phrases.t(lang, "group.private_only"),
        reply_markup=markup,
        reply_parameters=quote,
    )


def shop_commands() -> list[str]:
    """Every command of the customer's and the seller's side (their aliases too)."""
    names: set[str] = {"add"}
    for handler in customer.shopping_handlers():
        if isinstance(handler, CommandHandler):
            names |= set(handler.commands)
    for aliases, _callback in seller.COMMANDS:
        names |= set(aliases)
    return sorted(names)


def handlers(bot_data: dict[str, Any]) -> list[BaseHandler[Any, Any, Any]]:
    is_admin = AdminFilter(bot_data) & filters.ChatType.PRIVATE
    return [
        CommandHandler("linkgroup", staff_group.link_here, filters=GROUPS),
        CommandHandler("unlinkgroup", staff_group.unlink_here, filters=GROUPS),
        GroupCallbackHandler(staff_group.fulfil_in_group, pattern=pattern(callbacks.ADMIN_FULFIL)),
        CommandHandler(shop_commands(), go_private, filters=GROUPS),
        GroupCallbackHandler(go_private),
        CommandHandler("linkgroup", staff_group.link_help, filters=is_admin),
        CommandHandler("unlinkgroup", staff_group.unlink_private, filters=is_admin),
    ]


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Add the group handlers; call before ``seller.register`` and ``customer.register``."""
    for handler in handlers(application.bot_data):
        application.add_handler(handler)
