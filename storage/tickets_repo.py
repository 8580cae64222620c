"""Tickets and their photos; the day sequence; leaving.

Times are aware datetimes in the dataclasses and ISO 8601 UTC text on disk (seconds), so
text comparison in SQL orders them. Statuses and actions are plain strings here: the state
machine that decides them is `knowledge/tickets/lifecycle.py`. Events, followers,
renovation needs, blocks and staff cards have their own modules (`ticket_events_repo`,
`ticket_followers_repo`, `ticket_needs_repo`, `ticket_blocks_repo`, `ticket_cards_repo`),
the row dataclasses theirs (`ticket_rows`), and the pseudonym secret its own
(`deployment_secrets_repo`); their names are re-exported here (`name as name`) so
`tickets_repo.X` keeps reaching every ticket table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import aiosqlite

from storage.db import transaction as transaction  # the ticket services open theirs here
from storage.deployment_secrets_repo import deployment_secret as deployment_secret
from storage.ticket_blocks_repo import Block as Block
from storage.ticket_blocks_repo import block_user as block_user
from storage.ticket_blocks_repo import get_block as get_block
from storage.ticket_blocks_repo import unblock_user as unblock_user
from storage.ticket_cards_repo import add_cards as add_cards
from storage.ticket_cards_repo import cards as cards
from storage.ticket_cards_repo import forget_cards as forget_cards
from storage.ticket_events_repo import events as events
from storage.ticket_events_repo import events_for as events_for
from storage.ticket_events_repo import insert_event as insert_event
from storage.ticket_followers_repo import add_follower as add_follower
from storage.ticket_followers_repo import followers as followers
from storage.ticket_followers_repo import is_follower as is_follower
from storage.ticket_followers_repo import remove_follower as remove_follower
from storage.ticket_needs_repo import Need as Need
from storage.ticket_needs_repo import current_need as current_need
from storage.ticket_needs_repo import current_needs as current_needs
from storage.ticket_needs_repo import need_history as need_history
from storage.ticket_needs_repo import save_need as save_need
from storage.ticket_rows import TICKET_COLUMNS, ticket_from_row
from storage.ticket_rows import Event as Event
from storage.ticket_rows import NewTicket as NewTicket
from storage.ticket_rows import Ticket as Ticket
from storage.ticket_rows import iso as iso

OPEN = ("received", "assigned", "in_progress")

_SELECT = f"SELECT {TICKET_COLUMNS} FROM tickets t"
# Columns `update_ticket` may set (the caller passes names, never SQL).
_UPDATABLE = frozenset(
    {
        "status",
        "assignee_id",
        "first_response_at",
        "resolve_due",
        "resolved_at",
        "settled_at",
        "closed_at",
        "reopen_count",
        "rating_outcome",
        "rating_stars",
        "rating_comment",
        "merged_into",
        "reporter_id",
        "reporter_name",
        "phone",
    }
)


async def _tickets(
    conn: aiosqlite.Connection, sql: str, params: Sequence[object] = ()
) -> list[Ticket]:
    async with conn.execute(sql, params) as cur:
        return [ticket_from_row(r) for r in await cur.fetchall()]


# --- numbers and tickets --------------------------------------------------------------


async def next_number(conn: aiosqlite.Connection, day: str) -> int:
    """The next sequence number of the local day `day` (YYYYMMDD); call in a transaction."""
    await conn.execute(
        "INSERT INTO ticket_numbers (day, last) VALUES (?, 1)"
        " ON CONFLICT(day) DO UPDATE SET last = last + 1",
        (day,),
    )
    async with conn.execute("SELECT last FROM ticket_numbers WHERE day = ?", (day,)) as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def insert_ticket(conn: aiosqlite.Connection, new: NewTicket) -> int:
    cur = await conn.execute(
        "INSERT INTO tickets (number, category, description, community, building,"
        " location_text, household_id, latitude, longitude, phone, anonymous, reporter_id,"
        " reporter_name, filed_by, channel, status, created_at, first_response_due,"
        " resolve_due) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            new.number,
            new.category,
            new.description,
            new.community,
            new.building,
            new.location_text,
            new.household_id,
            new.latitude,
            new.longitude,
            new.phone,
            int(new.anonymous),
            new.reporter_id,
            new.reporter_name,
            new.filed_by,
            new.channel,
            new.status,
            iso(new.created_at),
            iso(new.first_response_due),
            iso(new.resolve_due),
        ),
    )
    ticket_id = cur.lastrowid
    assert ticket_id is not None
    if new.photos:
        await conn.executemany(
            "INSERT INTO ticket_photos (ticket_id, position, file_id) VALUES (?, ?, ?)",
            [(ticket_id, i, f) for i, f in enumerate(new.photos)],
        )
    return ticket_id


async def get_ticket(conn: aiosqlite.Connection, ticket_id: int) -> Ticket | None:
    found = await _tickets(conn, f"{_SELECT} WHERE t.id = ?", (ticket_id,))
    return found[0] if found else None


async def get_by_number(conn: aiosqlite.Connection, number: str) -> Ticket | None:
    found = await _tickets(conn, f"{_SELECT} WHERE t.number = ?", (number,))
    return found[0] if found else None


async def by_sequence(conn: aiosqlite.Connection, sequence: str, *, limit: int) -> list[Ticket]:
    """Tickets whose number ends with `-<sequence>` (any day), newest first."""
    return await _tickets(
        conn,
        f"{_SELECT} WHERE t.number LIKE ? ORDER BY t.id DESC LIMIT ?",
        (f"%-{sequence}", limit),
    )


async def update_ticket(
    conn: aiosqlite.Connection, ticket_id: int, fields: Mapping[str, object]
) -> None:
    """Set columns (names from a fixed list); datetimes are stored as UTC text."""
    bad = set(fields) - _UPDATABLE
    if bad:
        raise ValueError(f"not updatable: {sorted(bad)}")
    if not fields:
        return
    names = list(fields)
    values = [iso(v) if isinstance(v, datetime) else v for v in fields.values()]
    await conn.execute(
        f"UPDATE tickets SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
        (*values, ticket_id),
    )


async def count_reported_since(
    conn: aiosqlite.Connection, reporter_id: int, since: datetime
) -> int:
    async with conn.execute(
        "SELECT COUNT(*) FROM tickets WHERE reporter_id = ? AND channel = 'bot'"
        " AND created_at >= ?",
        (reporter_id, iso(since)),
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def open_like(
    conn: aiosqlite.Connection,
    category: str,
    *,
    building: str | None,
    community: str | None,
    location_text: str,
    limit: int = 200,
) -> list[Ticket]:
    """Open tickets of the category at the same place: same building (and community when
    known), else the same free-text location; newest first."""
    marks = ",".join("?" * len(OPEN))
    where = f"t.category = ? AND t.status IN ({marks})"
    params: list[object] = [category, *OPEN]
    if building is not None:
        where += " AND t.building = ?"
        params.append(building)
        if community is not None:
            where += " AND (t.community IS NULL OR t.community = ?)"
            params.append(community)
    elif location_text.strip():
        where += " AND t.building IS NULL AND t.location_text = ?"
        params.append(location_text.strip())
    else:
        return []
    return await _tickets(
        conn, f"{_SELECT} WHERE {where} ORDER BY t.id DESC LIMIT ?", (*params, limit)
    )


async def tickets_of_user(conn: aiosqlite.Connection, user_id: int, limit: int) -> list[Ticket]:
    """Reported or followed by `user_id`, newest first."""
    return await _tickets(
        conn,
        f"{_SELECT} WHERE t.reporter_id = ? OR t.id IN"
        " (SELECT ticket_id FROM ticket_followers WHERE user_id = ?)"
        " ORDER BY t.id DESC LIMIT ?",
        (user_id, user_id, limit),
    )


async def list_tickets(
    conn: aiosqlite.Connection,
    *,
    statuses: Sequence[str] | None = None,
    category: str | None = None,
    building: str | None = None,
    assignee: int | None = None,
    overdue_at: datetime | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = 20,
    offset: int = 0,
    after_id: int | None = None,
    newest_first: bool = True,
) -> list[Ticket]:
    where: list[str] = []
    params: list[object] = []
    if statuses is not None:
        where.append(f"t.status IN ({','.join('?' * len(statuses))})")
        params.extend(statuses)
    for column, value in (("category", category), ("building", building)):
        if value is not None:
            where.append(f"t.{column} = ?")
            params.append(value)
    if assignee is not None:
        where.append("t.assignee_id = ?")
        params.append(assignee)
    if overdue_at is not None:
        marks = ",".join("?" * len(OPEN))
        where.append(
            f"t.status IN ({marks}) AND ((t.first_response_at IS NULL"
            " AND t.first_response_due < ?) OR t.resolve_due < ?)"
        )
        params.extend([*OPEN, iso(overdue_at), iso(overdue_at)])
    if since is not None:
        where.append("t.created_at >= ?")
        params.append(iso(since))
    if until is not None:
        where.append("t.created_at < ?")
        params.append(iso(until))
    if after_id is not None:
        where.append("t.id > ?" if not newest_first else "t.id < ?")
        params.append(after_id)
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY t.id " + ("DESC" if newest_first else "ASC")
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params.extend([limit, offset])
    return await _tickets(conn, sql, params)


async def settled_before(
    conn: aiosqlite.Connection, status: str, before: datetime
) -> list[Ticket]:
    """Tickets in `status` whose settled_at is earlier than `before` (auto-close)."""
    return await _tickets(
        conn,
        f"{_SELECT} WHERE t.status = ? AND t.settled_at < ? ORDER BY t.id",
        (status, iso(before)),
    )


# --- leaving --------------------------------------------------------------------------


async def forget_user(conn: aiosqlite.Connection, user_id: int) -> None:
    """Anonymise one resident's traces; no transaction of its own (so /leave can run it
    inside its own). Tickets keep their content; the reporter's id, name and phone go."""
    await conn.execute(
        "UPDATE tickets SET reporter_id = NULL, reporter_name = '', phone = NULL"
        " WHERE reporter_id = ?",
        (user_id,),
    )
    await conn.execute(
        "UPDATE ticket_events SET actor_id = NULL WHERE actor_id = ? AND actor_role = 'resident'",
        (user_id,),
    )
    await conn.execute("DELETE FROM ticket_followers WHERE user_id = ?", (user_id,))
    await conn.execute("UPDATE renovation_needs SET user_id = NULL WHERE user_id = ?", (user_id,))
