"""`resident-bot kb ...`: import, list, remove and ask the knowledge base; export the log."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from bot.cli.output import date_arg, spreadsheet_format
from bot.config import Settings
from knowledge.qa.question_export import (
    STATUS_LABELS,
    ExportFormat,
    ExportSelection,
    export_to_file,
)


def add_parsers(sub: argparse._SubParsersAction[Any]) -> None:
    kb = sub.add_parser("kb", help="知识库 / knowledge base")
    kb.set_defaults(handler=kb_main)
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
        type=date_arg,
        metavar="YYYY-MM-DD",
        help="起始日期（含）/ first day",
    )
    export.add_argument(
        "--to",
        dest="date_to",
        type=date_arg,
        metavar="YYYY-MM-DD",
        help="结束日期（含）/ last day",
    )
    export.add_argument(
        "--status",
        action="append",
        choices=list(STATUS_LABELS),
        help="只导出这种状态，可重复；默认全部 / only this status (repeatable; default: all)",
    )


def kb_main(settings: Settings, args: argparse.Namespace) -> int:
    if args.kb_command == "export":
        return export_questions(settings, args)
    try:
        return asyncio.run(kb_command(settings, args))
    except BrokenPipeError:
        # The reader went away (`kb ask - | head`): stop quietly, as other Unix tools do.
        # Point stdout at devnull so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


async def kb_command(settings: Settings, args: argparse.Namespace) -> int:
    from knowledge.qa.service import KnowledgeBase, KnowledgeImportError
    from storage.db import open_database

    conn = await open_database(settings.db_path)
    kb: KnowledgeBase | None = None
    try:
        kb = await KnowledgeBase.open(conn, semantic="auto" if settings.semantic else None)
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
            # The semantic stage's vectors, so the bot finds them stored at its next start.
            await kb.vectors_ready()
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
        await kb.semantic_ready()  # a one-shot question gets the same answer as in the bot
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
        if kb is not None:
            await kb.close()
        await conn.close()


def export_questions(settings: Settings, args: argparse.Namespace) -> int:
    """`kb export`: the question log for the street office; the format is the file suffix."""
    output: Path = args.output
    fmt = spreadsheet_format(output)
    if fmt is None:
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
    from knowledge.qa.service import Answer

    assert isinstance(answer, Answer)
    lines = [f"问：{question}", "答：" + ("" if answer.answered else "（不确定，将转人工）")]
    for i, r in enumerate(answer.results, 1):
        lines.append(f"[{i}] ({r.score:.2f}) {r.text}\n    来源：{r.source}")
    return "\n".join(lines)
