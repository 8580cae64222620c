"""Ticket events: each ticket's history, in order (who did what, from which status to
which)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from storage.ticket_rows import EVENT_COLUMNS, Event, event_from_row, iso, require_iso


async def insert_event(
    conn: aiosqlite.Connection,
    ticket_id: int,
    *,
    at: datetime,
    action: str,
    actor_id: int | None,
    actor_role: str,
    from_status: str | None,
    to_status: str,
    note: str = "",
    reason: str | None = None,
    assignee_id: int | None = None,
) -> Event:
    cur = await conn.execute(
        "INSERT INTO ticket_events (ticket_id, at, action, actor_id, actor_role, from_status,"
        " to_status, note, reason, assignee_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ticket_id,
            iso(at),
            action,
            actor_id,
            actor_role,
            from_status,
            to_status,
            note,
            reason,
            assignee_id,
        ),
    )
    assert cur.lastrowid is not None
    return Event(
        cur.lastrowid,
        ticket_id,
        require_iso(iso(at)),
        action,
        actor_id,
        actor_role,
        from_status,
        to_status,
        note,
        reason,
        assignee_id,
    )


async def events(conn: aiosqlite.Connection, ticket_id: int) -> list[Event]:
    async with conn.execute(
        f"SELECT {EVENT_COLUMNS} FROM ticket_events WHERE ticket_id = ? ORDER BY id",
        (ticket_id,),
    ) as cur:
        return [event_from_row(r) for r in await cur.fetchall()]


async def events_for(conn: aiosqlite.Connection, ticket_ids: Sequence[int]) -> list[Event]:
    """Events of these tickets, by ticket then time (chunked under SQLite's variable cap)."""
    out: list[Event] = []
    for start in range(0, len(ticket_ids), 500):
        chunk = list(ticket_ids[start : start + 500])
        async with conn.execute(
            f"SELECT {EVENT_COLUMNS} FROM ticket_events WHERE ticket_id IN"
            f" ({','.join('?' * len(chunk))}) ORDER BY ticket_id, id",
            chunk,
        ) as cur:
            out.extend(event_from_row(r) for r in await cur.fetchall())
    return out
