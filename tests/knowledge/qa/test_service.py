"""KnowledgeBase end to end on a real SQLite file: import, search, restart, FAQ."""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

import knowledge.qa.kb_opening as opening_module
import knowledge.qa.tokenize as tokenize_module
from knowledge.normalize import compare_form
from knowledge.qa.service import KnowledgeBase, KnowledgeImportError
from storage.db import open_database
from tests.conftest import EXAMPLE_DOC, EXAMPLE_TITLE, PreparedDatabases

FAQ_FIXTURE = Path(__file__).with_name("faq_fixture.json")
# The sample document as a web page scrapes it: site boilerplate around it, a second
# numbered sub-document after it, pinyin notes after characters and stray bytes inside.
SCRAPED_HEAD = [
    "欢迎来到某某范文网网站!",
    "精彩范文 幸福里社区管理办法汇编分享",
    "2024-03-01",
    "幸福里社区管理办法汇编。小编为您整理了以下内容,希望能帮助到有需要的朋友。",
    "2139+",
]
SCRAPED_TAIL = [
    "幸福里社区消防安全整治方案2",
    "一、工作重点",
    "每季度组织一次楼道杂物清理,重点检查消防通道和楼梯间。",
    "更多范文请访问 www.fanwen-example.com",
]
# One section of a policy in Traditional characters, written for this test.
TRADITIONAL_DOC = """舊樓水電改造須知
一、改造標準
按照「一戶一表、計量出戶」的要求更換供水管道和電錶,改造後每戶單獨計量繳費。
二、費用
改造費用由政府補助和業主共同承擔。
"""


def scraped_example() -> bytes:
    lines = EXAMPLE_DOC.read_text(encoding="utf-8").splitlines()
    noisy = [
        line.replace("小区", "小区(qū)").replace("投放", "投放(fàng)").replace("。", "\ufffd。", 1)
        for line in lines
    ]
    return "\n".join([*SCRAPED_HEAD, *noisy, *SCRAPED_TAIL]).encode()


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(tmp_path / "t.db")
    yield connection
    await connection.close()


@pytest.fixture
async def kb(conn: aiosqlite.Connection) -> AsyncIterator[KnowledgeBase]:
    knowledge = await KnowledgeBase.open(conn, load_faq=False)
    yield knowledge
    await knowledge.close()  # reaps the import worker process


@pytest.fixture
async def example_kb(prepared: PreparedDatabases, tmp_path: Path) -> AsyncIterator[KnowledgeBase]:
    """A knowledge base holding only the sample document (no FAQ), from a prepared copy."""
    conn = await open_database(prepared.copy_to(tmp_path / "ex.db", faq=False, example=True))
    knowledge = await KnowledgeBase.open(conn, load_faq=False)
    yield knowledge
    await knowledge.close()
    await conn.close()


def top_text(kb: KnowledgeBase, question: str, **kwargs: object) -> str:
    answer = kb.ask(question, **kwargs)  # type: ignore[arg-type]
    assert answer.results, question
    return compare_form(answer.results[0].text)


async def test_import_the_example_document(kb: KnowledgeBase) -> None:
    summary = await kb.import_path(EXAMPLE_DOC)
    assert summary.passages > summary.sections > 0  # one section is cut in two
    assert summary.title == EXAMPLE_TITLE
    assert not summary.replaced
    texts = [r.text for r in kb.ask("电动自行车楼道充电", k=50).results]
    assert texts
    assert all(len(t) <= 400 for t in texts)
    assert 400 in {len(t) for t in texts}  # the long section filled a whole passage
    docs = await kb.list_documents()
    assert [d.passages for d in docs] == [summary.passages]
    assert docs[0].imported_at.endswith("+00:00")


async def test_scraped_document_cleaned_and_structured(
    conn: aiosqlite.Connection, kb: KnowledgeBase
) -> None:
    await kb.import_bytes("汇编.txt", scraped_example())
    async with conn.execute("SELECT text, source FROM kb_passages") as cur:
        rows = [(str(r[0]), str(r[1])) for r in await cur.fetchall()]
    assert all(len(text) <= 400 for text, _ in rows)
    joined = "\n".join(text for text, _ in rows)
    for junk in ("欢迎来到", "小编", "希望能帮助到", "2139+", "(qū)", "(fàng)", "\ufffd", ".com"):
        assert junk not in joined, junk
    sources = {source for _, source in rows}
    assert any("五、消防设施与灭火器 › (二)日常检查" in s for s in sources)
    assert any("幸福里社区消防安全整治方案2 › 一、工作重点" in s for s in sources)
    assert all(s.startswith("《幸福里社区管理办法汇编》") for s in sources)
    assert "小区实行定时定点投放" in joined  # the annotated words themselves are kept


async def test_traditional_file_searchable_in_simplified(kb: KnowledgeBase) -> None:
    await kb.import_bytes("舊樓水電改造須知.txt", TRADITIONAL_DOC.encode())
    simplified = kb.ask("水电改造要达到什么标准")
    traditional = kb.ask("水電改造要達到什麼標準?")
    assert any("一户一表" in r.text for r in simplified.results)
    assert [r.passage_id for r in traditional.results] == [
        r.passage_id for r in simplified.results
    ]


async def test_reimport_replaces(kb: KnowledgeBase) -> None:
    first = await kb.import_path(EXAMPLE_DOC)
    count = kb.passage_count()
    second = await kb.import_path(EXAMPLE_DOC)
    assert second.replaced
    assert second.passages == first.passages
    assert kb.passage_count() == count
    assert len(await kb.list_documents()) == 1


async def test_remove_document(example_kb: KnowledgeBase) -> None:
    kb = example_kb
    (doc,) = await kb.list_documents()
    assert kb.ask("改造方案要多少业主同意").results
    assert await kb.remove_document(doc.doc_id)
    assert kb.passage_count() == 0
    assert await kb.list_documents() == []
    assert not await kb.remove_document(doc.doc_id)
    assert not kb.ask("改造方案要多少业主同意").results


async def test_synonym_question_finds_passage(example_kb: KnowledgeBase) -> None:
    kb = example_kb
    assert "电驴" not in EXAMPLE_DOC.read_text(encoding="utf-8")
    answer = kb.ask("电驴能在楼道里充电吗")
    assert any("电动自行车" in r.text and "楼道" in r.text for r in answer.results)


async def test_section_text_returns_whole_section(example_kb: KnowledgeBase) -> None:
    kb = example_kb
    result = kb.ask("电驴能在楼道里充电吗").results[0]
    found = await kb.section_text(result.passage_id)
    assert found is not None
    source, text = found
    assert source == result.source
    assert result.text in text
    assert len(text) > len(result.text)  # the section is longer than one passage
    assert await kb.section_text(999_999) is None


@pytest.mark.parametrize("question", ["", "   ", "😀😀👍", "？？！！", "asdkjh qwe zzz"])
async def test_declines_empty_emoji_nonsense(example_kb: KnowledgeBase, question: str) -> None:
    assert example_kb.passage_count() > 0
    assert not example_kb.ask(question).answered


async def test_declines_out_of_scope(example_kb: KnowledgeBase) -> None:
    kb = example_kb
    assert kb.ask("电驴能在楼道里充电吗", docs_only=True).answered
    for question in ("驾照到期了怎么换证", "附近哪里能打狂犬疫苗", "个税年度汇算怎么弄"):
        assert not kb.ask(question, docs_only=True).answered, question


async def test_huge_question_is_fast(example_kb: KnowledgeBase) -> None:
    kb = example_kb
    question = "加装电梯要业主出钱吗" * 5000  # 50,000 characters
    started = time.perf_counter()
    answer = kb.ask(question)
    assert time.perf_counter() - started < 1.0
    assert answer.question == question


async def test_malformed_docx_rejected(kb: KnowledgeBase) -> None:
    for data in (b"PK\x03\x04 not really a zip", b"plain bytes, not a zip"):
        with pytest.raises(KnowledgeImportError) as excinfo:
            await kb.import_bytes("通知.docx", data)
        assert "Word" in str(excinfo.value)
        assert "无法读取" in str(excinfo.value)
    assert await kb.list_documents() == []
    assert kb.passage_count() == 0


async def test_unsupported_and_empty_files(kb: KnowledgeBase) -> None:
    with pytest.raises(KnowledgeImportError, match="不支持的文件类型"):
        await kb.import_bytes("scan.jpg", b"\xff\xd8\xff\xe0 not a document")
    with pytest.raises(KnowledgeImportError, match="没有可导入的文字"):
        await kb.import_bytes("empty.txt", "欢迎来到某某网网站!\n\n2022-01-14\n".encode())
    assert await kb.list_documents() == []


async def test_docx_and_markdown_import(kb: KnowledgeBase) -> None:
    import docx

    document = docx.Document()
    document.add_heading("小区充电管理办法", level=1)
    document.add_heading("一、充电要求", level=2)
    document.add_paragraph("电动自行车应在集中充电点充电,严禁飞线充电。")
    buffer = io.BytesIO()
    document.save(buffer)
    summary = await kb.import_bytes("充电.docx", buffer.getvalue())
    assert summary.title == "小区充电管理办法"
    assert summary.passages == 1
    result = kb.ask("电瓶车在哪充电").results[0]
    assert "集中充电点" in result.text
    assert "一、充电要求" in result.source

    md = "# 垃圾分类须知\n\n## 一、投放时间\n\n- 每天**早7点到9点**定时投放。\n"
    summary = await kb.import_bytes("须知.md", md.encode())
    assert summary.title == "垃圾分类须知"
    result = kb.ask("垃圾几点投放").results[0]
    assert result.text == "每天早7点到9点定时投放。"
    assert "一、投放时间" in result.source


async def test_restart_answers_same_without_retokenising(tmp_path: Path) -> None:
    questions = ["加装电梯要业主出钱吗", "垃圾几点可以扔", "楼道里能放鞋柜吗"]
    conn = await open_database(tmp_path / "kb.db")
    kb = await KnowledgeBase.open(conn, load_faq=False)
    await kb.import_path(EXAMPLE_DOC)
    await kb.import_bytes("舊樓水電改造須知.txt", TRADITIONAL_DOC.encode())
    before = [kb.ask(q) for q in questions]
    assert all(b.answered for b in before)
    await kb.close()
    await conn.close()

    conn = await open_database(tmp_path / "kb.db")
    calls = tokenize_module.TOKENIZE_CALLS
    kb = await KnowledgeBase.open(conn, load_faq=False)
    assert calls == tokenize_module.TOKENIZE_CALLS  # index rebuilt from stored tokens
    after = [kb.ask(q) for q in questions]
    assert calls + len(questions) == tokenize_module.TOKENIZE_CALLS  # one call per question
    assert [a.results for a in after] == [b.results for b in before]
    assert [a.answered for a in after] == [b.answered for b in before]
    await conn.close()


async def test_add_faq_is_searchable_immediately(kb: KnowledgeBase) -> None:
    pid = await kb.add_faq("小区快递柜坏了找谁修", "请联系物业服务中心报修。", created_by=42)
    answer = kb.ask("快递柜坏了找谁")
    assert answer.answered
    assert answer.results[0].passage_id == pid
    assert answer.results[0].kind == "faq"
    assert answer.results[0].source == "社区常见问题"
    assert not kb.ask("快递柜坏了找谁", docs_only=True).results
    assert await kb.section_text(pid) == ("社区常见问题", "请联系物业服务中心报修。")


async def test_bundled_faq_seeded_once_and_reseeded_on_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    faq = tmp_path / "faq.json"
    faq.write_bytes(FAQ_FIXTURE.read_bytes())
    monkeypatch.setattr(opening_module, "_faq_file", lambda: faq)
    conn = await open_database(tmp_path / "kb.db")
    try:
        await _check_bundled_faq(conn, faq)
    finally:
        await conn.close()


def _edit_faq(faq: Path) -> None:
    faq.write_text(FAQ_FIXTURE.read_text(encoding="utf-8").replace("绿色区域", "绿区"), "utf-8")


async def _check_bundled_faq(conn: aiosqlite.Connection, faq: Path) -> None:
    kb = await KnowledgeBase.open(conn)
    assert kb.passage_count() == 2
    answer = kb.ask("废药怎么扔")
    assert answer.answered
    assert "有害垃圾" in answer.results[0].text
    kb = await KnowledgeBase.open(conn)  # unchanged file: not seeded twice
    assert kb.passage_count() == 2
    _edit_faq(faq)
    kb = await KnowledgeBase.open(conn)
    assert kb.passage_count() == 2
    assert "绿区" in kb.ask("灭火器压力表怎么看").results[0].text
