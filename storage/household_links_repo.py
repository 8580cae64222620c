"""Account ↔ household links and residents' consent; forgetting a resident.

Links carry a role and a status; `forget_user` removes everything the bot keeps about one
resident. The codes that make links (`household_codes_repo`) and the attempts at them
(`bind_attempts_repo`) have their own modules; their names are re-exported here
(`name as name`) so `household_links_repo.X` keeps reaching every binding table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from storage import consultations_repo, tickets_repo
from storage.bind_attempts_repo import ATTEMPT_FAILED as ATTEMPT_FAILED
from storage.bind_attempts_repo import ATTEMPT_OK as ATTEMPT_OK
from storage.bind_attempts_repo import ATTEMPT_REFUSED as ATTEMPT_REFUSED
from storage.bind_attempts_repo import count_attempts as count_attempts
from storage.bind_attempts_repo import failed_attempts_since as failed_attempts_since
from storage.bind_attempts_repo import record_attempt as record_attempt
from storage.db import transaction
from storage.household_codes_repo import KEY_SUFFIX as KEY_SUFFIX
from storage.household_codes_repo import CodeRecord as CodeRecord
from storage.household_codes_repo import code_key as code_key
from storage.household_codes_repo import database_file as database_file
from storage.household_codes_repo import find_code as find_code
from storage.household_codes_repo import get_code as get_code
from storage.household_codes_repo import insert_codes as insert_codes
from storage.household_codes_repo import mark_code_used as mark_code_used
from storage.household_codes_repo import revoke_unused as revoke_unused


@dataclass(frozen=True)
class Link:
    id: int
    household_id: int
    user_id: int
    role: str  # 'owner' | 'family' | 'tenant'
    status: str  # 'pending' | 'active' | 'rejected' | 'removed'
    via: str  # 'code' | 'invite' | 'request'
    created_at: str
    decided_by: int | None
    decided_at: str | None


_LINK_COLUMNS = "id, household_id, user_id, role, status, via, created_at, decided_by, decided_at"


# --- links ----------------------------------------------------------------------------


async def get_link(conn: aiosqlite.Connection, link_id: int) -> Link | None:
    async with conn.execute(
        f"SELECT {_LINK_COLUMNS} FROM household_links WHERE id = ?", (link_id,)
    ) as cur:
        row = await cur.fetchone()
    return Link(*row) if row else None


async def find_link(conn: aiosqlite.Connection, household_id: int, user_id: int) -> Link | None:
    async with conn.execute(
        f"SELECT {_LINK_COLUMNS} FROM household_links WHERE household_id = ? AND user_id = ?",
        (household_id, user_id),
    ) as cur:
        row = await cur.fetchone()
    return Link(*row) if row else None


async def links_for_user(conn: aiosqlite.Connection, user_id: int) -> list[Link]:
    async with conn.execute(
        f"SELECT {_LINK_COLUMNS} FROM household_links WHERE user_id = ?"
        " AND status IN ('pending', 'active') ORDER BY id",
        (user_id,),
    ) as cur:
        return [Link(*r) async for r in cur]


async def links_for_household(conn: aiosqlite.Connection, household_id: int) -> list[Link]:
    async with conn.execute(
        f"SELECT {_LINK_COLUMNS} FROM household_links WHERE household_id = ?"
        " AND status IN ('pending', 'active') ORDER BY id",
        (household_id,),
    ) as cur:
        return [Link(*r) async for r in cur]


async def count_pending(conn: aiosqlite.Connection, user_id: int) -> int:
    async with conn.execute(
        "SELECT COUNT(*) FROM household_links WHERE user_id = ? AND status = 'pending'",
        (user_id,),
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def save_link(
    conn: aiosqlite.Connection,
    household_id: int,
    user_id: int,
    role: str,
    status: str,
    via: str,
    at: str,
    decided_by: int | None = None,
) -> int:
    """Create the link, or renew one that was rejected or removed; returns its id."""
    decided_at = at if decided_by is not None or status == "active" else None
    await conn.execute(
        "INSERT INTO household_links"
        " (household_id, user_id, role, status, via, created_at, decided_by, decided_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(household_id, user_id) DO UPDATE SET role = excluded.role,"
        " status = excluded.status, via = excluded.via, created_at = excluded.created_at,"
        " decided_by = excluded.decided_by, decided_at = excluded.decided_at",
        (household_id, user_id, role, status, via, at, decided_by, decided_at),
    )
    link = await find_link(conn, household_id, user_id)
    assert link is not None
    return link.id


async def set_link_status(
    conn: aiosqlite.Connection,
    link_id: int,
    status: str,
    decided_by: int,
    at: str,
    *,
    only_from: Sequence[str],
) -> bool:
    """Move a link to `status` if it is in one of `only_from`; False otherwise."""
    marks = ",".join("?" * len(only_from))
    cur = await conn.execute(
        f"UPDATE household_links SET status = ?, decided_by = ?, decided_at = ?"
        f" WHERE id = ? AND status IN ({marks})",
        (status, decided_by, at, link_id, *only_from),
    )
    return cur.rowcount > 0


# --- residents (consent) --------------------------------------------------------------


async def add_resident(conn: aiosqlite.Connection, user_id: int, at: str) -> None:
    await conn.execute(
        "INSERT OR IGNORE INTO residents (user_id, consented_at) VALUES (?, ?)", (user_id, at)
    )


async def consented_at(conn: aiosqlite.Connection, user_id: int) -> str | None:
    async with conn.execute(
        "SELECT consented_at FROM residents WHERE user_id = ?", (user_id,)
    ) as cur:
        row = await cur.fetchone()
    return str(row[0]) if row else None


async def forget_user(conn: aiosqlite.Connection, user_id: int, at: str) -> None:
    """Delete every row about one resident, in one transaction.

    Links, consent, code attempts, a staff display name, the bot's per-user data and
    their private chat's conversation states; codes they used or created keep no pointer
    to them. Later features whose records must stay (tickets, votes) add their anonymisation here
    (set the user column to NULL) and show such records as `linking.FORGOTTEN`.
    """
    async with transaction(conn):
        await conn.execute("DELETE FROM household_links WHERE user_id = ?", (user_id,))
        await conn.execute("DELETE FROM residents WHERE user_id = ?", (user_id,))
        await conn.execute("DELETE FROM bind_attempts WHERE user_id = ?", (user_id,))
        # An unused invite the resident made would still let someone into their home.
        await conn.execute(
            "UPDATE household_codes SET revoked_at = ? WHERE kind = 'invite'"
            " AND created_by = ? AND used_at IS NULL AND revoked_at IS NULL",
            (at, user_id),
        )
        await conn.execute(
            "UPDATE household_codes SET used_by = NULL WHERE used_by = ?", (user_id,)
        )
        await conn.execute(
            "UPDATE household_codes SET created_by = NULL WHERE created_by = ?", (user_id,)
        )
        # Records that must stay keep their content, without the person.
        await tickets_repo.forget_user(conn, user_id)
        await consultations_repo.forget_voter(conn, user_id)
        await conn.execute("UPDATE kb_questions SET user_id = NULL WHERE user_id = ?", (user_id,))
        await conn.execute("DELETE FROM kb_feedback WHERE user_id = ?", (user_id,))
        await conn.execute("DELETE FROM staff_names WHERE user_id = ?", (user_id,))
        await conn.execute("DELETE FROM ptb_user_data WHERE user_id = ?", (user_id,))
        await conn.execute("DELETE FROM ptb_chat_data WHERE chat_id = ?", (user_id,))
        # Keys are JSON lists such as [chat_id, user_id]; a private chat's id is the user's.
        await conn.execute(
            "DELETE FROM ptb_conversations WHERE key = ? OR key = ?",
            (f"[{user_id}, {user_id}]", f"[{user_id}]"),
        )
