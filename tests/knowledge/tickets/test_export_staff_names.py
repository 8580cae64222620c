"""The complaint export names staff as 名字（id） from the stored display names, over a real
SQLite file, in both formats; a display name typed like a formula stays text."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiosqlite
import pytest
from openpyxl import load_workbook

from knowledge.spreadsheet import SpreadsheetFormat
from knowledge.tickets.categories import load_catalog
from knowledge.tickets.export import (
    COMPLAINT_HEADERS,
    EVENT_HEADERS,
    ComplaintSelection,
    export_complaints,
    staff_label,
    staff_namer,
)
from knowledge.tickets.lifecycle import Action
from knowledge.tickets.service import ComplaintDraft, Location, TicketService
from storage import staff_repo
from storage.db import open_database

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")
PAYLOAD = '=HYPERLINK("http://x","点我")'
HOSTILE, XIAOZHANG, UNNAMED = 100, 101, 102


@pytest.mark.parametrize(
    ("name", "cell"),
    [
        ("网格员小张", "网格员小张（901）"),
        (None, "901"),
        ("", "901"),
        (PAYLOAD, f"{PAYLOAD}（901）"),
    ],
)
def test_staff_label(name: str | None, cell: str) -> None:
    assert staff_label(901, name) == cell
    assert staff_namer({901: name} if name is not None else {})(901) == cell


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(tmp_path / "e.db")
    try:
        yield connection
    finally:
        await connection.close()


async def _seed(conn: aiosqlite.Connection) -> None:
    """Ticket 1 accepted by a staff member named like a formula; ticket 2 accepted by
    网格员小张, who assigns it to staff whose name the bot never saw."""
    svc = TicketService(conn, load_catalog())
    await staff_repo.set_staff_name(conn, HOSTILE, PAYLOAD)
    await staff_repo.set_staff_name(conn, XIAOZHANG, "网格员小张")
    tickets = []
    for i in range(2):
        submitted = await svc.submit(
            ComplaintDraft("noise", f"楼上装修{i}", Location(text="3号楼")),
            reporter_id=1 + i,
            reporter_name="张三",
            now=T0 + timedelta(minutes=i),
        )
        tickets.append(submitted.ticket.id)
    later = T0 + timedelta(hours=1)
    await svc.apply(tickets[0], Action.ACCEPT, actor_id=HOSTILE, is_staff=True, now=later)
    await svc.apply(tickets[1], Action.ACCEPT, actor_id=XIAOZHANG, is_staff=True, now=later)
    await svc.apply(
        tickets[1],
        Action.ASSIGN,
        actor_id=XIAOZHANG,
        is_staff=True,
        assignee=UNNAMED,
        now=later + timedelta(minutes=1),
    )


def _csv(path: Path) -> list[dict[str, str]]:
    header, *body = csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    return [dict(zip(header, r, strict=True)) for r in body]


async def _export(conn: aiosqlite.Connection, path: Path, **kw: object) -> None:
    fmt = SpreadsheetFormat(path.suffix.lstrip("."))
    await export_complaints(
        conn, path, fmt, catalog=load_catalog(), tz=TZ, selection=ComplaintSelection(), **kw
    )


async def test_csv_names_staff_and_neutralises_a_formula_name(
    conn: aiosqlite.Connection, tmp_path: Path
) -> None:
    await _seed(conn)
    await _export(conn, tmp_path / "log.csv")
    assert [r["处理人"] for r in _csv(tmp_path / "log.csv")] == [
        f"'{PAYLOAD}（100）",  # the apostrophe: Excel/WPS read it as text, never run it
        "102",
    ]
    events = _csv(tmp_path / "log-events.csv")
    assert [(e["操作"], e["操作人"], e["说明"]) for e in events if e["操作"] != "提交"] == [
        ("受理", f"'{PAYLOAD}（100）", ""),
        ("受理", "网格员小张（101）", ""),
        ("派单", "网格员小张（101）", "指派给 102"),
    ]


async def test_xlsx_keeps_a_formula_name_as_text(
    conn: aiosqlite.Connection, tmp_path: Path
) -> None:
    await _seed(conn)
    await _export(conn, tmp_path / "log.xlsx")
    book = load_workbook(tmp_path / "log.xlsx")
    tickets, events = book.worksheets
    assignee = tickets.cell(row=2, column=COMPLAINT_HEADERS.index("处理人") + 1)
    actor = events.cell(row=3, column=EVENT_HEADERS.index("操作人") + 1)
    for cell in (assignee, actor):
        assert (cell.value, cell.data_type, cell.quotePrefix) == (f"{PAYLOAD}（100）", "s", True)
    second = tickets.cell(row=3, column=COMPLAINT_HEADERS.index("处理人") + 1)
    assert second.value == "102"


async def test_a_caller_may_name_staff_its_own_way(
    conn: aiosqlite.Connection, tmp_path: Path
) -> None:
    await _seed(conn)
    await _export(conn, tmp_path / "ids.csv", staff_name=str)
    assert [r["处理人"] for r in _csv(tmp_path / "ids.csv")] == ["100", "102"]
