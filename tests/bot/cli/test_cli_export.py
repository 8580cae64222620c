"""`resident-bot export complaints|needs`, in-process, both formats read back row by row."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main
from knowledge.tickets.categories import load_catalog
from knowledge.tickets.export import COMPLAINT_HEADERS, EVENT_HEADERS, SUMMARY_HEADERS
from knowledge.tickets.lifecycle import Action, Rating, RatingOutcome
from knowledge.tickets.service import Cofund, ComplaintDraft, Location, TicketService, Urgency
from storage.db import open_database
from tests.bot.cli.test_cli_kb import CliResult, _logging_restored

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
PAYLOAD = '=HYPERLINK("http://x","点我")'


def run_export(db: Path, *args: str) -> CliResult:
    """As test_cli_kb.run_cli, for the `export` group."""
    out, err = io.StringIO(), io.StringIO()
    status: list[int] = []

    def call() -> None:
        status.append(main(["export", *args], env={"RESIDENT_BOT_DB": str(db)}))

    with _logging_restored(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        worker = threading.Thread(target=call)
        worker.start()
        worker.join(timeout=120)
    return CliResult(status[0] if status else -1, out.getvalue(), err.getvalue())


async def _seed(db: Path) -> None:
    conn = await open_database(db)
    try:
        svc = TicketService(conn, load_catalog())
        a = await svc.submit(
            ComplaintDraft(
                "noise",
                PAYLOAD,
                Location(text="3号楼"),
                photos=("p1", "p2"),
                phone="13800000001",
            ),
            reporter_id=1,
            reporter_name="张三",
            now=T0,
        )
        await svc.apply(a.ticket.id, Action.ACCEPT, actor_id=100, is_staff=True, now=T0)
        await svc.apply(
            a.ticket.id,
            Action.RESOLVE,
            actor_id=100,
            is_staff=True,
            note="已劝导",
            now=T0 + timedelta(hours=3),
        )
        await svc.apply(
            a.ticket.id,
            Action.RATE,
            actor_id=1,
            is_staff=False,
            rating=Rating(RatingOutcome.SOLVED, 5),
            now=T0 + timedelta(hours=4),
        )
        await svc.submit(
            ComplaintDraft("fire_hazard", "楼道电瓶车充电", Location(text="5号楼")),
            reporter_id=2,
            reporter_name="李四",
            now=T0 + timedelta(days=2),
        )
        await svc.submit_needs(1, None, ["lift"], Urgency.HIGH, "", Cofund.YES)
    finally:
        await conn.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "bot.db"
    asyncio.run(_seed(path))
    return path


def _csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM, for Excel
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_csv_complaints_and_events(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "log.csv"
    result = run_export(db, "complaints", "-o", str(out))
    assert result.returncode == 0, result.stderr
    rows = _csv(out)
    assert rows[0] == list(COMPLAINT_HEADERS)
    first, second = rows[1], rows[2]
    cells = dict(zip(COMPLAINT_HEADERS, first, strict=True))
    assert cells["编号"] == "TS-20261120-0001"
    assert cells["提交时间"] == "2026-11-20 09:00:00"
    assert cells["类别"] == "噪音扰民"
    assert cells["内容"] == "'" + PAYLOAD  # neutralised
    assert cells["状态"] == "已评价"
    assert cells["处理人"] == "100"
    assert cells["首次响应时间"] == "2026-11-20 09:00:00"
    assert cells["办结时间"] == "2026-11-20 12:00:00"
    assert cells["处理时长(小时)"] == "3.0"
    assert cells["是否超时"] == "否"
    assert cells["评价"] == "解决了"
    assert cells["评分"] == "5"
    assert cells["居民编号"].startswith("R")
    assert cells["居民"] == "张三 138****0001"
    assert cells["照片数"] == "2"
    assert second[0] == "TS-20261122-0001"
    assert second[5] == "已受理"
    events = _csv(tmp_path / "log-events.csv")
    assert events[0] == list(EVENT_HEADERS)
    assert [r[2] for r in events[1:]] == ["提交", "受理", "办结", "评价", "提交"]
    assert events[3][6] == "已劝导"


def test_xlsx_two_sheets_and_contact(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "log.xlsx"
    result = run_export(db, "complaints", "-o", str(out), "--with-contact")
    assert result.returncode == 0, result.stderr
    book = load_workbook(out)
    assert book.sheetnames == ["投诉工单", "处理记录"]
    rows = list(book["投诉工单"].iter_rows(values_only=True))
    assert rows[0] == COMPLAINT_HEADERS
    assert rows[1][3] == PAYLOAD
    assert book["投诉工单"]["D2"].data_type == "s"
    assert book["投诉工单"]["D2"].quotePrefix
    assert rows[1][1] == datetime(2026, 11, 20, 9, 0)  # noqa: DTZ001 - local, as Excel holds it
    assert rows[1][16] == "张三 13800000001"
    assert len(rows) == 3
    assert len(list(book["处理记录"].iter_rows())) == 6


def test_filters(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    assert run_export(db, "complaints", "-o", str(out), "--since", "2026-11-21").returncode == 0
    assert [r[0] for r in _csv(out)[1:]] == ["TS-20261122-0001"]
    assert run_export(db, "complaints", "-o", str(out), "--status", "已评价").returncode == 0
    assert [r[0] for r in _csv(out)[1:]] == ["TS-20261120-0001"]
    assert run_export(db, "complaints", "-o", str(out), "--category", "消防隐患").returncode == 0
    assert [r[0] for r in _csv(out)[1:]] == ["TS-20261122-0001"]
    bad = run_export(db, "complaints", "-o", str(out), "--category", "火星")
    assert bad.returncode == 2
    assert "没有这个类别" in bad.stderr
    late = run_export(
        db, "complaints", "-o", str(out), "--since", "2026-12-01", "--until", "2026-11-01"
    )
    assert late.returncode == 2


def test_unknown_suffix_exits_2(db: Path, tmp_path: Path) -> None:
    result = run_export(db, "complaints", "-o", str(tmp_path / "x.pdf"))
    assert result.returncode == 2
    assert ".csv" in result.stderr
    assert ".xlsx" in result.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_needs_both_formats(db: Path, tmp_path: Path) -> None:
    assert run_export(db, "needs", "-o", str(tmp_path / "n.xlsx")).returncode == 0
    book = load_workbook(tmp_path / "n.xlsx")
    assert book.sheetnames == ["改造需求汇总", "按楼栋"]
    summary = list(book["改造需求汇总"].iter_rows(values_only=True))
    assert summary[0] == SUMMARY_HEADERS
    lift = next(r for r in summary if r[1] == "加装电梯")
    assert lift[0] == "完善类"
    assert lift[2] == 1
    assert lift[5] == 1
    assert run_export(db, "needs", "-o", str(tmp_path / "n.csv")).returncode == 0
    rows = _csv(tmp_path / "n.csv")
    assert rows[0] == list(SUMMARY_HEADERS)
    buildings = _csv(tmp_path / "n-buildings.csv")
    assert buildings[1][:5] == ["未关联房屋", "", "完善类", "加装电梯", "1"]
