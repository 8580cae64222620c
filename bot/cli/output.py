"""What every export command does with `-o FILE`: the format from the suffix, or a message."""

from __future__ import annotations

import argparse
import io
import sys
from datetime import date
from pathlib import Path

from knowledge.spreadsheet import Sheet, SpreadsheetFormat, format_for, write_csv


def spreadsheet_format(output: Path) -> SpreadsheetFormat | None:
    """The format `output`'s suffix names; None after telling the user (exit status 2)."""
    fmt = format_for(output)
    if fmt is None:
        print(
            f"不支持的文件类型 {output.suffix or '（无后缀）'}：输出文件名请以 .csv 或 .xlsx 结尾"
            " / the output file must end in .csv or .xlsx",
            file=sys.stderr,
        )
    return fmt


def csv_to_stdout(sheet: Sheet) -> None:
    """The sheet as CSV (UTF-8 with BOM) on standard output, for `> file.csv`."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        sys.stdout.flush()
        write_csv(buffer, sheet)
        buffer.flush()
    else:  # a text-only stdout (tests capture into a StringIO)
        raw = io.BytesIO()
        write_csv(raw, sheet)
        sys.stdout.write(raw.getvalue().decode("utf-8"))


def date_arg(raw: str) -> date:
    """An argparse type for `--since`/`--from`-style dates."""
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"日期应写成 YYYY-MM-DD，例如 2025-03-01 / expected YYYY-MM-DD (got {raw!r})"
        ) from None
