"""Knowledge-base documents and their sections (`kb_documents`, `kb_sections`, migration
0002): written in short transactions, hidden until complete. Returns dataclasses.

The other `kb_*` tables have their own modules: passages and FAQ entries
`storage.kb_passages_repo`; raw index text, meta and staff-taught phrasings
`storage.kb_index_repo`; what searches can see `storage.kb_visibility`. Their names are
re-exported here (`name as name`) so `kb_repo.X` keeps reaching every one.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import aiosqlite

from storage.db import transaction
from storage.kb_index_repo import IndexSources as IndexSources
from storage.kb_index_repo import Phrasing as Phrasing
from storage.kb_index_repo import add_phrasing as add_phrasing
from storage.kb_index_repo import carry_phrasings
from storage.kb_index_repo import generation as generation
from storage.kb_index_repo import get_meta as get_meta
from storage.kb_index_repo import index_sources as index_sources
from storage.kb_index_repo import load_phrasings as load_phrasings
from storage.kb_index_repo import update_index_terms as update_index_terms
from storage.kb_passages_repo import NewPassage as NewPassage
from storage.kb_passages_repo import SectionText as SectionText
from storage.kb_passages_repo import StoredPassage as StoredPassage
from storage.kb_passages_repo import insert_faq as insert_faq
from storage.kb_passages_repo import iter_passages as iter_passages
from storage.kb_passages_repo import load_passages as load_passages
from storage.kb_passages_repo import passages_of_document as passages_of_document
from storage.kb_passages_repo import replace_bundled_faq as replace_bundled_faq
from storage.kb_passages_repo import section_text as section_text
from storage.kb_visibility import HIDDEN_PREFIX, VISIBLE_DOCUMENT
from storage.kb_visibility import visible_passages as visible_passages


@dataclass(frozen=True)
class NewSection:
    heading_path: tuple[str, ...]
    text: str
    passages: Sequence[NewPassage]


@dataclass(frozen=True)
class DocumentRow:
    id: int
    title: str
    filename: str
    sections: int
    passages: int
    imported_at: str


# Rows per write transaction: other writers (questions, conversation state) wait at most
# one batch, a few milliseconds, instead of a whole document.
BATCH_ROWS = 500


async def find_document_ids(conn: aiosqlite.Connection, filename: str, title: str) -> list[int]:
    async with conn.execute(
        f"SELECT id FROM kb_documents WHERE (filename = ? OR title = ?) AND {VISIBLE_DOCUMENT}",
        (filename, title),
    ) as cur:
        return [int(row[0]) for row in await cur.fetchall()]


class WriteAbandonedError(Exception):
    """`keep_going` said stop (the bot is shutting down); the partial document was removed."""


async def replace_document(
    conn: aiosqlite.Connection,
    *,
    filename: str,
    title: str,
    sha256: str,
    imported_at: str,
    sections: Sequence[NewSection],
    batch_rows: int = BATCH_ROWS,
    keep_going: Callable[[], bool] | None = None,
) -> tuple[int, list[int]]:
    """Insert a document, replacing any with the same filename or title.

    Written in transactions of at most `batch_rows` rows, hidden until complete; the
    switch from the old version to the new one is a single statement, so a search sees
    one version or the other, never half of one. Between batches `keep_going()` may
    abandon the write (WriteAbandonedError), leaving the old version in place.
    Returns (new document id, ids of the replaced documents).
    """
    doc_id = await start_document(
        conn, filename=filename, title=title, sha256=sha256, imported_at=imported_at
    )
    try:
        await write_sections(
            conn, doc_id, sections, imported_at, batch_rows=batch_rows, keep_going=keep_going
        )
        old_ids = await finish_document(conn, doc_id, filename=filename, title=title)
    except BaseException:
        await _purge(conn, doc_id, batch_rows)
        raise
    if old_ids:
        await carry_phrasings(conn, old_ids, doc_id)
    for old in old_ids:
        await _purge(conn, old, batch_rows)
    return doc_id, old_ids


async def start_document(
    conn: aiosqlite.Connection, *, filename: str, title: str, sha256: str, imported_at: str
) -> int:
    cur = await conn.execute(
        "INSERT INTO kb_documents (title, filename, sha256, imported_at) VALUES (?, ?, ?, ?)",
        (
            title,
            f"{HIDDEN_PREFIX}importing/{secrets.token_hex(8)}/{filename}",
            sha256,
            imported_at,
        ),
    )
    return int(cur.lastrowid or 0)


def _batches(
    sections: Sequence[NewSection], batch_rows: int
) -> Iterator[list[tuple[int, NewSection, int, int]]]:
    """(ordinal, section, first passage, end passage) groups of at most `batch_rows` rows.

    A section row counts as one row; a section with more passages than a batch holds is
    continued in the next one.
    """
    batch: list[tuple[int, NewSection, int, int]] = []
    room = batch_rows
    for ordinal, section in enumerate(sections):
        start = 0
        new_row = 1
        while True:
            if room < new_row + 1 and batch:
                yield batch
                batch, room = [], batch_rows
            take = max(1, min(len(section.passages) - start, room - new_row))
            end = min(len(section.passages), start + take)
            batch.append((ordinal, section, start, end))
            room -= new_row + (end - start)
            start, new_row = end, 0
            if start >= len(section.passages):
                break
    if batch:
        yield batch


async def write_sections(
    conn: aiosqlite.Connection,
    doc_id: int,
    sections: Sequence[NewSection],
    imported_at: str,
    *,
    batch_rows: int = BATCH_ROWS,
    keep_going: Callable[[], bool] | None = None,
) -> None:
    section_ids: dict[int, int] = {}
    for batch in _batches(sections, batch_rows):
        if keep_going is not None and not keep_going():
            raise WriteAbandonedError
        async with transaction(conn):
            for ordinal, section, first, end in batch:
                if ordinal not in section_ids:
                    cur = await conn.execute(
                        "INSERT INTO kb_sections (doc_id, ordinal, heading_path, text)"
                        " VALUES (?, ?, ?, ?)",
                        (
                            doc_id,
                            ordinal,
                            json.dumps(section.heading_path, ensure_ascii=False),
                            section.text,
                        ),
                    )
                    section_ids[ordinal] = int(cur.lastrowid or 0)
                await conn.executemany(
                    "INSERT INTO kb_passages (kind, doc_id, section_id, ordinal, text, source,"
                    " tokens, head_tokens, bigram_text, origin, created_at, body_source,"
                    " head_source, bigram_source)"
                    " VALUES ('doc', ?, ?, ?, ?, ?, ?, ?, ?, 'doc', ?, ?, ?, ?)",
                    [
                        (
                            doc_id,
                            section_ids[ordinal],
                            i,
                            p.text,
                            p.source,
                            p.tokens,
                            p.head_tokens,
                            p.bigram_text,
                            imported_at,
                            p.body_source,
                            p.head_source,
                            p.bigram_source,
                        )
                        for i, p in enumerate(section.passages[first:end], start=first)
                    ],
                )


async def finish_document(
    conn: aiosqlite.Connection, doc_id: int, *, filename: str, title: str
) -> list[int]:
    """Make the document visible and hide the versions it replaces, in one transaction.

    Returns the replaced ids; their rows are left for `_purge` (hidden meanwhile).
    """
    async with transaction(conn):
        old_ids = [i for i in await find_document_ids(conn, filename, title) if i != doc_id]
        for old in old_ids:
            await conn.execute(
                "UPDATE kb_documents SET filename = ? WHERE id = ?",
                (f"{HIDDEN_PREFIX}removing/{old}", old),
            )
        cur = await conn.execute(
            "UPDATE kb_documents SET filename = ? WHERE id = ?", (filename, doc_id)
        )
        if not cur.rowcount:
            raise LookupError(f"document {doc_id} vanished while it was being written")
    return old_ids


async def _purge(conn: aiosqlite.Connection, doc_id: int, batch_rows: int = BATCH_ROWS) -> None:
    """Delete a (hidden) document a batch of rows at a time, each its own transaction."""
    for table in ("kb_passages", "kb_sections"):
        while True:
            cur = await conn.execute(
                f"DELETE FROM {table} WHERE id IN"
                f" (SELECT id FROM {table} WHERE doc_id = ? LIMIT ?)",
                (doc_id, batch_rows),
            )
            if (cur.rowcount or 0) < batch_rows:
                break
    await conn.execute("DELETE FROM kb_documents WHERE id = ?", (doc_id,))


async def purge_unfinished(conn: aiosqlite.Connection) -> int:
    """Remove documents a crash left half written or half removed; returns how many."""
    async with conn.execute(f"SELECT id FROM kb_documents WHERE NOT ({VISIBLE_DOCUMENT})") as cur:
        ids = [int(row[0]) for row in await cur.fetchall()]
    for doc_id in ids:
        await _purge(conn, doc_id)
    return len(ids)


async def delete_document(conn: aiosqlite.Connection, doc_id: int) -> bool:
    """Hide the document in one statement, then delete its rows in short transactions."""
    cur = await conn.execute(
        f"UPDATE kb_documents SET filename = ? WHERE id = ? AND {VISIBLE_DOCUMENT}",
        (f"{HIDDEN_PREFIX}removing/{doc_id}", doc_id),
    )
    if not cur.rowcount:
        return False
    await _purge(conn, doc_id)
    return True


async def list_documents(conn: aiosqlite.Connection) -> list[DocumentRow]:
    async with conn.execute(
        "SELECT d.id, d.title, d.filename, d.imported_at,"
        " (SELECT COUNT(*) FROM kb_sections s WHERE s.doc_id = d.id) AS n_sections,"
        " (SELECT COUNT(*) FROM kb_passages p WHERE p.doc_id = d.id) AS n_passages"
        f" FROM kb_documents d WHERE {VISIBLE_DOCUMENT} ORDER BY d.id"
    ) as cur:
        return [
            DocumentRow(
                id=int(r["id"]),
                title=str(r["title"]),
                filename=str(r["filename"]),
                sections=int(r["n_sections"]),
                passages=int(r["n_passages"]),
                imported_at=str(r["imported_at"]),
            )
            for r in await cur.fetchall()
        ]
