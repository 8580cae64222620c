"""With the bundled FAQ loaded (as the bot runs), an FAQ entry answers only when its own
questions match the question (knowledge/qa/ranking.py, FAQ_MATCH): near-domain
out-of-scope questions are declined, the FAQ's own phrasings and close variants are still
answered by their entry, keyword only and with the semantic stage."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

import pytest
import pytest_asyncio

from knowledge.normalize import compare_form
from knowledge.qa.semantic import SemanticReranker
from knowledge.qa.service import KnowledgeBase
from storage.db import open_database

EXAMPLE_DOC = Path(__file__).resolve().parents[3] / "examples" / "社区政策示例.txt"
FAQ = json.loads(
    (resources.files("knowledge.qa") / "data" / "faq.json").read_text(encoding="utf-8")
)
ANSWERS = {item["id"]: str(item["answer"]) for item in FAQ}

# Pets, the housing fund, parcels, school enrolment, traffic accidents, police: the FAQ's
# everyday words (办, 报, 交, 孩子, 物业费) but none of its topics.
OUT_OF_SCOPE = [
    "狗证在哪里办",
    "养狗要去哪里登记",
    "网购被骗怎么报警",
    "租房能提公积金吗",
    "公积金怎么提取",
    "快递丢了找谁赔",
    "快递放驿站丢了谁负责",
    "小学划片按户口还是按房产",
    "交通事故责任怎么认定",
    "出了车祸对方不赔怎么办",
    "物业费发票去哪开",
]
# Colloquial and Traditional-character variants of a few entries' phrasings.
VARIANTS = {
    "garbage-four-categories": ["垃圾分幾類", "垃圾到底分几类啊"],
    "renovation-what-is": ["老舊小區改造是幹啥的", "老旧小区改造到底是干嘛的"],
    "fire-flying-wire": ["飛線充電是啥", "飞线充电到底是个啥"],
    "process-notice-duration": ["公示期一般多长啊"],
}


# One knowledge base per mode for the whole module (the tests only ask): building one
# with the encoder costs ~2 s.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["keyword", "semantic"])
async def kb(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[KnowledgeBase]:
    conn = await open_database(tmp_path_factory.mktemp("faq") / "kb.db")
    semantic = SemanticReranker() if request.param == "semantic" else None
    base = await KnowledgeBase.open(conn, load_faq=True, semantic=semantic)
    try:
        await base.import_path(EXAMPLE_DOC)
        await base.vectors_ready()
        if semantic is not None:
            assert base.vector_count() == base.passage_count()
        yield base
    finally:
        await base.close()
        await conn.close()


def _answered_by(kb: KnowledgeBase, question: str, entry: str) -> bool:
    answer = kb.ask(question, k=3)
    if not answer.answered or answer.results[0].kind != "faq":
        return False
    return compare_form(ANSWERS[entry])[:20] in compare_form(answer.results[0].text)


async def test_near_domain_out_of_scope_questions_are_declined(kb: KnowledgeBase) -> None:
    answered = [q for q in OUT_OF_SCOPE if kb.ask(q, k=3).answered]
    assert answered == []


async def test_a_non_matching_faq_entry_is_not_suggested_either(kb: KnowledgeBase) -> None:
    # Offered as 仅供参考 it would be the same wrong answer (狗证 → how to vote).
    suggested = [
        (q, a.results[0].text[:20])
        for q in OUT_OF_SCOPE
        if (a := kb.ask(q, k=3)).suggested and a.results[0].kind == "faq"
    ]
    assert suggested == []


async def test_every_entry_answers_its_first_phrasing(kb: KnowledgeBase) -> None:
    missed = [i["questions"][0] for i in FAQ if not _answered_by(kb, i["questions"][0], i["id"])]
    # 公示要几天, keyword only: declined before this rule too (its entry does not name
    # 几天, so the coverage rule finds it uncorroborated).
    assert set(missed) <= {"公示要几天"}


async def test_colloquial_and_traditional_variants_are_answered(kb: KnowledgeBase) -> None:
    for entry, questions in VARIANTS.items():
        for question in questions:
            assert _answered_by(kb, question, entry), question


async def test_docs_only_never_shows_the_faq(kb: KnowledgeBase) -> None:
    for question in (*OUT_OF_SCOPE, FAQ[0]["questions"][0]):
        assert all(r.kind != "faq" for r in kb.ask(question, docs_only=True).results)
