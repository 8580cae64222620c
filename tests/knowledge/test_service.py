"""KnowledgeBase end to end on a real SQLite file: import, search, restart, FAQ."""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

import knowledge.service as service_module
import knowledge.tokenize as tokenize_module
from knowledge.normalize import compare_form
from knowledge.service import KnowledgeBase, KnowledgeImportError
from storage.db import open_database

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
FAQ_FIXTURE = Path(__file__).with_name("faq_fixture.json")
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS} (clone shared/ beside repo)"
)


def corpus_file(prefix: str) -> Path:
    return next(CORPUS.glob(f"{prefix}_*.txt"))


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(tmp_path / "t.db")
    yield connection
    await connection.close()


@pytest.fixture
async def kb(conn: aiosqlite.Connection) -> KnowledgeBase:
    return await KnowledgeBase.open(conn, load_faq=False)


def top_text(kb: KnowledgeBase, question: str, **kwargs: object) -> str:
    answer = kb.ask(question, **kwargs)  # type: ignore[arg-type]
    assert answer.results, question
    return compare_form(answer.results[0].text)


@needs_corpus
@pytest.mark.parametrize("prefix", ["000", "001", "002", "003"])
async def test_import_each_corpus_file(kb: KnowledgeBase, prefix: str) -> None:
    summary = await kb.import_path(corpus_file(prefix))
    assert summary.passages > 0
    assert summary.sections > 0
    assert not summary.replaced
    texts = [r.text for r in kb.ask("老旧小区改造", k=50).results]
    assert all(len(t) <= 400 for t in texts)
    docs = await kb.list_documents()
    assert [d.passages for d in docs] == [summary.passages]
    assert docs[0].imported_at.endswith("+00:00")


@needs_corpus
async def test_corpus_cleaned_and_structured(
    conn: aiosqlite.Connection, kb: KnowledgeBase
) -> None:
    for prefix in ("000", "001", "002", "003"):
        await kb.import_path(corpus_file(prefix))
    async with conn.execute("SELECT text, source FROM kb_passages") as cur:
        rows = [(str(r[0]), str(r[1])) for r in await cur.fetchall()]
    assert all(len(text) <= 400 for text, _ in rows)
    joined = "\n".join(text for text, _ in rows)
    for junk in ("欢迎来到", "小编", "希望能帮助到", "2139+", "(qū)", "(dǎo)", "\ufffd", ".com"):
        assert junk not in joined, junk
    sources = {source for _, source in rows}
    assert any("五、排查整治内容 › (一)排查消防设施" in s for s in sources)
    assert any("住宅小区文明城市创建实施方案9 › 四、工作重点" in s for s in sources)
    assert any(s.startswith("《2020年老旧小区水电改造工作方案》") for s in sources)


@needs_corpus
async def test_traditional_file_searchable_in_simplified(kb: KnowledgeBase) -> None:
    await kb.import_path(corpus_file("002"))
    simplified = kb.ask("老旧小区水电改造要达到什么标准")
    traditional = kb.ask("老舊小區水電改造要達到什麼標準?")
    assert any("一户一表" in r.text for r in simplified.results)
    assert [r.passage_id for r in traditional.results] == [
        r.passage_id for r in simplified.results
    ]


@needs_corpus
async def test_reimport_replaces(kb: KnowledgeBase) -> None:
    first = await kb.import_path(corpus_file("002"))
    count = kb.passage_count()
    second = await kb.import_path(corpus_file("002"))
    assert second.replaced
    assert second.passages == first.passages
    assert kb.passage_count() == count
    assert len(await kb.list_documents()) == 1


@needs_corpus
async def test_remove_document(kb: KnowledgeBase) -> None:
    summary = await kb.import_path(corpus_file("002"))
    assert await kb.remove_document(summary.doc_id)
    assert kb.passage_count() == 0
    assert await kb.list_documents() == []
    assert not await kb.remove_document(summary.doc_id)
    assert not kb.ask("水电改造要达到什么标准").results


@needs_corpus
async def test_synonym_question_finds_passage(kb: KnowledgeBase) -> None:
    await kb.import_path(corpus_file("000"))
    answer = kb.ask("电驴能在楼道里充电吗")
    assert any("电瓶车" in r.text for r in answer.results)


@needs_corpus
async def test_section_text_returns_whole_section(kb: KnowledgeBase) -> None:
    await kb.import_path(corpus_file("002"))
    result = kb.ask("水电改造要收多少钱").results[0]
    found = await kb.section_text(result.passage_id)
    assert found is not None
    source, text = found
    assert source == result.source
    assert result.text in text
    assert await kb.section_text(999_999) is None


@pytest.mark.parametrize("question", ["", "   ", "😀😀👍", "？？！！", "asdkjh qwe zzz"])
async def test_declines_empty_emoji_nonsense(kb: KnowledgeBase, question: str) -> None:
    await kb.import_bytes("a.txt", "一、垃圾分类\n可回收物投放到蓝色桶。".encode())
    assert not kb.ask(question).answered


@needs_corpus
async def test_declines_out_of_scope(kb: KnowledgeBase) -> None:
    for prefix in ("000", "001", "002", "003"):
        await kb.import_path(corpus_file(prefix))
    for question in ("驾照到期了怎么换证", "附近哪里能打狂犬疫苗", "个税年度汇算怎么弄"):
        assert not kb.ask(question, docs_only=True).answered, question


@needs_corpus
async def test_huge_question_is_fast(kb: KnowledgeBase) -> None:
    await kb.import_path(corpus_file("000"))
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


@needs_corpus
async def test_restart_answers_same_without_retokenising(tmp_path: Path) -> None:
    questions = ["加装电梯要业主出钱吗", "四定模式是什么意思", "楼道里能放鞋柜吗"]
    conn = await open_database(tmp_path / "kb.db")
    kb = await KnowledgeBase.open(conn, load_faq=False)
    for prefix in ("000", "003"):
        await kb.import_path(corpus_file(prefix))
    before = [kb.ask(q) for q in questions]
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
    monkeypatch.setattr(service_module, "_faq_file", lambda: faq)
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
