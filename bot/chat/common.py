"""Reply helpers every handler shares, customer and seller alike: language, buttons, replies."""

from __future__ import annotations

import logging
import re
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.text import callbacks, phrases
from bot.text.formatting import fit_message

logger = logging.getLogger(__name__)


def user_lang(update: Update) -> str:
    """The catalogue language for the person behind this update."""
    user = update.effective_user
    return phrases.language_for(user.language_code if user else None)


def pattern(code: str) -> str:
    """The CallbackQueryHandler pattern for buttons whose data starts with ``code``."""
    return rf"^{code}(:|$)"


def button(text: str, *parts: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callbacks.data(*parts))


def plain(text: str) -> str:
    """Callback answers are plain text (no HTML) of at most 200 characters."""
    stripped = re.sub(r"<[^>]+>", "", text)
    return stripped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")[:200]


async def reply(update: Update, text: str, **kwargs: Any) -> Message:
    """Answer in the chat the update came from (message or button), cut to one message: seller
    lists can grow without bound (texts that must arrive whole use ``split_message`` first)."""
    chat = update.effective_chat
    assert chat is not None
    return await chat.send_message(fit_message(text), **kwargs)


async def show(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit the message whose button was tapped (keeps the chat tidy), or send a new one."""
    query = update.callback_query
    if query and isinstance(query.message, Message) and query.message.text:
        try:
            await query.edit_message_text(fit_message(text), reply_markup=markup)
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            logger.debug("could not edit, sending anew: %s", exc)
    await reply(update, text, reply_markup=markup)


async def answer(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Answer the button press (Telegram shows a spinner until then), optionally with a pop-up."""
    query: CallbackQuery | None = update.callback_query
    if query is not None:
        await query.answer(plain(text) if text else None, show_alert=alert)
