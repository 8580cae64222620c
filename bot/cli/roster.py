"""`resident-bot roster ...`: import the household register from CSV/XLSX, export it."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.cli import roster_codes
from bot.cli.output import csv_to_stdout, spreadsheet_format
from bot.config import Settings
from knowledge.spreadsheet import write_spreadsheet


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    roster = sub.add_parser("roster", help="房屋名册 / household register")
    roster.set_defaults(handler=roster_main)
    roster_sub = roster.add_subparsers(dest="roster_command", required=True)
    imp = roster_sub.add_parser(
        "import", help="从 CSV/XLSX 导入房屋名册（全部正确才写入）/ import the register"
    )
    imp.add_argument("file", type=Path, metavar="FILE", help=".csv 或 .xlsx")
    imp.add_argument("--community", metavar="NAME", help="文件没有“小区”列时用这个小区名")
    imp.add_argument("--dry-run", action="store_true", help="只检查、显示汇总，不写入")
    imp.add_argument(
        "--replace",
        action="store_true",
        help="文件里没有的房屋从该小区删除（有绑定账号的房屋除外）/ remove rooms not in the file",
    )
    roster_codes.add_parser(roster_sub)
    export = roster_sub.add_parser(
        "export", help="导出房屋名册（默认 CSV 到标准输出）/ export the register"
    )
    export.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="输出文件：.csv 或 .xlsx"
    )
    export.add_argument("--community", metavar="NAME", help="只导出这个小区")
    export.add_argument("--with-contact", action="store_true", help="电话不打码 / phones unmasked")


def roster_main(settings: Settings, args: argparse.Namespace) -> int:
    if args.roster_command == "import":
        try:
            data = args.file.read_bytes()
        except OSError as exc:
            print(f"无法读取文件 {args.file}: {exc}", file=sys.stderr)
            return 1
        return asyncio.run(_import(settings, args, data))
    if args.roster_command != "export":
        print(f"未知的命令 roster {args.roster_command}", file=sys.stderr)
        return 2
    output: Path | None = args.output
    if output is not None and spreadsheet_format(output) is None:
        return 2
    return asyncio.run(_export(settings, args))


async def _import(settings: Settings, args: argparse.Namespace, data: bytes) -> int:
    from knowledge.households.roster_service import (
        CLI_ACTOR,
        RosterImportError,
        apply_import,
        plan_import,
    )
    from storage.db import open_database

    conn = await open_database(settings.db_path)
    try:
        plan = await plan_import(conn, data, args.file.name, args.community, args.replace)
        for warning in plan.warnings:
            print(f"提示：{warning}", file=sys.stderr)
        if plan.errors:
            for error in plan.errors:
                print(error, file=sys.stderr)
            print(
                f"共 {len(plan.errors)} 处错误，未写入任何数据 / nothing was written",
                file=sys.stderr,
            )
            return 1
        if args.dry_run:
            print(f"检查通过（试运行，未写入）：{plan.counts.describe(args.replace)}")
            return 0
        try:
            done = await apply_import(conn, plan, CLI_ACTOR)
        except RosterImportError as exc:
            for error in exc.errors:
                print(error, file=sys.stderr)
            return 1
        print(f"导入完成：{done.describe(args.replace)}")
        return 0
    finally:
        await conn.close()


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    from knowledge.households.roster_export import roster_sheet
    from knowledge.households.roster_service import CLI_ACTOR
    from storage.db import open_database

    conn = await open_database(settings.db_path)
    try:
        community = args.community
        sheet = await roster_sheet(conn, community, args.with_contact, actor_id=CLI_ACTOR)
    finally:
        await conn.close()
    if args.output is None:
        csv_to_stdout(sheet)
        return 0
    try:
        write_spreadsheet(args.output, [sheet])
    except OSError as exc:
        print(f"导出失败 / export failed: {exc}", file=sys.stderr)
        return 1
    print(f"已导出房屋名册到 {args.output}", file=sys.stderr)
    return 0
