"""`resident-bot kb export`: the question log to CSV/XLSX, the CLI called in-process."""

from __future__ import annotations

import codecs
import csv
import io
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from knowledge.qa.question_export import HEADERS
from tests.bot.cli.test_cli_kb import ok, run_cli

QUESTIONS = [
    # (asked_at UTC, user, chat, chat type, question, status)
    ("2025-03-01T16:30:00+00:00", 1001, 1001, "private", "电瓶车能在楼道充电吗", "answered"),
    ("2025-03-02T02:00:00+00:00", 1002, -100123, "supergroup", "=1+1 加装电梯", "handoff"),
    ("2025-03-20T02:00:00+00:00", 1001, 1001, "private", "驾照怎么换", "handoff"),
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A migrated database (made by the CLI itself) holding QUESTIONS."""
    path = tmp_path / "bot.db"
    empty = run_cli(path, "export", "-o", str(tmp_path / "empty.csv"))
    assert "没有符合条件的记录" in ok(empty)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO chats (chat_id, type, title, first_seen, updated_at)"
            " VALUES (-100123, 'supergroup', '幸福里业主群', 'x', 'x')"
        )
        conn.executemany(
            "INSERT INTO kb_questions (asked_at, user_id, chat_id, chat_type, question,"
            " answered, status) VALUES (?, ?, ?, ?, ?, 0, ?)",
            QUESTIONS,
        )
    return path


def test_empty_database_gives_a_header_only_csv(tmp_path: Path) -> None:
    out = tmp_path / "empty.csv"
    stdout = ok(run_cli(tmp_path / "bot.db", "export", "-o", str(out)))

    assert "没有符合条件的记录" in stdout
    data = out.read_bytes()
    assert data.startswith(codecs.BOM_UTF8)
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig")))) == [list(HEADERS)]


def test_csv_export_of_everything(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "记录.csv"

    stdout = ok(run_cli(db, "export", "-o", str(out)))

    assert "已导出 3 条记录" in stdout
    header, *rows = csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig")))
    assert tuple(header) == HEADERS
    assert [r[1] for r in rows] == [
        "2025-03-02 00:30:00",
        "2025-03-02 10:00:00",
        "2025-03-20 10:00:00",
    ]
    assert [r[2] for r in rows] == ["私聊", "群聊：幸福里业主群", "私聊"]
    assert [r[3] for r in rows] == ["1001", "1002", "1001"]
    assert [r[4] for r in rows] == ["电瓶车能在楼道充电吗", "'=1+1 加装电梯", "驾照怎么换"]
    assert [r[5] for r in rows] == ["已回答", "已转人工", "已转人工"]


def test_xlsx_export_filtered_by_status_and_local_dates(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "转人工.XLSX"

    stdout = ok(
        run_cli(
            db,
            "export",
            "--from",
            "2025-03-02",
            "--to",
            "2025-03-19",
            "--status",
            "handoff",
            "--status",
            "unanswered",
            "-o",
            str(out),
        )
    )

    assert "已导出 1 条记录" in stdout
    assert "2025-03-02 至 2025-03-19" in stdout
    sheet = load_workbook(out).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert tuple(rows[0]) == HEADERS
    assert len(rows) == 2
    assert rows[1][1] == datetime(2025, 3, 2, 10, 0)  # noqa: DTZ001 - local time, as Excel shows
    # A text cell reads as typed: no guard apostrophe, and no formula either.
    assert rows[1][4:6] == ["=1+1 加装电梯", "已转人工"]
    assert sheet["E2"].data_type == "s"


@pytest.mark.parametrize("name", ["记录.txt", "记录.xls", "记录"])
def test_unknown_suffix_is_refused_with_status_2(tmp_path: Path, name: str) -> None:
    out = tmp_path / name

    result = run_cli(tmp_path / "bot.db", "export", "-o", str(out))

    assert result.returncode == 2
    assert ".csv 或 .xlsx" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert not (tmp_path / "bot.db").exists()  # refused before touching the database


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2025-03-10", "--to", "2025-03-01"], "晚于"),
        (["--from", "2025/03/01"], "YYYY-MM-DD"),
        (["--to", "昨天"], "YYYY-MM-DD"),
        (["--status", "open"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "x.csv"

    result = run_cli(tmp_path / "bot.db", "export", *args, "-o", str(out))

    assert result.returncode == 2
    assert message in result.stderr
    assert not out.exists()


def test_unwritable_output_fails_with_status_1(tmp_path: Path) -> None:
    out = tmp_path / "no-such-folder" / "x.csv"

    result = run_cli(tmp_path / "bot.db", "export", "-o", str(out))

    assert result.returncode == 1
    assert "导出失败" in result.stderr
    assert "Traceback" not in result.stderr
