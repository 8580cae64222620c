"""`resident-bot consult ...`: create, publish, list, close, result, export and verify.

The running bot posts ballots of consultations published here (it looks for them every
few seconds), closes them at the deadline and posts the result.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from bot.config import Settings

TIME_FORMAT = "%Y-%m-%d %H:%M"


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    consult = sub.add_parser("consult", help="业主意见征询 / consultations")
    consult.set_defaults(handler=consult_main)
    c_sub = consult.add_subparsers(dest="consult_command", required=True)
    create = c_sub.add_parser("create", help="新建征询 / create a consultation")
    create.add_argument("--title", required=True)
    create.add_argument("--question", help="问题全文（默认同标题）/ question text")
    create.add_argument("--rule", required=True, help="civil-code-major|civil-code-general|"
                        "double-two-thirds|representatives-60|custom:...")  # fmt: skip
    create.add_argument("--options", default="同意,不同意,弃权", help="选项，逗号分隔")
    create.add_argument("--scope", help="community:小区|building:小区/楼栋,...（默认全部小区）")
    create.add_argument("--opens", help='"YYYY-MM-DD HH:MM"（默认现在）')
    create.add_argument("--closes", required=True, help='"YYYY-MM-DD HH:MM"')
    create.add_argument("--show-tally", action="store_true", help="在群里显示实时计票")
    create.add_argument("--non-voters", choices=["ignore", "majority"], default="ignore")
    publish = c_sub.add_parser("publish", help="发布 / publish")
    publish.add_argument("id", type=int)
    publish.add_argument("--target", help="all|community:小区|building:小区/楼栋|chat:ID,...")
    c_sub.add_parser("list", help="列出 / list")
    close = c_sub.add_parser("close", help="提前结束 / close early")
    close.add_argument("id", type=int)
    result = c_sub.add_parser("result", help="结果 / result")
    result.add_argument("id", type=int)
    result.add_argument("--json", action="store_true")
    export = c_sub.add_parser("export", help="导出征询记录 / export the record")
    export.add_argument("id", type=int)
    export.add_argument("-o", "--output", required=True, type=Path, metavar="FILE")
    verify = c_sub.add_parser("verify", help="校验记录 / verify the chain and the tally")
    verify.add_argument("id", type=int)


def parse_time(raw: str, tz: tzinfo) -> datetime:
    return datetime.strptime(raw.strip(), TIME_FORMAT).replace(tzinfo=tz)


def consult_main(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_run(settings, args))


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from knowledge.consult.service import ConsultService
    from storage.db import DatabaseHandle

    database = DatabaseHandle(settings.db_path)
    try:
        service = ConsultService(database)
        command = args.consult_command
        if command == "create":
            return await _create(service, settings, args)
        if command == "publish":
            return await _publish(service, args)
        if command == "list":
            return await _list(service, settings.timezone)
        if command == "close":
            return await _close(service, args.id)
        if command == "result":
            return await _result(service, args.id, as_json=args.json)
        if command == "export":
            return await _export(service, args.id, args.output, settings.timezone)
        return await _verify(service, args.id)
    finally:
        await database.close()


def _fail(text: str, status: int = 2) -> int:
    print(text, file=sys.stderr)
    return status


async def _create(service: Any, settings: Settings, args: argparse.Namespace) -> int:
    from knowledge.consult.rules import RuleError
    from knowledge.consult.scope import ScopeError
    from knowledge.consult.service import ConsultError, Draft
    from knowledge.consult.tally import NonVoters
    from storage.households_repo import list_communities

    tz = settings.timezone
    try:
        opens = parse_time(args.opens, tz) if args.opens else service.now().astimezone(tz)
        closes = parse_time(args.closes, tz)
    except ValueError:
        return _fail(f'时间格式应为 "YYYY-MM-DD HH:MM" / expected "{TIME_FORMAT}"')
    scope = args.scope
    if not scope:
        communities = await list_communities(await service.database.get())
        scope = ",".join(f"community:{c}" for c in communities)
    draft = Draft(
        title=args.title,
        question=args.question or args.title,
        scope=scope,
        rule=args.rule,
        opens_at=opens,
        closes_at=closes,
        options=tuple(args.options.replace("，", ",").split(",")),
        non_voters=NonVoters(args.non_voters),
        show_tally=args.show_tally,
    )
    try:
        cid = await service.create(draft, 0)
    except (ConsultError, RuleError, ScopeError) as exc:
        return _fail(f"无法创建 / cannot create: {exc}")
    print(f"已创建征询 / created consultation #{cid}: {draft.title}")
    print(cid)
    return 0


async def _publish(service: Any, args: argparse.Namespace) -> int:
    from knowledge.consult.service import ConsultError
    from knowledge.notices.targets import Target, TargetError

    target = None
    if args.target:
        try:
            target = Target.parse(args.target).spec()
        except TargetError as exc:
            return _fail(f"目标无效 / bad target: {exc}")
    try:
        record = await service.publish(args.id, target)
    except ConsultError as exc:
        return _fail(f"无法发布 / cannot publish: {exc}", 1)
    roster = await service.roster(args.id)
    print(
        f"已发布 #{record.id}（{len(roster)} 户）；运行中的机器人将发送投票消息"
        f" / published #{record.id} ({len(roster)} households); the running bot posts the ballot"
    )
    return 0


async def _list(service: Any, tz: tzinfo) -> int:
    from knowledge.consult.service import when

    for c in await service.list_all():
        closes = when(c.closes_at).astimezone(tz).strftime(TIME_FORMAT)
        print(f"#{c.id}\t{c.status}\t{c.rule}\t{closes}\t{c.events}\t{c.title}")
    return 0


async def _close(service: Any, cid: int) -> int:
    record = await service.get(cid)
    if record is None:
        return _fail(f"没有这个征询 / no consultation #{cid}", 1)
    if record.status == "closed":
        return _fail(f"#{cid} 已结束 / already closed", 1)
    result = await service.close(cid, 0, early=True)
    print(f"已结束 #{cid}：" + ("通过" if result.decision.passed else "未通过"))
    print(f"final hash: {result.final_hash}")
    return 0


async def _result(service: Any, cid: int, *, as_json: bool) -> int:
    from knowledge.consult.wording import decision_lines, tally_lines

    result = await service.tally(cid)
    if result is None:
        return _fail(f"没有这个征询 / no consultation #{cid}", 1)
    if as_json:
        print(json.dumps(result.as_json(), ensure_ascii=False))
        return 0
    print(f"#{cid} {result.record.title}（{result.record.status}）")
    for line in [*tally_lines(result.tally), *decision_lines(result.decision, result.tally)]:
        print(line)
    print(f"hash: {result.final_hash}")
    return 0


async def _export(service: Any, cid: int, output: Path, tz: tzinfo) -> int:
    from knowledge.consult.export import FORMATS, write_record

    if output.suffix.lower() not in FORMATS:
        return _fail("输出文件名请以 .csv、.xlsx 或 .md 结尾 / use .csv, .xlsx or .md")
    record = await service.record(cid, tz)
    if record is None:
        return _fail(f"没有这个征询 / no consultation #{cid}", 1)
    try:
        write_record(record, output)
    except OSError as exc:
        return _fail(f"导出失败 / export failed: {exc}", 1)
    print(f"已导出征询记录 #{cid} 到 {output} / exported")
    return 0


async def _verify(service: Any, cid: int) -> int:
    check = await service.verify(cid)
    if check.ok:
        record = await service.get(cid)
        head = record.final_hash or record.head_hash if record else ""
        print(f"校验通过 / OK: #{cid} hash {head}")
        return 0
    print(f"校验失败 / FAILED: #{cid}: {check.problem}", file=sys.stderr)
    print(f"FAILED: {check.problem}")
    return 1
