"""Followers of a ticket: residents who asked to hear about it besides its reporter."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from storage.ticket_rows import iso


async def add_follower(
    conn: aiosqlite.Connection, ticket_id: int, user_id: int, at: datetime
) -> bool:
    cur = await conn.execute(
        "INSERT OR IGNORE INTO ticket_followers (ticket_id, user_id, at) VALUES (?, ?, ?)",
        (ticket_id, user_id, iso(at)),
    )
    return cur.rowcount > 0


async def remove_follower(conn: aiosqlite.Connection, ticket_id: int, user_id: int) -> bool:
    cur = await conn.execute(
        "DELETE FROM ticket_followers WHERE ticket_id = ? AND user_id = ?", (ticket_id, user_id)
    )
    return cur.rowcount > 0


async def followers(conn: aiosqlite.Connection, ticket_id: int) -> list[int]:
    async with conn.execute(
        "SELECT user_id FROM ticket_followers WHERE ticket_id = ? ORDER BY at, user_id",
        (ticket_id,),
    ) as cur:
        return [int(r[0]) for r in await cur.fetchall()]


async def is_follower(conn: aiosqlite.Connection, ticket_id: int, user_id: int) -> bool:
    async with conn.execute(
        "SELECT 1 FROM ticket_followers WHERE ticket_id = ? AND user_id = ?",
        (ticket_id, user_id),
    ) as cur:
        return await cur.fetchone() is not None
