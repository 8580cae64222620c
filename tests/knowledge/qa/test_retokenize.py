"""An upgraded tokenizer re-derives stored index terms at start: no re-import needed."""

from __future__ import annotations

from pathlib import Path

from knowledge.qa.service import KnowledgeBase
from knowledge.qa.tokenize import tokenizer_fingerprint
from storage.db import open_database

DOC = (
    "社区消防安全通知\n"
    "一、电动自行车管理\n"
    "严禁在楼道、楼梯间停放电动自行车或为其充电，严禁私拉电线飞线充电。\n"
    "二、消防通道\n"
    "消防通道严禁堆放杂物和停放车辆，保持畅通。\n"
)


async def test_changed_tokenizer_retokenizes_stored_passages(tmp_path: Path) -> None:
    path = tmp_path / "kb.db"
    conn = await open_database(path)
    try:
        kb = await KnowledgeBase.open(conn, load_faq=False)
        await kb.import_bytes("notice.txt", DOC.encode())
        before = kb.ask("电瓶车能在楼道充电吗", docs_only=True)
        assert before.answered
        # Simulate a database written by an older tokenizer: stale terms, old fingerprint.
        await conn.execute("UPDATE kb_passages SET tokens = 'stale', head_tokens = 'stale'")
        await conn.execute("UPDATE kb_meta SET value = 'old' WHERE key = 'tokenizer'")
    finally:
        await conn.close()

    conn = await open_database(path)
    try:
        kb = await KnowledgeBase.open(conn, load_faq=False)
        after = kb.ask("电瓶车能在楼道充电吗", docs_only=True)
        async with conn.execute("SELECT COUNT(*) FROM kb_passages WHERE tokens = 'stale'") as c:
            stale = (await c.fetchone())[0]
        async with conn.execute("SELECT value FROM kb_meta WHERE key = 'tokenizer'") as c:
            stored = (await c.fetchone())[0]
    finally:
        await conn.close()
    assert stale == 0
    assert stored == tokenizer_fingerprint()
    assert after.answered
    assert [r.passage_id for r in after.results] == [r.passage_id for r in before.results]


async def test_same_tokenizer_leaves_terms_alone(tmp_path: Path) -> None:
    path = tmp_path / "kb.db"
    conn = await open_database(path)
    try:
        kb = await KnowledgeBase.open(conn, load_faq=False)
        await kb.import_bytes("notice.txt", DOC.encode())
        await conn.execute("UPDATE kb_passages SET tokens = tokens || ' marker'")
    finally:
        await conn.close()
    conn = await open_database(path)
    try:
        await KnowledgeBase.open(conn, load_faq=False)
        async with conn.execute(
            "SELECT COUNT(*) FROM kb_passages WHERE tokens LIKE '%marker'"
        ) as c:
            marked = (await c.fetchone())[0]
    finally:
        await conn.close()
    assert marked > 0
