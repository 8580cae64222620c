"""Reminders and their occurrences (one row per reminder and scheduled time)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.clock import now_iso, stored

PENDING = "pending"  # recorded, its notice not yet known to be queued
QUEUED = "queued"
SKIPPED = "skipped"
FAILED = "failed"


@dataclass(frozen=True)
class Reminder:
    id: int
    schedule_kind: str
    spec: str
    timezone: str
    target: str
    topic: str
    text: str
    urgent: bool
    enabled: bool
    grace_seconds: int
    template: str | None
    created_by: int | None
    created_at: str
    updated_at: str
    checked_until: str


@dataclass(frozen=True)
class Occurrence:
    id: int
    reminder_id: int
    scheduled_for: str
    status: str
    send_after: str | None
    late: bool
    notice_id: int | None
    detail: str | None
    recorded_at: str


_REMINDER = (
    "id, schedule_kind, spec, timezone, target, topic, text, urgent, enabled, grace_seconds,"
    " template, created_by, created_at, updated_at, checked_until"
)
_OCCURRENCE = (
    "id, reminder_id, scheduled_for, status, send_after, late, notice_id, detail, recorded_at"
)


def _reminder(r: Sequence[Any]) -> Reminder:
    v = list(r)
    v[7], v[8] = bool(v[7]), bool(v[8])
    return Reminder(*v)


def _occurrence(r: Sequence[Any]) -> Occurrence:
    v = list(r)
    v[5] = bool(v[5])
    return Occurrence(*v)


async def insert_reminder(
    conn: aiosqlite.Connection,
    *,
    schedule_kind: str,
    spec: str,
    timezone: str,
    target: str,
    topic: str,
    text: str,
    urgent: bool = False,
    grace_seconds: int = 3600,
    template: str | None = None,
    created_by: int | None,
    checked_until: datetime,
) -> int:
    """A new reminder; it considers occurrences after `checked_until` (its creation)."""
    stamp = now_iso()
    cur = await conn.execute(
        "INSERT INTO reminders (schedule_kind, spec, timezone, target, topic, text, urgent,"
        " grace_seconds, template, created_by, created_at, updated_at, checked_until)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            schedule_kind,
            spec,
            timezone,
            target,
            topic,
            text,
            int(urgent),
            grace_seconds,
            template,
            created_by,
            stamp,
            stamp,
            stored(checked_until),
        ),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def get_reminder(conn: aiosqlite.Connection, reminder_id: int) -> Reminder | None:
    async with conn.execute(
        f"SELECT {_REMINDER} FROM reminders WHERE id = ?", (reminder_id,)
    ) as cur:
        row = await cur.fetchone()
    return _reminder(row) if row else None


async def list_reminders(
    conn: aiosqlite.Connection, *, enabled_only: bool = False
) -> list[Reminder]:
    clause = " WHERE enabled = 1" if enabled_only else ""
    async with conn.execute(f"SELECT {_REMINDER} FROM reminders{clause} ORDER BY id") as cur:
        return [_reminder(r) async for r in cur]


async def set_enabled(
    conn: aiosqlite.Connection,
    reminder_id: int,
    enabled: bool,
    *,
    checked_until: datetime | None = None,
) -> bool:
    """Pause or resume; False when there is no such reminder or nothing changed. Resuming
    moves `checked_until` to now: what fell due while paused is not sent afterwards."""
    if checked_until is None:
        cur = await conn.execute(
            "UPDATE reminders SET enabled = ?, updated_at = ? WHERE id = ? AND enabled != ?",
            (int(enabled), now_iso(), reminder_id, int(enabled)),
        )
    else:
        cur = await conn.execute(
            "UPDATE reminders SET enabled = ?, checked_until = ?, updated_at = ?"
            " WHERE id = ? AND enabled != ?",
            (int(enabled), stored(checked_until), now_iso(), reminder_id, int(enabled)),
        )
    return cur.rowcount > 0


async def delete_reminder(conn: aiosqlite.Connection, reminder_id: int) -> bool:
    """Delete a reminder and its occurrence history (notices already queued stay)."""
    cur = await conn.execute("DELETE FROM reminders WHERE id = ?", (reminder_id,))
    return cur.rowcount > 0


async def advance_checked(conn: aiosqlite.Connection, reminder_id: int, until: datetime) -> None:
    """Occurrences up to `until` are dealt with; never moves backwards."""
    stamp = stored(until)
    await conn.execute(
        "UPDATE reminders SET checked_until = ? WHERE id = ? AND checked_until < ?",
        (stamp, reminder_id, stamp),
    )


# --- occurrences ----------------------------------------------------------------------


async def record_occurrence(
    conn: aiosqlite.Connection,
    reminder_id: int,
    scheduled_for: datetime,
    *,
    status: str,
    send_after: datetime | None = None,
    late: bool = False,
    detail: str | None = None,
) -> int | None:
    """Record an occurrence; None when it was already recorded (then it must not be queued
    again: the UNIQUE pair is the exactly-once guarantee)."""
    stamp = now_iso()
    cur = await conn.execute(
        "INSERT OR IGNORE INTO reminder_occurrences (reminder_id, scheduled_for, status,"
        " send_after, late, detail, recorded_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            reminder_id,
            stored(scheduled_for),
            status,
            stored(send_after) if send_after else None,
            int(late),
            detail,
            stamp,
            stamp,
        ),
    )
    return cur.lastrowid if cur.rowcount > 0 else None


async def mark_queued(
    conn: aiosqlite.Connection,
    occurrence_id: int,
    notice_id: int,
    *,
    send_after: datetime | None = None,
    late: bool | None = None,
) -> None:
    await conn.execute(
        "UPDATE reminder_occurrences SET status = 'queued', notice_id = ?,"
        " send_after = COALESCE(?, send_after), late = COALESCE(?, late), updated_at = ?"
        " WHERE id = ?",
        (
            notice_id,
            stored(send_after) if send_after else None,
            None if late is None else int(late),
            now_iso(),
            occurrence_id,
        ),
    )


async def mark_closed(
    conn: aiosqlite.Connection, occurrence_id: int, status: str, detail: str
) -> None:
    """A pending occurrence that will not be queued: skipped (too late) or failed."""
    await conn.execute(
        "UPDATE reminder_occurrences SET status = ?, detail = ?, updated_at = ? WHERE id = ?",
        (status, detail, now_iso(), occurrence_id),
    )


async def pending_occurrences(conn: aiosqlite.Connection) -> list[Occurrence]:
    async with conn.execute(
        f"SELECT {_OCCURRENCE} FROM reminder_occurrences WHERE status = 'pending' ORDER BY id"
    ) as cur:
        return [_occurrence(r) async for r in cur]


async def occurrences_of(
    conn: aiosqlite.Connection, reminder_id: int, *, limit: int = 50
) -> list[Occurrence]:
    """The newest occurrences of a reminder, newest first."""
    async with conn.execute(
        f"SELECT {_OCCURRENCE} FROM reminder_occurrences WHERE reminder_id = ?"
        " ORDER BY scheduled_for DESC LIMIT ?",
        (reminder_id, limit),
    ) as cur:
        return [_occurrence(r) async for r in cur]


async def occurrences_between(
    conn: aiosqlite.Connection, start: datetime, end: datetime
) -> list[Occurrence]:
    """Occurrences scheduled in [start, end), oldest first."""
    async with conn.execute(
        f"SELECT {_OCCURRENCE} FROM reminder_occurrences"
        " WHERE scheduled_for >= ? AND scheduled_for < ? ORDER BY scheduled_for",
        (stored(start), stored(end)),
    ) as cur:
        return [_occurrence(r) async for r in cur]


async def unbound_groups(conn: aiosqlite.Connection) -> frozenset[int]:
    """Groups no staff member has bound (/bindgroup): reminders never go to them, even
    with the target `all` (a group opts in to reminders by being bound)."""
    async with conn.execute(
        "SELECT chat_id FROM chats WHERE type IN ('group', 'supergroup')"
        " AND (bound_name IS NULL OR bound_name = '')"
    ) as cur:
        return frozenset([int(r[0]) async for r in cur])


async def notice_for_ref(conn: aiosqlite.Connection, ref: str) -> int | None:
    """The notice an occurrence produced, if the notice service committed one (it records
    `ref` with the notice in its one transaction): how a pending occurrence left by a crash
    learns whether it was queued."""
    async with conn.execute(
        "SELECT id FROM notices WHERE ref = ? ORDER BY id LIMIT 1", (ref,)
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else None
