"""Passage vectors in SQLite (storage/kb_vectors_repo.py, migration 0014), on a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from storage import kb_repo, kb_vectors_repo
from storage.db import open_database


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(tmp_path / "kb.db")
    yield connection
    await connection.close()


def _passage(text: str) -> kb_repo.NewPassage:
    return kb_repo.NewPassage(text, "《规定》 一", text, "", text, body_source=text)


async def _document(conn: aiosqlite.Connection, *texts: str) -> tuple[int, list[int]]:
    doc_id, _ = await kb_repo.replace_document(
        conn,
        filename="rules.txt",
        title="规定",
        sha256="x",
        imported_at="2026-01-01T00:00:00+08:00",
        sections=[kb_repo.NewSection(("一",), "".join(texts), [_passage(t) for t in texts])],
    )
    return doc_id, [p.id for p in await kb_repo.passages_of_document(conn, doc_id)]


async def test_missing_store_load(conn: aiosqlite.Connection) -> None:
    _, ids = await _document(conn, "电动车不得在楼道充电", "装修时间为8时至18时")
    todo = await kb_vectors_repo.missing_vectors(conn, "enc:1", limit=10)
    assert [p.id for p in todo] == ids
    assert todo[0].text == "电动车不得在楼道充电"
    assert todo[0].questions == ""
    stored = await kb_vectors_repo.store_vectors(conn, [(ids[0], b"\x01\x02")], "enc:1")
    assert stored == 1
    assert [p.id for p in await kb_vectors_repo.missing_vectors(conn, "enc:1", limit=10)] == [
        ids[1]
    ]
    loaded = await kb_vectors_repo.load_vectors(conn, "enc:1")
    assert [(v.passage_id, v.vector) for v in loaded] == [(ids[0], b"\x01\x02")]
    assert await kb_vectors_repo.load_vectors(conn, "enc:1", after=ids[0]) == []


async def test_another_encoders_vectors_count_as_missing_and_are_replaced(
    conn: aiosqlite.Connection,
) -> None:
    _, ids = await _document(conn, "电动车不得在楼道充电")
    await kb_vectors_repo.store_vectors(conn, [(ids[0], b"old")], "enc:1")
    assert await kb_vectors_repo.load_vectors(conn, "enc:2") == []
    assert [p.id for p in await kb_vectors_repo.missing_vectors(conn, "enc:2", limit=5)] == ids
    await kb_vectors_repo.store_vectors(conn, [(ids[0], b"new")], "enc:2")
    assert await kb_vectors_repo.count_vectors(conn) == 1
    assert await kb_vectors_repo.count_vectors(conn, "enc:1") == 0
    (row,) = await kb_vectors_repo.load_vectors(conn, "enc:2")
    assert row.vector == b"new"


async def test_vectors_go_with_their_passages(conn: aiosqlite.Connection) -> None:
    doc_id, ids = await _document(conn, "电动车不得在楼道充电", "装修时间为8时至18时")
    await kb_vectors_repo.store_vectors(conn, [(i, b"v") for i in ids], "enc:1")
    assert await kb_repo.delete_document(conn, doc_id)
    assert await kb_vectors_repo.count_vectors(conn) == 0
    # A vector computed for a passage deleted meanwhile is not stored.
    assert await kb_vectors_repo.store_vectors(conn, [(ids[0], b"v")], "enc:1") == 0


async def test_generation_is_not_bumped_by_vectors(conn: aiosqlite.Connection) -> None:
    _, ids = await _document(conn, "电动车不得在楼道充电")
    before = await kb_repo.generation(conn)
    await kb_vectors_repo.store_vectors(conn, [(ids[0], b"v")], "enc:1")
    assert await kb_repo.generation(conn) == before
