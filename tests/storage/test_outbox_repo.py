"""The outbox on a real SQLite: states, crash recovery, cancel, notices and reports."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiosqlite
import pytest

from knowledge.notices.service import NoticeService
from knowledge.notices.targets import Target
from storage import chats_repo, outbox_repo
from storage.clock import utc_now
from storage.db import DatabaseHandle, transaction


@pytest.fixture
async def handle(tmp_path: Path) -> AsyncIterator[DatabaseHandle]:
    database = DatabaseHandle(str(tmp_path / "outbox.db"))
    yield database
    await database.close()


@pytest.fixture
async def conn(handle: DatabaseHandle) -> aiosqlite.Connection:
    conn = await handle.get()
    for chat_id, community, building in [
        (-1001, "幸福小区", "3"),
        (-1002, "幸福小区", "5"),
        (-1003, "和平小区", None),
    ]:
        await chats_repo.upsert_chat(conn, chat_id, "supergroup", f"群{chat_id}", "member")
        await chats_repo.bind_chat(conn, chat_id, community, community, building)
    await chats_repo.upsert_chat(conn, -1004, "supergroup", "已退出的群", "kicked")
    await chats_repo.upsert_chat(conn, 42, "private", None, "member")
    return conn


async def test_states_from_queued_to_sent(conn: aiosqlite.Connection) -> None:
    assert await outbox_repo.enqueue(conn, [(-1001, {"text": "停水"})], kind="broadcast") == 1
    (row,) = await outbox_repo.due_rows(conn, limit=10)
    assert (row.status, row.payload, row.attempts) == ("queued", {"text": "停水"}, 0)
    assert await outbox_repo.mark_sending(conn, row.id)
    assert not await outbox_repo.mark_sending(conn, row.id)  # claimed once
    assert await outbox_repo.due_rows(conn, limit=10) == []
    await outbox_repo.mark_sent(conn, row.id, 77)
    sent = await outbox_repo.get_row(conn, row.id)
    assert sent is not None
    assert (sent.status, sent.message_id, sent.attempts) == ("sent", 77, 1)


async def test_requeue_429_gives_the_attempt_back_and_waits(conn: aiosqlite.Connection) -> None:
    await outbox_repo.enqueue(conn, [(-1001, {"text": "x"})], kind="broadcast")
    (row,) = await outbox_repo.due_rows(conn, limit=1)
    await outbox_repo.mark_sending(conn, row.id)
    later = utc_now() + timedelta(seconds=30)
    await outbox_repo.requeue(conn, row.id, not_before=later, count_attempt=False)
    assert await outbox_repo.due_rows(conn, limit=1) == []
    (again,) = await outbox_repo.due_rows(conn, limit=1, now=later)
    assert (again.attempts, again.status) == (0, "queued")


async def test_recover_in_flight_flags_possible_duplicates(conn: aiosqlite.Connection) -> None:
    await outbox_repo.enqueue(conn, [(-1001, {}), (-1002, {}), (-1003, {})], kind="broadcast")
    rows = await outbox_repo.due_rows(conn, limit=10)
    await outbox_repo.mark_sending(conn, rows[0].id)
    await outbox_repo.mark_sent(conn, rows[0].id, 1)
    await outbox_repo.mark_sending(conn, rows[1].id)  # in flight at the "kill"
    recovered = await outbox_repo.recover_in_flight(conn)
    assert [r.chat_id for r in recovered] == [-1002]
    due = await outbox_repo.due_rows(conn, limit=10)
    assert [(r.chat_id, r.possibly_duplicate) for r in due] == [(-1002, True), (-1003, False)]


async def test_urgent_first_and_excluded_chats(conn: aiosqlite.Connection) -> None:
    await outbox_repo.enqueue(conn, [(-1001, {}), (-1002, {})], kind="broadcast")
    await outbox_repo.enqueue(conn, [(-1003, {})], kind="broadcast", priority=10)
    due = await outbox_repo.due_rows(conn, limit=10, exclude_chats=[-1002])
    assert [r.chat_id for r in due] == [-1003, -1001]


async def test_old_foundation_rows_keep_working(conn: aiosqlite.Connection) -> None:
    await conn.execute(
        "INSERT INTO outbox (chat_id, kind, payload, not_before, created_at)"
        " VALUES (-1001, 'notification', '{\"text\": \"旧\"}', '2020-01-01T00:00:00+00:00',"
        " '2020-01-01T00:00:00+00:00')"
    )
    await conn.execute("UPDATE outbox SET status = 'queued' WHERE status = 'pending'")
    (row,) = await outbox_repo.due_rows(conn, limit=10)
    assert (row.kind, row.notice_id) == ("notification", None)


async def test_notice_targets_cancel_and_report(
    handle: DatabaseHandle, conn: aiosqlite.Connection
) -> None:
    queued: list[bool] = []
    service = NoticeService(handle, on_queued=lambda: queued.append(True))
    assert await service.resolve(Target.all()) == [-1003, -1002, -1001]
    assert await service.resolve(Target.parse("community:幸福小区")) == [-1002, -1001]
    assert await service.resolve(Target.parse("building:幸福小区/3号楼")) == [-1001]
    assert await service.resolve(Target.parse("chat:42,-1001+building:幸福小区/3")) == [42, -1001]
    notice_id = await service.create_notice(
        text="明天停水",
        kind="broadcast",
        target=Target.parse("community:幸福小区+chat:42"),
        topic=None,
        urgent=True,
        pin=False,
        created_by=900,
        ref=None,
        private_footer="退订：/unsubscribe",
    )
    assert queued == [True]
    rows = await outbox_repo.rows_of_notice(conn, notice_id)
    assert {r.chat_id: r.payload["text"] for r in rows} == {
        -1002: "明天停水",
        -1001: "明天停水",
        42: "明天停水\n\n退订：/unsubscribe",
    }
    assert {r.priority for r in rows} == {10}
    first = rows[0]
    await outbox_repo.mark_sending(conn, first.id)
    await outbox_repo.mark_sent(conn, first.id, 5)
    second = rows[1]
    await outbox_repo.mark_sending(conn, second.id)
    await outbox_repo.mark_failed(conn, second.id, "kicked")
    assert await service.cancel_notice(notice_id, by=900) == 1
    assert await service.cancel_notice(notice_id, by=900) is None
    report = await service.notice_report(notice_id)
    assert report is not None
    assert (report.total, report.sent, report.failed, report.skipped) == (3, 1, 1, 1)
    assert report.done
    assert report.reasons == {"kicked": 1}
    assert report.notice.state == "cancelled"
    assert [n.id for n in await service.unreported()] == [notice_id]


async def test_notice_without_recipients_is_done(
    handle: DatabaseHandle, conn: aiosqlite.Connection
) -> None:
    service = NoticeService(handle)
    notice_id = await service.create_notice(
        text="x",
        kind="reminder",
        target=Target.parse("community:无此小区"),
        topic="消防安全",
        urgent=False,
        pin=False,
        created_by=0,
        ref="reminder:1",
    )
    notice = await service.get_notice(notice_id)
    assert notice is not None
    assert (notice.state, notice.total) == ("done", 0)


async def test_a_rollback_elsewhere_does_not_undo_a_row_marked_sent(
    conn: aiosqlite.Connection,
) -> None:
    """The worker marks a row sent while another coroutine's transaction is open on the
    shared connection and then rolls back: the mark waits for it and stays (as part of
    that transaction it was undone, and the row would have been sent again)."""
    await outbox_repo.enqueue(conn, [(-1001, {"text": "停水"})], kind="broadcast")
    (row,) = await outbox_repo.due_rows(conn, limit=1)
    assert await outbox_repo.mark_sending(conn, row.id)
    opened, marking = asyncio.Event(), asyncio.Event()

    async def failing_transaction() -> None:
        async with transaction(conn):
            await conn.execute("DELETE FROM chats WHERE chat_id = 42")
            opened.set()
            await marking.wait()
            await asyncio.sleep(0.05)  # the mark, if it ran now, would join this transaction
            raise ValueError("something failed inside")

    other = asyncio.create_task(failing_transaction())
    await opened.wait()
    mark = asyncio.create_task(outbox_repo.mark_sent(conn, row.id, 77))
    marking.set()
    with pytest.raises(ValueError, match="failed inside"):
        await other
    await mark
    sent = await outbox_repo.get_row(conn, row.id)
    assert sent is not None
    assert (sent.status, sent.message_id) == ("sent", 77)
    async with conn.execute("SELECT count(*) FROM chats WHERE chat_id = 42") as cur:
        assert (await cur.fetchone())[0] == 1  # the failed transaction rolled back
