"""SQL for passages' sentence vectors (table `kb_passage_vectors`, migration 0014).

Each row is one passage's float16 vector and the fingerprint of the encoder that made it;
rows of another fingerprint count as missing, so an encoder change re-embeds, and a
restart finds every vector of the current encoder already stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from storage.db import transaction
from storage.kb_visibility import visible_passages

# Passages searches can see, on alias `p`.
_VISIBLE = visible_passages("p")


@dataclass(frozen=True)
class PassageToEmbed:
    id: int
    kind: str
    text: str
    source: str
    # FAQ entries: the questions they answer (space separated), '' for a document's.
    questions: str


@dataclass(frozen=True)
class StoredVector:
    passage_id: int
    vector: bytes


async def missing_vectors(
    conn: aiosqlite.Connection, encoder: str, *, limit: int
) -> list[PassageToEmbed]:
    """Up to `limit` visible passages without a vector of `encoder`, oldest first."""
    async with conn.execute(
        "SELECT p.id, p.kind, p.text, p.source, p.head_source FROM kb_passages p"
        " LEFT JOIN kb_passage_vectors v ON v.passage_id = p.id"
        f" WHERE (v.passage_id IS NULL OR v.encoder != ?) AND {_VISIBLE}"
        " ORDER BY p.id LIMIT ?",
        (encoder, limit),
    ) as cur:
        return [
            PassageToEmbed(
                id=int(r[0]),
                kind=str(r[1]),
                text=str(r[2]),
                source=str(r[3]),
                questions=str(r[4] or "") if r[1] == "faq" else "",
            )
            for r in await cur.fetchall()
        ]


async def store_vectors(
    conn: aiosqlite.Connection, rows: Sequence[tuple[int, bytes]], encoder: str
) -> int:
    """Store (passage id, vector) rows made by `encoder`, replacing older ones, in one
    transaction; a passage deleted meanwhile is skipped. Returns the rows stored."""
    stored = 0
    async with transaction(conn):
        for passage_id, vector in rows:
            cur = await conn.execute(
                "INSERT INTO kb_passage_vectors (passage_id, encoder, vector)"
                " SELECT id, ?, ? FROM kb_passages WHERE id = ?"
                " ON CONFLICT(passage_id) DO UPDATE SET"
                " encoder = excluded.encoder, vector = excluded.vector",
                (encoder, vector, passage_id),
            )
            stored += cur.rowcount or 0
    return stored


async def load_vectors(
    conn: aiosqlite.Connection, encoder: str, *, after: int = 0, limit: int = 5000
) -> list[StoredVector]:
    """A page of stored vectors of `encoder` for visible passages, by passage id > `after`."""
    async with conn.execute(
        "SELECT v.passage_id, v.vector FROM kb_passage_vectors v"
        " JOIN kb_passages p ON p.id = v.passage_id"
        f" WHERE v.encoder = ? AND v.passage_id > ? AND {_VISIBLE}"
        " ORDER BY v.passage_id LIMIT ?",
        (encoder, after, limit),
    ) as cur:
        return [StoredVector(int(r[0]), bytes(r[1])) for r in await cur.fetchall()]


async def count_vectors(conn: aiosqlite.Connection, encoder: str | None = None) -> int:
    """Stored vectors (of `encoder`, or of any)."""
    sql = "SELECT COUNT(*) FROM kb_passage_vectors"
    args: tuple[str, ...] = ()
    if encoder is not None:
        sql += " WHERE encoder = ?"
        args = (encoder,)
    async with conn.execute(sql, args) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0
