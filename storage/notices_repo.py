"""Notices (a broadcast or a reminder occurrence) and the chats they may go to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.outbox_repo import stamp


@dataclass(frozen=True)
class NoticeRecord:
    id: int
    kind: str
    text: str
    photo_file_id: str | None
    document_file_id: str | None
    target: str
    topic: str | None
    urgent: bool
    pin: bool
    created_by: int
    ref: str | None
    state: str
    total: int
    created_at: str
    started_at: str | None
    finished_at: str | None
    cancelled_by: int | None
    reported_at: str | None


_COLUMNS = (
    "id, kind, text, photo_file_id, document_file_id, target, topic, urgent, pin, created_by,"
    " ref, state, total, created_at, started_at, finished_at, cancelled_by, reported_at"
)


def _record(r: Sequence[Any]) -> NoticeRecord:
    values = list(r)
    values[7] = bool(values[7])
    values[8] = bool(values[8])
    return NoticeRecord(*values)


async def insert_notice(
    conn: aiosqlite.Connection,
    *,
    kind: str,
    text: str,
    photo_file_id: str | None,
    document_file_id: str | None,
    target: str,
    topic: str | None,
    urgent: bool,
    pin: bool,
    created_by: int,
    ref: str | None,
    total: int,
) -> int:
    cur = await conn.execute(
        "INSERT INTO notices (kind, text, photo_file_id, document_file_id, target, topic,"
        " urgent, pin, created_by, ref, total, created_at, state)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            kind,
            text,
            photo_file_id,
            document_file_id,
            target,
            topic,
            int(urgent),
            int(pin),
            created_by,
            ref,
            total,
            stamp(),
            "queued" if total else "done",
        ),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def get_notice(conn: aiosqlite.Connection, notice_id: int) -> NoticeRecord | None:
    async with conn.execute(f"SELECT {_COLUMNS} FROM notices WHERE id = ?", (notice_id,)) as cur:
        row = await cur.fetchone()
    return _record(row) if row else None


async def list_notices(
    conn: aiosqlite.Connection, *, limit: int = 20, kind: str | None = None
) -> list[NoticeRecord]:
    clause = " WHERE kind = ?" if kind else ""
    params: tuple[Any, ...] = (kind, limit) if kind else (limit,)
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM notices{clause} ORDER BY id DESC LIMIT ?", params
    ) as cur:
        return [_record(r) async for r in cur]


async def mark_started(conn: aiosqlite.Connection, notice_id: int) -> None:
    await conn.execute(
        "UPDATE notices SET started_at = ? WHERE id = ? AND started_at IS NULL",
        (stamp(), notice_id),
    )


async def cancel(conn: aiosqlite.Connection, notice_id: int, by: int) -> bool:
    cur = await conn.execute(
        "UPDATE notices SET state = 'cancelled', cancelled_by = ?"
        " WHERE id = ? AND state = 'queued'",
        (by, notice_id),
    )
    return cur.rowcount == 1


async def finish_settled(conn: aiosqlite.Connection) -> list[int]:
    """Notices with nothing left queued or sending get their finish time (and 'done' unless
    cancelled); return their ids."""
    async with conn.execute(
        "SELECT n.id FROM notices n WHERE n.finished_at IS NULL AND NOT EXISTS"
        " (SELECT 1 FROM outbox o WHERE o.notice_id = n.id AND o.status IN ('queued', 'sending'))"
    ) as cur:
        ids = [int(r[0]) async for r in cur]
    if ids:
        placeholders = ",".join("?" * len(ids))
        await conn.execute(
            "UPDATE notices SET finished_at = ?,"
            f" state = CASE WHEN state = 'queued' THEN 'done' ELSE state END"
            f" WHERE id IN ({placeholders})",
            (stamp(), *ids),
        )
    return ids


async def unreported(conn: aiosqlite.Connection) -> list[NoticeRecord]:
    """Finished notices whose sender has not had the report yet."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM notices WHERE finished_at IS NOT NULL AND reported_at IS NULL"
        " ORDER BY id"
    ) as cur:
        return [_record(r) async for r in cur]


async def mark_reported(conn: aiosqlite.Connection, notice_id: int) -> None:
    await conn.execute("UPDATE notices SET reported_at = ? WHERE id = ?", (stamp(), notice_id))


async def group_chats(
    conn: aiosqlite.Connection, *, community: str | None = None, building: str | None = None
) -> list[int]:
    """Groups the bot is a member of, optionally those bound to a community/building."""
    sql = "SELECT chat_id FROM chats WHERE type IN ('group', 'supergroup') AND status = 'member'"
    params: list[Any] = []
    if community is not None:
        sql += " AND community = ?"
        params.append(community)
    if building is not None:
        sql += " AND building = ?"
        params.append(building)
    async with conn.execute(sql + " ORDER BY chat_id", params) as cur:
        return [int(r[0]) async for r in cur]


async def chat_titles(conn: aiosqlite.Connection, chat_ids: Sequence[int]) -> dict[int, str]:
    if not chat_ids:
        return {}
    placeholders = ",".join("?" * len(chat_ids))
    async with conn.execute(
        f"SELECT chat_id, COALESCE(bound_name, title, '') FROM chats"
        f" WHERE chat_id IN ({placeholders})",
        tuple(chat_ids),
    ) as cur:
        return {int(r[0]): str(r[1]) async for r in cur}


async def known_communities(conn: aiosqlite.Connection) -> list[tuple[str, str | None]]:
    """(community, building) pairs of bound groups, for staff to pick a target from."""
    async with conn.execute(
        "SELECT DISTINCT community, building FROM chats WHERE community IS NOT NULL"
        " AND type IN ('group', 'supergroup') AND status = 'member' ORDER BY community, building"
    ) as cur:
        return [(str(r[0]), r[1]) async for r in cur]
