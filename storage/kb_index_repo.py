"""The knowledge base's index bookkeeping: passages' raw index text and re-tokenised terms
(migration 0004), staff-taught phrasings (`kb_phrasings`, migration 0013) and `kb_meta`
(tokenizer fingerprint, generation, bundled FAQ hash). Returns dataclasses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aiosqlite

from storage.db import transaction
from storage.kb_visibility import VISIBLE_PASSAGE


@dataclass(frozen=True)
class IndexSources:
    id: int
    body: str
    head: str
    bigram: str


async def index_sources(conn: aiosqlite.Connection) -> list[IndexSources]:
    """Every passage's raw index text; rows from before migration 0004 have none."""
    async with conn.execute(
        "SELECT id, body_source, head_source, bigram_source FROM kb_passages"
        " WHERE body_source != '' ORDER BY id"
    ) as cur:
        return [
            IndexSources(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in await cur.fetchall()
        ]


async def update_index_terms(
    conn: aiosqlite.Connection,
    rows: Sequence[tuple[int, str, str, str]],
    *,
    fingerprint: str,
    phrasings: Sequence[tuple[int, str]] = (),
) -> None:
    """Store re-tokenised (id, tokens, head_tokens, bigram_text) of passages, (id, tokens)
    of staff-taught phrasings, and the tokenizer used, in one transaction."""
    async with transaction(conn):
        await conn.executemany(
            "UPDATE kb_passages SET tokens = ?, head_tokens = ?, bigram_text = ? WHERE id = ?",
            [(tokens, head, bigram, pid) for pid, tokens, head, bigram in rows],
        )
        await conn.executemany(
            "UPDATE kb_phrasings SET tokens = ? WHERE id = ?",
            [(tokens, pid) for pid, tokens in phrasings],
        )
        await _set_meta(conn, "tokenizer", fingerprint)


async def _set_meta(conn: aiosqlite.Connection, key: str, value: str) -> None:
    await conn.execute(
        "INSERT INTO kb_meta (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


async def get_meta(conn: aiosqlite.Connection, key: str) -> str | None:
    async with conn.execute("SELECT value FROM kb_meta WHERE key = ?", (key,)) as cur:
        row = await cur.fetchone()
    return None if row is None else str(row[0])


# --- staff-taught phrasings (migration 0013) ------------------------------------------


@dataclass(frozen=True)
class Phrasing:
    id: int
    passage_id: int
    text: str
    tokens: str


async def carry_phrasings(conn: aiosqlite.Connection, old_ids: Sequence[int], new_id: int) -> None:
    """Staff-taught phrasings of a replaced document's passages move to the new version's
    passage with the same text, or else the first one under the same heading path; a
    phrasing whose passage has neither is deleted with it."""
    marks = ",".join("?" * len(old_ids))
    match = (
        "SELECT n.id FROM kb_passages AS n JOIN kb_passages AS o ON o.id = kb_phrasings.passage_id"
        " WHERE n.doc_id = ? AND n.{column} = o.{column} ORDER BY n.id LIMIT 1"
    )
    by_text, by_source = match.format(column="text"), match.format(column="source")
    await conn.execute(
        f"UPDATE kb_phrasings SET passage_id = COALESCE(({by_text}), ({by_source}), passage_id)"
        f" WHERE passage_id IN (SELECT id FROM kb_passages WHERE doc_id IN ({marks}))",
        (new_id, new_id, *old_ids),
    )


async def add_phrasing(
    conn: aiosqlite.Connection,
    *,
    passage_id: int,
    text: str,
    tokens: str,
    question_id: int | None,
    created_by: int | None,
    created_at: str,
) -> int | None:
    """Store a question as another phrasing of a visible passage; None if it is gone."""
    cur = await conn.execute(
        "INSERT INTO kb_phrasings (passage_id, question_id, text, tokens, created_by,"
        f" created_at) SELECT id, ?, ?, ?, ?, ? FROM kb_passages WHERE id = ? AND"
        f" {VISIBLE_PASSAGE}",
        (question_id, text, tokens, created_by, created_at, passage_id),
    )
    return int(cur.lastrowid) if cur.rowcount and cur.lastrowid else None


async def load_phrasings(conn: aiosqlite.Connection) -> list[Phrasing]:
    async with conn.execute(
        "SELECT id, passage_id, text, tokens FROM kb_phrasings ORDER BY id"
    ) as cur:
        return [Phrasing(int(r[0]), int(r[1]), str(r[2]), str(r[3])) for r in await cur.fetchall()]


async def generation(conn: aiosqlite.Connection) -> str:
    """The passages' generation (bumped by triggers on every write, migration 0013)."""
    return await get_meta(conn, "generation") or "0"
