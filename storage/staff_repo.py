"""Staff members added in chat, their display names, and the audit log of staff actions."""

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


@dataclass(frozen=True)
class StaffName:
    user_id: int
    display_name: str
    updated_at: str


async def set_staff_name(conn: aiosqlite.Connection, user_id: int, display_name: str) -> bool:
    """Store a staff member's display name; False when it was already that (nothing
    written). Names outlive `remove_staff`: tickets they handled still name them."""
    cur = await conn.execute(
        "INSERT INTO staff_names (user_id, display_name, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET"
        " display_name = excluded.display_name, updated_at = excluded.updated_at"
        " WHERE display_name IS NOT excluded.display_name",
        (user_id, display_name, now_iso()),
    )
    return cur.rowcount > 0


async def staff_names(conn: aiosqlite.Connection) -> list[StaffName]:
    """Every stored name, current and former staff alike, by user id."""
    async with conn.execute(
        "SELECT user_id, display_name, updated_at FROM staff_names ORDER BY user_id"
    ) as cur:
        return [StaffName(r[0], r[1], r[2]) async for r in cur]


async def staff_name(conn: aiosqlite.Connection, user_id: int) -> str | None:
    """One user's stored display name, for /me; None when none is kept."""
    async with conn.execute(
        "SELECT display_name FROM staff_names WHERE user_id = ?", (user_id,)
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else str(row[0])


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
