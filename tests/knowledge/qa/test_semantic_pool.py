"""The semantic stage over the keyword stage's cheap pool (KnowledgeBase.stages): the
keyword path's k hits are unchanged, what the decision reads and the resident sees is
distinct and carries its evidence, a question is embedded once, and the bundled encoder
keeps to one BLAS thread for it."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from knowledge.qa.rerank import NEAR_DUPLICATE, gram_set, overlap
from knowledge.qa.semantic import DEFAULT_ENCODER, ENCODERS, SemanticReranker
from knowledge.qa.service import KnowledgeBase
from storage.db import open_database
from tests.knowledge.qa.test_semantic import CharEncoder

# The first rule twice with one word changed (a scraped page repeating it), so the
# pool holds near-copies.
DOC = """小区管理规定
一、电动车
电动车不得在楼道、疏散通道停放或者充电，应当到小区集中充电棚充电。
二、电动车（重复）
电动车不得在楼道、疏散通道停放或者充电，应当到小区集中充电桩充电。
三、装修
装修施工时间为每日8时至12时、14时至18时，装修垃圾应当袋装后堆放到指定地点。
四、垃圾分类
生活垃圾分为可回收物、有害垃圾、厨余垃圾和其他垃圾，狗粪由主人清理。
五、漏水
楼上漏水造成楼下损失的，由漏水方负责维修并赔偿。
"""
QUESTIONS = ["电车能在楼道充吗", "装修垃圾放哪里", "楼上漏水谁负责", "狗粪谁清理", "电动车"]


class CountingEncoder(CharEncoder):
    queries = 0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        type(self).queries += len(texts)
        return super().encode_queries(texts)


async def test_the_stage_reads_distinct_evidenced_hits_and_keeps_the_keyword_k(
    tmp_path: Path,
) -> None:
    (tmp_path / "rules.txt").write_text(DOC, encoding="utf-8")
    conn = await open_database(tmp_path / "kb.db")
    kb = await KnowledgeBase.open(conn, load_faq=False, semantic=SemanticReranker(CharEncoder()))
    try:
        await kb.import_path(tmp_path / "rules.txt")
        await kb.vectors_ready()
        plain = await KnowledgeBase.open(conn, load_faq=False, semantic=None)
        for question in QUESTIONS:
            for k in (1, 3):
                found = kb.stages(question, k=k, docs_only=True)
                assert found.reranked is not None
                assert found.keyword[:k] == plain.stages(question, k=k, docs_only=True).keyword
                hits = [s.item for s in found.reranked]
                assert len(hits) <= max(k, 3) + 1
                assert all(h.evidenced for h in hits)
                grams = [gram_set(h.entry.text) for h in hits]
                for i, mine in enumerate(grams):
                    assert all(overlap(mine, other) < NEAR_DUPLICATE for other in grams[:i])
                # The reranked order is kept: scores never rise.
                scores = [s.score for s in found.reranked]
                assert scores == sorted(scores, reverse=True)
    finally:
        await kb.close()
        await conn.close()


async def test_a_question_is_embedded_once(tmp_path: Path) -> None:
    (tmp_path / "rules.txt").write_text(DOC, encoding="utf-8")
    conn = await open_database(tmp_path / "kb.db")
    kb = await KnowledgeBase.open(
        conn, load_faq=False, semantic=SemanticReranker(CountingEncoder())
    )
    try:
        await kb.import_path(tmp_path / "rules.txt")
        await kb.vectors_ready()
        before = CountingEncoder.queries
        answer = kb.ask("电车能在楼道充吗", docs_only=True)
        assert answer.results
        assert CountingEncoder.queries - before == 1
    finally:
        await kb.close()
        await conn.close()


@pytest.mark.skipif(
    importlib.util.find_spec(ENCODERS[DEFAULT_ENCODER].module) is None,
    reason="the bundled encoder is not installed",
)
def test_the_bundled_encoder_embeds_a_question_on_one_blas_thread() -> None:
    threadpoolctl = pytest.importorskip("threadpoolctl")
    reranker = SemanticReranker()
    reranker.load()
    model = reranker.encoder._model  # type: ignore[attr-defined]
    backend = model._model
    seen: list[int] = []
    encode_batch = backend._encode_batch

    def recording(*args: object) -> None:
        pools = threadpoolctl.threadpool_info()
        seen.extend(p["num_threads"] for p in pools if p["user_api"] == "blas")
        encode_batch(*args)

    backend._encode_batch = recording
    try:
        reranker.embed_query("电动车能在楼道充电吗")
    finally:
        del backend._encode_batch
    assert seen
    assert set(seen) == {1}
