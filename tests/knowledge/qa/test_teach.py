"""Staff teach the knowledge base a question, and the index saved beside the database."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.qa import index_cache
from knowledge.qa.service import KnowledgeBase
from storage.db import open_database

DOC = (
    "社区便民服务\n"
    "一、智能快件箱\n"
    "小区智能快件箱由街道统一招标，快递企业负责安装和维护，费用不向居民收取。\n"
    "二、消防通道\n"
    "消防通道严禁堆放杂物和停放车辆，保持畅通。\n"
)
QUESTION = "我是3号楼502的张秀英，电话13812345678，楼下那个快递柜谁装的"
SIMILAR = "快递柜是谁装的啊"


async def _open(path: Path) -> KnowledgeBase:
    return await KnowledgeBase.open(await open_database(path), load_faq=False)


async def _close(kb: KnowledgeBase) -> None:
    await kb.close()
    await kb._conn.close()


def _locker(kb: KnowledgeBase) -> int:
    return next(e.passage_id for e in kb._entries.values() if "快件箱" in e.text)


async def test_taught_question_and_a_similar_one_find_the_passage(tmp_path: Path) -> None:
    kb = await _open(tmp_path / "kb.db")
    try:
        await kb.import_bytes("service.txt", DOC.encode())
        assert not kb.ask(QUESTION).answered
        pid = _locker(kb)

        taught = await kb.teach(pid, "楼下那个快递柜谁装的", created_by=7)

        assert taught is not None
        assert taught.passage_id == pid
        for question in (QUESTION, SIMILAR):
            answer = kb.ask(question)
            assert answer.answered, question
            assert answer.results[0].passage_id == pid
        async with kb._conn.execute("SELECT passage_id, text, created_by FROM kb_phrasings") as c:
            assert [tuple(r) for r in await c.fetchall()] == [(pid, "楼下那个快递柜谁装的", 7)]
    finally:
        await _close(kb)


async def test_teaching_a_passage_that_is_gone_stores_nothing(tmp_path: Path) -> None:
    kb = await _open(tmp_path / "kb.db")
    try:
        assert await kb.teach(12345, "快递柜谁装的") is None
        async with kb._conn.execute("SELECT COUNT(*) FROM kb_phrasings") as c:
            assert (await c.fetchone())[0] == 0
    finally:
        await _close(kb)


@pytest.mark.parametrize("cache", ["kept", "deleted", "corrupt", "stale-tokenizer"])
async def test_taught_phrasing_survives_restart(tmp_path: Path, cache: str) -> None:
    path = tmp_path / "kb.db"
    kb = await _open(path)
    try:
        await kb.import_bytes("service.txt", DOC.encode())
        pid = _locker(kb)
        await kb.teach(pid, "楼下那个快递柜谁装的")
        before = [r.passage_id for r in kb.ask(SIMILAR).results]
        if cache == "stale-tokenizer":
            # A database written by an older tokenizer: terms re-derived at start.
            await kb._conn.execute("UPDATE kb_phrasings SET tokens = 'stale'")
            await kb._conn.execute("UPDATE kb_meta SET value = 'old' WHERE key = 'tokenizer'")
    finally:
        await _close(kb)
    saved = index_cache.cache_path(str(path))
    assert saved is not None
    assert saved.exists()
    if cache == "deleted":
        saved.unlink()
    elif cache == "corrupt":
        saved.write_bytes(saved.read_bytes()[:1000])

    kb = await _open(path)
    try:
        answer = kb.ask(SIMILAR)
        assert answer.answered
        assert [r.passage_id for r in answer.results] == before
        async with kb._conn.execute("SELECT tokens FROM kb_phrasings") as c:
            assert "stale" not in (await c.fetchone())[0]
    finally:
        await _close(kb)


async def test_index_file_is_used_only_for_the_passages_it_was_built_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "kb.db"
    kb = await _open(path)
    try:
        await kb.import_bytes("service.txt", DOC.encode())
    finally:
        await _close(kb)
    loads: list[bool] = []
    real = index_cache.load

    def spy(where: Path, key: str) -> index_cache.CachedIndex | None:
        found = real(where, key)
        loads.append(found is not None)
        return found

    monkeypatch.setattr(index_cache, "load", spy)
    kb = await _open(path)  # unchanged: loaded
    try:
        first = [r.passage_id for r in kb.ask("消防通道能停车吗").results]
        # Written behind the bot's back (another process, an older version): the
        # generation moves, the file no longer matches.
        await kb._conn.execute("UPDATE kb_passages SET tokens = tokens || ' 停车场'")
    finally:
        await _close(kb)
    kb = await _open(path)
    try:
        assert [r.passage_id for r in kb.ask("消防通道能停车吗").results] == first
        assert any(" 停车场" in " ".join(e.body) for e in kb._entries.values())
    finally:
        await _close(kb)
    assert loads == [True, False]


async def test_a_taught_phrasing_survives_a_new_version_of_its_document(tmp_path: Path) -> None:
    kb = await _open(tmp_path / "kb.db")
    try:
        await kb.import_bytes("service.txt", DOC.encode())
        locker, lane = _locker(kb), _passage(kb, "消防通道严禁")
        await kb.teach(locker, "楼下那个快递柜谁装的", created_by=7)
        await kb.teach(lane, "楼下能不能停电瓶车", created_by=7)
        # Staff import a new version: the locker's text is the same, the fire lane's is
        # reworded under the same heading.
        revised = DOC.replace("保持畅通。", "保持畅通，违者由物业劝离。")
        summary = await kb.import_bytes("service.txt", revised.encode())
        assert summary.replaced
        new_locker, new_lane = _locker(kb), _passage(kb, "违者由物业劝离")
        assert {new_locker, new_lane}.isdisjoint({locker, lane})
        async with kb._conn.execute("SELECT passage_id, text FROM kb_phrasings ORDER BY id") as c:
            assert [tuple(r) for r in await c.fetchall()] == [
                (new_locker, "楼下那个快递柜谁装的"),
                (new_lane, "楼下能不能停电瓶车"),
            ]
        # And the index knows at once, not only after a restart.
        answer = kb.ask(QUESTION)
        assert answer.answered
        assert answer.results[0].passage_id == new_locker
    finally:
        await _close(kb)


def _passage(kb: KnowledgeBase, part: str) -> int:
    return next(e.passage_id for e in kb._entries.values() if part in e.text)
