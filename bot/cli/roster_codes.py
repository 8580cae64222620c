"""`resident-bot roster codes`: one-time binding codes for every room, to print and hand out.

CSV on standard output (`小区,楼栋,单元,房号,绑定码`) or, with `-o FILE.xlsx`, a sheet staff
print and cut into slips, each with its deep link `t.me/<bot>?start=bind-<code>`. A run
revokes each room's unused code from the previous run; links already made stay.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram.helpers import create_deep_linked_url

from bot.cli.output import csv_to_stdout, spreadsheet_format
from bot.config import Settings
from knowledge.spreadsheet import Sheet, SpreadsheetFormat
from knowledge.spreadsheet import write_spreadsheet as write_file

CSV_HEADERS = ("小区", "楼栋", "单元", "房号", "绑定码")
XLSX_HEADERS = ("小区", "楼栋", "单元", "房号", "绑定码", "绑定链接", "有效期至")
XLSX_WIDTHS = (14, 8, 6, 8, 14, 52, 12)


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    """Adds `codes` to the `roster` group's subcommands."""
    codes = sub.add_parser(
        "codes", help="生成一次性绑定码（每户一个，旧的未用码作废）/ issue binding codes"
    )
    codes.set_defaults(handler=codes_main)
    codes.add_argument("--community", metavar="C", help="只为这个小区生成")
    codes.add_argument("--building", metavar="B", help="只为这栋楼生成（如 3 或 3号楼）")
    codes.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="输出文件：.csv 或 .xlsx（可打印）"
    )
    codes.add_argument("--days", type=int, default=30, help="有效天数（默认 30）/ days valid")
    codes.add_argument(
        "--bot-username", metavar="NAME", help="机器人用户名，用于 .xlsx 里的绑定链接"
    )


def codes_main(settings: Settings, args: argparse.Namespace) -> int:
    output: Path | None = args.output
    fmt = spreadsheet_format(output) if output is not None else SpreadsheetFormat.CSV
    if fmt is None:
        return 2
    username = (args.bot_username or settings.extra.get("bot_username", "")).lstrip("@")
    if fmt is SpreadsheetFormat.XLSX and not username:
        print(
            "生成 .xlsx 需要机器人用户名：加上 --bot-username 机器人用户名"
            " / --bot-username is needed for the links in .xlsx",
            file=sys.stderr,
        )
        return 2
    if args.days < 1 or args.days > 366:
        print("--days 应在 1 到 366 之间", file=sys.stderr)
        return 2
    return asyncio.run(_codes(settings, args, fmt, username))


async def _codes(
    settings: Settings, args: argparse.Namespace, fmt: SpreadsheetFormat, username: str
) -> int:
    from knowledge.households.addressing import canonical_building
    from knowledge.households.linking import deep_link_payload, issue_codes
    from storage.clock import utc_now
    from storage.db import open_database
    from storage.households_repo import find_community

    conn = await open_database(settings.db_path)
    try:
        community = None
        if args.community:
            community = await find_community(conn, args.community)
            if community is None:
                print(f"登记册里没有小区“{args.community}”", file=sys.stderr)
                return 1
        building = canonical_building(args.building) if args.building else None
        issued = await issue_codes(conn, community, building, days=args.days)
    finally:
        await conn.close()
    if not issued:
        print("没有可生成绑定码的房屋（登记册为空，或都是未售房）", file=sys.stderr)
        return 1
    until = (utc_now() + timedelta(days=args.days)).astimezone(settings.timezone).date()
    if fmt is SpreadsheetFormat.CSV:
        sheet = Sheet(
            "绑定码",
            CSV_HEADERS,
            ([h.community, h.building, h.unit, h.room, code] for h, code in issued),
        )
    else:
        sheet = Sheet(
            "绑定码",
            XLSX_HEADERS,
            (
                [
                    h.community,
                    h.building,
                    h.unit,
                    h.room,
                    code,
                    create_deep_linked_url(username, deep_link_payload(code)),
                    until,
                ]
                for h, code in issued
            ),
            XLSX_WIDTHS,
        )
    if args.output is None:
        csv_to_stdout(sheet)
    else:
        try:
            write_file(args.output, [sheet])
        except OSError as exc:
            print(f"写入失败 / write failed: {exc}", file=sys.stderr)
            return 1
    print(
        f"已生成 {len(issued)} 个绑定码，{until} 前有效；各户之前未使用的码已作废。",
        file=sys.stderr,
    )
    return 0
