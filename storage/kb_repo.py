"""SQL for the knowledge base (tables `kb_*`, migration 0002). Returns dataclasses."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass

import aiosqlite

from storage.db import transaction


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
class IndexSources:
    id: int
    body: str
    head: str
    bigram: str


@dataclass(frozen=True)
class NewSection:
    heading_path: tuple[str, ...]
    text: str
    passages: Sequence[NewPassage]


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
class DocumentRow:
    id: int
    title: str
    filename: str
    sections: int
    passages: int
    imported_at: str


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


# A document being written or removed in several short transactions carries a filename
# starting with "/", which no real file name has (imports keep only `Path(name).name`): it
# is invisible to search, listings and replacement until `finish_document` gives it its
# real name in one statement, and `purge_unfinished` clears any left by a crash.
_HIDDEN = "/"
_VISIBLE = "filename NOT LIKE '/%'"


def visible_passages(alias: str = "") -> str:
    """The SQL condition for passages searches can see (an FAQ entry, or a passage of a
    document not hidden), on kb_passages under `alias` if given."""
    doc_id = f"{alias}.doc_id" if alias else "doc_id"
    return f"({doc_id} IS NULL OR {doc_id} IN (SELECT id FROM kb_documents WHERE {_VISIBLE}))"


_VISIBLE_PASSAGE = visible_passages()

# Rows per write transaction: other writers (questions, conversation state) wait at most
# one batch, a few milliseconds, instead of a whole document.
BATCH_ROWS = 500


async def load_passages(conn: aiosqlite.Connection) -> list[StoredPassage]:
    """The visible passages in id order, all at once."""
    return [p async for batch in iter_passages(conn) for p in batch]


async def iter_passages(
    conn: aiosqlite.Connection, batch_rows: int = 2000
) -> AsyncIterator[list[StoredPassage]]:
    """The visible passages in id order, `batch_rows` at a time: building the index from
    one list of all of them held ~100 MB more at 100k passages."""
    async with conn.execute(
        f"SELECT {_PASSAGE_COLUMNS} FROM kb_passages WHERE {_VISIBLE_PASSAGE} ORDER BY id"
    ) as cur:
        while rows := await cur.fetchmany(batch_rows):
            yield [_passage(row) for row in rows]


async def passages_of_document(conn: aiosqlite.Connection, doc_id: int) -> list[StoredPassage]:
    async with conn.execute(
        f"SELECT {_PASSAGE_COLUMNS} FROM kb_passages WHERE doc_id = ? ORDER BY id", (doc_id,)
    ) as cur:
        return [_passage(row) for row in await cur.fetchall()]


async def find_document_ids(conn: aiosqlite.Connection, filename: str, title: str) -> list[int]:
    async with conn.execute(
        f"SELECT id FROM kb_documents WHERE (filename = ? OR title = ?) AND {_VISIBLE}",
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
        await _carry_phrasings(conn, old_ids, doc_id)
    for old in old_ids:
        await _purge(conn, old, batch_rows)
    return doc_id, old_ids


async def _carry_phrasings(
    conn: aiosqlite.Connection, old_ids: Sequence[int], new_id: int
) -> None:
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


async def start_document(
    conn: aiosqlite.Connection, *, filename: str, title: str, sha256: str, imported_at: str
) -> int:
    cur = await conn.execute(
        "INSERT INTO kb_documents (title, filename, sha256, imported_at) VALUES (?, ?, ?, ?)",
        (title, f"{_HIDDEN}importing/{secrets.token_hex(8)}/{filename}", sha256, imported_at),
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
                (f"{_HIDDEN}removing/{old}", old),
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
    async with conn.execute(f"SELECT id FROM kb_documents WHERE NOT ({_VISIBLE})") as cur:
        ids = [int(row[0]) for row in await cur.fetchall()]
    for doc_id in ids:
        await _purge(conn, doc_id)
    return len(ids)


async def delete_document(conn: aiosqlite.Connection, doc_id: int) -> bool:
    """Hide the document in one statement, then delete its rows in short transactions."""
    cur = await conn.execute(
        f"UPDATE kb_documents SET filename = ? WHERE id = ? AND {_VISIBLE}",
        (f"{_HIDDEN}removing/{doc_id}", doc_id),
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
        f" FROM kb_documents d WHERE {_VISIBLE} ORDER BY d.id"
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
        f" {_VISIBLE_PASSAGE}",
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
