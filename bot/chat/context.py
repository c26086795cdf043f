"""The context every handler receives: python-telegram-bot's ``CallbackContext`` plus the shop.

``ShopContext.services`` is the shop's ``Services`` with its real type, so handlers need neither a
lookup helper nor ``assert ... is not None``. ``CONTEXT_TYPES`` is given to
``Application.builder().context_types(...)`` in ``bot/app.py``.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.shop.services import KEY, Services


class ShopContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """A callback context that knows the shop it serves."""

    @property
    def services(self) -> Services:
        found = self.application.bot_data[KEY]
        assert isinstance(found, Services), "bot/app.py puts Services in bot_data at start-up"
        return found


CONTEXT_TYPES = ContextTypes(context=ShopContext)
