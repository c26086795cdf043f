"""Guards in front of every handler: forged button data never reaches a handler, and every
button tap gets its answer, even when a handler fails.

A button's data comes back from the client as sent, but anyone can send any data: a part such as
``p:99999999999999999999999:1`` would overflow SQLite's integers deep inside a handler, answer
"something went wrong" and leave the button's spinner turning. The guard runs first (group -1)
and answers such taps as stale buttons, changing nothing.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.chat.common import answer, plain, user_lang
from bot.chat.context import ShopContext
from bot.text import callbacks, phrases

logger = logging.getLogger(__name__)

GUARD_GROUP = -1


async def forged_button(update: Update, context: ShopContext) -> None:
    """Answer a tap whose data no button of ours could carry, and stop it there."""
    query = update.callback_query
    if query is None or not callbacks.has_forged_number(query.data or ""):
        return
    user = update.effective_user
    logger.info("forged button data from user %s refused", user.id if user else "?")
    await answer(update, plain(phrases.t(user_lang(update), "error.stale_button")))
    raise ApplicationHandlerStop


async def answer_failed_tap(update: object) -> None:
    """The error handler's part: a tap whose handler failed still stops spinning (an answer
    given already is refused by Telegram; that refusal is of no interest)."""
    if not isinstance(update, Update) or update.callback_query is None:
        return
    with contextlib.suppress(Exception):
        await update.callback_query.answer(plain(phrases.t(user_lang(update), "error.generic")))


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(TypeHandler(Update, forged_button), group=GUARD_GROUP)
