"""The semantic stage with the bundled encoder (USE multilingual v3), end to end: the one
test that loads it. A question in other words than the passage, which the keyword path
declines, is answered with the stage on."""

from __future__ import annotations

from pathlib import Path

from knowledge.qa.semantic import SemanticReranker
from knowledge.qa.service import KnowledgeBase
from storage import kb_vectors_repo
from storage.db import open_database

RULES = """小区管理规定
一、饲养
住宅小区内禁止饲养家禽家畜，已经饲养的应当在一个月内自行处理。
二、易燃易爆物品
居民不得在住宅内存放易燃易爆物品，发现后由物业服务企业报告消防部门。
三、高空抛物
禁止从建筑物中抛掷物品，造成他人损害的依法承担责任。
四、车辆
机动车应当停放在划定的停车位内，不得占用消防车通道。
"""


async def test_a_question_in_other_words_is_answered_with_the_stage_on(tmp_path: Path) -> None:
    (tmp_path / "rules.txt").write_text(RULES, encoding="utf-8")
    conn = await open_database(tmp_path / "kb.db")
    semantic = await KnowledgeBase.open(conn, load_faq=False, semantic=SemanticReranker())
    try:
        await semantic.import_path(tmp_path / "rules.txt")
        await semantic.vectors_ready()
        assert semantic.semantic is not None
        assert semantic.semantic.loaded
        stored = await kb_vectors_repo.count_vectors(conn, semantic.semantic.fingerprint)
        assert stored == semantic.vector_count() == semantic.passage_count()
        plain = await KnowledgeBase.open(conn, load_faq=False, semantic=None)
        question = "小区里能养鸡养鸭吗"  # the passage says 饲养家禽家畜
        keyword_only = plain.ask(question, docs_only=True)
        assert not keyword_only.answered
        answer = semantic.ask(question, docs_only=True)
        assert answer.answered
        assert "饲养家禽" in answer.results[0].text
        # Out of scope stays declined.
        assert not semantic.ask("社保卡丢了去哪里补办", docs_only=True).answered
        # The clear keyword case keeps its answer.
        clear = semantic.ask("机动车可以占用消防车通道吗", docs_only=True)
        assert clear.answered
        assert "消防车通道" in clear.results[0].text
    finally:
        await semantic.close()
        await conn.close()
