"""`resident-bot broadcast "text" [--target SPEC] [--pin] [--urgent]`: queue a notice.

It only writes the database; the running bot's delivery worker looks for new outbox rows
every second and sends them within the limits. Prints the notice's id.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.config import Settings


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser(
        "broadcast", help="发布通知（由运行中的机器人发送）/ queue a notice for the running bot"
    )
    parser.add_argument("text", help="通知内容 / the notice text")
    parser.add_argument(
        "--target",
        default="all",
        help="all | community:小区 | building:小区/楼栋 | chat:ID,ID | subscribers:主题"
        "（用 + 合并 / join with +），默认 all",
    )
    parser.add_argument("--pin", action="store_true", help="在群里置顶 / pin in groups")
    parser.add_argument("--urgent", action="store_true", help="紧急：优先发送 / send first")
    parser.add_argument(
        "--report-to",
        type=int,
        default=0,
        metavar="USER_ID",
        help="完成后把送达报告私信给此工作人员 / send the report to this staff member",
    )
    parser.set_defaults(handler=broadcast_command)


def broadcast_command(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(queue(settings, args))


async def queue(settings: Settings, args: argparse.Namespace) -> int:
    from knowledge.notices.service import NoticeService
    from knowledge.notices.targets import Target, TargetError
    from storage.db import DatabaseHandle

    text = args.text.strip()
    if not text or len(text) > 4096:
        print("通知内容应为 1–4096 字 / text must be 1–4096 characters", file=sys.stderr)
        return 2
    try:
        target = Target.parse(args.target)
    except TargetError as exc:
        print(f"发送范围无效 / bad --target: {exc}", file=sys.stderr)
        return 2
    database = DatabaseHandle(settings.db_path)
    excluded = {settings.staff_chat_id} if settings.staff_chat_id is not None else set()
    service = NoticeService(database, exclude_chat_ids=frozenset(excluded))
    try:
        notice_id = await service.create_notice(
            text=text,
            kind="broadcast",
            target=target,
            topic=None,
            urgent=args.urgent,
            pin=args.pin,
            created_by=args.report_to,
            ref="cli",
        )
        notice = await service.get_notice(notice_id)
    finally:
        await database.close()
    total = notice.total if notice else 0
    print(notice_id)
    print(f"已排队 {total} 个聊天 / queued for {total} chats", file=sys.stderr)
    return 0
