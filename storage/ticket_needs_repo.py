"""Renovation needs (改造需求): one current submission per household, or per unlinked
resident, with the replaced ones kept as history."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.ticket_rows import iso, require_iso


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
        require_iso(str(r[7])),
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
