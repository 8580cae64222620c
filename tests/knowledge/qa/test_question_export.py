"""The question-log export: CSV and XLSX read back, on a real SQLite database."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite
import pytest
from openpyxl import load_workbook
from openpyxl.worksheet._writer import ALL_TEMP_FILES as _openpyxl_temp_files

import knowledge.qa.question_export as export_module
from knowledge.qa.question_export import (
    HEADERS,
    SOURCE_GONE,
    STAFF_ANSWER,
    ExportFormat,
    ExportSelection,
    export_to_file,
    write_question_log,
)
from knowledge.spreadsheet import CsvWriter
from storage import kb_questions_repo as questions
from storage import staff_repo
from storage.db import open_database

SHANGHAI = ZoneInfo("Asia/Shanghai")
GROUP_ID = -1001234567890
OLD_GROUP_ID = -4001  # a group that later became the supergroup -1005550001
RESIDENT = 1001
NEIGHBOUR = 1002
STAFF = 900


@pytest.fixture
async def conn(tmp_path: Path) -> AsyncIterator[aiosqlite.Connection]:
    connection = await open_database(tmp_path / "t.db")
    yield connection
    await connection.close()


async def add_question(
    conn: aiosqlite.Connection,
    question: str,
    asked_at: str,
    *,
    user_id: int | None = RESIDENT,
    chat_id: int | None = RESIDENT,
    chat_type: str | None = "private",
    status: str = "unanswered",
    top_passage: int | None = None,
    **extra: Any,
) -> int:
    columns = {
        "asked_at": asked_at,
        "user_id": user_id,
        "chat_id": chat_id,
        "chat_type": chat_type,
        "question": question,
        "answered": int(top_passage is not None),
        "top_passage": top_passage,
        "status": status,
        **extra,
    }
    names = ", ".join(columns)
    marks = ", ".join("?" * len(columns))
    cur = await conn.execute(
        f"INSERT INTO kb_questions ({names}) VALUES ({marks})", tuple(columns.values())
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def add_passage(conn: aiosqlite.Connection, source: str) -> int:
    cur = await conn.execute(
        "INSERT INTO kb_passages (kind, text, source, tokens, head_tokens, bigram_text,"
        " created_at) VALUES ('faq', '答案', ?, '', '', '', '2025-01-01T00:00:00+00:00')",
        (source,),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


async def add_chat(
    conn: aiosqlite.Connection,
    chat_id: int,
    title: str,
    bound_name: str | None = None,
    migrated_from: int | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO chats (chat_id, type, title, bound_name, migrated_from, first_seen,"
        " updated_at) VALUES (?, 'supergroup', ?, ?, ?, '2025-01-01', '2025-01-01')",
        (chat_id, title, bound_name, migrated_from),
    )


@pytest.fixture
async def log(conn: aiosqlite.Connection) -> dict[str, int]:
    """Five questions covering every status, a group, feedback and a staff answer."""
    source = "《关于电动自行车安全管理的通知》三、充电管理"
    passage = await add_passage(conn, source)
    await add_chat(conn, GROUP_ID, "幸福里业主群", bound_name="幸福里3号楼")
    await add_chat(conn, -1005550001, "老街坊群", migrated_from=OLD_GROUP_ID)
    ids = {
        # 16:30 UTC on 1 March is 00:30 on 2 March in Shanghai.
        "answered": await add_question(
            conn,
            "电瓶车能在楼道充电吗",
            "2025-03-01T16:30:00+00:00",
            status="answered",
            top_passage=passage,
        ),
        "handoff": await add_question(
            conn,
            "加装电梯要多少户同意",
            "2025-03-02T02:00:00+00:00",
            user_id=NEIGHBOUR,
            chat_id=GROUP_ID,
            chat_type="supergroup",
            status="handoff",
            handoff_at="2025-03-02T02:05:00+00:00",
        ),
        "resolved": await add_question(
            conn,
            "驾照到期了怎么换证",
            "2025-03-05T09:00:00+00:00",
            status="resolved",
            resolved_by=STAFF,
            resolved_at="2025-03-06T01:00:00+00:00",
            faq_passage=passage,
        ),
        "dismissed": await add_question(
            conn,
            "今天天气怎么样",
            "2025-03-10T15:59:59+00:00",
            chat_id=OLD_GROUP_ID,
            chat_type="group",
            status="dismissed",
            resolved_by=STAFF,
            resolved_at="2025-03-11T00:00:00+00:00",
        ),
        "unanswered": await add_question(
            conn, "物业费怎么交", "2025-03-10T16:00:00+00:00", top_passage=None
        ),
    }
    for user, helpful in ((RESIDENT, 1), (NEIGHBOUR, 1), (STAFF, 0)):
        await questions.record_feedback(conn, ids["answered"], user, passage, bool(helpful))
    return ids


async def export_bytes(
    conn: aiosqlite.Connection,
    fmt: ExportFormat,
    selection: ExportSelection | None = None,
    **kwargs: Any,
) -> tuple[int, bytes]:
    out = io.BytesIO()
    count = await write_question_log(
        conn, out, fmt, tz=SHANGHAI, selection=selection or ExportSelection(), **kwargs
    )
    return count, out.getvalue()


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_rows(data: bytes) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet is not None
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def by_id(rows: list[list[Any]]) -> dict[int, dict[str, Any]]:
    header, *body = rows
    return {int(r[0]): dict(zip(header, r, strict=True)) for r in body}


async def test_csv_columns_local_times_and_chinese_statuses(
    conn: aiosqlite.Connection, log: dict[str, int]
) -> None:
    count, data = await export_bytes(conn, ExportFormat.CSV)

    rows = csv_rows(data)
    assert count == 5
    assert tuple(rows[0]) == HEADERS
    assert [int(r[0]) for r in rows[1:]] == sorted(log.values())
    got = by_id(rows)
    answered = got[log["answered"]]
    assert answered == {
        "编号": str(log["answered"]),
        "时间": "2025-03-02 00:30:00",
        "群聊/私聊": "私聊",
        "提问人": str(RESIDENT),
        "问题": "电瓶车能在楼道充电吗",
        "状态": "已回答",
        "回答来源": "《关于电动自行车安全管理的通知》三、充电管理",
        "反馈": "👍2 👎1",
        "转人工时间": "",
        "处理人": "",
        "处理时间": "",
    }
    handoff = got[log["handoff"]]
    assert handoff["群聊/私聊"] == "群聊：幸福里业主群（幸福里3号楼）"
    assert (handoff["状态"], handoff["提问人"]) == ("已转人工", str(NEIGHBOUR))
    assert (handoff["时间"], handoff["转人工时间"]) == (
        "2025-03-02 10:00:00",
        "2025-03-02 10:05:00",
    )
    assert (handoff["回答来源"], handoff["反馈"]) == ("", "")
    resolved = got[log["resolved"]]
    assert resolved["状态"] == "已处理"
    assert resolved["回答来源"] == STAFF_ANSWER
    assert (resolved["处理人"], resolved["处理时间"]) == (str(STAFF), "2025-03-06 09:00:00")
    dismissed = got[log["dismissed"]]
    assert dismissed["状态"] == "已忽略"
    # The group has since become a supergroup: its title is found through migrated_from.
    assert dismissed["群聊/私聊"] == "群聊：老街坊群"
    assert got[log["unanswered"]]["状态"] == "未能回答"


async def test_xlsx_has_the_same_rows_with_real_local_datetimes(
    conn: aiosqlite.Connection, log: dict[str, int]
) -> None:
    count, data = await export_bytes(conn, ExportFormat.XLSX)

    rows = xlsx_rows(data)
    assert count == 5
    assert tuple(rows[0]) == HEADERS
    got = by_id(rows)
    answered = got[log["answered"]]
    assert answered["时间"] == datetime(2025, 3, 2, 0, 30)  # noqa: DTZ001 - Excel has no zones
    assert answered["提问人"] == RESIDENT
    assert answered["状态"] == "已回答"
    assert answered["反馈"] == "👍2 👎1"
    assert answered["处理人"] is None
    resolved = got[log["resolved"]]
    assert resolved["处理时间"] == datetime(2025, 3, 6, 9, 0)  # noqa: DTZ001
    assert resolved["处理人"] == str(STAFF)  # no name stored: the id, as text
    assert [r["状态"] for r in got.values()] == [
        "已回答",
        "已转人工",
        "已处理",
        "已忽略",
        "未能回答",
    ]
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    assert sheet["B2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet.freeze_panes == "A2"


async def test_staff_are_named_beside_their_id_when_a_name_is_stored(
    conn: aiosqlite.Connection, log: dict[str, int]
) -> None:
    await staff_repo.set_staff_name(conn, STAFF, "=网格员小张")

    _, data = await export_bytes(conn, ExportFormat.CSV)

    got = {int(r[0]): r for r in csv_rows(data)[1:]}
    # The name is the person's own Telegram text: kept from running as a formula.
    assert got[log["resolved"]][9] == got[log["dismissed"]][9] == f"'=网格员小张（{STAFF}）"
    assert got[log["answered"]][9] == ""


async def test_answer_source_of_a_removed_passage_says_so(conn: aiosqlite.Connection) -> None:
    await add_question(conn, "垃圾分几类", "2025-03-01T00:00:00+00:00", top_passage=12345)

    _, data = await export_bytes(conn, ExportFormat.CSV)

    assert csv_rows(data)[1][6] == SOURCE_GONE


@pytest.mark.parametrize(
    "question",
    [
        '=HYPERLINK("http://evil.example","点我")',
        "+86 13800000000 怎么联系物业",
        "-1+1",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
    ],
)
@pytest.mark.parametrize("fmt", list(ExportFormat))
async def test_formula_like_text_is_quoted(
    conn: aiosqlite.Connection, fmt: ExportFormat, question: str
) -> None:
    await add_chat(conn, GROUP_ID, "=cmd|' /C calc'!A0")
    await add_question(
        conn, question, "2025-03-01T00:00:00+00:00", chat_id=GROUP_ID, chat_type="supergroup"
    )

    _, data = await export_bytes(conn, fmt)

    rows = csv_rows(data) if fmt is ExportFormat.CSV else xlsx_rows(data)
    assert rows[1][2] == "群聊：=cmd|' /C calc'!A0"  # not at the start of the cell
    if fmt is ExportFormat.CSV:
        assert rows[1][4] == "'" + question  # Excel's own "this is text" mark
    else:
        # A text cell: it reads exactly as typed, and Excel keeps it text when edited.
        assert rows[1][4] == question
        sheet = load_workbook(io.BytesIO(data)).active
        assert sheet is not None
        assert sheet["E2"].data_type == "s"
        assert sheet["E2"].quotePrefix


@pytest.mark.parametrize("fmt", list(ExportFormat))
async def test_control_characters_do_not_break_the_file(
    conn: aiosqlite.Connection, fmt: ExportFormat
) -> None:
    await add_question(conn, "楼道\x0b灯坏了\x00\n谁来修", "2025-03-01T00:00:00+00:00")

    _, data = await export_bytes(conn, fmt)

    rows = csv_rows(data) if fmt is ExportFormat.CSV else xlsx_rows(data)
    assert rows[1][4] == "楼道灯坏了\n谁来修"


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        # Local dates, both ends inclusive: 00:30 on 2 March (local) belongs to 2 March.
        (
            ExportSelection(start=date(2025, 3, 2)),
            ["answered", "handoff", "resolved", "dismissed", "unanswered"],
        ),
        (ExportSelection(end=date(2025, 3, 1)), []),
        (ExportSelection(start=date(2025, 3, 2), end=date(2025, 3, 2)), ["answered", "handoff"]),
        # 15:59:59 UTC on 10 March is 23:59:59 local; 16:00 UTC is already 11 March.
        (ExportSelection(start=date(2025, 3, 10), end=date(2025, 3, 10)), ["dismissed"]),
        (ExportSelection(start=date(2025, 3, 11)), ["unanswered"]),
        (ExportSelection(statuses=frozenset({"handoff"})), ["handoff"]),
        (
            ExportSelection(statuses=frozenset(questions.OPEN_STATUSES)),
            ["handoff", "unanswered"],
        ),
        (
            ExportSelection(
                start=date(2025, 3, 3), end=date(2025, 3, 31), statuses=frozenset({"resolved"})
            ),
            ["resolved"],
        ),
        (ExportSelection(statuses=frozenset()), []),
    ],
)
async def test_date_and_status_filters(
    conn: aiosqlite.Connection,
    log: dict[str, int],
    selection: ExportSelection,
    expected: list[str],
) -> None:
    count, data = await export_bytes(conn, ExportFormat.CSV, selection)

    ids = [int(r[0]) for r in csv_rows(data)[1:]]
    assert ids == [log[name] for name in expected]
    assert count == len(expected)


async def test_rows_are_written_in_batches_in_id_order(
    conn: aiosqlite.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(7):
        await add_question(conn, f"问题{i}", f"2025-03-0{i + 1}T00:00:00+00:00")
    batches: list[int] = []
    original = CsvWriter.write_rows

    def spy(self: Any, rows: Any) -> None:
        batches.append(len(rows))
        original(self, rows)

    monkeypatch.setattr(CsvWriter, "write_rows", spy)

    count, data = await export_bytes(conn, ExportFormat.CSV, batch_size=3)

    assert count == 7
    assert batches == [3, 3, 1]
    assert [r[4] for r in csv_rows(data)[1:]] == [f"问题{i}" for i in range(7)]


async def test_large_user_ids_stay_exact_in_excel(conn: aiosqlite.Connection) -> None:
    big = 2**52 - 1  # 16 digits: more than Excel keeps in a number
    await add_question(conn, "问题", "2025-03-01T00:00:00+00:00", user_id=big)

    _, data = await export_bytes(conn, ExportFormat.XLSX)

    assert xlsx_rows(data)[1][3] == str(big)


async def test_an_unknown_status_is_shown_as_stored(conn: aiosqlite.Connection) -> None:
    await add_question(conn, "问题", "2025-03-01T00:00:00+00:00", status="escalated")

    _, data = await export_bytes(conn, ExportFormat.CSV)

    assert csv_rows(data)[1][5] == "escalated"


async def test_empty_log_writes_only_the_header(conn: aiosqlite.Connection) -> None:
    count, data = await export_bytes(conn, ExportFormat.XLSX)

    assert count == 0
    assert xlsx_rows(data) == [list(HEADERS)]


async def test_export_to_file_replaces_the_target_only_when_done(
    conn: aiosqlite.Connection,
    log: dict[str, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "记录.xlsx"
    target.write_bytes(b"old")

    def broken(*args: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(export_module, "row_cells", broken)
    temp_files_before = list(_openpyxl_temp_files)
    with pytest.raises(RuntimeError):
        await export_to_file(
            conn, target, ExportFormat.XLSX, tz=SHANGHAI, selection=ExportSelection()
        )
    assert target.read_bytes() == b"old"
    assert not (tmp_path / ".记录.xlsx.part").exists()
    # openpyxl's own temporary file for the half-written sheet is gone too.
    assert _openpyxl_temp_files == temp_files_before

    monkeypatch.undo()
    count = await export_to_file(
        conn, target, ExportFormat.XLSX, tz=SHANGHAI, selection=ExportSelection()
    )
    assert count == 5
    assert len(xlsx_rows(target.read_bytes())) == 6


def test_selection_checks_the_order_and_describes_itself() -> None:
    with pytest.raises(ValueError, match="晚于"):
        ExportSelection(start=date(2025, 3, 2), end=date(2025, 3, 1))
    selection = ExportSelection(
        start=date(2025, 3, 1), end=date(2025, 3, 31), statuses=frozenset({"handoff", "answered"})
    )
    assert selection.describe_dates() == "2025-03-01 至 2025-03-31"
    assert selection.describe_statuses() == "已回答、已转人工"
    assert ExportSelection().describe_dates() == "全部日期"
    assert ExportSelection().describe_statuses() == "全部状态"
    assert selection.utc_bounds(SHANGHAI) == (
        "2025-02-28T16:00:00+00:00",
        "2025-03-31T16:00:00+00:00",
    )
    assert ExportSelection().utc_bounds(UTC) == (None, None)
    # The ends of the calendar mean "no bound", not an OverflowError.
    assert ExportSelection(start=date.min, end=date.max).utc_bounds(SHANGHAI) == (None, None)
    assert ExportSelection(end=date.max).utc_bounds(ZoneInfo("America/New_York")) == (None, None)
