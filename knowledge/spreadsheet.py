"""The one spreadsheet writer behind every export: CSV or XLSX, streamed, safe to open.

Staff hand these files to the street office, who open them in Excel or WPS, and the text
in them was typed by residents. So a cell that starts like a formula must never run as
one: CSV has no cell types, so such a value gets a leading apostrophe (Excel's own "this
is text" mark); XLSX has them, so the value is written as a text cell, with Excel's
quote-prefix style so that editing the cell keeps it text, and reads exactly as typed.

Rows are consumed as they come (CSV directly, XLSX through openpyxl's write-only mode,
which spools each sheet to a temporary file), so a large export never sits in memory.
`open_writer` is the incremental form, for callers that produce rows in batches (from a
database, say, between awaits); `write_csv`, `write_xlsx` and `write_spreadsheet` take
whole `Sheet`s.

Plain Python on purpose: no Telegram, no SQL.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path, PurePath
from typing import IO, TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# A cell starting with one of these is run as a formula by Excel/WPS: a resident could
# otherwise plant =HYPERLINK(...) or a DDE payload in the file staff hand on.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Control characters XML 1.0 (so XLSX) cannot hold; openpyxl refuses the whole cell.
# Stripped from CSV too, so both formats of one export say the same thing.
_ILLEGAL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Excel keeps 15 significant digits: a longer integer is written as text so it stays exact.
_EXACT_NUMBER_LIMIT = 10**15
# Excel's limits: characters in a cell, and in a sheet's name (which also may not hold
# these characters).
MAX_CELL_CHARS = 32_767
MAX_TITLE_CHARS = 31
_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
CSV_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
CSV_DATE_FORMAT = "%Y-%m-%d"
EXCEL_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
EXCEL_DATE_FORMAT = "yyyy-mm-dd"


class SpreadsheetFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class UnsupportedFormatError(ValueError):
    """The file name asks for a format this module does not write."""


def format_for(path: PurePath) -> SpreadsheetFormat | None:
    """The format a file name asks for by its suffix (any case); None when it is neither."""
    suffix = path.suffix.lower().lstrip(".")
    return next((fmt for fmt in SpreadsheetFormat if fmt.value == suffix), None)


@dataclass(frozen=True)
class Sheet:
    """One table: a title (the XLSX sheet name), a header row, and the rows below it.

    Cells may be str, int, float, bool, date, naive datetime (local time: Excel has no
    time zones) or None. ``widths`` are XLSX column widths in characters, in the order
    of ``headers``. ``rows`` is read once, as it is written.
    """

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]] = ()
    widths: Sequence[float] | None = None

    def __post_init__(self) -> None:
        check_title(self.title)
        if self.widths is not None and len(self.widths) > len(self.headers):
            raise ValueError(f"sheet {self.title!r}: more widths than headers")


def check_title(title: str) -> None:
    """Refuse a sheet name Excel would refuse (or that openpyxl would only warn about)."""
    if not title or len(title) > MAX_TITLE_CHARS or _TITLE_FORBIDDEN.search(title):
        raise ValueError(
            f"sheet title {title!r}: 1 to {MAX_TITLE_CHARS} characters, none of [ ] : * ? / \\"
        )


def clean_text(value: str) -> str:
    """Text without the control characters XML cannot hold."""
    return _ILLEGAL_CHARS.sub("", value)


def looks_like_formula(value: str) -> bool:
    return value.startswith(FORMULA_START)


def csv_text(value: str) -> str:
    """Text as a CSV cell: cleaned, and never taken for a formula."""
    value = clean_text(value)
    return "'" + value if looks_like_formula(value) else value


def _check_cell(value: object) -> None:
    if isinstance(value, datetime) and value.tzinfo is not None:
        raise ValueError("spreadsheets hold local time: convert aware datetimes first")
    if value is not None and not isinstance(value, str | int | float | date):
        raise TypeError(f"cannot write a {type(value).__name__} to a spreadsheet cell")


def _csv_cell(value: object) -> object:
    _check_cell(value)
    if isinstance(value, str):
        return csv_text(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # as Excel writes them
    if isinstance(value, datetime):
        return value.strftime(CSV_DATETIME_FORMAT)
    if isinstance(value, date):
        return value.strftime(CSV_DATE_FORMAT)
    return value


class SpreadsheetWriter(Protocol):
    """Incremental writing: ``start_sheet``, ``write_rows`` (any number of times, for the
    sheet last started), then exactly one of ``close`` (finish the file) or ``abort``."""

    def start_sheet(
        self, title: str, headers: Sequence[str], widths: Sequence[float] | None = None
    ) -> None: ...

    def write_rows(self, rows: Iterable[Sequence[object]]) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


class CsvWriter:
    """UTF-8 with a BOM: without it Excel reads the file as GBK and garbles the Chinese.

    A CSV file holds one sheet; its title is not written anywhere.
    """

    def __init__(self, out: IO[bytes]) -> None:
        self._text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._text)
        self._started = False

    def start_sheet(
        self, title: str, headers: Sequence[str], widths: Sequence[float] | None = None
    ) -> None:
        if self._started:
            raise ValueError("a CSV file holds one sheet; use XLSX for several")
        self._started = True
        self._csv.writerow([_csv_cell(h) for h in headers])

    def write_rows(self, rows: Iterable[Sequence[object]]) -> None:
        if not self._started:
            raise ValueError("start_sheet first")
        self._csv.writerows([_csv_cell(c) for c in row] for row in rows)

    def close(self) -> None:
        self._text.flush()
        self._text.detach()  # the caller owns (and closes) the binary stream

    def abort(self) -> None:
        self._text.detach()


class XlsxWriter:
    """openpyxl's write-only mode streams each sheet to a temporary file until ``close``."""

    def __init__(self, out: IO[bytes]) -> None:
        # Imported here: the CLI and the bot only pay for openpyxl when exporting.
        from openpyxl import Workbook

        self._out = out
        self._book = Workbook(write_only=True)
        self._sheet: WriteOnlyWorksheet | None = None
        self._titles: set[str] = set()

    def start_sheet(
        self, title: str, headers: Sequence[str], widths: Sequence[float] | None = None
    ) -> None:
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        check_title(title)
        if title.casefold() in self._titles:  # Excel compares sheet names case-blind
            raise ValueError(f"two sheets titled {title!r}")
        self._titles.add(title.casefold())
        sheet = self._book.create_sheet(title)
        for number, width in enumerate(widths or (), 1):
            sheet.column_dimensions[get_column_letter(number)].width = width
        sheet.freeze_panes = "A2"  # the header stays in view while scrolling
        bold = Font(bold=True)
        header = []
        for title_text in headers:
            cell = self._cell(sheet, title_text)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        self._sheet = sheet

    def write_rows(self, rows: Iterable[Sequence[object]]) -> None:
        sheet = self._sheet
        if sheet is None:
            raise ValueError("start_sheet first")
        for row in rows:
            sheet.append([self._cell(sheet, value) for value in row])

    @staticmethod
    def _cell(sheet: WriteOnlyWorksheet, value: object) -> Any:
        from openpyxl.cell import WriteOnlyCell

        _check_cell(value)
        if isinstance(value, int) and abs(value) >= _EXACT_NUMBER_LIMIT:
            value = str(value)
        if isinstance(value, str):
            text = clean_text(value)[:MAX_CELL_CHARS]
            cell = WriteOnlyCell(sheet, value=text)
            # openpyxl takes any string starting with "=" for a formula: say it is text.
            cell.data_type = "s"
            if looks_like_formula(text):
                cell.quotePrefix = True  # Excel keeps it text even when it is edited
            return cell
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, datetime):
            cell.number_format = EXCEL_DATETIME_FORMAT
        elif isinstance(value, date):
            cell.number_format = EXCEL_DATE_FORMAT
        return cell

    def close(self) -> None:
        self._book.save(self._out)

    def abort(self) -> None:
        # Saving is openpyxl's only public way to finish the sheets' streams and delete
        # their temporary files; the caller's stream is left as it is.
        self._book.save(io.BytesIO())


def open_writer(out: IO[bytes], fmt: SpreadsheetFormat) -> SpreadsheetWriter:
    return CsvWriter(out) if fmt is SpreadsheetFormat.CSV else XlsxWriter(out)


def _write(writer: SpreadsheetWriter, sheets: Sequence[Sheet]) -> None:
    try:
        for sheet in sheets:
            writer.start_sheet(sheet.title, sheet.headers, sheet.widths)
            writer.write_rows(sheet.rows)
    except BaseException:
        writer.abort()
        raise
    writer.close()


@contextmanager
def _binary_output(target: str | os.PathLike[str] | IO[bytes]) -> Iterator[IO[bytes]]:
    if isinstance(target, str | os.PathLike):
        with open(target, "wb") as handle:
            yield handle
    else:
        yield target


def write_csv(target: str | os.PathLike[str] | IO[bytes], sheet: Sheet) -> None:
    """One sheet as CSV (UTF-8 with BOM) to a path or a binary stream (left open)."""
    with _binary_output(target) as out:
        _write(CsvWriter(out), [sheet])


def write_xlsx(target: str | os.PathLike[str] | IO[bytes], sheets: Sequence[Sheet]) -> None:
    """One workbook holding ``sheets`` in order, to a path or a binary stream (left open)."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    with _binary_output(target) as out:
        _write(XlsxWriter(out), sheets)


def write_spreadsheet(path: str | os.PathLike[str], sheets: Sequence[Sheet]) -> None:
    """Write ``sheets`` in the format the file name asks for (.csv: exactly one sheet).

    The file appears only when complete: a failed write leaves an existing file as it
    was and no partial file behind.
    """
    path = Path(path)
    fmt = format_for(path)
    if fmt is None:
        raise UnsupportedFormatError(
            f"cannot write {path.name!r}: a spreadsheet file name must end in .csv or .xlsx"
        )
    if fmt is SpreadsheetFormat.CSV and len(sheets) != 1:
        raise ValueError(f"a CSV file holds exactly one sheet, not {len(sheets)}; use .xlsx")
    partial = path.with_name(f".{path.name}.part")
    try:
        with partial.open("wb") as out:
            if fmt is SpreadsheetFormat.CSV:
                write_csv(out, sheets[0])
            else:
                write_xlsx(out, sheets)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
