"""Informal native polls (/poll): non-binding, answers summarised by headcount and household."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite


@dataclass(frozen=True)
class PollRecord:
    poll_id: str
    chat_id: int
    message_id: int
    question: str
    options: tuple[str, ...]
    anonymous: bool
    counts: tuple[int, ...]
    created_by: int
    created_at: str


_POLL_COLUMNS = (
    "poll_id, chat_id, message_id, question, options, anonymous, counts, created_by, created_at"
)


async def insert_poll(conn: aiosqlite.Connection, poll: PollRecord) -> None:
    await conn.execute(
        "INSERT INTO consult_polls (poll_id, chat_id, message_id, question, options, anonymous,"
        " counts, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            poll.poll_id,
            poll.chat_id,
            poll.message_id,
            poll.question,
            json.dumps(list(poll.options), ensure_ascii=False),
            int(poll.anonymous),
            json.dumps(list(poll.counts)),
            poll.created_by,
            poll.created_at,
        ),
    )


def _poll(row: Sequence[object]) -> PollRecord:
    return PollRecord(
        str(row[0]),
        int(str(row[1])),
        int(str(row[2])),
        str(row[3]),
        tuple(json.loads(str(row[4]))),
        bool(row[5]),
        tuple(int(c) for c in json.loads(str(row[6]))),
        int(str(row[7])),
        str(row[8]),
    )


async def get_poll(conn: aiosqlite.Connection, poll_id: str) -> PollRecord | None:
    async with conn.execute(
        f"SELECT {_POLL_COLUMNS} FROM consult_polls WHERE poll_id = ?", (poll_id,)
    ) as cur:
        row = await cur.fetchone()
    return _poll(row) if row else None


async def recent_polls(conn: aiosqlite.Connection, limit: int = 5) -> list[PollRecord]:
    async with conn.execute(
        f"SELECT {_POLL_COLUMNS} FROM consult_polls ORDER BY created_at DESC, rowid DESC LIMIT ?",
        (limit,),
    ) as cur:
        return [_poll(r) for r in await cur.fetchall()]


async def set_poll_counts(conn: aiosqlite.Connection, poll_id: str, counts: Sequence[int]) -> None:
    await conn.execute(
        "UPDATE consult_polls SET counts = ? WHERE poll_id = ?",
        (json.dumps(list(counts)), poll_id),
    )


async def save_poll_answer(
    conn: aiosqlite.Connection, poll_id: str, user_id: int, options: Sequence[int], at: str
) -> None:
    await conn.execute(
        "INSERT INTO consult_poll_answers (poll_id, user_id, options, at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(poll_id, user_id) DO UPDATE SET options = excluded.options,"
        " at = excluded.at",
        (poll_id, user_id, json.dumps(list(options)), at),
    )


async def poll_answers(
    conn: aiosqlite.Connection, poll_id: str
) -> list[tuple[int, tuple[int, ...]]]:
    async with conn.execute(
        "SELECT user_id, options FROM consult_poll_answers WHERE poll_id = ? ORDER BY user_id",
        (poll_id,),
    ) as cur:
        return [(int(r[0]), tuple(json.loads(str(r[1])))) for r in await cur.fetchall()]
