"""SQLitePersistence on a real SQLite file: every kind of data round-trips and survives reopen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import pytest

from bot.persistence import SQLitePersistence
from storage.db import open_database


class Store:
    """One opened database and a persistence over it, like one run of the bot."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

        async def connect() -> aiosqlite.Connection:
            return conn

        self.persistence = SQLitePersistence(connect, update_interval=60)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "persist.db"


@pytest.fixture
async def store(path: Path) -> AsyncIterator[Store]:
    conn = await open_database(path)
    yield Store(conn)
    await conn.close()


async def reopen(path: Path) -> Store:
    return Store(await open_database(path))


async def test_empty_database_loads_empty(store: Store) -> None:
    p = store.persistence
    assert await p.get_user_data() == {}
    assert await p.get_chat_data() == {}
    assert await p.get_bot_data() == {}
    assert await p.get_conversations("complaint") == {}
    assert await p.get_callback_data() is None  # type: ignore[func-returns-value]


async def test_user_chat_and_bot_data_round_trip_across_reopen(store: Store, path: Path) -> None:
    p = store.persistence
    user = {"kb_pending_faq": 7, "名字": "张阿姨", "nested": {"rooms": [301, 302], "ok": True}}
    await p.update_user_data(1001, user)
    await p.update_user_data(1002, {"step": 1.5, "none": None})
    await p.update_chat_data(-1001234567890, {"bound": "幸福里3号楼"})
    await p.update_bot_data({"broadcasts": 3, "last": "2026-01-01"})
    await p.flush()

    assert await p.get_user_data() == {1001: user, 1002: {"step": 1.5, "none": None}}
    await store.conn.close()

    again = await reopen(path)
    try:
        q = again.persistence
        assert await q.get_user_data() == {1001: user, 1002: {"step": 1.5, "none": None}}
        assert await q.get_chat_data() == {-1001234567890: {"bound": "幸福里3号楼"}}
        assert await q.get_bot_data() == {"broadcasts": 3, "last": "2026-01-01"}
        # Chinese is stored as text, not as \\u escapes.
        async with again.conn.execute("SELECT data FROM ptb_user_data WHERE user_id = 1001") as c:
            row = await c.fetchone()
        assert row is not None
        assert "张阿姨" in row[0]
    finally:
        await again.conn.close()


async def test_updates_overwrite_and_drops_delete(store: Store) -> None:
    p = store.persistence
    await p.update_user_data(1001, {"a": 1})
    await p.update_user_data(1001, {"b": 2})
    await p.update_chat_data(5, {"x": 1})
    await p.update_bot_data({"v": 1})
    await p.update_bot_data({"v": 2})
    assert await p.get_user_data() == {1001: {"b": 2}}
    assert await p.get_bot_data() == {"v": 2}

    await p.drop_user_data(1001)
    await p.drop_chat_data(5)
    await p.drop_user_data(424242)  # unknown ids are fine
    assert await p.get_user_data() == {}
    assert await p.get_chat_data() == {}


async def test_conversations_round_trip_per_name(store: Store, path: Path) -> None:
    p = store.persistence
    await p.update_conversation("complaint", (1001, 1001), "DESCRIBE")
    await p.update_conversation("complaint", (-100123, 1002), 3)
    await p.update_conversation("vote", (1001,), {"step": "confirm"})
    await p.update_conversation("complaint", (1001, 1001), "PHOTOS")  # moves on
    await store.conn.close()

    again = await reopen(path)
    try:
        q = again.persistence
        assert await q.get_conversations("complaint") == {
            (1001, 1001): "PHOTOS",
            (-100123, 1002): 3,
        }
        assert await q.get_conversations("vote") == {(1001,): {"step": "confirm"}}
        assert await q.get_conversations("renovation") == {}

        # Ending a conversation (state None) removes it.
        await q.update_conversation("complaint", (1001, 1001), None)
        await q.update_conversation("complaint", (9, 9), None)  # never existed
        assert await q.get_conversations("complaint") == {(-100123, 1002): 3}
    finally:
        await again.conn.close()


async def test_a_stray_non_json_value_does_not_lose_the_row(store: Store) -> None:
    p = store.persistence
    when = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
    await p.update_user_data(1001, {"when": when, "keep": "我要投诉"})
    loaded = (await p.get_user_data())[1001]
    assert loaded == {"when": str(when), "keep": "我要投诉"}


async def test_persistence_stores_user_chat_and_bot_data_not_callback_data(store: Store) -> None:
    stored = store.persistence.store_data
    assert (stored.user_data, stored.chat_data, stored.bot_data) == (True, True, True)
    assert stored.callback_data is False
