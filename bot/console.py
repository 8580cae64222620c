"""`resident-bot console`: chat with the real bot offline, through the local Bot API server.

The Application is the same one `run` builds, with the same database; only the network is
the in-process local server. Type as a resident; lines starting with `/` that the console
knows (listed by `/console`) switch identity or chat, everything else goes to the bot.

The console itself (identities, chats, buttons, what is printed) is `console_session`;
its names are re-exported here (`name as name`).
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from bot.application import build_application
from bot.config import Settings
from bot.console_session import GROUP as GROUP
from bot.console_session import HELP as HELP
from bot.console_session import PRINTED as PRINTED
from bot.console_session import RESIDENT as RESIDENT
from bot.console_session import Console as Console
from bot.console_session import recipient as recipient
from bot.local_api import Chat, LocalBotApi
from bot.runtime import running

CONSOLE_TOKEN = "100000:CONSOLE-offline-token"
CONSOLE_STAFF_ID = 900000001
BOT_USERNAME = "community_helper_bot"
STAFF_CHAT_TITLE = "社区工作人员群"


def _stdin_lines() -> asyncio.Queue[str | None]:
    """Lines from standard input, read by a daemon thread so Ctrl-C/EOF never hang the exit."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="console-stdin", daemon=True).start()
    return queue


@asynccontextmanager
async def open_console(
    settings: Settings, files: Path, out: TextIO | None = None, quiet: float = 0.5
) -> AsyncIterator[Console]:
    """The bot running against the local server, and a console on it that has greeted."""
    async with LocalBotApi(
        token=CONSOLE_TOKEN, bot_username=BOT_USERNAME, bot_first_name="社区助手"
    ) as api:
        staff_id = min(settings.admin_ids) if settings.admin_ids else CONSOLE_STAFF_ID
        local = replace(
            settings,
            api_url=api.base_url,
            file_url=api.base_file_url,
            admin_ids=settings.admin_ids | {staff_id},
        )
        if settings.staff_chat_id is not None:
            # Named, so notices to it read `→ 群 社区工作人员群` rather than a bare id.
            api.state.remember(
                Chat(id=settings.staff_chat_id, type="supergroup", title=STAFF_CHAT_TITLE)
            )
        app = build_application(local, token=CONSOLE_TOKEN, rate_limit=False)
        async with running(app):
            console = Console(api, staff_id, files, out=out, quiet=quiet, busy=_busy(app))
            username = api.bot_user["username"]
            console.say(
                f"离线控制台已启动（数据库：{settings.db_path}）。机器人是 @{username}，"
                f"在群里 @{username} 提问。输入 /console 查看控制台命令，/quit 退出。"
                f"试试发送 /start"
            )
            console.cursor = api.mark()
            yield console


def _busy(app: Any) -> Callable[[], bool]:
    processor = app.update_processor

    def busy() -> bool:
        lanes = getattr(processor, "waiting_lanes", 0)
        return bool(app.update_queue.qsize() or lanes or processor.current_concurrent_updates)

    return busy


async def run_console(settings: Settings, files: Path) -> int:
    async with open_console(settings, files) as console:
        await console.run(_stdin_lines())
    print("\n再见！")
    return 0
