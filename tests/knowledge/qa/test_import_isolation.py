"""Imports run in a killable, memory-capped worker process and write in short transactions.

The event loop stays responsive during a 5 MB import (it blocked residents for 28.8 s when
parsing ran in a thread of the bot's process); a half-written import is never searchable.
"""

from __future__ import annotations

import asyncio
import random
import resource
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest

from knowledge.isolated import (
    IsolatedWorker,
    WorkerMemoryError,
    WorkerTimeoutError,
    peak_rss_kib,
)
from knowledge.qa.service import IMPORT_INTERRUPTED, KnowledgeBase, KnowledgeImportError
from storage import kb_repo
from storage.db import open_database
from tests.knowledge.test_upload_limits import docx_bomb

MB = 1024 * 1024
_SUBJECTS = ["小区物业", "业主委员会", "社区居委会", "街道办事处", "施工单位", "网格员"]
_VERBS = ["负责", "组织", "监督", "协调", "公示", "落实"]
_OBJECTS = [
    "老旧小区改造工程",
    "电动自行车集中充电",
    "垃圾分类投放",
    "公共维修资金使用",
    "楼道堆物清理",
    "二次供水设施维护",
    "停车位划线管理",
    "消防通道畅通",
]


def policy_text(size: int, seed: int = 7) -> bytes:
    """Numbered policy sections of varied sentences, about `size` bytes of UTF-8."""
    rng = random.Random(seed)
    parts: list[str] = ["幸福里社区综合管理办法汇编"]
    written = 0
    section = 0
    while written < size:
        section += 1
        lines = [f"{section}、第{section}项工作要求"]
        for _ in range(rng.randint(3, 8)):
            lines.append(
                f"{rng.choice(_SUBJECTS)}应当{rng.choice(_VERBS)}{rng.choice(_OBJECTS)}，"
                f"每{rng.randint(1, 30)}天检查一次，发现问题在{rng.randint(1, 72)}小时内整改。"
            )
        block = "\n".join(lines)
        parts.append(block)
        written += len(block.encode())
    return "\n".join(parts).encode()


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(tmp_path / "t.db")
    yield connection
    await connection.close()


@pytest.fixture
async def kb(conn: aiosqlite.Connection) -> AsyncIterator[KnowledgeBase]:
    base = await KnowledgeBase.open(conn, load_faq=False)
    yield base
    await base.close()


async def _worst_lateness(work: asyncio.Future[object] | asyncio.Task[object]) -> float:
    """How late a 10 ms sleep wakes up, at worst, while `work` runs."""
    loop = asyncio.get_running_loop()
    worst = 0.0
    while not work.done():
        before = loop.time()
        await asyncio.sleep(0.01)
        worst = max(worst, loop.time() - before - 0.01)
    return worst


async def test_5mb_text_import_keeps_the_event_loop_responsive(kb: KnowledgeBase) -> None:
    data = policy_text(5 * MB)
    task = asyncio.ensure_future(kb.import_bytes("综合管理办法.txt", data))
    worst = await _worst_lateness(task)
    summary = await task
    assert summary.passages > 5_000
    assert kb.ask("电动自行车集中充电多久检查一次").results
    # Measured 0.03-0.05 s alone (0.17-0.20 s when parsing ran in a thread; several seconds
    # when it ran on the loop). The bound only catches gross regressions: with the suite's 4
    # test processes and their import workers on 2 cores, the OS alone has kept this process
    # off the CPU for 0.58 s once. bench/concurrency.py measures the figure.
    assert worst < 1.5, f"event loop blocked for {worst:.2f}s"


async def test_worker_is_killed_on_timeout_and_replaced() -> None:
    worker = IsolatedWorker(max_memory_bytes=512 * MB)
    try:
        started = time.monotonic()
        with pytest.raises(WorkerTimeoutError):
            await worker.run(1.0, time.sleep, 60)
        assert time.monotonic() - started < 5
        assert await worker.run(10.0, sum, [1, 2, 3]) == 6
    finally:
        await worker.close()


async def test_worker_memory_is_capped() -> None:
    worker = IsolatedWorker(max_memory_bytes=512 * MB)
    try:
        with pytest.raises(WorkerMemoryError):
            await worker.run(10.0, bytearray, 2 * 1024 * MB)
        # The child's own peak, asked of the child: RUSAGE_CHILDREN would be the largest
        # child this test process ever reaped, whatever earlier tests ran.
        peak = await worker.run(5.0, peak_rss_kib)
    finally:
        await worker.close()
    assert peak < 600 * 1024  # KiB


async def test_docx_bomb_is_refused_in_seconds_in_bounded_memory(kb: KnowledgeBase) -> None:
    data = docx_bomb()
    started = time.monotonic()
    with pytest.raises(KnowledgeImportError, match="解压后内容过大"):
        await kb.import_bytes("通知.docx", data)
    assert time.monotonic() - started < 10  # includes starting the worker
    peak = await kb._worker.run(5.0, peak_rss_kib)
    await kb.close()
    assert peak < 600 * 1024  # KiB, the worker's own peak
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1500 * 1024


async def test_stop_imports_aborts_at_once_and_keeps_the_old_version(
    kb: KnowledgeBase, conn: aiosqlite.Connection
) -> None:
    await kb.import_bytes("办法.txt", policy_text(20_000, seed=1))
    before = await kb.list_documents()
    task = asyncio.ensure_future(kb.import_bytes("办法.txt", policy_text(5 * MB, seed=2)))
    await asyncio.sleep(2)  # the worker is parsing
    started = time.monotonic()
    kb.stop_imports()
    with pytest.raises(KnowledgeImportError) as caught:
        await task
    assert str(caught.value) == IMPORT_INTERRUPTED
    assert time.monotonic() - started < 1
    assert await kb.list_documents() == before


async def test_abandoned_write_leaves_nothing_half_written(
    kb: KnowledgeBase, conn: aiosqlite.Connection
) -> None:
    old = await kb.import_bytes("办法.txt", policy_text(20_000, seed=1))
    passages_before = len(await kb_repo.load_passages(conn))
    sections = [
        kb_repo.NewSection(
            ("一、总则",),
            "正文",
            [
                kb_repo.NewPassage(f"第{i}段", "《办法》", "办法", "总则", "办法")
                for i in range(10)
            ],
        )
    ] * 5
    calls = 0

    def keep_going() -> bool:
        nonlocal calls
        calls += 1
        return calls < 4

    with pytest.raises(kb_repo.WriteAbandonedError):
        await kb_repo.replace_document(
            conn,
            filename="办法.txt",
            title=old.title,
            sha256="x",
            imported_at="2024-01-01T00:00:00+00:00",
            sections=sections,
            batch_rows=4,
            keep_going=keep_going,
        )
    assert calls == 4  # three batches written, each its own transaction, then abandoned
    assert [d.doc_id for d in await kb.list_documents()] == [old.doc_id]
    assert len(await kb_repo.load_passages(conn)) == passages_before
    async with conn.execute("SELECT COUNT(*) FROM kb_documents") as cur:
        assert (await cur.fetchone())[0] == 1  # type: ignore[index]


async def test_unfinished_document_is_hidden_and_purged_at_open(
    conn: aiosqlite.Connection,
) -> None:
    doc_id = await kb_repo.start_document(
        conn, filename="半截.txt", title="半截", sha256="x", imported_at="t"
    )
    passage = kb_repo.NewPassage("电动自行车停放", "《半截》", "电动 自行车 停放", "半截", "x")
    await kb_repo.write_sections(conn, doc_id, [kb_repo.NewSection((), "x", [passage])], "t")
    assert await kb_repo.load_passages(conn) == []
    assert await kb_repo.list_documents(conn) == []
    kb = await KnowledgeBase.open(conn, load_faq=False)
    await kb.close()
    async with conn.execute("SELECT COUNT(*) FROM kb_passages") as cur:
        assert (await cur.fetchone())[0] == 0  # type: ignore[index]


@pytest.mark.parametrize(("rows", "sizes"), [(500, [3, 700, 2]), (4, [10, 1, 1, 3]), (2, [1, 1])])
def test_batches_stay_within_the_row_budget(rows: int, sizes: list[int]) -> None:
    p = kb_repo.NewPassage("a", "s", "a", "s", "a")
    sections = [kb_repo.NewSection((), "x", [p] * n) for n in sizes]
    batches = list(kb_repo._batches(sections, rows))
    seen: set[int] = set()
    covered: dict[int, int] = {}
    for batch in batches:
        cost = 0
        for ordinal, _, first, end in batch:
            cost += (ordinal not in seen) + (end - first)
            seen.add(ordinal)
            assert covered.get(ordinal, 0) == first
            covered[ordinal] = end
        assert cost <= max(rows, 2)
    assert covered == dict(enumerate(sizes))
