"""The complaint log (+ its event history) for the street office, streamed in batches
(file work in a thread), so 10,000 tickets never sit in memory at once. XLSX holds the
history as a second sheet; CSV writes it beside the main file as `<name>-events.csv`."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import IO

import aiosqlite

from knowledge.spreadsheet import SpreadsheetFormat, SpreadsheetWriter, open_writer
from knowledge.staff_names import stored_staff_names as stored_staff_names
from knowledge.tickets.categories import Catalog
from knowledge.tickets.export.rows import (
    COMPLAINT_HEADERS,
    COMPLAINT_SHEET,
    COMPLAINT_WIDTHS,
    EVENT_HEADERS,
    EVENT_SHEET,
    EVENT_WIDTHS,
    StaffNamer,
    complaint_row,
    event_row,
)
from knowledge.tickets.lifecycle import Status
from knowledge.tickets.service import PSEUDONYM_SECRET, pseudonym
from storage import tickets_repo as repo
from storage.tickets_repo import Ticket

BATCH_SIZE = 500


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


@dataclass(frozen=True)
class ExportResult:
    tickets: int
    events: int
    files: tuple[Path, ...]


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
    staff_name: StaffNamer | None = None,
) -> tuple[int, int]:
    """Write complaints (and history: XLSX second sheet, CSV into `history`); returns
    (tickets, events) written. Staff are named by `staff_name`; by default by the stored
    display names (`stored_staff_names`), so every caller's file reads the same."""
    moment = now or datetime.now(UTC)
    secret = await repo.deployment_secret(conn, PSEUDONYM_SECRET)
    name = staff_name if staff_name is not None else await stored_staff_names(conn)
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
                    staff_name=name,
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
            rows = [event_row(numbers[e.ticket_id], e, tz=tz, staff_name=name) for e in found]
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
    staff_name: StaffNamer | None = None,
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
                staff_name=staff_name,
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
