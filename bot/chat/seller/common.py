"""Pieces every seller handler shares: who counts as an admin, replies, buttons, arguments.

Handler filters run synchronously, but admins live partly in the database. So the admin ids are
kept in ``bot_data[ADMIN_CACHE]``: loaded at start-up (``load_admins``) and replaced by every
command that changes them, and the filters below read that snapshot. Non-admins never match a
seller handler: their updates fall through to the customer conversation, which ignores unknown
commands, so the seller commands do not exist for them.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from telegram import (
    Update,
)
from telegram.ext import CallbackQueryHandler, filters

from bot.chat.common import pattern
from bot.chat.context import ShopContext
from bot.text import callbacks

logger = logging.getLogger(__name__)

Context = ShopContext

ADMIN_CACHE = "admin_ids"


def load_admins(bot_data: dict[str, Any], admin_ids: set[int]) -> None:
    """Start-up: the snapshot the filters read (admin commands keep it current afterwards)."""
    bot_data[ADMIN_CACHE] = set(admin_ids)


def _is_admin(bot_data: dict[str, Any], update: object) -> bool:
    if not isinstance(update, Update):
        return False
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != chat.PRIVATE:
        return False  # seller data stays out of group chats
    return user.id in bot_data.get(ADMIN_CACHE, ())


class AdminFilter(filters.UpdateFilter):
    """Matches updates from an admin in a private chat (see the module docstring)."""

    def __init__(self, bot_data: dict[str, Any]) -> None:
        super().__init__(name="AdminFilter")
        self._bot_data = bot_data

    def filter(self, update: Update) -> bool:
        return _is_admin(self._bot_data, update)


class AdminCallbackHandler(CallbackQueryHandler[Any, Any]):
    """A button handler that only admins reach (CallbackQueryHandler takes no filters)."""

    def __init__(self, bot_data: dict[str, Any], callback: Any, code: str) -> None:
        super().__init__(callback, pattern=pattern(code))
        self._bot_data = bot_data

    def check_update(self, update: object) -> Any:
        if not _is_admin(self._bot_data, update):
            return None
        return super().check_update(update)


def args_of(update: Update) -> str:
    """Everything after the command word, as typed (newlines kept)."""
    message = update.effective_message
    text = (message.text or "") if message else ""
    return re.sub(r"^\s*/\S+", "", text, count=1).strip()


def query_parts(update: Update) -> list[str]:
    query = update.callback_query
    return callbacks.split(query.data) if query and query.data else []


def int_arg(text: str) -> int | None:
    text = text.strip().lstrip("#")
    return int(text) if text.isdigit() and len(text) <= 15 else None
