"""`resident-bot run | start | console`: the live bot, or the offline console without a token."""

from __future__ import annotations

import argparse
import asyncio
import logging
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
    # run_polling handles SIGINT/SIGTERM itself: it stops polling, finishes the update in
    # hand, runs post_shutdown (closing the database) and returns.
    app.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)
    logger.info("Stopped")
    return 0
