"""`resident-bot export ...`: complaint logs and the renovation demand list for the street
office, as CSV or XLSX (the format is the output file's suffix, as in `kb export`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.output import date_arg, spreadsheet_format
from bot.config import Settings
from knowledge.spreadsheet import SpreadsheetFormat
from knowledge.tickets.lifecycle import STATUS_LABELS, Status

if TYPE_CHECKING:
    from knowledge.tickets.categories import Catalog
    from knowledge.tickets.export import ComplaintSelection


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    export = sub.add_parser("export", help="导出投诉工单、改造需求 / export tickets and needs")
    export.set_defaults(handler=export_main)
    export_sub = export.add_subparsers(dest="export_command", required=True)
    complaints = export_sub.add_parser(
        "complaints", help="导出投诉工单及处理记录（CSV/XLSX）/ export the complaint log"
    )
    _output(complaints)
    complaints.add_argument(
        "--since", type=date_arg, metavar="YYYY-MM-DD", help="起始日期（含）/ first day"
    )
    complaints.add_argument(
        "--until", type=date_arg, metavar="YYYY-MM-DD", help="结束日期（含）/ last day"
    )
    complaints.add_argument(
        "--status",
        type=_status_arg,
        metavar="S",
        help="只导出这种状态（如 resolved 或 已办结）/ only this status",
    )
    complaints.add_argument(
        "--category",
        metavar="C",
        help="只导出这个类别（如 noise 或 噪音扰民）/ only this category",
    )
    complaints.add_argument(
        "--with-contact",
        action="store_true",
        help="导出完整电话（默认打码）/ full phone numbers (masked by default)",
    )
    needs = export_sub.add_parser(
        "needs", help="导出改造需求清单（CSV/XLSX）/ export the renovation demand list"
    )
    _output(needs)


def _output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        metavar="FILE",
        help="输出文件：.csv 或 .xlsx / output file",
    )


def _status_arg(raw: str) -> Status:
    wanted = raw.strip()
    for status, label in STATUS_LABELS.items():
        if wanted in (status.value, label):
            return status
    choices = "、".join(f"{s.value}（{label}）" for s, label in STATUS_LABELS.items())
    raise argparse.ArgumentTypeError(f"没有这种状态 {raw!r}；可选：{choices}")


def export_main(settings: Settings, args: argparse.Namespace) -> int:
    from knowledge.tickets.categories import CatalogError, load_catalog

    output: Path = args.output
    fmt = spreadsheet_format(output)
    if fmt is None:
        return 2
    try:
        catalog = load_catalog(settings.categories_file)
    except CatalogError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.export_command == "needs":
        return _run(settings, args, fmt, catalog, None)
    category = None
    if args.category:
        found = catalog.by_label(args.category)
        if found is None:
            names = "、".join(f"{c.key}（{c.label}）" for c in catalog.categories)
            print(f"没有这个类别 {args.category!r}；可选：{names}", file=sys.stderr)
            return 2
        category = found.key
    from knowledge.tickets.export import ComplaintSelection

    try:
        selection = ComplaintSelection(
            since=args.since, until=args.until, status=args.status, category=category
        )
    except ValueError as exc:
        print(f"{exc} / --since is after --until", file=sys.stderr)
        return 2
    return _run(settings, args, fmt, catalog, selection)


def _run(
    settings: Settings,
    args: argparse.Namespace,
    fmt: SpreadsheetFormat,
    catalog: Catalog,
    selection: ComplaintSelection | None,
) -> int:
    try:
        return asyncio.run(_export(settings, args, fmt, catalog, selection))
    except OSError as exc:
        print(f"导出失败 / export failed: {exc}", file=sys.stderr)
        return 1


async def _export(
    settings: Settings,
    args: argparse.Namespace,
    fmt: SpreadsheetFormat,
    catalog: Catalog,
    selection: ComplaintSelection | None,
) -> int:
    from knowledge.tickets.export import export_complaints, export_needs
    from storage.db import open_database

    conn = await open_database(settings.db_path)
    try:
        if selection is None:
            result = await export_needs(conn, args.output, fmt, catalog=catalog)
            what = f"{result.tickets} 份改造需求"
        else:
            result = await export_complaints(
                conn,
                args.output,
                fmt,
                catalog=catalog,
                tz=settings.timezone,
                selection=selection,
                with_contact=args.with_contact,
            )
            what = f"{result.tickets} 件工单、{result.events} 条处理记录"
    finally:
        await conn.close()
    files = "、".join(str(p) for p in result.files)
    print(f"已导出 {what} 到 {files} / exported")
    return 0
