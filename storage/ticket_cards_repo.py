"""Where each ticket's staff card was posted, so it is edited in place after a restart."""

from __future__ import annotations

from collections.abc import Sequence

import aiosqlite


async def add_cards(
    conn: aiosqlite.Connection, ticket_id: int, places: Sequence[tuple[int, int]]
) -> None:
    """Remember where the ticket's staff card was posted: (chat id, message id) pairs."""
    await conn.executemany(
        "INSERT OR IGNORE INTO ticket_cards (ticket_id, chat_id, message_id) VALUES (?, ?, ?)",
        [(ticket_id, chat, message) for chat, message in places],
    )


async def cards(conn: aiosqlite.Connection, ticket_id: int) -> list[tuple[int, int]]:
    """(chat id, message id) of every card of the ticket, in the order they were posted."""
    async with conn.execute(
        "SELECT chat_id, message_id FROM ticket_cards WHERE ticket_id = ? ORDER BY rowid",
        (ticket_id,),
    ) as cur:
        return [(int(r[0]), int(r[1])) for r in await cur.fetchall()]


async def forget_cards(conn: aiosqlite.Connection, ticket_id: int) -> None:
    await conn.execute("DELETE FROM ticket_cards WHERE ticket_id = ?", (ticket_id,))
