"""What every export command does with `-o FILE`: the format from the suffix, or a message."""

from __future__ import annotations

import sys
from pathlib import Path

from knowledge.spreadsheet import SpreadsheetFormat, format_for


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
