"""Hostile uploads from a staff account: refused fast with a plain message; SIGTERM still wins.

A 0.9 MB `.docx` inflating to 250 MB of XML once ran for 9 minutes at 2.4 GB and ignored
SIGTERM; a 5 MB text file made residents wait 28.8 s.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path
from typing import Any

import aiosqlite

from bot.local_api import LocalBotApi
from handlers.qa import texts as t
from tests.e2e.conftest import ADMIN, RESIDENT, TOKEN, rows
from tests.knowledge.qa.test_import_isolation import policy_text
from tests.knowledge.test_upload_limits import docx_bomb, pdf_pages
from tests.subprocess_env import bot_env

MB = 1024 * 1024


async def _upload(api: LocalBotApi, filename: str, data: bytes) -> dict[str, Any]:
    """ADMIN sends a document; returns the bot's final reply (after “importing”)."""
    chat = api.private_chat(ADMIN)
    api.send_document(chat, ADMIN, filename, data)
    first = await api.next_message(chat.id, timeout=15)
    if first["text"] != t.IMPORTING.format(name=filename):
        return first
    return await api.next_message(chat.id, timeout=30)


async def test_docx_bomb_is_refused_within_seconds(
    api: LocalBotApi, bot: Any, db: aiosqlite.Connection
) -> None:
    data = docx_bomb()
    assert len(data) < MB
    started = time.monotonic()
    reply = await _upload(api, "社区通知.docx", data)
    assert time.monotonic() - started < 10
    assert reply["text"].startswith("❌ 导入失败：文件解压后内容过大（超过 50 MB）")
    assert await rows(db, "SELECT COUNT(*) FROM kb_documents") == [(0,)]
    # The bot still answers residents.
    chat = api.private_chat(RESIDENT)
    api.send_text(chat, RESIDENT, "/help")
    assert await api.next_message(chat.id, timeout=5)


async def test_pdf_with_too_many_pages_is_refused(
    api: LocalBotApi, bot: Any, db: aiosqlite.Connection
) -> None:
    reply = await _upload(api, "汇编.pdf", pdf_pages(301))
    assert reply["text"] == (
        "❌ 导入失败：PDF 文件页数过多（301 页），最多只能导入 300 页。"
        "请拆分成几个较小的文件后再导入。"
    )
    assert await rows(db, "SELECT COUNT(*) FROM kb_documents") == [(0,)]


async def test_sigterm_during_a_slow_import_exits_cleanly_within_5s(
    api: LocalBotApi, tmp_path: Path
) -> None:
    env = bot_env(
        tmp_path / "live.db",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api.base_url,
        RESIDENT_BOT_STAFF=str(ADMIN.id),
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await api.wait_for_call("deleteWebhook", timeout=30)
        chat = api.private_chat(ADMIN)
        api.send_document(chat, ADMIN, "综合管理办法.txt", policy_text(5 * MB))
        importing = await api.next_message(chat.id, timeout=15)
        assert importing["text"] == t.IMPORTING.format(name="综合管理办法.txt")
        await asyncio.sleep(1.5)  # the worker is parsing (about 6 s for this file)
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        _, stderr = await asyncio.wait_for(proc.communicate(), timeout=20)
        elapsed = time.monotonic() - started
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    log = stderr.decode()
    assert proc.returncode == 0, log
    assert elapsed < 5, f"stopped {elapsed:.1f}s after SIGTERM\n{log}"
    assert "Traceback" not in log
