"""`roster codes` (bot/cli/roster_codes.py), driven through its own parser in-process."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import roster_codes
from bot.config import load_settings
from knowledge.households.linking import ALPHABET, CODE_LENGTH
from storage.db import open_database
from storage.households_repo import HouseholdValues, ensure_community, write_households


async def _seed(path: Path) -> None:
    conn = await open_database(path)
    community_id = await ensure_community(conn, "幸福小区")
    rooms = [("3", "1", "101"), ("3", "1", "102"), ("4", "", "201")]
    await write_households(
        conn,
        community_id,
        inserts=[HouseholdValues(*r, Decimal("80"), (), (), None, False) for r in rooms],
    )
    await conn.close()


def _run(db: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    roster_codes.add_parser(parser.add_subparsers())
    args = parser.parse_args(["codes", *argv])
    status: int = args.handler(load_settings({"RESIDENT_BOT_DB": str(db)}, dotenv=None), args)
    return status


def test_csv_on_stdout_and_printable_xlsx(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "bot.db"
    asyncio.run(_seed(db))
    assert _run(db, "--building", "3号楼") == 0
    out = capsys.readouterr().out.lstrip("\ufeff")
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == ["小区", "楼栋", "单元", "房号", "绑定码"]
    assert [r[:4] for r in table[1:]] == [
        ["幸福小区", "3", "1", "101"],
        ["幸福小区", "3", "1", "102"],
    ]
    assert all(len(r[4]) == CODE_LENGTH and set(r[4]) <= set(ALPHABET) for r in table[1:])

    sheet = tmp_path / "codes.xlsx"
    assert _run(db, "-o", str(sheet)) == 2  # the links need the bot's username
    assert _run(db, "-o", str(sheet), "--bot-username", "@resident_bot") == 0
    rows = list(load_workbook(sheet).active.iter_rows(values_only=True))
    assert len(rows) == 4
    assert rows[1][5] == f"https://t.me/resident_bot?start=bind-{rows[1][4]}"
    assert _run(db, "--community", "没有的小区") == 1
