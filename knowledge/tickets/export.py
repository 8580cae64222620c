"""Exports for the street office: the complaint log (+ its event history) and the
renovation demand list, through the one spreadsheet writer (`knowledge/spreadsheet.py`).

Complaints are streamed in batches (file work in a thread), so 10,000 tickets never sit in
memory at once. XLSX holds the history as a second sheet; CSV writes it beside the main
file as `<name>-events.csv`. Residents are named by a stable pseudonym (居民编号) and by
name with a masked phone; the full phone only when the caller asks (`with_contact`).
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import IO

import aiosqlite

from knowledge.households.addressing import format_building, mask_phone
from knowledge.households.linking import FORGOTTEN
from knowledge.spreadsheet import (
    Sheet,
    SpreadsheetFormat,
    SpreadsheetWriter,
    open_writer,
    write_spreadsheet,
    write_xlsx,
)
from knowledge.tickets.categories import Catalog
from knowledge.tickets.lifecycle import (
    RATING_LABELS,
    REJECT_REASON_LABELS,
    Action,
    RatingOutcome,
    RejectReason,
    Status,
)
from knowledge.tickets.service import (
    COFUND_LABELS,
    PSEUDONYM_SECRET,
    URGENCY_LABELS,
    Cofund,
    Urgency,
    pseudonym,
)
from knowledge.tickets.sla import missed_deadline
from storage import households_repo
from storage import tickets_repo as repo
from storage.tickets_repo import Event, Need, Ticket

BATCH_SIZE = 500
COMPLAINT_SHEET = "投诉工单"
EVENT_SHEET = "处理记录"
COMPLAINT_HEADERS = (
    "编号",
    "提交时间",
    "类别",
    "内容",
    "位置",
    "状态",
    "处理人",
    "首次响应时间",
    "办结时间",
    "处理时长(小时)",
    "是否超时",
    "重开次数",
    "同问人数",
    "评价",
    "评分",
    "居民编号",
    "居民",
    "照片数",
)
COMPLAINT_WIDTHS = (18, 20, 12, 50, 28, 8, 12, 20, 20, 12, 8, 8, 8, 10, 6, 14, 22, 8)
EVENT_HEADERS = ("编号", "时间", "操作", "操作人", "原状态", "新状态", "说明", "驳回原因")
EVENT_WIDTHS = (18, 20, 14, 12, 10, 10, 50, 18)
SUMMARY_SHEET = "改造需求汇总"
BUILDING_SHEET = "按楼栋"
SUMMARY_HEADERS = (
    "类别",
    "项目",
    "提出户数",
    "登记户数",
    "占登记户比例",
    *(COFUND_LABELS[c] for c in Cofund),
    *(URGENCY_LABELS[u] for u in reversed(Urgency)),
)
BUILDING_HEADERS = ("小区", "楼栋", "类别", "项目", "提出户数", "登记户数", "占本楼登记户比例")
UNLINKED = "未关联房屋"


@dataclass(frozen=True)
class ComplaintSelection:
    since: date | None = None  # first local day, inclusive
    until: date | None = None  # last local day, inclusive
    status: Status | None = None
    category: str | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ValueError("开始日期晚于结束日期")

    def bounds(self, tz: tzinfo) -> tuple[datetime | None, datetime | None]:
        start = datetime.combine(self.since, time(0), tzinfo=tz) if self.since else None
        end = (
            datetime.combine(self.until + timedelta(days=1), time(0), tzinfo=tz)
            if self.until
            else None
        )
        return start, end


def _local(moment: datetime | None, tz: tzinfo) -> datetime | None:
    return moment.astimezone(tz).replace(tzinfo=None) if moment else None


def resident_cell(ticket: Ticket, with_contact: bool) -> str:
    """Name and phone (masked unless `with_contact`); 已注销居民 once they left."""
    if ticket.reporter_id is None and ticket.channel == "bot":
        return FORGOTTEN
    name = ticket.reporter_name or "居民"
    if ticket.channel == "phone":
        name += "（电话）"
    if ticket.phone:
        return f"{name} {ticket.phone if with_contact else mask_phone(ticket.phone)}"
    return name


def location_cell(ticket: Ticket) -> str:
    parts = [ticket.location_text] if ticket.location_text else []
    if ticket.latitude is not None and ticket.longitude is not None:
        parts.append(f"({ticket.latitude:.5f}, {ticket.longitude:.5f})")
    return " ".join(parts)


def complaint_row(
    ticket: Ticket,
    *,
    catalog: Catalog,
    tz: tzinfo,
    now: datetime,
    resident_key: str,
    with_contact: bool = False,
    staff_name: Callable[[int], str] = str,
) -> list[object]:
    """One ticket as the cells under COMPLAINT_HEADERS."""
    hours = (
        round((ticket.resolved_at - ticket.created_at).total_seconds() / 3600, 1)
        if ticket.resolved_at
        else None
    )
    late = missed_deadline(
        first_response_at=ticket.first_response_at,
        first_response_due=ticket.first_response_due,
        resolved_at=ticket.resolved_at or ticket.closed_at,
        resolve_due=ticket.resolve_due,
        now=now,
    )
    outcome = RATING_LABELS[RatingOutcome(ticket.rating_outcome)] if ticket.rating_outcome else ""
    return [
        ticket.number,
        _local(ticket.created_at, tz),
        catalog.label(ticket.category),
        ticket.description,
        location_cell(ticket),
        Status(ticket.status).label,
        staff_name(ticket.assignee_id) if ticket.assignee_id is not None else "",
        _local(ticket.first_response_at, tz),
        _local(ticket.resolved_at, tz),
        hours,
        "是" if late else "否",
        ticket.reopen_count,
        ticket.follower_count,
        outcome,
        ticket.rating_stars,
        resident_key,
        resident_cell(ticket, with_contact),
        len(ticket.photos),
    ]


def _actor_cell(event: Event, staff_name: Callable[[int], str]) -> str:
    if event.actor_role == "system":
        return "系统"
    if event.actor_role == "resident":
        return "居民" if event.actor_id is not None else FORGOTTEN
    return staff_name(event.actor_id) if event.actor_id is not None else "工作人员"


def event_row(
    number: str, event: Event, *, tz: tzinfo, staff_name: Callable[[int], str] = str
) -> list[object]:
    """One history entry as the cells under EVENT_HEADERS."""
    reason = ""
    if event.action == Action.REJECT.value and event.reason:
        reason = REJECT_REASON_LABELS.get(RejectReason(event.reason), event.reason)
    note = event.note
    if event.action == Action.ASSIGN.value and event.assignee_id is not None:
        note = f"指派给 {staff_name(event.assignee_id)}" + (f"：{note}" if note else "")
    return [
        number,
        _local(event.at, tz),
        Action(event.action).label,
        _actor_cell(event, staff_name),
        Status(event.from_status).label if event.from_status else "",
        Status(event.to_status).label,
        note,
        reason,
    ]


def events_path(path: Path) -> Path:
    """`log.csv` → `log-events.csv`: the CSV export's history file."""
    return path.with_name(f"{path.stem}-events{path.suffix}")


async def _next_batch(
    conn: aiosqlite.Connection,
    selection: ComplaintSelection,
    tz: tzinfo,
    after_id: int | None,
    batch_size: int,
) -> list[Ticket]:
    since, until = selection.bounds(tz)
    return await repo.list_tickets(
        conn,
        statuses=[selection.status.value] if selection.status else None,
        category=selection.category,
        since=since,
        until=until,
        after_id=after_id,
        limit=batch_size,
        newest_first=False,
    )


@dataclass(frozen=True)
class ExportResult:
    tickets: int
    events: int
    files: tuple[Path, ...]


async def write_complaints(
    conn: aiosqlite.Connection,
    main: IO[bytes],
    history: IO[bytes] | None,
    fmt: SpreadsheetFormat,
    *,
    catalog: Catalog,
    tz: tzinfo,
    selection: ComplaintSelection,
    with_contact: bool = False,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
) -> tuple[int, int]:
    """Write complaints (and history: XLSX second sheet, CSV into `history`); returns
    (tickets, events) written."""
    moment = now or datetime.now(UTC)
    secret = await repo.deployment_secret(conn, PSEUDONYM_SECRET)
    writers: list[SpreadsheetWriter] = []
    tickets = events = 0
    try:
        writer = await asyncio.to_thread(open_writer, main, fmt)
        writers.append(writer)
        await asyncio.to_thread(
            writer.start_sheet, COMPLAINT_SHEET, COMPLAINT_HEADERS, COMPLAINT_WIDTHS
        )
        after: int | None = None
        while batch := await _next_batch(conn, selection, tz, after, batch_size):
            after = batch[-1].id
            rows = [
                complaint_row(
                    t,
                    catalog=catalog,
                    tz=tz,
                    now=moment,
                    resident_key=pseudonym(secret, t.reporter_id) if t.reporter_id else "",
                    with_contact=with_contact,
                )
                for t in batch
            ]
            await asyncio.to_thread(writer.write_rows, rows)
            tickets += len(batch)
        if fmt is SpreadsheetFormat.XLSX:
            events_writer = writer
        else:
            assert history is not None, "CSV needs a stream for the history"
            events_writer = await asyncio.to_thread(open_writer, history, fmt)
            writers.append(events_writer)
        await asyncio.to_thread(
            events_writer.start_sheet, EVENT_SHEET, EVENT_HEADERS, EVENT_WIDTHS
        )
        after = None
        while batch := await _next_batch(conn, selection, tz, after, batch_size):
            after = batch[-1].id
            numbers = {t.id: t.number for t in batch}
            found = await repo.events_for(conn, list(numbers))
            rows = [event_row(numbers[e.ticket_id], e, tz=tz) for e in found]
            await asyncio.to_thread(events_writer.write_rows, rows)
            events += len(found)
    except BaseException:
        for w in writers:
            w.abort()
        raise
    for w in writers:
        await asyncio.to_thread(w.close)
    return tickets, events


async def export_complaints(
    conn: aiosqlite.Connection,
    path: Path,
    fmt: SpreadsheetFormat,
    *,
    catalog: Catalog,
    tz: tzinfo,
    selection: ComplaintSelection,
    with_contact: bool = False,
    now: datetime | None = None,
) -> ExportResult:
    """Write the complaint export to `path` (CSV: and `-events.csv` beside it); a failed
    export leaves no partial file behind."""
    targets = [path] if fmt is SpreadsheetFormat.XLSX else [path, events_path(path)]
    partials = [p.with_name(f".{p.name}.part") for p in targets]
    handles = [await asyncio.to_thread(p.open, "wb") for p in partials]
    try:
        try:
            tickets, events = await write_complaints(
                conn,
                handles[0],
                handles[1] if len(handles) > 1 else None,
                fmt,
                catalog=catalog,
                tz=tz,
                selection=selection,
                with_contact=with_contact,
                now=now,
            )
        finally:
            for h in handles:
                await asyncio.to_thread(h.close)
        for partial, target in zip(partials, targets, strict=True):
            await asyncio.to_thread(os.replace, partial, target)
    except BaseException:
        for partial in partials:
            await asyncio.to_thread(partial.unlink, missing_ok=True)
        raise
    return ExportResult(tickets, events, tuple(targets))


# --- renovation demand list -----------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def needs_sheets(conn: aiosqlite.Connection, catalog: Catalog) -> list[Sheet]:
    """The demand list: per item (households asking, share of registered households,
    co-funding, urgency) and per building."""
    needs = await repo.current_needs(conn)
    households = {h.id: h for h in await households_repo.all_households(conn)}
    registered = len(households)
    per_building_total = Counter((h.community, h.building) for h in households.values())
    asking: dict[str, list[Need]] = defaultdict(list)
    by_building: Counter[tuple[str, str, str]] = Counter()
    for need in needs:
        home = households.get(need.household_id) if need.household_id is not None else None
        for key in need.items:
            asking[key].append(need)
            place = (home.community, home.building) if home else (UNLINKED, "")
            by_building[(*place, key)] += 1
    summary: list[list[object]] = []
    for klass in catalog.classes:
        for item in klass.items:
            rows = asking.get(item.key, [])
            linked = sum(1 for n in rows if n.household_id is not None)
            cofund = Counter(n.cofund for n in rows)
            urgency = Counter(n.urgency for n in rows)
            summary.append(
                [
                    klass.label,
                    item.label,
                    len(rows),
                    registered,
                    _share(linked, registered),
                    *(cofund[c.value] for c in Cofund),
                    *(urgency[u.value] for u in reversed(Urgency)),
                ]
            )
    building_rows: list[list[object]] = []
    for (community, building, key), count in sorted(by_building.items()):
        item_info = catalog.item(key)
        total = per_building_total.get((community, building), 0)
        building_rows.append(
            [
                community,
                format_building(building) if building else "",
                item_info.klass_label if item_info else "",
                item_info.label if item_info else key,
                count,
                total or None,
                _share(count, total),
            ]
        )
    return [
        Sheet(SUMMARY_SHEET, SUMMARY_HEADERS, summary),
        Sheet(BUILDING_SHEET, BUILDING_HEADERS, building_rows),
    ]


def buildings_path(path: Path) -> Path:
    """`needs.csv` → `needs-buildings.csv`: the CSV export's per-building file."""
    return path.with_name(f"{path.stem}-buildings{path.suffix}")


async def export_needs(
    conn: aiosqlite.Connection, path: Path, fmt: SpreadsheetFormat, *, catalog: Catalog
) -> ExportResult:
    """The demand list to `path` (XLSX: two sheets; CSV: and `-buildings.csv` beside it)."""
    summary, buildings = await needs_sheets(conn, catalog)
    if fmt is SpreadsheetFormat.XLSX:
        await asyncio.to_thread(write_spreadsheet, path, [summary, buildings])
        return ExportResult(len(await repo.current_needs(conn)), 0, (path,))
    await asyncio.to_thread(write_spreadsheet, path, [summary])
    await asyncio.to_thread(write_spreadsheet, buildings_path(path), [buildings])
    return ExportResult(len(await repo.current_needs(conn)), 0, (path, buildings_path(path)))


async def write_needs(conn: aiosqlite.Connection, out: IO[bytes], *, catalog: Catalog) -> int:
    """The demand list as one XLSX workbook (both sheets) into a stream, as `/export needs`
    sends it; returns the number of current submissions it counts."""
    sheets = await needs_sheets(conn, catalog)
    await asyncio.to_thread(write_xlsx, out, sheets)
    return len(await repo.current_needs(conn))
