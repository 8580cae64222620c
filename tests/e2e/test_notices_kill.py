"""The kill case: a real `resident-bot run` process, SIGKILLed in the middle of a 1,000-chat
notice and restarted. Every chat is served; a chat served twice is one the report flags
可能重复 (its request was in flight at the kill); nothing is lost.

The rate is raised (200/s with paid broadcasts) so the notice takes seconds, not half a
minute; each chat gets one message, so the per-group limit (18 a minute) never binds.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli.broadcast import queue
from bot.config import load_settings
from bot.delivery_worker import DeliveryLimits
from bot.local_api import Chat, LocalBotApi
from knowledge.notices.service import NoticeReport, NoticeService
from storage import chats_repo
from storage.db import DatabaseHandle, open_database
from tests.e2e.conftest import ADMIN, TOKEN
from tests.subprocess_env import bot_env

CHATS = 1000
KILL_AFTER = 300
TEXT = "【停水通知】明天 9:00–12:00 停水，请提前储水。"
GROUPS = [Chat(id=-1002000000000 - i, type="supergroup", title=f"{i}号楼群") for i in range(CHATS)]


@pytest.fixture
async def strict_api() -> AsyncIterator[LocalBotApi]:
    """A server that answers "chat not found" for any chat it was not told about."""
    server = LocalBotApi(token=TOKEN, strict_chats=True)
    await server.start()
    try:
        for group in GROUPS:
            server.state.remember(group)
        server.private_chat(ADMIN)  # the report goes there
        yield server
    finally:
        await server.stop()


async def _seed(path: Path) -> None:
    conn = await open_database(path)
    try:
        await conn.execute("BEGIN")
        for group in GROUPS:
            await chats_repo.upsert_chat(conn, group.id, group.type, group.title, "member")
        await conn.execute("COMMIT")
    finally:
        await conn.close()


async def _start_bot(env: dict[str, str], cwd: Path, log: Path) -> asyncio.subprocess.Process:
    # A file, not a pipe: nobody reads the log while the bot runs, and a full pipe blocks it.
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=cwd, env=env, stdout=out, stderr=out
        )


def _delivered(api: LocalBotApi) -> Counter[int]:
    """Chat id → successful sendMessage calls to it (one per message that arrived)."""
    return Counter(
        int(c.params["chat_id"])
        for c in api.calls
        if c.method == "sendMessage" and c.ok and c.params.get("text") == TEXT
    )


async def _wait_delivered(api: LocalBotApi, count: int, timeout: float) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    position = seen = 0
    while seen < count:
        for call in api.calls[position:]:
            seen += call.method == "sendMessage" and call.ok
        position = len(api.calls)
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"only {seen}/{count} sends within {timeout}s")
        await api.state.calls_changed.wait(remaining)


async def _finished(service: NoticeService, notice_id: int, timeout: float) -> NoticeReport:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        report = await service.notice_report(notice_id)
        assert report is not None
        if report.done and report.notice.finished_at:
            return report
        if loop.time() > deadline:
            raise AssertionError(f"notice not finished within {timeout}s: {report}")
        await asyncio.sleep(0.1)


async def test_sigkill_mid_notice_loses_nothing_and_names_the_in_flight(
    strict_api: LocalBotApi, seeded_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api = strict_api
    await _seed(seeded_db)
    env = bot_env(
        seeded_db,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api.base_url,
        RESIDENT_BOT_STAFF=str(ADMIN.id),
        RESIDENT_BOT_SEND_RATE="200",
        RESIDENT_BOT_ALLOW_PAID_BROADCAST="1",
    )
    log = tmp_path / "bot.log"
    proc = await _start_bot(env, tmp_path, log)
    restarted: asyncio.subprocess.Process | None = None
    database = DatabaseHandle(str(seeded_db))
    try:
        await api.wait_for_call("deleteWebhook", timeout=30)  # polling has started
        # The CLI, in this process, on the bot's database: it only queues.
        args = argparse.Namespace(
            text=TEXT, target="all", pin=False, urgent=False, report_to=ADMIN.id
        )
        assert await queue(load_settings(env, dotenv=None), args) == 0
        notice_id = int(capsys.readouterr().out.split()[0])

        await _wait_delivered(api, KILL_AFTER, timeout=15)
        proc.send_signal(signal.SIGKILL)
        assert await proc.wait() == -signal.SIGKILL
        before = _delivered(api)
        conn = await database.get()
        async with conn.execute(
            "SELECT chat_id FROM outbox WHERE notice_id = ? AND status = 'sending'", (notice_id,)
        ) as cur:
            in_flight = {int(r[0]) async for r in cur}
        assert KILL_AFTER <= sum(before.values()) < CHATS, "killed too late to mean anything"
        assert len(in_flight) <= DeliveryLimits().max_in_flight

        restart_mark = api.mark()
        restarted = await _start_bot(env, tmp_path, log)
        await api.wait_for_call("deleteWebhook", timeout=30, after=restart_mark)
        service = NoticeService(database)
        report = await _finished(service, notice_id, timeout=20)
        # The report reaches the sender and names the chats sent twice perhaps.
        message = await api.next_message(ADMIN.id, timeout=5)
    finally:
        for process in (proc, restarted):
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()
        await database.close()

    delivered = _delivered(api)
    twice = {chat for chat, n in delivered.items() if n > 1}
    flagged = set(report.possibly_duplicate)
    print(
        f"sent before kill {sum(before.values())}, in flight at kill {len(in_flight)},"
        f" served twice {len(twice)}, flagged 可能重复 {len(flagged)}"
    )
    assert {g.id for g in GROUPS} == set(delivered), "a chat was never served (lost)"
    assert max(delivered.values()) <= 2
    assert twice <= flagged == in_flight  # duplicates only among the in-flight rows
    assert (report.total, report.sent, report.failed, report.skipped) == (CHATS, CHATS, 0, 0)
    if flagged:
        assert f"可能重复：{len(flagged)} 个" in message["text"]
    assert "Traceback" not in log.read_text(encoding="utf-8")
