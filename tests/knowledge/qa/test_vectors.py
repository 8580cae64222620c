"""Passage vectors with the knowledge base: computed after an import, stored with the
passages, re-embedded on a re-import or an encoder change, never at a restart; and the
keyword-only mode. A small encoder of our own (character counts, tests/knowledge/qa/
test_semantic.py) embeds in a thread; the bundled one is tested in test_semantic_stage.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import numpy as np
import pytest

from knowledge.qa.semantic import ENV, SemanticReranker
from knowledge.qa.service import KnowledgeBase
from knowledge.qa.vectors import PassageVectors
from storage import kb_vectors_repo
from storage.db import open_database
from tests.knowledge.qa.test_semantic import CharEncoder

DOC = """充电与装修
一、电动车
电动车不得在楼道充电，请到充电棚充电。
二、装修
装修时间为每日8时至18时，漏水由施工方负责。
"""
DOC_V2 = """充电与装修
一、电动车
电动车不得在楼道停放或充电，请到小区充电棚充电。
二、装修
装修时间为每日8时至18时。
三、垃圾分类
垃圾分类投放，狗粪由主人清理。
"""


class OtherCharEncoder(CharEncoder):
    """The same encoder under another fingerprint (an upgraded package)."""

    name = "chars:2"


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(tmp_path / "kb.db")
    yield connection
    await connection.close()


async def _open(conn: aiosqlite.Connection, encoder: CharEncoder | None = None) -> KnowledgeBase:
    reranker = SemanticReranker(encoder or CharEncoder())
    return await KnowledgeBase.open(conn, load_faq=False, semantic=reranker)


async def _imported_and_embedded(conn: aiosqlite.Connection, tmp_path: Path) -> None:
    """A process that imported DOC, embedded its passages and stopped."""
    kb = await _open(conn)
    (tmp_path / "rules.txt").write_text(DOC, encoding="utf-8")
    await kb.import_path(tmp_path / "rules.txt")
    await kb.vectors_ready()
    await kb.close()


async def _passage_ids(conn: aiosqlite.Connection) -> set[int]:
    async with conn.execute("SELECT id FROM kb_passages") as cur:
        return {int(r[0]) for r in await cur.fetchall()}


async def _vector_rows(conn: aiosqlite.Connection) -> dict[int, str]:
    async with conn.execute("SELECT passage_id, encoder FROM kb_passage_vectors") as cur:
        return {int(r[0]): str(r[1]) for r in await cur.fetchall()}


async def test_import_embeds_every_passage_in_the_background(
    conn: aiosqlite.Connection, tmp_path: Path
) -> None:
    kb = await _open(conn)
    try:
        (tmp_path / "rules.txt").write_text(DOC, encoding="utf-8")
        await kb.import_path(tmp_path / "rules.txt")
        await kb.vectors_ready()
        ids = await _passage_ids(conn)
        assert ids
        assert await _vector_rows(conn) == dict.fromkeys(ids, "chars:1")
        assert kb.vector_count() == len(ids)
        # With its vectors in, the semantic stage reorders the keyword candidates.
        found = kb.stages("电车能在楼道充吗", k=3, docs_only=True)
        assert found.reranked is not None
        assert "楼道充电" in found.reranked[0].item.entry.text
    finally:
        await kb.close()


async def test_reimport_re_embeds_and_drops_the_old_vectors(
    conn: aiosqlite.Connection, tmp_path: Path
) -> None:
    kb = await _open(conn)
    try:
        path = tmp_path / "rules.txt"
        path.write_text(DOC, encoding="utf-8")
        await kb.import_path(path)
        await kb.vectors_ready()
        first = await _passage_ids(conn)
        path.write_text(DOC_V2, encoding="utf-8")
        summary = await kb.import_path(path)
        assert summary.replaced
        await kb.vectors_ready()
        second = await _passage_ids(conn)
        assert not first & second
        # The old passages' vectors went with them; every new passage has one.
        assert set(await _vector_rows(conn)) == second
        assert kb.vector_count() == len(second)
    finally:
        await kb.close()


async def test_restart_loads_stored_vectors_without_embedding(
    conn: aiosqlite.Connection, tmp_path: Path
) -> None:
    await _imported_and_embedded(conn, tmp_path)

    class Counting(CharEncoder):
        passages = 0

        def encode_passages(self, texts):  # type: ignore[no-untyped-def]
            type(self).passages += len(texts)
            return super().encode_passages(texts)

    again = await _open(conn, Counting())
    try:
        await again.vectors_ready()
        assert Counting.passages == 0
        assert again.vector_count() == len(await _passage_ids(conn))
        assert again.stages("电车楼道充电", k=3, docs_only=True).reranked is not None
    finally:
        await again.close()


async def test_an_encoder_change_re_embeds_everything(
    conn: aiosqlite.Connection, tmp_path: Path
) -> None:
    await _imported_and_embedded(conn, tmp_path)
    upgraded = await _open(conn, OtherCharEncoder())
    try:
        await upgraded.vectors_ready()
        ids = await _passage_ids(conn)
        assert await _vector_rows(conn) == dict.fromkeys(ids, "chars:2")
        assert upgraded.vector_count() == len(ids)
    finally:
        await upgraded.close()


async def test_faq_entries_get_vectors_from_their_questions(
    conn: aiosqlite.Connection,
) -> None:
    kb = await _open(conn)
    try:
        pid = await kb.add_faq("狗可以进电梯吗", "请牵好绳，并避开高峰时段。")
        await kb.vectors_ready()
        assert pid in await _vector_rows(conn)
        (todo,) = [p for p in await kb_vectors_repo.missing_vectors(conn, "x", limit=9)]
        assert todo.questions == "狗可以进电梯吗"
    finally:
        await kb.close()


async def test_keyword_only_mode_stores_no_vectors(
    conn: aiosqlite.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "off")
    kb = await KnowledgeBase.open(conn, load_faq=False)
    try:
        assert kb.semantic is None
        (tmp_path / "rules.txt").write_text(DOC, encoding="utf-8")
        await kb.import_path(tmp_path / "rules.txt")
        await kb.semantic_ready()
        await kb.vectors_ready()
        assert await kb_vectors_repo.count_vectors(conn) == 0
        found = kb.stages("电动车能在楼道充电吗", k=3, docs_only=True)
        assert found.reranked is None
        answer = kb.ask("电动车能在楼道充电吗", docs_only=True)
        assert answer.answered
        assert "楼道充电" in answer.results[0].text
    finally:
        await kb.close()


async def test_passages_without_a_vector_rank_by_keywords(
    conn: aiosqlite.Connection, tmp_path: Path
) -> None:
    kb = await _open(conn)
    try:
        (tmp_path / "rules.txt").write_text(DOC, encoding="utf-8")
        await kb.import_path(tmp_path / "rules.txt")
        await kb.semantic_ready()
        plain = kb.stages("电动车能在楼道充电吗", k=3, docs_only=True)
        await kb.vectors_ready()
        kb._vectors.discard(list(kb._entries))  # as before the embedder got to them
        assert kb.stages("电动车能在楼道充电吗", k=3, docs_only=True).reranked is None
        assert plain.keyword
    finally:
        await kb.close()


def test_passage_vectors_gather_missing_rows_as_nan() -> None:
    store = PassageVectors()
    store.add([1, 2], np.array([[1, 0], [0, 1]], dtype=np.float16))
    rows = store.gather([2, 3, 1])
    assert rows[0].tolist() == [0.0, 1.0]
    assert np.isnan(rows[1]).all()
    assert rows[2].tolist() == [1.0, 0.0]
    assert store.coverage([1, 3]) == 1
    store.discard([1])
    assert 1 not in store
    assert len(store) == 1


async def test_a_crash_in_the_middle_of_embedding_loses_nothing(
    conn: aiosqlite.Connection, tmp_path: Path
) -> None:
    class DiesOnSecondBatch(CharEncoder):
        batches = 0

        def encode_passages(self, texts):  # type: ignore[no-untyped-def]
            type(self).batches += 1
            if type(self).batches == 2:
                raise RuntimeError("embedding worker died")
            return super().encode_passages(texts)

    kb = await _open(conn, DiesOnSecondBatch())
    assert kb._filler is not None
    kb._filler._batch = 1  # one passage a batch, so the crash comes part-way
    (tmp_path / "rules.txt").write_text(DOC_V2, encoding="utf-8")
    await kb.import_path(tmp_path / "rules.txt")
    await kb.vectors_ready()  # returns once the filler gave up
    passages = await _passage_ids(conn)
    done = set(await _vector_rows(conn))
    assert len(passages) >= 3
    assert 0 < len(done) < len(passages)
    # Questions are still answered meanwhile: passages without a vector rank by keywords.
    assert kb.ask("狗粪谁清理", docs_only=True).results
    await kb.close()

    class Counting(CharEncoder):
        passages = 0

        def encode_passages(self, texts):  # type: ignore[no-untyped-def]
            type(self).passages += len(texts)
            return super().encode_passages(texts)

    again = await _open(conn, Counting())  # the next start
    try:
        await again.vectors_ready()
        assert set(await _vector_rows(conn)) == passages
        assert Counting.passages == len(passages) - len(done)  # only what was missing
    finally:
        await again.close()
