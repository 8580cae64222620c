"""The one spreadsheet writer: CSV and XLSX files written, then read back."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path, PurePath
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet._writer import ALL_TEMP_FILES as _openpyxl_temp_files

from knowledge.spreadsheet import (
    CsvWriter,
    Sheet,
    SpreadsheetFormat,
    UnsupportedFormatError,
    XlsxWriter,
    csv_text,
    format_for,
    write_csv,
    write_spreadsheet,
    write_xlsx,
)

FORMULAS = ["=1+1", '=HYPERLINK("http://evil.example","点我")', "+86 138", "-1+1", "@SUM(A1)"]
NOON = datetime(2025, 3, 2, 12, 0, 5)  # noqa: DTZ001 - spreadsheets hold local time


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    out = io.BytesIO()
    write_xlsx(out, sheets)
    return out.getvalue()


def values(data: bytes, title: str) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(data))[title]
    return [[c.value for c in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("电梯坏了", "电梯坏了"),
        ("=1", "'=1"),
        ("a=1", "a=1"),
        ("", ""),
        ("－1", "－1"),  # a full-width minus starts no formula
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("楼道\x0b灯\x00坏了", "楼道灯坏了"),
        ("\x00=1", "'=1"),  # cleaned first, then guarded
    ],
)
def test_csv_text(text: str, safe: str) -> None:
    assert csv_text(text) == safe


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.csv", SpreadsheetFormat.CSV),
        ("a.CSV", SpreadsheetFormat.CSV),
        ("记录.xlsx", SpreadsheetFormat.XLSX),
        ("a.xls", None),
        ("a.txt", None),
        ("csv", None),
        ("a.csv.gz", None),
    ],
)
def test_format_for(name: str, fmt: SpreadsheetFormat | None) -> None:
    assert format_for(PurePath(name)) is fmt


def test_csv_is_utf8_with_bom_and_guards_formulas() -> None:
    sheet = Sheet(
        "投诉",
        ["编号", "时间", "日期", "内容", "金额", "已办", "备注"],
        [
            [1, NOON, date(2025, 3, 2), "=1+1", 1.5, True, None],
            [2**60, None, None, "水管漏水，\n请尽快处理", -3, False, "-"],
        ],
    )
    out = io.BytesIO()

    write_csv(out, sheet)

    assert not out.closed  # the caller's stream, the caller's to close
    assert csv_rows(out.getvalue()) == [
        ["编号", "时间", "日期", "内容", "金额", "已办", "备注"],
        ["1", "2025-03-02 12:00:05", "2025-03-02", "'=1+1", "1.5", "TRUE", ""],
        [str(2**60), "", "", "水管漏水，\n请尽快处理", "-3", "FALSE", "'-"],
    ]


@pytest.mark.parametrize("formula", FORMULAS)
def test_xlsx_writes_formula_like_text_as_text_cells(formula: str) -> None:
    data = xlsx_bytes([Sheet("记录", ["问题", "说明"], [[formula, "普通文字"]])])

    cell, plain = load_workbook(io.BytesIO(data))["记录"][2]
    # Reads exactly as typed: no guard apostrophe, no formula, and Excel's quote-prefix
    # style so that editing the cell keeps it text.
    assert cell.value == formula
    assert cell.data_type == "s"
    assert cell.quotePrefix
    assert plain.value == "普通文字"
    assert not plain.quotePrefix
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml


def test_xlsx_several_sheets_with_headers_widths_and_types() -> None:
    complaints = Sheet(
        "投诉记录",
        ["编号", "时间", "日期", "内容", "住户ID"],
        ([i, NOON, date(2025, 3, i), f"第{i}件", 2**52 - i] for i in range(1, 4)),
        widths=[8, 20, 12, 60],
    )
    roster = Sheet("住户名册", ["楼栋", "房号"], [["3号楼", "1201"]])

    data = xlsx_bytes([complaints, roster])

    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["投诉记录", "住户名册"]
    rows = values(data, "投诉记录")
    assert rows[0] == ["编号", "时间", "日期", "内容", "住户ID"]
    assert rows[1][:4] == [1, NOON, datetime(2025, 3, 1), "第1件"]  # noqa: DTZ001
    # 16 digits: more than Excel keeps in a number, so it is text and stays exact.
    assert rows[1][4] == str(2**52 - 1)
    assert len(rows) == 4
    sheet = book["投诉记录"]
    assert sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2"
    assert sheet["B2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet["C2"].number_format == "yyyy-mm-dd"
    assert sheet.column_dimensions["D"].width == 60
    assert values(data, "住户名册") == [["楼栋", "房号"], ["3号楼", "1201"]]


def test_xlsx_strips_characters_xml_cannot_hold() -> None:
    data = xlsx_bytes([Sheet("记录", ["问题"], [["楼道\x0b灯坏了\x00\n谁来修"]])])

    assert values(data, "记录")[1] == ["楼道灯坏了\n谁来修"]


def test_an_empty_sheet_has_only_its_header() -> None:
    data = xlsx_bytes([Sheet("记录", ["编号", "问题"])])

    assert values(data, "记录") == [["编号", "问题"]]


@pytest.mark.parametrize("title", ["", "x" * 32, "a/b", "a:b", "[a]", "a*b", "a?b", "a\\b"])
def test_sheet_titles_excel_refuses_are_refused(title: str) -> None:
    with pytest.raises(ValueError, match="sheet title"):
        Sheet(title, ["a"])


def test_more_widths_than_headers_is_refused() -> None:
    with pytest.raises(ValueError, match="widths"):
        Sheet("记录", ["a"], widths=[1, 2])


def test_two_sheets_with_one_title_are_refused() -> None:
    with pytest.raises(ValueError, match="two sheets"):
        xlsx_bytes([Sheet("Log", ["a"]), Sheet("log", ["b"])])


@pytest.mark.parametrize("writer", [CsvWriter, XlsxWriter])
def test_cells_of_other_types_are_refused(writer: type[CsvWriter | XlsxWriter]) -> None:
    w = writer(io.BytesIO())
    w.start_sheet("记录", ["a"])
    with pytest.raises(TypeError, match="list"):
        w.write_rows([[["not", "a", "cell"]]])
    with pytest.raises(ValueError, match="local time"):
        w.write_rows([[datetime(2025, 3, 2, tzinfo=UTC)]])
    w.abort()


def test_a_csv_file_holds_one_sheet() -> None:
    writer = CsvWriter(io.BytesIO())
    writer.start_sheet("a", ["x"])
    with pytest.raises(ValueError, match="one sheet"):
        writer.start_sheet("b", ["y"])
    writer.abort()


def test_write_spreadsheet_picks_the_format_by_suffix(tmp_path: Path) -> None:
    sheet = Sheet("记录", ["问题"], [["=1+1"]])

    write_spreadsheet(tmp_path / "a.CSV", [sheet])
    write_spreadsheet(tmp_path / "a.xlsx", [sheet, Sheet("说明", ["说明"], [["无"]])])

    assert csv_rows((tmp_path / "a.CSV").read_bytes()) == [["问题"], ["'=1+1"]]
    assert values((tmp_path / "a.xlsx").read_bytes(), "记录") == [["问题"], ["=1+1"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.CSV", "a.xlsx"]


@pytest.mark.parametrize("name", ["a.xls", "a.txt", "a"])
def test_write_spreadsheet_refuses_other_suffixes(tmp_path: Path, name: str) -> None:
    with pytest.raises(UnsupportedFormatError, match=r"\.csv or \.xlsx"):
        write_spreadsheet(tmp_path / name, [Sheet("记录", ["a"])])
    assert not list(tmp_path.iterdir())


def test_write_spreadsheet_csv_needs_exactly_one_sheet(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one sheet"):
        write_spreadsheet(tmp_path / "a.csv", [Sheet("a", ["x"]), Sheet("b", ["y"])])
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["记录.csv", "记录.xlsx"])
def test_a_failed_write_leaves_the_old_file_and_no_partial_one(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    target.write_bytes(b"old")

    def rows() -> Iterator[list[object]]:
        yield ["第一行"]
        raise RuntimeError("disk full")

    temp_files_before = list(_openpyxl_temp_files)
    with pytest.raises(RuntimeError, match="disk full"):
        write_spreadsheet(target, [Sheet("记录", ["问题"], rows())])

    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == [name]
    # openpyxl's own temporary file for the half-written sheet is gone too.
    assert _openpyxl_temp_files == temp_files_before
