"""Per-deployment secrets (the key of ticket pseudonyms, say), made once and kept in the
database."""

from __future__ import annotations

import secrets

import aiosqlite


async def deployment_secret(conn: aiosqlite.Connection, name: str) -> bytes:
    """A random 32-byte secret created on first use and kept in the database."""
    await conn.execute(
        "INSERT OR IGNORE INTO deployment_secrets (name, value) VALUES (?, ?)",
        (name, secrets.token_hex(32)),
    )
    async with conn.execute("SELECT value FROM deployment_secrets WHERE name = ?", (name,)) as cur:
        row = await cur.fetchone()
    assert row is not None
    return bytes.fromhex(str(row[0]))
