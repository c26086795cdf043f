"""The seller's staff group: ``/linkgroup`` and ``/unlinkgroup``, and "mark fulfilled" tapped there.

``/linkgroup`` is sent in the group itself by a shop admin: the bot then knows the group's id and
asks Telegram (``getChatMember``) that the sender really is in it. Paid-order pushes then go to
the group too (or only there: a toggle on the /shop card). In the group, "mark fulfilled" works
for shop admins only; anyone else who taps it gets an alert and nothing changes. Everything else
about the shop stays in private chats (``bot/chat/groups.py``).
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot.chat.common import answer, button, reply, user_lang
from bot.chat.seller import orders as admin_orders
from bot.chat.seller.common import ADMIN_CACHE, Context
from bot.rules.seller_group import SellerGroup
from bot.shop.seller_group import Link, link_group, seller_group, unlink_group
from bot.text import callbacks, phrases
from bot.text.formatting import escape

logger = logging.getLogger(__name__)

GROUP_ONLY_TOGGLE = "grouponly"  # as:grouponly on the /shop card
LINK_REPLIES = {
    Link.DONE: "group.link.done",
    Link.ALREADY: "group.link.already",
    Link.NOT_ADMIN: "group.link.not_admin",
    Link.NOT_MEMBER: "group.link.not_member",
}


def is_shop_admin(update: Update, context: Context) -> bool:
    user = update.effective_user
    return user is not None and user.id in context.bot_data.get(ADMIN_CACHE, ())


async def link_here(update: Update, context: Context) -> None:
    """``/linkgroup`` in a group: link it, if the sender is a shop admin who is in it."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None and user is not None and message is not None
    lang = user_lang(update)
    if message.sender_chat is not None:  # an anonymous group admin: Telegram hides who it is
        await reply(update, phrases.t(lang, "group.link.anonymous"))
        return

    async def member_status() -> str:
        try:
            member = await context.bot.get_chat_member(chat.id, user.id)
        except TelegramError as exc:
            logger.warning("getChatMember in %s failed: %s", chat.id, exc)
            return ChatMemberStatus.LEFT
        if member.status == ChatMemberStatus.RESTRICTED and getattr(member, "is_member", False):
            return ChatMemberStatus.MEMBER
        return str(member.status)

    outcome = await link_group(context.services, chat.id, chat.title or "", user.id, member_status)
    if outcome in (Link.DONE, Link.ALREADY):
        logger.info("seller group %s linked by %s", chat.id, user.id)
    await reply(update, phrases.t(lang, LINK_REPLIES[outcome], title=escape(chat.title or "")))


async def unlink_here(update: Update, context: Context) -> None:
    """``/unlinkgroup`` in the linked group, by a shop admin."""
    chat = update.effective_chat
    assert chat is not None
    lang = user_lang(update)
    if not is_shop_admin(update, context):
        await reply(update, phrases.t(lang, "group.link.not_admin"))
        return
    current = await seller_group(context.services)
    if current is None or current.chat_id != chat.id:
        await reply(update, phrases.t(lang, "group.unlink.not_linked"))
        return
    await unlink_group(context.services)
    await reply(update, phrases.t(lang, "group.unlink.done", title=escape(current.title)))


async def link_help(update: Update, context: Context) -> None:
    """``/linkgroup`` in an admin's private chat: how to link, and what is linked now."""
    lang = user_lang(update)
    current = await seller_group(context.services)
    text = phrases.t(lang, "group.link.how", bot=escape(context.bot.username or ""))
    await reply(update, text + "\n\n" + group_line(current, lang))


async def unlink_private(update: Update, context: Context) -> None:
    """``/unlinkgroup`` in an admin's private chat."""
    lang = user_lang(update)
    previous = await unlink_group(context.services)
    if previous is None:
        await reply(update, phrases.t(lang, "group.unlink.none"))
        return
    await reply(update, phrases.t(lang, "group.unlink.done", title=escape(previous.title)))


async def fulfil_in_group(update: Update, context: Context) -> None:
    """ "Mark fulfilled" on a paid-order push in the staff group: shop admins only."""
    lang = user_lang(update)
    if not is_shop_admin(update, context):
        await answer(update, phrases.t(lang, "group.fulfil.admins_only"), alert=True)
        return
    await admin_orders.fulfil(update, context)


# --- the /shop card ------------------------------------------------------------------------


def group_line(group: SellerGroup | None, lang: str) -> str:
    if group is None:
        return phrases.t(lang, "group.card.none")
    where = "group.card.only" if group.only else "group.card.both"
    return phrases.t(
        lang, "group.card.linked", title=escape(group.title), where=phrases.t(lang, where)
    )


def group_buttons(group: SellerGroup | None, lang: str) -> list[list[InlineKeyboardButton]]:
    """The /shop card's toggle between "group and admins" and "group only"."""
    if group is None:
        return []
    label = "group.button.both" if group.only else "group.button.only"
    return [[button(phrases.t(lang, label), callbacks.ADMIN_SHOP, GROUP_ONLY_TOGGLE)]]
