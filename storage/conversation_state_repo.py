"""SQL behind the bot's persistence: per-user, per-chat and bot-wide data, conversation states.

Values arrive already serialised as JSON text; this module only stores them.
"""

from __future__ import annotations

import aiosqlite


async def load_table(conn: aiosqlite.Connection, table: str) -> dict[int, str]:
    key = {"ptb_user_data": "user_id", "ptb_chat_data": "chat_id"}[table]
    async with conn.execute(f"SELECT {key}, data FROM {table}") as cur:
        return {int(r[0]): str(r[1]) async for r in cur}


async def save_row(conn: aiosqlite.Connection, table: str, ident: int, data: str) -> None:
    key = {"ptb_user_data": "user_id", "ptb_chat_data": "chat_id"}[table]
    await conn.execute(
        f"INSERT INTO {table} ({key}, data) VALUES (?, ?)"
        f" ON CONFLICT({key}) DO UPDATE SET data = excluded.data",
        (ident, data),
    )


async def delete_row(conn: aiosqlite.Connection, table: str, ident: int) -> None:
    key = {"ptb_user_data": "user_id", "ptb_chat_data": "chat_id"}[table]
    await conn.execute(f"DELETE FROM {table} WHERE {key} = ?", (ident,))


async def load_kv(conn: aiosqlite.Connection, name: str) -> str | None:
    async with conn.execute("SELECT data FROM ptb_kv WHERE name = ?", (name,)) as cur:
        row = await cur.fetchone()
    return str(row[0]) if row else None


async def save_kv(conn: aiosqlite.Connection, name: str, data: str) -> None:
    await conn.execute(
        "INSERT INTO ptb_kv (name, data) VALUES (?, ?)"
        " ON CONFLICT(name) DO UPDATE SET data = excluded.data",
        (name, data),
    )


async def load_conversations(conn: aiosqlite.Connection, name: str) -> dict[str, str]:
    async with conn.execute(
        "SELECT key, state FROM ptb_conversations WHERE name = ?", (name,)
    ) as cur:
        return {str(r[0]): str(r[1]) async for r in cur}


async def save_conversation(
    conn: aiosqlite.Connection, name: str, key: str, state: str | None
) -> None:
    if state is None:
        await conn.execute("DELETE FROM ptb_conversations WHERE name = ? AND key = ?", (name, key))
    else:
        await conn.execute(
            "INSERT INTO ptb_conversations (name, key, state) VALUES (?, ?, ?)"
            " ON CONFLICT(name, key) DO UPDATE SET state = excluded.state",
            (name, key, state),
        )
