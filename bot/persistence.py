"""python-telegram-bot persistence over the application's aiosqlite connection.

Every multi-step flow (a ConversationHandler with ``persistent=True``) and
``user_data``/``chat_data`` survive a restart. Values are stored as JSON, so flows keep
plain data (str, int, float, bool, lists, dicts) in them.

The application asks for a write after every update, and most updates change nothing
(a ``/help`` touches no state), so each value's last-written JSON is kept in memory and a
write is skipped when the new JSON is identical. A changed value is still written right
after the update that changed it, so a crash loses nothing a user typed.
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
# ("user", id) | ("chat", id) | ("bot",) | ("conversation", name, key as JSON)
_Slot = tuple[str | int, ...]
_BOT: _Slot = ("bot",)


class SQLitePersistence(BasePersistence[JsonDict, JsonDict, JsonDict]):
    """Writes on ``update_persistence`` (the app triggers one after each update) what changed."""

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
        # What the database holds, as far as this process knows: the JSON it loaded or last
        # wrote per slot. A slot missing here is unknown, so it is always written.
        self._stored: dict[_Slot, str] = {}

    async def _write(
        self, slot: _Slot, text: str, save: Callable[[aiosqlite.Connection], Awaitable[None]]
    ) -> None:
        if self._stored.get(slot) == text:
            return
        await save(await self._connect())
        # Recorded only once written: a failed write is retried on the next run.
        self._stored[slot] = text

    async def _delete(
        self, slot: _Slot, delete: Callable[[aiosqlite.Connection], Awaitable[None]]
    ) -> None:
        # Forgotten first: if the delete fails, the next value for the slot is written anew.
        self._stored.pop(slot, None)
        await delete(await self._connect())

    async def get_user_data(self) -> dict[int, JsonDict]:
        rows = await repo.load_table(await self._connect(), "ptb_user_data")
        self._stored.update((("user", k), v) for k, v in rows.items())
        return {k: json.loads(v) for k, v in rows.items()}

    async def get_chat_data(self) -> dict[int, JsonDict]:
        rows = await repo.load_table(await self._connect(), "ptb_chat_data")
        self._stored.update((("chat", k), v) for k, v in rows.items())
        return {k: json.loads(v) for k, v in rows.items()}

    async def get_bot_data(self) -> JsonDict:
        raw = await repo.load_kv(await self._connect(), "bot_data")
        if raw is None:
            return {}
        self._stored[_BOT] = raw
        return dict(json.loads(raw))

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        rows = await repo.load_conversations(await self._connect(), name)
        self._stored.update((("conversation", name, k), v) for k, v in rows.items())
        return {tuple(json.loads(k)): json.loads(v) for k, v in rows.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        key_json = json.dumps(list(key))
        slot: _Slot = ("conversation", name, key_json)
        if new_state is None:
            await self._delete(
                slot, lambda conn: repo.save_conversation(conn, name, key_json, None)
            )
            return
        state = json.dumps(new_state, ensure_ascii=False)
        await self._write(
            slot, state, lambda conn: repo.save_conversation(conn, name, key_json, state)
        )

    async def update_user_data(self, user_id: int, data: JsonDict) -> None:
        text = _dump(data)
        await self._write(
            ("user", user_id),
            text,
            lambda conn: repo.save_row(conn, "ptb_user_data", user_id, text),
        )

    async def update_chat_data(self, chat_id: int, data: JsonDict) -> None:
        text = _dump(data)
        await self._write(
            ("chat", chat_id),
            text,
            lambda conn: repo.save_row(conn, "ptb_chat_data", chat_id, text),
        )

    async def update_bot_data(self, data: JsonDict) -> None:
        text = _dump(data)
        await self._write(_BOT, text, lambda conn: repo.save_kv(conn, "bot_data", text))

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._delete(
            ("chat", chat_id), lambda conn: repo.delete_row(conn, "ptb_chat_data", chat_id)
        )

    async def drop_user_data(self, user_id: int) -> None:
        await self._delete(
            ("user", user_id), lambda conn: repo.delete_row(conn, "ptb_user_data", user_id)
        )

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
