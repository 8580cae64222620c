"""SQLitePersistence on a real SQLite file: every kind of data round-trips and survives reopen,
and only what changed is written (counted by SQLite itself, `total_changes`)."""

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


def changes(store: Store) -> int:
    """Rows SQLite has inserted, updated or deleted on this connection so far."""
    return store.conn.total_changes


async def test_an_unchanged_value_is_not_written_again(store: Store) -> None:
    p = store.persistence
    await p.update_user_data(1001, {"step": "地址", "名字": "张阿姨"})
    await p.update_chat_data(-100123, {"bound": "幸福里3号楼"})
    await p.update_bot_data({"broadcasts": 3})
    await p.update_conversation("complaint", (1001, 1001), "DESCRIBE")
    before = changes(store)

    for _ in range(3):  # as after three `/help`s that touched nothing
        await p.update_user_data(1001, {"step": "地址", "名字": "张阿姨"})
        await p.update_chat_data(-100123, {"bound": "幸福里3号楼"})
        await p.update_bot_data({"broadcasts": 3})
        await p.update_conversation("complaint", (1001, 1001), "DESCRIBE")

    assert changes(store) == before


async def test_a_changed_value_is_written_each_time(store: Store, path: Path) -> None:
    p = store.persistence
    await p.update_user_data(1001, {"step": "地址"})
    await p.update_conversation("complaint", (1001, 1001), "DESCRIBE")
    await p.update_bot_data({"v": 1})
    before = changes(store)

    await p.update_user_data(1001, {"step": "电话", "地址": "3号楼201"})
    await p.update_user_data(1002, {})  # a new user: unknown to the database, so written
    await p.update_conversation("complaint", (1001, 1001), "PHOTOS")
    await p.update_bot_data({"v": 2})
    await p.update_chat_data(-100123, {"bound": "幸福里3号楼"})
    await p.update_user_data(1001, {"step": "地址"})  # back to an earlier value: still written

    assert changes(store) == before + 6
    await store.conn.close()
    again = await reopen(path)
    try:
        q = again.persistence
        assert await q.get_user_data() == {1001: {"step": "地址"}, 1002: {}}
        assert await q.get_conversations("complaint") == {(1001, 1001): "PHOTOS"}
        assert await q.get_bot_data() == {"v": 2}
    finally:
        await again.conn.close()


async def test_values_loaded_at_start_are_not_written_back(store: Store, path: Path) -> None:
    """After a restart the loaded rows count as written: the first `/help` writes nothing."""
    p = store.persistence
    await p.update_user_data(1001, {"step": "地址"})
    await p.update_chat_data(-100123, {"bound": "幸福里3号楼"})
    await p.update_bot_data({"v": 1})
    await p.update_conversation("complaint", (1001, 1001), "DESCRIBE")
    await store.conn.close()

    again = await reopen(path)
    try:
        q = again.persistence
        users, chats = await q.get_user_data(), await q.get_chat_data()
        bot_data, flows = await q.get_bot_data(), await q.get_conversations("complaint")
        before = again.conn.total_changes
        await q.update_user_data(1001, users[1001])
        await q.update_chat_data(-100123, chats[-100123])
        await q.update_bot_data(bot_data)
        await q.update_conversation("complaint", (1001, 1001), flows[(1001, 1001)])
        assert again.conn.total_changes == before

        await q.update_conversation("complaint", (1001, 1001), "PHOTOS")
        assert again.conn.total_changes == before + 1
    finally:
        await again.conn.close()


async def test_drops_and_ended_conversations_delete_and_a_later_value_is_written(
    store: Store,
) -> None:
    p = store.persistence
    await p.update_user_data(1001, {"a": 1})
    await p.update_chat_data(5, {"x": 1})
    await p.update_conversation("complaint", (1001, 1001), "DESCRIBE")
    before = changes(store)

    await p.drop_user_data(1001)
    await p.drop_chat_data(5)
    await p.update_conversation("complaint", (1001, 1001), None)
    assert changes(store) == before + 3
    assert await p.get_user_data() == {}
    assert await p.get_chat_data() == {}
    assert await p.get_conversations("complaint") == {}

    # The same values as before the drop are rows again, not skipped as "unchanged".
    await p.update_user_data(1001, {"a": 1})
    await p.update_chat_data(5, {"x": 1})
    await p.update_conversation("complaint", (1001, 1001), "DESCRIBE")
    assert changes(store) == before + 6
    assert await p.get_user_data() == {1001: {"a": 1}}
    assert await p.get_chat_data() == {5: {"x": 1}}
    assert await p.get_conversations("complaint") == {(1001, 1001): "DESCRIBE"}


async def test_a_failed_write_is_retried_on_the_next_run(store: Store) -> None:
    p = store.persistence
    await p.update_user_data(1001, {"a": 1})
    # A real failure from SQLite, as a full disk would give.
    await store.conn.execute(
        "CREATE TRIGGER refuse BEFORE UPDATE ON ptb_user_data"
        " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(aiosqlite.IntegrityError, match="disk full"):
        await p.update_user_data(1001, {"a": 2})
    await store.conn.execute("DROP TRIGGER refuse")
    before = changes(store)

    await p.update_user_data(1001, {"a": 2})

    assert changes(store) == before + 1
    assert await p.get_user_data() == {1001: {"a": 2}}
