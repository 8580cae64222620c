"""`resident-bot`: run the live bot, the offline console, migrations and the knowledge base."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from bot.logsetup import configure_logging
from knowledge.question_export import (
    STATUS_LABELS,
    ExportFormat,
    ExportSelection,
    export_to_file,
    format_for,
)

logger = logging.getLogger("bot")

NO_TOKEN = (
    "没有设置 TELEGRAM_BOT_TOKEN，无法连接 Telegram。\n"
    "想先在终端里体验机器人，请运行：resident-bot console\n"
    "No TELEGRAM_BOT_TOKEN set. To try the bot offline, run: resident-bot console"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="resident-bot", description="社区居民服务 Telegram 机器人 / resident engagement bot"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="调试日志 / debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="运行真实机器人（长轮询）/ run the live bot (long polling)")
    start = sub.add_parser(
        "start",
        help="有 token 运行真实机器人，否则进入离线控制台 / run if a token is set, else console",
    )
    start.add_argument("--files", default="console-files", help=argparse.SUPPRESS)
    console = sub.add_parser("console", help="离线终端对话 / chat with the bot offline")
    console.add_argument("--files", default="console-files", help="机器人发送的文件保存到这里")

    db = sub.add_parser("db", help="数据库 / database")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("migrate", help="应用数据库迁移 / apply schema migrations")

    kb = sub.add_parser("kb", help="知识库 / knowledge base")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    imp = kb_sub.add_parser("import", help="导入政策文件 / import documents")
    imp.add_argument("paths", nargs="+", type=Path)
    kb_sub.add_parser("list", help="列出已导入文件 / list documents")
    rm = kb_sub.add_parser("remove", help="删除文件 / remove a document")
    rm.add_argument("doc_id", type=int)
    ask = kb_sub.add_parser(
        "ask", help="提问 / ask a question ('-' reads one per line from stdin)"
    )
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    ask.add_argument("-k", type=int, default=3, help="返回几条结果 / number of results")
    ask.add_argument("--docs-only", action="store_true", help="不用内置常见问题 / leave FAQ out")
    export = kb_sub.add_parser(
        "export", help="导出居民提问记录给街道办（CSV/XLSX）/ export the question log"
    )
    export.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        metavar="FILE",
        help="输出文件：.csv 或 .xlsx / output file",
    )
    export.add_argument(
        "--from",
        dest="date_from",
        type=_date_arg,
        metavar="YYYY-MM-DD",
        help="起始日期（含）/ first day",
    )
    export.add_argument(
        "--to",
        dest="date_to",
        type=_date_arg,
        metavar="YYYY-MM-DD",
        help="结束日期（含）/ last day",
    )
    export.add_argument(
        "--status",
        action="append",
        choices=list(STATUS_LABELS),
        help="只导出这种状态，可重复；默认全部 / only this status (repeatable; default: all)",
    )
    return parser


def _date_arg(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"日期应写成 YYYY-MM-DD，例如 2025-03-01 / expected YYYY-MM-DD (got {raw!r})"
        ) from None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    token = settings.token.get() if settings.token else None
    console = args.command == "console" or (args.command == "start" and token is None)
    # The console's screen is the conversation: only warnings and errors interrupt it.
    quiet = console or args.command in {"kb", "db"}
    configure_logging(
        token, logging.DEBUG if args.verbose else (logging.WARNING if quiet else logging.INFO)
    )
    if args.command == "run":
        return run_live(settings)
    if args.command == "start" and settings.token is not None:
        return run_live(settings)
    if args.command in {"console", "start"}:
        from bot.console import run_console

        return asyncio.run(run_console(settings, Path(args.files)))
    if args.command == "db":
        return asyncio.run(migrate(settings))
    if args.kb_command == "export":
        return export_questions(settings, args)
    try:
        return asyncio.run(kb_command(settings, args))
    except BrokenPipeError:
        # The reader went away (`kb ask - | head`): stop quietly, as other Unix tools do.
        # Point stdout at devnull so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


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


async def migrate(settings: Settings) -> int:
    from storage.db import open_database
    from storage.migrations import MigrationError, apply_migrations

    try:
        conn = await open_database(settings.db_path, migrate=False)
    except OSError as exc:
        print(f"无法打开数据库 / cannot open database: {exc}", file=sys.stderr)
        return 1
    try:
        applied = await apply_migrations(conn)
    except MigrationError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        await conn.close()
    print("已是最新 / up to date" if not applied else "已应用 / applied: " + ", ".join(applied))
    return 0


async def kb_command(settings: Settings, args: argparse.Namespace) -> int:
    from knowledge.service import KnowledgeBase, KnowledgeImportError
    from storage.db import open_database

    conn = await open_database(settings.db_path)
    try:
        kb = await KnowledgeBase.open(conn)
        if args.kb_command == "import":
            status = 0
            for path in args.paths:
                try:
                    s = await kb.import_path(path)
                except (KnowledgeImportError, OSError) as exc:
                    print(f"{path}: 导入失败 / failed: {exc}", file=sys.stderr)
                    status = 1
                    continue
                note = "（替换旧版本）" if s.replaced else ""
                print(f"#{s.doc_id} 《{s.title}》 {s.sections} 章节 / {s.passages} 段 {note}")
            return status
        if args.kb_command == "list":
            for d in await kb.list_documents():
                print(f"#{d.doc_id}\t{d.title}\t{d.sections}\t{d.passages}\t{d.imported_at}")
            return 0
        if args.kb_command == "remove":
            if await kb.remove_document(args.doc_id):
                print(f"已删除 / removed #{args.doc_id}")
                return 0
            print(f"没有这个文件 / no document #{args.doc_id}", file=sys.stderr)
            return 1
        questions = sys.stdin if args.question == "-" else [args.question]
        for line in questions:
            question = line.rstrip("\n")
            answer = kb.ask(question, k=max(1, min(args.k, 50)), docs_only=args.docs_only)
            if args.json:
                payload = {
                    "answered": answer.answered,
                    "results": [
                        {"text": r.text, "source": r.source, "score": round(r.score, 4)}
                        for r in answer.results
                    ],
                }
                print(json.dumps(payload, ensure_ascii=False), flush=True)
            else:
                print(_human_answer(question, answer), flush=True)
        return 0
    finally:
        await conn.close()


def export_questions(settings: Settings, args: argparse.Namespace) -> int:
    """`kb export`: the question log for the street office; the format is the file suffix."""
    output: Path = args.output
    fmt = format_for(output)
    if fmt is None:
        print(
            f"不支持的文件类型 {output.suffix or '（无后缀）'}：输出文件名请以 .csv 或 .xlsx 结尾"
            " / the output file must end in .csv or .xlsx",
            file=sys.stderr,
        )
        return 2
    try:
        selection = ExportSelection(
            start=args.date_from,
            end=args.date_to,
            statuses=frozenset(args.status) if args.status else None,
        )
    except ValueError as exc:
        print(f"{exc} / --from is after --to", file=sys.stderr)
        return 2
    try:
        written = asyncio.run(_export(settings, output, fmt, selection))
    except OSError as exc:
        print(f"导出失败 / export failed: {exc}", file=sys.stderr)
        return 1
    scope = f"{selection.describe_dates()}，{selection.describe_statuses()}"
    if not written:
        print(f"没有符合条件的记录（{scope}），{output} 里只有表头 / no matching questions")
        return 0
    print(f"已导出 {written} 条记录（{scope}）到 {output} / exported {written} rows")
    return 0


async def _export(
    settings: Settings, output: Path, fmt: ExportFormat, selection: ExportSelection
) -> int:
    from storage.db import open_database

    conn = await open_database(settings.db_path)
    try:
        return await export_to_file(conn, output, fmt, tz=settings.timezone, selection=selection)
    finally:
        await conn.close()


def _human_answer(question: str, answer: object) -> str:
    from knowledge.service import Answer

    assert isinstance(answer, Answer)
    lines = [f"问：{question}", "答：" + ("" if answer.answered else "（不确定，将转人工）")]
    for i, r in enumerate(answer.results, 1):
        lines.append(f"[{i}] ({r.score:.2f}) {r.text}\n    来源：{r.source}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
