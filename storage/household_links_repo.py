"""One-time binding codes, account ↔ household links, code attempts and residents' consent.

Codes are stored only as a keyed hash (see `code_key`); links carry a role and a status;
`forget_user` removes everything the bot keeps about one resident.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from storage import consultations_repo, tickets_repo
from storage.db import transaction

# A process-wide key for databases that have no file (`:memory:` in tests): their codes die
# with them anyway.
_MEMORY_KEY = secrets.token_bytes(32)
_KEYS: dict[str, bytes] = {}
KEY_SUFFIX = ".code-key"

# bind_attempts.ok: 1 a code that worked, 0 a code that did not (wrong, used, expired,
# revoked), -1 refused unchecked while the user was throttled (so it does not prolong it).
ATTEMPT_OK = 1
ATTEMPT_FAILED = 0
ATTEMPT_REFUSED = -1


@dataclass(frozen=True)
class CodeRecord:
    id: int
    household_id: int
    kind: str  # 'roster' | 'invite'
    created_by: int | None
    created_at: str
    expires_at: str
    used_at: str | None
    used_by: int | None
    revoked_at: str | None


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


_CODE_COLUMNS = (
    "id, household_id, kind, created_by, created_at, expires_at, used_at, used_by, revoked_at"
)
_LINK_COLUMNS = "id, household_id, user_id, role, status, via, created_at, decided_by, decided_at"


# --- the key that hashes codes --------------------------------------------------------


async def database_file(conn: aiosqlite.Connection) -> str:
    """The main database's file path ('' for an in-memory database)."""
    async with conn.execute("PRAGMA database_list") as cur:
        async for row in cur:
            if row[1] == "main":
                return str(row[2] or "")
    return ""


async def code_key(conn: aiosqlite.Connection) -> bytes:
    """The secret that keys code hashes, kept in a file beside the database (mode 0600).

    Not in the database: a copy of the database alone (a backup, an export) then holds
    nothing that turns a stored hash back into a working code.
    """
    path = await database_file(conn)
    if not path:
        return _MEMORY_KEY
    if path in _KEYS:
        return _KEYS[path]
    key = _load_or_create_key(Path(path + KEY_SUFFIX))
    _KEYS[path] = key
    return key


def _load_or_create_key(key_path: Path) -> bytes:
    # A 64-byte file read once per process: not worth a thread.
    try:
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(key_path.read_text(encoding="ascii").strip())
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex())
    return key


# --- codes ----------------------------------------------------------------------------


async def revoke_unused(
    conn: aiosqlite.Connection, household_ids: Sequence[int], kind: str, at: str
) -> int:
    """Revoke the unused, unrevoked codes of a kind for these households; returns how many."""
    total = 0
    for start in range(0, len(household_ids), 500):
        chunk = household_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        cur = await conn.execute(
            f"UPDATE household_codes SET revoked_at = ? WHERE kind = ? AND used_at IS NULL"
            f" AND revoked_at IS NULL AND household_id IN ({marks})",
            (at, kind, *chunk),
        )
        total += cur.rowcount
    return total


async def insert_codes(
    conn: aiosqlite.Connection,
    rows: Iterable[tuple[int, str, str, int | None, str, str]],
) -> None:
    """rows: (household_id, code_hash, kind, created_by, created_at, expires_at)."""
    await conn.executemany(
        "INSERT INTO household_codes"
        " (household_id, code_hash, kind, created_by, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        list(rows),
    )


async def find_code(conn: aiosqlite.Connection, code_hash: str) -> CodeRecord | None:
    async with conn.execute(
        f"SELECT {_CODE_COLUMNS} FROM household_codes WHERE code_hash = ?", (code_hash,)
    ) as cur:
        row = await cur.fetchone()
    return CodeRecord(*row) if row else None


async def get_code(conn: aiosqlite.Connection, code_id: int) -> CodeRecord | None:
    async with conn.execute(
        f"SELECT {_CODE_COLUMNS} FROM household_codes WHERE id = ?", (code_id,)
    ) as cur:
        row = await cur.fetchone()
    return CodeRecord(*row) if row else None


async def mark_code_used(conn: aiosqlite.Connection, code_id: int, user_id: int, at: str) -> bool:
    """Use a code once: False when it was used, revoked or expired in the meantime."""
    cur = await conn.execute(
        "UPDATE household_codes SET used_at = ?, used_by = ? WHERE id = ?"
        " AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
        (at, user_id, code_id, at),
    )
    return cur.rowcount > 0


# --- attempts -------------------------------------------------------------------------


async def record_attempt(conn: aiosqlite.Connection, user_id: int, at: str, ok: int) -> None:
    await conn.execute(
        "INSERT INTO bind_attempts (user_id, at, ok) VALUES (?, ?, ?)", (user_id, at, ok)
    )


async def failed_attempts_since(conn: aiosqlite.Connection, user_id: int, since: str) -> list[str]:
    """Times of the user's failed attempts at or after `since`, oldest first."""
    async with conn.execute(
        "SELECT at FROM bind_attempts WHERE user_id = ? AND ok = ? AND at >= ? ORDER BY at",
        (user_id, ATTEMPT_FAILED, since),
    ) as cur:
        return [str(r[0]) async for r in cur]


async def count_attempts(conn: aiosqlite.Connection, user_id: int) -> int:
    async with conn.execute(
        "SELECT COUNT(*) FROM bind_attempts WHERE user_id = ?", (user_id,)
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


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
