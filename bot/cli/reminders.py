"""`resident-bot reminders list|add|pause|resume|delete`: manage scheduled reminders.

Times are read in the configured timezone (RESIDENT_BOT_TZ). The running bot picks a new
or changed reminder up at its next tick (within 30 s): the database is the schedule.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timedelta
from typing import Any

from bot.config import Settings
from knowledge.notices.reminders import TOPICS, ReminderError, ReminderService
from knowledge.notices.schedules import (
    ScheduleError,
    ScheduleKind,
    parse_quiet_hours,
    parse_schedule,
)
from knowledge.notices.service import NoticeService
from storage.clock import utc_now
from storage.db import DatabaseHandle

_KINDS = [k.value for k in ScheduleKind]


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    rem = sub.add_parser("reminders", help="定时提醒 / scheduled reminders")
    rem.set_defaults(handler=reminders_main)
    rsub = rem.add_subparsers(dest="reminders_command", required=True)
    rsub.add_parser("list", help="列出提醒及下次时间 / list with next run")
    add = rsub.add_parser("add", help="新建提醒 / add a reminder")
    add.add_argument("--text", required=True, help="提醒内容 / the text")
    when = add.add_mutually_exclusive_group(required=True)
    when.add_argument("--daily", metavar="HH:MM", help="每天 / every day")
    when.add_argument("--weekly", metavar="MON,THU@HH:MM", help="每周几 / chosen weekdays")
    when.add_argument("--monthly", metavar="D@HH:MM", help="每月几号 / a day of the month")
    when.add_argument("--cron", metavar='"M H DOM MON DOW"', help="cron 表达式 / crontab")
    when.add_argument("--once", metavar='"YYYY-MM-DD HH:MM[:SS]"', help="一次 / once")
    add.add_argument(
        "--target", default="all", help="all | community:小区 | building:小区/楼栋 | chat:ID,..."
    )
    add.add_argument("--topic", default=TOPICS[0], choices=TOPICS, help="主题 / topic")
    add.add_argument(
        "--urgent", action="store_true", help="不受免打扰时段限制 / ignore quiet hours"
    )
    add.add_argument(
        "--grace-minutes", type=int, default=60, help="错过后多久内补发 / grace period (min)"
    )
    for name, helptext in (
        ("pause", "暂停 / pause"),
        ("resume", "恢复 / resume"),
        ("delete", "删除 / delete"),
    ):
        p = rsub.add_parser(name, help=helptext)
        p.add_argument("reminder_id", type=int)


def reminders_main(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_run(settings, args))


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    database = DatabaseHandle(settings.db_path)
    service = ReminderService(
        database,
        NoticeService(database),
        settings.timezone,
        parse_quiet_hours(settings.quiet_hours),
    )
    try:
        return await _command(service, settings, args)
    finally:
        await database.close()


async def _command(service: ReminderService, settings: Settings, args: argparse.Namespace) -> int:
    command = args.reminders_command
    if command == "list":
        views = await service.list_all()
        if not views:
            print("没有提醒 / no reminders")
        for v in views:
            r = v.reminder
            upcoming = (
                v.next_run.astimezone(settings.timezone).strftime("%Y-%m-%d %H:%M")
                if v.next_run
                else "-"
            )
            state = "enabled" if r.enabled else "paused"
            print(
                f"#{r.id}\t{state}\t{r.schedule_kind} {r.spec}\tnext {upcoming}\t"
                f"{r.topic}\t{r.target}\t{' '.join(r.text.split())[:40]}"
            )
        return 0
    if command == "add":
        kind = next(k for k in _KINDS if getattr(args, k) is not None)
        try:
            schedule = parse_schedule(kind, getattr(args, kind), settings.timezone)
            rid = await service.add(
                schedule=schedule,
                target=args.target,
                topic=args.topic,
                text=args.text,
                created_by=None,
                urgent=args.urgent,
                grace=timedelta(minutes=max(0, args.grace_minutes)),
            )
        except (ScheduleError, ReminderError) as exc:
            print(f"错误 / error: {exc}", file=sys.stderr)
            return 2
        first = schedule.next_run(utc_now())
        upcoming = first.strftime("%Y-%m-%d %H:%M") if first else "-"
        print(f"{rid}\tnext {upcoming}")
        return 0
    rid = args.reminder_id
    if await service.get(rid) is None:
        print(f"没有提醒 #{rid} / no reminder #{rid}", file=sys.stderr)
        return 1
    if command == "pause":
        await service.pause(rid)
    elif command == "resume":
        await service.resume(rid)
    else:
        await service.delete(rid)
    print(f"{command} #{rid}: ok")
    return 0
