"""The chats the bot is or was a member of."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from storage.clock import now_iso
from storage.db import transaction


@dataclass(frozen=True)
class ChatRecord:
    chat_id: int
    type: str
    title: str | None
    status: str
    bound_name: str | None
    migrated_from: int | None


_COLUMNS = "chat_id, type, title, status, bound_name, migrated_from"


async def upsert_chat(
    conn: aiosqlite.Connection, chat_id: int, chat_type: str, title: str | None, status: str
) -> None:
    stamp = now_iso()
    await conn.execute(
        "INSERT INTO chats (chat_id, type, title, status, first_seen, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(chat_id) DO UPDATE SET type = excluded.type,"
        " title = COALESCE(excluded.title, chats.title), status = excluded.status,"
        " updated_at = excluded.updated_at",
        (chat_id, chat_type, title, status, stamp, stamp),
    )


async def touch_chat(
    conn: aiosqlite.Connection, chat_id: int, chat_type: str, title: str | None
) -> None:
    """Record a chat seen through a message, without changing a known membership status."""
    stamp = now_iso()
    await conn.execute(
        "INSERT INTO chats (chat_id, type, title, status, first_seen, updated_at)"
        " VALUES (?, ?, ?, 'member', ?, ?)"
        " ON CONFLICT(chat_id) DO UPDATE SET title = COALESCE(excluded.title, chats.title),"
        " status = CASE WHEN chats.status = 'blocked' THEN 'member' ELSE chats.status END",
        (chat_id, chat_type, title, stamp, stamp),
    )


async def set_status(conn: aiosqlite.Connection, chat_id: int, status: str) -> None:
    await conn.execute(
        "UPDATE chats SET status = ?, updated_at = ? WHERE chat_id = ?",
        (status, now_iso(), chat_id),
    )


async def migrate_chat(conn: aiosqlite.Connection, old_id: int, new_id: int) -> None:
    """Move a group's record to its new supergroup id, keeping binding and history."""
    async with transaction(conn):
        async with conn.execute("SELECT 1 FROM chats WHERE chat_id = ?", (new_id,)) as cur:
            new_exists = await cur.fetchone() is not None
        if new_exists:
            # The supergroup was already recorded (its first update raced the migration
            # message): carry the binding over and drop the old row.
            await conn.execute(
                "UPDATE chats SET"
                " bound_name = COALESCE(bound_name, (SELECT bound_name FROM chats old"
                " WHERE old.chat_id = ?)),"
                " community = COALESCE(community, (SELECT community FROM chats old"
                " WHERE old.chat_id = ?)),"
                " building = COALESCE(building, (SELECT building FROM chats old"
                " WHERE old.chat_id = ?)),"
                " migrated_from = ?, type = 'supergroup', status = 'member', updated_at = ?"
                " WHERE chat_id = ?",
                (old_id, old_id, old_id, old_id, now_iso(), new_id),
            )
            await conn.execute("DELETE FROM chats WHERE chat_id = ?", (old_id,))
        else:
            await conn.execute(
                "UPDATE chats SET chat_id = ?, migrated_from = ?, type = 'supergroup',"
                " status = 'member', updated_at = ? WHERE chat_id = ?",
                (new_id, old_id, now_iso(), old_id),
            )
        await conn.execute("UPDATE outbox SET chat_id = ? WHERE chat_id = ?", (new_id, old_id))


async def bind_chat(
    conn: aiosqlite.Connection,
    chat_id: int,
    name: str,
    community: str | None = None,
    building: str | None = None,
) -> None:
    """Record the group's name as typed, and the community/building it stands for
    (canonical when the register knows them), which notices target."""
    await conn.execute(
        "UPDATE chats SET bound_name = ?, community = ?, building = ?, updated_at = ?"
        " WHERE chat_id = ?",
        (name, community, building, now_iso(), chat_id),
    )


async def get_chat(conn: aiosqlite.Connection, chat_id: int) -> ChatRecord | None:
    async with conn.execute(f"SELECT {_COLUMNS} FROM chats WHERE chat_id = ?", (chat_id,)) as cur:
        row = await cur.fetchone()
    return ChatRecord(*row) if row else None


async def list_chats(conn: aiosqlite.Connection, *, groups_only: bool = False) -> list[ChatRecord]:
    clause = " WHERE type IN ('group', 'supergroup')" if groups_only else ""
    async with conn.execute(f"SELECT {_COLUMNS} FROM chats{clause} ORDER BY chat_id") as cur:
        return [ChatRecord(*r) async for r in cur]
