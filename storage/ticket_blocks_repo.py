"""Residents blocked from filing tickets (abuse), by staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.ticket_rows import iso, require_iso


@dataclass(frozen=True)
class Block:
    user_id: int
    blocked_by: int
    at: datetime
    reason: str


async def block_user(
    conn: aiosqlite.Connection, user_id: int, blocked_by: int, at: datetime, reason: str
) -> bool:
    cur = await conn.execute(
        "INSERT OR IGNORE INTO ticket_blocks (user_id, blocked_by, at, reason)"
        " VALUES (?, ?, ?, ?)",
        (user_id, blocked_by, iso(at), reason),
    )
    return cur.rowcount > 0


async def unblock_user(conn: aiosqlite.Connection, user_id: int) -> bool:
    cur = await conn.execute("DELETE FROM ticket_blocks WHERE user_id = ?", (user_id,))
    return cur.rowcount > 0


async def get_block(conn: aiosqlite.Connection, user_id: int) -> Block | None:
    async with conn.execute(
        "SELECT user_id, blocked_by, at, reason FROM ticket_blocks WHERE user_id = ?",
        (user_id,),
    ) as cur:
        row = await cur.fetchone()
    return Block(int(row[0]), int(row[1]), require_iso(row[2]), str(row[3])) if row else None
