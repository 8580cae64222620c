"""The knowledge base's passages (table `kb_passages`): reading what searches see, and
writing FAQ entries. Returns dataclasses.

Documents (and their sections) are written in `storage.kb_repo`; raw index text, meta and
staff-taught phrasings in `storage.kb_index_repo`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import aiosqlite

from storage.db import transaction
from storage.kb_visibility import VISIBLE_PASSAGE


@dataclass(frozen=True)
class NewPassage:
    text: str
    source: str
    tokens: str
    head_tokens: str
    bigram_text: str
    full_text: str | None = None
    # The raw text tokens/head_tokens/bigram_text were computed from (migration 0004).
    body_source: str = ""
    head_source: str = ""
    bigram_source: str = ""


@dataclass(frozen=True)
class StoredPassage:
    id: int
    kind: str
    doc_id: int | None
    text: str
    source: str
    tokens: str
    head_tokens: str
    bigram_text: str


@dataclass(frozen=True)
class SectionText:
    source: str
    text: str


_PASSAGE_COLUMNS = "id, kind, doc_id, text, source, tokens, head_tokens, bigram_text"


def _passage(row: aiosqlite.Row) -> StoredPassage:
    return StoredPassage(
        id=int(row["id"]),
        kind=str(row["kind"]),
        doc_id=None if row["doc_id"] is None else int(row["doc_id"]),
        text=str(row["text"]),
        source=str(row["source"]),
        tokens=str(row["tokens"]),
        head_tokens=str(row["head_tokens"]),
        bigram_text=str(row["bigram_text"]),
    )


async def load_passages(conn: aiosqlite.Connection) -> list[StoredPassage]:
    """The visible passages in id order, all at once."""
    return [p async for batch in iter_passages(conn) for p in batch]


async def iter_passages(
    conn: aiosqlite.Connection, batch_rows: int = 2000
) -> AsyncIterator[list[StoredPassage]]:
    """The visible passages in id order, `batch_rows` at a time: building the index from
    one list of all of them held ~100 MB more at 100k passages."""
    async with conn.execute(
        f"SELECT {_PASSAGE_COLUMNS} FROM kb_passages WHERE {VISIBLE_PASSAGE} ORDER BY id"
    ) as cur:
        while rows := await cur.fetchmany(batch_rows):
            yield [_passage(row) for row in rows]


async def passages_of_document(conn: aiosqlite.Connection, doc_id: int) -> list[StoredPassage]:
    async with conn.execute(
        f"SELECT {_PASSAGE_COLUMNS} FROM kb_passages WHERE doc_id = ? ORDER BY id", (doc_id,)
    ) as cur:
        return [_passage(row) for row in await cur.fetchall()]


async def section_text(conn: aiosqlite.Connection, passage_id: int) -> SectionText | None:
    async with conn.execute(
        "SELECT p.kind, p.source, p.text, p.full_text, s.text AS section"
        " FROM kb_passages p LEFT JOIN kb_sections s ON s.id = p.section_id WHERE p.id = ?",
        (passage_id,),
    ) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    body = row["section"] if row["kind"] == "doc" else row["full_text"]
    return SectionText(source=str(row["source"]), text=str(body or row["text"]))


async def insert_faq(
    conn: aiosqlite.Connection,
    passages: Sequence[tuple[NewPassage, str | None]],
    *,
    origin: str,
    created_at: str,
    created_by: int | None = None,
) -> list[int]:
    """Insert FAQ passages (each with its FAQ key) in one transaction; return their ids."""
    ids: list[int] = []
    async with transaction(conn):
        for p, key in passages:
            cur = await conn.execute(
                "INSERT INTO kb_passages (kind, text, full_text, source, tokens, head_tokens,"
                " bigram_text, origin, faq_key, created_by, created_at, body_source,"
                " head_source, bigram_source)"
                " VALUES ('faq', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    p.text,
                    p.full_text,
                    p.source,
                    p.tokens,
                    p.head_tokens,
                    p.bigram_text,
                    origin,
                    key,
                    created_by,
                    created_at,
                    p.body_source,
                    p.head_source,
                    p.bigram_source,
                ),
            )
            ids.append(int(cur.lastrowid or 0))
    return ids


async def replace_bundled_faq(
    conn: aiosqlite.Connection,
    passages: Sequence[tuple[NewPassage, str | None]],
    *,
    faq_hash: str,
    created_at: str,
) -> None:
    """Swap the bundled FAQ for a new version and record its hash, atomically."""
    async with transaction(conn):
        await conn.execute("DELETE FROM kb_passages WHERE origin = 'bundled'")
        await conn.executemany(
            "INSERT INTO kb_passages (kind, text, full_text, source, tokens, head_tokens,"
            " bigram_text, origin, faq_key, created_at, body_source, head_source, bigram_source)"
            " VALUES ('faq', ?, ?, ?, ?, ?, ?, 'bundled', ?, ?, ?, ?, ?)",
            [
                (
                    p.text,
                    p.full_text,
                    p.source,
                    p.tokens,
                    p.head_tokens,
                    p.bigram_text,
                    key,
                    created_at,
                    p.body_source,
                    p.head_source,
                    p.bigram_source,
                )
                for p, key in passages
            ],
        )
        await conn.execute(
            "INSERT INTO kb_meta (key, value) VALUES ('bundled_faq_hash', ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (faq_hash,),
        )
