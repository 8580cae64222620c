"""Consultations, their frozen roster, chained vote events, posted messages and polls.

Vote events are only ever appended (`append_vote`), in one transaction with the
consultation's head hash, so two presses at once cannot fork the chain.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import aiosqlite

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


@dataclass(frozen=True)
class VoteRow:
    seq: int
    household_id: int
    option: str
    cast_at: str
    user_id: int | None
    via_chat: int | None
    prev_hash: str
    hash: str


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
    await conn.execute("BEGIN IMMEDIATE")
    try:
        cur = await conn.execute(
            "UPDATE consultations SET status = 'published', target = ?, published_at = ?,"
            " genesis_hash = ?, head_hash = ? WHERE id = ? AND status = 'draft'",
            (target, at, genesis_hash, genesis_hash, cid),
        )
        if cur.rowcount == 0:
            await conn.execute("ROLLBACK")
            return False
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
    except BaseException:
        await conn.execute("ROLLBACK")
        raise
    await conn.execute("COMMIT")
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


async def in_roster(
    conn: aiosqlite.Connection, cid: int, household_ids: Sequence[int]
) -> set[int]:
    if not household_ids:
        return set()
    marks = ",".join("?" * len(household_ids))
    async with conn.execute(
        f"SELECT household_id FROM consult_roster WHERE consultation_id = ?"
        f" AND household_id IN ({marks})",
        (cid, *household_ids),
    ) as cur:
        return {int(r[0]) for r in await cur.fetchall()}


async def roster_rows(
    conn: aiosqlite.Connection, cid: int, household_ids: Sequence[int]
) -> list[RosterRow]:
    marks = ",".join("?" * len(household_ids))
    async with conn.execute(
        "SELECT household_id, community, building, unit, room, area_centi, owner_key, unsold"
        f" FROM consult_roster WHERE consultation_id = ? AND household_id IN ({marks})"
        " ORDER BY household_id",
        (cid, *household_ids),
    ) as cur:
        return [
            RosterRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]))
            for r in await cur.fetchall()
        ]


async def owner_has_voted(conn: aiosqlite.Connection, cid: int, row: RosterRow) -> bool:
    """Whether this room's owner (the room, its 业主编号, or the unsold rooms) voted before."""
    async with conn.execute(
        "SELECT 1 FROM consult_votes v JOIN consult_roster r ON r.consultation_id ="
        " v.consultation_id AND r.household_id = v.household_id WHERE v.consultation_id = ?"
        " AND (v.household_id = ? OR (? = 1 AND r.unsold = 1)"
        " OR (? = 0 AND r.unsold = 0 AND r.owner_key IS NOT NULL AND r.owner_key = ?)) LIMIT 1",
        (cid, row.household_id, int(row.unsold), int(row.unsold), row.owner_key),
    ) as cur:
        return await cur.fetchone() is not None


async def votes(conn: aiosqlite.Connection, cid: int) -> list[VoteRow]:
    async with conn.execute(
        "SELECT seq, household_id, option, cast_at, user_id, via_chat, prev_hash, hash"
        " FROM consult_votes WHERE consultation_id = ? ORDER BY seq",
        (cid,),
    ) as cur:
        return [VoteRow(*r) for r in await cur.fetchall()]


Hasher = Callable[[int, str], str]  # (seq, previous hash) → this event's hash


async def append_vote(
    conn: aiosqlite.Connection,
    cid: int,
    *,
    household_id: int,
    option: str,
    at: str,
    user_id: int,
    via_chat: int | None,
    hasher: Hasher,
) -> VoteRow | None:
    """Append one event to the chain; None when the consultation is no longer published."""
    await conn.execute("BEGIN IMMEDIATE")
    try:
        async with conn.execute(
            "SELECT head_hash, events FROM consultations WHERE id = ? AND status = 'published'",
            (cid,),
        ) as cur:
            head = await cur.fetchone()
        if head is None:
            await conn.execute("ROLLBACK")
            return None
        previous, seq = str(head[0]), int(head[1]) + 1
        digest = hasher(seq, previous)
        await conn.execute(
            "INSERT INTO consult_votes (consultation_id, seq, household_id, option, cast_at,"
            " user_id, via_chat, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (cid, seq, household_id, option, at, user_id, via_chat, previous, digest),
        )
        await conn.execute(
            "UPDATE consultations SET head_hash = ?, events = ? WHERE id = ?", (digest, seq, cid)
        )
    except BaseException:
        await conn.execute("ROLLBACK")
        raise
    await conn.execute("COMMIT")
    return VoteRow(seq, household_id, option, at, user_id, via_chat, previous, digest)


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


async def owner_households(conn: aiosqlite.Connection, user_id: int) -> list[int]:
    """Households the user is linked to as an owner, with an active link."""
    async with conn.execute(
        "SELECT household_id FROM household_links WHERE user_id = ? AND role = 'owner'"
        " AND status = 'active' ORDER BY household_id",
        (user_id,),
    ) as cur:
        return [int(r[0]) for r in await cur.fetchall()]


async def linked_roles(conn: aiosqlite.Connection, user_id: int) -> list[tuple[int, str]]:
    """(household id, role) of the user's active links."""
    async with conn.execute(
        "SELECT household_id, role FROM household_links WHERE user_id = ? AND status = 'active'"
        " ORDER BY household_id",
        (user_id,),
    ) as cur:
        return [(int(r[0]), str(r[1])) for r in await cur.fetchall()]


async def owners_in_roster(conn: aiosqlite.Connection, cid: int) -> list[tuple[int, int]]:
    """(user id, household id) of active owner links to the consultation's households."""
    async with conn.execute(
        "SELECT l.user_id, l.household_id FROM household_links l JOIN consult_roster r"
        " ON r.household_id = l.household_id AND r.consultation_id = ?"
        " WHERE l.role = 'owner' AND l.status = 'active' ORDER BY l.user_id, l.household_id",
        (cid,),
    ) as cur:
        return [(int(r[0]), int(r[1])) for r in await cur.fetchall()]


async def subscribers(conn: aiosqlite.Connection, topic: str) -> set[int]:
    async with conn.execute("SELECT user_id FROM subscriptions WHERE topic = ?", (topic,)) as cur:
        return {int(r[0]) for r in await cur.fetchall()}


async def claim_reminder(conn: aiosqlite.Connection, user_id: int, day: str) -> bool:
    """Record today's reminder for the user; False when they already had one today."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO consult_reminders (user_id, day) VALUES (?, ?)", (user_id, day)
    )
    return cur.rowcount > 0


async def forget_voter(conn: aiosqlite.Connection, user_id: int) -> None:
    """The votes stay in the record (they are not hashed with the user); the user goes."""
    await conn.execute("UPDATE consult_votes SET user_id = NULL WHERE user_id = ?", (user_id,))
    await conn.execute("DELETE FROM consult_reminders WHERE user_id = ?", (user_id,))
    await conn.execute("DELETE FROM consult_poll_answers WHERE user_id = ?", (user_id,))


# --- informal polls ---------------------------------------------------------------------


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


_POLL_COLUMNS = (
    "poll_id, chat_id, message_id, question, options, anonymous, counts, created_by, created_at"
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
