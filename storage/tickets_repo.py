"""Tickets, their events, photos, followers and staff cards; renovation needs; blocks; the day
sequence.

Times are aware datetimes in the dataclasses and ISO 8601 UTC text on disk (seconds), so
text comparison in SQL orders them. Statuses and actions are plain strings here: the state
machine that decides them is `knowledge/tickets/lifecycle.py`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import aiosqlite

OPEN = ("received", "assigned", "in_progress")


@dataclass(frozen=True)
class Ticket:
    id: int
    number: str
    category: str
    description: str
    community: str | None
    building: str | None
    location_text: str
    household_id: int | None
    latitude: float | None
    longitude: float | None
    phone: str | None
    anonymous: bool
    reporter_id: int | None  # None: phoned in, or the reporter left
    reporter_name: str
    filed_by: int | None
    channel: str  # 'bot' | 'phone'
    status: str
    assignee_id: int | None
    created_at: datetime
    first_response_at: datetime | None
    first_response_due: datetime
    resolve_due: datetime
    resolved_at: datetime | None
    settled_at: datetime | None
    closed_at: datetime | None
    reopen_count: int
    rating_outcome: str | None
    rating_stars: int | None
    rating_comment: str | None
    merged_into: int | None
    photos: tuple[str, ...]
    follower_count: int


@dataclass(frozen=True)
class NewTicket:
    number: str
    category: str
    description: str
    community: str | None
    building: str | None
    location_text: str
    household_id: int | None
    latitude: float | None
    longitude: float | None
    phone: str | None
    anonymous: bool
    reporter_id: int | None
    reporter_name: str
    filed_by: int | None
    channel: str
    status: str
    created_at: datetime
    first_response_due: datetime
    resolve_due: datetime
    photos: tuple[str, ...] = ()


@dataclass(frozen=True)
class Event:
    id: int
    ticket_id: int
    at: datetime
    action: str
    actor_id: int | None
    actor_role: str  # 'resident' | 'staff' | 'system'
    from_status: str | None
    to_status: str
    note: str
    reason: str | None
    assignee_id: int | None


@dataclass(frozen=True)
class Need:
    id: int
    household_id: int | None
    user_id: int | None
    items: tuple[str, ...]
    urgency: str
    text: str
    cofund: str
    created_at: datetime
    current: bool
    replaced_by: int | None


@dataclass(frozen=True)
class Block:
    user_id: int
    blocked_by: int
    at: datetime
    reason: str


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: tickets store aware times")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _dt(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _req(value: str) -> datetime:
    moment = _dt(value)
    assert moment is not None
    return moment


_TICKET_COLUMNS = (
    "t.id, t.number, t.category, t.description, t.community, t.building, t.location_text,"
    " t.household_id, t.latitude, t.longitude, t.phone, t.anonymous, t.reporter_id,"
    " t.reporter_name, t.filed_by, t.channel, t.status, t.assignee_id, t.created_at,"
    " t.first_response_at, t.first_response_due, t.resolve_due, t.resolved_at,"
    " t.settled_at, t.closed_at, t.reopen_count, t.rating_outcome, t.rating_stars,"
    " t.rating_comment, t.merged_into,"
    " (SELECT json_group_array(file_id) FROM (SELECT file_id FROM ticket_photos p"
    "   WHERE p.ticket_id = t.id ORDER BY position)),"
    " (SELECT COUNT(*) FROM ticket_followers f WHERE f.ticket_id = t.id)"
)
_SELECT = f"SELECT {_TICKET_COLUMNS} FROM tickets t"
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


def _ticket(r: Sequence[object]) -> Ticket:
    photos = json.loads(str(r[30])) if r[30] else []
    return Ticket(
        id=int(r[0]),  # type: ignore[call-overload]
        number=str(r[1]),
        category=str(r[2]),
        description=str(r[3]),
        community=r[4],  # type: ignore[arg-type]
        building=r[5],  # type: ignore[arg-type]
        location_text=str(r[6]),
        household_id=r[7],  # type: ignore[arg-type]
        latitude=r[8],  # type: ignore[arg-type]
        longitude=r[9],  # type: ignore[arg-type]
        phone=r[10],  # type: ignore[arg-type]
        anonymous=bool(r[11]),
        reporter_id=r[12],  # type: ignore[arg-type]
        reporter_name=str(r[13]),
        filed_by=r[14],  # type: ignore[arg-type]
        channel=str(r[15]),
        status=str(r[16]),
        assignee_id=r[17],  # type: ignore[arg-type]
        created_at=_req(str(r[18])),
        first_response_at=_dt(r[19]),  # type: ignore[arg-type]
        first_response_due=_req(str(r[20])),
        resolve_due=_req(str(r[21])),
        resolved_at=_dt(r[22]),  # type: ignore[arg-type]
        settled_at=_dt(r[23]),  # type: ignore[arg-type]
        closed_at=_dt(r[24]),  # type: ignore[arg-type]
        reopen_count=int(r[25]),  # type: ignore[call-overload]
        rating_outcome=r[26],  # type: ignore[arg-type]
        rating_stars=r[27],  # type: ignore[arg-type]
        rating_comment=r[28],  # type: ignore[arg-type]
        merged_into=r[29],  # type: ignore[arg-type]
        photos=tuple(str(p) for p in photos),
        follower_count=int(r[31]),  # type: ignore[call-overload]
    )


_EVENT_COLUMNS = (
    "id, ticket_id, at, action, actor_id, actor_role, from_status, to_status, note, reason,"
    " assignee_id"
)


def _event(r: Sequence[object]) -> Event:
    return Event(
        int(r[0]),  # type: ignore[call-overload]
        int(r[1]),  # type: ignore[call-overload]
        _req(str(r[2])),
        str(r[3]),
        r[4],  # type: ignore[arg-type]
        str(r[5]),
        r[6],  # type: ignore[arg-type]
        str(r[7]),
        str(r[8]),
        r[9],  # type: ignore[arg-type]
        r[10],  # type: ignore[arg-type]
    )


async def _tickets(
    conn: aiosqlite.Connection, sql: str, params: Sequence[object] = ()
) -> list[Ticket]:
    async with conn.execute(sql, params) as cur:
        return [_ticket(r) for r in await cur.fetchall()]


@asynccontextmanager
async def transaction(conn: aiosqlite.Connection) -> AsyncIterator[None]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""
    await conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
        raise
    await conn.execute("COMMIT")


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


# --- events, photos, followers --------------------------------------------------------


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
        _req(iso(at)),
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
        f"SELECT {_EVENT_COLUMNS} FROM ticket_events WHERE ticket_id = ? ORDER BY id",
        (ticket_id,),
    ) as cur:
        return [_event(r) for r in await cur.fetchall()]


async def events_for(conn: aiosqlite.Connection, ticket_ids: Sequence[int]) -> list[Event]:
    """Events of these tickets, by ticket then time (chunked under SQLite's variable cap)."""
    out: list[Event] = []
    for start in range(0, len(ticket_ids), 500):
        chunk = list(ticket_ids[start : start + 500])
        async with conn.execute(
            f"SELECT {_EVENT_COLUMNS} FROM ticket_events WHERE ticket_id IN"
            f" ({','.join('?' * len(chunk))}) ORDER BY ticket_id, id",
            chunk,
        ) as cur:
            out.extend(_event(r) for r in await cur.fetchall())
    return out


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


# --- staff cards ----------------------------------------------------------------------


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


# --- blocks ---------------------------------------------------------------------------


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
    return Block(int(row[0]), int(row[1]), _req(row[2]), str(row[3])) if row else None


# --- renovation needs -----------------------------------------------------------------

_NEED_COLUMNS = (
    "id, household_id, user_id, items, urgency, text, cofund, created_at, current, replaced_by"
)


def _need(r: Sequence[object]) -> Need:
    return Need(
        int(r[0]),  # type: ignore[call-overload]
        r[1],  # type: ignore[arg-type]
        r[2],  # type: ignore[arg-type]
        tuple(str(i) for i in json.loads(str(r[3]))),
        str(r[4]),
        str(r[5]),
        str(r[6]),
        _req(str(r[7])),
        bool(r[8]),
        r[9],  # type: ignore[arg-type]
    )


def _owner(household_id: int | None, user_id: int | None) -> tuple[str, tuple[object, ...]]:
    """Whose submissions: the household's (anyone in it), else the unlinked resident's."""
    if household_id is not None:
        return "household_id = ?", (household_id,)
    return "household_id IS NULL AND user_id = ?", (user_id,)


async def current_need(
    conn: aiosqlite.Connection, *, household_id: int | None, user_id: int | None
) -> Need | None:
    """The current submission of the household (when given) or else of the unlinked user."""
    sql, params = _owner(household_id, user_id)
    async with conn.execute(
        f"SELECT {_NEED_COLUMNS} FROM renovation_needs WHERE current = 1 AND {sql}"
        " ORDER BY id DESC LIMIT 1",
        params,
    ) as cur:
        row = await cur.fetchone()
    return _need(row) if row else None


async def save_need(
    conn: aiosqlite.Connection,
    *,
    household_id: int | None,
    user_id: int | None,
    items: Sequence[str],
    urgency: str,
    text: str,
    cofund: str,
    at: datetime,
) -> tuple[Need, Need | None]:
    """Insert a submission as current; the one it replaces (same household, or same
    unlinked user) stays as history. Returns (new, replaced). Call in a transaction."""
    replaced = await current_need(conn, household_id=household_id, user_id=user_id)
    cur = await conn.execute(
        "INSERT INTO renovation_needs (household_id, user_id, items, urgency, text, cofund,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            household_id,
            user_id,
            json.dumps(list(items), ensure_ascii=False),
            urgency,
            text,
            cofund,
            iso(at),
        ),
    )
    new_id = cur.lastrowid
    assert new_id is not None
    where, params = _owner(household_id, user_id)
    await conn.execute(
        f"UPDATE renovation_needs SET current = 0, replaced_by = ? WHERE current = 1"
        f" AND id != ? AND {where}",
        (new_id, new_id, *params),
    )
    async with conn.execute(
        f"SELECT {_NEED_COLUMNS} FROM renovation_needs WHERE id = ?", (new_id,)
    ) as cur2:
        row = await cur2.fetchone()
    assert row is not None
    if replaced is not None:
        replaced = Need(**{**replaced.__dict__, "current": False, "replaced_by": new_id})
    return _need(row), replaced


async def current_needs(conn: aiosqlite.Connection) -> list[Need]:
    async with conn.execute(
        f"SELECT {_NEED_COLUMNS} FROM renovation_needs WHERE current = 1 ORDER BY id"
    ) as cur:
        return [_need(r) for r in await cur.fetchall()]


async def need_history(
    conn: aiosqlite.Connection, *, household_id: int | None, user_id: int | None
) -> list[Need]:
    where, params = _owner(household_id, user_id)
    async with conn.execute(
        f"SELECT {_NEED_COLUMNS} FROM renovation_needs WHERE {where} ORDER BY id", params
    ) as cur:
        return [_need(r) for r in await cur.fetchall()]


# --- secrets and leaving --------------------------------------------------------------


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
