"""Consultations: their lifecycle, frozen roster and posted messages.

The chained vote events and who may cast them are in `storage.consult_votes_repo`; the
informal native polls in `storage.consult_polls_repo`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import aiosqlite

from storage.db import transaction

_COLUMNS = (
    "id, title, question, options, scope, rule, non_voters, show_tally, opens_at, closes_at,"
    " status, target, created_by, created_at, published_at, posted_at, genesis_hash,"
    " head_hash, events, closed_at, closed_by, close_reason, final_hash, result,"
    " result_posted_at"
)


@dataclass(frozen=True)
class ConsultationRecord:
    id: int
    title: str
    question: str
    options: tuple[str, ...]
    scope: str
    rule: str
    non_voters: str
    show_tally: bool
    opens_at: str
    closes_at: str
    status: str  # 'draft' | 'published' | 'closed'
    target: str | None
    created_by: int
    created_at: str
    published_at: str | None
    posted_at: str | None
    genesis_hash: str | None
    head_hash: str | None
    events: int
    closed_at: str | None
    closed_by: int | None
    close_reason: str | None
    final_hash: str | None
    result: str | None
    result_posted_at: str | None


@dataclass(frozen=True)
class NewConsultation:
    title: str
    question: str
    options: tuple[str, ...]
    scope: str
    rule: str
    non_voters: str
    show_tally: bool
    opens_at: str
    closes_at: str
    created_by: int
    created_at: str


@dataclass(frozen=True)
class RosterRow:
    household_id: int
    community: str
    building: str
    unit: str
    room: str
    area_centi: int
    owner_key: str | None
    unsold: bool


def _record(row: Sequence[object]) -> ConsultationRecord:
    values = list(row)
    values[3] = tuple(json.loads(str(values[3])))
    values[7] = bool(values[7])
    return ConsultationRecord(*values)  # type: ignore[arg-type]


async def insert_consultation(conn: aiosqlite.Connection, new: NewConsultation) -> int:
    cur = await conn.execute(
        "INSERT INTO consultations (title, question, options, scope, rule, non_voters,"
        " show_tally, opens_at, closes_at, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            new.title,
            new.question,
            json.dumps(list(new.options), ensure_ascii=False),
            new.scope,
            new.rule,
            new.non_voters,
            int(new.show_tally),
            new.opens_at,
            new.closes_at,
            new.created_by,
            new.created_at,
        ),
    )
    assert cur.lastrowid is not None
    return int(cur.lastrowid)


async def get_consultation(conn: aiosqlite.Connection, cid: int) -> ConsultationRecord | None:
    async with conn.execute(f"SELECT {_COLUMNS} FROM consultations WHERE id = ?", (cid,)) as cur:
        row = await cur.fetchone()
    return _record(row) if row else None


async def list_consultations(
    conn: aiosqlite.Connection, statuses: Iterable[str] | None = None, limit: int = 50
) -> list[ConsultationRecord]:
    sql, params = f"SELECT {_COLUMNS} FROM consultations", []
    if statuses is not None:
        wanted = list(statuses)
        sql += f" WHERE status IN ({','.join('?' * len(wanted))})"
        params.extend(wanted)
    async with conn.execute(sql + " ORDER BY id DESC LIMIT ?", (*params, limit)) as cur:
        return [_record(r) for r in await cur.fetchall()]


async def publish(
    conn: aiosqlite.Connection,
    cid: int,
    *,
    target: str | None,
    at: str,
    roster: Sequence[RosterRow],
    genesis_hash: str,
) -> bool:
    """Freeze the roster and open the consultation; False unless it was a draft."""
    async with transaction(conn):
        cur = await conn.execute(
            "UPDATE consultations SET status = 'published', target = ?, published_at = ?,"
            " genesis_hash = ?, head_hash = ? WHERE id = ? AND status = 'draft'",
            (target, at, genesis_hash, genesis_hash, cid),
        )
        if cur.rowcount == 0:
            return False  # the update matched no row: the transaction commits as a no-op
        await conn.executemany(
            "INSERT INTO consult_roster (consultation_id, household_id, community, building,"
            " unit, room, area_centi, owner_key, unsold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    cid,
                    r.household_id,
                    r.community,
                    r.building,
                    r.unit,
                    r.room,
                    r.area_centi,
                    r.owner_key,
                    int(r.unsold),
                )
                for r in roster
            ],
        )
    return True


async def roster(conn: aiosqlite.Connection, cid: int) -> list[RosterRow]:
    async with conn.execute(
        "SELECT household_id, community, building, unit, room, area_centi, owner_key, unsold"
        " FROM consult_roster WHERE consultation_id = ? ORDER BY household_id",
        (cid,),
    ) as cur:
        return [
            RosterRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]))
            for r in await cur.fetchall()
        ]


async def close(
    conn: aiosqlite.Connection,
    cid: int,
    *,
    at: str,
    by: int | None,
    reason: str,
    final_hash: str | None,
    result: str,
) -> bool:
    """Close once; False when it was already closed."""
    cur = await conn.execute(
        "UPDATE consultations SET status = 'closed', closed_at = ?, closed_by = ?,"
        " close_reason = ?, final_hash = ?, result = ? WHERE id = ? AND status != 'closed'",
        (at, by, reason, final_hash, result, cid),
    )
    return cur.rowcount > 0


async def mark_posted(conn: aiosqlite.Connection, cid: int, at: str) -> bool:
    cur = await conn.execute(
        "UPDATE consultations SET posted_at = ? WHERE id = ? AND posted_at IS NULL", (at, cid)
    )
    return cur.rowcount > 0


async def mark_result_posted(conn: aiosqlite.Connection, cid: int, at: str) -> bool:
    cur = await conn.execute(
        "UPDATE consultations SET result_posted_at = ? WHERE id = ? AND result_posted_at IS NULL",
        (at, cid),
    )
    return cur.rowcount > 0


async def add_message(
    conn: aiosqlite.Connection, cid: int, chat_id: int, message_id: int, kind: str
) -> None:
    await conn.execute(
        "INSERT OR IGNORE INTO consult_messages (consultation_id, chat_id, message_id, kind)"
        " VALUES (?, ?, ?, ?)",
        (cid, chat_id, message_id, kind),
    )


async def messages(conn: aiosqlite.Connection, cid: int, kind: str) -> list[tuple[int, int]]:
    """(chat_id, message_id) of the consultation's messages of a kind."""
    async with conn.execute(
        "SELECT chat_id, message_id FROM consult_messages WHERE consultation_id = ?"
        " AND kind = ? ORDER BY chat_id, message_id",
        (cid, kind),
    ) as cur:
        return [(int(r[0]), int(r[1])) for r in await cur.fetchall()]


async def forget_voter(conn: aiosqlite.Connection, user_id: int) -> None:
    """The votes stay in the record (they are not hashed with the user); the user goes."""
    await conn.execute("UPDATE consult_votes SET user_id = NULL WHERE user_id = ?", (user_id,))
    await conn.execute("DELETE FROM consult_reminders WHERE user_id = ?", (user_id,))
    await conn.execute("DELETE FROM consult_poll_answers WHERE user_id = ?", (user_id,))
