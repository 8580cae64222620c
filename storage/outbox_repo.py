"""The outbox: one row per message to deliver, and its state from queued to sent/failed.

States: queued → sending → sent | failed | skipped (and sending → queued again after a 429
or a network error). Every change is one statement, atomic on its own. The state changes
go through `execute_alone`: on the shared connection a plain statement issued while another
coroutine's transaction is open becomes part of it, and a rollback there would undo a row
marked sent, which would then be sent twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from storage.clock import utc_now
from storage.db import execute_alone

QUEUED, SENDING, SENT, FAILED, SKIPPED = "queued", "sending", "sent", "failed", "skipped"
OPEN_STATES = (QUEUED, SENDING)


def stamp(moment: datetime | None = None) -> str:
    """Millisecond UTC ISO: retry delays are shorter than a second."""
    return (moment or utc_now()).astimezone(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class OutboxRow:
    id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    status: str
    attempts: int
    not_before: str
    notice_id: int | None
    priority: int
    message_id: int | None
    reason: str | None
    possibly_duplicate: bool
    migrated_from: int | None
    sent_at: str | None


_COLUMNS = (
    "id, chat_id, kind, payload, status, attempts, not_before, notice_id, priority,"
    " message_id, reason, possibly_duplicate, migrated_from, sent_at"
)


def _row(r: Sequence[Any]) -> OutboxRow:
    return OutboxRow(
        id=int(r[0]),
        chat_id=int(r[1]),
        kind=str(r[2]),
        payload=json.loads(r[3]),
        status=str(r[4]),
        attempts=int(r[5]),
        not_before=str(r[6]),
        notice_id=r[7],
        priority=int(r[8]),
        message_id=r[9],
        reason=r[10],
        possibly_duplicate=bool(r[11]),
        migrated_from=r[12],
        sent_at=r[13],
    )


async def enqueue(
    conn: aiosqlite.Connection,
    rows: Sequence[tuple[int, dict[str, Any]]],
    *,
    kind: str,
    notice_id: int | None = None,
    priority: int = 0,
    not_before: datetime | None = None,
    ref: str | None = None,
) -> int:
    """Queue (chat_id, payload) rows in one statement (atomic); return how many."""
    if not rows:
        return 0
    created = stamp()
    due = stamp(not_before) if not_before else created
    items = json.dumps(
        [[chat_id, json.dumps(payload, ensure_ascii=False)] for chat_id, payload in rows]
    )
    cur = await conn.execute(
        "INSERT INTO outbox (chat_id, kind, payload, status, attempts, not_before, created_at,"
        " ref, notice_id, priority)"
        " SELECT json_extract(value, '$[0]'), ?, json_extract(value, '$[1]'), 'queued', 0, ?,"
        " ?, ?, ?, ? FROM json_each(?)",
        (kind, due, created, ref, notice_id, priority, items),
    )
    return cur.rowcount


async def due_rows(
    conn: aiosqlite.Connection,
    *,
    limit: int,
    exclude: Sequence[int] = (),
    exclude_chats: Sequence[int] = (),
    now: datetime | None = None,
) -> list[OutboxRow]:
    """Queued rows whose time has come, urgent first, then oldest; without the rows in
    `exclude` (in flight) and the chats in `exclude_chats` (waiting for their limit)."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM outbox WHERE status = 'queued' AND not_before <= ?"
        " AND id NOT IN (SELECT value FROM json_each(?))"
        " AND chat_id NOT IN (SELECT value FROM json_each(?))"
        " ORDER BY priority DESC, not_before, id LIMIT ?",
        (stamp(now), json.dumps(list(exclude)), json.dumps(list(exclude_chats)), limit),
    ) as cur:
        return [_row(r) async for r in cur]


async def next_due_at(conn: aiosqlite.Connection) -> str | None:
    """When the earliest queued row becomes due (None when nothing is queued)."""
    async with conn.execute("SELECT MIN(not_before) FROM outbox WHERE status = 'queued'") as cur:
        row = await cur.fetchone()
    return row[0] if row and row[0] else None


async def get_row(conn: aiosqlite.Connection, row_id: int) -> OutboxRow | None:
    async with conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (row_id,)) as cur:
        row = await cur.fetchone()
    return _row(row) if row else None


async def mark_sending(conn: aiosqlite.Connection, row_id: int) -> bool:
    """Claim a queued row just before its request; False if it is no longer queued
    (cancelled meanwhile)."""
    cur = await execute_alone(
        conn,
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1, sending_at = ?"
        " WHERE id = ? AND status = 'queued'",
        (stamp(), row_id),
    )
    return cur.rowcount == 1


async def mark_sent(conn: aiosqlite.Connection, row_id: int, message_id: int | None) -> None:
    await execute_alone(
        conn,
        "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ?, last_error = NULL"
        " WHERE id = ?",
        (message_id, stamp(), row_id),
    )


async def mark_failed(
    conn: aiosqlite.Connection, row_id: int, reason: str, error: str | None = None
) -> None:
    await execute_alone(
        conn,
        "UPDATE outbox SET status = 'failed', reason = ?, last_error = ? WHERE id = ?",
        (reason, error, row_id),
    )


async def requeue(
    conn: aiosqlite.Connection,
    row_id: int,
    *,
    not_before: datetime,
    error: str | None = None,
    chat_id: int | None = None,
    moved_from: int | None = None,
    count_attempt: bool = True,
    possibly_duplicate: bool = False,
) -> None:
    """Back to queued after a refusal that is worth retrying (429, network, migration).

    A 429 is not a failed attempt (Telegram said exactly when to come back): it gives
    the attempt back, so only network errors and 5xx use up the retry budget. A timeout
    may have reached Telegram: `possibly_duplicate` flags the row for the report.
    """
    await execute_alone(
        conn,
        "UPDATE outbox SET status = 'queued', not_before = ?, last_error = ?,"
        " attempts = attempts - ?, possibly_duplicate = MAX(possibly_duplicate, ?),"
        " migrated_from = CASE WHEN ? IS NULL THEN migrated_from ELSE ? END,"
        " chat_id = COALESCE(?, chat_id)"
        " WHERE id = ? AND status = 'sending'",
        (
            stamp(not_before),
            error,
            0 if count_attempt else 1,
            int(possibly_duplicate),
            chat_id,
            moved_from,
            chat_id,
            row_id,
        ),
    )


async def recover_in_flight(conn: aiosqlite.Connection) -> list[OutboxRow]:
    """Rows left 'sending' by a process that died: queued again and flagged as possibly
    duplicated (the request may or may not have reached Telegram). Call at start only."""
    async with conn.execute(f"SELECT {_COLUMNS} FROM outbox WHERE status = 'sending'") as cur:
        rows = [_row(r) async for r in cur]
    await conn.execute(
        "UPDATE outbox SET status = 'queued', possibly_duplicate = 1 WHERE status = 'sending'"
    )
    return rows


async def skip_queued(conn: aiosqlite.Connection, notice_id: int, reason: str) -> int:
    """Cancel what of a notice is still queued (a row already sending goes on)."""
    cur = await execute_alone(
        conn,
        "UPDATE outbox SET status = 'skipped', reason = ?"
        " WHERE notice_id = ? AND status = 'queued'",
        (reason, notice_id),
    )
    return cur.rowcount


async def rows_of_notice(conn: aiosqlite.Connection, notice_id: int) -> list[OutboxRow]:
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM outbox WHERE notice_id = ? ORDER BY id", (notice_id,)
    ) as cur:
        return [_row(r) async for r in cur]


async def counts_by_status(conn: aiosqlite.Connection, notice_id: int) -> dict[str, int]:
    async with conn.execute(
        "SELECT status, COUNT(*) FROM outbox WHERE notice_id = ? GROUP BY status", (notice_id,)
    ) as cur:
        return {str(r[0]): int(r[1]) async for r in cur}


async def follow_migration(conn: aiosqlite.Connection, old_id: int, new_id: int) -> None:
    """Queued rows for a group that became a supergroup go to its new id."""
    await conn.execute(
        "UPDATE outbox SET chat_id = ?, migrated_from = ? WHERE chat_id = ? AND status = 'queued'",
        (new_id, old_id, old_id),
    )
