"""`resident-bot run | start | console`: the live bot, or the offline console without a token."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from bot.config import Settings

logger = logging.getLogger("bot")

NO_TOKEN = (
    "没有设置 TELEGRAM_BOT_TOKEN，无法连接 Telegram。\n"
    "想先在终端里体验机器人，请运行：resident-bot console\n"
    "No TELEGRAM_BOT_TOKEN set. To try the bot offline, run: resident-bot console"
)


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    run = sub.add_parser("run", help="运行真实机器人（长轮询）/ run the live bot (long polling)")
    run.set_defaults(handler=run_command)
    start = sub.add_parser(
        "start",
        help="有 token 运行真实机器人，否则进入离线控制台 / run if a token is set, else console",
    )
    start.add_argument("--files", default="console-files", help=argparse.SUPPRESS)
    start.set_defaults(handler=start_bot)
    console = sub.add_parser("console", help="离线终端对话 / chat with the bot offline")
    console.add_argument("--files", default="console-files", help="机器人发送的文件保存到这里")
    console.set_defaults(handler=console_command)


def run_command(settings: Settings, args: argparse.Namespace) -> int:
    return run_live(settings)


def start_bot(settings: Settings, args: argparse.Namespace) -> int:
    if settings.token is not None:
        return run_live(settings)
    return console_command(settings, args)


def console_command(settings: Settings, args: argparse.Namespace) -> int:
    from bot.console import run_console

    return asyncio.run(run_console(settings, Path(args.files)))


def run_live(settings: Settings) -> int:
    if settings.token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    from telegram import Update

    from bot.application import build_application

    app = build_application(settings)

    def stop_now() -> None:
        # Application.stop() waits for the updates in hand, and a document import in hand
        # may take a minute: kill its worker process first, so SIGTERM stops the bot within
        # seconds whatever it is doing (the import reports it was interrupted; the old
        # version of the document stays).
        if app.services.kb is not None:
            app.services.kb.stop_imports()
        raise SystemExit

    # Our own signal handlers instead of run_polling's, which only raise SystemExit; after
    # it, run_polling stops polling, finishes the updates in hand, runs post_shutdown
    # (closing the database) and returns.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGABRT):
        loop.add_signal_handler(sig, stop_now)
    app.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False, stop_signals=None)
    logger.info("Stopped")
    return 0
