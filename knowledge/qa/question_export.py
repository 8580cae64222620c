"""The residents' question log as CSV or XLSX for the street office (街道办).

Rows are read in batches and handed to the spreadsheet writer (`knowledge.spreadsheet`)
as they come, so a large log never sits in memory as one list. Times are stored in UTC
and written in the community's local time. Everything the file says is in Chinese,
because the street office opens it in Excel or WPS.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import IO

import aiosqlite

from knowledge.spreadsheet import SpreadsheetFormat, SpreadsheetWriter, open_writer
from knowledge.staff_names import StaffNamer, stored_staff_names
from storage import kb_questions_repo as questions
from storage.clock import to_local
from storage.kb_questions_repo import QuestionLogEntry

HEADERS = (
    "编号",
    "时间",
    "群聊/私聊",
    "提问人",
    "问题",
    "状态",
    "回答来源",
    "反馈",
    "转人工时间",
    "处理人",
    "处理时间",
)
# XLSX column widths (in characters), in the order of HEADERS.
COLUMN_WIDTHS = (8, 20, 24, 14, 60, 10, 40, 12, 20, 14, 20)
STATUS_LABELS = {
    "answered": "已回答",
    "unanswered": "未能回答",
    "handoff": "已转人工",
    "resolved": "已处理",
    "dismissed": "已忽略",
}
# What staff may type after /kbexport to pick statuses: the stored names, the Chinese
# labels, and two everyday words.
STATUS_WORDS: dict[str, frozenset[str]] = {
    **{name: frozenset({name}) for name in STATUS_LABELS},
    **{label: frozenset({name}) for name, label in STATUS_LABELS.items()},
    "转人工": frozenset({"handoff"}),
    "open": frozenset(questions.OPEN_STATUSES),
    "待处理": frozenset(questions.OPEN_STATUSES),
}
PRIVATE_CHAT = "私聊"
GROUP_CHAT = "群聊"
SOURCE_GONE = "（原文已更新或删除）"
# A question the bot could not answer but showed a possibly related passage for.
SUGGESTED_SOURCE = "（未作答，仅供参考）{source}"
STAFF_ANSWER = "工作人员答复（已加入常见问题）"
ALL_DATES = "全部日期"
ALL_STATUSES = "全部状态"
SHEET_TITLE = "居民提问记录"
BATCH_SIZE = 500

Cell = str | int | datetime | None
# The question log's formats are the spreadsheet writer's.
ExportFormat = SpreadsheetFormat


@dataclass(frozen=True)
class ExportSelection:
    """Which questions to export: local dates (both inclusive) and statuses (None = all)."""

    start: date | None = None
    end: date | None = None
    statuses: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError(f"起始日期 {self.start} 晚于结束日期 {self.end}")

    def utc_bounds(self, tz: tzinfo) -> tuple[str | None, str | None]:
        """[since, until) in the stored UTC format: local midnight to the next midnight."""
        since = _utc_midnight(self.start, tz) if self.start else None
        until = None
        if self.end is not None and self.end < date.max:
            until = _utc_midnight(self.end + timedelta(days=1), tz)
        return since, until

    def describe_dates(self) -> str:
        if self.start and self.end:
            return f"{self.start} 至 {self.end}"
        if self.start:
            return f"{self.start} 起"
        if self.end:
            return f"截至 {self.end}"
        return ALL_DATES

    def describe_statuses(self) -> str:
        if self.statuses is None:
            return ALL_STATUSES
        return "、".join(STATUS_LABELS.get(s, s) for s in sorted(self.statuses, key=_status_order))


def _status_order(status: str) -> int:
    order = list(STATUS_LABELS)
    return order.index(status) if status in order else len(order)


def _utc_midnight(day: date, tz: tzinfo) -> str | None:
    """None past the years datetime can hold (0001-01-01 east of UTC): no bound there."""
    try:
        moment = datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
    except OverflowError:
        return None
    return moment.isoformat("T", "seconds")


def local_time(stored: str | None, tz: tzinfo) -> datetime | None:
    """A stored UTC timestamp as naive local time (Excel has no time zones)."""
    return to_local(stored, tz).replace(tzinfo=None) if stored else None


def _chat_cell(entry: QuestionLogEntry) -> str:
    if entry.chat_type == "private":
        return PRIVATE_CHAT
    if entry.chat_type in ("group", "supergroup"):
        name = entry.chat_title or f"ID {entry.chat_id}"
        if entry.chat_bound_name and entry.chat_bound_name != entry.chat_title:
            name += f"（{entry.chat_bound_name}）"
        return f"{GROUP_CHAT}：{name}"
    return entry.chat_type or ""


def _source_cell(entry: QuestionLogEntry) -> str:
    parts = []
    if entry.answered:
        parts.append(entry.answer_source or SOURCE_GONE)
    elif entry.answer_source:
        parts.append(SUGGESTED_SOURCE.format(source=entry.answer_source))
    if entry.staff_answered:
        parts.append(STAFF_ANSWER)
    return "；".join(parts)


def _feedback_cell(entry: QuestionLogEntry) -> str:
    if not entry.helpful and not entry.unhelpful:
        return ""
    return f"👍{entry.helpful} 👎{entry.unhelpful}"


def row_cells(entry: QuestionLogEntry, tz: tzinfo, staff_name: StaffNamer = str) -> list[Cell]:
    """One exported row, in the order of HEADERS (the writer makes text cells safe); staff
    named by `staff_name` (knowledge/staff_names.py)."""
    return [
        entry.id,
        local_time(entry.asked_at, tz),
        _chat_cell(entry),
        entry.user_id,
        entry.question,
        STATUS_LABELS.get(entry.status, entry.status),
        _source_cell(entry),
        _feedback_cell(entry),
        local_time(entry.handoff_at, tz),
        staff_name(entry.resolved_by) if entry.resolved_by is not None else None,
        local_time(entry.resolved_at, tz),
    ]


def _open_writer(fmt: ExportFormat, out: IO[bytes]) -> SpreadsheetWriter:
    writer = open_writer(out, fmt)
    writer.start_sheet(SHEET_TITLE, HEADERS, COLUMN_WIDTHS)
    return writer


async def write_question_log(
    conn: aiosqlite.Connection,
    out: IO[bytes],
    fmt: ExportFormat,
    *,
    tz: tzinfo,
    selection: ExportSelection,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Write the selected questions to ``out``; returns how many rows were written.

    File work runs in a thread, batch by batch, so the bot keeps answering residents
    while a long log is written.
    """
    since, until = selection.utc_bounds(tz)
    staff_name = await stored_staff_names(conn)
    writer = await asyncio.to_thread(_open_writer, fmt, out)
    written = 0
    try:
        async for batch in questions.question_log_batches(
            conn, batch_size=batch_size, since=since, until=until, statuses=selection.statuses
        ):
            rows = [row_cells(e, tz, staff_name) for e in batch]
            await asyncio.to_thread(writer.write_rows, rows)
            written += len(batch)
    except BaseException:
        writer.abort()  # in place, not in a thread: this also runs on cancellation
        raise
    await asyncio.to_thread(writer.close)
    return written


async def export_to_file(
    conn: aiosqlite.Connection,
    path: Path,
    fmt: ExportFormat,
    *,
    tz: tzinfo,
    selection: ExportSelection,
) -> int:
    """Write the export to ``path``; a failed export leaves no partial file behind."""
    partial = path.with_name(f".{path.name}.part")
    handle = await asyncio.to_thread(partial.open, "wb")
    try:
        try:
            written = await write_question_log(conn, handle, fmt, tz=tz, selection=selection)
        finally:
            await asyncio.to_thread(handle.close)
        await asyncio.to_thread(os.replace, partial, path)
    except BaseException:
        await asyncio.to_thread(partial.unlink, missing_ok=True)
        raise
    return written
