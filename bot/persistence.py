"""python-telegram-bot persistence over the application's aiosqlite connection.

Every multi-step flow (a ConversationHandler with ``persistent=True``) and
``user_data``/``chat_data`` survive a restart. Values are stored as JSON, so flows keep
plain data (str, int, float, bool, lists, dicts) in them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiosqlite
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from storage import conversation_state_repo as repo

JsonDict = dict[str, Any]


class SQLitePersistence(BasePersistence[JsonDict, JsonDict, JsonDict]):
    """Writes on every ``update_persistence`` run (the app triggers one after each update)."""

    def __init__(
        self,
        connect: Callable[[], Awaitable[aiosqlite.Connection]],
        update_interval: float = 2.0,
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=True, chat_data=True, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        # A callable, not a connection: persistence is loaded in `initialize()`, before
        # `post_init`, so it may be the first to need the database.
        self._connect = connect

    async def get_user_data(self) -> dict[int, JsonDict]:
        rows = await repo.load_table(await self._connect(), "ptb_user_data")
        return {k: json.loads(v) for k, v in rows.items()}

    async def get_chat_data(self) -> dict[int, JsonDict]:
        rows = await repo.load_table(await self._connect(), "ptb_chat_data")
        return {k: json.loads(v) for k, v in rows.items()}

    async def get_bot_data(self) -> JsonDict:
        raw = await repo.load_kv(await self._connect(), "bot_data")
        return json.loads(raw) if raw else {}

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        rows = await repo.load_conversations(await self._connect(), name)
        return {tuple(json.loads(k)): json.loads(v) for k, v in rows.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        state = None if new_state is None else json.dumps(new_state, ensure_ascii=False)
        await repo.save_conversation(await self._connect(), name, json.dumps(list(key)), state)

    async def update_user_data(self, user_id: int, data: JsonDict) -> None:
        await repo.save_row(await self._connect(), "ptb_user_data", user_id, _dump(data))

    async def update_chat_data(self, chat_id: int, data: JsonDict) -> None:
        await repo.save_row(await self._connect(), "ptb_chat_data", chat_id, _dump(data))

    async def update_bot_data(self, data: JsonDict) -> None:
        await repo.save_kv(await self._connect(), "bot_data", _dump(data))

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        await repo.delete_row(await self._connect(), "ptb_chat_data", chat_id)

    async def drop_user_data(self, user_id: int) -> None:
        await repo.delete_row(await self._connect(), "ptb_user_data", user_id)

    async def refresh_user_data(self, user_id: int, user_data: JsonDict) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: JsonDict) -> None:
        return None

    async def refresh_bot_data(self, bot_data: JsonDict) -> None:
        return None

    async def flush(self) -> None:
        # Each write above is its own autocommitted statement; nothing is buffered.
        return None


def _dump(data: JsonDict) -> str:
    # default=str keeps a stray non-JSON value (a datetime, say) from losing the whole row.
    return json.dumps(data, ensure_ascii=False, default=str)
