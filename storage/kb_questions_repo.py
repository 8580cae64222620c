"""Residents' questions, their hand-off to staff, and answer feedback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass

import aiosqlite

from storage.clock import now_iso

OPEN_STATUSES = ("unanswered", "handoff")
_OPEN_SQL = "status IN ({})".format(", ".join(f"'{s}'" for s in OPEN_STATUSES))


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
    # The source label of the passage shown (answer or suggestion) when it was asked;
    # None for plain declines and for questions stored before migration 0005.
    top_source: str | None


_COLUMNS = (
    "id, asked_at, user_id, chat_id, chat_type, question, answered, top_passage, top_score,"
    " status, handoff_at, resolved_by, resolved_at, faq_passage, top_source"
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
    top_source: str | None,
) -> int:
    """Store a question; ``top_*`` describe the passage shown, even as a mere suggestion.

    ``answered`` False with a ``top_passage`` is a question the bot declined while showing
    a possibly related passage: it stays open ('unanswered') for staff.
    """
    cur = await conn.execute(
        "INSERT INTO kb_questions (asked_at, user_id, chat_id, chat_type, question, answered,"
        " top_passage, top_score, top_source, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            now_iso(),
            user_id,
            chat_id,
            chat_type,
            question,
            int(answered),
            top_passage,
            top_score,
            top_source,
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
        f"SELECT {_COLUMNS} FROM kb_questions WHERE {_OPEN_SQL}"
        " ORDER BY (status = 'handoff') DESC, id DESC LIMIT ?",
        (limit,),
    ) as cur:
        return [_row(r) async for r in cur]


async def count_open(conn: aiosqlite.Connection) -> int:
    async with conn.execute(f"SELECT COUNT(*) FROM kb_questions WHERE {_OPEN_SQL}") as cur:
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


@dataclass(frozen=True)
class QuestionLogEntry:
    """One question as exported for the street office, with what is known about it."""

    id: int
    asked_at: str
    user_id: int | None
    chat_id: int | None
    chat_type: str | None
    chat_title: str | None
    chat_bound_name: str | None
    question: str
    status: str
    answered: bool
    # The source of the passage shown: an answer's, or when not answered a suggestion's.
    # Stored with the question; for questions older than migration 0005, the answering
    # passage's current source if it still exists.
    answer_source: str | None
    staff_answered: bool  # staff wrote an FAQ answer for it
    helpful: int
    unhelpful: int
    handoff_at: str | None
    resolved_by: int | None
    resolved_at: str | None


# A group that became a supergroup has its chats row rewritten to the new id while old
# questions keep the old one, so the title is also looked up through migrated_from.
_LOG_SELECT = """
SELECT q.id, q.asked_at, q.user_id, q.chat_id, q.chat_type,
    COALESCE(c.title, (SELECT m.title FROM chats m WHERE m.migrated_from = q.chat_id LIMIT 1)),
    COALESCE(c.bound_name,
        (SELECT m.bound_name FROM chats m WHERE m.migrated_from = q.chat_id LIMIT 1)),
    q.question, q.status, q.answered, COALESCE(q.top_source, p.source),
    q.faq_passage IS NOT NULL,
    (SELECT COUNT(*) FROM kb_feedback f WHERE f.question_id = q.id AND f.helpful = 1),
    (SELECT COUNT(*) FROM kb_feedback f WHERE f.question_id = q.id AND f.helpful = 0),
    q.handoff_at, q.resolved_by, q.resolved_at
FROM kb_questions q
LEFT JOIN chats c ON c.chat_id = q.chat_id
LEFT JOIN kb_passages p ON p.id = q.top_passage AND q.answered = 1 AND q.top_source IS NULL
"""


def _log_entry(r: aiosqlite.Row) -> QuestionLogEntry:
    values = list(r)
    values[9] = bool(values[9])
    values[11] = bool(values[11])
    return QuestionLogEntry(*values)


async def question_log_page(
    conn: aiosqlite.Connection,
    *,
    after_id: int = 0,
    limit: int = 500,
    since: str | None = None,
    until: str | None = None,
    statuses: Collection[str] | None = None,
) -> list[QuestionLogEntry]:
    """Up to ``limit`` questions with id > ``after_id``, oldest first.

    ``since`` (inclusive) and ``until`` (exclusive) are UTC timestamps in the stored ISO
    format, so they compare as text; ``statuses`` None means every status.
    """
    where = ["q.id > ?"]
    params: list[object] = [after_id]
    if since is not None:
        where.append("q.asked_at >= ?")
        params.append(since)
    if until is not None:
        where.append("q.asked_at < ?")
        params.append(until)
    if statuses is not None:
        wanted = sorted(set(statuses))
        where.append(f"q.status IN ({', '.join('?' * len(wanted))})" if wanted else "0")
        params.extend(wanted)
    params.append(limit)
    sql = f"{_LOG_SELECT} WHERE {' AND '.join(where)} ORDER BY q.id LIMIT ?"
    async with conn.execute(sql, params) as cur:
        return [_log_entry(r) async for r in cur]


async def question_log_batches(
    conn: aiosqlite.Connection,
    *,
    batch_size: int = 500,
    since: str | None = None,
    until: str | None = None,
    statuses: Collection[str] | None = None,
) -> AsyncIterator[list[QuestionLogEntry]]:
    """The question log in batches, without holding a cursor open between them.

    Each batch is a fresh keyset query, so other handlers can write to the shared
    connection while a long export runs.
    """
    after_id = 0
    while True:
        page = await question_log_page(
            conn,
            after_id=after_id,
            limit=batch_size,
            since=since,
            until=until,
            statuses=statuses,
        )
        if not page:
            return
        yield page
        if len(page) < batch_size:
            return
        after_id = page[-1].id
