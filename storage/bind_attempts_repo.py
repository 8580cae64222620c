"""Binding attempts (bind_attempts): every code a user tried, for throttling and /me."""

from __future__ import annotations

import aiosqlite

# bind_attempts.ok: 1 a code that worked, 0 a code that did not (wrong, used, expired,
# revoked), -1 refused unchecked while the user was throttled (so it does not prolong it).
ATTEMPT_OK = 1
ATTEMPT_FAILED = 0
ATTEMPT_REFUSED = -1


async def record_attempt(conn: aiosqlite.Connection, user_id: int, at: str, ok: int) -> None:
    await conn.execute(
        "INSERT INTO bind_attempts (user_id, at, ok) VALUES (?, ?, ?)", (user_id, at, ok)
    )


async def failed_attempts_since(conn: aiosqlite.Connection, user_id: int, since: str) -> list[str]:
    """Times of the user's failed attempts at or after `since`, oldest first."""
    async with conn.execute(
        "SELECT at FROM bind_attempts WHERE user_id = ? AND ok = ? AND at >= ? ORDER BY at",
        (user_id, ATTEMPT_FAILED, since),
    ) as cur:
        return [str(r[0]) async for r in cur]


async def count_attempts(conn: aiosqlite.Connection, user_id: int) -> int:
    async with conn.execute(
        "SELECT COUNT(*) FROM bind_attempts WHERE user_id = ?", (user_id,)
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0
