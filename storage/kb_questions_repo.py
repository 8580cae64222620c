"""Residents' questions, their hand-off to staff, and answer feedback."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from storage.clock import now_iso

OPEN_STATUSES = ("unanswered", "handoff")


@dataclass(frozen=True)
class Question:
    id: int
    asked_at: str
    user_id: int | None
    chat_id: int | None
    chat_type: str | None
    question: str
    answered: bool
    top_passage: int | None
    top_score: float | None
    status: str
    handoff_at: str | None
    resolved_by: int | None
    resolved_at: str | None
    faq_passage: int | None


_COLUMNS = (
    "id, asked_at, user_id, chat_id, chat_type, question, answered, top_passage, top_score,"
    " status, handoff_at, resolved_by, resolved_at, faq_passage"
)


def _row(r: aiosqlite.Row) -> Question:
    values = list(r)
    values[6] = bool(values[6])
    return Question(*values)


async def record_question(
    conn: aiosqlite.Connection,
    *,
    user_id: int | None,
    chat_id: int | None,
    chat_type: str | None,
    question: str,
    answered: bool,
    top_passage: int | None,
    top_score: float | None,
) -> int:
    cur = await conn.execute(
        "INSERT INTO kb_questions (asked_at, user_id, chat_id, chat_type, question, answered,"
        " top_passage, top_score, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            now_iso(),
            user_id,
            chat_id,
            chat_type,
            question,
            int(answered),
            top_passage,
            top_score,
            "answered" if answered else "unanswered",
        ),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def get_question(conn: aiosqlite.Connection, question_id: int) -> Question | None:
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM kb_questions WHERE id = ?", (question_id,)
    ) as cur:
        row = await cur.fetchone()
    return _row(row) if row else None


async def latest_question(
    conn: aiosqlite.Connection, *, user_id: int | None, chat_id: int
) -> Question | None:
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM kb_questions WHERE user_id IS ? AND chat_id = ?"
        " ORDER BY id DESC LIMIT 1",
        (user_id, chat_id),
    ) as cur:
        row = await cur.fetchone()
    return _row(row) if row else None


async def hand_off(conn: aiosqlite.Connection, question_id: int) -> bool:
    """Mark a question as passed to staff; False when it already was (or is closed)."""
    cur = await conn.execute(
        "UPDATE kb_questions SET status = 'handoff', handoff_at = ?"
        " WHERE id = ? AND status IN ('answered', 'unanswered')",
        (now_iso(), question_id),
    )
    return cur.rowcount > 0


async def close_question(
    conn: aiosqlite.Connection,
    question_id: int,
    *,
    staff_id: int,
    status: str,
    faq_passage: int | None = None,
) -> bool:
    cur = await conn.execute(
        "UPDATE kb_questions SET status = ?, resolved_by = ?, resolved_at = ?, faq_passage = ?"
        " WHERE id = ? AND status IN ('unanswered', 'handoff')",
        (status, staff_id, now_iso(), faq_passage, question_id),
    )
    return cur.rowcount > 0


async def open_questions(conn: aiosqlite.Connection, limit: int = 10) -> list[Question]:
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM kb_questions WHERE status IN ('unanswered', 'handoff')"
        " ORDER BY (status = 'handoff') DESC, id DESC LIMIT ?",
        (limit,),
    ) as cur:
        return [_row(r) async for r in cur]


async def count_open(conn: aiosqlite.Connection) -> int:
    async with conn.execute(
        "SELECT COUNT(*) FROM kb_questions WHERE status IN ('unanswered', 'handoff')"
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def record_feedback(
    conn: aiosqlite.Connection, question_id: int, user_id: int, passage_id: int, helpful: bool
) -> None:
    """One vote per resident per answer; pressing again changes the vote."""
    await conn.execute(
        "INSERT INTO kb_feedback (question_id, user_id, passage_id, helpful, at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(question_id, user_id, passage_id)"
        " DO UPDATE SET helpful = excluded.helpful, at = excluded.at",
        (question_id, user_id, passage_id, int(helpful), now_iso()),
    )
