"""Writing the record to a file: .csv (the per-household table), .xlsx (three sheets), .md."""

from __future__ import annotations

from pathlib import Path

from knowledge.consult.audit import Record
from knowledge.consult.record import VOTE_HEADERS, markdown, sheets
from knowledge.spreadsheet import Sheet, write_csv, write_xlsx

FORMATS = (".csv", ".xlsx", ".md")


def write_record(record: Record, path: Path) -> None:
    """Raises ValueError for another suffix; OSError when the file cannot be written."""
    suffix = path.suffix.lower()
    tally = record.result.tally
    if suffix == ".csv":
        write_csv(path, Sheet("分户表决", VOTE_HEADERS, record.votes))
    elif suffix == ".xlsx":
        write_xlsx(path, sheets(record.context, tally, record.lines, record.votes, record.history))
    elif suffix == ".md":
        text = markdown(record.context, tally, record.lines, record.votes)
        path.write_text(text, encoding="utf-8")
    else:
        raise ValueError(f"unsupported export format {suffix or '(none)'}: use .csv, .xlsx or .md")
