"""python-telegram-bot persistence over our own SQLite store.

PTB ships pickle and dict persistence only. This keeps conversation states and per-user data
(the cart, the checkout draft) in the ``bot_state`` table as JSON, so a conversation in progress
survives a restart and the data stays readable. Values must therefore be JSON-friendly: dict keys
become strings on the way back (the handlers store carts as ``{"<product id>": quantity}``).
"""

from __future__ import annotations

import json
from copy import deepcopy
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from storage import Store, Tx

USER = "user_data"
CONVERSATION = "conversation:"


class SQLitePersistence(BasePersistence[dict[str, Any], dict[str, Any], dict[str, Any]]):
    """Conversations and user data in the store; chat, bot and callback data are not kept."""

    def __init__(self, store: Store, update_interval: float = 1.0) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._store = store
        self._user_data: dict[int, dict[str, Any]] | None = None
        self._conversations: dict[str, ConversationDict] = {}

    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        if self._user_data is None:
            rows = await self._store.run(Tx.bot_state, USER)
            self._user_data = {int(key): json.loads(data) for key, data in rows.items()}
        return deepcopy(self._user_data)

    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return {}

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        rows = await self._store.run(Tx.bot_state, CONVERSATION + name)
        conversations: ConversationDict = {
            tuple(json.loads(key)): json.loads(state) for key, state in rows.items()
        }
        self._conversations[name] = conversations
        return dict(conversations)

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        known = self._conversations.setdefault(name, {})
        if known.get(key) == new_state:
            return
        encoded_key = json.dumps(list(key))
        if new_state is None:
            known.pop(key, None)
            await self._store.run(Tx.drop_bot_state, CONVERSATION + name, encoded_key)
        else:
            known[key] = new_state
            await self._store.run(
                Tx.put_bot_state, CONVERSATION + name, encoded_key, json.dumps(new_state)
            )

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        if self._user_data is None:
            self._user_data = {}
        if self._user_data.get(user_id) == data:
            return
        self._user_data[user_id] = deepcopy(data)
        await self._store.run(Tx.put_bot_state, USER, str(user_id), json.dumps(data))

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        if self._user_data is not None:
            self._user_data.pop(user_id, None)
        await self._store.run(Tx.drop_bot_state, USER, str(user_id))

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None
