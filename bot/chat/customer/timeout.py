"""Abandoned checkouts: the conversation's timeout (``CHECKOUT_TIMEOUT``) drops the draft.

PTB's ConversationHandler ends a conversation idle for ``conversation_timeout`` (a JobQueue job)
and runs the handlers of its TIMEOUT state with the last update. Here that means: a checkout in
progress (a draft exists) is dropped, the cart stays, and the customer is told with a button back
to the cart. A customer who was only browsing hears nothing; the conversation state is removed
from the store either way, so abandoned conversations do not pile up.
"""

from __future__ import annotations

from typing import Any, cast

from telegram import InlineKeyboardMarkup, Update

from bot.chat.common import button, reply, user_lang
from bot.chat.customer.common import Context
from bot.text import callbacks, phrases

DRAFT = "draft"


async def checkout_timed_out(update: Update, context: Context) -> None:
    data = cast(dict[str, Any], context.user_data)
    if data.pop(DRAFT, None) is None:
        return
    user = update.effective_user
    if user is not None:  # the job runs outside an update: have user_data saved all the same
        context.application.mark_data_for_update_persistence(user_ids=user.id)
    lang = user_lang(update)
    markup = InlineKeyboardMarkup(
        [[button(phrases.t(lang, "checkout.timed_out.button"), callbacks.CART)]]
    )
    await reply(update, phrases.t(lang, "checkout.timed_out"), reply_markup=markup)
