"""One-time binding codes (household_codes) and the key that hashes them.

Codes are stored only as a keyed hash (see `code_key`): the key lives in a file beside the
database, not in it. Links, consent and forgetting a resident are in `household_links_repo`,
which re-exports these names.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

# A process-wide key for databases that have no file (`:memory:` in tests): their codes die
# with them anyway.
_MEMORY_KEY = secrets.token_bytes(32)
_KEYS: dict[str, bytes] = {}
KEY_SUFFIX = ".code-key"


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


_CODE_COLUMNS = (
    "id, household_id, kind, created_by, created_at, expires_at, used_at, used_by, revoked_at"
)


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
