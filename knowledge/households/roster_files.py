"""Reading a roster file as a table of text cells: CSV in whatever encoding Excel saved it
(UTF-8 with or without a BOM, GBK/GB18030), comma- or tab-separated, or the first sheet of
an .xlsx (a zip bomb refused first). Validation of what the cells say is roster.py's."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime

from knowledge.upload_limits import check_zip


class RosterFileError(ValueError):
    """The file cannot be read as a table at all; str(exc) is a plain Chinese message."""


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK): detected, not asked."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterFileError("无法识别文件编码：请在 Excel/WPS 里另存为“CSV UTF-8”或 .xlsx 后再导入")


def cell_text(value: object) -> str:
    """A cell as text; numbers Excel stored as floats read as people typed them (101, 85.5)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    text = decode_csv(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    # A hostile .xlsx (a zip bomb) is refused before openpyxl inflates it.
    check_zip(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise RosterFileError(
            "无法读取这个 .xlsx 文件：请用 Excel/WPS 打开后重新另存再导入"
        ) from exc
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [cell_text(v) for v in values]
    finally:
        book.close()


def read_table(data: bytes, filename: str) -> Iterator[list[str]]:
    """The file's rows as lists of text cells, the header first."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix == "xlsx" or data[:2] == b"PK":
        return _xlsx_rows(data)
    if suffix in {"csv", "txt", ""}:
        return _csv_rows(data)
    raise RosterFileError(f"不支持的文件类型 .{suffix}：请用 .csv 或 .xlsx")
