"""Consultation votes: the chained vote events, and who may cast them or be reminded.

Vote events are only ever appended (`append_vote`), in one transaction with the
consultation's head hash, so two presses at once cannot fork the chain.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import aiosqlite

from storage.consultations_repo import RosterRow
from storage.db import transaction


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
    async with transaction(conn):
        async with conn.execute(
            "SELECT head_hash, events FROM consultations WHERE id = ? AND status = 'published'",
            (cid,),
        ) as cur:
            head = await cur.fetchone()
        if head is None:
            return None  # nothing written yet: the empty transaction commits as a no-op
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
    return VoteRow(seq, household_id, option, at, user_id, via_chat, previous, digest)


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
