"""Staff members added in chat, and the audit log of staff actions."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from storage.clock import now_iso


@dataclass(frozen=True)
class StaffMember:
    user_id: int
    added_by: int | None
    added_at: str


async def add_staff(conn: aiosqlite.Connection, user_id: int, added_by: int) -> bool:
    """Add a staff member; False when they already were staff."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO staff (user_id, added_by, added_at) VALUES (?, ?, ?)",
        (user_id, added_by, now_iso()),
    )
    return cur.rowcount > 0


async def remove_staff(conn: aiosqlite.Connection, user_id: int) -> bool:
    cur = await conn.execute("DELETE FROM staff WHERE user_id = ?", (user_id,))
    return cur.rowcount > 0


async def is_staff(conn: aiosqlite.Connection, user_id: int) -> bool:
    async with conn.execute("SELECT 1 FROM staff WHERE user_id = ?", (user_id,)) as cur:
        return await cur.fetchone() is not None


async def list_staff(conn: aiosqlite.Connection) -> list[StaffMember]:
    async with conn.execute(
        "SELECT user_id, added_by, added_at FROM staff ORDER BY added_at, user_id"
    ) as cur:
        return [StaffMember(r[0], r[1], r[2]) async for r in cur]


async def record_audit(
    conn: aiosqlite.Connection,
    actor_id: int,
    action: str,
    target: str | None = None,
    detail: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO audit_log (at, actor_id, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        (now_iso(), actor_id, action, target, detail),
    )
